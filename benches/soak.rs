//! Soak: the window's whole pipeline minus the network — simulated scrapes parsed and mapped
//! (`runtime::read_scrape`), sent through the one fair `Sink`, drained and applied to the
//! `Model`, ticked, and the alert rules evaluated — driven through a simulated 24 h with an
//! explicit clock, with faults injected at random (seeded): garbage and truncated bodies, NaN,
//! negative and decreasing values, timeouts, and sources that flap down for minutes — and every
//! tick recorded into a history store (a temporary data directory), as the window does.
//!
//! ```text
//! cargo bench --bench soak [-- SEED]
//! ```
//!
//! Prints the resident memory each simulated hour (it must be flat after warm-up: ≤ 5 % growth
//! from hour 2 to hour 24), the faults injected, and the update accounting (every update sent
//! was applied or counted as dropped; a panic ends the run). Results: docs/BENCHMARKS.md, "Soak".

#![allow(
    clippy::expect_used,
    clippy::cast_precision_loss,
    reason = "a benchmark: a failure ends the run with its reason"
)]

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use swarmglass::alerts::Engine;
use swarmglass::config::alerts::RuleSet;
use swarmglass::history::HistorySettings;
use swarmglass::model::ids::{SourceId, SourceKind};
use swarmglass::model::input::{SourceError, SourceUpdate};
use swarmglass::model::{Model, ModelSettings};
use swarmglass::recording::Recording;
use swarmglass::runtime::read_scrape;
use swarmglass::sim::Fault;
use swarmglass::sim::profile::NodeProfile;
use swarmglass::sim::render::{render_gpu_metrics, render_vllm_metrics};
use swarmglass::sources::framework::{Delivery, Sink};

const NODES: usize = 4;
const GPUS_PER_NODE: usize = 8;
const INTERVAL: Duration = Duration::from_secs(2);
const HOURS: u64 = 24;
/// Simulated hours under `cargo test --all-targets` (no `--bench`): a smoke run.
const SMOKE_HOURS: u64 = 1;
/// Chance that one scrape is hit by a fault.
const FAULT_P: f64 = 0.02;
const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Injected {
    Garbage,
    Truncated,
    NaN,
    Negative,
    Decreasing,
    Timeout,
    Flap,
}

const KINDS: [Injected; 7] = [
    Injected::Garbage,
    Injected::Truncated,
    Injected::NaN,
    Injected::Negative,
    Injected::Decreasing,
    Injected::Timeout,
    Injected::Flap,
];

struct Target {
    id: SourceId,
    url: String,
    node: usize,
    gpu: bool,
    sink: Sink,
    /// Down (timing out) until this simulated second.
    down_until: u64,
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Replace the value of some sample lines (about one in `every`) with `with`.
fn replace_values(body: &str, rng: &mut fastrand::Rng, every: usize, with: &str) -> String {
    let mut out = String::with_capacity(body.len());
    for line in body.lines() {
        if !line.starts_with('#')
            && rng.usize(..every) == 0
            && let Some(i) = line.rfind(' ')
        {
            out.push_str(&line[..=i]);
            out.push_str(with);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

fn main() {
    let seed = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<u64>().ok())
        .unwrap_or(42);
    // `cargo bench` passes `--bench`; `cargo test --all-targets` does not: then only a short
    // smoke run (every path, one simulated hour), so the test suite stays quick.
    let hours = if std::env::args().any(|a| a == "--bench") {
        HOURS
    } else {
        SMOKE_HOURS
    };
    let mut rng = fastrand::Rng::with_seed(seed);
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_760_000_000);
    let profiles: Vec<NodeProfile> = (0..NODES)
        .map(|i| NodeProfile::generate(seed, i, GPUS_PER_NODE))
        .collect();
    let (root, updates) = Sink::channel(4096, Arc::new(|| {}));
    let mut model = Model::new(ModelSettings::default());
    let mut targets = Vec::new();
    for (node, p) in profiles.iter().enumerate() {
        for gpu in [false, true] {
            let url = format!(
                "http://10.9.0.{}:{}/metrics",
                node + 1,
                if gpu { 9400 } else { 8000 }
            );
            let id = SourceId::new(p.name.clone(), SourceKind::Prometheus, url.clone());
            model.register(id.clone(), INTERVAL);
            targets.push(Target {
                id,
                url,
                node,
                gpu,
                sink: root.for_source(),
                down_until: 0,
            });
        }
    }
    let mut engine = Engine::new(RuleSet::defaults());
    let data = tempfile::tempdir().expect("a temporary data directory");
    let mut recording = Recording::start(
        &HistorySettings {
            dir: Some(data.path().to_owned()),
            ..HistorySettings::default()
        },
        &mut model,
        &mut engine,
        start,
    )
    .expect("history opens in a fresh directory");
    let (mut sent, mut queued, mut dropped, mut applied) = (0_u64, 0_u64, 0_u64, 0_u64);
    let mut faults = [0_u64; KINDS.len()];
    let mut transitions = 0_usize;
    let mut rss = Vec::new();
    let wall = Instant::now();
    println!(
        "Soak: {NODES} nodes × {GPUS_PER_NODE} GPUs (vLLM + dcgm-like exporter each), one scrape per target every {} s, {hours} simulated hours, fault chance {FAULT_P} per scrape, seed {seed}\n",
        INTERVAL.as_secs()
    );
    println!(
        "| hour | RSS (MiB) | updates applied | errors listed | alert transitions | faults so far | history on disk (MiB) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let steps = hours * 3600 / INTERVAL.as_secs();
    for step in 0..=steps {
        let t_s = step * INTERVAL.as_secs();
        let now = start + Duration::from_secs(t_s);
        for t in &mut targets {
            let fault = (rng.f64() < FAULT_P).then(|| KINDS[rng.usize(..KINDS.len())]);
            if let Some(f) = fault {
                faults[KINDS.iter().position(|k| *k == f).unwrap_or(0)] += 1;
                if f == Injected::Flap {
                    t.down_until = t_s + rng.u64(30..300);
                }
            }
            let p = &profiles[t.node];
            let result = if t_s < t.down_until || fault == Some(Injected::Timeout) {
                Err(SourceError::Timeout {
                    url: t.url.clone(),
                    timeout_ms: 2000,
                })
            } else {
                #[allow(clippy::cast_precision_loss)]
                let at_s = if fault == Some(Injected::Decreasing) {
                    t_s.saturating_sub(3600)
                } else {
                    t_s
                };
                let elapsed = Duration::from_secs(at_s);
                let text = if t.gpu {
                    render_gpu_metrics(p, elapsed, Fault::None)
                } else {
                    render_vllm_metrics(p, elapsed, Fault::None)
                };
                let body: Vec<u8> = match fault {
                    Some(Injected::Garbage) => {
                        (0..rng.usize(1..4096)).map(|_| rng.u8(..)).collect()
                    }
                    Some(Injected::Truncated) => {
                        let cut = rng.usize(..text.len().max(1));
                        text.as_bytes()[..cut].to_vec()
                    }
                    Some(Injected::NaN) => replace_values(&text, &mut rng, 5, "NaN").into_bytes(),
                    Some(Injected::Negative) => {
                        replace_values(&text, &mut rng, 5, "-5").into_bytes()
                    }
                    _ => text.into_bytes(),
                };
                read_scrape(&t.url, &body, Some(CONTENT_TYPE), None)
            };
            sent += 1;
            match t.sink.send(SourceUpdate::Scrape {
                source: t.id.clone(),
                at: now,
                result,
            }) {
                Delivery::Queued => queued += 1,
                Delivery::Dropped => dropped += 1,
                Delivery::Closed => unreachable!("the consumer is this loop"),
            }
        }
        for u in updates.try_iter() {
            model.apply(u, now);
            applied += 1;
        }
        model.tick(now);
        transitions += engine.evaluate(&model, now).len();
        recording.tick(&mut model, &engine, now);
        if t_s.is_multiple_of(3600) {
            let kib = rss_kib();
            rss.push(kib);
            let info = recording.history().store().info();
            println!(
                "| {} | {:.1} | {applied} | {} | {transitions} | {} | {:.1} |",
                t_s / 3600,
                kib as f64 / 1024.0,
                model.errors.len(),
                faults.iter().sum::<u64>(),
                info.file_bytes as f64 / 1048576.0
            );
        }
    }
    recording.finish(
        &mut model,
        &engine,
        start + Duration::from_secs(steps * INTERVAL.as_secs()),
    );
    if let Some(e) = recording.history().failed() {
        panic!("history stopped recording: {e}");
    }
    let warm = rss.get(2).copied().unwrap_or(0).max(1);
    let mib = |kib: u64| kib as f64 / 1024.0;
    let last = rss.last().copied().unwrap_or(0);
    #[allow(clippy::cast_precision_loss)]
    let growth = (last as f64 - warm as f64) / warm as f64 * 100.0;
    println!("\nFaults injected:");
    for (k, n) in KINDS.iter().zip(faults) {
        println!("- {k:?}: {n}");
    }
    println!(
        "\nUpdates: {sent} sent, {queued} queued, {applied} applied, {dropped} dropped (counted by the sink: {}); every update accounted for: {}",
        root.dropped(),
        sent == applied + dropped && dropped == root.dropped()
    );
    if hours >= 3 {
        println!(
            "Memory: {:.1} MiB at hour 2, {:.1} MiB at hour {hours}: {growth:+.1} % ({})",
            mib(warm),
            mib(last),
            if growth <= 5.0 {
                "flat, target met"
            } else {
                "TARGET MISSED (≤ 5 %)"
            }
        );
    } else {
        println!("Memory: not judged in a {hours}-hour smoke run (run `cargo bench --bench soak`)");
    }
    println!("Wall time: {:.1} s", wall.elapsed().as_secs_f64());
    assert_eq!(
        sent,
        applied + dropped,
        "an update was lost without being counted"
    );
}
