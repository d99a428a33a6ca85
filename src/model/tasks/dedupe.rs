//! A bounded memory of recently seen ids, to drop events and log lines delivered twice
//! (replays after a reconnect, the same event on two Redis channels), counting what it drops.
//! Ids are kept as 64-bit hashes: 65 536 of them cost about 2 MiB, and a false "seen" needs a
//! hash collision. [`DuplicateReport`] paces how a stream tells the model that count.

use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

/// The last `capacity` distinct ids seen; the oldest is forgotten first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupeWindow {
    capacity: usize,
    set: HashSet<u64>,
    order: VecDeque<u64>,
    dropped: u64,
}

fn key(id: &str) -> u64 {
    // `DefaultHasher::new()` has fixed keys: the same id always hashes the same.
    let mut h = std::hash::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl DedupeWindow {
    /// A window remembering up to `capacity` ids (at least 1).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            set: HashSet::new(),
            order: VecDeque::new(),
            dropped: 0,
        }
    }

    /// Remember `id`; true when it was not seen before (within the window). A repeat is
    /// counted in [`Self::dropped`].
    pub fn insert(&mut self, id: &str) -> bool {
        let k = key(id);
        if !self.set.insert(k) {
            self.dropped += 1;
            return false;
        }
        self.order.push_back(k);
        if self.order.len() > self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }

    /// True when `id` is in the window.
    #[must_use]
    pub fn contains(&self, id: &str) -> bool {
        self.set.contains(&key(id))
    }

    /// Repeats refused since the window was made.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Ids remembered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when nothing is remembered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// When a stream tells the model its running total of duplicates dropped: the first at once,
/// then at most once per [`DuplicateReport::EVERY`] (a replay of thousands costs a few queue
/// slots, not one each); the stream's timer sends what is left ([`DuplicateReport::due`] on
/// each tick). A total that could not be queued is sent again later.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DuplicateReport {
    reported: u64,
    last: Option<Instant>,
}

impl DuplicateReport {
    /// The least time between two reports.
    pub const EVERY: Duration = Duration::from_secs(1);

    /// The total to send at `now`, when it is news and the last report is old enough.
    #[must_use]
    pub fn due(&self, total: u64, now: Instant) -> Option<u64> {
        let recent = self
            .last
            .is_some_and(|t| now.saturating_duration_since(t) < Self::EVERY);
        (total != self.reported && !recent).then_some(total)
    }

    /// `total` was queued at `now`.
    pub fn sent(&mut self, total: u64, now: Instant) {
        self.reported = total;
        self.last = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_a_bounded_window() {
        let mut w = DedupeWindow::new(2);
        assert!(w.insert("a"));
        assert!(!w.insert("a"));
        assert!(w.insert("b"));
        assert!(w.insert("c"));
        assert_eq!(w.len(), 2);
        assert!(!w.contains("a"));
        assert!(w.insert("a"));
        assert_eq!(w.dropped(), 1);
    }

    #[test]
    fn reports_are_paced_and_the_rest_follows() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut r = DuplicateReport::default();
        assert_eq!(r.due(0, t0), None, "nothing to say");
        assert_eq!(r.due(1, t0), Some(1), "the first at once");
        r.sent(1, t0);
        assert_eq!(r.due(99, ms(10)), None, "a burst waits");
        assert_eq!(r.due(99, ms(999)), None);
        assert_eq!(r.due(99, ms(1000)), Some(99), "the timer sends the rest");
        // Not queued (a full channel): asked again, it is still due.
        assert_eq!(r.due(99, ms(2000)), Some(99));
        r.sent(99, ms(2000));
        assert_eq!(r.due(99, ms(9000)), None, "said once");
    }
}
