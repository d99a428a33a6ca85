//! What one recording tick takes from the model: every figure the cards and plots show, read
//! from the shared [`Views`](crate::model::views::Views) (so history names nodes and merges GPUs
//! exactly as the window does), plus each source's up/down and the cluster totals. A card that
//! is not up records nothing for that tick: a gap, never its last value again.

use crate::model::Model;
use crate::model::health::Health;
use crate::model::ids::SourceKind;
use crate::model::redact::redact_urls;

use super::catalog::{self as c, Metric, SeriesKey};

/// Every value to record at this moment.
#[must_use]
pub fn samples(model: &Model) -> Vec<(SeriesKey, f64)> {
    let views = model.views();
    let mut out = Vec::with_capacity(views.gpus.len() * 7 + views.inference.len() * 16 + 64);
    let mut push = |metric: &Metric, labels: &[(&str, &str)], value: Option<f64>| {
        if let Some(v) = value.filter(|v| v.is_finite()) {
            out.push((SeriesKey::new(metric, labels), v));
        }
    };
    for card in &views.gpus {
        if !matches!(card.health, Health::Up { .. }) {
            continue;
        }
        let g = &card.gpu;
        let gpu = g.key();
        let index = g.index.map(|i| i.to_string()).unwrap_or_default();
        let labels = [
            ("node", &*card.node),
            ("gpu", gpu.as_str()),
            ("index", index.as_str()),
            ("name", g.name.as_deref().unwrap_or("")),
        ];
        #[allow(clippy::cast_precision_loss, reason = "byte counts shown in MiB")]
        let bytes = |b: Option<u64>| b.map(|b| b as f64);
        push(&c::GPU_UTIL, &labels, g.util_pct);
        push(&c::GPU_MEM_USED, &labels, bytes(g.mem_used_bytes));
        push(&c::GPU_MEM_TOTAL, &labels, bytes(g.mem_total_bytes));
        push(&c::GPU_TEMP, &labels, g.temp_c);
        push(&c::GPU_POWER, &labels, g.power_w);
        push(&c::GPU_SM_CLOCK, &labels, g.sm_clock_mhz);
        push(&c::GPU_MEM_CLOCK, &labels, g.mem_clock_mhz);
    }
    for card in &views.inference {
        if !matches!(card.health, Health::Up { .. }) {
            continue;
        }
        let s = &card.stats;
        let locator = redact_urls(&card.source.locator);
        let labels = [
            ("node", &*card.node),
            ("kind", card.kind.map_or("", |k| k.as_str())),
            ("source", locator.as_ref()),
            ("model", s.model.as_deref().unwrap_or("")),
        ];
        push(&c::SERVER_GEN_TPS, &labels, s.gen_tps);
        push(&c::SERVER_PROMPT_TPS, &labels, s.prompt_tps);
        push(&c::SERVER_REQ_S, &labels, s.requests_per_s);
        push(&c::SERVER_RUNNING, &labels, s.running);
        push(&c::SERVER_WAITING, &labels, s.waiting);
        push(&c::SERVER_KV, &labels, s.kv_cache_pct);
        push(&c::SERVER_ERROR, &labels, s.error_pct);
        push(&c::SERVER_TTFT_P50, &labels, s.ttft.p50_s);
        push(&c::SERVER_TTFT_P95, &labels, s.ttft.p95_s);
        push(&c::SERVER_TTFT_P99, &labels, s.ttft.p99_s);
        push(&c::SERVER_ITL_P50, &labels, s.itl.p50_s);
        push(&c::SERVER_ITL_P95, &labels, s.itl.p95_s);
        push(&c::SERVER_ITL_P99, &labels, s.itl.p99_s);
        push(&c::SERVER_E2E_P50, &labels, s.e2e.p50_s);
        push(&c::SERVER_E2E_P95, &labels, s.e2e.p95_s);
        push(&c::SERVER_E2E_P99, &labels, s.e2e.p99_s);
    }
    for node in &views.nodes {
        push(
            &c::NODE_HEALTH,
            &[("node", node.name.as_str())],
            Some(f64::from(node.health.severity())),
        );
    }
    for s in model.sources().values().filter(|s| s.in_views()) {
        let up = matches!(s.health.health, Health::Up { .. });
        push(
            &c::SOURCE_UP,
            &[
                ("node", s.id.node.as_str()),
                ("kind", s.id.kind.as_str()),
                ("source", s.id.locator.as_str()),
            ],
            Some(if up { 1.0 } else { 0.0 }),
        );
    }
    // The smart proxy's view, so a rewound cluster card shows failover and the active node.
    let flag = |b: Option<bool>| b.map(|b| if b { 1.0 } else { 0.0 });
    for s in model.sources().values().filter(|s| {
        s.in_views()
            && s.id.kind == SourceKind::Status
            && matches!(s.health.health, Health::Up { .. })
    }) {
        let Some(status) = &s.status else { continue };
        let source = [("source", s.id.locator.as_str())];
        push(&c::PROXY_HEALTHY, &source, flag(status.healthy));
        push(
            &c::PROXY_FAILOVER_READY,
            &source,
            flag(status.failover_ready),
        );
        if let Some(active) = &status.active_node {
            let node = views.naming.proxy_node(active);
            push(
                &c::PROXY_ACTIVE,
                &[("source", &s.id.locator), ("node", node)],
                Some(1.0),
            );
        }
        for n in &status.nodes {
            let node = views.naming.proxy_node(&n.name);
            push(
                &c::PROXY_NODE_HEALTHY,
                &[("source", &s.id.locator), ("node", node)],
                flag(n.healthy),
            );
        }
    }
    let (gen_tps, prompt_tps) = model.total_tps();
    push(&c::CLUSTER_GEN_TPS, &[], gen_tps);
    push(&c::CLUSTER_PROMPT_TPS, &[], prompt_tps);
    out
}
