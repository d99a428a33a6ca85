//! Pure text rendering of the simulated endpoints: the vLLM V1 `/metrics` body, the
//! dcgm-exporter-like `/gpu/metrics` body and the smart proxy's `/status` JSON, each a function
//! of (profile, elapsed time, faults).
//!
//! No I/O and no clock here: the servers in `sim/mod.rs` pass the elapsed time in, so the same
//! seed and the same `elapsed` always give byte-identical bodies.

use std::time::Duration;

use serde::Serialize;

use super::Fault;
use super::profile::{
    FINISHED_REASONS, GPU_FB_TOTAL_MIB, GPU_MODEL_NAME, LatencyDistribution, NodeProfile,
};

/// Driver version the simulated dcgm-exporter reports.
const DRIVER_VERSION: &str = "550.90.07";

/// HELP text of a family rendered here (vLLM V1 and dcgm-exporter wording).
fn help(name: &str) -> &'static str {
    match name {
        "python_info" => "Python platform information",
        "process_resident_memory_bytes" => "Resident memory size in bytes.",
        "process_start_time_seconds" => "Start time of the process since unix epoch in seconds.",
        "process_cpu_seconds_total" => "Total user and system CPU time spent in seconds.",
        "vllm:cache_config_info" => "Information of the LLMEngine CacheConfig",
        "vllm:num_requests_running" => "Number of requests in model execution batches.",
        "vllm:num_requests_waiting" => "Number of requests waiting to be processed.",
        "vllm:kv_cache_usage_perc" => "KV-cache usage. 1 means 100 percent usage.",
        "vllm:num_preemptions_total" => "Cumulative number of preemption from the engine.",
        "vllm:prompt_tokens_total" => "Number of prefill tokens processed.",
        "vllm:generation_tokens_total" => "Number of generation tokens processed.",
        "vllm:request_success_total" => "Count of successfully processed requests.",
        "vllm:prefix_cache_queries_total" => {
            "Prefix cache queries, in terms of number of queried tokens."
        }
        "vllm:prefix_cache_hits_total" => "Prefix cache hits, in terms of number of cached tokens.",
        "vllm:time_to_first_token_seconds" => "Histogram of time to first token in seconds.",
        "vllm:inter_token_latency_seconds" => "Histogram of inter-token latency in seconds.",
        "vllm:e2e_request_latency_seconds" => "Histogram of e2e request latency in seconds.",
        "vllm:request_queue_time_seconds" => {
            "Histogram of time spent in WAITING phase for request."
        }
        "vllm:request_prefill_time_seconds" => {
            "Histogram of time spent in PREFILL phase for request."
        }
        "vllm:request_decode_time_seconds" => {
            "Histogram of time spent in DECODE phase for request."
        }
        "DCGM_FI_DEV_SM_CLOCK" => "SM clock frequency (in MHz).",
        "DCGM_FI_DEV_GPU_TEMP" => "GPU temperature (in C).",
        "DCGM_FI_DEV_POWER_USAGE" => "Power draw (in W).",
        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION" => "Total energy consumption since boot (in mJ).",
        "DCGM_FI_DEV_GPU_UTIL" => "GPU utilization (in %).",
        "DCGM_FI_DEV_XID_ERRORS" => "Value of the last XID error encountered.",
        "DCGM_FI_DEV_FB_FREE" => "Framebuffer memory free (in MiB).",
        "DCGM_FI_DEV_FB_USED" => "Framebuffer memory used (in MiB).",
        "DCGM_FI_DEV_FB_RESERVED" => "Framebuffer memory reserved (in MiB).",
        _ => "",
    }
}

/// The dcgm-exporter fields served, in exposition order (all gauges but the energy counter).
const GPU_FIELDS: [&str; 9] = [
    "DCGM_FI_DEV_SM_CLOCK",
    "DCGM_FI_DEV_GPU_TEMP",
    "DCGM_FI_DEV_POWER_USAGE",
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
    "DCGM_FI_DEV_GPU_UTIL",
    "DCGM_FI_DEV_XID_ERRORS",
    "DCGM_FI_DEV_FB_FREE",
    "DCGM_FI_DEV_FB_USED",
    "DCGM_FI_DEV_FB_RESERVED",
];

/// vLLM gauge and counter families with one sample per engine, in exposition order.
const ENGINE_FAMILIES: [&str; 9] = [
    "vllm:num_requests_running",
    "vllm:num_requests_waiting",
    "vllm:kv_cache_usage_perc",
    "vllm:num_preemptions_total",
    "vllm:prompt_tokens_total",
    "vllm:generation_tokens_total",
    "vllm:request_success_total",
    "vllm:prefix_cache_queries_total",
    "vllm:prefix_cache_hits_total",
];

/// Value of family `name` for engine `engine` (traffic share `share`) at `t` seconds.
fn engine_value(p: &NodeProfile, name: &str, t: f64, engine: usize, share: f64) -> f64 {
    match name {
        "vllm:num_requests_running" => (share * p.running_requests(t)).round(),
        "vllm:num_requests_waiting" => (share * p.waiting_requests(t)).round(),
        "vllm:kv_cache_usage_perc" => p.kv_cache_usage(engine, t),
        "vllm:num_preemptions_total" => share * p.preemptions_total(t),
        "vllm:prompt_tokens_total" | "vllm:prefix_cache_queries_total" => {
            share * p.prompt_tokens_total(t)
        }
        "vllm:generation_tokens_total" => share * p.gen_tokens_total(t),
        "vllm:prefix_cache_hits_total" => share * p.prefix_cache_hits_total(t),
        _ => 0.0,
    }
}

/// Where a [`Fault::Decreasing`] counter starts: it serves this minus its true value.
pub const DECREASING_FROM: f64 = 1e9;

/// A value as a value fault serves it: `NaN` ([`Fault::Nan`]), negative ([`Fault::Negative`]),
/// or for counters going down from [`DECREASING_FROM`] ([`Fault::Decreasing`]); otherwise as it is.
#[must_use]
pub fn faulty_value(fault: Fault, value: f64, counter: bool) -> f64 {
    match fault {
        Fault::Nan => f64::NAN,
        Fault::Negative => -value.abs() - 1.0,
        Fault::Decreasing if counter => DECREASING_FROM - value,
        _ => value,
    }
}

/// Renders the vLLM V1 `/metrics` body of `profile` at `elapsed` after the simulation started.
///
/// Like prometheus_client it sorts labels by name, writes floats the Python way (`7.0`,
/// `1.234567e+06`) and ends without a final newline. Value faults change the engine gauges and
/// counters ([`faulty_value`]); the other faults are the server's, before or after rendering.
#[must_use]
pub fn render_vllm_metrics(profile: &NodeProfile, elapsed: Duration, fault: Fault) -> String {
    let (t, p) = (elapsed.as_secs_f64(), profile);
    let mut w = Writer::new(p);
    let python = [
        ("implementation", "CPython"),
        ("major", "3"),
        ("minor", "12"),
        ("patchlevel", "11"),
        ("version", "3.12.11"),
    ];
    w.header("python_info", "gauge");
    w.sample("python_info", &python, 1.0);
    let (rss, cpu_s) = (
        5.1e9 + (p.index as f64) * 4096.0,
        (p.tau_s(t) * 130.0).round() / 100.0,
    );
    w.single("process_resident_memory_bytes", "gauge", rss);
    w.single(
        "process_start_time_seconds",
        "gauge",
        p.process_start_epoch_s,
    );
    w.single("process_cpu_seconds_total", "counter", cpu_s);

    w.header("vllm:cache_config_info", "gauge");
    let blocks = p.num_gpu_blocks.to_string();
    for engine in &w.engines.clone() {
        let labels = [
            ("block_size", "16"),
            ("cache_dtype", "auto"),
            ("calculate_kv_scales", "False"),
            ("cpu_offload_gb", "0"),
            ("enable_prefix_caching", "True"),
            ("engine", engine.as_str()),
            ("gpu_memory_utilization", "0.9"),
            ("is_attention_free", "False"),
            ("num_cpu_blocks", "None"),
            ("num_gpu_blocks", blocks.as_str()),
            ("num_gpu_blocks_override", "None"),
            ("prefix_caching_hash_algo", "builtin"),
            ("sliding_window", "None"),
            ("swap_space", "4"),
            ("swap_space_bytes", "4294967296"),
        ];
        w.sample("vllm:cache_config_info", &labels, 1.0);
    }

    for name in ENGINE_FAMILIES {
        let kind = if name.ends_with("_total") {
            "counter"
        } else {
            "gauge"
        };
        w.header(name, kind);
        let counter = kind == "counter";
        for (e, (engine, share)) in w.engines.clone().iter().zip(&p.engine_shares).enumerate() {
            let model = p.model.as_str();
            if name == "vllm:request_success_total" {
                for (r, reason) in FINISHED_REASONS.iter().enumerate() {
                    let labels = [
                        ("engine", engine.as_str()),
                        ("finished_reason", *reason),
                        ("model_name", model),
                    ];
                    let value = faulty_value(fault, share * p.finished_total(r, t), counter);
                    w.sample(name, &labels, value);
                }
            } else {
                let value = faulty_value(fault, engine_value(p, name, t, e, *share), counter);
                w.sample(name, &[("engine", engine), ("model_name", model)], value);
            }
        }
    }

    let requests = p.requests_total(t);
    let tokens = p.itl_observations_total(t);
    w.histogram("vllm:time_to_first_token_seconds", &p.ttft, requests);
    w.histogram("vllm:inter_token_latency_seconds", &p.itl, tokens);
    w.histogram("vllm:e2e_request_latency_seconds", &p.e2e, requests);
    w.histogram("vllm:request_queue_time_seconds", &p.queue, requests);
    w.histogram("vllm:request_prefill_time_seconds", &p.prefill, requests);
    w.histogram("vllm:request_decode_time_seconds", &p.decode, requests);

    // prometheus_client ends the last sample without a newline.
    let mut out = w.out;
    out.truncate(out.trim_end_matches('\n').len());
    out
}

/// Renders the dcgm-exporter-like `/gpu/metrics` body of `profile` at `elapsed`: one sample per
/// GPU per field, labels `gpu`, `UUID`, `device`, `modelName`, `Hostname`. `Overheat` pins the
/// temperature at 92 °C and throttles the SM clock; value faults change the temperature,
/// utilization, memory used and the energy counter ([`faulty_value`]). Ends with a newline, as
/// Go's expfmt does.
#[must_use]
pub fn render_gpu_metrics(profile: &NodeProfile, elapsed: Duration, fault: Fault) -> String {
    let (t, p) = (elapsed.as_secs_f64(), profile);
    let hot = fault == Fault::Overheat;
    let mut w = Writer::new(p);
    for name in GPU_FIELDS {
        let counter = name == "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION";
        w.header(name, if counter { "counter" } else { "gauge" });
        for g in &p.gpus {
            let value = match name {
                "DCGM_FI_DEV_SM_CLOCK" => p.gpu_sm_clock_mhz(g, t, hot).to_string(),
                "DCGM_FI_DEV_GPU_TEMP" => p.gpu_temp_c(g, t, hot).to_string(),
                "DCGM_FI_DEV_POWER_USAGE" => format!("{:.6}", p.gpu_power_w(g, t)),
                "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION" => format!("{:.0}", p.gpu_energy_mj(g, t)),
                "DCGM_FI_DEV_GPU_UTIL" => p.gpu_util_pct(g, t).to_string(),
                "DCGM_FI_DEV_FB_FREE" => (GPU_FB_TOTAL_MIB - p.gpu_fb_used_mib(g, t)).to_string(),
                "DCGM_FI_DEV_FB_USED" => p.gpu_fb_used_mib(g, t).to_string(),
                _ => "0".to_owned(),
            };
            let value = match name {
                "DCGM_FI_DEV_GPU_TEMP"
                | "DCGM_FI_DEV_GPU_UTIL"
                | "DCGM_FI_DEV_FB_USED"
                | "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"
                    if matches!(fault, Fault::Nan | Fault::Negative | Fault::Decreasing) =>
                {
                    let v = value.parse().unwrap_or_default();
                    py_float(faulty_value(fault, v, counter))
                }
                _ => value,
            };
            w.out.push_str(&format!(
                "{name}{{gpu=\"{i}\",UUID=\"{uuid}\",device=\"nvidia{i}\",modelName=\"{GPU_MODEL_NAME}\",Hostname=\"{host}\",DCGM_FI_DRIVER_VERSION=\"{DRIVER_VERSION}\"}} {value}\n",
                i = g.index,
                uuid = g.uuid,
                host = escape_label(&p.name),
            ));
        }
    }
    w.out
}

/// One node as the simulated smart proxy sees it.
#[derive(Debug, Clone, Copy)]
pub struct StatusNode<'a> {
    /// The node's profile.
    pub profile: &'a NodeProfile,
    /// `127.0.0.1:<port>` of its listener.
    pub host: &'a str,
    /// Its current fault.
    pub fault: Fault,
}

#[derive(Serialize)]
struct StatusBody<'a> {
    healthy: bool,
    failover_ready: bool,
    active_node: Option<&'a str>,
    nodes: Vec<StatusNodeBody<'a>>,
}

#[derive(Serialize)]
struct StatusNodeBody<'a> {
    name: &'a str,
    host: &'a str,
    healthy: bool,
    model: &'a str,
    gpu: Option<StatusGpu>,
}

#[derive(Serialize)]
struct StatusGpu {
    utilization_pct: f64,
    vram_used_pct: f64,
    temperature_c: f64,
}

/// Renders the smart proxy's `/status` JSON (canonical shape, DATA-SOURCES §4) at `elapsed`.
///
/// A node whose fault keeps the proxy from reading it (down, hang, trickle, truncate, reset,
/// garbage, flap, slow: [`Fault::proxy_sees_healthy`]) is unhealthy and has `"gpu": null`. `active_node` is the first healthy node (or null), `healthy` says whether any node is,
/// `failover_ready` whether at least two are. Per node, `gpu` holds the mean utilization and VRAM
/// use over its GPUs and the hottest temperature.
#[must_use]
pub fn render_status(nodes: &[StatusNode<'_>], elapsed: Duration) -> String {
    let t = elapsed.as_secs_f64();
    let body_nodes: Vec<StatusNodeBody<'_>> = nodes
        .iter()
        .map(|n| {
            let healthy = n.fault.proxy_sees_healthy();
            StatusNodeBody {
                name: &n.profile.name,
                host: n.host,
                healthy,
                model: &n.profile.model,
                gpu: healthy.then(|| status_gpu(n.profile, t, n.fault == Fault::Overheat)),
            }
        })
        .collect();
    let healthy_count = body_nodes.iter().filter(|n| n.healthy).count();
    let body = StatusBody {
        healthy: healthy_count > 0,
        failover_ready: healthy_count >= 2,
        active_node: body_nodes.iter().find(|n| n.healthy).map(|n| n.name),
        nodes: body_nodes,
    };
    // Serializing plain structs of strings, bools and finite numbers cannot fail.
    serde_json::to_string(&body).unwrap_or_default()
}

fn status_gpu(p: &NodeProfile, t: f64, hot: bool) -> StatusGpu {
    let n = p.gpus.len().max(1) as f64;
    let util = p.gpus.iter().map(|g| p.gpu_util_pct(g, t)).sum::<f64>() / n;
    let vram = p
        .gpus
        .iter()
        .map(|g| p.gpu_fb_used_mib(g, t) as f64 / GPU_FB_TOTAL_MIB as f64 * 100.0)
        .sum::<f64>()
        / n;
    let temp = p
        .gpus
        .iter()
        .map(|g| p.gpu_temp_c(g, t, hot))
        .fold(0.0, f64::max);
    StatusGpu {
        utilization_pct: round1(util),
        vram_used_pct: round1(vram),
        temperature_c: temp,
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Accumulates one exposition body for one node.
struct Writer<'a> {
    out: String,
    p: &'a NodeProfile,
    /// `engine` label values: `"0"`, `"1"`, …
    engines: Vec<String>,
}

impl<'a> Writer<'a> {
    fn new(p: &'a NodeProfile) -> Self {
        let engines = (0..p.engine_shares.len()).map(|e| e.to_string()).collect();
        Self {
            out: String::with_capacity(32 * 1024),
            p,
            engines,
        }
    }

    fn header(&mut self, name: &str, kind: &str) {
        let text = format!("# HELP {name} {}\n# TYPE {name} {kind}\n", help(name));
        self.out.push_str(&text);
    }

    /// A family with a single unlabelled sample.
    fn single(&mut self, name: &str, kind: &str, value: f64) {
        self.header(name, kind);
        self.sample(name, &[], value);
    }

    /// A histogram per engine: `_bucket` for each bound and `+Inf`, then `_count` and `_sum`.
    fn histogram(&mut self, name: &str, dist: &LatencyDistribution, node_count: f64) {
        self.header(name, "histogram");
        let p = self.p;
        let bucket = format!("{name}_bucket");
        let bounds: Vec<String> = dist
            .bounds_s
            .iter()
            .map(|&b| py_float(b))
            .chain(["+Inf".to_owned()])
            .collect();
        for (engine, share) in self.engines.clone().iter().zip(&p.engine_shares) {
            let count = share * node_count;
            for (le, fraction) in bounds.iter().zip(dist.cumulative_fractions()) {
                let labels = [
                    ("engine", engine.as_str()),
                    ("le", le.as_str()),
                    ("model_name", p.model.as_str()),
                ];
                self.sample(&bucket, &labels, count * fraction);
            }
            let labels = [
                ("engine", engine.as_str()),
                ("model_name", p.model.as_str()),
            ];
            self.sample(&format!("{name}_count"), &labels, count);
            self.sample(&format!("{name}_sum"), &labels, count * dist.mean_s);
        }
    }

    /// One sample line; `labels` must already be sorted by name.
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            let pairs: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                .collect();
            self.out.push_str(&format!("{{{}}}", pairs.join(",")));
        }
        self.out.push_str(&format!(" {}\n", py_float(value)));
    }
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A float as prometheus_client's `floatToGoString` writes it: Python's `repr`, except that
/// values of 1e6 and more written positionally get a Go-style exponent (`1.234567e+06`).
#[must_use]
pub fn py_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    let s = python_repr(v);
    if v > 0.0
        && let Some(dot) = s.find('.')
        && dot > 6
    {
        let mantissa = format!("{}.{}{}", &s[..1], &s[1..dot], &s[dot + 1..]);
        let mantissa = mantissa.trim_end_matches(['0', '.']);
        return format!("{mantissa}e+0{}", dot - 1);
    }
    s
}

/// Python's `repr(float)`: shortest round-trip digits, exponent below 1e-4 and from 1e16.
fn python_repr(v: f64) -> String {
    let s = format!("{v:?}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}
