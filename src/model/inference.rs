//! Inference statistics derived from two or more scrapes of one target: token and request
//! rates over the last interval, latency quantiles and shares over a sliding window.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::derive::{
    counter_increase, counter_rate, histogram_delta, histogram_mean, histogram_quantile,
};
use super::scrape::{Histogram, InferenceRaw, ScrapeData, ServerKind};

/// Latency summary in seconds; each figure `None` when there were no observations.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Latency {
    /// Median.
    pub p50_s: Option<f64>,
    /// 90th percentile.
    pub p90_s: Option<f64>,
    /// 95th percentile.
    pub p95_s: Option<f64>,
    /// 99th percentile.
    pub p99_s: Option<f64>,
    /// Mean (Δsum/Δcount).
    pub mean_s: Option<f64>,
}

impl Latency {
    fn of(h: &Histogram) -> Self {
        Self {
            p50_s: histogram_quantile(0.5, h),
            p90_s: histogram_quantile(0.9, h),
            p95_s: histogram_quantile(0.95, h),
            p99_s: histogram_quantile(0.99, h),
            mean_s: histogram_mean(h),
        }
    }
}

/// Dashboard figures for one model on one inference server. `None` is "n/a".
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct InferenceStats {
    /// Model name, when the server says.
    pub model: Option<String>,
    /// Engines (data-parallel ranks) combined.
    pub engines: usize,
    /// Requests running now.
    pub running: Option<f64>,
    /// Requests waiting (queue depth).
    pub waiting: Option<f64>,
    /// KV cache usage, percent.
    pub kv_cache_pct: Option<f64>,
    /// Prompt tokens per second over the last interval.
    pub prompt_tps: Option<f64>,
    /// Generation tokens per second over the last interval.
    pub gen_tps: Option<f64>,
    /// Finished requests per second over the last interval.
    pub requests_per_s: Option<f64>,
    /// Share of finished requests that failed (abort/error), percent, over the window.
    pub error_pct: Option<f64>,
    /// Finished requests per second by reason, over the window.
    pub finish_reasons_per_s: BTreeMap<String, f64>,
    /// Preemptions per second over the last interval.
    pub preemptions_per_s: Option<f64>,
    /// Prefix-cache hit rate, percent, over the window (or the server's own figure).
    pub prefix_hit_pct: Option<f64>,
    /// Time to first token over the window.
    pub ttft: Latency,
    /// Inter-token latency over the window.
    pub itl: Latency,
    /// End-to-end latency over the window.
    pub e2e: Latency,
    /// Loaded-model details (Ollama).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loaded: Option<super::scrape::LoadedModel>,
    /// Busy and total slots (llama.cpp's `/slots`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slots: Option<super::scrape::Slots>,
}

impl InferenceStats {
    /// What one scrape tells without a second one: the gauges (running, waiting, KV cache, the
    /// server's own prefix-hit and throughput figures), the model's loaded-model details and
    /// slots; every rate and latency `None`.
    #[must_use]
    pub fn from_gauges(r: &InferenceRaw) -> Self {
        Self {
            model: r.model.clone(),
            engines: r.engines,
            running: r.running,
            waiting: r.waiting,
            kv_cache_pct: r.kv_cache_frac.map(|f| f * 100.0),
            prefix_hit_pct: r.prefix_hit_frac.map(|f| f * 100.0),
            gen_tps: r.gen_throughput_tps,
            loaded: r.loaded.clone(),
            slots: r.slots,
            ..Self::default()
        }
    }
}

/// Finish reasons that count as failures.
const FAILURE_REASONS: [&str; 3] = ["abort", "error", "failed"];

fn finished_total(r: &InferenceRaw) -> Option<f64> {
    if r.finished_by_reason.is_empty() && r.failed_total.is_none() {
        return None;
    }
    Some(r.finished_by_reason.values().sum::<f64>() + r.failed_total.unwrap_or(0.0))
}

/// Whether a finish reason counts as a failure (`abort`, `error`, `failed`).
#[must_use]
pub fn is_failure_reason(reason: &str) -> bool {
    FAILURE_REASONS.contains(&reason)
}

fn failed_total(r: &InferenceRaw) -> f64 {
    r.failed_total.unwrap_or(0.0)
        + r.finished_by_reason
            .iter()
            .filter(|(k, _)| is_failure_reason(k))
            .map(|(_, v)| v)
            .sum::<f64>()
}

fn find<'a>(data: &'a ScrapeData, model: Option<&String>) -> Option<&'a InferenceRaw> {
    data.inference.iter().find(|r| r.model.as_ref() == model)
}

fn secs(a: SystemTime, b: SystemTime) -> f64 {
    b.duration_since(a).unwrap_or_default().as_secs_f64()
}

fn window_latency(old: Option<&Histogram>, cur: Option<&Histogram>) -> Latency {
    match (old, cur) {
        (Some(o), Some(c)) => Latency::of(&histogram_delta(o, c)),
        _ => Latency::default(),
    }
}

/// Derive stats for every model in the newest scrape of `history` (oldest first).
/// The newest and the one before give rates; the newest and the oldest within `window` give
/// quantiles and shares. With one scrape only the gauges are known.
#[must_use]
pub fn derive_stats(
    history: &VecDeque<(SystemTime, ScrapeData)>,
    window: Duration,
) -> Vec<InferenceStats> {
    let Some((t_cur, cur)) = history.back() else {
        return Vec::new();
    };
    let prev = history.len().checked_sub(2).and_then(|i| history.get(i));
    let oldest = history
        .iter()
        .find(|(t, _)| t_cur.duration_since(*t).unwrap_or_default() <= window)
        .filter(|(t, _)| t < t_cur);
    if cur.kind.is_some_and(|k| !k.is_inference()) {
        return Vec::new();
    }
    cur.inference
        .iter()
        .map(|c| {
            let p = prev.and_then(|(t, d)| find(d, c.model.as_ref()).map(|r| (*t, r)));
            let o = oldest.and_then(|(t, d)| find(d, c.model.as_ref()).map(|r| (*t, r)));
            let mut s = InferenceStats::from_gauges(c);
            if let Some((tp, p)) = p {
                let dt = secs(tp, *t_cur);
                s.prompt_tps = counter_rate(p.prompt_tokens_total, c.prompt_tokens_total, dt);
                s.gen_tps = counter_rate(p.generation_tokens_total, c.generation_tokens_total, dt)
                    .or(s.gen_tps);
                s.requests_per_s = counter_rate(finished_total(p), finished_total(c), dt);
                s.preemptions_per_s = counter_rate(p.preemptions_total, c.preemptions_total, dt);
            }
            if let Some((to, o)) = o {
                let dt = secs(to, *t_cur);
                if let (Some(fo), Some(fc)) = (finished_total(o), finished_total(c)) {
                    let done = counter_increase(fo, fc);
                    if done > 0.0 {
                        s.error_pct =
                            Some(counter_increase(failed_total(o), failed_total(c)) * 100.0 / done);
                    }
                }
                if dt > 0.0 {
                    for (reason, v) in &c.finished_by_reason {
                        let before = o.finished_by_reason.get(reason).copied().unwrap_or(0.0);
                        s.finish_reasons_per_s
                            .insert(reason.clone(), counter_increase(before, *v) / dt);
                    }
                }
                if let (Some(qo), Some(qc), Some(ho), Some(hc)) = (
                    o.prefix_queries_total,
                    c.prefix_queries_total,
                    o.prefix_hits_total,
                    c.prefix_hits_total,
                ) {
                    let q = counter_increase(qo, qc);
                    if q > 0.0 {
                        s.prefix_hit_pct = Some(counter_increase(ho, hc) * 100.0 / q);
                    }
                }
                s.ttft = window_latency(o.ttft.as_ref(), c.ttft.as_ref());
                s.itl = window_latency(o.itl.as_ref(), c.itl.as_ref());
                s.e2e = window_latency(o.e2e.as_ref(), c.e2e.as_ref());
            }
            s
        })
        .collect()
}

/// Whether a kind's stats are inference stats (for callers that only hold the kind).
#[must_use]
pub fn is_inference(kind: Option<ServerKind>) -> bool {
    kind.is_some_and(ServerKind::is_inference)
}
