//! Parse throughput of our Prometheus text parser next to `prometheus-parse` 0.2.5, on two real
//! scrapes. Plain `std::time::Instant`, no harness:
//!
//! ```text
//! cargo bench --bench parse
//! ```
//!
//! For each input and parser: warm up, then run batches of parses for about two seconds and
//! report the median batch throughput (MB/s, 1 MB = 10^6 bytes of body). Both parsers get the
//! body from memory; `prometheus-parse` is fed owned lines, which is what its API takes.
//!
//! The development VM is shared with other builds, and on a busy machine wall-clock figures
//! measure the neighbours as much as the code. So each run is also timed in CPU time of the
//! measuring thread (Linux `/proc/thread-self/schedstat`, whole run, so the scheduler tick it
//! advances by is 0.2 % of it), and printed as a second table with the load average.

use std::hint::black_box;
use std::time::{Duration, Instant};

use swarmglass::sources::prometheus::{Format, parse};

/// (label, fixture file, rename `vllm:` to `vllm_`). `prometheus-parse` matches names with `\w+`,
/// so it silently skips every `vllm:` line of the real vLLM scrape (it keeps 16 of 185 samples);
/// the renamed copy makes it do the full work, for a like-for-like comparison.
const INPUTS: &[(&str, &str, bool)] = &[
    (
        "alltypes.237mfs.prom.txt",
        "prometheus__alltypes.237mfs.prom.txt",
        false,
    ),
    ("vllm_metrics.txt", "datadog__vllm_metrics.txt", false),
    (
        "vllm_metrics.txt, `vllm:` renamed `vllm_`",
        "datadog__vllm_metrics.txt",
        true,
    ),
];

const WARMUP: Duration = Duration::from_millis(300);
const RUN: Duration = Duration::from_secs(2);
const BATCH: Duration = Duration::from_millis(20);

/// Throughput of one parser on one input.
struct Rate {
    /// Median over batches, wall clock, MB/s.
    wall: f64,
    /// Whole run, CPU time of this thread, MB/s (`None` where the system does not say).
    cpu: Option<f64>,
    /// What the parse returned (sample count).
    samples: usize,
}

/// CPU time this thread has run so far (Linux; `None` elsewhere).
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Throughput of `f`, which parses `bytes` bytes and returns the sample count.
fn measure(bytes: usize, mut f: impl FnMut() -> usize) -> Rate {
    let mut samples = 0;
    let start = Instant::now();
    while start.elapsed() < WARMUP {
        samples = black_box(f());
    }
    // Size batches so that one takes about BATCH; timer overhead is then negligible.
    let t = Instant::now();
    let mut per_batch = 0u32;
    while t.elapsed() < BATCH {
        black_box(f());
        per_batch += 1;
    }
    let mut rates = Vec::new();
    let cpu_start = thread_cpu();
    let run = Instant::now();
    while run.elapsed() < RUN {
        let t = Instant::now();
        for _ in 0..per_batch {
            black_box(f());
        }
        let secs = t.elapsed().as_secs_f64();
        rates.push(bytes as f64 * f64::from(per_batch) / secs / 1e6);
    }
    let parsed = bytes as f64 * f64::from(per_batch) * rates.len() as f64;
    let cpu = match (cpu_start, thread_cpu()) {
        (Some(a), Some(b)) if b > a => Some(parsed / (b - a).as_secs_f64() / 1e6),
        _ => None,
    };
    rates.sort_by(f64::total_cmp);
    Rate {
        wall: rates.get(rates.len() / 2).copied().unwrap_or(0.0),
        cpu,
        samples,
    }
}

/// The 1-minute load average, when the system says (Linux).
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next().map(str::to_owned)
}

/// One input's results, both parsers.
struct Row {
    label: &'static str,
    bytes: usize,
    ours: Rate,
    theirs: Rate,
    /// prometheus-parse reads every line of this input, so the ratio compares like with like.
    comparable: bool,
    /// Issue 8's target applies to this input (the largest real scrape).
    targeted: bool,
}

/// Does `ours`/`theirs` meet the bar for `row`? `target`: issue 8's (alltypes only), else the
/// floor that every input must clear.
fn meets(row: &Row, ours: f64, theirs: f64, target: bool) -> bool {
    let ratio = ours / theirs;
    if target {
        !row.targeted || (ours >= 800.0 && ratio >= 16.0)
    } else {
        ours >= 400.0 && (ratio >= 8.0 || !row.comparable)
    }
}

fn print_table(rows: &[Row], pick: impl Fn(&Rate) -> Option<f64>) {
    println!(
        "| input | bytes | swarmglass MB/s | samples | prometheus-parse 0.2.5 MB/s | samples | ratio |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let (Some(ours), Some(theirs)) = (pick(&r.ours), pick(&r.theirs)) else {
            continue;
        };
        println!(
            "| {} | {} | {ours:.0} | {} | {theirs:.1} | {} | {:.1}x |",
            r.label,
            r.bytes,
            r.ours.samples,
            r.theirs.samples,
            ours / theirs
        );
    }
}

fn verdict(met: bool) -> &'static str {
    if cfg!(debug_assertions) {
        "not judged (unoptimised test build; run `cargo bench --bench parse`)"
    } else if met {
        "met"
    } else {
        "NOT met"
    }
}

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/prometheus");
    let load_before = load_average();
    let mut rows = Vec::new();
    for &(label, file, rename) in INPUTS {
        let raw = std::fs::read(format!("{dir}/{file}"))
            .unwrap_or_else(|e| panic!("cannot read fixture {file}: {e}"));
        let mut text = String::from_utf8(raw).unwrap_or_default();
        if rename {
            text = text.replace("vllm:", "vllm_");
        }
        let body = text.clone().into_bytes();
        let ours = measure(body.len(), || {
            let e = parse(black_box(&body), Format::Prometheus);
            e.sample_count()
        });
        let theirs = measure(body.len(), || {
            let lines = black_box(&text).lines().map(|l| Ok(l.to_owned()));
            prometheus_parse::Scrape::parse(lines).map_or(0, |s| s.samples.len())
        });
        rows.push(Row {
            label,
            bytes: body.len(),
            ours,
            theirs,
            comparable: rename || !file.contains("vllm"),
            targeted: file.contains("alltypes"),
        });
    }
    println!("Wall clock (median of batches):");
    println!();
    print_table(&rows, |r| Some(r.wall));
    let cpu_known = rows
        .iter()
        .all(|r| r.ours.cpu.is_some() && r.theirs.cpu.is_some());
    if cpu_known {
        println!();
        println!("Per CPU-second of the measuring thread (whole run):");
        println!();
        print_table(&rows, |r| r.cpu);
    }
    println!();
    println!(
        "median of {}-ms batches over {} s after {} ms warm-up; 1 MB = 10^6 bytes",
        BATCH.as_millis(),
        RUN.as_secs(),
        WARMUP.as_millis()
    );
    println!(
        "prometheus-parse counts a histogram or summary series as one sample; ours counts lines"
    );
    if let (Some(before), Some(after)) = (load_before, load_average()) {
        println!("1-minute load average: {before} before, {after} after");
    }
    for (target, what) in [
        (
            true,
            "target (>= 800 MB/s and >= 16x prometheus-parse on alltypes)",
        ),
        (
            false,
            "floor (>= 400 MB/s everywhere, >= 8x prometheus-parse where it parses every line)",
        ),
    ] {
        let wall = rows
            .iter()
            .all(|r| meets(r, r.ours.wall, r.theirs.wall, target));
        let cpu = rows.iter().all(|r| match (r.ours.cpu, r.theirs.cpu) {
            (Some(o), Some(t)) => meets(r, o, t, target),
            _ => false,
        });
        if cpu_known {
            println!(
                "{what}: wall clock {}, per CPU-second {}",
                verdict(wall),
                verdict(cpu)
            );
        } else {
            println!("{what}: {}", verdict(wall));
        }
    }
}
