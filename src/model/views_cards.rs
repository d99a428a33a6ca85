//! How a views build makes one node's cards: one GPU card per GPU (readings of one GPU by
//! several sources merged), one card per model per inference server. Part of [`super`]; kept
//! apart to keep that file to the views themselves.

use std::sync::Arc;

use super::super::SourceState;
use super::super::gpu::{GpuOrigin, GpuSample};
use super::super::health::Health;
use super::super::text::natural_cmp;
use super::{GpuCard, InferenceCard};

/// The inference cards of node `node` from its sources onto `cards`, one per model per server,
/// in natural order of server URL, then by model.
pub(super) fn inference_cards(
    node: &str,
    sources: &[&SourceState],
    cards: &mut Vec<InferenceCard>,
) {
    let start = cards.len();
    for s in sources {
        cards.extend(s.inference.iter().map(|i| InferenceCard {
            node: node.to_owned(),
            source: s.id.clone(),
            kind: s.kind,
            health: s.health.health.clone(),
            stats: i.clone(),
        }));
    }
    cards[start..].sort_by(|a, b| {
        natural_cmp(&a.source.locator, &b.source.locator)
            .then_with(|| a.stats.model.cmp(&b.stats.model))
    });
}

/// One reading of a GPU, before readings of the same GPU are merged.
struct Reading<'a> {
    origin: GpuOrigin,
    gpu: &'a Arc<GpuSample>,
    health: &'a Health,
}

/// The models the GPU's own processes serve (from their command lines), joined; `None` when
/// no process names one (then the card shows its node's models).
fn served_on(g: &GpuSample) -> Option<String> {
    let mut models: Vec<&str> = Vec::new();
    for m in g.processes.iter().filter_map(|p| p.model.as_deref()) {
        if !models.contains(&m) {
            models.push(m);
        }
    }
    (!models.is_empty()).then(|| models.join(", "))
}

/// Build the GPU cards of `node` from its sources' readings onto `cards`: readings of one GPU
/// (same UUID and MIG instance) merged into one card — an answering source first, then NVML
/// before nvidia-smi before the exporters, the gaps filled from the others; a GPU without a
/// UUID is a card of its own. Ordered by index, UUID and MIG instance.
pub(super) fn node_cards(
    node: &str,
    srcs: &[&SourceState],
    models: &[String],
    cards: &mut Vec<GpuCard>,
) {
    let mut readings: Vec<Reading<'_>> = srcs
        .iter()
        .flat_map(|s| {
            s.gpus.iter().map(|g| Reading {
                origin: s.gpu_origin.unwrap_or(GpuOrigin::Nvml),
                gpu: g,
                health: &s.health.health,
            })
        })
        .collect();
    if readings.is_empty() {
        return;
    }
    // A node has a handful of readings: sorting them by identity groups each GPU's together.
    fn identity<'r>(r: &'r Reading<'_>) -> (bool, Option<&'r str>, Option<&'r str>) {
        (
            r.gpu.uuid.is_none(),
            r.gpu.uuid.as_deref(),
            r.gpu.mig.as_deref(),
        )
    }
    readings.sort_by(|a, b| {
        identity(a)
            .cmp(&identity(b))
            .then_with(|| (a.health.severity(), a.origin).cmp(&(b.health.severity(), b.origin)))
    });
    let name: Arc<str> = Arc::from(node);
    let node_models: Option<Arc<str>> = (!models.is_empty()).then(|| Arc::from(models.join(", ")));
    let start = cards.len();
    let mut last: Option<(Option<&str>, Option<&str>)> = None;
    for r in &readings {
        let id = (r.gpu.uuid.as_deref(), r.gpu.mig.as_deref());
        let merge = cards.len() > start && id.0.is_some() && last == Some(id);
        match cards.last_mut() {
            Some(card) if merge => {
                Arc::make_mut(&mut card.gpu).fill_gaps_from(r.gpu);
            }
            _ => {
                last = Some(id);
                cards.push(GpuCard {
                    node: Arc::clone(&name),
                    origin: r.origin,
                    gpu: Arc::clone(r.gpu),
                    model: served_on(r.gpu)
                        .map(Arc::from)
                        .or_else(|| node_models.clone()),
                    health: r.health.clone(),
                });
            }
        }
    }
    cards[start..].sort_by(|a, b| {
        a.gpu
            .index
            .cmp(&b.gpu.index)
            .then_with(|| a.gpu.uuid.cmp(&b.gpu.uuid))
            .then_with(|| a.gpu.mig.cmp(&b.gpu.mig))
            .then_with(|| (a.health.severity(), a.origin).cmp(&(b.health.severity(), b.origin)))
    });
}
