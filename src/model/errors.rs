//! The deduplicated error log: one entry per (source, kind) with a count, first and last seen,
//! and the last message. When the source succeeds again its entries are marked resolved (with
//! when); a repeat makes an entry current again. Bounded: the entry seen longest ago is dropped
//! first.

use std::time::SystemTime;

use serde::Serialize;

/// One deduplicated error.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ErrorEntry {
    /// Which source (display form).
    pub source: String,
    /// Error kind (`timeout`, `parse`, …).
    pub kind: String,
    /// How many times it happened.
    pub count: u64,
    /// First occurrence.
    #[serde(with = "crate::model::time_fmt")]
    pub first_seen: SystemTime,
    /// Latest occurrence.
    #[serde(with = "crate::model::time_fmt")]
    pub last_seen: SystemTime,
    /// The latest message in full.
    pub last_message: String,
    /// When the source succeeded after the latest occurrence: the error is history, not a
    /// current condition. `None` while it is current.
    #[serde(with = "crate::model::time_fmt::option")]
    pub resolved_at: Option<SystemTime>,
}

impl ErrorEntry {
    /// True while the error is a current condition (not resolved since it last happened).
    #[must_use]
    pub fn is_current(&self) -> bool {
        self.resolved_at.is_none()
    }
}

/// Bounded, deduplicated log of errors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorLog {
    entries: Vec<ErrorEntry>,
    #[serde(skip)]
    capacity: usize,
}

impl Default for ErrorLog {
    fn default() -> Self {
        Self::with_capacity(200)
    }
}

impl ErrorLog {
    /// A log keeping at most `capacity` distinct errors.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Vec::new(),
            capacity: capacity.max(1),
        }
    }

    /// Record one occurrence at `now`.
    pub fn record(&mut self, source: &str, kind: &str, message: &str, now: SystemTime) {
        if let Some(e) = self
            .entries
            .iter_mut()
            .find(|e| e.source == source && e.kind == kind)
        {
            e.count += 1;
            e.last_seen = e.last_seen.max(now);
            e.resolved_at = None;
            message.clone_into(&mut e.last_message);
            return;
        }
        if self.entries.len() >= self.capacity
            && let Some(oldest) = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.last_seen)
                .map(|(i, _)| i)
        {
            self.entries.swap_remove(oldest);
        }
        self.entries.push(ErrorEntry {
            source: source.to_owned(),
            kind: kind.to_owned(),
            count: 1,
            first_seen: now,
            last_seen: now,
            last_message: message.to_owned(),
            resolved_at: None,
        });
    }

    /// `source` succeeded at `now`: each of its current errors is marked resolved. A later
    /// [`ErrorLog::record`] of the same (source, kind) makes that entry current again.
    pub fn resolve(&mut self, source: &str, now: SystemTime) {
        for e in &mut self.entries {
            if e.source == source && e.resolved_at.is_none() {
                e.resolved_at = Some(now.max(e.last_seen));
            }
        }
    }

    /// Every entry, in no particular order (to save them).
    #[must_use]
    pub fn entries(&self) -> &[ErrorEntry] {
        &self.entries
    }

    /// Put back entries saved before a restart (those not already here), up to the capacity,
    /// newest first.
    pub fn restore(&mut self, mut saved: Vec<ErrorEntry>) {
        saved.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
        for e in saved {
            if self.entries.len() >= self.capacity {
                break;
            }
            if !self
                .entries
                .iter()
                .any(|x| x.source == e.source && x.kind == e.kind)
            {
                self.entries.push(e);
            }
        }
    }

    /// The log as it stood at `t`: errors first seen by then (counts and messages are the
    /// latest known; one resolved after `t` is current).
    #[must_use]
    pub fn as_of(&self, t: SystemTime) -> Self {
        let entries = self
            .entries
            .iter()
            .filter(|e| e.first_seen <= t)
            .map(|e| ErrorEntry {
                last_seen: e.last_seen.min(t),
                resolved_at: e.resolved_at.filter(|r| *r <= t),
                ..e.clone()
            })
            .collect();
        Self {
            entries,
            capacity: self.capacity,
        }
    }

    /// Number of errors that are current (not resolved).
    #[must_use]
    pub fn current_count(&self) -> usize {
        self.entries.iter().filter(|e| e.is_current()).count()
    }

    /// Entries, newest (by last seen) first; ties broken by source then kind so order is stable.
    #[must_use]
    pub fn recent(&self) -> Vec<&ErrorEntry> {
        let mut v: Vec<&ErrorEntry> = self.entries.iter().collect();
        v.sort_by(|a, b| {
            b.last_seen
                .cmp(&a.last_seen)
                .then_with(|| a.source.cmp(&b.source))
                .then_with(|| a.kind.cmp(&b.kind))
        });
        v
    }

    /// Number of distinct errors.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing has gone wrong.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(s)
    }

    #[test]
    fn dedups_by_source_and_kind() {
        let mut log = ErrorLog::default();
        log.record("a", "timeout", "first", t(1));
        log.record("a", "timeout", "second", t(5));
        log.record("b", "timeout", "other", t(3));
        assert_eq!(log.len(), 2);
        let recent = log.recent();
        assert_eq!(recent[0].source, "a");
        assert_eq!(recent[0].count, 2);
        assert_eq!(recent[0].first_seen, t(1));
        assert_eq!(recent[0].last_seen, t(5));
        assert_eq!(recent[0].last_message, "second");
        assert_eq!(recent[1].source, "b");
    }

    #[test]
    fn bounded_drops_least_recent() {
        let mut log = ErrorLog::with_capacity(2);
        log.record("a", "k", "m", t(1));
        log.record("b", "k", "m", t(2));
        log.record("c", "k", "m", t(3));
        let sources: Vec<&str> = log.recent().iter().map(|e| e.source.as_str()).collect();
        assert_eq!(sources, ["c", "b"]);
    }

    #[test]
    fn a_later_success_resolves_and_a_repeat_reopens() {
        let mut log = ErrorLog::default();
        log.record("tail", "io", "cannot read /x: No such file", t(1));
        log.record("other", "io", "still broken", t(1));
        assert_eq!(log.current_count(), 2);
        log.resolve("tail", t(5));
        let e = log
            .recent()
            .into_iter()
            .find(|e| e.source == "tail")
            .unwrap();
        assert_eq!(e.resolved_at, Some(t(5)));
        assert!(!e.is_current());
        assert_eq!(log.current_count(), 1, "the other source is untouched");
        // Resolving again keeps the first time it was resolved.
        log.resolve("tail", t(9));
        let e = log
            .recent()
            .into_iter()
            .find(|e| e.source == "tail")
            .unwrap();
        assert_eq!(e.resolved_at, Some(t(5)));
        log.record("tail", "io", "gone again", t(12));
        let e = log.recent()[0];
        assert_eq!(
            (e.source.as_str(), e.count, e.resolved_at),
            ("tail", 2, None)
        );
        let json = serde_json::to_string(&log).unwrap();
        assert!(json.contains("\"resolved_at\":null"), "{json}");
    }
}
