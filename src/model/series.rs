//! A bounded time series of optional values for plots: at most one point per `resolution`,
//! points older than `retention` dropped. `None` is a gap (drawn as a break, never as 0).

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

/// A bounded time series.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSeries {
    points: VecDeque<(SystemTime, Option<f64>)>,
    retention: Duration,
    resolution: Duration,
}

impl TimeSeries {
    /// Keep `retention` of history, one point per `resolution` at most.
    #[must_use]
    pub fn new(retention: Duration, resolution: Duration) -> Self {
        Self {
            points: VecDeque::new(),
            retention,
            resolution,
        }
    }

    /// Add a point at `t`. A point within `resolution` of the last one replaces it.
    pub fn push(&mut self, t: SystemTime, value: Option<f64>) {
        if let Some(last) = self.points.back_mut() {
            if t < last.0 {
                return; // out of order: ignore rather than corrupt the plot
            }
            if t.duration_since(last.0).unwrap_or_default() < self.resolution {
                // Same bucket: keep the bucket's start time (moving it would let frequent
                // pushes slide one point forward forever), take the newest value.
                *last = (last.0, value.or(last.1));
                self.prune(t);
                return;
            }
        }
        self.points.push_back((t, value));
        self.prune(t);
    }

    fn prune(&mut self, now: SystemTime) {
        while let Some(&(t, _)) = self.points.front() {
            if now.duration_since(t).unwrap_or_default() > self.retention {
                self.points.pop_front();
            } else {
                break;
            }
        }
    }

    /// Points in time order.
    pub fn iter(&self) -> impl Iterator<Item = &(SystemTime, Option<f64>)> {
        self.points.iter()
    }

    /// Number of points held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The newest value, if the newest point is not a gap.
    #[must_use]
    pub fn current(&self) -> Option<f64> {
        self.points.back().and_then(|p| p.1)
    }

    /// `(peak, average)` over the values at or after `since`, ignoring gaps.
    #[must_use]
    pub fn peak_avg(&self, since: SystemTime) -> Option<(f64, f64)> {
        let vals = self
            .points
            .iter()
            .filter(|p| p.0 >= since)
            .filter_map(|p| p.1);
        let (mut n, mut sum, mut peak) = (0_u32, 0.0, f64::MIN);
        for v in vals {
            n += 1;
            sum += v;
            peak = peak.max(v);
        }
        (n > 0).then(|| (peak, sum / f64::from(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(s)
    }

    #[test]
    fn bounded_by_retention_and_resolution() {
        let mut s = TimeSeries::new(Duration::from_secs(10), Duration::from_secs(1));
        for i in 0..30 {
            s.push(t(i), Some(i as f64));
        }
        assert_eq!(s.len(), 11);
        s.push(t(29), Some(100.0)); // same second: replaces
        assert_eq!(s.len(), 11);
        assert_eq!(s.current(), Some(100.0));
    }

    #[test]
    fn frequent_pushes_still_make_one_point_per_resolution() {
        // Several servers push the cluster total every 300 ms: one point per second results.
        let mut s = TimeSeries::new(Duration::from_secs(100), Duration::from_secs(1));
        for i in 0..30_u64 {
            s.push(
                SystemTime::UNIX_EPOCH + Duration::from_millis(300 * i),
                Some(i as f64),
            );
        }
        // A bucket starts at its first push: 0, 1.2, 2.4, … 8.4 s → 8 points over 8.7 s.
        assert_eq!(s.len(), 8);
        assert_eq!(s.current(), Some(29.0));
    }

    #[test]
    fn gaps_are_kept_and_skipped_in_stats() {
        let mut s = TimeSeries::new(Duration::from_secs(100), Duration::from_secs(1));
        s.push(t(1), Some(10.0));
        s.push(t(2), None);
        s.push(t(3), Some(30.0));
        assert_eq!(s.peak_avg(t(0)), Some((30.0, 20.0)));
        assert_eq!(s.iter().filter(|p| p.1.is_none()).count(), 1);
        assert_eq!(s.peak_avg(t(4)), None);
    }
}
