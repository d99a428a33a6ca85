//! What a Prometheus-compatible server says about the targets it scrapes, as the model takes
//! it: one entry per target (`instance`, `job`), its figures already derived by the server.

use super::SourceError;
use crate::model::HostStats;
use crate::model::ids::SourceId;
use crate::model::inference::InferenceStats;
use crate::model::scrape::ScrapeData;

/// One target of a Prometheus server.
#[derive(Debug, Clone)]
pub struct FleetTarget {
    /// The target as a source of its own: node = the `instance` label's host, kind
    /// `prometheus`, locator naming the instance, job and server.
    pub id: SourceId,
    /// Its figures, or why there are none (the server's last scrape of it failed: `up == 0`).
    pub result: Result<FleetData, SourceError>,
}

/// The figures of one target.
#[derive(Debug, Clone, Default)]
pub struct FleetData {
    /// Its gauges read through the same mapping as a direct scrape: kind, GPUs, host name,
    /// host memory, problems. Its `inference` is empty: see [`Self::inference`].
    pub scrape: ScrapeData,
    /// Per-model figures, rates and latencies derived by the server over the window.
    pub inference: Vec<InferenceStats>,
    /// Host figures (CPU busy from the server's `rate`, memory from the gauges).
    pub host: Option<HostStats>,
}
