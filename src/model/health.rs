//! Health of a source as a state machine: `Unknown → Up ⇄ Stale → Down`, driven by poll
//! results and by the passage of time (`tick`). Time is always an argument. A built-in default
//! source that nobody configured and that never answered is `NotFound`, never `Down`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;

/// Health of one source or node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Health {
    /// Nothing heard yet.
    Unknown,
    /// Answering normally.
    Up {
        /// Since when.
        #[serde(with = "crate::model::time_fmt")]
        since: SystemTime,
    },
    /// Data is older than it should be (a missed poll, or one failure after successes).
    Stale {
        /// Since when.
        #[serde(with = "crate::model::time_fmt")]
        since: SystemTime,
        /// Why.
        reason: Arc<str>,
    },
    /// Not answering.
    Down {
        /// Since when.
        #[serde(with = "crate::model::time_fmt")]
        since: SystemTime,
        /// The last error.
        reason: Arc<str>,
    },
    /// A built-in default nobody configured, which has never answered: nothing is there. Not a
    /// fault: it forms no node and raises no alert.
    NotFound {
        /// What was tried.
        reason: Arc<str>,
    },
}

impl Health {
    /// Severity order for "worst of": Up < Unknown, NotFound < Stale < Down.
    #[must_use]
    pub fn severity(&self) -> u8 {
        match self {
            Self::Up { .. } => 0,
            Self::Unknown | Self::NotFound { .. } => 1,
            Self::Stale { .. } => 2,
            Self::Down { .. } => 3,
        }
    }

    /// One word for the state, readable without colour.
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Up { .. } => "up",
            Self::Stale { .. } => "stale",
            Self::Down { .. } => "down",
            Self::NotFound { .. } => "not found",
        }
    }

    /// The reason, for stale, down and not found.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Stale { reason, .. } | Self::Down { reason, .. } | Self::NotFound { reason } => {
                Some(reason)
            }
            _ => None,
        }
    }
}

/// Tracks one source's health from its poll results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceHealth {
    /// Current state.
    pub health: Health,
    /// Last successful poll.
    #[serde(with = "crate::model::time_fmt::option")]
    pub last_ok: Option<SystemTime>,
    /// Failures in a row.
    pub consecutive_failures: u32,
    /// No data for this long ⇒ stale.
    #[serde(skip)]
    pub stale_after: Duration,
    /// This many failures in a row ⇒ down (a source that never answered is down at once).
    #[serde(skip)]
    pub down_after_failures: u32,
}

impl SourceHealth {
    /// A new tracker: stale after `stale_after` without data, down after `down_after_failures`
    /// consecutive failures.
    #[must_use]
    pub fn new(stale_after: Duration, down_after_failures: u32) -> Self {
        Self {
            health: Health::Unknown,
            last_ok: None,
            consecutive_failures: 0,
            stale_after,
            down_after_failures: down_after_failures.max(1),
        }
    }

    /// A poll succeeded at `now`.
    pub fn on_success(&mut self, now: SystemTime) {
        self.last_ok = Some(now);
        self.consecutive_failures = 0;
        if !matches!(self.health, Health::Up { .. }) {
            self.health = Health::Up { since: now };
        }
    }

    /// A poll failed at `now` with `reason`.
    pub fn on_failure(&mut self, now: SystemTime, reason: &str) {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        let since = match &self.health {
            Health::Down { since, .. } => *since,
            _ => now,
        };
        if self.last_ok.is_none() || self.consecutive_failures >= self.down_after_failures {
            self.health = Health::Down {
                since,
                reason: reason.into(),
            };
        } else {
            let since = match &self.health {
                Health::Stale { since, .. } => *since,
                _ => now,
            };
            self.health = Health::Stale {
                since,
                reason: reason.into(),
            };
        }
    }

    /// A poll of a built-in default source failed at `now`: while it has never answered, it
    /// is not found (not down); once it has answered, a failure counts as for any source.
    /// Returns true when it has just become "not found" (to say so once).
    pub fn on_failure_implicit(&mut self, now: SystemTime, reason: &str) -> bool {
        if self.last_ok.is_some() {
            self.on_failure(now, reason);
            return false;
        }
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        let first = !matches!(self.health, Health::NotFound { .. });
        self.health = Health::NotFound {
            reason: reason.into(),
        };
        first
    }

    /// Let time pass: an `Up` source with no data for `stale_after` becomes `Stale`. Returns
    /// true when the state changed.
    pub fn tick(&mut self, now: SystemTime) -> bool {
        if let (Health::Up { .. }, Some(last)) = (&self.health, self.last_ok) {
            let quiet = now.duration_since(last).unwrap_or_default();
            if quiet > self.stale_after {
                self.health = Health::Stale {
                    since: last + self.stale_after,
                    reason: format!("no data for {}s", quiet.as_secs()).into(),
                };
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + s)
    }

    #[test]
    fn never_answered_is_down_at_first_failure() {
        let mut h = SourceHealth::new(Duration::from_secs(6), 2);
        assert_eq!(h.health, Health::Unknown);
        h.on_failure(t(1), "timed out");
        assert_eq!(
            h.health,
            Health::Down {
                since: t(1),
                reason: "timed out".into()
            }
        );
    }

    #[test]
    fn one_blip_is_stale_two_is_down_success_recovers() {
        let mut h = SourceHealth::new(Duration::from_secs(6), 2);
        h.on_success(t(0));
        assert_eq!(h.health, Health::Up { since: t(0) });
        h.on_failure(t(2), "refused");
        assert_eq!(h.health.label(), "stale");
        h.on_failure(t(4), "refused");
        assert_eq!(
            h.health,
            Health::Down {
                since: t(4),
                reason: "refused".into()
            }
        );
        h.on_failure(t(6), "refused again");
        // `since` keeps the start of the outage.
        assert_eq!(
            h.health,
            Health::Down {
                since: t(4),
                reason: "refused again".into()
            }
        );
        h.on_success(t(8));
        assert_eq!(h.health, Health::Up { since: t(8) });
    }

    #[test]
    fn an_implicit_source_that_never_answered_is_not_found_then_counts_once_found() {
        let mut h = SourceHealth::new(Duration::from_secs(6), 2);
        assert!(h.on_failure_implicit(t(1), "refused"));
        assert!(!h.on_failure_implicit(t(3), "refused"), "said once");
        assert_eq!(
            h.health,
            Health::NotFound {
                reason: "refused".into()
            }
        );
        assert_eq!(h.health.label(), "not found");
        h.on_success(t(5));
        h.on_failure_implicit(t(7), "refused");
        assert_eq!(
            h.health.label(),
            "stale",
            "found once: an ordinary source now"
        );
        h.on_failure_implicit(t(9), "refused");
        assert_eq!(h.health.label(), "down");
    }

    #[test]
    fn silence_makes_up_stale() {
        let mut h = SourceHealth::new(Duration::from_secs(6), 2);
        h.on_success(t(0));
        assert!(!h.tick(t(6)));
        assert_eq!(h.health.label(), "up");
        assert!(h.tick(t(7)));
        assert_eq!(h.health.label(), "stale");
        assert_eq!(h.health.reason(), Some("no data for 7s"));
    }
}
