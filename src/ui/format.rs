//! Text for figures on screen: ages, sizes, latencies, rates. Missing figures read "n/a"
//! (through [`crate::headless::fmt_opt`]), never 0. Pure functions, no egui.

use std::time::SystemTime;

use crate::headless::fmt_opt;

/// Bytes → GiB.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn gib(bytes: u64) -> f64 {
    bytes as f64 / 1_073_741_824.0
}

/// How long ago `then` was, seen from `now`: "just now", "12 s ago", "3 min ago", "2 h ago",
/// "4 d ago". A `then` in the future (clock skew) reads "just now".
#[must_use]
pub fn age(then: SystemTime, now: SystemTime) -> String {
    let s = now.duration_since(then).unwrap_or_default().as_secs();
    match s {
        0 => "just now".to_owned(),
        1..60 => format!("{s} s ago"),
        60..3600 => format!("{} min ago", s / 60),
        3600..86_400 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86_400),
    }
}

/// A latency given in seconds: "85 ms" below one second, "2.10 s" above, "n/a" when missing.
#[must_use]
pub fn latency(secs: Option<f64>) -> String {
    match secs {
        Some(s) if s < 1.0 => fmt_opt(Some(s * 1000.0), " ms", 0),
        other => fmt_opt(other, " s", 2),
    }
}

/// A token rate: "842 tok/s", "12.4k tok/s", "n/a".
#[must_use]
pub fn tps(v: Option<f64>) -> String {
    match v {
        Some(x) if x.abs() >= 10_000.0 => fmt_opt(Some(x / 1000.0), "k tok/s", 1),
        other => fmt_opt(other, " tok/s", 0),
    }
}

/// A plain number for plot labels: "842", "12.4k", "1.2M".
#[must_use]
pub fn short_number(x: f64) -> String {
    let a = x.abs();
    if a >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

/// A percentage with `decimals` decimals, or "n/a".
#[must_use]
pub fn pct(v: Option<f64>, decimals: usize) -> String {
    fmt_opt(v, "%", decimals)
}

/// A count (requests running, waiting), or "n/a".
#[must_use]
pub fn count(v: Option<f64>) -> String {
    fmt_opt(v, "", 0)
}

/// Power: "310 / 700 W", "310 W" without a limit, "n/a" without a reading.
#[must_use]
pub fn power(power_w: Option<f64>, limit_w: Option<f64>) -> String {
    match (power_w, limit_w) {
        (Some(p), Some(l)) => format!("{p:.0} / {l:.0} W"),
        (p, _) => fmt_opt(p, " W", 0),
    }
}

/// VRAM: "62.3 / 79.6 GiB · 78%", with "n/a" for what is missing.
#[must_use]
pub fn vram(used: Option<u64>, total: Option<u64>, used_pct: Option<f64>) -> String {
    format!(
        "{} / {} · {}",
        fmt_opt(used.map(gib), "", 1),
        fmt_opt(total.map(gib), " GiB", 1),
        pct(used_pct, 0)
    )
}

/// Natural order ("node-2" before "node-10"): the model's one function, re-exported here
/// for the panels that sort their own lists.
pub use crate::model::text::natural_cmp;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn ages() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(age(t, t), "just now");
        assert_eq!(age(t, t + Duration::from_secs(2)), "2 s ago");
        assert_eq!(age(t, t + Duration::from_secs(190)), "3 min ago");
        assert_eq!(age(t + Duration::from_secs(5), t), "just now");
    }

    #[test]
    fn missing_is_na_not_zero() {
        assert_eq!(latency(None), "n/a");
        assert_eq!(latency(Some(0.085)), "85 ms");
        assert_eq!(latency(Some(2.1)), "2.10 s");
        assert_eq!(tps(None), "n/a");
        assert_eq!(tps(Some(12_400.0)), "12.4k tok/s");
        assert_eq!(power(None, Some(700.0)), "n/a");
        assert_eq!(power(Some(310.0), Some(700.0)), "310 / 700 W");
        assert_eq!(vram(None, Some(80 << 30), None), "n/a / 80.0 GiB · n/a");
    }
}
