//! The canonical figures a threshold rule can watch, what each is attached to (a GPU, a server
//! and model, a node, the cluster), and how its values read. Plain data.

/// A canonical figure a threshold rule can watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// GPU core temperature, °C (per GPU).
    GpuTempC,
    /// GPU memory used, % of total (per GPU).
    GpuVramPct,
    /// GPU compute utilisation, % (per GPU).
    GpuUtilPct,
    /// KV cache usage, % (per server and model).
    KvCachePct,
    /// Requests waiting in the queue (per server and model).
    QueueWaiting,
    /// Share of finished requests that failed, % over the quantile window (per server and model).
    ErrorPct,
    /// Time to first token, p95 over the window, seconds (per server and model).
    TtftP95S,
    /// End-to-end request latency, p95 over the window, seconds (per server and model).
    E2eP95S,
    /// Inter-token latency, p95 over the window, seconds (per server and model).
    ItlP95S,
    /// Generation tokens/s summed over the cluster.
    ClusterGenTps,
    /// Share of tasks that failed in the last hour, percent (cluster-wide, from task events).
    TaskFailurePct,
    /// Host memory used, % (per node, node_exporter).
    HostMemPct,
    /// Host CPU busy, % (per node, node_exporter).
    HostCpuPct,
}

/// What a metric's readings are attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One GPU on a node.
    Gpu,
    /// One model on one inference server.
    Server,
    /// One node.
    Node,
    /// The whole cluster.
    Cluster,
}

impl Metric {
    /// Every metric, in documentation order.
    pub const ALL: [Self; 13] = [
        Self::GpuTempC,
        Self::GpuVramPct,
        Self::GpuUtilPct,
        Self::KvCachePct,
        Self::QueueWaiting,
        Self::ErrorPct,
        Self::TtftP95S,
        Self::E2eP95S,
        Self::ItlP95S,
        Self::ClusterGenTps,
        Self::TaskFailurePct,
        Self::HostMemPct,
        Self::HostCpuPct,
    ];

    /// Stable name (config, JSON).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GpuTempC => "gpu_temp_c",
            Self::GpuVramPct => "gpu_vram_pct",
            Self::GpuUtilPct => "gpu_util_pct",
            Self::KvCachePct => "kv_cache_pct",
            Self::QueueWaiting => "queue_waiting",
            Self::ErrorPct => "error_pct",
            Self::TtftP95S => "ttft_p95_s",
            Self::E2eP95S => "e2e_p95_s",
            Self::ItlP95S => "itl_p95_s",
            Self::ClusterGenTps => "cluster_gen_tps",
            Self::TaskFailurePct => "task_failure_pct",
            Self::HostMemPct => "host_mem_pct",
            Self::HostCpuPct => "host_cpu_pct",
        }
    }

    /// Words for messages.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::GpuTempC => "GPU temperature",
            Self::GpuVramPct => "VRAM used",
            Self::GpuUtilPct => "GPU utilisation",
            Self::KvCachePct => "KV cache usage",
            Self::QueueWaiting => "requests waiting",
            Self::ErrorPct => "error rate",
            Self::TtftP95S => "TTFT p95",
            Self::E2eP95S => "end-to-end latency p95",
            Self::ItlP95S => "inter-token latency p95",
            Self::ClusterGenTps => "cluster generation throughput",
            Self::TaskFailurePct => "task failure rate (1 h)",
            Self::HostMemPct => "host memory used",
            Self::HostCpuPct => "host CPU busy",
        }
    }

    /// What its readings are attached to.
    #[must_use]
    pub fn scope(self) -> Scope {
        match self {
            Self::GpuTempC | Self::GpuVramPct | Self::GpuUtilPct => Scope::Gpu,
            Self::KvCachePct
            | Self::QueueWaiting
            | Self::ErrorPct
            | Self::TtftP95S
            | Self::E2eP95S
            | Self::ItlP95S => Scope::Server,
            Self::ClusterGenTps | Self::TaskFailurePct => Scope::Cluster,
            Self::HostMemPct | Self::HostCpuPct => Scope::Node,
        }
    }

    /// A value with its unit in [`crate::format`]'s style, precise enough to compare with a
    /// threshold: `91.0 °C`, `85.0%`, `5.20s`, `842.3 tok/s`, `60`.
    #[must_use]
    pub fn format(self, v: f64) -> String {
        use crate::format;
        match self {
            Self::GpuTempC => format::temp(Some(v), 1),
            Self::GpuVramPct
            | Self::GpuUtilPct
            | Self::KvCachePct
            | Self::ErrorPct
            | Self::HostMemPct
            | Self::HostCpuPct
            | Self::TaskFailurePct => format::pct(Some(v), 1),
            Self::QueueWaiting => format::count(Some(v)),
            Self::TtftP95S | Self::E2eP95S | Self::ItlP95S => format::number(Some(v), "s", 2),
            Self::ClusterGenTps => format::number(Some(v), " tok/s", 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_a_distinct_name_and_formats_with_its_unit() {
        let mut names: Vec<&str> = Metric::ALL.iter().map(|m| m.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Metric::ALL.len());
        assert_eq!(Metric::GpuTempC.format(91.0), "91.0 °C");
        assert_eq!(Metric::TtftP95S.format(5.2), "5.20s");
        assert_eq!(Metric::ErrorPct.format(25.0), "25.0%");
        assert_eq!(Metric::QueueWaiting.format(60.0), "60");
        assert_eq!(Metric::ClusterGenTps.format(842.34), "842.3 tok/s");
    }
}
