//! Text for the agent, event, execution and alert panels: durations ("2m 34s"), clock times
//! (UTC), countdowns, token counts, rates and connection details. Missing figures read "n/a",
//! never 0. Pure functions, no egui, no clock: `now` is an argument.

use std::time::{Duration, SystemTime};

use super::format;
use crate::model::input::ConnectionState;
use crate::model::time_fmt::epoch_secs;

/// A duration in milliseconds, short: "450 ms", "4.2 s", "2m 34s", "1h 05m", "3d 04h".
#[must_use]
pub fn duration_ms(ms: u64) -> String {
    let s = ms / 1000;
    match ms {
        0..1000 => format!("{ms} ms"),
        1000..60_000 => {
            #[allow(clippy::cast_precision_loss)]
            let secs = ms as f64 / 1000.0;
            format!("{secs:.1} s")
        }
        60_000..3_600_000 => format!("{}m {:02}s", s / 60, s % 60),
        3_600_000..86_400_000 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// [`duration_ms`], or "n/a".
#[must_use]
pub fn duration_opt(ms: Option<u64>) -> String {
    ms.map_or_else(|| "n/a".to_owned(), duration_ms)
}

/// The time from `then` to `now` as a [`duration_ms`] ("0 ms" when `then` is in the future).
#[must_use]
pub fn since(then: SystemTime, now: SystemTime) -> String {
    duration_ms(millis(now.duration_since(then).unwrap_or_default()))
}

/// A countdown to `then`: "in 3.0 s", or "due now" once it has passed.
#[must_use]
pub fn until(then: SystemTime, now: SystemTime) -> String {
    match then.duration_since(now) {
        Ok(d) if !d.is_zero() => format!("in {}", duration_ms(millis(d))),
        _ => "due now".to_owned(),
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Time of day in UTC, "23:47:02".
#[must_use]
pub fn clock(t: SystemTime) -> String {
    let s = epoch_secs(t) % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
}

/// Time of day in UTC with milliseconds, "23:47:02.114".
#[must_use]
pub fn clock_ms(t: SystemTime) -> String {
    let ms = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_millis();
    format!("{}.{ms:03}", clock(t))
}

/// A token count: "842", "12.4k", "1.2M", or "n/a".
#[must_use]
pub fn tokens(n: Option<u64>) -> String {
    #[allow(clippy::cast_precision_loss)]
    n.map_or_else(|| "n/a".to_owned(), |n| format::short_number(n as f64))
}

/// The sum of the values that are known; `None` when none is.
#[must_use]
pub fn sum_known(values: impl IntoIterator<Item = Option<u64>>) -> Option<u64> {
    values
        .into_iter()
        .flatten()
        .fold(None, |acc, v| Some(acc.unwrap_or(0_u64).saturating_add(v)))
}

/// A rate given as a fraction (0.942) as a percentage with one decimal ("94.2%"), or "n/a".
#[must_use]
pub fn rate_pct(fraction: Option<f64>) -> String {
    format::pct(fraction.map(|f| f * 100.0), 1)
}

/// What goes beside a connection state's word: how long, why, and when the next attempt is.
#[must_use]
pub fn connection_detail(c: &ConnectionState, now: SystemTime) -> String {
    match c {
        ConnectionState::Connecting { since: t, attempt } => {
            format!("attempt {attempt}, for {}", since(*t, now))
        }
        ConnectionState::Connected { since: t } => format!("for {}", since(*t, now)),
        ConnectionState::Disconnected {
            reason,
            next_retry_at,
        } => format!("{reason}; retry {}", until(*next_retry_at, now)),
        ConnectionState::Error {
            error,
            next_retry_at: Some(at),
        } => format!("{error}; retry {}", until(*at, now)),
        ConnectionState::Error {
            error,
            next_retry_at: None,
        } => format!("{error}; stopped: retrying cannot help"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::input::EventError;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    #[test]
    fn durations_read_short() {
        assert_eq!(duration_ms(450), "450 ms");
        assert_eq!(duration_ms(4210), "4.2 s");
        assert_eq!(duration_ms(154_000), "2m 34s");
        assert_eq!(duration_ms(3_900_000), "1h 05m");
        assert_eq!(duration_ms(3 * 86_400_000 + 4 * 3_600_000), "3d 04h");
        assert_eq!(duration_opt(None), "n/a");
        assert_eq!(since(t(10), t(5)), "0 ms");
        assert_eq!(until(t(13), t(10)), "in 3.0 s");
        assert_eq!(until(t(9), t(10)), "due now");
    }

    #[test]
    fn clocks_are_utc() {
        // 1_700_000_000 is 2023-11-14T22:13:20Z.
        assert_eq!(clock(t(0)), "22:13:20");
        assert_eq!(clock_ms(t(0) + Duration::from_millis(7)), "22:13:20.007");
    }

    #[test]
    fn missing_is_na_not_zero() {
        assert_eq!(tokens(None), "n/a");
        assert_eq!(tokens(Some(12_400)), "12.4k");
        assert_eq!(sum_known([None, None]), None);
        assert_eq!(sum_known([None, Some(3), Some(4)]), Some(7));
        assert_eq!(rate_pct(None), "n/a");
        assert_eq!(rate_pct(Some(0.942)), "94.2%");
    }

    #[test]
    fn connection_details_say_why_and_when() {
        let d = ConnectionState::Disconnected {
            reason: "closed by the server".into(),
            next_retry_at: t(13),
        };
        assert_eq!(
            connection_detail(&d, t(10)),
            "closed by the server; retry in 3.0 s"
        );
        let e = ConnectionState::Error {
            error: EventError::BadUrl {
                url: "x".into(),
                reason: "no scheme".into(),
            },
            next_retry_at: None,
        };
        assert!(connection_detail(&e, t(10)).ends_with("stopped: retrying cannot help"));
    }
}
