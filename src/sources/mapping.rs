//! Map a parsed exposition onto the canonical model, per server kind: the alias table for renamed
//! metrics, engines and models combined, exporters' GPUs, node_exporter's host figures, and the
//! host name an exporter reports for its machine.
//! Pure: input is an [`Exposition`], output a [`ScrapeData`]. A metric the server does not expose
//! stays `None` and is listed in `missing`; it never becomes 0. Every value is checked against
//! what its figure can be (a count or counter is never negative, a fraction is 0..1, a GPU
//! temperature −50..200 °C, a histogram's bounds increase strictly and its cumulative counts
//! never go down): a value out of range is `None` with a line in `problems`, never a figure.
//! `NaN` is "no value yet" (llama.cpp's `-nan` before the first request), not a problem.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use crate::format::raw_value;
use crate::model::derive::histogram_problem;
use crate::model::gpu::GpuSample;
use crate::model::scrape::{Histogram, HostRaw, InferenceRaw, Problems, ScrapeData, ServerKind};
use crate::sources::prometheus::{Exposition, Sample};

/// Canonical inference figures and the metric names (current first, then older aliases) that
/// carry them, per inference server kind.
struct InferenceNames {
    running: &'static [&'static str],
    waiting: &'static [&'static str],
    kv_cache: &'static [&'static str],
    prompt_tokens: &'static [&'static str],
    generation_tokens: &'static [&'static str],
    finished: &'static [&'static str],
    failed: &'static [&'static str],
    preemptions: &'static [&'static str],
    prefix_queries: &'static [&'static str],
    prefix_hits: &'static [&'static str],
    prefix_hit_frac: &'static [&'static str],
    gen_throughput: &'static [&'static str],
    ttft: &'static [&'static str],
    itl: &'static [&'static str],
    e2e: &'static [&'static str],
    /// The label that tells engines (data-parallel ranks) apart.
    engine_label: &'static str,
}

const VLLM: InferenceNames = InferenceNames {
    running: &["vllm:num_requests_running"],
    waiting: &["vllm:num_requests_waiting"],
    kv_cache: &["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"],
    prompt_tokens: &["vllm:prompt_tokens_total"],
    generation_tokens: &["vllm:generation_tokens_total"],
    finished: &["vllm:request_success_total"],
    failed: &[],
    preemptions: &["vllm:num_preemptions_total"],
    prefix_queries: &[
        "vllm:prefix_cache_queries_total",
        "vllm:gpu_prefix_cache_queries_total",
    ],
    prefix_hits: &[
        "vllm:prefix_cache_hits_total",
        "vllm:gpu_prefix_cache_hits_total",
    ],
    prefix_hit_frac: &["vllm:gpu_prefix_cache_hit_rate"],
    gen_throughput: &[],
    ttft: &["vllm:time_to_first_token_seconds"],
    itl: &[
        "vllm:inter_token_latency_seconds",
        "vllm:time_per_output_token_seconds",
    ],
    e2e: &["vllm:e2e_request_latency_seconds"],
    engine_label: "engine",
};

const SGLANG: InferenceNames = InferenceNames {
    running: &["sglang:num_running_reqs"],
    waiting: &["sglang:num_queue_reqs"],
    kv_cache: &["sglang:token_usage"],
    prompt_tokens: &["sglang:prompt_tokens_total"],
    generation_tokens: &["sglang:generation_tokens_total"],
    finished: &["sglang:num_requests_total"],
    failed: &["sglang:num_aborted_requests_total"],
    preemptions: &["sglang:num_retracted_reqs_total"],
    prefix_queries: &[],
    prefix_hits: &[],
    prefix_hit_frac: &["sglang:cache_hit_rate"],
    gen_throughput: &["sglang:gen_throughput"],
    ttft: &["sglang:time_to_first_token_seconds"],
    itl: &[
        "sglang:inter_token_latency_seconds",
        "sglang:time_per_output_token_seconds",
    ],
    e2e: &["sglang:e2e_request_latency_seconds"],
    engine_label: "tp_rank",
};

const LLAMACPP: InferenceNames = InferenceNames {
    running: &["llamacpp:requests_processing"],
    waiting: &["llamacpp:requests_deferred"],
    kv_cache: &["llamacpp:kv_cache_usage_ratio"],
    prompt_tokens: &["llamacpp:prompt_tokens_total"],
    generation_tokens: &["llamacpp:tokens_predicted_total"],
    finished: &[],
    failed: &[],
    preemptions: &[],
    prefix_queries: &[],
    prefix_hits: &[],
    prefix_hit_frac: &[],
    gen_throughput: &[],
    ttft: &[],
    itl: &[],
    e2e: &[],
    engine_label: "",
};

const TGI: InferenceNames = InferenceNames {
    running: &["tgi_batch_current_size"],
    waiting: &["tgi_queue_size"],
    kv_cache: &[],
    prompt_tokens: &["tgi_request_input_length_sum"],
    generation_tokens: &["tgi_request_generated_tokens_sum"],
    finished: &["tgi_request_success"],
    failed: &["tgi_request_failure"],
    preemptions: &[],
    prefix_queries: &[],
    prefix_hits: &[],
    prefix_hit_frac: &[],
    gen_throughput: &[],
    ttft: &[],
    itl: &["tgi_request_mean_time_per_token_duration"],
    e2e: &["tgi_request_duration"],
    engine_label: "",
};

fn names_for(kind: ServerKind) -> Option<&'static InferenceNames> {
    match kind {
        ServerKind::Vllm => Some(&VLLM),
        ServerKind::Sglang => Some(&SGLANG),
        ServerKind::Llamacpp => Some(&LLAMACPP),
        ServerKind::Tgi => Some(&TGI),
        _ => None,
    }
}

/// The prefix by which a kind is recognised.
fn prefix(kind: ServerKind) -> &'static str {
    match kind {
        ServerKind::Vllm => "vllm:",
        ServerKind::Sglang => "sglang:",
        ServerKind::Llamacpp => "llamacpp:",
        ServerKind::Tgi => "tgi_",
        ServerKind::Dcgm => "DCGM_FI_",
        ServerKind::NvidiaGpuExporter => "nvidia_smi_",
        ServerKind::NodeExporter => "node_",
        ServerKind::Agent => crate::sources::agent_metrics::PREFIX,
        // Never in an exposition: read from Ollama's API, never detected.
        ServerKind::Ollama => "\0ollama",
    }
}

/// Detect the server kind from the metric names: the first kind (in [`ServerKind::ALL`] order)
/// whose prefix some family carries.
#[must_use]
pub fn detect_kind(exp: &Exposition<'_>) -> Option<ServerKind> {
    ServerKind::ALL.into_iter().find(|k| {
        exp.families
            .iter()
            .any(|f| canonical_name(&f.name).starts_with(prefix(*k)))
    })
}

/// DCGM's "blank" sentinels (no value, not supported, not found, no permission): just above
/// the int32, fp64 and int64 blanks (`DCGM_INT32_BLANK` 0x7ffffff0, `DCGM_FP64_BLANK` 2^47,
/// `DCGM_INT64_BLANK` 0x7ffffffffffffff0). They are "no value", not a fault.
fn is_dcgm_blank(v: f64) -> bool {
    (2_147_483_632.0..=2_147_483_647.0).contains(&v)
        || (140_737_488_355_328.0..=140_737_488_355_335.0).contains(&v)
        || (9.0e18..9.3e18).contains(&v)
}

/// SGLang's router and newer dashboards write its metrics with `sglang_` (the `:` rewritten);
/// the engine writes `sglang:`. Both are read as `sglang:`.
const SGLANG_REWRITTEN: &str = "sglang_";

/// A sample name as the alias tables spell it.
fn canonical_name(name: &str) -> Cow<'_, str> {
    match name.strip_prefix(SGLANG_REWRITTEN) {
        Some(rest) => Cow::Owned(format!("sglang:{rest}")),
        None => Cow::Borrowed(name),
    }
}

/// An index of samples by (canonical) sample name.
struct Index<'e, 'a> {
    by_name: BTreeMap<Cow<'e, str>, Vec<&'e Sample<'a>>>,
}

impl<'e, 'a> Index<'e, 'a> {
    fn new(exp: &'e Exposition<'a>) -> Self {
        let mut by_name: BTreeMap<Cow<'e, str>, Vec<&'e Sample<'a>>> = BTreeMap::new();
        for s in exp.families.iter().flat_map(|f| f.samples.iter()) {
            if s.value.is_nan() {
                continue; // llama.cpp's `-nan` before the first request: no value yet
            }
            by_name
                .entry(canonical_name(s.name.as_ref()))
                .or_default()
                .push(s);
        }
        Self { by_name }
    }

    /// Samples of the first alias that exists.
    fn get(&self, aliases: &[&str]) -> Option<&[&'e Sample<'a>]> {
        aliases
            .iter()
            .find_map(|n| self.by_name.get(*n).map(Vec::as_slice))
    }

    fn has_any(&self, aliases: &[&str]) -> bool {
        aliases.iter().any(|n| {
            self.by_name.contains_key(*n)
                || self.by_name.contains_key(format!("{n}_bucket").as_str())
        })
    }
}

/// What a figure can be; a value outside is refused (n/a and a problem), never shown.
#[derive(Debug, Clone, Copy)]
enum Range {
    /// Requests running or waiting: 0 to a billion.
    Count,
    /// A cumulative counter (tokens, requests, CPU seconds): 0 to 1e18; never negative.
    Counter,
    /// A share: 0 to 1.
    Fraction,
    /// A rate per second: 0 to a billion.
    Rate,
    /// Bytes: 0 to 1e18.
    Bytes,
    /// Between two bounds, with the unit for the message.
    Between(f64, f64, &'static str),
}

impl Range {
    /// The bounds, inclusive.
    fn bounds(self) -> (f64, f64) {
        match self {
            Self::Count | Self::Rate => (0.0, 1e9),
            Self::Counter | Self::Bytes => (0.0, 1e18),
            // A rounding error past 1 is still a share.
            Self::Fraction => (0.0, 1.0 + 1e-9),
            Self::Between(lo, hi, _) => (lo, hi),
        }
    }

    /// What a value in range is, in words (only built for a refused value).
    fn what(self) -> String {
        match self {
            Self::Count => "a count (0 to 1e9)".to_owned(),
            Self::Counter => "a counter value (0 to 1e18; counters never go below 0)".to_owned(),
            Self::Fraction => "a fraction (0 to 1)".to_owned(),
            Self::Rate => "a rate (0 to 1e9 per second)".to_owned(),
            Self::Bytes => "a size in bytes (0 to 1e18)".to_owned(),
            Self::Between(lo, hi, unit) => {
                format!("in range ({} to {}{unit})", raw_value(lo), raw_value(hi))
            }
        }
    }

    /// `v` when it is in range, else why not. (Called for every sample: nothing is allocated
    /// unless the value is refused.)
    fn check(self, v: f64) -> Result<f64, String> {
        let (lo, hi) = self.bounds();
        if v.is_finite() && (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(format!("{} is not {}", raw_value(v), self.what()))
        }
    }
}

/// Which figure of an [`InferenceRaw`] a metric feeds (to void it when a value is refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Running,
    Waiting,
    PromptTokens,
    GenTokens,
    /// Finished and failed requests: one refused value voids both (their sum is the total).
    Finished,
    Preemptions,
    PrefixQueries,
    PrefixHits,
    GenThroughput,
    KvCache,
    PrefixHitFrac,
}

impl Field {
    fn void(self, r: &mut InferenceRaw) {
        match self {
            Self::Running => r.running = None,
            Self::Waiting => r.waiting = None,
            Self::PromptTokens => r.prompt_tokens_total = None,
            Self::GenTokens => r.generation_tokens_total = None,
            Self::Finished => {
                r.finished_by_reason.clear();
                r.failed_total = None;
            }
            Self::Preemptions => r.preemptions_total = None,
            Self::PrefixQueries => r.prefix_queries_total = None,
            Self::PrefixHits => r.prefix_hits_total = None,
            Self::GenThroughput => r.gen_throughput_tps = None,
            Self::KvCache => r.kv_cache_frac = None,
            Self::PrefixHitFrac => r.prefix_hit_frac = None,
        }
    }
}

/// Finish reasons kept per model; further reasons are counted under `other`.
const MAX_FINISH_REASONS: usize = 16;

/// Bucket bounds kept per histogram series; a longer one is refused (real ones have ~30).
const MAX_BUCKETS: usize = 1024;

/// CPUs read from node_exporter; a host claiming more is refused.
const MAX_CPUS: usize = 8192;

fn model_of(s: &Sample<'_>) -> Option<String> {
    s.label("model_name")
        .or_else(|| s.label("model"))
        .map(str::to_owned)
}

/// A model as messages name it.
fn model_words(m: Option<&str>) -> String {
    m.map_or_else(
        || "the server (no model label)".to_owned(),
        |m| format!("model {m}"),
    )
}

/// Inference figures being gathered from one exposition: per model, engines summed, every
/// value checked on the way in.
struct Gather<'p> {
    engine_label: &'static str,
    models: BTreeMap<Option<String>, InferenceRaw>,
    engines: BTreeMap<Option<String>, BTreeSet<String>>,
    /// Fractions are averaged over engines, not summed: (total, engines).
    averages: BTreeMap<(Option<String>, Field), (f64, u32)>,
    /// Figures voided because one of their values was refused.
    bad: BTreeSet<(Option<String>, Field)>,
    problems: &'p mut Problems,
}

impl Gather<'_> {
    fn model(&mut self, m: Option<String>) -> &mut InferenceRaw {
        self.models
            .entry(m.clone())
            .or_insert_with(|| InferenceRaw {
                model: m,
                ..InferenceRaw::default()
            })
    }

    /// Check `s`'s value for `field`; refused values void the figure (said once per figure).
    fn value(&mut self, s: &Sample<'_>, field: Field, range: Range, what: &str) -> Option<f64> {
        let m = model_of(s);
        if !self.engine_label.is_empty() {
            let e = s.label(self.engine_label).unwrap_or("").to_owned();
            self.engines.entry(m.clone()).or_default().insert(e);
        }
        self.model(m.clone());
        match range.check(s.value) {
            Ok(v) => Some(v),
            Err(why) => {
                let words = model_words(m.as_deref());
                if self.bad.insert((m, field)) {
                    self.problems.push(format!(
                        "{what} ({}) of {words}: {why}; shown as n/a",
                        s.name
                    ));
                }
                None
            }
        }
    }

    /// Sum every sample of the first alias present into `set`'s figure.
    fn sum(
        &mut self,
        idx: &Index<'_, '_>,
        aliases: &[&str],
        field: Field,
        range: Range,
        what: &str,
        set: fn(&mut InferenceRaw) -> &mut Option<f64>,
    ) {
        for s in idx.get(aliases).unwrap_or_default() {
            if let Some(v) = self.value(s, field, range, what) {
                let slot = set(self.model(model_of(s)));
                *slot = Some(slot.unwrap_or(0.0) + v);
            }
        }
    }

    /// Average every sample of the first alias present (a fraction per engine).
    fn average(&mut self, idx: &Index<'_, '_>, aliases: &[&str], field: Field, what: &str) {
        for s in idx.get(aliases).unwrap_or_default() {
            if let Some(v) = self.value(s, field, Range::Fraction, what) {
                let e = self
                    .averages
                    .entry((model_of(s), field))
                    .or_insert((0.0, 0));
                e.0 += v;
                e.1 += 1;
            }
        }
    }

    /// Finished requests by reason (`finished_reason` label, `stop` without one).
    fn finished(&mut self, idx: &Index<'_, '_>, aliases: &[&str]) {
        for s in idx.get(aliases).unwrap_or_default() {
            if let Some(v) = self.value(s, Field::Finished, Range::Counter, "finished requests") {
                let by = &mut self.model(model_of(s)).finished_by_reason;
                let mut reason = s.label("finished_reason").unwrap_or("stop");
                if by.len() >= MAX_FINISH_REASONS && !by.contains_key(reason) {
                    reason = "other";
                }
                *by.entry(reason.to_owned()).or_insert(0.0) += v;
            }
        }
    }

    fn finish(mut self) -> Vec<InferenceRaw> {
        for ((m, field), (total, n)) in std::mem::take(&mut self.averages) {
            let avg = Some(total / f64::from(n.max(1)));
            let r = self.model(m);
            match field {
                Field::KvCache => r.kv_cache_frac = avg,
                _ => r.prefix_hit_frac = avg,
            }
        }
        for (m, field) in std::mem::take(&mut self.bad) {
            field.void(self.model(m));
        }
        let engines = std::mem::take(&mut self.engines);
        for (m, r) in &mut self.models {
            r.engines = engines.get(m).map_or(1, |e| e.len().max(1));
        }
        self.models.into_values().collect()
    }
}

/// Map an inference server's exposition: one [`InferenceRaw`] per model, engines summed.
fn map_inference(
    idx: &Index<'_, '_>,
    names: &InferenceNames,
    missing: &mut Vec<String>,
    problems: &mut Problems,
) -> Vec<InferenceRaw> {
    let mut note = |aliases: &[&str], what: &str| {
        if !aliases.is_empty() && !idx.has_any(aliases) {
            missing.push(format!("{what} ({})", aliases[0]));
        }
    };
    note(names.running, "running");
    note(names.waiting, "waiting");
    note(names.kv_cache, "KV cache");
    note(names.generation_tokens, "generation tokens");
    note(names.ttft, "TTFT");
    note(names.e2e, "end-to-end latency");

    let mut g = Gather {
        engine_label: names.engine_label,
        models: BTreeMap::new(),
        engines: BTreeMap::new(),
        averages: BTreeMap::new(),
        bad: BTreeSet::new(),
        problems,
    };
    use Field as F;
    use Range as R;
    g.sum(
        idx,
        names.running,
        F::Running,
        R::Count,
        "running requests",
        |r| &mut r.running,
    );
    g.sum(
        idx,
        names.waiting,
        F::Waiting,
        R::Count,
        "waiting requests",
        |r| &mut r.waiting,
    );
    g.sum(
        idx,
        names.prompt_tokens,
        F::PromptTokens,
        R::Counter,
        "prompt tokens",
        |r| &mut r.prompt_tokens_total,
    );
    g.sum(
        idx,
        names.generation_tokens,
        F::GenTokens,
        R::Counter,
        "generation tokens",
        |r| &mut r.generation_tokens_total,
    );
    g.sum(
        idx,
        names.failed,
        F::Finished,
        R::Counter,
        "failed requests",
        |r| &mut r.failed_total,
    );
    g.sum(
        idx,
        names.preemptions,
        F::Preemptions,
        R::Counter,
        "preemptions",
        |r| &mut r.preemptions_total,
    );
    g.sum(
        idx,
        names.prefix_queries,
        F::PrefixQueries,
        R::Counter,
        "prefix-cache queries",
        |r| &mut r.prefix_queries_total,
    );
    g.sum(
        idx,
        names.prefix_hits,
        F::PrefixHits,
        R::Counter,
        "prefix-cache hits",
        |r| &mut r.prefix_hits_total,
    );
    g.sum(
        idx,
        names.gen_throughput,
        F::GenThroughput,
        R::Rate,
        "generation throughput",
        |r| &mut r.gen_throughput_tps,
    );
    g.finished(idx, names.finished);
    g.average(idx, names.kv_cache, F::KvCache, "KV cache usage");
    g.average(
        idx,
        names.prefix_hit_frac,
        F::PrefixHitFrac,
        "prefix-cache hit rate",
    );

    type Pick = fn(&mut InferenceRaw) -> &mut Option<Histogram>;
    let latencies: [(&[&str], &str, Pick); 3] = [
        (names.ttft, "TTFT", |r| &mut r.ttft),
        (names.itl, "inter-token latency", |r| &mut r.itl),
        (names.e2e, "end-to-end latency", |r| &mut r.e2e),
    ];
    for (aliases, what, pick) in latencies {
        for (m, h) in histograms(idx, aliases, what, g.problems) {
            *pick(g.model(m)) = Some(h);
        }
    }
    g.finish()
}

/// Histograms per model for the first alias present, summed over every other label set
/// (engines). A series whose buckets are unusable (bounds not strictly increasing, counts
/// negative or going down, `le` not a number) voids its model's histogram, with a problem.
fn histograms(
    idx: &Index<'_, '_>,
    aliases: &[&str],
    what: &str,
    problems: &mut Problems,
) -> BTreeMap<Option<String>, Histogram> {
    let mut out: BTreeMap<Option<String>, Histogram> = BTreeMap::new();
    for base in aliases {
        let bucket = format!("{base}_bucket");
        let Some(buckets) = idx.get(&[bucket.as_str()]) else {
            continue;
        };
        // Per (model, other labels) series, then merge per model.
        let mut series: BTreeMap<(Option<String>, String), Histogram> = BTreeMap::new();
        let mut bad: BTreeMap<Option<String>, String> = BTreeMap::new();
        let key = |s: &Sample<'_>| {
            let rest: Vec<String> = s
                .labels
                .iter()
                .filter(|(k, _)| k != "le" && k != "model_name" && k != "model")
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            (model_of(s), rest.join(","))
        };
        for s in buckets {
            let le = match s.label("le").map(|le| (le, parse_le(le))) {
                Some((_, Some(le))) => le,
                Some((text, None)) => {
                    bad.entry(model_of(s))
                        .or_insert_with(|| format!("bucket bound le=\"{text}\" is not a number"));
                    continue;
                }
                None => {
                    bad.entry(model_of(s))
                        .or_insert_with(|| "a bucket has no `le` label".to_owned());
                    continue;
                }
            };
            series
                .entry(key(s))
                .or_default()
                .buckets
                .push((le, s.value));
        }
        for (suffix, is_sum) in [("_sum", true), ("_count", false)] {
            for s in idx
                .get(&[format!("{base}{suffix}").as_str()])
                .unwrap_or_default()
            {
                if let Some(h) = series.get_mut(&key(s)) {
                    if is_sum {
                        h.sum = s.value;
                    } else {
                        h.count = s.value;
                    }
                }
            }
        }
        for ((m, _), h) in series {
            // Buckets as listed: a sorted copy would hide out-of-order or repeated bounds.
            let why = if h.buckets.len() > MAX_BUCKETS {
                Some(format!(
                    "{} buckets, more than {MAX_BUCKETS}",
                    h.buckets.len()
                ))
            } else if !h.count.is_finite() || h.count < 0.0 {
                Some(format!("_count is {}", raw_value(h.count)))
            } else if !h.sum.is_finite() {
                Some(format!("_sum is {}", raw_value(h.sum)))
            } else {
                histogram_problem(&h.buckets)
            };
            if let Some(why) = why {
                bad.entry(m).or_insert(why);
                continue;
            }
            out.entry(m).and_modify(|acc| acc.merge(&h)).or_insert(h);
        }
        for (m, why) in bad {
            out.remove(&m);
            problems.push(format!(
                "{what} histogram ({base}) of {}: {why}; its latencies are n/a",
                model_words(m.as_deref())
            ));
        }
        break;
    }
    out
}

fn parse_le(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" | "inf" | "+inf" => Some(f64::INFINITY),
        _ => s.parse().ok().filter(|v: &f64| !v.is_nan()),
    }
}

/// A GPU reading: `None` for DCGM's "blank" sentinels (no value, not a fault); a value out of
/// `range` is refused with a problem naming the GPU and the metric.
fn gpu_value(
    s: &Sample<'_>,
    gpu: impl FnOnce() -> String,
    range: Range,
    problems: &mut Problems,
) -> Option<f64> {
    if is_dcgm_blank(s.value) {
        return None;
    }
    match range.check(s.value) {
        Ok(v) => Some(v),
        Err(why) => {
            problems.push(format!("GPU {} {}: {why}; shown as n/a", gpu(), s.name));
            None
        }
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn bytes(v: f64) -> u64 {
    v.max(0.0) as u64
}

/// Percent readings.
const PERCENT: Range = Range::Between(0.0, 100.0, "%");
/// GPU temperatures.
const CELSIUS: Range = Range::Between(-50.0, 200.0, " °C");
/// GPU power and its limit.
const WATTS: Range = Range::Between(0.0, 10_000.0, " W");
/// GPU clocks.
const MHZ: Range = Range::Between(0.0, 100_000.0, " MHz");
/// Frame-buffer sizes in MiB (1e9 MiB is about a petabyte).
const MIB: Range = Range::Between(0.0, 1e9, " MiB");
/// Shares given as 0..1.
const RATIO: Range = Range::Between(0.0, 1.0, "");

type SetDcgm = fn(&mut GpuSample, &mut Option<f64>, f64);

/// dcgm-exporter's fields read, with their ranges and where each goes.
const DCGM_FIELDS: &[(&str, Range, SetDcgm)] = &[
    ("DCGM_FI_DEV_GPU_UTIL", PERCENT, |g, _, v| {
        g.util_pct = Some(v)
    }),
    ("DCGM_FI_DEV_FB_USED", MIB, |g, _, v| {
        g.mem_used_bytes = Some(bytes(v * 1_048_576.0))
    }),
    ("DCGM_FI_DEV_FB_FREE", MIB, |_, free, v| *free = Some(v)),
    ("DCGM_FI_DEV_GPU_TEMP", CELSIUS, |g, _, v| {
        g.temp_c = Some(v)
    }),
    ("DCGM_FI_DEV_POWER_USAGE", WATTS, |g, _, v| {
        g.power_w = Some(v)
    }),
    ("DCGM_FI_DEV_POWER_MGMT_LIMIT", WATTS, |g, _, v| {
        g.power_limit_w = Some(v)
    }),
    ("DCGM_FI_DEV_SM_CLOCK", MHZ, |g, _, v| {
        g.sm_clock_mhz = Some(v)
    }),
    ("DCGM_FI_DEV_MEM_CLOCK", MHZ, |g, _, v| {
        g.mem_clock_mhz = Some(v)
    }),
    ("DCGM_FI_DEV_FAN_SPEED", PERCENT, |g, _, v| {
        g.fan_pct = Some(v)
    }),
];

/// dcgm-exporter: one GPU per (`gpu`, `UUID`, MIG instance).
fn map_dcgm(idx: &Index<'_, '_>, problems: &mut Problems) -> Vec<GpuSample> {
    let mut gpus: BTreeMap<(u32, String, String), (GpuSample, Option<f64>)> = BTreeMap::new();
    for (name, range, set) in DCGM_FIELDS {
        for s in idx.get(&[name]).unwrap_or_default() {
            let (Some(gpu), Some(uuid)) = (
                s.label("gpu").and_then(|g| g.parse::<u32>().ok()),
                s.label("UUID").or_else(|| s.label("uuid")),
            ) else {
                continue; // label-less dummy series carry no GPU identity
            };
            let mig = s.label("GPU_I_ID").filter(|m| !m.is_empty()).map(|m| {
                s.label("GPU_I_PROFILE")
                    .map_or_else(|| format!("MIG {m}"), |p| format!("MIG {m} ({p})"))
            });
            let entry = gpus
                .entry((gpu, uuid.to_owned(), mig.clone().unwrap_or_default()))
                .or_insert_with(|| {
                    (
                        GpuSample {
                            index: Some(gpu),
                            uuid: Some(uuid.to_owned()),
                            name: s.label("modelName").map(str::to_owned),
                            mig,
                            ..GpuSample::default()
                        },
                        None,
                    )
                });
            if let Some(v) = gpu_value(s, || format!("{gpu} ({uuid})"), *range, problems) {
                set(&mut entry.0, &mut entry.1, v);
            }
        }
    }
    gpus.into_values()
        .map(|(mut g, free)| {
            if let (Some(used), Some(free)) = (g.mem_used_bytes, free) {
                g.mem_total_bytes = Some(used + bytes(free * 1_048_576.0));
            }
            g
        })
        .collect()
}

type SetGpu = fn(&mut GpuSample, f64);

/// nvidia_gpu_exporter's fields read, with their ranges and where each goes.
const NVIDIA_SMI_FIELDS: &[(&str, Range, SetGpu)] = &[
    ("nvidia_smi_utilization_gpu_ratio", RATIO, |g, v| {
        g.util_pct = Some(v * 100.0)
    }),
    ("nvidia_smi_memory_used_bytes", Range::Bytes, |g, v| {
        g.mem_used_bytes = Some(bytes(v))
    }),
    ("nvidia_smi_memory_total_bytes", Range::Bytes, |g, v| {
        g.mem_total_bytes = Some(bytes(v))
    }),
    ("nvidia_smi_temperature_gpu", CELSIUS, |g, v| {
        g.temp_c = Some(v)
    }),
    ("nvidia_smi_power_draw_watts", WATTS, |g, v| {
        g.power_w = Some(v)
    }),
    ("nvidia_smi_enforced_power_limit_watts", WATTS, |g, v| {
        g.power_limit_w = Some(v)
    }),
    (
        "nvidia_smi_clocks_current_sm_clock_hz",
        Range::Between(0.0, 1e11, " Hz"),
        |g, v| g.sm_clock_mhz = Some(v / 1e6),
    ),
    (
        "nvidia_smi_clocks_current_memory_clock_hz",
        Range::Between(0.0, 1e11, " Hz"),
        |g, v| g.mem_clock_mhz = Some(v / 1e6),
    ),
    ("nvidia_smi_fan_speed_ratio", RATIO, |g, v| {
        g.fan_pct = Some(v * 100.0)
    }),
    (
        "nvidia_smi_mig_mode_current",
        Range::Between(0.0, 1.0, ""),
        |g, v| g.mig = (v >= 1.0).then(|| "MIG enabled".to_owned()),
    ),
];

/// nvidia_gpu_exporter: identity from `nvidia_smi_gpu_info`, figures keyed by `uuid`.
fn map_nvidia_gpu_exporter(idx: &Index<'_, '_>, problems: &mut Problems) -> Vec<GpuSample> {
    let mut gpus: BTreeMap<String, GpuSample> = BTreeMap::new();
    for s in idx.get(&["nvidia_smi_gpu_info"]).unwrap_or_default() {
        let Some(uuid) = s.label("uuid") else {
            continue;
        };
        let g = gpus.entry(uuid.to_owned()).or_default();
        g.uuid = Some(uuid.to_owned());
        g.name = s.label("name").map(str::to_owned);
        g.index = s.label("index").and_then(|i| i.parse().ok());
    }
    for (name, range, set) in NVIDIA_SMI_FIELDS {
        for s in idx.get(&[name]).unwrap_or_default() {
            let Some(uuid) = s.label("uuid") else {
                continue;
            };
            let g = gpus.entry(uuid.to_owned()).or_default();
            g.uuid.get_or_insert_with(|| uuid.to_owned());
            if let Some(v) = gpu_value(s, || uuid.to_owned(), *range, problems) {
                set(g, v);
            }
        }
    }
    let mut v: Vec<GpuSample> = gpus.into_values().collect();
    v.sort_by(|a, b| a.index.cmp(&b.index).then_with(|| a.uuid.cmp(&b.uuid)));
    v
}

/// node_exporter's series that names its machine (`nodename`).
const NODE_UNAME_INFO: &str = "node_uname_info";

/// The host name dcgm-exporter reports (`Hostname`, `hostname` since 2026), from the first GPU
/// series that carries one.
fn dcgm_host_name(exp: &Exposition<'_>) -> Option<String> {
    exp.families
        .iter()
        .filter(|f| f.name.starts_with(prefix(ServerKind::Dcgm)))
        .flat_map(|f| f.samples.iter())
        .find_map(|s| s.label("Hostname").or_else(|| s.label("hostname")))
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
}

/// The host name node_exporter reports (`node_uname_info{nodename}`).
fn node_exporter_host_name(idx: &Index<'_, '_>) -> Option<String> {
    idx.get(&[NODE_UNAME_INFO])?
        .iter()
        .find_map(|s| s.label("nodename"))
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
}

/// node_exporter: per-CPU idle and total seconds, memory total and available. A refused CPU
/// counter voids the CPU figure (its rate needs every CPU), a refused memory figure the memory.
fn map_node_exporter(idx: &Index<'_, '_>, problems: &mut Problems) -> HostRaw {
    let mut host = HostRaw::default();
    let mut cpu_bad = None;
    for s in idx.get(&["node_cpu_seconds_total"]).unwrap_or_default() {
        let cpu = s.label("cpu").unwrap_or("");
        let v = match Range::Counter.check(s.value) {
            Ok(v) => v,
            Err(why) => {
                cpu_bad.get_or_insert_with(|| format!("CPU {cpu} {}: {why}", s.name));
                continue;
            }
        };
        if !host.cpu_idle_total_s.contains_key(cpu) && host.cpu_idle_total_s.len() >= MAX_CPUS {
            cpu_bad.get_or_insert_with(|| format!("more than {MAX_CPUS} CPUs"));
            continue;
        }
        let e = host
            .cpu_idle_total_s
            .entry(cpu.to_owned())
            .or_insert((0.0, 0.0));
        if s.label("mode") == Some("idle") {
            e.0 += v;
        }
        e.1 += v;
    }
    if let Some(why) = cpu_bad {
        host.cpu_idle_total_s.clear();
        problems.push(format!("host {why}; CPU use shown as n/a"));
    }
    let mut mem = |aliases: &[&str]| {
        let s = idx.get(aliases).and_then(|v| v.first())?;
        match Range::Bytes.check(s.value) {
            Ok(v) => Some(v),
            Err(why) => {
                problems.push(format!("host {}: {why}; memory shown as n/a", s.name));
                None
            }
        }
    };
    host.mem_total_bytes = mem(&["node_memory_MemTotal_bytes", "node_memory_total_bytes"]);
    host.mem_available_bytes = mem(&["node_memory_MemAvailable_bytes", "node_memory_free_bytes"]);
    if let (Some(t), Some(a)) = (host.mem_total_bytes, host.mem_available_bytes)
        && (a > t || t <= 0.0)
    {
        problems.push(format!(
            "host memory: {} bytes available of {} in all cannot be; memory shown as n/a",
            raw_value(a),
            raw_value(t)
        ));
        host.mem_available_bytes = None;
    }
    host
}

/// Every metric name the mapping reads, by role: what a Prometheus server is asked for
/// (`sources::promserver`), so that both ways of reading a fleet read the same names. SGLang's
/// names come in both spellings (`sglang:` and `sglang_`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// Read as they are: inference gauges, GPU fields (dcgm-exporter, nvidia_gpu_exporter),
    /// host memory and host name.
    pub gauges: Vec<String>,
    /// Generation token counters.
    pub generation_tokens: Vec<String>,
    /// Prompt token counters.
    pub prompt_tokens: Vec<String>,
    /// Finished-request counters (vLLM's carry `finished_reason`).
    pub finished: Vec<String>,
    /// Failed-request counters.
    pub failed: Vec<String>,
    /// Preemption counters.
    pub preemptions: Vec<String>,
    /// Prefix-cache query counters.
    pub prefix_queries: Vec<String>,
    /// Prefix-cache hit counters.
    pub prefix_hits: Vec<String>,
    /// Time-to-first-token histograms (base names).
    pub ttft: Vec<String>,
    /// Inter-token latency histograms (base names).
    pub itl: Vec<String>,
    /// End-to-end latency histograms (base names).
    pub e2e: Vec<String>,
}

/// The names of [`Names`], built from the alias tables.
#[must_use]
pub fn names() -> Names {
    fn add(out: &mut Vec<String>, names: &[&str]) {
        for n in names {
            out.push((*n).to_owned());
            if let Some(rest) = n.strip_prefix("sglang:") {
                out.push(format!("{SGLANG_REWRITTEN}{rest}"));
            }
        }
    }
    let mut out = Names::default();
    for t in [&VLLM, &SGLANG, &LLAMACPP, &TGI] {
        for g in [
            t.running,
            t.waiting,
            t.kv_cache,
            t.prefix_hit_frac,
            t.gen_throughput,
        ] {
            add(&mut out.gauges, g);
        }
        add(&mut out.generation_tokens, t.generation_tokens);
        add(&mut out.prompt_tokens, t.prompt_tokens);
        add(&mut out.finished, t.finished);
        add(&mut out.failed, t.failed);
        add(&mut out.preemptions, t.preemptions);
        add(&mut out.prefix_queries, t.prefix_queries);
        add(&mut out.prefix_hits, t.prefix_hits);
        add(&mut out.ttft, t.ttft);
        add(&mut out.itl, t.itl);
        add(&mut out.e2e, t.e2e);
    }
    let gpu = DCGM_FIELDS.iter().map(|f| f.0);
    let smi = NVIDIA_SMI_FIELDS.iter().map(|f| f.0);
    let host = [
        "nvidia_smi_gpu_info",
        NODE_UNAME_INFO,
        "node_memory_MemTotal_bytes",
        "node_memory_total_bytes",
        "node_memory_MemAvailable_bytes",
        "node_memory_free_bytes",
    ];
    let agent = crate::sources::agent_metrics::GAUGES.iter().copied();
    out.gauges
        .extend(gpu.chain(smi).chain(host).chain(agent).map(str::to_owned));
    out
}

/// Map an exposition with the given kind, or the detected one when `kind` is `None`.
#[must_use]
pub fn map(exp: &Exposition<'_>, kind: Option<ServerKind>, body_bytes: usize) -> ScrapeData {
    let kind = kind.or_else(|| detect_kind(exp));
    let idx = Index::new(exp);
    let mut data = ScrapeData {
        kind,
        parse_errors: exp.errors.clone(),
        samples: exp.sample_count(),
        body_bytes,
        ..ScrapeData::default()
    };
    let mut problems = Problems::default();
    match kind {
        Some(
            k @ (ServerKind::Vllm | ServerKind::Sglang | ServerKind::Llamacpp | ServerKind::Tgi),
        ) => {
            if let Some(names) = names_for(k) {
                data.inference = map_inference(&idx, names, &mut data.missing, &mut problems);
            }
        }
        Some(ServerKind::Dcgm) => {
            data.gpus = map_dcgm(&idx, &mut problems);
            data.host_name = dcgm_host_name(exp);
        }
        Some(ServerKind::NvidiaGpuExporter) => {
            data.gpus = map_nvidia_gpu_exporter(&idx, &mut problems);
        }
        Some(ServerKind::NodeExporter) => {
            data.host = Some(map_node_exporter(&idx, &mut problems));
            data.host_name = node_exporter_host_name(&idx);
        }
        Some(ServerKind::Agent) => {
            let (gpus, host_name, host) = crate::sources::agent_metrics::map(exp);
            data.gpus = gpus;
            data.host_name = host_name;
            data.host = Some(host);
        }
        // Ollama has no exposition to map (`sources::ollama` reads its API).
        Some(ServerKind::Ollama) | None => {}
    }
    data.problems = problems.into_lines();
    data
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sources::prometheus::{Format, parse};

    fn mapped(text: &str) -> ScrapeData {
        let exp = parse(text.as_bytes(), Format::Prometheus);
        assert!(exp.errors.is_empty(), "{:?}", exp.errors);
        map(&exp, None, text.len())
    }

    fn said(d: &ScrapeData, words: &[&str]) {
        assert!(
            d.problems
                .iter()
                .any(|p| words.iter().all(|w| p.contains(w))),
            "no problem saying {words:?} in {:#?}",
            d.problems
        );
    }

    #[test]
    fn out_of_range_gauges_are_na_with_a_problem() {
        let d = mapped(concat!(
            "vllm:num_requests_running{model_name=\"m\"} -5\n",
            "vllm:num_requests_waiting{model_name=\"m\"} 1e308\n",
            "vllm:kv_cache_usage_perc{model_name=\"m\"} 7.5\n",
            "vllm:kv_cache_usage_perc{model_name=\"inf\"} +Inf\n",
            "vllm:kv_cache_usage_perc{model_name=\"ok\"} 0.5\n",
        ));
        let m = |name: &str| {
            d.inference
                .iter()
                .find(|r| r.model.as_deref() == Some(name))
                .unwrap()
        };
        assert_eq!(m("m").running, None);
        assert_eq!(m("m").waiting, None);
        assert_eq!(m("m").kv_cache_frac, None);
        assert_eq!(m("inf").kv_cache_frac, None);
        assert_eq!(
            m("ok").kv_cache_frac,
            Some(0.5),
            "a good value still counts"
        );
        said(
            &d,
            &["vllm:num_requests_running", "model m", "-5 is not a count"],
        );
        said(&d, &["1e308 is not a count"]);
        said(&d, &["vllm:kv_cache_usage_perc", "7.5 is not a fraction"]);
        said(&d, &["model inf", "+Inf is not a fraction"]);
        assert!(d.problems.iter().all(|p| p.len() < 200), "{:?}", d.problems);
    }

    #[test]
    fn a_negative_counter_voids_the_figure_even_summed_over_engines() {
        let d = mapped(concat!(
            "vllm:generation_tokens_total{model_name=\"m\",engine=\"0\"} 5000\n",
            "vllm:generation_tokens_total{model_name=\"m\",engine=\"1\"} -7084\n",
            "vllm:prompt_tokens_total{model_name=\"m\",engine=\"0\"} 10\n",
            "vllm:prompt_tokens_total{model_name=\"m\",engine=\"1\"} 20\n",
        ));
        let r = &d.inference[0];
        assert_eq!(
            r.generation_tokens_total, None,
            "not 5000 (one engine) nor -2084 (the sum)"
        );
        assert_eq!(r.prompt_tokens_total, Some(30.0));
        assert_eq!(r.engines, 2);
        said(&d, &["generation tokens", "-7084", "never go below 0"]);
        assert_eq!(d.problems.len(), 1, "said once per figure");
    }

    #[test]
    fn bad_histograms_have_no_quantiles_and_say_why() {
        let hist = |model: &str, buckets: &[(&str, &str)]| {
            let mut s = String::new();
            for (le, c) in buckets {
                s.push_str(&format!(
                    "vllm:time_to_first_token_seconds_bucket{{model_name=\"{model}\",le=\"{le}\"}} {c}\n"
                ));
            }
            s.push_str(&format!(
                "vllm:time_to_first_token_seconds_sum{{model_name=\"{model}\"}} 1\nvllm:time_to_first_token_seconds_count{{model_name=\"{model}\"}} 10\n"
            ));
            s
        };
        let text = [
            hist("good", &[("0.1", "5"), ("0.5", "9"), ("+Inf", "10")]),
            hist("unsorted", &[("0.5", "9"), ("0.1", "5"), ("+Inf", "10")]),
            hist("twice", &[("0.1", "5"), ("0.1", "5"), ("+Inf", "10")]),
            hist("negative", &[("0.1", "-5"), ("0.5", "9"), ("+Inf", "10")]),
            hist("down", &[("0.1", "9"), ("0.5", "5"), ("+Inf", "10")]),
            hist("badle", &[("fast", "9"), ("+Inf", "10")]),
        ]
        .concat();
        let d = mapped(&text);
        for r in &d.inference {
            let name = r.model.as_deref().unwrap();
            assert_eq!(r.ttft.is_some(), name == "good", "{name}: {:?}", r.ttft);
        }
        said(&d, &["TTFT", "model unsorted", "le=0.1 comes after le=0.5"]);
        said(&d, &["model twice", "le=0.1 appears twice"]);
        said(&d, &["model negative", "count -5"]);
        said(&d, &["model down", "counts are cumulative"]);
        said(&d, &["model badle", "le=\"fast\" is not a number"]);
    }

    #[test]
    fn gpu_readings_out_of_range_are_refused_but_blanks_are_quiet() {
        let d = mapped(concat!(
            "DCGM_FI_DEV_GPU_TEMP{gpu=\"0\",UUID=\"GPU-a\"} 1e308\n",
            "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-a\"} 9223372036854775794\n",
            "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"GPU-a\"} 750\n",
            "DCGM_FI_DEV_SM_CLOCK{gpu=\"0\",UUID=\"GPU-a\"} 1980\n",
        ));
        let g = &d.gpus[0];
        assert_eq!((g.temp_c, g.power_w, g.util_pct), (None, None, None));
        assert_eq!(g.sm_clock_mhz, Some(1980.0));
        said(&d, &["GPU 0 (GPU-a)", "DCGM_FI_DEV_GPU_TEMP", "1e308"]);
        said(&d, &["DCGM_FI_DEV_GPU_UTIL", "750"]);
        assert_eq!(d.problems.len(), 2, "the blank power is no problem");
    }

    #[test]
    fn host_memory_and_cpu_out_of_range_are_refused() {
        let d = mapped(concat!(
            "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} -3\n",
            "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 5\n",
            "node_memory_MemTotal_bytes 100\n",
            "node_memory_MemAvailable_bytes 500\n",
        ));
        let h = d.host.clone().unwrap();
        assert!(h.cpu_idle_total_s.is_empty());
        assert_eq!(h.mem_available_bytes, None);
        said(&d, &["CPU 0", "-3"]);
        said(&d, &["memory", "500 bytes available of 100"]);
    }

    #[test]
    fn thousands_of_bad_values_cost_a_few_lines() {
        let text: String = (0..5000)
            .map(|i| format!("vllm:num_requests_running{{model_name=\"m{i}\"}} -1\n"))
            .collect();
        let d = mapped(&text);
        assert_eq!(d.problems.len(), Problems::MAX + 1);
        assert!(
            d.problems[Problems::MAX].contains("4980 more"),
            "{:?}",
            d.problems.last()
        );
    }

    #[test]
    fn finish_reasons_are_bounded() {
        let text: String = (0..100)
            .map(|i| {
                format!(
                    "vllm:request_success_total{{model_name=\"m\",finished_reason=\"r{i}\"}} 1\n"
                )
            })
            .collect();
        let d = mapped(&text);
        let by = &d.inference[0].finished_by_reason;
        assert_eq!(by.len(), MAX_FINISH_REASONS + 1);
        assert_eq!(by.get("other"), Some(&84.0));
        assert_eq!(
            by.values().sum::<f64>(),
            100.0,
            "nothing lost, only grouped"
        );
    }
}
