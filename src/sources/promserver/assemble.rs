//! A refresh's answers turned into one [`FleetTarget`] per target (`instance`, `job`): gauges
//! written back into exposition text and read by the same parser and mapping as a direct
//! scrape (so kinds, GPUs, host names and value checks are the same), rates and latencies taken
//! as the server derived them. Pure.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::api::{self, InstantSeries};
use super::queries::{Histo, Role, Stat};
use crate::model::HostStats;
use crate::model::derive::histogram_quantile;
use crate::model::identity::address_of;
use crate::model::ids::{SourceId, SourceKind};
use crate::model::inference::{InferenceStats, Latency, is_failure_reason};
use crate::model::input::{FleetData, FleetTarget, SourceError};
use crate::model::scrape::Histogram;
use crate::sources::{mapping, prometheus};

/// A target of the server: its `instance` and `job` labels.
pub type TargetKey = (String, String);

/// Per-model figures gathered from the rate and latency queries (names borrowed from the
/// answers).
#[derive(Debug, Default)]
struct Derived<'a> {
    gen_tps: Option<f64>,
    prompt_tps: Option<f64>,
    finished: BTreeMap<&'a str, f64>,
    failed: Option<f64>,
    preemptions: Option<f64>,
    prefix_queries: Option<f64>,
    prefix_hits: Option<f64>,
    ttft: Latency,
    itl: Latency,
    e2e: Latency,
    /// Bucket rates `(le, per second)` of TTFT, ITL and E2E, for their quantiles.
    buckets: [Vec<(f64, f64)>; 3],
}

#[derive(Debug, Default)]
struct Target<'a> {
    up: Option<bool>,
    gauges: String,
    gauge_series: usize,
    models: BTreeMap<Option<&'a str>, Derived<'a>>,
    cpu_pct: Option<f64>,
}

/// A finite, non-negative figure; anything else (NaN from `0/0`, a negative rate) is no figure.
fn figure(v: f64) -> Option<f64> {
    (v.is_finite() && v >= 0.0).then_some(v)
}

/// p50/p90/p95/p99 from bucket rates, by PromQL's own interpolation (`histogram_quantile`).
fn quantiles(l: &mut Latency, mut buckets: Vec<(f64, f64)>) {
    if buckets.is_empty() {
        return;
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let h = Histogram {
        buckets,
        ..Histogram::default()
    };
    l.p50_s = histogram_quantile(0.5, &h);
    l.p90_s = histogram_quantile(0.9, &h);
    l.p95_s = histogram_quantile(0.95, &h);
    l.p99_s = histogram_quantile(0.99, &h);
}

/// Write one series back as an exposition line (`name{labels} value`).
fn write_line(out: &mut String, s: &InstantSeries<'_>) {
    let Some(name) = s.labels.get("__name__") else {
        return;
    };
    out.push_str(name);
    out.push('{');
    let mut first = true;
    for (k, v) in s.labels.iter() {
        if k == "__name__" {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(k);
        out.push_str("=\"");
        for c in v.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push_str("} ");
    if s.value.is_nan() {
        out.push_str("NaN");
    } else if s.value.is_infinite() {
        out.push_str(if s.value > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        let _ = write!(out, "{}", s.value);
    }
    out.push('\n');
}

/// The source id of one target of `server`: node from the instance's host, a locator that
/// names the instance (so the identity rule finds its address), the job and the server.
#[must_use]
pub fn target_id(server: &str, (instance, job): &TargetKey) -> SourceId {
    let via = address_of(server).map_or_else(
        || server.to_owned(),
        |a| match a.port {
            Some(p) => format!("{}:{p}", a.host),
            None => a.host,
        },
    );
    let node = address_of(instance).map_or_else(|| instance.clone(), |a| a.host);
    SourceId::new(
        node,
        SourceKind::Prometheus,
        format!("http://{instance}/metrics?job={job}&via={via}"),
    )
}

/// Build every target from the answers of one refresh.
#[must_use]
pub fn assemble(server: &str, answers: &[(Role, Vec<InstantSeries<'_>>)]) -> Vec<FleetTarget> {
    // Hashed while ~100,000 series are sorted in (a string comparison per level of a tree was a
    // fifth of the assembly at 1,000 nodes), ordered once at the end.
    let mut targets: std::collections::HashMap<
        (&str, &str),
        Target<'_>,
        foldhash::fast::RandomState,
    > = std::collections::HashMap::default();
    for (role, series) in answers {
        let role = *role;
        for s in series {
            let k = (
                s.labels.get("instance").unwrap_or_default(),
                s.labels.get("job").unwrap_or_default(),
            );
            let t = targets.entry(k).or_default();
            let model = || s.labels.get("model_name");
            let v = figure(s.value);
            match role {
                Role::Up => t.up = Some(s.value == 1.0),
                Role::Gauges => {
                    write_line(&mut t.gauges, s);
                    t.gauge_series += 1;
                }
                Role::CpuBusy => t.cpu_pct = v.map(|p| p.min(100.0)),
                Role::GenTps => t.models.entry(model()).or_default().gen_tps = v,
                Role::PromptTps => t.models.entry(model()).or_default().prompt_tps = v,
                Role::Failed => t.models.entry(model()).or_default().failed = v,
                Role::Preemptions => t.models.entry(model()).or_default().preemptions = v,
                Role::PrefixQueries => {
                    t.models.entry(model()).or_default().prefix_queries = v;
                }
                Role::PrefixHits => t.models.entry(model()).or_default().prefix_hits = v,
                Role::Finished => {
                    if let Some(v) = v {
                        let reason = s.labels.get("finished_reason").unwrap_or_default();
                        *t.models
                            .entry(model())
                            .or_default()
                            .finished
                            .entry(reason)
                            .or_default() += v;
                    }
                }
                Role::Latency(h, Stat::Mean) => {
                    let d = t.models.entry(model()).or_default();
                    match h {
                        Histo::Ttft => d.ttft.mean_s = v,
                        Histo::Itl => d.itl.mean_s = v,
                        Histo::E2e => d.e2e.mean_s = v,
                    }
                }
                Role::Latency(h, Stat::Buckets) => {
                    let le = s.labels.get("le").and_then(api::value_of_le);
                    if let (Some(le), Some(v)) = (le, v) {
                        t.models.entry(model()).or_default().buckets[h as usize].push((le, v));
                    }
                }
            }
        }
    }
    let mut targets: Vec<_> = targets.into_iter().collect();
    targets.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    targets
        .into_iter()
        .filter(|(_, t)| t.up == Some(false) || t.gauge_series > 0 || !t.models.is_empty())
        .map(|((instance, job), t)| {
            let k = (instance.to_owned(), job.to_owned());
            FleetTarget {
                id: target_id(server, &k),
                result: target_result(server, &k, t),
            }
        })
        .collect()
}

fn target_result(server: &str, k: &TargetKey, t: Target<'_>) -> Result<FleetData, SourceError> {
    if t.up == Some(false) {
        return Err(SourceError::Other(format!(
            "{server} reports its last scrape of {} (job {}) failed (up == 0); see that target on the server's /targets page",
            k.0, k.1
        )));
    }
    let exp = prometheus::parse(t.gauges.as_bytes(), prometheus::Format::Prometheus);
    let mut scrape = mapping::map(&exp, None, t.gauges.len());
    // Counters and histograms were asked of the server as rates: not missing.
    scrape.missing.clear();
    let kind = scrape.kind;
    let mut inference: Vec<InferenceStats> = Vec::new();
    if kind.is_none_or(|k| k.is_inference()) {
        let mut gauges: BTreeMap<Option<String>, InferenceStats> = scrape
            .inference
            .iter()
            .map(|r| (r.model.clone(), InferenceStats::from_gauges(r)))
            .collect();
        for (model, d) in t.models {
            let model = model.map(str::to_owned);
            let s = gauges
                .entry(model.clone())
                .or_insert_with(|| InferenceStats {
                    model,
                    engines: 1,
                    ..InferenceStats::default()
                });
            fill(s, d);
        }
        inference = gauges.into_values().collect();
    }
    scrape.inference.clear();
    let host = scrape.host.as_ref().map(|h| HostStats {
        cpu_pct: t.cpu_pct,
        mem_pct: match (h.mem_total_bytes, h.mem_available_bytes) {
            (Some(total), Some(avail)) if total > 0.0 => Some((1.0 - avail / total) * 100.0),
            _ => None,
        },
    });
    Ok(FleetData {
        scrape,
        inference,
        host,
    })
}

/// Fill a model's figures from the server's rates, as `model::inference` derives them from
/// two scrapes: requests/s over every finish reason and failures, error share, prefix hits.
fn fill(s: &mut InferenceStats, d: Derived<'_>) {
    s.gen_tps = d.gen_tps.or(s.gen_tps);
    s.prompt_tps = d.prompt_tps;
    s.preemptions_per_s = d.preemptions;
    if !d.finished.is_empty() || d.failed.is_some() {
        let done: f64 = d.finished.values().sum::<f64>() + d.failed.unwrap_or(0.0);
        let failed = d.failed.unwrap_or(0.0)
            + d.finished
                .iter()
                .filter(|(r, _)| is_failure_reason(r))
                .map(|(_, v)| v)
                .sum::<f64>();
        s.requests_per_s = Some(done);
        if done > 0.0 {
            s.error_pct = Some(failed * 100.0 / done);
        }
    }
    s.finish_reasons_per_s = d
        .finished
        .into_iter()
        .filter(|(r, _)| !r.is_empty())
        .map(|(r, v)| (r.to_owned(), v))
        .collect();
    if let (Some(q), Some(h)) = (d.prefix_queries, d.prefix_hits)
        && q > 0.0
    {
        s.prefix_hit_pct = Some(h * 100.0 / q);
    }
    let [ttft, itl, e2e] = d.buckets;
    s.ttft = d.ttft;
    s.itl = d.itl;
    s.e2e = d.e2e;
    quantiles(&mut s.ttft, ttft);
    quantiles(&mut s.itl, itl);
    quantiles(&mut s.e2e, e2e);
}
