//! Identifiers of sources: what kind of source, where it reads, the node name it was configured
//! with, and how the collector declares it to the model ([`SourceSpec`]).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The kinds of source Swarmglass reads. The `snake_case` name is the one used in JSON, logs
/// and error lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A Prometheus `/metrics` endpoint (inference server, GPU or host exporter).
    Prometheus,
    /// The smart proxy's `/status`.
    Status,
    /// This machine's GPUs through NVML.
    Nvml,
    /// This machine's GPUs through `nvidia-smi -q -x`.
    NvidiaSmi,
    /// A Nexus monitor WebSocket.
    NexusWs,
    /// A Nexus Redis (task events, worker heartbeats).
    NexusRedis,
    /// One execution's log stream.
    ExecLogs,
    /// An OpenClaw session store on disk.
    OpenclawFiles,
    /// An OpenClaw gateway.
    OpenclawGateway,
    /// The vLLM tool proxy's log file.
    ToolProxyLog,
    /// A Prometheus-compatible query API (Prometheus, VictoriaMetrics, Thanos, Mimir): the
    /// targets it scrapes become sources of kind [`Self::Prometheus`].
    PrometheusServer,
    /// An Ollama server's API (`/api/ps`, `/api/tags`).
    Ollama,
}

impl SourceKind {
    /// Every kind.
    pub const ALL: [Self; 12] = [
        Self::Prometheus,
        Self::Status,
        Self::Nvml,
        Self::NvidiaSmi,
        Self::NexusWs,
        Self::NexusRedis,
        Self::ExecLogs,
        Self::OpenclawFiles,
        Self::OpenclawGateway,
        Self::ToolProxyLog,
        Self::PrometheusServer,
        Self::Ollama,
    ];

    /// The name used in JSON, logs and error lists.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prometheus => "prometheus",
            Self::Status => "status",
            Self::Nvml => "nvml",
            Self::NvidiaSmi => "nvidia_smi",
            Self::NexusWs => "nexus_ws",
            Self::NexusRedis => "nexus_redis",
            Self::ExecLogs => "exec_logs",
            Self::OpenclawFiles => "openclaw_files",
            Self::OpenclawGateway => "openclaw_gateway",
            Self::ToolProxyLog => "tool_proxy_log",
            Self::PrometheusServer => "prometheus_server",
            Self::Ollama => "ollama",
        }
    }

    /// The kind with that name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// True for readers of this machine's own GPUs (NVML, `nvidia-smi`).
    #[must_use]
    pub fn is_local_gpu(self) -> bool {
        matches!(self, Self::Nvml | Self::NvidiaSmi)
    }

    /// True for sources that deliver task events (their presence makes task counts meaningful).
    #[must_use]
    pub fn delivers_task_events(self) -> bool {
        matches!(self, Self::NexusWs | Self::NexusRedis)
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Identifies one configured source: its kind and URL (or `local`), plus the node name it was
/// configured with. That name is the config's when one was given, else the URL's host; the node
/// a source is *shown* on is decided by [`crate::model::identity`], which may find a better one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourceId {
    /// Node name from the config (or the URL's host when none was given).
    pub node: String,
    /// What kind of source.
    pub kind: SourceKind,
    /// URL or other locator (`local`), without user name or password: an id is shown
    /// everywhere, so it never holds a secret.
    pub locator: String,
}

impl SourceId {
    /// Build an id. The user name and password of a URL locator are replaced by `***`
    /// ([`crate::model::redact::redact_urls`]); the source itself keeps the real URL.
    #[must_use]
    pub fn new(node: impl Into<String>, kind: SourceKind, locator: impl Into<String>) -> Self {
        let locator = locator.into();
        let locator = match super::redact::redact_urls(&locator) {
            std::borrow::Cow::Borrowed(_) => locator,
            std::borrow::Cow::Owned(redacted) => redacted,
        };
        Self {
            node: node.into(),
            kind,
            locator,
        }
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({})", self.kind, self.locator, self.node)
    }
}

/// A source as the collector declares it to the model before it reports
/// ([`crate::model::Model::register_spec`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    /// Which source.
    pub id: SourceId,
    /// Poll interval (for staleness).
    pub interval: Duration,
    /// The config gave the node name (`id.node`); otherwise it is only the URL's host and the
    /// model looks for a better one (see [`crate::model::identity`]).
    pub node_named: bool,
    /// A built-in default nobody configured (`localhost:8000`, `localhost:9199`, NVML when the
    /// config does not mention it): if it never answers it is "not found", never "down".
    pub implicit: bool,
    /// Its HTTPS certificate is not verified (`tls_insecure_skip_verify = true`): shown per
    /// source, loudly.
    pub tls_unverified: bool,
}

impl SourceSpec {
    /// A configured source whose node name was given.
    #[must_use]
    pub fn named(id: SourceId, interval: Duration) -> Self {
        Self {
            id,
            interval,
            node_named: true,
            implicit: false,
            tls_unverified: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in SourceKind::ALL {
            assert_eq!(SourceKind::from_name(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_value(k).ok(),
                Some(serde_json::Value::from(k.as_str()))
            );
        }
        assert_eq!(SourceKind::from_name("nvml_typo"), None);
    }

    #[test]
    fn display_names_kind_locator_and_node() {
        let id = SourceId::new("a", SourceKind::Prometheus, "http://a:8000/metrics");
        assert_eq!(id.to_string(), "prometheus http://a:8000/metrics (a)");
    }

    #[test]
    fn an_id_never_holds_a_password() {
        let id = SourceId::new(
            "a",
            SourceKind::Prometheus,
            "http://u:secret@a:8000/metrics",
        );
        assert_eq!(id.locator, "http://***@a:8000/metrics");
        assert!(!id.to_string().contains("secret"));
        let json = serde_json::to_string(&id).unwrap_or_default();
        assert!(json.contains("http://***@a:8000/metrics"), "{json}");
    }
}
