//! Test data, not UI: scripted models for the window's tests (`tests/ui_*.rs`, unit tests), the
//! frame benchmarks, without a network. N nodes × M GPUs, each node with a
//! vLLM-like server and a dcgm-like GPU exporter, plus a smart proxy status, fed through
//! [`Model::apply`] at explicit times like the real collector does. Deterministic: the same
//! arguments give the same model. Public (hidden from the docs) because integration tests and
//! benchmarks are other crates and cannot see `cfg(test)` code.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::model::Model;
use crate::model::ModelSettings;
use crate::model::gpu::GpuSample;
use crate::model::ids::{SourceId, SourceKind};
use crate::model::input::SourceUpdate;
use crate::model::scrape::{Histogram, InferenceRaw, ScrapeData, ServerKind};
use crate::model::status::{ClusterStatus, StatusNode};

/// Name of node `i` ("node-00", "node-01", … so they sort in order).
#[must_use]
pub fn node_name(i: usize) -> String {
    format!("node-{i:02}")
}

/// Id of node `i`'s inference server.
#[must_use]
pub fn vllm_id(i: usize) -> SourceId {
    SourceId::new(
        node_name(i),
        SourceKind::Prometheus,
        format!("http://10.0.{}.{}:8000/metrics", i / 250, i % 250 + 1),
    )
}

/// Id of node `i`'s GPU exporter.
#[must_use]
pub fn dcgm_id(i: usize) -> SourceId {
    SourceId::new(
        node_name(i),
        SourceKind::Prometheus,
        format!("http://10.0.{}.{}:9400/metrics", i / 250, i % 250 + 1),
    )
}

/// Id of the smart proxy's status endpoint.
#[must_use]
pub fn status_id() -> SourceId {
    SourceId::new("cluster", SourceKind::Status, "http://10.0.0.1:9199/status")
}

#[allow(clippy::cast_precision_loss)]
fn wave(i: usize, t_s: f64) -> f64 {
    0.5 + 0.4 * (t_s / 97.0 + i as f64 * 0.7).sin()
}

fn histogram(bounds: &[f64], count: f64, median: f64) -> Histogram {
    let mut buckets: Vec<(f64, f64)> = bounds
        .iter()
        .map(|&le| {
            let frac = 1.0 - (-(le / median) * std::f64::consts::LN_2).exp();
            (le, (count * frac).floor())
        })
        .collect();
    buckets.push((f64::INFINITY, count));
    Histogram {
        buckets,
        sum: count * median * 1.2,
        count,
    }
}

/// A vLLM-like scrape of node `i`, `t_s` seconds into the script.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn vllm_scrape(i: usize, t_s: f64) -> ScrapeData {
    let load = wave(i, t_s);
    let requests = (1.0 + i as f64 * 0.1) * (t_s * 3.0 + 1000.0);
    let mut finished_by_reason = BTreeMap::new();
    finished_by_reason.insert("stop".to_owned(), (requests * 0.9).floor());
    finished_by_reason.insert("length".to_owned(), (requests * 0.09).floor());
    finished_by_reason.insert("abort".to_owned(), (requests * 0.01).floor());
    let raw = InferenceRaw {
        model: Some(
            [
                "Qwen2.5-32B-Instruct-AWQ",
                "Llama-3.1-70B-Instruct",
                "Mistral-Small-24B",
            ][i % 3]
                .to_owned(),
        ),
        running: Some((20.0 * load).round()),
        waiting: Some((6.0 * load).floor()),
        kv_cache_frac: Some(0.3 + 0.5 * load),
        prompt_tokens_total: Some(4_000.0 * t_s + 1e6),
        generation_tokens_total: Some((900.0 + 400.0 * load) * t_s + 2e6),
        finished_by_reason,
        ttft: Some(histogram(&[0.05, 0.1, 0.25, 0.5, 1.0, 2.5], requests, 0.12)),
        e2e: Some(histogram(&[0.5, 1.0, 2.5, 5.0, 10.0, 30.0], requests, 2.1)),
        itl: Some(histogram(&[0.01, 0.025, 0.05, 0.1], requests * 50.0, 0.03)),
        engines: 1,
        ..InferenceRaw::default()
    };
    ScrapeData {
        kind: Some(ServerKind::Vllm),
        inference: vec![raw],
        samples: 400,
        body_bytes: 40_000,
        ..ScrapeData::default()
    }
}

/// A dcgm-like scrape of node `i` with `gpus` GPUs, `t_s` seconds into the script.
#[must_use]
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
pub fn dcgm_scrape(i: usize, gpus: usize, t_s: f64) -> ScrapeData {
    let total: u64 = 81_559 << 20;
    let gpus = (0..gpus)
        .map(|g| {
            let load = wave(i * 8 + g, t_s);
            GpuSample {
                index: u32::try_from(g).ok(),
                uuid: Some(format!("GPU-{i:04x}{g:04x}-5f1e-4c2b-9d7a-sample")),
                name: Some("NVIDIA H100 80GB HBM3".to_owned()),
                util_pct: Some((100.0 * load).round()),
                mem_used_bytes: Some((total as f64 * (0.55 + 0.4 * load)) as u64),
                mem_total_bytes: Some(total),
                temp_c: Some((38.0 + 40.0 * load).round()),
                power_w: Some((90.0 + 560.0 * load).round()),
                power_limit_w: Some(700.0),
                ..GpuSample::default()
            }
        })
        .collect();
    ScrapeData {
        kind: Some(ServerKind::Dcgm),
        gpus,
        samples: 200,
        body_bytes: 20_000,
        ..ScrapeData::default()
    }
}

/// The proxy's view of `nodes` nodes, all healthy, node 0 active.
#[must_use]
pub fn status(nodes: usize) -> ClusterStatus {
    ClusterStatus {
        healthy: Some(true),
        failover_ready: Some(nodes > 1),
        active_node: Some(node_name(0)),
        nodes: (0..nodes)
            .map(|i| StatusNode {
                name: node_name(i),
                healthy: Some(true),
                ..StatusNode::default()
            })
            .collect(),
        ..ClusterStatus::default()
    }
}

/// Apply one round of updates for node `i` (both of its sources) at `start + t_s`.
pub fn apply_node(model: &mut Model, i: usize, gpus: usize, start: SystemTime, t_s: f64) {
    let at = start + Duration::from_secs_f64(t_s);
    model.apply(
        SourceUpdate::Scrape {
            source: vllm_id(i),
            at,
            result: Ok(vllm_scrape(i, t_s)),
        },
        at,
    );
    model.apply(
        SourceUpdate::Scrape {
            source: dcgm_id(i),
            at,
            result: Ok(dcgm_scrape(i, gpus, t_s)),
        },
        at,
    );
}

/// A model of `nodes` × `gpus_per_node` with two rounds of data (so rates exist) ending at
/// `now`, and `history_points` seconds of throughput history (one gap of 5 s in it).
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn sample_model(
    nodes: usize,
    gpus_per_node: usize,
    history_points: usize,
    now: SystemTime,
) -> Model {
    let mut model = Model::new(ModelSettings::default());
    let start = now.checked_sub(Duration::from_secs(2)).unwrap_or(now);
    for i in 0..nodes {
        model.register(vllm_id(i), Duration::from_secs(1));
        model.register(dcgm_id(i), Duration::from_secs(1));
    }
    model.register(status_id(), Duration::from_secs(1));
    for round in 0..2 {
        let t_s = f64::from(round) * 2.0;
        for i in 0..nodes {
            apply_node(&mut model, i, gpus_per_node, start, t_s);
        }
        let at = start + Duration::from_secs_f64(t_s);
        model.apply(
            SourceUpdate::Status {
                source: status_id(),
                at,
                result: Ok(status(nodes)),
            },
            at,
        );
    }
    fill_history(&mut model, history_points, now);
    model
}

/// Replace the throughput history with `points` one-second points ending at `now`.
#[allow(clippy::cast_precision_loss)]
pub fn fill_history(model: &mut Model, points: usize, now: SystemTime) {
    let settings = model.settings.clone();
    model.gen_tps_history = crate::model::series::TimeSeries::new(
        settings.history_retention,
        settings.history_resolution,
    );
    model.prompt_tps_history = crate::model::series::TimeSeries::new(
        settings.history_retention,
        settings.history_resolution,
    );
    let nodes = model.sources().len().max(1) as f64;
    for k in (0..points).rev() {
        let Some(t) = now.checked_sub(Duration::from_secs(k as u64)) else {
            continue;
        };
        let gap = (300..305).contains(&k);
        let s = k as f64;
        let g = nodes * (600.0 + 300.0 * (s / 60.0).sin() + 80.0 * (s / 7.0).sin());
        let p = nodes * (2000.0 + 900.0 * (s / 45.0).cos());
        model.gen_tps_history.push(t, (!gap).then_some(g));
        model.prompt_tps_history.push(t, (!gap).then_some(p));
    }
}
