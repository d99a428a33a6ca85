//! What a detail view plots: for a GPU its utilisation, VRAM, temperature and power; for an
//! inference server its tokens/s, requests/s, running/waiting, KV cache and TTFT/E2E
//! percentiles; for a node its health, its GPUs' utilisation and its servers' tokens/s — each
//! over a range, from [`query::plot`].

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::catalog::{self as c, Metric, SeriesKey};
use super::query::{Points, plot};
use super::{HistoryError, Store};

/// What a detail view is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Target {
    /// One GPU: its node and its key ([`GpuSample::key`](crate::model::gpu::GpuSample::key)).
    Gpu {
        /// Node.
        node: String,
        /// GPU key (UUID, UUID/MIG, or `gpuN`).
        gpu: String,
    },
    /// One model on one inference server.
    Server {
        /// Node.
        node: String,
        /// The source's locator (its metrics URL).
        source: String,
        /// Model name (empty when the server did not say).
        model: String,
    },
    /// One node.
    Node {
        /// Node name.
        node: String,
    },
}

impl Target {
    /// The view's title.
    #[must_use]
    pub fn title(&self) -> String {
        match self {
            Self::Gpu { node, gpu } => format!("GPU {gpu} on {node}"),
            Self::Server { node, model, .. } if model.is_empty() => format!("Server on {node}"),
            Self::Server { node, model, .. } => format!("{model} on {node}"),
            Self::Node { node } => format!("Node {node}"),
        }
    }

    /// The node it belongs to.
    #[must_use]
    pub fn node(&self) -> &str {
        match self {
            Self::Gpu { node, .. } | Self::Server { node, .. } | Self::Node { node } => node,
        }
    }

    fn owns(&self, key: &SeriesKey) -> bool {
        let is = |label: &str, want: &str| key.label(label) == Some(want);
        match self {
            Self::Gpu { node, gpu } => {
                key.metric.starts_with("gpu_") && is("node", node) && is("gpu", gpu)
            }
            Self::Server {
                node,
                source,
                model,
            } => {
                key.metric.starts_with("server_")
                    && is("node", node)
                    && is("source", source)
                    && is("model", model)
            }
            Self::Node { node } => is("node", node),
        }
    }
}

/// One plot of a detail view: a figure, one line per series.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailPlot {
    /// Title, e.g. "GPU temperature".
    pub title: String,
    /// Unit of the values.
    pub unit: &'static str,
    /// (legend, points) per line.
    pub lines: Vec<(String, Points)>,
}

/// The plots of `target`'s view: (plot title, the metrics drawn in it as lines).
fn layout(target: &Target) -> Vec<(&'static str, Vec<&'static Metric>)> {
    match target {
        Target::Gpu { .. } => vec![
            ("Utilisation", vec![&c::GPU_UTIL]),
            ("VRAM", vec![&c::GPU_MEM_USED, &c::GPU_MEM_TOTAL]),
            ("Temperature", vec![&c::GPU_TEMP]),
            ("Power", vec![&c::GPU_POWER]),
        ],
        Target::Server { .. } => vec![
            ("Tokens/s", vec![&c::SERVER_GEN_TPS, &c::SERVER_PROMPT_TPS]),
            ("Requests/s", vec![&c::SERVER_REQ_S]),
            (
                "Running / waiting",
                vec![&c::SERVER_RUNNING, &c::SERVER_WAITING],
            ),
            ("KV cache", vec![&c::SERVER_KV]),
            (
                "TTFT",
                vec![
                    &c::SERVER_TTFT_P50,
                    &c::SERVER_TTFT_P95,
                    &c::SERVER_TTFT_P99,
                ],
            ),
            (
                "E2E latency",
                vec![&c::SERVER_E2E_P50, &c::SERVER_E2E_P95, &c::SERVER_E2E_P99],
            ),
        ],
        Target::Node { .. } => vec![
            ("Health (0 up … 3 down)", vec![&c::NODE_HEALTH]),
            ("GPU utilisation", vec![&c::GPU_UTIL]),
            ("Generation tokens/s", vec![&c::SERVER_GEN_TPS]),
        ],
    }
}

/// A line's legend: the metric's title in a one-series plot of one target, else what tells the
/// series apart (a GPU's index, a server's model).
fn legend(target: &Target, key: &SeriesKey, metric: &Metric) -> String {
    match target {
        Target::Node { .. } if key.metric.starts_with("gpu_") => {
            format!("GPU {}", key.label("index").unwrap_or("?"))
        }
        Target::Node { .. } if key.metric.starts_with("server_") => {
            key.label("model").unwrap_or("?").to_owned()
        }
        _ => metric.title.to_owned(),
    }
}

/// Every plot of `target` over `[from_ms, to_ms)`, about `max_points` points per line.
///
/// # Errors
/// When the store cannot be read.
pub fn plots(
    store: &Store,
    target: &Target,
    from_ms: i64,
    to_ms: i64,
    max_points: usize,
    resolution: Duration,
) -> Result<Vec<DetailPlot>, HistoryError> {
    let mine: Vec<(u32, &SeriesKey)> = store
        .keys()
        .iter()
        .enumerate()
        .filter(|(_, k)| target.owns(k))
        .map(|(i, k)| (u32::try_from(i).unwrap_or(u32::MAX), k))
        .collect();
    let mut out = Vec::new();
    for (title, metrics) in layout(target) {
        let mut lines = Vec::new();
        for m in &metrics {
            let mut keyed: Vec<&(u32, &SeriesKey)> =
                mine.iter().filter(|(_, k)| k.metric == m.name).collect();
            keyed.sort_by(|a, b| {
                crate::model::text::natural_cmp(&a.1.to_string(), &b.1.to_string())
            });
            for (id, key) in keyed {
                let points = plot(store, *id, from_ms, to_ms, max_points, resolution)?;
                lines.push((legend(target, key, m), points));
            }
        }
        out.push(DetailPlot {
            title: title.to_owned(),
            unit: metrics.first().map_or("", |m| m.unit),
            lines,
        });
    }
    Ok(out)
}
