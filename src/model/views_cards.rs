//! How a views build makes its cards — one GPU card per GPU of each node, one card per model
//! per inference server — and what it takes over from the views before ([`ViewsMemo`]): a
//! node's GPU cards while every reading they were made from is the same one (the memo holds
//! the samples, so an address cannot come back as another's), a server's cards while they
//! equal what its source gives now. Part of [`super`]; kept apart to keep that file to the
//! views themselves.

use std::sync::Arc;

use super::super::SourceState;
use super::super::gpu::{GpuOrigin, GpuSample};
use super::super::health::Health;
use super::super::identity::Naming;
use super::super::ids::SourceId;
use super::{GpuCard, HashMap, InferenceCard, NodeRank, NodeView};

/// A source's place in the inference memo: a hash of its id (a card is taken over only when
/// it equals, field by field, the card the source would give now).
pub(super) fn source_key(id: &SourceId) -> u64 {
    use std::hash::BuildHasher as _;
    INFERENCE_KEYS.hash_one(id)
}

/// One fixed hasher for [`source_key`], so keys of one build match those of the next.
static INFERENCE_KEYS: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x5747);

/// Every inference card, one per model per server, in the model's order of sources: a card of
/// the views before (`memo`) is taken over when it equals what the source gives now (same
/// node, source, kind, health and figures), which spares copying every model's figures.
pub(super) fn inference_cards(
    shown: &[(&SourceState, &str)],
    memo: Option<&mut ViewsMemo>,
) -> Vec<InferenceCard> {
    // The cards before, and where each source's run of them starts and ends (a source's cards
    // are side by side: the views order them by node, then server, then model).
    let mut old: Vec<Option<InferenceCard>> = Vec::new();
    let mut runs: HashMap<u64, (usize, usize)> = HashMap::default();
    if let Some(m) = memo {
        old.reserve(m.inference_memo.len());
        for (k, c) in m.inference_memo.drain(..) {
            let i = old.len();
            runs.entry(k)
                .and_modify(|r| r.1 = i + 1)
                .or_insert((i, i + 1));
            old.push(Some(c));
        }
    }
    let mut cards = Vec::new();
    for &(s, node) in shown {
        if s.inference.is_empty() {
            continue;
        }
        let prev = runs
            .get(&source_key(&s.id))
            .and_then(|&(a, z)| old.get_mut(a..z))
            .filter(|prev| {
                prev.len() == s.inference.len()
                    && prev.iter().zip(&s.inference).all(|(c, stats)| {
                        c.as_ref().is_some_and(|c| {
                            c.node == node
                                && c.source == s.id
                                && c.kind == s.kind
                                && c.health == s.health.health
                                && c.stats == *stats
                        })
                    })
            });
        match prev {
            Some(prev) => cards.extend(prev.iter_mut().filter_map(Option::take)),
            None => cards.extend(s.inference.iter().map(|i| InferenceCard {
                node: node.to_owned(),
                source: s.id.clone(),
                kind: s.kind,
                health: s.health.health.clone(),
                stats: i.clone(),
            })),
        }
    }
    cards
}

/// What one node's GPU cards were made from (every reading, in order: the shared sample itself,
/// origin and health; and the node's models), and where the cards are in [`Views::gpus`]. The
/// memo holds each sample (a card merged from several readings holds a copy, not them), so no
/// new sample can be given the address of one it names: equal addresses are the same reading.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct NodeGpus {
    readings: Vec<(Arc<GpuSample>, GpuOrigin, Health)>,
    models: Vec<String>,
    start: usize,
    /// How many cards the node has.
    pub(super) len: usize,
}

/// What a build may take over from the views before it: their naming, and each node's GPU cards.
#[derive(Debug)]
pub struct ViewsMemo {
    pub(super) key: u64,
    pub(super) naming: Arc<Naming>,
    pub(super) gpus: Vec<Option<GpuCard>>,
    pub(super) gpu_memo: HashMap<String, NodeGpus>,
    /// The inference cards, each with its source's key.
    pub(super) inference_memo: Vec<(u64, InferenceCard)>,
    /// The nodes' names in natural order.
    pub(super) order: Vec<String>,
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

/// Every GPU card, node by node in natural order (`names`), each node's cards taken over from
/// `memo` when what they were made from is unchanged, else built from its sources' readings.
/// Returns the cards and what each node's were made from.
pub(super) fn gpu_cards(
    shown: &[(&SourceState, &str)],
    nodes: &HashMap<&str, NodeView>,
    rank: &NodeRank<'_>,
    names: &[&str],
    memo: Option<&mut ViewsMemo>,
) -> (Vec<GpuCard>, HashMap<String, NodeGpus>) {
    // The sources with GPUs by node rank (in the model's order within a node): each node's
    // sources are then one run of this list.
    let mut with_gpus: Vec<(usize, &SourceState)> = shown
        .iter()
        .filter(|(s, _)| !s.gpus.is_empty())
        .map(|&(s, node)| (rank.of(node), s))
        .collect();
    with_gpus.sort_by_key(|&(r, _)| r);
    let total = with_gpus.iter().map(|(_, s)| s.gpus.len()).sum();
    let mut srcs: Vec<&SourceState> = Vec::new();
    let (mut old_cards, mut old_memo) = match memo {
        Some(m) => (std::mem::take(&mut m.gpus), std::mem::take(&mut m.gpu_memo)),
        None => (Vec::new(), HashMap::default()),
    };
    let mut cards: Vec<GpuCard> = Vec::with_capacity(total);
    let mut memo: HashMap<String, NodeGpus> =
        HashMap::with_capacity_and_hasher(names.len(), foldhash::fast::RandomState::default());
    for run in with_gpus.chunk_by(|a, b| a.0 == b.0) {
        let Some(&node) = names.get(run[0].0) else {
            continue;
        };
        srcs.clear();
        srcs.extend(run.iter().map(|&(_, s)| s));
        let srcs = srcs.as_slice();
        let models: &[String] = nodes.get(node).map_or(&[], |n| &n.models);
        let start = cards.len();
        let reused = old_memo.remove_entry(node).and_then(|(name, m)| {
            let same = m.models == models
                && m.readings.len() == srcs.iter().map(|s| s.gpus.len()).sum::<usize>()
                && readings_of(srcs)
                    .zip(&m.readings)
                    .all(|((gpu, origin, health), (g, o, h))| {
                        Arc::ptr_eq(gpu, g) && origin == *o && health == h
                    });
            let moved = old_cards.get_mut(m.start..m.start + m.len)?;
            (same && moved.iter().all(Option::is_some)).then(|| {
                cards.extend(moved.iter_mut().filter_map(Option::take));
                (name, m)
            })
        });
        let (name, mut m) = reused.unwrap_or_else(|| {
            node_cards(node, srcs, models, &mut cards);
            let m = NodeGpus {
                readings: readings_of(srcs)
                    .map(|(g, o, h)| (Arc::clone(g), o, h.clone()))
                    .collect(),
                models: models.to_vec(),
                start,
                len: 0,
            };
            (node.to_owned(), m)
        });
        m.start = start;
        m.len = cards.len() - start;
        memo.insert(name, m);
    }
    (cards, memo)
}

/// Every reading of `srcs`, in order: the shared sample, its origin and the source's health —
/// what a node's cards are made from.
fn readings_of<'a>(
    srcs: &'a [&'a SourceState],
) -> impl Iterator<Item = (&'a Arc<GpuSample>, GpuOrigin, &'a Health)> + 'a {
    srcs.iter().flat_map(|s| {
        let origin = s.gpu_origin.unwrap_or(GpuOrigin::Nvml);
        s.gpus.iter().map(move |g| (g, origin, &s.health.health))
    })
}

/// Build the GPU cards of `node` from its sources' readings onto `cards`: readings of one GPU
/// (same UUID and MIG instance) merged into one card — an answering source first, then NVML
/// before nvidia-smi before the exporters, the gaps filled from the others; a GPU without a
/// UUID is a card of its own. Ordered by index, UUID and MIG instance.
fn node_cards(node: &str, srcs: &[&SourceState], models: &[String], cards: &mut Vec<GpuCard>) {
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
