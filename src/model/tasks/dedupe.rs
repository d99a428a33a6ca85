//! A bounded memory of recently seen ids, to drop events and log lines delivered twice
//! (replays after a reconnect, the same event on two Redis channels). Ids are kept as 64-bit
//! hashes: 65 536 of them cost about 2 MiB, and a false "seen" needs a hash collision.

use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};

/// The last `capacity` distinct ids seen; the oldest is forgotten first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupeWindow {
    capacity: usize,
    set: HashSet<u64>,
    order: VecDeque<u64>,
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
        }
    }

    /// Remember `id`; true when it was not seen before (within the window).
    pub fn insert(&mut self, id: &str) -> bool {
        let k = key(id);
        if !self.set.insert(k) {
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
    }
}
