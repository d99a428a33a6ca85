//! The exposition of `swarmglass agent` (**ours**; README "Node agent"): one place that both
//! writes it (the agent) and reads it back (the mapping, kind `agent`), so the two cannot drift.
//!
//! ```text
//! swarmglass_agent_info{version, hostname} 1
//! swarmglass_agent_nvml_up 1|0           swarmglass_agent_nvml_error_info{reason} 1 (when 0)
//! swarmglass_gpu_info{gpu, uuid, mig, name} 1
//! swarmglass_gpu_utilization_ratio{gpu, uuid, mig}            0..1
//! swarmglass_gpu_memory_used_bytes / _memory_total_bytes{…}
//! swarmglass_gpu_temperature_celsius / _power_watts / _power_limit_watts{…}
//! swarmglass_gpu_sm_clock_hertz / _memory_clock_hertz / _fan_ratio{…}
//! swarmglass_gpu_process_memory_bytes{gpu, uuid, mig, pid, process, server, model}
//! swarmglass_host_cpu_seconds_total / swarmglass_host_cpu_idle_seconds_total
//! swarmglass_host_memory_total_bytes / _memory_available_bytes
//! swarmglass_host_disk_total_bytes / _disk_available_bytes{mountpoint}
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::gpu::{GpuProcess, GpuSample};
use crate::model::scrape::HostRaw;
use crate::sources::prometheus::Exposition;

/// Every name starts with this (how the mapping recognises the agent).
pub const PREFIX: &str = "swarmglass_";

/// The gauges read back (what a Prometheus server scraping agents is asked for).
pub const GAUGES: &[&str] = &[
    "swarmglass_agent_info",
    "swarmglass_gpu_info",
    "swarmglass_gpu_utilization_ratio",
    "swarmglass_gpu_memory_used_bytes",
    "swarmglass_gpu_memory_total_bytes",
    "swarmglass_gpu_temperature_celsius",
    "swarmglass_gpu_power_watts",
    "swarmglass_gpu_power_limit_watts",
    "swarmglass_gpu_sm_clock_hertz",
    "swarmglass_gpu_memory_clock_hertz",
    "swarmglass_gpu_fan_ratio",
    "swarmglass_gpu_process_memory_bytes",
    "swarmglass_host_memory_total_bytes",
    "swarmglass_host_memory_available_bytes",
];

/// What the agent read from its host.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostReading {
    /// CPU seconds since boot, all CPUs, all modes.
    pub cpu_total_s: Option<f64>,
    /// Idle (and I/O wait) CPU seconds since boot.
    pub cpu_idle_s: Option<f64>,
    /// Memory, bytes.
    pub mem_total_bytes: Option<u64>,
    /// Memory available, bytes.
    pub mem_available_bytes: Option<u64>,
    /// Per mount point: (total, available) bytes.
    pub disks: Vec<(String, u64, u64)>,
}

/// Everything one `/metrics` answer says.
#[derive(Debug, Clone)]
pub struct AgentReading {
    /// Agent version.
    pub version: String,
    /// This machine's host name.
    pub hostname: String,
    /// Local GPUs, or why NVML (and `nvidia-smi`) could not be read.
    pub gpus: Result<Vec<GpuSample>, String>,
    /// Host figures.
    pub host: HostReading,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

struct Writer {
    out: String,
}

impl Writer {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

type GpuField = (&'static str, &'static str, fn(&GpuSample) -> Option<f64>);

/// The per-GPU gauges: name, help, value.
const GPU_FIELDS: &[GpuField] = &[
    (
        "swarmglass_gpu_utilization_ratio",
        "GPU compute utilisation, 0 to 1.",
        |g| g.util_pct.map(|p| p / 100.0),
    ),
    (
        "swarmglass_gpu_memory_used_bytes",
        "GPU memory used.",
        |g| g.mem_used_bytes.map(u64_f64),
    ),
    (
        "swarmglass_gpu_memory_total_bytes",
        "GPU memory in all.",
        |g| g.mem_total_bytes.map(u64_f64),
    ),
    (
        "swarmglass_gpu_temperature_celsius",
        "GPU core temperature.",
        |g| g.temp_c,
    ),
    ("swarmglass_gpu_power_watts", "GPU power draw.", |g| {
        g.power_w
    }),
    (
        "swarmglass_gpu_power_limit_watts",
        "GPU enforced power limit.",
        |g| g.power_limit_w,
    ),
    ("swarmglass_gpu_sm_clock_hertz", "GPU SM clock.", |g| {
        g.sm_clock_mhz.map(|m| m * 1e6)
    }),
    (
        "swarmglass_gpu_memory_clock_hertz",
        "GPU memory clock.",
        |g| g.mem_clock_mhz.map(|m| m * 1e6),
    ),
    ("swarmglass_gpu_fan_ratio", "GPU fan speed, 0 to 1.", |g| {
        g.fan_pct.map(|p| p / 100.0)
    }),
];

#[allow(clippy::cast_precision_loss)]
fn u64_f64(v: u64) -> f64 {
    v as f64
}

fn gpu_labels(g: &GpuSample) -> [(&'static str, String); 3] {
    [
        ("gpu", g.index.map(|i| i.to_string()).unwrap_or_default()),
        ("uuid", g.uuid.clone().unwrap_or_default()),
        ("mig", g.mig.clone().unwrap_or_default()),
    ]
}

/// Write one answer in the Prometheus text format (0.0.4), every family with HELP and TYPE.
#[must_use]
pub fn render(r: &AgentReading) -> String {
    let mut w = Writer {
        out: String::with_capacity(4096),
    };
    w.family(
        "swarmglass_agent_info",
        "gauge",
        "The agent's version and host name.",
    );
    w.sample(
        "swarmglass_agent_info",
        &[("version", &r.version), ("hostname", &r.hostname)],
        1.0,
    );
    w.family(
        "swarmglass_agent_nvml_up",
        "gauge",
        "1 when the GPUs could be read (NVML, or nvidia-smi), 0 when not.",
    );
    w.sample(
        "swarmglass_agent_nvml_up",
        &[],
        if r.gpus.is_ok() { 1.0 } else { 0.0 },
    );
    let gpus: &[GpuSample] = match &r.gpus {
        Ok(g) => g,
        Err(reason) => {
            w.family(
                "swarmglass_agent_nvml_error_info",
                "gauge",
                "Why the GPUs could not be read.",
            );
            w.sample(
                "swarmglass_agent_nvml_error_info",
                &[("reason", reason)],
                1.0,
            );
            &[]
        }
    };
    if !gpus.is_empty() {
        w.family(
            "swarmglass_gpu_info",
            "gauge",
            "One per GPU (and MIG slice): its name.",
        );
        for g in gpus {
            let l = gpu_labels(g);
            let name = g.name.clone().unwrap_or_default();
            w.sample(
                "swarmglass_gpu_info",
                &[
                    (l[0].0, &l[0].1),
                    (l[1].0, &l[1].1),
                    (l[2].0, &l[2].1),
                    ("name", &name),
                ],
                1.0,
            );
        }
        for (name, help, get) in GPU_FIELDS {
            let values: Vec<(&GpuSample, f64)> =
                gpus.iter().filter_map(|g| get(g).map(|v| (g, v))).collect();
            if values.is_empty() {
                continue;
            }
            w.family(name, "gauge", help);
            for (g, v) in values {
                let l = gpu_labels(g);
                w.sample(
                    name,
                    &[(l[0].0, &l[0].1), (l[1].0, &l[1].1), (l[2].0, &l[2].1)],
                    v,
                );
            }
        }
        let procs: Vec<(&GpuSample, &GpuProcess)> = gpus
            .iter()
            .flat_map(|g| g.processes.iter().map(move |p| (g, p)))
            .collect();
        if !procs.is_empty() {
            w.family(
                "swarmglass_gpu_process_memory_bytes",
                "gauge",
                "GPU memory per compute process, with the inference server and model it serves when its command line tells.",
            );
            for (g, p) in procs {
                let l = gpu_labels(g);
                let pid = p.pid.to_string();
                let none = String::new();
                w.sample(
                    "swarmglass_gpu_process_memory_bytes",
                    &[
                        (l[0].0, &l[0].1),
                        (l[1].0, &l[1].1),
                        (l[2].0, &l[2].1),
                        ("pid", &pid),
                        ("process", p.name.as_ref().unwrap_or(&none)),
                        ("server", p.server.as_ref().unwrap_or(&none)),
                        ("model", p.model.as_ref().unwrap_or(&none)),
                    ],
                    p.used_bytes.map_or(f64::NAN, u64_f64),
                );
            }
        }
    }
    let h = &r.host;
    for (name, kind, help, v) in [
        (
            "swarmglass_host_cpu_seconds_total",
            "counter",
            "CPU seconds since boot, every CPU and mode.",
            h.cpu_total_s,
        ),
        (
            "swarmglass_host_cpu_idle_seconds_total",
            "counter",
            "Idle and I/O-wait CPU seconds since boot, every CPU.",
            h.cpu_idle_s,
        ),
        (
            "swarmglass_host_memory_total_bytes",
            "gauge",
            "Memory in all.",
            h.mem_total_bytes.map(u64_f64),
        ),
        (
            "swarmglass_host_memory_available_bytes",
            "gauge",
            "Memory available to start new programs.",
            h.mem_available_bytes.map(u64_f64),
        ),
    ] {
        if let Some(v) = v {
            w.family(name, kind, help);
            w.sample(name, &[], v);
        }
    }
    if !h.disks.is_empty() {
        for (name, help, pick) in [
            (
                "swarmglass_host_disk_total_bytes",
                "Size of the file system.",
                0,
            ),
            (
                "swarmglass_host_disk_available_bytes",
                "Bytes of the file system available to unprivileged users.",
                1,
            ),
        ] {
            w.family(name, "gauge", help);
            for (mount, total, avail) in &h.disks {
                let v = if pick == 0 { *total } else { *avail };
                w.sample(name, &[("mountpoint", mount)], u64_f64(v));
            }
        }
    }
    w.out
}

/// Read an agent's exposition back: its GPUs (with their processes), host name and host
/// figures. A value that is not finite is no figure (n/a).
#[must_use]
pub fn map(exp: &Exposition<'_>) -> (Vec<GpuSample>, Option<String>, HostRaw) {
    let mut gpus: BTreeMap<(String, String, String), GpuSample> = BTreeMap::new();
    let mut host = HostRaw::default();
    let mut host_name = None;
    let (mut cpu_total, mut cpu_idle) = (None, None);
    for s in exp.families.iter().flat_map(|f| f.samples.iter()) {
        let name = s.name.as_ref();
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let v = s.value;
        match rest {
            "agent_info" => host_name = s.label("hostname").map(str::to_owned),
            "host_cpu_seconds_total" => cpu_total = Some(v),
            "host_cpu_idle_seconds_total" => cpu_idle = Some(v),
            "host_memory_total_bytes" => host.mem_total_bytes = Some(v),
            "host_memory_available_bytes" => host.mem_available_bytes = Some(v),
            _ if rest.starts_with("gpu_") => {
                let key = (
                    s.label("gpu").unwrap_or("").to_owned(),
                    s.label("uuid").unwrap_or("").to_owned(),
                    s.label("mig").unwrap_or("").to_owned(),
                );
                let g = gpus.entry(key.clone()).or_insert_with(|| GpuSample {
                    index: key.0.parse().ok(),
                    uuid: (!key.1.is_empty()).then(|| key.1.clone()),
                    mig: (!key.2.is_empty()).then(|| key.2.clone()),
                    ..GpuSample::default()
                });
                let fin = v.is_finite().then_some(v);
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let bytes = fin.filter(|b| *b >= 0.0).map(|b| b as u64);
                match rest {
                    "gpu_info" => g.name = s.label("name").map(str::to_owned),
                    "gpu_utilization_ratio" => g.util_pct = fin.map(|r| r * 100.0),
                    "gpu_memory_used_bytes" => g.mem_used_bytes = bytes,
                    "gpu_memory_total_bytes" => g.mem_total_bytes = bytes,
                    "gpu_temperature_celsius" => g.temp_c = fin,
                    "gpu_power_watts" => g.power_w = fin,
                    "gpu_power_limit_watts" => g.power_limit_w = fin,
                    "gpu_sm_clock_hertz" => g.sm_clock_mhz = fin.map(|h| h / 1e6),
                    "gpu_memory_clock_hertz" => g.mem_clock_mhz = fin.map(|h| h / 1e6),
                    "gpu_fan_ratio" => g.fan_pct = fin.map(|r| r * 100.0),
                    "gpu_process_memory_bytes" => {
                        let text =
                            |k: &str| s.label(k).filter(|x| !x.is_empty()).map(str::to_owned);
                        if let Some(pid) = s.label("pid").and_then(|p| p.parse().ok()) {
                            g.processes.push(GpuProcess {
                                pid,
                                used_bytes: bytes,
                                name: text("process"),
                                server: text("server"),
                                model: text("model"),
                            });
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if let (Some(t), Some(i)) = (cpu_total, cpu_idle) {
        host.cpu_idle_total_s.insert("all".to_owned(), (i, t));
    }
    (gpus.into_values().collect(), host_name, host)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sources::prometheus::{Format, parse};

    pub(crate) fn sample() -> AgentReading {
        AgentReading {
            version: "0.1.0".into(),
            hostname: "gpu-a".into(),
            gpus: Ok(vec![GpuSample {
                index: Some(0),
                uuid: Some("GPU-1".into()),
                name: Some("NVIDIA H200".into()),
                util_pct: Some(87.0),
                mem_used_bytes: Some(100 << 30),
                mem_total_bytes: Some(141 << 30),
                temp_c: Some(61.0),
                power_w: Some(512.5),
                sm_clock_mhz: Some(1980.0),
                processes: vec![GpuProcess {
                    pid: 4242,
                    used_bytes: Some(99 << 30),
                    name: Some("python3".into()),
                    server: Some("vllm".into()),
                    model: Some("meta-llama/Llama-3.1-70B \"fp8\"".into()),
                }],
                ..GpuSample::default()
            }]),
            host: HostReading {
                cpu_total_s: Some(1000.0),
                cpu_idle_s: Some(750.0),
                mem_total_bytes: Some(1 << 40),
                mem_available_bytes: Some(1 << 39),
                disks: vec![("/".into(), 1 << 40, 1 << 38)],
            },
        }
    }

    #[test]
    fn what_the_agent_writes_reads_back_the_same() {
        let r = sample();
        let text = render(&r);
        let exp = parse(text.as_bytes(), Format::Prometheus);
        assert!(exp.errors.is_empty(), "{:?}\n{text}", exp.errors);
        let (gpus, host_name, host) = map(&exp);
        assert_eq!(host_name.as_deref(), Some("gpu-a"));
        let want = r.gpus.unwrap();
        assert_eq!(gpus, want, "{text}");
        assert_eq!(host.cpu_idle_total_s.get("all"), Some(&(750.0, 1000.0)));
        assert_eq!(host.mem_total_bytes, Some(1_099_511_627_776.0));
    }

    #[test]
    fn nvml_down_says_why_and_no_gpu() {
        let r = AgentReading {
            gpus: Err("NVML unavailable: libnvidia-ml.so.1 not found".into()),
            ..sample()
        };
        let text = render(&r);
        assert!(text.contains("swarmglass_agent_nvml_up 0"), "{text}");
        assert!(
            text.contains("swarmglass_agent_nvml_error_info{reason=\"NVML unavailable: libnvidia-ml.so.1 not found\"} 1"),
            "{text}"
        );
        assert!(!text.contains("swarmglass_gpu_"), "{text}");
    }
}
