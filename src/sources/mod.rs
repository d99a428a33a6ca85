//! Sources: one module per kind of thing Swarmglass reads. Each has a pure `parse` tested on
//! fixtures and a thin fetch. Nothing here touches egui or owns the model.

pub mod events;
pub mod http;
pub mod mapping;
pub mod nvidia_smi;
pub mod nvml;
pub mod prometheus;
pub mod status;

use std::time::SystemTime;

use crate::model::gpu::GpuSample;
use crate::model::ids::SourceId;
use crate::model::scrape::ScrapeData;
use crate::model::status::ClusterStatus;

/// What went wrong reading a source; its kind is the error log's dedup key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// No answer within the configured timeout.
    #[error(
        "timed out after {timeout_ms} ms waiting for {url}; check that the server is up, or raise `timeout`"
    )]
    Timeout {
        /// URL asked.
        url: String,
        /// The timeout in force.
        timeout_ms: u64,
    },
    /// Connection refused, DNS failure, TLS failure…
    #[error("cannot connect to {url}: {reason}; is the server running and the address right?")]
    Connect {
        /// URL asked.
        url: String,
        /// The transport's reason.
        reason: String,
    },
    /// The server answered with a non-success status.
    #[error("{url} answered HTTP {status}{hint}")]
    HttpStatus {
        /// URL asked.
        url: String,
        /// HTTP status code.
        status: u16,
        /// A hint on what to do (e.g. set the bearer token), or empty.
        hint: String,
    },
    /// The body exceeded the size cap.
    #[error(
        "{url}: body larger than the {cap_bytes}-byte cap, cut off; raise `max_body_bytes` if this endpoint is really that large"
    )]
    BodyTooLarge {
        /// URL asked.
        url: String,
        /// The cap in force.
        cap_bytes: usize,
    },
    /// The body could not be understood at all.
    #[error("{url}: cannot decode body: {reason}")]
    Decode {
        /// URL or file read.
        url: String,
        /// Why.
        reason: String,
    },
    /// Local GPU access failed (no driver, no permission…).
    #[error("NVML unavailable: {0}")]
    NvmlUnavailable(String),
    /// Any other local failure.
    #[error("{0}")]
    Other(String),
}

impl SourceError {
    /// Short stable name of the error kind, for dedup and display.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Timeout { .. } => "timeout",
            Self::Connect { .. } => "connect",
            Self::HttpStatus { .. } => "http_status",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::Decode { .. } => "decode",
            Self::NvmlUnavailable(_) => "nvml_unavailable",
            Self::Other(_) => "other",
        }
    }
}

/// One message from a collector to the single owner of the model.
#[derive(Debug, Clone)]
pub enum SourceUpdate {
    /// A Prometheus target was scraped (or failed to be).
    Scrape {
        /// Which target.
        source: SourceId,
        /// When the scrape finished (wall clock).
        at: SystemTime,
        /// Mapped data, or why there is none.
        result: Result<ScrapeData, SourceError>,
    },
    /// A cluster-status endpoint was read.
    Status {
        /// Which endpoint.
        source: SourceId,
        /// When.
        at: SystemTime,
        /// The status, or why there is none.
        result: Result<ClusterStatus, SourceError>,
    },
    /// Local GPUs were read (NVML or nvidia-smi).
    LocalGpus {
        /// Which local source.
        source: SourceId,
        /// When.
        at: SystemTime,
        /// One sample per GPU, or why there are none.
        result: Result<Vec<GpuSample>, SourceError>,
    },
    /// An agent/task source reported: an event, a connection state, sessions, log records.
    Agents(Box<events::EventUpdate>),
}

impl SourceUpdate {
    /// Wrap an agent/task source's update.
    #[must_use]
    pub fn agents(update: events::EventUpdate) -> Self {
        Self::Agents(Box::new(update))
    }

    /// The source this update is about.
    #[must_use]
    pub fn source(&self) -> &SourceId {
        match self {
            Self::Scrape { source, .. }
            | Self::Status { source, .. }
            | Self::LocalGpus { source, .. } => source,
            Self::Agents(u) => u.source(),
        }
    }
}
