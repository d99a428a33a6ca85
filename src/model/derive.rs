//! Derivations as PromQL defines them: counter rates with reset handling, histogram quantiles
//! over the delta between two scrapes (`histogram_quantile`), means from `_sum`/`_count`.
//! Pure functions; times are arguments.

use super::scrape::Histogram;

/// Per-second rate of a counter between two readings `dt_s` seconds apart.
///
/// If the counter went down, it restarted from zero: the increase is the new value (as PromQL's
/// `rate` does). Returns `None` when either reading is missing or `dt_s` is not positive, so a
/// rate is never negative and never invented.
#[must_use]
pub fn counter_rate(prev: Option<f64>, cur: Option<f64>, dt_s: f64) -> Option<f64> {
    let (prev, cur) = (prev?, cur?);
    if dt_s <= 0.0 || !prev.is_finite() || !cur.is_finite() {
        return None;
    }
    Some(counter_increase(prev, cur) / dt_s)
}

/// Increase of a counter between two readings, with reset handling.
#[must_use]
pub fn counter_increase(prev: f64, cur: f64) -> f64 {
    if cur < prev { cur } else { cur - prev }
}

/// The histogram of observations made between `prev` and `cur` (bucket-wise increase).
/// A reset of any bucket (a count going down) means the server restarted: `cur` is the delta.
#[must_use]
pub fn histogram_delta(prev: &Histogram, cur: &Histogram) -> Histogram {
    let reset = cur.count < prev.count
        || cur.buckets.iter().any(|&(le, c)| {
            prev.buckets
                .iter()
                .find(|(l, _)| l.total_cmp(&le).is_eq())
                .is_some_and(|&(_, p)| c < p)
        });
    if reset {
        return cur.clone();
    }
    let buckets = cur
        .buckets
        .iter()
        .map(|&(le, c)| {
            let p = prev
                .buckets
                .iter()
                .find(|(l, _)| l.total_cmp(&le).is_eq())
                .map_or(0.0, |&(_, p)| p);
            (le, c - p)
        })
        .collect();
    Histogram {
        buckets,
        sum: cur.sum - prev.sum,
        count: cur.count - prev.count,
    }
}

/// The `q`-quantile (0..=1) of a cumulative histogram, interpolating linearly inside the bucket
/// as PromQL's `histogram_quantile` does. `None` when there are no observations or no buckets.
///
/// Rules taken from PromQL: the lowest bucket's lower bound is 0 (or its own bound when that is
/// negative); a quantile in the `+Inf` bucket returns the upper bound of the highest finite bucket.
#[must_use]
pub fn histogram_quantile(q: f64, h: &Histogram) -> Option<f64> {
    if !(0.0..=1.0).contains(&q) || h.buckets.is_empty() {
        return None;
    }
    // Monotonic fix-up (PromQL does the same for float imprecision).
    let mut buckets: Vec<(f64, f64)> = h.buckets.clone();
    let mut max = 0.0_f64;
    for b in &mut buckets {
        max = max.max(b.1);
        b.1 = max;
    }
    let total = match buckets.last() {
        Some(&(le, c)) if le == f64::INFINITY => c,
        // Without a +Inf bucket, fall back to `_count` when it is larger.
        Some(&(_, c)) => c.max(h.count),
        None => return None,
    };
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let idx = buckets.iter().position(|&(_, c)| c >= rank)?;
    let (upper, count_upper) = buckets[idx];
    if upper == f64::INFINITY {
        return Some(if idx == 0 { 0.0 } else { buckets[idx - 1].0 });
    }
    let (lower, count_lower) = if idx == 0 {
        (if upper < 0.0 { upper } else { 0.0 }, 0.0)
    } else {
        buckets[idx - 1]
    };
    let in_bucket = count_upper - count_lower;
    if in_bucket <= 0.0 {
        return Some(upper);
    }
    Some(lower + (upper - lower) * (rank - count_lower) / in_bucket)
}

/// Mean observation of a (delta) histogram: `sum / count`.
#[must_use]
pub fn histogram_mean(h: &Histogram) -> Option<f64> {
    (h.count > 0.0).then(|| h.sum / h.count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(buckets: &[(f64, f64)], sum: f64, count: f64) -> Histogram {
        Histogram {
            buckets: buckets.to_vec(),
            sum,
            count,
        }
    }

    #[test]
    fn rate_handles_reset_and_missing() {
        assert_eq!(counter_rate(Some(10.0), Some(30.0), 2.0), Some(10.0));
        // Reset: the counter restarted at 0 and reached 4.
        assert_eq!(counter_rate(Some(100.0), Some(4.0), 2.0), Some(2.0));
        assert_eq!(counter_rate(None, Some(4.0), 2.0), None);
        assert_eq!(counter_rate(Some(1.0), None, 2.0), None);
        assert_eq!(counter_rate(Some(1.0), Some(2.0), 0.0), None);
    }

    #[test]
    fn quantile_interpolates_like_promql() {
        // 10 observations: 5 in (0,1], 5 in (1,2].
        let hist = h(
            &[(1.0, 5.0), (2.0, 10.0), (f64::INFINITY, 10.0)],
            12.0,
            10.0,
        );
        assert_eq!(histogram_quantile(0.5, &hist), Some(1.0));
        assert_eq!(histogram_quantile(0.25, &hist), Some(0.5));
        assert_eq!(histogram_quantile(0.75, &hist), Some(1.5));
        assert_eq!(histogram_mean(&hist), Some(1.2));
    }

    #[test]
    fn quantile_in_inf_bucket_returns_highest_finite_bound() {
        let hist = h(&[(1.0, 1.0), (2.0, 2.0), (f64::INFINITY, 10.0)], 0.0, 10.0);
        assert_eq!(histogram_quantile(0.99, &hist), Some(2.0));
    }

    #[test]
    fn quantile_of_empty_is_none() {
        let hist = h(&[(1.0, 0.0), (f64::INFINITY, 0.0)], 0.0, 0.0);
        assert_eq!(histogram_quantile(0.5, &hist), None);
        assert_eq!(histogram_mean(&hist), None);
        assert_eq!(histogram_quantile(0.5, &Histogram::default()), None);
    }

    #[test]
    fn delta_subtracts_and_detects_reset() {
        let a = h(&[(1.0, 5.0), (f64::INFINITY, 10.0)], 10.0, 10.0);
        let b = h(&[(1.0, 7.0), (f64::INFINITY, 14.0)], 15.0, 14.0);
        let d = histogram_delta(&a, &b);
        assert_eq!(d.buckets, vec![(1.0, 2.0), (f64::INFINITY, 4.0)]);
        assert_eq!((d.sum, d.count), (5.0, 4.0));
        // Server restarted: counts went down, so the new reading is the delta.
        let c = h(&[(1.0, 1.0), (f64::INFINITY, 1.0)], 0.5, 1.0);
        assert_eq!(histogram_delta(&b, &c), c);
    }

    #[test]
    fn merge_sums_engines() {
        let mut a = h(&[(1.0, 1.0), (f64::INFINITY, 2.0)], 1.0, 2.0);
        a.merge(&h(&[(1.0, 3.0), (f64::INFINITY, 4.0)], 2.0, 4.0));
        assert_eq!(a.buckets, vec![(1.0, 4.0), (f64::INFINITY, 6.0)]);
        assert_eq!((a.sum, a.count), (3.0, 6.0));
    }
}
