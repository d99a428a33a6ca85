//! Derivations as PromQL defines them: counter rates with reset handling, histogram quantiles
//! over the delta between two scrapes (`histogram_quantile`), means from `_sum`/`_count`; and
//! the checks that keep bad readings from becoming figures (a negative counter is no reading, a
//! histogram whose bounds do not increase or whose counts go down has no quantiles).
//! Pure functions; times are arguments.

use super::scrape::Histogram;
use crate::format::raw_value;

/// Per-second rate of a counter between two readings `dt_s` seconds apart.
///
/// If the counter went down, it restarted from zero: the increase is the new value (as PromQL's
/// `rate` does). Returns `None` when either reading is missing, negative or not finite (a
/// counter is never below 0: such a reading is a fault, refused at the mapping) or `dt_s` is
/// not positive, so a rate is never negative and never invented.
#[must_use]
pub fn counter_rate(prev: Option<f64>, cur: Option<f64>, dt_s: f64) -> Option<f64> {
    let (prev, cur) = (prev?, cur?);
    let valid = |v: f64| v.is_finite() && v >= 0.0;
    if dt_s <= 0.0 || !dt_s.is_finite() || !valid(prev) || !valid(cur) {
        return None;
    }
    Some(counter_increase(prev, cur) / dt_s)
}

/// Increase of a counter between two readings, with reset handling; never negative (a reading
/// below 0 counts as 0).
#[must_use]
pub fn counter_increase(prev: f64, cur: f64) -> f64 {
    let (prev, cur) = (prev.max(0.0), cur.max(0.0));
    if cur < prev { cur } else { cur - prev }
}

/// Why cumulative histogram buckets, in the order given, cannot be used; `None` when they can.
/// Bounds must increase strictly (so none is repeated or out of order), counts must be
/// finite, never negative, and never go down from one bucket to the next (they are cumulative).
#[must_use]
pub fn histogram_problem(buckets: &[(f64, f64)]) -> Option<String> {
    let mut prev: Option<(f64, f64)> = None;
    for &(le, c) in buckets {
        let (le_s, c_s) = (raw_value(le), raw_value(c));
        if le.is_nan() {
            return Some("a bucket bound (le) is NaN".to_owned());
        }
        if !c.is_finite() {
            return Some(format!("bucket le={le_s} has count {c_s}, not a number"));
        }
        if c < 0.0 {
            return Some(format!(
                "bucket le={le_s} has count {c_s} (counts are never negative)"
            ));
        }
        if let Some((ple, pc)) = prev {
            if le == ple {
                return Some(format!("bucket le={le_s} appears twice"));
            }
            if le < ple {
                return Some(format!(
                    "bucket le={le_s} comes after le={} (bounds must increase)",
                    raw_value(ple)
                ));
            }
            if c < pc {
                return Some(format!(
                    "bucket le={le_s} has count {c_s}, fewer than le={}'s {} (counts are cumulative)",
                    raw_value(ple),
                    raw_value(pc)
                ));
            }
        }
        prev = Some((le, c));
    }
    None
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
/// Bounds that do not increase strictly, or a negative or non-finite count, give `None`: such a
/// histogram has no quantiles (a count that dips between buckets is smoothed, as PromQL does).
#[must_use]
pub fn histogram_quantile(q: f64, h: &Histogram) -> Option<f64> {
    if !(0.0..=1.0).contains(&q) || h.buckets.is_empty() {
        return None;
    }
    let sound = h.buckets.iter().all(|&(_, c)| c.is_finite() && c >= 0.0)
        && h.buckets.windows(2).all(|w| w[0].0 < w[1].0);
    if !sound {
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

/// Mean observation of a (delta) histogram: `sum / count`; `None` without observations or
/// when either is not a finite number.
#[must_use]
pub fn histogram_mean(h: &Histogram) -> Option<f64> {
    (h.count > 0.0 && h.count.is_finite() && h.sum.is_finite()).then(|| h.sum / h.count)
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
    fn a_negative_counter_never_gives_a_negative_rate() {
        // The defect: 100 → -2000 read as a reset to -2000, a rate of -1000/s.
        assert_eq!(counter_rate(Some(100.0), Some(-2000.0), 2.0), None);
        assert_eq!(counter_rate(Some(-5.0), Some(10.0), 2.0), None);
        assert_eq!(counter_rate(Some(1.0), Some(f64::INFINITY), 2.0), None);
        assert_eq!(counter_rate(Some(1.0), Some(3.0), f64::NAN), None);
        assert!(counter_increase(100.0, -2000.0) >= 0.0);
        assert!(counter_increase(-100.0, -50.0) >= 0.0);
    }

    #[test]
    fn bad_buckets_are_named_and_have_no_quantiles() {
        let good = [(0.1, 1.0), (0.5, 3.0), (f64::INFINITY, 3.0)];
        assert_eq!(histogram_problem(&good), None);
        let cases: [(&[(f64, f64)], &str); 5] = [
            (&[(0.5, 3.0), (0.1, 5.0)], "le=0.1 comes after le=0.5"),
            (&[(0.1, 1.0), (0.1, 1.0)], "le=0.1 appears twice"),
            (&[(0.1, -3.0), (0.5, 1.0)], "le=0.1 has count -3"),
            (&[(0.1, 5.0), (0.5, 3.0)], "fewer than le=0.1's 5"),
            (&[(0.1, f64::INFINITY)], "count +Inf, not a number"),
        ];
        for (buckets, want) in cases {
            let p = histogram_problem(buckets).unwrap_or_default();
            assert!(p.contains(want), "{p:?} should say {want:?}");
        }
        // Unsorted, repeated or negative buckets never yield a quantile, however they arrive.
        for buckets in [
            vec![(0.5, 3.0), (0.1, 5.0), (f64::INFINITY, 5.0)],
            vec![(0.1, 5.0), (0.1, 5.0), (f64::INFINITY, 5.0)],
            vec![(0.1, -5.0), (f64::INFINITY, 5.0)],
        ] {
            assert_eq!(histogram_quantile(0.95, &h(&buckets, 1.0, 5.0)), None);
        }
        assert_eq!(histogram_mean(&h(&good, f64::INFINITY, 3.0)), None);
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
