//! What is recorded: every figure a card or a plot shows, as named metrics with labels (node,
//! GPU, model, source), each stored in fixed point at the precision the window shows it.
//! [`SeriesKey`] is one series' identity; its text form is `metric{label="value",…}`, the same
//! shape Prometheus uses, so `history export --match` reads naturally.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One recorded figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric {
    /// Name, e.g. `gpu_util_pct`.
    pub name: &'static str,
    /// Stored as `round(value × scale)`: 10 keeps one decimal.
    pub scale: f64,
    /// Unit as shown beside a plot.
    pub unit: &'static str,
    /// What it is, in words (plot titles, `history info`).
    pub title: &'static str,
}

const MIB: f64 = 1.0 / 1_048_576.0;

macro_rules! metrics {
    ($($id:ident = $name:literal, $scale:expr, $unit:literal, $title:literal;)*) => {
        $(
            #[doc = $title]
            pub const $id: Metric = Metric { name: $name, scale: $scale, unit: $unit, title: $title };
        )*
        /// Every metric, in the order detail views list them.
        pub const ALL: &[Metric] = &[$($id),*];
    };
}

metrics! {
    GPU_UTIL = "gpu_util_pct", 10.0, "%", "GPU utilisation";
    GPU_MEM_USED = "gpu_mem_used_bytes", MIB, "B", "VRAM used";
    GPU_MEM_TOTAL = "gpu_mem_total_bytes", MIB, "B", "VRAM total";
    GPU_TEMP = "gpu_temp_c", 10.0, "°C", "GPU temperature";
    GPU_POWER = "gpu_power_w", 10.0, "W", "GPU power";
    GPU_SM_CLOCK = "gpu_sm_clock_mhz", 1.0, "MHz", "SM clock";
    GPU_MEM_CLOCK = "gpu_mem_clock_mhz", 1.0, "MHz", "Memory clock";
    SERVER_GEN_TPS = "server_gen_tps", 10.0, "tok/s", "Generation tokens/s";
    SERVER_PROMPT_TPS = "server_prompt_tps", 10.0, "tok/s", "Prompt tokens/s";
    SERVER_REQ_S = "server_requests_per_s", 100.0, "req/s", "Requests/s";
    SERVER_RUNNING = "server_running", 10.0, "", "Running requests";
    SERVER_WAITING = "server_waiting", 10.0, "", "Waiting requests";
    SERVER_KV = "server_kv_cache_pct", 10.0, "%", "KV cache";
    SERVER_ERROR = "server_error_pct", 100.0, "%", "Errors";
    SERVER_TTFT_P50 = "server_ttft_p50_s", 10_000.0, "s", "TTFT p50";
    SERVER_TTFT_P95 = "server_ttft_p95_s", 10_000.0, "s", "TTFT p95";
    SERVER_TTFT_P99 = "server_ttft_p99_s", 10_000.0, "s", "TTFT p99";
    SERVER_ITL_P50 = "server_itl_p50_s", 10_000.0, "s", "ITL p50";
    SERVER_ITL_P95 = "server_itl_p95_s", 10_000.0, "s", "ITL p95";
    SERVER_ITL_P99 = "server_itl_p99_s", 10_000.0, "s", "ITL p99";
    SERVER_E2E_P50 = "server_e2e_p50_s", 10_000.0, "s", "E2E latency p50";
    SERVER_E2E_P95 = "server_e2e_p95_s", 10_000.0, "s", "E2E latency p95";
    SERVER_E2E_P99 = "server_e2e_p99_s", 10_000.0, "s", "E2E latency p99";
    NODE_HEALTH = "node_health", 1.0, "", "Node health (0 up, 1 degraded, 2 stale, 3 down, 4 unknown)";
    SOURCE_UP = "source_up", 1.0, "", "Source up (1) or not (0)";
    PROXY_HEALTHY = "proxy_healthy", 1.0, "", "The smart proxy says the cluster is healthy (1) or not (0)";
    PROXY_FAILOVER_READY = "proxy_failover_ready", 1.0, "", "Failover ready (1) or not (0)";
    PROXY_ACTIVE = "proxy_active_node", 1.0, "", "The proxy's active node (its label; always 1)";
    PROXY_NODE_HEALTHY = "proxy_node_healthy", 1.0, "", "A node the proxy lists: healthy (1) or not (0)";
    CLUSTER_GEN_TPS = "cluster_gen_tps", 10.0, "tok/s", "Cluster generation tokens/s";
    CLUSTER_PROMPT_TPS = "cluster_prompt_tps", 10.0, "tok/s", "Cluster prompt tokens/s";
}

/// The metric named `name`.
#[must_use]
pub fn metric(name: &str) -> Option<&'static Metric> {
    ALL.iter().find(|m| m.name == name)
}

/// One series: a metric and its labels (sorted by name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SeriesKey {
    /// Metric name.
    pub metric: String,
    /// Labels, e.g. node, gpu, model.
    pub labels: BTreeMap<String, String>,
}

impl SeriesKey {
    /// `metric` with `labels`.
    #[must_use]
    pub fn new(metric: &Metric, labels: &[(&str, &str)]) -> Self {
        Self {
            metric: metric.name.to_owned(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    /// One label's value.
    #[must_use]
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name).map(String::as_str)
    }

    /// The metric's definition (scale, unit); `None` for a name this version does not know
    /// (a store written by a newer one).
    #[must_use]
    pub fn def(&self) -> Option<&'static Metric> {
        metric(&self.metric)
    }
}

impl fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{{", self.metric)?;
        for (i, (k, v)) in self.labels.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(
                f,
                "{k}=\"{}\"",
                v.replace('\\', "\\\\").replace('"', "\\\"")
            )?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_like_prometheus_series_and_names_are_unique() {
        let k = SeriesKey::new(&GPU_UTIL, &[("node", "n1"), ("gpu", "GPU-\"a\"")]);
        assert_eq!(k.to_string(), r#"gpu_util_pct{gpu="GPU-\"a\"",node="n1"}"#);
        assert_eq!(k.def().map(|m| m.unit), Some("%"));
        let mut names: Vec<&str> = ALL.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}
