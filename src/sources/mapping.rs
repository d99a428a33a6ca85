//! Map a parsed exposition onto the canonical model, per server kind: the alias table for renamed
//! metrics, engines and models combined, exporters' GPUs, node_exporter's host figures, and the
//! host name an exporter reports for its machine.
//! Pure: input is an [`Exposition`], output a [`ScrapeData`]. A metric the server does not expose
//! stays `None` and is listed in `missing`; it never becomes 0.

use std::collections::BTreeMap;

use crate::model::gpu::GpuSample;
use crate::model::scrape::{Histogram, HostRaw, InferenceRaw, ScrapeData, ServerKind};
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
    }
}

/// Detect the server kind from the metric names: the first kind (in [`ServerKind::ALL`] order)
/// whose prefix some family carries.
#[must_use]
pub fn detect_kind(exp: &Exposition<'_>) -> Option<ServerKind> {
    ServerKind::ALL
        .into_iter()
        .find(|k| exp.families.iter().any(|f| f.name.starts_with(prefix(*k))))
}

/// DCGM's "blank" sentinel values start here; anything this large is "no value".
const DCGM_BLANK: f64 = 9.0e18;

/// An index of samples by sample name.
struct Index<'e, 'a> {
    by_name: BTreeMap<&'e str, Vec<&'e Sample<'a>>>,
}

impl<'e, 'a> Index<'e, 'a> {
    fn new(exp: &'e Exposition<'a>) -> Self {
        let mut by_name: BTreeMap<&'e str, Vec<&'e Sample<'a>>> = BTreeMap::new();
        for s in exp.families.iter().flat_map(|f| f.samples.iter()) {
            if s.value.is_nan() {
                continue; // llama.cpp's `-nan` before the first request: no value yet
            }
            by_name.entry(s.name.as_ref()).or_default().push(s);
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
            self.by_name.contains_key(n)
                || self.by_name.contains_key(format!("{n}_bucket").as_str())
        })
    }
}

/// Add `v` to an optional running total.
fn sum(slot: &mut Option<f64>, v: f64) {
    *slot = Some(slot.unwrap_or(0.0) + v);
}

fn model_of(s: &Sample<'_>) -> Option<String> {
    s.label("model_name")
        .or_else(|| s.label("model"))
        .map(str::to_owned)
}

/// Map an inference server's exposition: one [`InferenceRaw`] per model, engines summed.
fn map_inference(
    idx: &Index<'_, '_>,
    names: &InferenceNames,
    missing: &mut Vec<String>,
) -> Vec<InferenceRaw> {
    let mut models: BTreeMap<Option<String>, InferenceRaw> = BTreeMap::new();
    let mut engines: BTreeMap<Option<String>, std::collections::BTreeSet<String>> = BTreeMap::new();
    let mut kv: BTreeMap<Option<String>, (f64, u32)> = BTreeMap::new();
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

    let mut add = |aliases: &[&str], f: fn(&mut InferenceRaw, &Sample<'_>)| {
        for s in idx.get(aliases).unwrap_or_default() {
            let m = model_of(s);
            if !names.engine_label.is_empty() {
                let e = s.label(names.engine_label).unwrap_or("").to_owned();
                engines.entry(m.clone()).or_default().insert(e);
            }
            f(
                models.entry(m.clone()).or_insert_with(|| InferenceRaw {
                    model: m,
                    ..InferenceRaw::default()
                }),
                s,
            );
        }
    };
    add(names.running, |r, s| sum(&mut r.running, s.value));
    add(names.waiting, |r, s| sum(&mut r.waiting, s.value));
    add(names.prompt_tokens, |r, s| {
        sum(&mut r.prompt_tokens_total, s.value)
    });
    add(names.generation_tokens, |r, s| {
        sum(&mut r.generation_tokens_total, s.value)
    });
    add(names.failed, |r, s| sum(&mut r.failed_total, s.value));
    add(names.preemptions, |r, s| {
        sum(&mut r.preemptions_total, s.value)
    });
    add(names.prefix_queries, |r, s| {
        sum(&mut r.prefix_queries_total, s.value)
    });
    add(names.prefix_hits, |r, s| {
        sum(&mut r.prefix_hits_total, s.value)
    });
    add(names.gen_throughput, |r, s| {
        sum(&mut r.gen_throughput_tps, s.value)
    });
    add(names.finished, |r, s| {
        let reason = s.label("finished_reason").unwrap_or("stop").to_owned();
        *r.finished_by_reason.entry(reason).or_insert(0.0) += s.value;
    });
    // Fractions are averaged over engines, not summed.
    for s in idx.get(names.kv_cache).unwrap_or_default() {
        let e = kv.entry(model_of(s)).or_insert((0.0, 0));
        e.0 += s.value;
        e.1 += 1;
    }
    let mut hit: BTreeMap<Option<String>, (f64, u32)> = BTreeMap::new();
    for s in idx.get(names.prefix_hit_frac).unwrap_or_default() {
        let e = hit.entry(model_of(s)).or_insert((0.0, 0));
        e.0 += s.value;
        e.1 += 1;
    }
    for (m, (total, n)) in kv {
        models
            .entry(m.clone())
            .or_insert_with(|| InferenceRaw {
                model: m,
                ..InferenceRaw::default()
            })
            .kv_cache_frac = Some(total / f64::from(n));
    }
    for (m, (total, n)) in hit {
        models
            .entry(m.clone())
            .or_insert_with(|| InferenceRaw {
                model: m,
                ..InferenceRaw::default()
            })
            .prefix_hit_frac = Some(total / f64::from(n));
    }
    for (aliases, pick) in [
        (
            names.ttft,
            (|r: &mut InferenceRaw| &mut r.ttft) as fn(&mut InferenceRaw) -> &mut Option<Histogram>,
        ),
        (names.itl, |r: &mut InferenceRaw| &mut r.itl),
        (names.e2e, |r: &mut InferenceRaw| &mut r.e2e),
    ] {
        for (m, h) in histograms(idx, aliases) {
            let r = models.entry(m.clone()).or_insert_with(|| InferenceRaw {
                model: m,
                ..InferenceRaw::default()
            });
            *pick(r) = Some(h);
        }
    }
    for (m, r) in &mut models {
        r.engines = engines.get(m).map_or(1, |e| e.len().max(1));
    }
    models.into_values().collect()
}

/// Histograms per model for the first alias present, summed over every other label set (engines).
fn histograms(idx: &Index<'_, '_>, aliases: &[&str]) -> BTreeMap<Option<String>, Histogram> {
    let mut out: BTreeMap<Option<String>, Histogram> = BTreeMap::new();
    for base in aliases {
        let bucket = format!("{base}_bucket");
        let Some(buckets) = idx.get(&[bucket.as_str()]) else {
            continue;
        };
        // Per (model, other labels) series, then merge per model.
        let mut series: BTreeMap<(Option<String>, String), Histogram> = BTreeMap::new();
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
            let Some(le) = s.label("le").and_then(parse_le) else {
                continue;
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
                        h.sum = s.value
                    } else {
                        h.count = s.value
                    }
                }
            }
        }
        for ((m, _), mut h) in series {
            h.buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
            out.entry(m).and_modify(|acc| acc.merge(&h)).or_insert(h);
        }
        break;
    }
    out
}

fn parse_le(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" | "inf" | "+inf" => Some(f64::INFINITY),
        _ => s.parse().ok(),
    }
}

fn gpu_value(v: f64) -> Option<f64> {
    (v.is_finite() && v.abs() < DCGM_BLANK).then_some(v)
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn bytes(v: f64) -> u64 {
    v.max(0.0) as u64
}

/// dcgm-exporter: one GPU per (`gpu`, `UUID`, MIG instance).
fn map_dcgm(idx: &Index<'_, '_>) -> Vec<GpuSample> {
    let mut gpus: BTreeMap<(u32, String, String), (GpuSample, Option<f64>)> = BTreeMap::new();
    type SetDcgm = fn(&mut GpuSample, &mut Option<f64>, f64);
    let fields: &[(&str, SetDcgm)] = &[
        ("DCGM_FI_DEV_GPU_UTIL", |g, _, v| g.util_pct = Some(v)),
        ("DCGM_FI_DEV_FB_USED", |g, _, v| {
            g.mem_used_bytes = Some(bytes(v * 1_048_576.0))
        }),
        ("DCGM_FI_DEV_FB_FREE", |_, free, v| *free = Some(v)),
        ("DCGM_FI_DEV_GPU_TEMP", |g, _, v| g.temp_c = Some(v)),
        ("DCGM_FI_DEV_POWER_USAGE", |g, _, v| g.power_w = Some(v)),
        ("DCGM_FI_DEV_POWER_MGMT_LIMIT", |g, _, v| {
            g.power_limit_w = Some(v)
        }),
        ("DCGM_FI_DEV_SM_CLOCK", |g, _, v| g.sm_clock_mhz = Some(v)),
        ("DCGM_FI_DEV_MEM_CLOCK", |g, _, v| g.mem_clock_mhz = Some(v)),
        ("DCGM_FI_DEV_FAN_SPEED", |g, _, v| g.fan_pct = Some(v)),
    ];
    for (name, set) in fields {
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
            if let Some(v) = gpu_value(s.value) {
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

/// nvidia_gpu_exporter: identity from `nvidia_smi_gpu_info`, figures keyed by `uuid`.
fn map_nvidia_gpu_exporter(idx: &Index<'_, '_>) -> Vec<GpuSample> {
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
    type SetGpu = fn(&mut GpuSample, f64);
    let fields: &[(&str, SetGpu)] = &[
        ("nvidia_smi_utilization_gpu_ratio", |g, v| {
            g.util_pct = Some(v * 100.0)
        }),
        ("nvidia_smi_memory_used_bytes", |g, v| {
            g.mem_used_bytes = Some(bytes(v))
        }),
        ("nvidia_smi_memory_total_bytes", |g, v| {
            g.mem_total_bytes = Some(bytes(v))
        }),
        ("nvidia_smi_temperature_gpu", |g, v| g.temp_c = Some(v)),
        ("nvidia_smi_power_draw_watts", |g, v| g.power_w = Some(v)),
        ("nvidia_smi_enforced_power_limit_watts", |g, v| {
            g.power_limit_w = Some(v)
        }),
        ("nvidia_smi_clocks_current_sm_clock_hz", |g, v| {
            g.sm_clock_mhz = Some(v / 1e6)
        }),
        ("nvidia_smi_clocks_current_memory_clock_hz", |g, v| {
            g.mem_clock_mhz = Some(v / 1e6)
        }),
        ("nvidia_smi_fan_speed_ratio", |g, v| {
            g.fan_pct = Some(v * 100.0)
        }),
        ("nvidia_smi_mig_mode_current", |g, v| {
            g.mig = (v >= 1.0).then(|| "MIG enabled".to_owned())
        }),
    ];
    for (name, set) in fields {
        for s in idx.get(&[name]).unwrap_or_default() {
            let Some(uuid) = s.label("uuid") else {
                continue;
            };
            let g = gpus.entry(uuid.to_owned()).or_default();
            g.uuid.get_or_insert_with(|| uuid.to_owned());
            if let Some(v) = gpu_value(s.value) {
                set(g, v);
            }
        }
    }
    let mut v: Vec<GpuSample> = gpus.into_values().collect();
    v.sort_by(|a, b| a.index.cmp(&b.index).then_with(|| a.uuid.cmp(&b.uuid)));
    v
}

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
    idx.get(&["node_uname_info"])?
        .iter()
        .find_map(|s| s.label("nodename"))
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
}

/// node_exporter: per-CPU idle and total seconds, memory total and available.
fn map_node_exporter(idx: &Index<'_, '_>) -> HostRaw {
    let mut host = HostRaw::default();
    for s in idx.get(&["node_cpu_seconds_total"]).unwrap_or_default() {
        let cpu = s.label("cpu").unwrap_or("").to_owned();
        let e = host.cpu_idle_total_s.entry(cpu).or_insert((0.0, 0.0));
        if s.label("mode") == Some("idle") {
            e.0 += s.value;
        }
        e.1 += s.value;
    }
    host.mem_total_bytes = idx
        .get(&["node_memory_MemTotal_bytes", "node_memory_total_bytes"])
        .and_then(|v| v.first())
        .map(|s| s.value);
    host.mem_available_bytes = idx
        .get(&["node_memory_MemAvailable_bytes", "node_memory_free_bytes"])
        .and_then(|v| v.first())
        .map(|s| s.value);
    host
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
    match kind {
        Some(
            k @ (ServerKind::Vllm | ServerKind::Sglang | ServerKind::Llamacpp | ServerKind::Tgi),
        ) => {
            if let Some(names) = names_for(k) {
                data.inference = map_inference(&idx, names, &mut data.missing);
            }
        }
        Some(ServerKind::Dcgm) => {
            data.gpus = map_dcgm(&idx);
            data.host_name = dcgm_host_name(exp);
        }
        Some(ServerKind::NvidiaGpuExporter) => data.gpus = map_nvidia_gpu_exporter(&idx),
        Some(ServerKind::NodeExporter) => {
            data.host = Some(map_node_exporter(&idx));
            data.host_name = node_exporter_host_name(&idx);
        }
        None => {}
    }
    data
}
