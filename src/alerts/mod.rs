//! Alerts: rules evaluated over the [`Model`](crate::model::Model) at an explicit `now`, one
//! state machine per (rule, subject) that emits *transitions* only, and their delivery.
//!
//! ```text
//! &Model, now ──Engine::evaluate──► Vec<AlertEvent> ──► Notifier (desktop, webhooks), toasts, history
//!                     │
//!                     └─ firing() / worst() / snapshot() ──► tray, header, `snapshot --json`
//! ```
//!
//! The rules themselves ([`Rule`], [`RuleSet`], [`Severity`], [`Metric`]) and the webhook
//! settings are plain config data owned by [`crate::config::alerts`], which reads them from the
//! `[alerts]` section; they are re-exported here because the engine's API takes them. The
//! evaluation (`observe`, `state`) is pure (no I/O, no clock, no egui); delivery (`notify`,
//! `webhook`, `tray`) runs on its own threads and never blocks the caller. Nothing here knows
//! the screen.

pub mod notify;
mod observe;
pub mod state;
pub mod tray;
pub mod webhook;

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::config::alerts::Severity;
use crate::model::ids::SourceId;
pub use state::{ActiveAlert, AlertsSnapshot, Engine, Silence, SilenceTarget};

/// Where one (rule, subject) pair stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// No breach.
    Inactive,
    /// Breach seen, waiting out the rule's `for` duration.
    Pending,
    /// Breach held for `for`: the alert is on.
    Firing,
    /// Was firing, is not any more (the pair goes back to inactive).
    Resolved,
}

impl AlertState {
    /// One word for the state.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Inactive => "inactive",
            Self::Pending => "pending",
            Self::Firing => "firing",
            Self::Resolved => "resolved",
        }
    }
}

/// What an alert is about. Ordered, so lists never jump.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// The whole cluster (throughput, failover readiness).
    Cluster,
    /// One node.
    Node {
        /// Node name.
        node: String,
    },
    /// One GPU on a node.
    Gpu {
        /// Node name.
        node: String,
        /// The GPU's key within its node ([`GpuSample::key`](crate::model::gpu::GpuSample::key)).
        gpu: String,
    },
    /// One model on one inference server.
    Server {
        /// Node the server belongs to.
        node: String,
        /// The server's metrics URL.
        url: String,
        /// Model name, when the server says.
        model: Option<String>,
    },
    /// One configured source.
    Source {
        /// Which source.
        source: SourceId,
    },
}

impl Subject {
    /// The node this subject belongs to, if any. For a source it is the name the source was
    /// configured with (the URL's host when none was given), which the views may show under a
    /// better name (`model::identity`).
    #[must_use]
    pub fn node(&self) -> Option<&str> {
        match self {
            Self::Cluster => None,
            Self::Node { node } | Self::Gpu { node, .. } | Self::Server { node, .. } => Some(node),
            Self::Source { source } => Some(&source.node),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cluster => f.write_str("cluster"),
            Self::Node { node } => write!(f, "node {node}"),
            Self::Gpu { node, gpu } => write!(f, "GPU {gpu} on {node}"),
            Self::Server {
                node,
                url,
                model: Some(m),
            } => write!(f, "model {m} at {url} ({node})"),
            Self::Server {
                node,
                url,
                model: None,
            } => write!(f, "server {url} ({node})"),
            Self::Source { source } => write!(f, "source {source}"),
        }
    }
}

/// Identifies one alert: a rule applied to a subject.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct AlertKey {
    /// Rule name.
    pub rule: String,
    /// What it is about.
    pub subject: Subject,
}

impl AlertKey {
    /// Build a key.
    #[must_use]
    pub fn new(rule: impl Into<String>, subject: Subject) -> Self {
        Self {
            rule: rule.into(),
            subject,
        }
    }
}

impl fmt::Display for AlertKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.rule, self.subject)
    }
}

/// Why an event is not to be notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Suppression {
    /// The operator acknowledged the alert.
    Acknowledged,
    /// A silence covers the rule, the subject or the alert.
    Silenced {
        /// When the silence ends.
        #[serde(with = "crate::model::time_fmt")]
        until: SystemTime,
    },
}

/// One transition of one alert. The engine emits these only when a state changes, so a hot GPU
/// gives one `firing` event, not one per frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertEvent {
    /// Rule name.
    pub rule: String,
    /// What it is about.
    pub subject: Subject,
    /// Severity of the rule.
    pub severity: Severity,
    /// State before.
    pub from: AlertState,
    /// State after.
    pub to: AlertState,
    /// The figure that decided, in the metric's unit (`None` for conditions and n/a).
    pub value: Option<f64>,
    /// The rule's threshold (`None` for conditions).
    pub threshold: Option<f64>,
    /// Human-readable explanation.
    pub message: String,
    /// When the engine saw the transition.
    #[serde(with = "crate::model::time_fmt")]
    pub at: SystemTime,
    /// Set when an acknowledgement or a silence covers the alert: shown, not notified.
    pub suppressed: Option<Suppression>,
}

impl AlertEvent {
    /// The alert this event belongs to.
    #[must_use]
    pub fn key(&self) -> AlertKey {
        AlertKey::new(self.rule.clone(), self.subject.clone())
    }

    /// Whether this event should reach the operator: it starts firing or resolves a firing
    /// alert, and nothing suppresses it.
    #[must_use]
    pub fn is_notifiable(&self) -> bool {
        self.suppressed.is_none() && matches!(self.to, AlertState::Firing | AlertState::Resolved)
    }

    /// One line for a notification title: `[CRITICAL] gpu_temp_high firing: GPU gpu0 on a`.
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "[{}] {} {}: {}",
            self.severity.as_str().to_uppercase(),
            self.rule,
            self.to.label(),
            self.subject
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn subjects_read_well() {
        let s = Subject::Gpu {
            node: "a".into(),
            gpu: "gpu0".into(),
        };
        assert_eq!(s.to_string(), "GPU gpu0 on a");
        assert_eq!(s.node(), Some("a"));
        let key = AlertKey::new("gpu_temp_high", s);
        assert_eq!(key.to_string(), "gpu_temp_high on GPU gpu0 on a");
        let json = serde_json::to_value(&key).unwrap();
        assert_eq!(json["subject"]["kind"], "gpu");
    }
}
