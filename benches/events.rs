//! Event ingest under a flood: Nexus event frames are generated, parsed (`parse_frame`), sent
//! through the bounded [`Sink`] channel and folded into a [`TaskModel`] on a second thread
//! — the same path a WebSocket or Redis source and the window take. Plain `std`, no harness:
//!
//! ```text
//! cargo bench --bench events
//! ```
//!
//! 1. 50 000 events/s for 10 s, paced: events ingested per second, updates dropped, and the
//!    process's resident (VmRSS) and peak (VmHWM) memory each second — memory must level off
//!    once the model's bounded structures are full, whatever the number of events.
//! 2. Capacity: parse + apply on one thread as fast as it goes, then producer and consumer on
//!    two threads through the channel as fast as they go.
//!
//! Prints markdown tables.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    reason = "a benchmark binary: a failure should stop it loudly"
)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use swarmglass::model::ids::{SourceId, SourceKind};
use swarmglass::model::input::{EventUpdate, SourceUpdate};
use swarmglass::model::tasks::TaskModel;
use swarmglass::sources::events::{Frame, parse_frame};
use swarmglass::sources::framework::{Sink, Updates};

const RATE: u64 = 50_000;
const RUN: Duration = Duration::from_secs(10);
const CAPACITY: usize = 8192;
const CAPACITY_RUN: Duration = Duration::from_secs(3);

const TYPES: [(&str, u32); 10] = [
    ("task_enqueued", 20),
    ("task_started", 20),
    ("task_completed", 25),
    ("task_failed", 3),
    ("task_retry", 2),
    ("task_stalled", 1),
    ("worker_heartbeat", 10),
    ("phase_started", 9),
    ("phase_completed", 9),
    ("stats_snapshot", 1),
];

/// Makes realistic event frames (~330 bytes) with unique ids, stamped now.
struct Gen {
    n: u64,
    rng: fastrand::Rng,
    ts: String,
    ts_at: Instant,
}

impl Gen {
    fn new() -> Self {
        Self {
            n: 0,
            rng: fastrand::Rng::with_seed(7),
            ts: String::new(),
            ts_at: Instant::now() - Duration::from_secs(1),
        }
    }

    fn frame(&mut self, buf: &mut String) {
        if self.ts_at.elapsed() >= Duration::from_millis(1) {
            self.ts = humantime::format_rfc3339_micros(SystemTime::now()).to_string();
            self.ts_at = Instant::now();
        }
        self.n += 1;
        let mut pick = self.rng.u32(0..100);
        let ty = TYPES.iter().find(|(_, w)| {
            if pick < *w {
                true
            } else {
                pick -= w;
                false
            }
        });
        let ty = ty.map_or("task_started", |(t, _)| t);
        buf.clear();
        let n = self.n;
        let _ = write!(
            buf,
            r#"{{"event_id":"{:08x}-{:04x}-4000-8000-{:012x}","ts":"{}","event_type":"{ty}","project_id":"proj-{}","parent_task_id":"research-{}","task_id":"sub-{n}","task_type":"web_search","phase":"search","status":"ok","message":"Task event from the flood","worker_id":{},"retry_count":0,"duration_ms":{}"#,
            n >> 16,
            n & 0xffff,
            n,
            self.ts,
            self.rng.u32(0..8),
            self.rng.u32(0..100),
            self.rng.u32(0..64),
            self.rng.u64(50..20_000),
        );
        if ty == "stats_snapshot" {
            buf.push_str(r#","queue":{"high_priority":3,"normal_priority":40,"low_priority":12},"meta":{"workers_online":64}}"#);
        } else {
            buf.push_str(r#","meta":{"result_size":1832}}"#);
        }
    }
}

fn status_kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time (user + system) of the whole process so far, seconds (`/proc` reports it in
/// USER_HZ = 100 ticks per second).
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the `(comm)`: state is field 3; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / 100.0
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn source() -> SourceId {
    SourceId::new("bench", SourceKind::NexusWs, "flood")
}

/// Producer: generate, parse and send up to `rate` events/s (`None` = as fast as it goes) for
/// `run`. Returns events produced.
fn produce(sink: Sink, rate: Option<u64>, run: Duration) -> u64 {
    let mut g = Gen::new();
    let mut buf = String::with_capacity(512);
    let id = source();
    let start = Instant::now();
    let mut sent = 0_u64;
    while start.elapsed() < run {
        let target = rate.map_or(sent + 1024, |r| {
            (start.elapsed().as_secs_f64() * r as f64) as u64
        });
        while sent < target {
            g.frame(&mut buf);
            if let Ok(Frame::Event(event)) = parse_frame(buf.as_bytes()) {
                sink.send_event(EventUpdate::Event {
                    source: id.clone(),
                    received_at: SystemTime::now(),
                    event,
                });
            }
            sent += 1;
        }
        if rate.is_some() {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    sent
}

/// Consumer: apply every update until the producer is gone. Returns the model.
fn consume(rx: Updates, applied: &AtomicU64) -> TaskModel {
    let mut model = TaskModel::default();
    while let Some(u) = rx.recv().ok().and_then(SourceUpdate::into_agents) {
        model.apply(u, SystemTime::now());
        applied.fetch_add(1, Ordering::Relaxed);
    }
    model
}

fn flood() {
    let (sink, rx) = Sink::channel(CAPACITY, Arc::new(|| {}));
    let applied = Arc::new(AtomicU64::new(0));
    let hwm_start = status_kib("VmHWM:");
    let cpu_start = cpu_secs();
    let s = sink.clone();
    let producer = std::thread::Builder::new()
        .name("bench-producer".into())
        .spawn(move || produce(s, Some(RATE), RUN))
        .unwrap();
    let a = Arc::clone(&applied);
    let consumer = std::thread::Builder::new()
        .name("bench-consumer".into())
        .spawn(move || consume(rx, &a))
        .unwrap();

    println!(
        "### {RATE} events/s for {} s (channel capacity {CAPACITY})\n",
        RUN.as_secs()
    );
    println!(
        "| second | ingested this second | ingested total | dropped total | VmRSS MiB | VmHWM MiB |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    let start = Instant::now();
    let mut last = 0;
    let mut hwm_at = Vec::new();
    for sec in 1..=RUN.as_secs() {
        let wake = start + Duration::from_secs(sec);
        std::thread::sleep(wake.saturating_duration_since(Instant::now()));
        let total = applied.load(Ordering::Relaxed);
        let hwm = status_kib("VmHWM:");
        hwm_at.push(hwm);
        println!(
            "| {sec} | {} | {total} | {} | {:.1} | {:.1} |",
            total - last,
            sink.dropped(),
            mib(status_kib("VmRSS:")),
            mib(hwm)
        );
        last = total;
    }
    let produced = producer.join().unwrap();
    drop(sink);
    let model = consumer.join().unwrap();
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu_start;
    let total = applied.load(Ordering::Relaxed);
    let now = SystemTime::now();
    let stats = model.task_stats(Duration::from_secs(3600), now);
    let growth = hwm_at
        .last()
        .copied()
        .unwrap_or(0)
        .saturating_sub(hwm_at.get(1).copied().unwrap_or(0));
    println!();
    println!(
        "produced {produced}, ingested {total} ({:.0} events/s), dropped {}; model: {} distinct events, {} completed in the last hour (p95 {:.0} ms), {} workers online",
        total as f64 / elapsed,
        produced - total,
        model.events_total(),
        stats.completed,
        stats.completion.p95_ms.unwrap_or(0.0),
        model.workers.online_count(now),
    );
    println!(
        "CPU: {cpu:.1} s over {elapsed:.1} s ({:.0}% of one core, generator included)",
        cpu / elapsed * 100.0
    );
    println!(
        "peak memory: {:.1} MiB before, {:.1} MiB after 2 s, {:.1} MiB after {} s (growth from 2 s to the end: {:.1} MiB) -> {}",
        mib(hwm_start),
        mib(hwm_at.get(1).copied().unwrap_or(0)),
        mib(hwm_at.last().copied().unwrap_or(0)),
        RUN.as_secs(),
        mib(growth),
        if growth < 8 * 1024 {
            "bounded"
        } else {
            "NOT bounded"
        }
    );
    black_box(model);
}

fn capacity() {
    println!(
        "\n### Capacity (as fast as it goes, {} s each)\n",
        CAPACITY_RUN.as_secs()
    );
    println!("| path | events/s | dropped |");
    println!("|---|---:|---:|");
    // One thread: generate + parse + apply.
    let mut g = Gen::new();
    let mut buf = String::with_capacity(512);
    let mut model = TaskModel::default();
    let id = source();
    let start = Instant::now();
    let mut n = 0_u64;
    let mut gen_time = Duration::ZERO;
    while start.elapsed() < CAPACITY_RUN {
        for _ in 0..1024 {
            let t = Instant::now();
            g.frame(&mut buf);
            gen_time += t.elapsed();
            if let Ok(Frame::Event(event)) = parse_frame(buf.as_bytes()) {
                model.apply(
                    EventUpdate::Event {
                        source: id.clone(),
                        received_at: SystemTime::now(),
                        event,
                    },
                    SystemTime::now(),
                );
            }
            n += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64() - gen_time.as_secs_f64();
    println!(
        "| parse + `TaskModel::apply`, one thread (frame generation not timed) | {:.0} | 0 |",
        n as f64 / secs
    );
    black_box(model);
    // Two threads through the bounded channel.
    let (sink, rx) = Sink::channel(CAPACITY, Arc::new(|| {}));
    let applied = Arc::new(AtomicU64::new(0));
    let a = Arc::clone(&applied);
    let consumer = std::thread::Builder::new()
        .name("bench-consumer".into())
        .spawn(move || consume(rx, &a))
        .unwrap();
    let start = Instant::now();
    let produced = produce(sink.clone(), None, CAPACITY_RUN);
    let dropped = sink.dropped();
    drop(sink);
    let model = consumer.join().unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "| generate + parse → bounded channel → apply, two threads | {:.0} ingested ({:.0} produced) | {dropped} |",
        applied.load(Ordering::Relaxed) as f64 / secs,
        produced as f64 / secs
    );
    black_box(model);
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` does not: then only a short
    // smoke run, so the test suite stays quick.
    if !std::env::args().any(|a| a == "--bench") {
        let (sink, rx) = Sink::channel(CAPACITY, Arc::new(|| {}));
        let applied = Arc::new(AtomicU64::new(0));
        let a = Arc::clone(&applied);
        let consumer = std::thread::Builder::new()
            .name("bench-consumer".into())
            .spawn(move || consume(rx, &a))
            .unwrap();
        let produced = produce(sink, Some(5_000), Duration::from_millis(300));
        let model = consumer.join().unwrap();
        assert!(
            produced > 0 && model.events_total() > 0,
            "the ingest path delivers events"
        );
        println!(
            "events bench smoke run: {produced} events; run `cargo bench --bench events` for figures"
        );
        return;
    }
    println!("## Event ingest\n");
    flood();
    capacity();
    println!(
        "\npeak memory (VmHWM) of the whole bench process at the end: {:.1} MiB",
        mib(status_kib("VmHWM:"))
    );
}
