//! Reading history back: the points of one series over a range at screen resolution (the
//! full-resolution tier for ranges up to [`RAW_UP_TO`], the per-minute tier beyond, and the
//! minute tier wherever the full-resolution one has already been dropped), and every series'
//! value at one moment (rewind). A stretch without data is a gap — a `None` point between two
//! runs — never a line drawn across it.

use std::collections::HashMap;
use std::time::Duration;

use super::HistoryError;
use super::codec::{GAP, from_fixed};
use super::store::{Store, window_of};

/// Ranges up to this long are drawn from the full-resolution tier.
pub const RAW_UP_TO: Duration = Duration::from_secs(6 * 3600);
/// Two points further apart than this many steps have a gap between them.
const GAP_STEPS: i64 = 3;
const MINUTE_MS: i64 = 60_000;

/// Which tier a range reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Tier {
    /// One point per recorded tick.
    Raw,
    /// One point per minute (the mean).
    Minute,
}

/// The tier for a range of `span_ms`.
#[must_use]
pub fn tier_for(span_ms: i64) -> Tier {
    if span_ms <= i64::try_from(RAW_UP_TO.as_millis()).unwrap_or(i64::MAX) {
        Tier::Raw
    } else {
        Tier::Minute
    }
}

/// A plot's points: `(unix ms, value)`, `None` marking a gap.
pub type Points = Vec<(i64, Option<f64>)>;

/// Samples of series `id` in `[from_ms, to_ms)` as `(t, fixed value, step)`, oldest first: the
/// minute tier where `tier` is Minute or the full-resolution data is gone, else full resolution.
fn samples(
    store: &Store,
    id: u32,
    from_ms: i64,
    to_ms: i64,
    tier: Tier,
    res_ms: i64,
) -> Result<Vec<(i64, i64, i64)>, HistoryError> {
    // Where full resolution is used from: the open window for the minute tier (its minutes are
    // not rolled up yet), else where that tier begins.
    let raw_from = match tier {
        Tier::Minute => store.open.start_ms.max(from_ms),
        Tier::Raw => store.raw_begins_ms().unwrap_or(to_ms).max(from_ms),
    };
    let raw_from = if store.open.ticks.is_empty() && tier == Tier::Minute {
        to_ms
    } else {
        raw_from
    };
    let mut out: Vec<(i64, i64, i64)> = store
        .minute_rows(id, from_ms, raw_from)?
        .into_iter()
        .map(|r| (r.t_ms, r.mean, MINUTE_MS))
        .collect();
    if raw_from < to_ms {
        out.extend(
            store
                .raw_points(id, raw_from, to_ms)?
                .into_iter()
                .map(|(t, v)| (t, v, res_ms)),
        );
    }
    Ok(out)
}

/// The points of series `id` in `[from_ms, to_ms)`, at most about `max_points` of them (the
/// mean of each bucket), with gaps where nothing was recorded.
///
/// # Errors
/// When the store cannot be read.
pub fn plot(
    store: &Store,
    id: u32,
    from_ms: i64,
    to_ms: i64,
    max_points: usize,
    resolution: Duration,
) -> Result<Points, HistoryError> {
    let scale = store
        .keys()
        .get(id as usize)
        .and_then(|k| k.def())
        .map_or(1.0, |m| m.scale);
    let res_ms = i64::try_from(resolution.as_millis()).unwrap_or(1000).max(1);
    let span = (to_ms - from_ms).max(1);
    let raw = samples(store, id, from_ms, to_ms, tier_for(span), res_ms)?;
    let width = (span / i64::try_from(max_points.max(1)).unwrap_or(1)).max(1);
    let mut out: Points = Vec::with_capacity(max_points.min(raw.len()) + 8);
    // Current bucket: index, first time, sum, count.
    let mut bucket: Option<(i64, i64, f64, u32)> = None;
    let mut prev: Option<(i64, i64)> = None; // time and step of the previous sample
    let emit = |out: &mut Points, b: Option<(i64, i64, f64, u32)>| {
        if let Some((_, t, sum, n)) = b {
            out.push((t, Some(sum / f64::from(n))));
        }
    };
    for (t, v, step) in raw {
        let Some(value) = from_fixed(v, scale) else {
            continue;
        };
        let gap = prev.is_some_and(|(pt, pstep)| t - pt > GAP_STEPS * pstep.max(step));
        let index = (t - from_ms) / width;
        match bucket {
            Some((i, ft, sum, n)) if i == index && !gap => {
                bucket = Some((i, ft, sum + value, n + 1));
            }
            other => {
                emit(&mut out, other);
                if let (true, Some((pt, pstep))) = (gap, prev) {
                    out.push((pt + pstep, None));
                }
                bucket = Some((index, t, value, 1));
            }
        }
        prev = Some((t, step));
    }
    emit(&mut out, bucket);
    Ok(out)
}

/// Every series' value at `t_ms`: its newest point at most `lookback` before it.
///
/// # Errors
/// When the store cannot be read.
pub fn values_at(
    store: &Store,
    t_ms: i64,
    lookback: Duration,
) -> Result<HashMap<u32, f64>, HistoryError> {
    let look_ms = i64::try_from(lookback.as_millis()).unwrap_or(i64::MAX);
    let mut out = HashMap::new();
    let scale = |id: u32| {
        store
            .keys()
            .get(id as usize)
            .and_then(|k| k.def())
            .map_or(1.0, |m| m.scale)
    };
    let pick = |ticks: &[i64], col: &[i64]| -> Option<i64> {
        ticks
            .iter()
            .zip(col)
            .rev()
            .find(|(t, v)| **t <= t_ms && **t >= t_ms - look_ms && **v != GAP)
            .map(|(_, v)| *v)
    };
    if window_of(t_ms) == store.open.start_ms && !store.open.ticks.is_empty() {
        for (&id, col) in &store.open.columns {
            if let Some(v) = pick(&store.open.ticks, col).and_then(|v| from_fixed(v, scale(id))) {
                out.insert(id, v);
            }
        }
        return Ok(out);
    }
    let n = u32::try_from(store.keys().len()).unwrap_or(u32::MAX);
    let window = window_of(t_ms);
    let in_raw = store.raw_begins_ms().is_some_and(|b| b <= window);
    for id in 0..n {
        let v = if in_raw {
            store
                .raw_points(id, t_ms.saturating_sub(look_ms).max(window), t_ms + 1)?
                .last()
                .map(|p| p.1)
        } else {
            store
                .minute_rows(id, t_ms - MINUTE_MS - look_ms, t_ms + 1)?
                .last()
                .map(|r| r.last)
        };
        if let Some(v) = v.and_then(|v| from_fixed(v, scale(id))) {
            out.insert(id, v);
        }
    }
    Ok(out)
}
