//! Rewind: a [`Model`] rebuilt from history as it was at a past moment, so the whole dashboard
//! (cards, node health, totals, alert rules' subjects) draws that moment through the same views
//! as live. GPUs come back under their node (one card per GPU, keyed by UUID), servers under
//! their source with their model, each source up or down as it was.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::catalog::{self as c, SeriesKey};
use super::query::values_at;
use super::{HistoryError, Store, unix_ms};
use crate::model::gpu::{GpuOrigin, GpuSample};
use crate::model::ids::{SourceId, SourceKind, SourceSpec};
use crate::model::inference::InferenceStats;
use crate::model::scrape::ServerKind;
use crate::model::status::{ClusterStatus, StatusNode};
use crate::model::{Model, ModelSettings};

/// How far back a value may be and still count as "at that moment".
pub const LOOKBACK: Duration = Duration::from_secs(10);

/// The locator of the sources rewind makes for GPUs.
const GPU_LOCATOR: &str = "history";

fn gpu_of(key: &SeriesKey) -> GpuSample {
    let label = key.label("gpu").unwrap_or("?");
    let (base, mig) = match label.split_once('/') {
        Some((b, m)) => (b, Some(m.to_owned())),
        None => (label, None),
    };
    GpuSample {
        index: key.label("index").and_then(|i| i.parse().ok()),
        // `GpuSample::key`: the UUID when there is one, else `gpuN` / `gpu?`.
        uuid: (!(base.starts_with("gpu")
            && base[3..].chars().all(|c| c.is_ascii_digit() || c == '?')))
        .then(|| base.to_owned()),
        mig,
        name: key
            .label("name")
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
        ..GpuSample::default()
    }
}

fn set_gpu(g: &mut GpuSample, metric: &str, v: f64) {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "MiB-precision byte counts"
    )]
    let bytes = || Some(v.max(0.0) as u64);
    match metric {
        m if m == c::GPU_UTIL.name => g.util_pct = Some(v),
        m if m == c::GPU_MEM_USED.name => g.mem_used_bytes = bytes(),
        m if m == c::GPU_MEM_TOTAL.name => g.mem_total_bytes = bytes(),
        m if m == c::GPU_TEMP.name => g.temp_c = Some(v),
        m if m == c::GPU_POWER.name => g.power_w = Some(v),
        m if m == c::GPU_SM_CLOCK.name => g.sm_clock_mhz = Some(v),
        m if m == c::GPU_MEM_CLOCK.name => g.mem_clock_mhz = Some(v),
        _ => {}
    }
}

fn set_server(s: &mut InferenceStats, metric: &str, v: f64) {
    let slot = match metric {
        m if m == c::SERVER_GEN_TPS.name => &mut s.gen_tps,
        m if m == c::SERVER_PROMPT_TPS.name => &mut s.prompt_tps,
        m if m == c::SERVER_REQ_S.name => &mut s.requests_per_s,
        m if m == c::SERVER_RUNNING.name => &mut s.running,
        m if m == c::SERVER_WAITING.name => &mut s.waiting,
        m if m == c::SERVER_KV.name => &mut s.kv_cache_pct,
        m if m == c::SERVER_ERROR.name => &mut s.error_pct,
        m if m == c::SERVER_TTFT_P50.name => &mut s.ttft.p50_s,
        m if m == c::SERVER_TTFT_P95.name => &mut s.ttft.p95_s,
        m if m == c::SERVER_TTFT_P99.name => &mut s.ttft.p99_s,
        m if m == c::SERVER_ITL_P50.name => &mut s.itl.p50_s,
        m if m == c::SERVER_ITL_P95.name => &mut s.itl.p95_s,
        m if m == c::SERVER_ITL_P99.name => &mut s.itl.p99_s,
        m if m == c::SERVER_E2E_P50.name => &mut s.e2e.p50_s,
        m if m == c::SERVER_E2E_P95.name => &mut s.e2e.p95_s,
        m if m == c::SERVER_E2E_P99.name => &mut s.e2e.p99_s,
        _ => return,
    };
    *slot = Some(v);
}

/// What one rebuilt source holds.
#[derive(Default)]
struct Rebuilt {
    gpus: BTreeMap<String, GpuSample>,
    servers: BTreeMap<String, InferenceStats>,
    kind: Option<ServerKind>,
    up: Option<bool>,
    /// A status source: the proxy's view.
    status: Option<ClusterStatus>,
}

/// The proxy's view being rebuilt for `source`.
fn status_of<'a>(
    sources: &'a mut BTreeMap<SourceId, Rebuilt>,
    source: &str,
) -> &'a mut ClusterStatus {
    let r = sources
        .entry(SourceId::new("cluster", SourceKind::Status, source))
        .or_default();
    r.up = Some(true);
    r.status.get_or_insert_with(ClusterStatus::default)
}

/// The model as history knows it at `at`.
///
/// # Errors
/// When the store cannot be read.
pub fn model_at(
    store: &Store,
    at: SystemTime,
    settings: &ModelSettings,
) -> Result<Model, HistoryError> {
    let values = values_at(store, unix_ms(at), LOOKBACK)?;
    let mut sources: BTreeMap<SourceId, Rebuilt> = BTreeMap::new();
    for (&id, &v) in &values {
        let Some(key) = store.keys().get(id as usize) else {
            continue;
        };
        let node = key.label("node").unwrap_or("?");
        let metric = key.metric.as_str();
        if metric.starts_with("gpu_") {
            let sid = SourceId::new(node, SourceKind::Nvml, GPU_LOCATOR);
            let r = sources.entry(sid).or_default();
            r.up = Some(true);
            let g = r
                .gpus
                .entry(key.label("gpu").unwrap_or("?").to_owned())
                .or_insert_with(|| gpu_of(key));
            set_gpu(g, metric, v);
        } else if metric.starts_with("server_") {
            let sid = SourceId::new(
                node,
                SourceKind::Prometheus,
                key.label("source").unwrap_or("?"),
            );
            let r = sources.entry(sid).or_default();
            r.kind = key.label("kind").and_then(ServerKind::from_name);
            let model = key.label("model").unwrap_or("");
            let s = r
                .servers
                .entry(model.to_owned())
                .or_insert_with(|| InferenceStats {
                    model: (!model.is_empty()).then(|| model.to_owned()),
                    engines: 1,
                    ..InferenceStats::default()
                });
            set_server(s, metric, v);
        } else if metric.starts_with("proxy_") {
            let st = status_of(&mut sources, key.label("source").unwrap_or("?"));
            let yes = v >= 0.5;
            match metric {
                m if m == c::PROXY_HEALTHY.name => st.healthy = Some(yes),
                m if m == c::PROXY_FAILOVER_READY.name => st.failover_ready = Some(yes),
                m if m == c::PROXY_ACTIVE.name => st.active_node = Some(node.to_owned()),
                m if m == c::PROXY_NODE_HEALTHY.name => st.nodes.push(StatusNode {
                    name: node.to_owned(),
                    healthy: Some(yes),
                    ..StatusNode::default()
                }),
                _ => {}
            }
        } else if metric == c::SOURCE_UP.name {
            let kind = key
                .label("kind")
                .and_then(SourceKind::from_name)
                .unwrap_or(SourceKind::Prometheus);
            if kind.is_local_gpu() || kind == SourceKind::Status {
                continue; // GPUs and the proxy come back under their own rebuilt sources
            }
            let sid = SourceId::new(node, kind, key.label("source").unwrap_or("?"));
            sources.entry(sid).or_default().up = Some(v >= 0.5);
        }
    }
    let mut model = Model::new(settings.clone());
    // The header's "updated … ago" counts from the moment shown.
    model.last_data_at = (!sources.is_empty()).then_some(at);
    for (sid, r) in sources {
        model.register_spec(SourceSpec::named(sid.clone(), Duration::from_secs(1)));
        let Some(s) = model.source_state_mut(&sid) else {
            continue;
        };
        s.gpus = r.gpus.into_values().map(std::sync::Arc::new).collect();
        if !s.gpus.is_empty() {
            s.gpu_origin = Some(GpuOrigin::Nvml);
        }
        s.inference = r.servers.into_values().collect();
        s.kind = r.kind;
        if let Some(mut status) = r.status {
            status
                .nodes
                .sort_by(|a, b| crate::model::text::natural_cmp(&a.name, &b.name));
            s.status = Some(status);
        }
        match r.up {
            Some(false) => {
                for _ in 0..settings.down_after_failures.max(1) {
                    s.health.on_failure(at, "down at that moment");
                }
            }
            _ => s.health.on_success(at),
        }
    }
    Ok(model)
}
