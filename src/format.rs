//! Text for figures shown to people, in one style for the window, `snapshot`, `watch` and the
//! alert messages: numbers, percentages, sizes, rates, temperatures, power, durations, ages and
//! timestamps. Pure functions of their arguments (`now` is passed in, the clock is never read);
//! no egui, no model, no sources, so every layer may use it.
//!
//! The style, once:
//! - a figure that is missing (or not a finite number) reads [`NA`], never 0;
//! - time spans are compact, units glued to the number, the larger unit first:
//!   `450ms`, `4.2s`, `12s`, `2m 34s`, `1h 05m`, `3d 04h`; ages add "ago" (`12s ago`,
//!   "just now" below a second); tenths of a second are shown below 10 s only when there are any;
//! - other units follow their number after a space (`842 tok/s`, `62.3 GiB`, `45 °C`, `310 W`),
//!   except `%`, which is glued (`78%`);
//! - large numbers and rates are compact: `0.35`, `4.2`, `842`, `8421`, `12.4k`, `1.2M`; beyond
//!   a trillion (no real figure gets there) in exponent form, `3.7e15`, never a 300-digit number;
//! - sizes use binary units (`512 B`, `1.5 KiB`, `640.0 MiB`, `62.3 GiB`);
//! - times of day are UTC (`22:13:20`, `22:13:20.007`), timestamps RFC 3339 in UTC
//!   (`2023-11-14T22:13:20Z`); a time before 1970 or after 9999 reads [`INVALID_TIME`].
//!
//! Names are ordered the way people read them by the model's `text::natural_cmp` (`node-2`
//! before `node-10`).

use std::time::{Duration, SystemTime};

/// What a missing figure reads.
pub const NA: &str = "n/a";

/// What a time that cannot be written (before 1970, after 9999) reads.
pub const INVALID_TIME: &str = "invalid time";

/// Bytes in a GiB.
const GIB: f64 = 1_073_741_824.0;

/// The last second RFC 3339 can write: 9999-12-31T23:59:59Z.
const LAST_WRITABLE_SECS: u64 = 253_402_300_799;

/// From here on a number is written in exponent form (`3.7e15`): no figure a person reads is
/// this large, and `{:.0}` of 1e308 would be 309 digits.
const EXPONENT_FROM: f64 = 999_950_000_000.0;

/// `x` with `decimals` decimals, or in exponent form (`1e308`, `3.7e15`) when it is too large
/// to be written out. `x` must be finite.
fn fixed(x: f64, decimals: usize) -> String {
    if x.abs() >= EXPONENT_FROM {
        exponent(x)
    } else {
        format!("{x:.decimals$}")
    }
}

/// `x` in exponent form with at most one decimal: `1e308`, `3.7e15`, `-2.5e12`.
fn exponent(x: f64) -> String {
    let text = format!("{x:.1e}");
    match text.split_once('e') {
        Some((mantissa, exp)) => {
            let mantissa = mantissa.strip_suffix(".0").unwrap_or(mantissa);
            format!("{mantissa}e{exp}")
        }
        None => text,
    }
}

/// A value as a server sent it, for messages about values that were refused: `7.5`, `-5`,
/// `1e308`, `+Inf`, `NaN`. Never a 300-digit number.
#[must_use]
pub fn raw_value(x: f64) -> String {
    if x.is_nan() {
        "NaN".to_owned()
    } else if x.is_infinite() {
        if x > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else if x.abs() >= EXPONENT_FROM || (x != 0.0 && x.abs() < 1e-6) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// A figure with `decimals` decimals and `unit` appended as given (with its own leading space,
/// if it wants one), or [`NA`]. The building block of the named formats below; use those where
/// one fits.
#[must_use]
pub fn number(v: Option<f64>, unit: &str, decimals: usize) -> String {
    v.filter(|x| x.is_finite()).map_or_else(
        || NA.to_owned(),
        |x| format!("{}{unit}", fixed(x, decimals)),
    )
}

/// A count (requests running, queue depth): "12", or [`NA`].
#[must_use]
pub fn count(v: Option<f64>) -> String {
    number(v, "", 0)
}

/// A percentage given in percent: `pct(Some(78.4), 0)` is "78%", or [`NA`].
#[must_use]
pub fn pct(v: Option<f64>, decimals: usize) -> String {
    number(v, "%", decimals)
}

/// A percentage given as a fraction, with one decimal: 0.942 is "94.2%", or [`NA`].
#[must_use]
pub fn fraction_pct(fraction: Option<f64>) -> String {
    pct(fraction.map(|f| f * 100.0), 1)
}

/// A number in a few characters: "0", "0.35", "4.2", "42.3", "842", "8421", "12.4k", "1.2M";
/// [`NA`] when not finite. Trailing zeros are dropped ("1.5", not "1.50"; "12k", not "12.0k").
#[must_use]
pub fn compact(x: f64) -> String {
    if !x.is_finite() {
        return NA.to_owned();
    }
    let a = x.abs();
    // Each threshold sits where rounding would otherwise spill into the next tier's width
    // ("1000.0k", "10000", "100.0", "1.00").
    let text = if a >= EXPONENT_FROM {
        return exponent(x);
    } else if a >= 999_950.0 {
        format!("{:.1}M", x / 1e6)
    } else if a >= 9_999.5 {
        format!("{:.1}k", x / 1e3)
    } else if a >= 99.95 {
        return format!("{x:.0}");
    } else if a >= 0.995 {
        format!("{x:.1}")
    } else if a >= 0.005 {
        format!("{x:.2}")
    } else {
        return "0".to_owned();
    };
    trim_zeros(&text)
}

/// "12.50" → "12.5", "4.0" → "4", "12.0k" → "12k".
fn trim_zeros(text: &str) -> String {
    let (digits, suffix) = text.split_at(text.trim_end_matches(['k', 'M']).len());
    if !digits.contains('.') {
        return text.to_owned();
    }
    let digits = digits.trim_end_matches('0').trim_end_matches('.');
    format!("{digits}{suffix}")
}

/// A rate in `unit` (e.g. "tok/s", "req/s"): "842 tok/s", "12.4k tok/s", "0.35 req/s", or
/// [`NA`]. An empty `unit` gives the bare number, for a place whose label names the unit.
#[must_use]
pub fn rate(v: Option<f64>, unit: &str) -> String {
    match v.filter(|x| x.is_finite()) {
        None => NA.to_owned(),
        Some(x) if unit.is_empty() => compact(x),
        Some(x) => format!("{} {unit}", compact(x)),
    }
}

/// A token rate: "842 tok/s", "12.4k tok/s", or [`NA`].
#[must_use]
pub fn tps(v: Option<f64>) -> String {
    rate(v, "tok/s")
}

/// A token count: "842", "12.4k", "1.2M", or [`NA`].
#[must_use]
pub fn tokens(n: Option<u64>) -> String {
    #[allow(clippy::cast_precision_loss)]
    n.map_or_else(|| NA.to_owned(), |n| compact(n as f64))
}

/// Bytes → GiB.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn gib(bytes: u64) -> f64 {
    bytes as f64 / GIB
}

/// The binary unit that suits `bytes`, and its size in bytes.
#[allow(clippy::cast_precision_loss)]
fn size_unit(bytes: u64) -> (&'static str, f64) {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut scale = 1.0_f64;
    for unit in &UNITS[..UNITS.len() - 1] {
        // 1023.96 KiB would print as "1024.0 KiB": move up before rounding gets there.
        if (bytes as f64) / scale < 1023.95 {
            return (unit, scale);
        }
        scale *= 1024.0;
    }
    ("TiB", scale)
}

#[allow(clippy::cast_precision_loss)]
fn in_unit(bytes: u64, unit: &str, scale: f64) -> String {
    if unit == "B" {
        bytes.to_string()
    } else {
        format!("{:.1}", bytes as f64 / scale)
    }
}

/// A size in binary units: "512 B", "1.5 KiB", "640.0 MiB", "62.3 GiB", or [`NA`].
#[must_use]
pub fn size(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || NA.to_owned(),
        |b| {
            let (unit, scale) = size_unit(b);
            format!("{} {unit}", in_unit(b, unit, scale))
        },
    )
}

/// Memory used of total, in the total's unit, and the share used: "62.3 / 79.6 GiB · 78%",
/// with [`NA`] for what is missing ("n/a / 80.0 GiB · n/a", "2.0 GiB / n/a · n/a").
#[must_use]
pub fn vram(used: Option<u64>, total: Option<u64>, used_pct: Option<f64>) -> String {
    let share = pct(used_pct, 0);
    let Some(total) = total else {
        return format!("{} / {NA} · {share}", size(used));
    };
    let (unit, scale) = size_unit(total);
    let used = used.map_or_else(|| NA.to_owned(), |b| in_unit(b, unit, scale));
    format!("{used} / {} {unit} · {share}", in_unit(total, unit, scale))
}

/// A temperature: "45 °C" (`decimals` 0), "91.5 °C" (1), or [`NA`].
#[must_use]
pub fn temp(celsius: Option<f64>, decimals: usize) -> String {
    number(celsius, " °C", decimals)
}

/// Power drawn: "310 W", or [`NA`].
#[must_use]
pub fn watts(w: Option<f64>) -> String {
    number(w, " W", 0)
}

/// Power against its limit: "310 / 700 W", "310 W" without a limit, [`NA`] without a reading.
#[must_use]
pub fn power(power_w: Option<f64>, limit_w: Option<f64>) -> String {
    match (
        power_w.filter(|x| x.is_finite()),
        limit_w.filter(|x| x.is_finite()),
    ) {
        (Some(p), Some(l)) => format!("{} / {} W", fixed(p, 0), fixed(l, 0)),
        (p, _) => watts(p),
    }
}

/// A time span: "0ms", "<1ms", "450ms", "4.2s", "4s", "12s", "2m 34s", "1h 05m", "3d 04h".
/// Each step is cut (not rounded) to the unit it shows, so a span never reads longer than it is.
#[must_use]
pub fn duration(d: Duration) -> String {
    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let s = ms / 1000;
    match ms {
        0 if !d.is_zero() => "<1ms".to_owned(),
        0..1000 => format!("{ms}ms"),
        1000..10_000 => match (ms / 100) % 10 {
            0 => format!("{s}s"),
            tenths => format!("{s}.{tenths}s"),
        },
        10_000..60_000 => format!("{s}s"),
        60_000..3_600_000 => format!("{}m {:02}s", s / 60, s % 60),
        3_600_000..86_400_000 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// A span given in milliseconds, as [`duration`], or [`NA`].
#[must_use]
pub fn millis(ms: Option<u64>) -> String {
    ms.map_or_else(|| NA.to_owned(), |ms| duration(Duration::from_millis(ms)))
}

/// A span given in seconds (latencies, mean times), as [`duration`]; [`NA`] when missing,
/// negative or not finite. Read to the nearest microsecond first, so 0.29 is "290ms".
#[must_use]
pub fn seconds(secs: Option<f64>) -> String {
    // 1.8e13 s is half a million years: anything beyond is not a span anyone measured.
    match secs {
        Some(x) if x.is_finite() && (0.0..1.8e13).contains(&x) => {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let micros = (x * 1e6).round() as u64;
            duration(Duration::from_micros(micros))
        }
        _ => NA.to_owned(),
    }
}

/// How long ago something was that happened `elapsed` ago: "just now" below a second, else
/// "12s ago", "2m 34s ago", "1h 05m ago", "3d 04h ago" (whole seconds).
#[must_use]
pub fn ago(elapsed: Duration) -> String {
    match elapsed.as_secs() {
        0 => "just now".to_owned(),
        s => format!("{} ago", duration(Duration::from_secs(s))),
    }
}

/// How long ago `then` was, seen from `now`, as [`ago`]. A `then` in the future (clock skew)
/// reads "just now".
#[must_use]
pub fn age(then: SystemTime, now: SystemTime) -> String {
    ago(now.duration_since(then).unwrap_or_default())
}

/// The span from `then` to `now`, as [`duration`] ("0ms" when `then` is in the future).
#[must_use]
pub fn since(then: SystemTime, now: SystemTime) -> String {
    duration(now.duration_since(then).unwrap_or_default())
}

/// A countdown to `then`: "in 3s", or "due now" once it has passed.
#[must_use]
pub fn until(then: SystemTime, now: SystemTime) -> String {
    match then.duration_since(now) {
        Ok(d) if !d.is_zero() => format!("in {}", duration(d)),
        _ => "due now".to_owned(),
    }
}

/// The time since the epoch, when RFC 3339 can write it (1970 to 9999).
fn writable(t: SystemTime) -> Option<Duration> {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .filter(|d| d.as_secs() <= LAST_WRITABLE_SECS)
}

/// A timestamp, RFC 3339 in UTC to the second: "2023-11-14T22:13:20Z", or [`INVALID_TIME`].
#[must_use]
pub fn timestamp(t: SystemTime) -> String {
    writable(t).map_or_else(
        || INVALID_TIME.to_owned(),
        |_| humantime::format_rfc3339_seconds(t).to_string(),
    )
}

/// A timestamp, RFC 3339 in UTC to the millisecond: "2023-11-14T22:13:20.007Z", or
/// [`INVALID_TIME`].
#[must_use]
pub fn timestamp_ms(t: SystemTime) -> String {
    writable(t).map_or_else(
        || INVALID_TIME.to_owned(),
        |_| humantime::format_rfc3339_millis(t).to_string(),
    )
}

/// Time of day in UTC: "23:47:02", or [`INVALID_TIME`].
#[must_use]
pub fn clock(t: SystemTime) -> String {
    writable(t).map_or_else(
        || INVALID_TIME.to_owned(),
        |d| {
            let s = d.as_secs() % 86_400;
            format!("{:02}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
        },
    )
}

/// Time of day in UTC with milliseconds: "23:47:02.114", or [`INVALID_TIME`].
#[must_use]
pub fn clock_ms(t: SystemTime) -> String {
    writable(t).map_or_else(
        || INVALID_TIME.to_owned(),
        |d| format!("{}.{:03}", clock(t), d.subsec_millis()),
    )
}

/// Workers online: "12 online", or "≥ 4096 online (stopped counting at 4096 workers)" when the
/// count was cut short and is only a lower bound.
#[must_use]
pub fn workers_online(online: usize, stopped_counting_at: Option<usize>) -> String {
    match stopped_counting_at {
        Some(n) => format!("≥ {online} online (stopped counting at {n} workers)"),
        None => format!("{online} online"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_count_reads_as_a_lower_bound() {
        assert_eq!(workers_online(3, None), "3 online");
        assert_eq!(
            workers_online(4096, Some(4096)),
            "≥ 4096 online (stopped counting at 4096 workers)"
        );
    }

    /// 1_700_000_000 is 2023-11-14T22:13:20Z.
    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    #[test]
    fn missing_or_not_finite_reads_na_never_zero() {
        for text in [
            number(None, " W", 0),
            number(Some(f64::NAN), "%", 1),
            count(None),
            pct(None, 0),
            pct(Some(f64::INFINITY), 0),
            fraction_pct(None),
            rate(None, "tok/s"),
            rate(Some(f64::NAN), "req/s"),
            tps(None),
            tokens(None),
            size(None),
            temp(None, 0),
            watts(None),
            power(None, Some(700.0)),
            millis(None),
            seconds(None),
            seconds(Some(f64::NAN)),
            seconds(Some(-1.0)),
            compact(f64::NEG_INFINITY),
        ] {
            assert_eq!(text, "n/a");
        }
    }

    #[test]
    fn numbers_counts_and_percentages() {
        assert_eq!(number(Some(0.354), "", 2), "0.35");
        assert_eq!(number(Some(0.0), " W", 0), "0 W", "a real 0 stays 0");
        assert_eq!(count(Some(12.0)), "12");
        assert_eq!(pct(Some(78.4), 0), "78%");
        assert_eq!(pct(Some(78.44), 1), "78.4%");
        assert_eq!(fraction_pct(Some(0.942)), "94.2%");
        assert_eq!(fraction_pct(Some(0.0)), "0.0%");
    }

    #[test]
    fn compact_numbers_keep_a_few_characters() {
        let cases = [
            (0.0, "0"),
            (0.004, "0"),
            (0.2, "0.2"),
            (0.35, "0.35"),
            (0.999, "1"),
            (4.2, "4.2"),
            (4.0, "4"),
            (42.34, "42.3"),
            (99.97, "100"),
            (842.4, "842"),
            (8421.0, "8421"),
            (9_999.7, "10k"),
            (12_400.0, "12.4k"),
            (999_960.0, "1M"),
            (1_230_000.0, "1.2M"),
            (-1500.0, "-1500"),
            (-12_400.0, "-12.4k"),
            (999_940_000_000.0, "999940M"),
            (1e12, "1e12"),
            (3.7e15, "3.7e15"),
            (-2.5e12, "-2.5e12"),
            (1e308, "1e308"),
            (f64::MAX, "1.8e308"),
        ];
        for (x, want) in cases {
            assert_eq!(compact(x), want, "compact({x})");
        }
    }

    #[test]
    fn huge_numbers_are_never_hundreds_of_digits() {
        for text in [
            number(Some(1e308), "", 0),
            count(Some(1e308)),
            pct(Some(-1e308), 1),
            temp(Some(1e308), 0),
            power(Some(1e308), Some(1e308)),
            tps(Some(1e308)),
            raw_value(1e308),
            raw_value(-f64::MAX),
        ] {
            assert!(text.len() < 24, "{text}");
            assert!(text.contains("e308"), "{text}");
        }
        assert_eq!(count(Some(1e308)), "1e308");
        assert_eq!(power(Some(1e308), Some(700.0)), "1e308 / 700 W");
        assert_eq!(
            number(Some(123_456.0), "", 1),
            "123456.0",
            "ordinary numbers as before"
        );
        assert_eq!(raw_value(7.5), "7.5");
        assert_eq!(raw_value(-5.0), "-5");
        assert_eq!(raw_value(f64::INFINITY), "+Inf");
        assert_eq!(raw_value(f64::NAN), "NaN");
        assert_eq!(raw_value(1e308), "1e308");
    }

    #[test]
    fn rates_and_tokens() {
        assert_eq!(tps(Some(842.3)), "842 tok/s");
        assert_eq!(tps(Some(12_400.0)), "12.4k tok/s");
        assert_eq!(tps(Some(4.25)), "4.2 tok/s");
        assert_eq!(tps(Some(0.0)), "0 tok/s");
        assert_eq!(rate(Some(0.35), "req/s"), "0.35 req/s");
        assert_eq!(rate(Some(12.5), ""), "12.5");
        assert_eq!(tokens(Some(1200)), "1200");
        assert_eq!(tokens(Some(12_400)), "12.4k");
        assert_eq!(tokens(Some(0)), "0");
    }

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(size(Some(0)), "0 B");
        assert_eq!(size(Some(512)), "512 B");
        assert_eq!(size(Some(1536)), "1.5 KiB");
        assert_eq!(size(Some(640 << 20)), "640.0 MiB");
        assert_eq!(size(Some((1 << 30) - 1)), "1.0 GiB", "never 1024.0 MiB");
        assert_eq!(size(Some(62_300 << 20)), "60.8 GiB");
        assert_eq!(size(Some(3 << 40)), "3.0 TiB");
        assert_eq!(size(Some(5000 << 40)), "5000.0 TiB");
        assert!((gib(80 << 30) - 80.0).abs() < 1e-12);
    }

    #[test]
    fn vram_shares_the_totals_unit() {
        assert_eq!(
            vram(Some(60 << 30), Some(80 << 30), Some(75.0)),
            "60.0 / 80.0 GiB · 75%"
        );
        assert_eq!(
            vram(Some(256 << 20), Some(512 << 20), Some(50.0)),
            "256.0 / 512.0 MiB · 50%"
        );
        assert_eq!(vram(None, Some(80 << 30), None), "n/a / 80.0 GiB · n/a");
        assert_eq!(vram(Some(2 << 30), None, None), "2.0 GiB / n/a · n/a");
        assert_eq!(vram(None, None, None), "n/a / n/a · n/a");
    }

    #[test]
    fn temperatures_and_power() {
        assert_eq!(temp(Some(45.4), 0), "45 °C");
        assert_eq!(temp(Some(91.5), 1), "91.5 °C");
        assert_eq!(watts(Some(310.2)), "310 W");
        assert_eq!(power(Some(310.0), Some(700.0)), "310 / 700 W");
        assert_eq!(power(Some(310.0), None), "310 W");
        assert_eq!(power(Some(310.0), Some(f64::NAN)), "310 W");
    }

    #[test]
    fn durations_are_compact_and_cut_not_rounded() {
        let ms = |n: u64| duration(Duration::from_millis(n));
        assert_eq!(duration(Duration::ZERO), "0ms");
        assert_eq!(duration(Duration::from_micros(400)), "<1ms");
        assert_eq!(ms(450), "450ms");
        assert_eq!(ms(999), "999ms");
        assert_eq!(ms(1000), "1s");
        assert_eq!(ms(4210), "4.2s");
        assert_eq!(ms(4_049), "4s", "a tenth that is 0 is not shown");
        assert_eq!(ms(9_999), "9.9s");
        assert_eq!(ms(12_000), "12s");
        assert_eq!(ms(59_999), "59s");
        assert_eq!(ms(60_000), "1m 00s");
        assert_eq!(ms(154_000), "2m 34s");
        assert_eq!(ms(3_900_000), "1h 05m");
        assert_eq!(ms(86_399_999), "23h 59m");
        assert_eq!(ms(3 * 86_400_000 + 4 * 3_600_000), "3d 04h");
        assert_eq!(duration(Duration::MAX), "213503982334d 14h");
        assert_eq!(millis(Some(120)), "120ms");
        assert_eq!(millis(Some(9_000_000)), "2h 30m");
    }

    #[test]
    fn seconds_read_like_durations() {
        assert_eq!(seconds(Some(0.085)), "85ms");
        assert_eq!(seconds(Some(0.29)), "290ms", "no 289ms from float error");
        assert_eq!(seconds(Some(0.0)), "0ms");
        assert_eq!(seconds(Some(0.0004)), "<1ms");
        assert_eq!(seconds(Some(2.1)), "2.1s");
        assert_eq!(seconds(Some(2.0)), "2s");
        assert_eq!(seconds(Some(154.0)), "2m 34s");
        assert_eq!(seconds(Some(1e300)), "n/a");
    }

    #[test]
    fn ages_and_countdowns() {
        assert_eq!(age(t(0), t(0)), "just now");
        assert_eq!(
            age(t(0), t(0) + Duration::from_millis(999)),
            "just now",
            "below a second"
        );
        assert_eq!(age(t(5), t(0)), "just now", "clock skew");
        assert_eq!(age(t(0), t(2)), "2s ago");
        assert_eq!(age(t(0), t(12)), "12s ago");
        assert_eq!(age(t(0), t(154)), "2m 34s ago");
        assert_eq!(age(t(0), t(3900)), "1h 05m ago");
        assert_eq!(age(t(0), t(3 * 86_400 + 4 * 3600)), "3d 04h ago");
        assert_eq!(ago(Duration::from_millis(90_500)), "1m 30s ago");
        assert_eq!(ago(Duration::from_millis(999)), "just now");
        assert_eq!(since(t(0), t(300)), "5m 00s");
        assert_eq!(since(t(10), t(5)), "0ms", "future");
        assert_eq!(until(t(13), t(10)), "in 3s");
        assert_eq!(until(t(10), t(10)), "due now");
        assert_eq!(until(t(9), t(10)), "due now");
    }

    #[test]
    fn timestamps_and_clocks_are_utc() {
        let ms7 = t(0) + Duration::from_millis(7);
        assert_eq!(timestamp(ms7), "2023-11-14T22:13:20Z");
        assert_eq!(timestamp_ms(ms7), "2023-11-14T22:13:20.007Z");
        assert_eq!(clock(ms7), "22:13:20");
        assert_eq!(clock_ms(ms7), "22:13:20.007");
        assert_eq!(timestamp(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let last = SystemTime::UNIX_EPOCH + Duration::from_secs(LAST_WRITABLE_SECS);
        assert_eq!(timestamp(last), "9999-12-31T23:59:59Z");
        assert_eq!(clock(last), "23:59:59");
    }

    #[test]
    fn times_that_cannot_be_written_say_so_and_never_panic() {
        let before_1970 = SystemTime::UNIX_EPOCH - Duration::from_secs(1);
        let after_9999 = SystemTime::UNIX_EPOCH + Duration::from_secs(LAST_WRITABLE_SECS + 1);
        for t in [before_1970, after_9999] {
            assert_eq!(timestamp(t), "invalid time");
            assert_eq!(timestamp_ms(t), "invalid time");
            assert_eq!(clock(t), "invalid time");
            assert_eq!(clock_ms(t), "invalid time");
        }
        // Ages and countdowns across 1970 are still plain spans.
        assert_eq!(age(before_1970, SystemTime::UNIX_EPOCH), "1s ago");
    }
}
