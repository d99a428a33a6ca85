//! History at fleet scale: 64 nodes × 8 GPUs with 64 inference servers, every figure recorded
//! once a second (about 5,000 samples/s), with an explicit clock.
//!
//! ```text
//! cargo bench --bench history
//! ```
//!
//! 1. Recording cost: one simulated hour through the real pipeline (scrapes applied to the
//!    model, the model recorded each second); the collector's and the recorder's time per tick
//!    are measured side by side in the same run, and the recorder's share of one core printed.
//! 2. Bytes per sample on disk after that hour (full-resolution chunks, and the whole file).
//! 3. A 24-hour store of the same series (filled directly, values varying every second), then:
//!    start-up (open, put back the saved state and the throughput plot, query the first
//!    frame's plots), a 24 h plot at screen resolution, and a rewind to a moment 12 h back.
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) only a 2-minute smoke of each.
//! Results: docs/BENCHMARKS.md, "History".

#![allow(
    clippy::expect_used,
    clippy::cast_precision_loss,
    reason = "a benchmark: a failure ends the run with its reason"
)]

use std::time::{Duration, Instant, SystemTime};

use swarmglass::alerts::Engine;
use swarmglass::config::alerts::RuleSet;
use swarmglass::history::catalog::SeriesKey;
use swarmglass::history::query::plot;
use swarmglass::history::store::WINDOW_MS;
use swarmglass::history::{
    HistorySettings, Retention, Store, codec, from_unix_ms, rewind, sample, unix_ms,
};
use swarmglass::model::{Model, ModelSettings};
use swarmglass::recording::Recording;
use swarmglass::testdata;

const NODES: usize = 64;
const GPUS: usize = 8;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    // Two hours through the pipeline: the second hour's growth of the file is the steady
    // state on disk (the first includes the file's fixed overhead).
    let (record_s, store_s) = if full { (7200, 86_400) } else { (240, 900) };
    // A whole hour, so windows and minutes start on it.
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_763_596_800);

    println!(
        "History: {NODES} nodes × {GPUS} GPUs + {NODES} inference servers, one tick per second\n"
    );

    // 1 + 2: the real pipeline for `record_s` simulated seconds.
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = HistorySettings {
        dir: Some(dir.path().to_owned()),
        ..HistorySettings::default()
    };
    let mut model = Model::new(ModelSettings::default());
    let mut engine = Engine::new(RuleSet::defaults());
    let mut rec =
        Recording::start(&settings, &mut model, &mut engine, start).expect("history opens");
    let (mut collect, mut record) = (Duration::ZERO, Duration::ZERO);
    let mut slowest = Duration::ZERO; // the tick that closes a 5-minute window
    let mut samples = 0_usize;
    let mut half_way = (0_u64, 0_u64); // bytes on disk, chunk bytes
    for s in 0..record_s {
        if s == record_s / 2 {
            let info = rec.history().store().info();
            half_way = (info.disk_bytes, info.raw_bytes + info.minute_bytes);
        }
        let now = start + Duration::from_secs(s);
        let t = Instant::now();
        for i in 0..NODES {
            testdata::apply_node(&mut model, i, GPUS, start, s as f64);
        }
        model.tick(now);
        collect += t.elapsed();
        if s == 0 {
            samples = sample::samples(&model).len();
        }
        let t = Instant::now();
        rec.tick(&mut model, &engine, now);
        let took = t.elapsed();
        record += took;
        slowest = slowest.max(took);
    }
    let end = start + Duration::from_secs(record_s);
    rec.finish(&mut model, &engine, end);
    assert!(rec.history().failed().is_none(), "recording failed");
    let per_tick = |d: Duration| ms(d) / record_s as f64;
    println!("| measure | value |");
    println!("|---|---:|");
    println!("| samples per tick | {samples} |");
    println!(
        "| collector (scrapes applied, model ticked) per tick | {:.2} ms |",
        per_tick(collect)
    );
    println!(
        "| recorder per tick (with vs without: the difference) | {:.2} ms |",
        per_tick(record)
    );
    println!(
        "| recorder's share of one core at 1 tick/s | {:.2} % (target ≤ 2 %) |",
        per_tick(record) / 10.0
    );
    println!(
        "| slowest tick (one that closes a 5-minute window: every series' chunk and minute rows in one transaction) | {:.1} ms |",
        ms(slowest)
    );
    drop(rec);
    // Reopen to read the sizes after the windows closed (a closed window is on disk in chunks;
    // the open one is in the crash log).
    let mut store = Store::open(dir.path(), Retention::default()).expect("reopen");
    store.close_window().expect("close the last window");
    let info = store.info();
    let recorded = samples as f64 * record_s as f64;
    println!(
        "| bytes per sample, full-resolution chunks, after {} min | {:.3} B (target ≤ 2 B) |",
        record_s / 60,
        info.raw_bytes as f64 / recorded
    );
    println!(
        "| bytes per sample on disk, the whole file (both tiers, index, free pages), after {} min | {:.3} B |",
        record_s / 60,
        info.disk_bytes as f64 / recorded
    );
    let second_half = recorded / 2.0;
    println!(
        "| growth per sample in the second {} min: on disk / chunks of both tiers | {:.3} B / {:.3} B (target ≤ 2 B) |",
        record_s / 120,
        (info.disk_bytes.saturating_sub(half_way.0)) as f64 / second_half,
        ((info.raw_bytes + info.minute_bytes).saturating_sub(half_way.1)) as f64 / second_half
    );
    let keys: Vec<SeriesKey> = store.keys().to_vec();
    drop(store);

    // 3: a store holding `store_s` seconds of the same series, filled directly.
    let big = tempfile::tempdir().expect("temp dir");
    let fill = Instant::now();
    {
        let mut store = Store::open(big.path(), Retention::default()).expect("open");
        let ids: Vec<(u32, f64)> = keys
            .iter()
            .map(|k| (store.id_of(k.clone()), k.def().map_or(1.0, |m| m.scale)))
            .collect();
        let t0 = unix_ms(start);
        let mut values = Vec::with_capacity(ids.len());
        for s in 0..store_s {
            values.clear();
            for (n, &(id, scale)) in ids.iter().enumerate() {
                // A slow wave per series plus a small per-second wobble: every value changes.
                let phase = n as f64 * 0.37;
                let x = s as f64;
                let v =
                    50.0 + 30.0 * (x / 900.0 + phase).sin() + 3.0 * (x * 0.7 + phase * 3.0).sin();
                values.push((id, codec::to_fixed(v, scale.min(10.0))));
            }
            store
                .push_tick(t0 + i64::try_from(s).unwrap_or(0) * 1000, &values)
                .expect("write");
            if s % 5 == 4 {
                store.flush().expect("flush");
            }
        }
        store.flush().expect("flush");
    }
    println!(
        "| filling a {} h store directly | {:.1} s |",
        store_s / 3600,
        fill.elapsed().as_secs_f64()
    );
    let end = start + Duration::from_secs(store_s);
    let big_settings = HistorySettings {
        dir: Some(big.path().to_owned()),
        ..HistorySettings::default()
    };

    // Start-up: open, put back, and the first frame's queries (two throughput plots of the
    // last 15 minutes).
    let t = Instant::now();
    let mut model = Model::new(ModelSettings::default());
    let mut engine = Engine::new(RuleSet::defaults());
    let rec = Recording::start(&big_settings, &mut model, &mut engine, end).expect("history opens");
    let store = rec.history().store();
    let gen_id = store
        .id(&SeriesKey::new(
            &swarmglass::history::catalog::CLUSTER_GEN_TPS,
            &[],
        ))
        .expect("cluster series");
    let to = unix_ms(end);
    for _ in 0..2 {
        plot(store, gen_id, to - 900_000, to, 600, Duration::from_secs(1)).expect("plot");
    }
    println!(
        "| start-up with {} h of history: open, restore, first frame's plots | {:.0} ms (target ≤ 1 s with the frame, which draws in ~2 ms) |",
        store_s / 3600,
        ms(t.elapsed())
    );

    let span_ms = i64::try_from(store_s).unwrap_or(0) * 1000;
    let runs: Vec<f64> = (0..10)
        .map(|_| {
            let t = Instant::now();
            let pts =
                plot(store, gen_id, to - span_ms, to, 800, Duration::from_secs(1)).expect("plot");
            assert!(!pts.is_empty());
            ms(t.elapsed())
        })
        .collect();
    println!(
        "| a {} h plot of one series at 800 points (median of 10) | {:.2} ms (target ≤ 20 ms) |",
        store_s / 3600,
        median(runs)
    );
    let back = from_unix_ms(to - span_ms / 2 + WINDOW_MS / 3);
    let runs: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let m = rewind::model_at(store, back, &ModelSettings::default()).expect("rewind");
            let cards = m.views().gpus.len();
            assert_eq!(cards, NODES * GPUS, "every GPU at that moment");
            ms(t.elapsed())
        })
        .collect();
    println!(
        "| rewind to {} h back: every series' value, the model and its views (median of 5) | {:.1} ms (target ≤ 100 ms) |",
        store_s / 7200,
        median(runs)
    );
    let info = store.info();
    println!(
        "| {} h store: on disk, full-resolution chunks, minute tier | {:.0} MiB, {:.0} MiB, {:.1} MiB |",
        store_s / 3600,
        info.disk_bytes as f64 / 1_048_576.0,
        info.raw_bytes as f64 / 1_048_576.0,
        info.minute_bytes as f64 / 1_048_576.0
    );
}
