//! Alert rules: what is watched (a [`Metric`] against a threshold, or a health condition), how
//! bad it is ([`Severity`]), how long it must last, and the built-in defaults the `[alerts.rules]`
//! section overrides. Plain data: the alert engine in `src/alerts` evaluates them (`observe`
//! reads the model, `state` runs the per-alert state machine).

use std::time::Duration;

use serde::Serialize;

pub use super::metric::{Metric, Scope};

/// How bad an alert is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Needs a look soon.
    Warning,
    /// Needs action now.
    Critical,
}

impl Severity {
    /// The config / JSON name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }

    /// Parse a config name (`warning`, `critical`).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "warning" => Some(Self::Warning),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }
}

/// Which side of the threshold is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Fires at or above the threshold; resolves below `threshold − hysteresis`.
    Above,
    /// Fires at or below the threshold; resolves above `threshold + hysteresis`.
    Below,
}

impl Comparison {
    /// `≥` or `≤`.
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Above => "≥",
            Self::Below => "≤",
        }
    }
}

/// What a rule watches.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    /// A figure against a threshold. A missing figure (n/a) never fires.
    Threshold {
        /// The figure.
        metric: Metric,
        /// Which side is bad.
        comparison: Comparison,
        /// Fire at this value (inclusive), in the metric's unit.
        threshold: f64,
        /// A firing alert resolves only once the figure is past `threshold ∓ hysteresis`.
        hysteresis: f64,
    },
    /// A node is down: its health is down and none of its sources answers, or the proxy reports
    /// it unhealthy. (One source down on a node whose other sources answer is
    /// [`RuleKind::SourceUnreachable`].)
    NodeDown,
    /// A node is stale: a source of it has not reported for longer than it should.
    NodeStale,
    /// The smart proxy reports that it cannot fail over (`failover_ready == false`).
    FailoverNotReady,
    /// A configured source is down (repeated failures, or never answered).
    SourceUnreachable,
    /// Agent workers stopped sending heartbeats (events or Redis keys) for longer than the
    /// task model's `stale_after` (30 s).
    WorkerStale,
}

impl RuleKind {
    /// Stable name of the kind (for listings).
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Threshold { .. } => "threshold",
            Self::NodeDown => "node_down",
            Self::NodeStale => "node_stale",
            Self::FailoverNotReady => "failover_not_ready",
            Self::SourceUnreachable => "source_unreachable",
            Self::WorkerStale => "worker_stale",
        }
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Unique name, e.g. `gpu_temp_high`.
    pub name: String,
    /// Evaluated at all.
    pub enabled: bool,
    /// How bad a firing alert is.
    pub severity: Severity,
    /// How long a breach must hold before the alert fires (zero: at once).
    pub for_duration: Duration,
    /// What it watches.
    pub kind: RuleKind,
}

impl Rule {
    /// A threshold rule, enabled.
    #[must_use]
    pub fn threshold(
        name: &str,
        metric: Metric,
        comparison: Comparison,
        threshold: f64,
        hysteresis: f64,
        for_duration: Duration,
        severity: Severity,
    ) -> Self {
        Self {
            name: name.to_owned(),
            enabled: true,
            severity,
            for_duration,
            kind: RuleKind::Threshold {
                metric,
                comparison,
                threshold,
                hysteresis,
            },
        }
    }

    /// A condition rule (node down, …), enabled.
    #[must_use]
    pub fn condition(
        name: &str,
        kind: RuleKind,
        for_duration: Duration,
        severity: Severity,
    ) -> Self {
        Self {
            name: name.to_owned(),
            enabled: true,
            severity,
            for_duration,
            kind,
        }
    }

    /// The same rule, disabled.
    #[must_use]
    pub fn disabled(mut self) -> Self {
        self.enabled = false;
        self
    }

    /// The threshold, for threshold rules.
    #[must_use]
    pub fn threshold_value(&self) -> Option<f64> {
        match self.kind {
            RuleKind::Threshold { threshold, .. } => Some(threshold),
            _ => None,
        }
    }
}

/// A rule name that is not in the set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no alert rule named `{name}`; known rules: {known}")]
pub struct UnknownRule {
    /// The name asked for.
    pub name: String,
    /// The names there are, comma-separated.
    pub known: String,
}

/// An ordered set of rules with unique names.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

impl RuleSet {
    /// An empty set.
    #[must_use]
    pub fn empty() -> Self {
        Self::default()
    }

    /// The built-in rules. Those whose right threshold depends on the cluster (GPU idle,
    /// throughput floor, end-to-end latency) ship disabled: enable them by name.
    #[must_use]
    pub fn defaults() -> Self {
        use Comparison::{Above, Below};
        use Metric as M;
        use Severity::{Critical, Warning};
        let rules = vec![
            Rule::threshold(
                "gpu_temp_high",
                M::GpuTempC,
                Above,
                85.0,
                5.0,
                secs(30),
                Critical,
            ),
            Rule::threshold(
                "vram_full",
                M::GpuVramPct,
                Above,
                95.0,
                5.0,
                secs(60),
                Warning,
            ),
            Rule::threshold(
                "gpu_idle",
                M::GpuUtilPct,
                Below,
                5.0,
                5.0,
                secs(600),
                Warning,
            )
            .disabled(),
            Rule::threshold(
                "kv_cache_full",
                M::KvCachePct,
                Above,
                95.0,
                5.0,
                secs(60),
                Warning,
            ),
            Rule::threshold(
                "queue_backlog",
                M::QueueWaiting,
                Above,
                50.0,
                10.0,
                secs(60),
                Warning,
            ),
            Rule::threshold(
                "error_rate",
                M::ErrorPct,
                Above,
                5.0,
                1.0,
                secs(60),
                Critical,
            ),
            Rule::threshold(
                "ttft_p95_slow",
                M::TtftP95S,
                Above,
                5.0,
                1.0,
                secs(60),
                Warning,
            ),
            Rule::threshold(
                "e2e_p95_slow",
                M::E2eP95S,
                Above,
                60.0,
                10.0,
                secs(120),
                Warning,
            )
            .disabled(),
            Rule::threshold(
                "throughput_low",
                M::ClusterGenTps,
                Below,
                1.0,
                0.0,
                secs(300),
                Warning,
            )
            .disabled(),
            Rule::threshold(
                "host_mem_high",
                M::HostMemPct,
                Above,
                95.0,
                5.0,
                secs(60),
                Warning,
            ),
            Rule::condition("node_down", RuleKind::NodeDown, secs(0), Critical),
            Rule::condition("node_stale", RuleKind::NodeStale, secs(15), Warning),
            Rule::condition(
                "failover_not_ready",
                RuleKind::FailoverNotReady,
                secs(10),
                Critical,
            ),
            Rule::condition(
                "source_unreachable",
                RuleKind::SourceUnreachable,
                secs(0),
                Warning,
            ),
            Rule::condition("worker_stale", RuleKind::WorkerStale, secs(0), Warning),
            Rule::threshold(
                "task_failure_rate",
                M::TaskFailurePct,
                Above,
                20.0,
                5.0,
                secs(60),
                Critical,
            ),
        ];
        Self { rules }
    }

    /// Add a rule, replacing any rule of the same name (in place).
    pub fn insert(&mut self, rule: Rule) {
        match self.rules.iter_mut().find(|r| r.name == rule.name) {
            Some(slot) => *slot = rule,
            None => self.rules.push(rule),
        }
    }

    /// The rule of that name.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// The rule of that name, to change it.
    ///
    /// # Errors
    /// When there is no such rule; the error lists the known names.
    pub fn get_mut(&mut self, name: &str) -> Result<&mut Rule, UnknownRule> {
        let known = self.names().collect::<Vec<_>>().join(", ");
        self.rules
            .iter_mut()
            .find(|r| r.name == name)
            .ok_or_else(|| UnknownRule {
                name: name.to_owned(),
                known,
            })
    }

    /// Enable or disable a rule by name.
    ///
    /// # Errors
    /// When there is no such rule.
    pub fn set_enabled(&mut self, name: &str, enabled: bool) -> Result<(), UnknownRule> {
        self.get_mut(name)?.enabled = enabled;
        Ok(())
    }

    /// Every rule, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter()
    }

    /// Every rule name, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.name.as_str())
    }

    /// Number of rules.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn defaults_have_unique_names_and_the_documented_values() {
        let set = RuleSet::defaults();
        let mut names: Vec<&str> = set.names().collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), set.len());
        let t = set
            .get("gpu_temp_high")
            .map(|r| (r.threshold_value(), r.for_duration, r.severity, r.enabled));
        assert_eq!(t, Some((Some(85.0), secs(30), Severity::Critical, true)));
        assert_eq!(
            set.get("queue_backlog").and_then(Rule::threshold_value),
            Some(50.0)
        );
        assert_eq!(
            set.get("node_down").map(|r| r.severity),
            Some(Severity::Critical)
        );
        assert_eq!(set.get("throughput_low").map(|r| r.enabled), Some(false));
    }

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Critical > Severity::Warning);
        assert_eq!(Severity::from_name("critical"), Some(Severity::Critical));
        assert_eq!(Severity::from_name("fatal"), None);
    }

    #[test]
    fn set_enabled_by_name_and_unknown_names_are_errors() {
        let mut set = RuleSet::defaults();
        assert_eq!(set.set_enabled("vram_full", false), Ok(()));
        assert_eq!(set.get("vram_full").map(|r| r.enabled), Some(false));
        let err = set.set_enabled("vram_ful", true).unwrap_err();
        assert!(err.to_string().contains("vram_full"), "{err}");
    }
}
