//! When to poll next: the interval with jitter while a source answers, exponential backoff with
//! jitter while it fails. Pure, so it is tested without a clock.

use std::time::Duration;

/// Longest wait between two polls of a failing source.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Share of the delay used as jitter (±).
pub const JITTER: f64 = 0.1;

/// The delay before the next poll after `failures` consecutive failures (0 = last poll was
/// fine). `unit` is a random number in `[0, 1)` supplying the jitter.
#[must_use]
pub fn next_delay(interval: Duration, failures: u32, unit: f64) -> Duration {
    let base = if failures == 0 {
        interval
    } else {
        let factor = 2_u32.saturating_pow(failures.min(16));
        interval
            .saturating_mul(factor)
            .min(MAX_BACKOFF.max(interval))
    };
    let jitter = (unit.clamp(0.0, 1.0) * 2.0 - 1.0) * JITTER;
    base.mul_f64(1.0 + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_source_polls_at_interval_with_bounded_jitter() {
        let i = Duration::from_secs(2);
        assert_eq!(next_delay(i, 0, 0.5), i);
        assert_eq!(next_delay(i, 0, 0.0), Duration::from_millis(1800));
        assert!(next_delay(i, 0, 0.999_999) <= Duration::from_millis(2200));
    }

    #[test]
    fn failing_source_backs_off_exponentially_up_to_the_cap() {
        let i = Duration::from_secs(1);
        assert_eq!(next_delay(i, 1, 0.5), Duration::from_secs(2));
        assert_eq!(next_delay(i, 2, 0.5), Duration::from_secs(4));
        assert_eq!(next_delay(i, 3, 0.5), Duration::from_secs(8));
        assert_eq!(next_delay(i, 10, 0.5), MAX_BACKOFF);
        assert_eq!(next_delay(i, u32::MAX, 0.5), MAX_BACKOFF);
        // An interval longer than the cap is never shortened by backoff.
        let long = Duration::from_secs(60);
        assert_eq!(next_delay(long, 3, 0.5), long);
    }
}
