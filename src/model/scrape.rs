//! Canonical raw data of one Prometheus scrape, after mapping from a server kind's metric names
//! but before any derivation (rates and quantiles need two scrapes; the model computes them).

use std::collections::BTreeMap;

use serde::Serialize;

use super::gpu::GpuSample;

/// The kind of server behind a Prometheus target, given in config or detected from names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerKind {
    /// vLLM (`vllm:` prefix).
    Vllm,
    /// SGLang (`sglang:`).
    Sglang,
    /// llama.cpp server (`llamacpp:`).
    Llamacpp,
    /// HuggingFace text-generation-inference (`tgi_`).
    Tgi,
    /// NVIDIA dcgm-exporter (`DCGM_FI_`).
    Dcgm,
    /// utkuozdemir/nvidia_gpu_exporter (`nvidia_smi_`).
    NvidiaGpuExporter,
    /// Prometheus node_exporter (`node_`).
    NodeExporter,
    /// Our own node agent, `swarmglass agent` (`swarmglass_`).
    Agent,
    /// Ollama: no `/metrics`; its loaded models from `/api/ps`, installed ones from
    /// `/api/tags` (read by `sources::ollama`, never detected from an exposition).
    Ollama,
}

impl ServerKind {
    /// Every kind, in detection priority order.
    pub const ALL: [Self; 8] = [
        Self::Vllm,
        Self::Sglang,
        Self::Llamacpp,
        Self::Tgi,
        Self::Dcgm,
        Self::NvidiaGpuExporter,
        Self::NodeExporter,
        Self::Agent,
    ];

    /// The name used in config files and JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vllm => "vllm",
            Self::Sglang => "sglang",
            Self::Llamacpp => "llamacpp",
            Self::Tgi => "tgi",
            Self::Dcgm => "dcgm",
            Self::NvidiaGpuExporter => "nvidia_gpu_exporter",
            Self::NodeExporter => "node_exporter",
            Self::Agent => "agent",
            Self::Ollama => "ollama",
        }
    }

    /// Parse a config name (the kinds of [`Self::ALL`]: Ollama has its own `[[ollama]]`).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// True for inference servers (as opposed to GPU or host exporters).
    #[must_use]
    pub fn is_inference(self) -> bool {
        matches!(
            self,
            Self::Vllm | Self::Sglang | Self::Llamacpp | Self::Tgi | Self::Ollama
        )
    }
}

/// A cumulative histogram as scraped: `(le, cumulative count)` sorted by `le`, plus sum and count.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Histogram {
    /// Upper bounds and cumulative counts, ascending; the last bound is `+Inf` when present.
    pub buckets: Vec<(f64, f64)>,
    /// `_sum`.
    pub sum: f64,
    /// `_count`.
    pub count: f64,
}

impl Histogram {
    /// Add another histogram with the same bucket bounds (another engine of the same model).
    /// Bounds missing on one side are taken from the other.
    pub fn merge(&mut self, other: &Self) {
        for &(le, c) in &other.buckets {
            match self
                .buckets
                .iter_mut()
                .find(|(l, _)| l.total_cmp(&le).is_eq())
            {
                Some((_, mine)) => *mine += c,
                None => self.buckets.push((le, c)),
            }
        }
        self.buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.sum += other.sum;
        self.count += other.count;
    }
}

/// Raw inference figures of one model on one target (engines already summed).
/// `None` means the server does not expose the figure.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct InferenceRaw {
    /// Model name (`model_name` label), or `None` when the server does not say.
    pub model: Option<String>,
    /// Requests being processed now.
    pub running: Option<f64>,
    /// Requests queued.
    pub waiting: Option<f64>,
    /// KV-cache usage, 0..1.
    pub kv_cache_frac: Option<f64>,
    /// Cumulative prompt tokens.
    pub prompt_tokens_total: Option<f64>,
    /// Cumulative generated tokens.
    pub generation_tokens_total: Option<f64>,
    /// Cumulative finished requests by reason (`stop`, `length`, `abort`, `error`…).
    pub finished_by_reason: BTreeMap<String, f64>,
    /// Cumulative failed requests, for servers that count failures apart (TGI).
    pub failed_total: Option<f64>,
    /// Cumulative preemptions.
    pub preemptions_total: Option<f64>,
    /// Cumulative prefix-cache queries (tokens).
    pub prefix_queries_total: Option<f64>,
    /// Cumulative prefix-cache hits (tokens).
    pub prefix_hits_total: Option<f64>,
    /// A server-computed prefix hit rate 0..1 (SGLang `cache_hit_rate`).
    pub prefix_hit_frac: Option<f64>,
    /// A server-computed generation throughput, tokens/s (SGLang `gen_throughput`).
    pub gen_throughput_tps: Option<f64>,
    /// Time to first token.
    pub ttft: Option<Histogram>,
    /// Inter-token latency.
    pub itl: Option<Histogram>,
    /// End-to-end request latency.
    pub e2e: Option<Histogram>,
    /// Number of engines (data-parallel ranks) summed into this entry.
    pub engines: usize,
    /// What a server that loads and unloads models says of this one (Ollama's `/api/ps`).
    pub loaded: Option<LoadedModel>,
    /// Busy and total slots (llama.cpp's `/slots`, where `/metrics` is off).
    pub slots: Option<Slots>,
}

/// A model loaded by a server that loads models on demand (Ollama).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct LoadedModel {
    /// Bytes of the model in GPU memory.
    pub vram_bytes: Option<u64>,
    /// Bytes of the model in all.
    pub size_bytes: Option<u64>,
    /// When the server unloads it if unused (Unix ms).
    pub expires_at_ms: Option<i64>,
    /// Context length it was loaded with.
    pub context_length: Option<u64>,
    /// "8.0B", as the server says.
    pub parameter_size: Option<String>,
    /// "Q4_K_M", as the server says.
    pub quantization: Option<String>,
    /// Models installed on that server (`/api/tags`), when it answered.
    pub installed_models: Option<usize>,
}

/// A llama.cpp server's slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Slots {
    /// Slots processing a request.
    pub busy: usize,
    /// Slots in all.
    pub total: usize,
}

/// Raw host figures from node_exporter.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct HostRaw {
    /// Per-CPU cumulative idle seconds and total seconds: `(idle, total)`.
    pub cpu_idle_total_s: BTreeMap<String, (f64, f64)>,
    /// `MemTotal` bytes.
    pub mem_total_bytes: Option<f64>,
    /// `MemAvailable` bytes.
    pub mem_available_bytes: Option<f64>,
}

/// Problems found in one scrape, in words: the first [`Problems::MAX`] kept, the rest counted,
/// so a server sending thousands of bad values costs a few lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    list: Vec<String>,
    more: usize,
}

impl Problems {
    /// Lines kept; the rest are counted.
    pub const MAX: usize = 20;

    /// Note one problem.
    pub fn push(&mut self, problem: String) {
        if self.list.len() < Self::MAX {
            self.list.push(problem);
        } else {
            self.more += 1;
        }
    }

    /// True when nothing was noted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The lines, with one more saying how many were not kept.
    #[must_use]
    pub fn into_lines(self) -> Vec<String> {
        let mut lines = self.list;
        if self.more > 0 {
            lines.push(format!("… and {} more problem(s)", self.more));
        }
        lines
    }
}

/// One problem found while parsing; the rest of the body still counts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, in words an operator understands.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Everything one scrape yielded, mapped onto the canonical model.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ScrapeData {
    /// The kind that was used to map the scrape (given or detected), if any matched.
    pub kind: Option<ServerKind>,
    /// Inference figures per model.
    pub inference: Vec<InferenceRaw>,
    /// GPUs described by an exporter.
    pub gpus: Vec<GpuSample>,
    /// Host figures.
    pub host: Option<HostRaw>,
    /// Lines that failed to parse (the rest of the scrape still counts).
    pub parse_errors: Vec<ParseError>,
    /// Number of samples parsed.
    pub samples: usize,
    /// Body size in bytes.
    pub body_bytes: usize,
    /// Canonical metrics this kind should expose but the server did not (renamed or disabled).
    pub missing: Vec<String>,
    /// Values refused as out of range (a negative count, a fraction over 1, a histogram whose
    /// buckets are out of order, …) and series over the caps: each is n/a, never a figure.
    /// At most [`Problems::MAX`] lines, the last one counting the rest.
    pub problems: Vec<String>,
    /// The machine's name as the exporter itself reports it (dcgm-exporter's `Hostname`,
    /// node_exporter's `node_uname_info{nodename}`); it names the node (see `model::identity`).
    pub host_name: Option<String>,
}
