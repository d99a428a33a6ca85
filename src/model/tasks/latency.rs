//! Completion times in fixed log-scale buckets (10 % wide): an exact count, sum, min and max,
//! and a p95 within 5 % of the true value, in 1 KiB whatever the number of tasks.

use serde::Serialize;

/// Number of buckets: bucket 0 holds 0 ms, bucket `i ≥ 1` holds `[1.1^(i−1), 1.1^i)` ms; the
/// last one everything above (about a year).
pub const BUCKETS: usize = 256;

const RATIO: f64 = 1.1;

/// A histogram of durations in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LatencyHist {
    counts: Vec<u32>,
    n: u64,
    sum_ms: u64,
    min_ms: u64,
    max_ms: u64,
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
fn bucket(ms: u64) -> usize {
    if ms == 0 {
        return 0;
    }
    let i = 1 + ((ms as f64).ln() / RATIO.ln()).floor() as usize;
    i.min(BUCKETS - 1)
}

#[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
fn representative(i: usize) -> f64 {
    if i == 0 {
        return 0.0;
    }
    // Geometric middle of [1.1^(i−1), 1.1^i).
    RATIO.powf(i as f64 - 0.5)
}

/// Summary figures of a histogram.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Durations recorded.
    pub count: u64,
    /// Mean, ms (exact).
    pub avg_ms: Option<f64>,
    /// 95th percentile, ms (within 5 %, clamped to the observed range).
    pub p95_ms: Option<f64>,
    /// Largest, ms.
    pub max_ms: Option<u64>,
}

impl LatencyHist {
    /// Record one duration.
    pub fn record(&mut self, ms: u64) {
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS];
        }
        let b = bucket(ms);
        self.counts[b] = self.counts[b].saturating_add(1);
        self.min_ms = if self.n == 0 { ms } else { self.min_ms.min(ms) };
        self.max_ms = self.max_ms.max(ms);
        self.n += 1;
        self.sum_ms = self.sum_ms.saturating_add(ms);
    }

    /// Add another histogram into this one.
    pub fn merge(&mut self, other: &Self) {
        if other.n == 0 {
            return;
        }
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS];
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a = a.saturating_add(*b);
        }
        self.min_ms = if self.n == 0 {
            other.min_ms
        } else {
            self.min_ms.min(other.min_ms)
        };
        self.max_ms = self.max_ms.max(other.max_ms);
        self.n += other.n;
        self.sum_ms = self.sum_ms.saturating_add(other.sum_ms);
    }

    /// Count, mean, p95 and max.
    #[must_use]
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    pub fn summary(&self) -> LatencySummary {
        if self.n == 0 {
            return LatencySummary::default();
        }
        let rank = ((self.n as f64) * 0.95).ceil().max(1.0) as u64;
        let mut seen = 0_u64;
        let mut p95 = self.max_ms as f64;
        for (i, c) in self.counts.iter().enumerate() {
            seen += u64::from(*c);
            if seen >= rank {
                p95 = representative(i);
                break;
            }
        }
        LatencySummary {
            count: self.n,
            avg_ms: Some(self.sum_ms as f64 / self.n as f64),
            p95_ms: Some(p95.clamp(self.min_ms as f64, self.max_ms as f64)),
            max_ms: Some(self.max_ms),
        }
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, clippy::cast_precision_loss)]
mod tests {
    use super::*;

    #[test]
    fn p95_is_within_five_percent() {
        let mut h = LatencyHist::default();
        for ms in 1..=1000 {
            h.record(ms);
        }
        let s = h.summary();
        assert_eq!(s.count, 1000);
        assert_eq!(s.avg_ms, Some(500.5));
        let p95 = s.p95_ms.unwrap_or_default();
        assert!((p95 - 950.0).abs() / 950.0 < 0.05, "{p95}");
        assert_eq!(s.max_ms, Some(1000));
    }

    #[test]
    fn equal_values_are_exact_and_merge_adds() {
        let mut a = LatencyHist::default();
        a.record(4210);
        let mut b = LatencyHist::default();
        b.record(4210);
        a.merge(&b);
        assert_eq!(a.summary().p95_ms, Some(4210.0));
        let mut c = LatencyHist::default();
        c.record(0);
        a.merge(&c);
        let s = a.summary();
        assert_eq!(s.count, 3);
        assert!((s.p95_ms.unwrap_or_default() - 4210.0).abs() < 4210.0 * 0.05);
        assert_eq!(LatencyHist::default().summary().avg_ms, None);
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }
}
