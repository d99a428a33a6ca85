//! Tool-proxy errors: error-level records per rolling hour at an explicit `now` (per-minute
//! buckets), counts by kind, and the last records for display. Bounded.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::slots::SlotRing;
use crate::model::input::{ProxyErrorKind, ProxyRecord};

/// Records kept for display.
pub const MAX_RECENT_RECORDS: usize = 200;

const HOUR: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Default, PartialEq)]
struct Minute {
    errors: u32,
    warnings: u32,
    by_kind: [u32; ProxyErrorKind::ALL.len()],
}

fn kind_index(k: ProxyErrorKind) -> usize {
    ProxyErrorKind::ALL
        .iter()
        .position(|x| *x == k)
        .unwrap_or(0)
}

/// Tool-proxy figures at `now`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProxySummary {
    /// ERROR/CRITICAL records in the hour up to `now`.
    pub errors_last_hour: u32,
    /// WARNING records in the hour up to `now`.
    pub warnings_last_hour: u32,
    /// Records of each known kind in the hour up to `now` (kinds with none left out).
    pub kinds_last_hour: BTreeMap<ProxyErrorKind, u32>,
    /// Records of each kind since start.
    pub kinds_total: BTreeMap<ProxyErrorKind, u64>,
    /// Records read since start.
    pub records_total: u64,
    /// The latest error-level records, newest first (at most 20).
    pub recent_errors: Vec<ProxyRecord>,
}

/// The tool proxy's log, folded.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyErrors {
    minutes: SlotRing<Minute>,
    kinds_total: BTreeMap<ProxyErrorKind, u64>,
    records_total: u64,
    recent: VecDeque<ProxyRecord>,
}

impl Default for ProxyErrors {
    fn default() -> Self {
        Self {
            minutes: SlotRing::new(Duration::from_secs(60), 61),
            kinds_total: BTreeMap::new(),
            records_total: 0,
            recent: VecDeque::new(),
        }
    }
}

impl ProxyErrors {
    /// Fold in one record, seen at `now`.
    pub fn apply(&mut self, r: ProxyRecord, now: SystemTime) {
        self.records_total += 1;
        if let Some(k) = r.kind {
            *self.kinds_total.entry(k).or_default() += 1;
        }
        if let Some(m) = self.minutes.slot_mut(r.at, now) {
            if r.level.is_error() {
                m.errors += 1;
            } else if r.level == crate::model::input::ProxyLevel::Warning {
                m.warnings += 1;
            }
            if let Some(k) = r.kind {
                m.by_kind[kind_index(k)] += 1;
            }
        }
        if r.level.is_error() || r.kind.is_some() {
            if self.recent.len() >= MAX_RECENT_RECORDS {
                self.recent.pop_front();
            }
            self.recent.push_back(r);
        }
    }

    /// Error-level records in the hour up to `now`.
    #[must_use]
    pub fn errors_per_hour(&self, now: SystemTime) -> u32 {
        self.minutes.window(HOUR, now).map(|m| m.errors).sum()
    }

    /// Every figure at `now`.
    #[must_use]
    pub fn summary(&self, now: SystemTime) -> ProxySummary {
        let mut s = ProxySummary {
            kinds_total: self.kinds_total.clone(),
            records_total: self.records_total,
            ..ProxySummary::default()
        };
        for m in self.minutes.window(HOUR, now) {
            s.errors_last_hour += m.errors;
            s.warnings_last_hour += m.warnings;
            for (k, n) in ProxyErrorKind::ALL.iter().zip(m.by_kind) {
                if n > 0 {
                    *s.kinds_last_hour.entry(*k).or_default() += n;
                }
            }
        }
        s.recent_errors = self
            .recent
            .iter()
            .rev()
            .filter(|r| r.level.is_error())
            .take(20)
            .cloned()
            .collect();
        s
    }
}
