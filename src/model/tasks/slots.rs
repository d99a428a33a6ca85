//! Time-bucketed counters: a ring of fixed-width slots (one per minute, one per hour…) so that
//! "how many in the last hour / 24 h" costs the same memory at 1 event/s as at 50 000.

use std::time::{Duration, SystemTime};

use crate::model::time_fmt::epoch_secs;

/// A ring of `count` slots of `width` each, holding a `T` per slot.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SlotRing<T> {
    width_s: u64,
    slots: Vec<Option<(u64, T)>>,
}

impl<T: Default> SlotRing<T> {
    /// `count` slots (at least 1) of `width` (at least 1 s).
    #[must_use]
    pub fn new(width: Duration, count: usize) -> Self {
        let mut slots = Vec::new();
        slots.resize_with(count.max(1), || None);
        Self {
            width_s: width.as_secs().max(1),
            slots,
        }
    }

    /// Same slot width and count as `other`.
    #[must_use]
    pub fn same_shape(&self, other: &Self) -> bool {
        self.width_s == other.width_s && self.slots.len() == other.slots.len()
    }

    fn index(&self, t: SystemTime) -> u64 {
        epoch_secs(t) / self.width_s
    }

    /// The slot for time `at` seen at `now` (a future `at` counts as `now`); `None` when `at`
    /// is older than the ring covers.
    pub fn slot_mut(&mut self, at: SystemTime, now: SystemTime) -> Option<&mut T> {
        let idx = self.index(at.min(now));
        let now_idx = self.index(now);
        let n = self.slots.len() as u64;
        if idx + n <= now_idx {
            return None;
        }
        let pos = usize::try_from(idx % n).ok()?;
        let slot = &mut self.slots[pos];
        match slot {
            Some((i, _)) if *i > idx => return None,
            Some((i, _)) if *i == idx => {}
            _ => *slot = Some((idx, T::default())),
        }
        slot.as_mut().map(|(_, v)| v)
    }

    /// The slots within `window` of `now` (the current, partial slot included).
    pub fn window(&self, window: Duration, now: SystemTime) -> impl Iterator<Item = &T> {
        let now_idx = self.index(now);
        let n = window
            .as_secs()
            .div_ceil(self.width_s)
            .clamp(1, self.slots.len() as u64);
        self.slots.iter().filter_map(move |s| {
            s.as_ref()
                .filter(|(i, _)| *i <= now_idx && *i + n > now_idx)
                .map(|(_, v)| v)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(s)
    }

    #[test]
    fn counts_within_the_window_and_forgets_older() {
        let mut r: SlotRing<u32> = SlotRing::new(Duration::from_secs(60), 60);
        let now = t(100 * 60);
        for m in [40_u64, 41, 99, 100] {
            if let Some(v) = r.slot_mut(t(m * 60 + 5), now) {
                *v += 1;
            }
        }
        fn sum(r: &SlotRing<u32>, w: u64, now: SystemTime) -> u32 {
            r.window(Duration::from_secs(w), now).sum()
        }
        assert_eq!(sum(&r, 3600, now), 3, "minute 40 is 60 minutes old: out");
        assert_eq!(sum(&r, 60, now), 1);
        assert_eq!(sum(&r, 120, now), 2);
        // Too old to store at all.
        assert!(r.slot_mut(t(10 * 60), now).is_none());
        // A future time counts as now.
        *r.slot_mut(t(500 * 60), now).unwrap_or(&mut 0) += 1;
        assert_eq!(sum(&r, 60, now), 2);
        // Much later everything has aged out.
        assert_eq!(sum(&r, 3600, t(1000 * 60)), 0);
    }
}
