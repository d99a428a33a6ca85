//! The one retry policy: exponential backoff with jitter while a source fails (a poll that
//! errs, a connection that drops), reset by a success (a good poll, a connection that stayed up
//! long enough to count as stable); and the jitter on a healthy poll's interval. Pure: the
//! randomness comes in as an argument, so it is tested without a clock or an RNG.

use std::time::Duration;

/// Share of a retry delay used as jitter (±), so that many clients dropped at once by one
/// server restart do not all come back in the same millisecond.
pub const RETRY_JITTER: f64 = 0.2;

/// Share of a healthy poll's interval used as jitter (±), so that targets polled together
/// drift apart.
pub const POLL_JITTER: f64 = 0.1;

/// `interval` ± [`POLL_JITTER`]; `unit` is a random number in `[0, 1)`.
#[must_use]
pub fn jittered(interval: Duration, unit: f64) -> Duration {
    interval.mul_f64(1.0 + (unit.clamp(0.0, 1.0) * 2.0 - 1.0) * POLL_JITTER)
}

/// Backoff state of one stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest delay.
    pub max: Duration,
    failures: u32,
}

impl Backoff {
    /// A fresh backoff (no failure yet).
    #[must_use]
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max: max.max(base),
            failures: 0,
        }
    }

    /// Count one more failure (or drop) and return how long to wait before the next attempt:
    /// `base · 2^(failures−1)`, at most `max`, ± [`RETRY_JITTER`]. `unit` is a random number in
    /// `[0, 1)`.
    pub fn next_delay(&mut self, unit: f64) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let factor = 2_u32.saturating_pow((self.failures - 1).min(20));
        let raw = self.base.saturating_mul(factor).min(self.max);
        let jitter = (unit.clamp(0.0, 1.0) * 2.0 - 1.0) * RETRY_JITTER;
        raw.mul_f64(1.0 + jitter)
    }

    /// A connection stayed up long enough: the next drop starts again from `base`.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Consecutive failures so far.
    #[must_use]
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_poll_waits_its_interval_with_bounded_jitter() {
        let i = Duration::from_secs(2);
        assert_eq!(jittered(i, 0.5), i);
        assert_eq!(jittered(i, 0.0), Duration::from_millis(1800));
        assert!(jittered(i, 0.999_999) <= Duration::from_millis(2200));
    }

    #[test]
    fn doubles_up_to_the_cap_with_bounded_jitter() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        assert_eq!(b.next_delay(0.5), Duration::from_secs(1));
        assert_eq!(b.next_delay(0.5), Duration::from_secs(2));
        assert_eq!(b.next_delay(0.5), Duration::from_secs(4));
        for _ in 0..40 {
            b.next_delay(0.5);
        }
        assert_eq!(b.next_delay(0.5), Duration::from_secs(30));
        assert_eq!(b.next_delay(0.0), Duration::from_secs(24));
        assert!(b.next_delay(0.999_999) <= Duration::from_secs(36));
        b.reset();
        assert_eq!(b.failures(), 0);
        assert_eq!(b.next_delay(0.5), Duration::from_secs(1));
    }

    #[test]
    fn max_below_base_is_raised_to_base() {
        let mut b = Backoff::new(Duration::from_secs(5), Duration::from_secs(1));
        assert_eq!(b.next_delay(0.5), Duration::from_secs(5));
        assert_eq!(b.next_delay(0.5), Duration::from_secs(5));
    }
}
