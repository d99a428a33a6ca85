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

/// Median throughput in MB/s of `f` over batches, plus what `f` last returned (sample count).
fn measure(bytes: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
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
    let run = Instant::now();
    while run.elapsed() < RUN {
        let t = Instant::now();
        for _ in 0..per_batch {
            black_box(f());
        }
        let secs = t.elapsed().as_secs_f64();
        rates.push(bytes as f64 * f64::from(per_batch) / secs / 1e6);
    }
    rates.sort_by(f64::total_cmp);
    (rates.get(rates.len() / 2).copied().unwrap_or(0.0), samples)
}

/// The 1-minute load average, when the system says (Linux): the machine may be shared, and a
/// busy one makes every figure here smaller.
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next().map(str::to_owned)
}

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/prometheus");
    let load_before = load_average();
    let mut rows = Vec::new();
    let mut ok = true;
    // Issue 8's target, on the largest real scrape.
    let mut alltypes_ok = false;
    for &(label, file, rename) in INPUTS {
        let raw = std::fs::read(format!("{dir}/{file}"))
            .unwrap_or_else(|e| panic!("cannot read fixture {file}: {e}"));
        let mut text = String::from_utf8(raw).unwrap_or_default();
        if rename {
            text = text.replace("vllm:", "vllm_");
        }
        let body = text.clone().into_bytes();
        let (ours, our_samples) = measure(body.len(), || {
            let e = parse(black_box(&body), Format::Prometheus);
            e.sample_count()
        });
        let (theirs, their_samples) = measure(body.len(), || {
            let lines = black_box(&text).lines().map(|l| Ok(l.to_owned()));
            prometheus_parse::Scrape::parse(lines).map_or(0, |s| s.samples.len())
        });
        let ratio = ours / theirs;
        // The ratio only means something where prometheus-parse reads the whole input.
        let comparable = rename || !file.contains("vllm");
        ok &= ours >= 400.0 && (ratio >= 8.0 || !comparable);
        if file.contains("alltypes") {
            alltypes_ok = ours >= 800.0 && ratio >= 16.0;
        }
        rows.push(format!(
            "| {label} | {} | {ours:.0} | {our_samples} | {theirs:.1} | {their_samples} | {ratio:.1}x |",
            body.len()
        ));
    }
    println!(
        "| input | bytes | swarmglass MB/s | samples | prometheus-parse 0.2.5 MB/s | samples | ratio |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!("{row}");
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
    let verdict = |met: bool| {
        if cfg!(debug_assertions) {
            "not judged (unoptimised test build; run `cargo bench --bench parse`)"
        } else if met {
            "met"
        } else {
            "NOT met"
        }
    };
    println!(
        "target (>= 800 MB/s and >= 16x prometheus-parse on alltypes): {}",
        verdict(alltypes_ok)
    );
    println!(
        "floor (>= 400 MB/s everywhere, >= 8x prometheus-parse where it parses every line): {}",
        verdict(ok)
    );
}
