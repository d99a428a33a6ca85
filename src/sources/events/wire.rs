//! Tolerant readers for the scalar fields of event JSON: ids that are sometimes numbers,
//! integers that are sometimes floats or numeric strings, ISO-8601 timestamps with or without an
//! offset, epoch milliseconds. Pure; shared by every event parser.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::de::{self, Deserializer, Visitor};

/// A string field that may arrive as a string, a number or a bool (kept as its text), or null.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LooseString(pub Option<String>);

impl<'de> serde::Deserialize<'de> for LooseString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LooseString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, a number or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LooseString(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(LooseString(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(LooseString(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(LooseString(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(LooseString(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(LooseString(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LooseString(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LooseString(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A non-negative integer that may arrive as an integer, a float (truncated), a numeric string,
/// or null. Negative numbers are refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LooseU64(pub Option<u64>);

impl<'de> serde::Deserialize<'de> for LooseU64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LooseU64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative number or null")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(LooseU64(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u64::try_from(v)
                    .map(|v| LooseU64(Some(v)))
                    .map_err(|_| E::custom(format!("negative number {v}")))
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                if v.is_finite() && v >= 0.0 {
                    // `as` saturates at u64::MAX; truncation of the fraction is intended.
                    Ok(LooseU64(Some(v as u64)))
                } else {
                    Err(E::custom(format!("not a non-negative number: {v}")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let t = v.trim();
                if let Ok(n) = t.parse::<u64>() {
                    return Ok(LooseU64(Some(n)));
                }
                match t.parse::<f64>() {
                    Ok(f) => self.visit_f64(f),
                    Err(_) => Err(E::custom(format!("not a number: `{v}`"))),
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LooseU64(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LooseU64(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A signed integer (counts, queue depths) read as tolerantly as [`LooseU64`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LooseI64(pub Option<i64>);

impl<'de> serde::Deserialize<'de> for LooseI64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LooseI64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or null")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(LooseI64(Some(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(LooseI64(Some(i64::try_from(v).unwrap_or(i64::MAX))))
            }
            #[allow(clippy::cast_possible_truncation)]
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                if v.is_finite() {
                    // `as` saturates; truncation of the fraction is intended.
                    Ok(LooseI64(Some(v as i64)))
                } else {
                    Err(E::custom(format!("not a finite number: {v}")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                match v.trim().parse::<f64>() {
                    Ok(f) => self.visit_f64(f),
                    Err(_) => Err(E::custom(format!("not a number: `{v}`"))),
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LooseI64(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LooseI64(None))
            }
        }
        d.deserialize_any(V)
    }
}

pub use crate::model::time_fmt::parse_iso8601;

/// Epoch milliseconds to a time; `None` for values before 1970 or absurdly far away.
#[must_use]
pub fn from_epoch_ms(ms: u64) -> Option<SystemTime> {
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(ms))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct T {
        #[serde(default)]
        s: LooseString,
        #[serde(default)]
        u: LooseU64,
        #[serde(default)]
        i: LooseI64,
    }

    #[test]
    fn loose_fields_accept_what_python_emits() {
        let t: T = serde_json::from_str(r#"{"s": 7, "u": 12.9, "i": "-3"}"#).unwrap();
        assert_eq!(t.s.0.as_deref(), Some("7"));
        assert_eq!(t.u.0, Some(12));
        assert_eq!(t.i.0, Some(-3));
        let t: T = serde_json::from_str(r#"{"s": null, "u": null}"#).unwrap();
        assert_eq!((t.s.0, t.u.0, t.i.0), (None, None, None));
        assert!(serde_json::from_str::<T>(r#"{"u": -1}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"s": {"a": 1}}"#).is_err());
    }

    #[test]
    fn timestamps_with_and_without_offsets() {
        let utc = parse_iso8601("2026-02-11T23:47:02.114+00:00").unwrap();
        let z = parse_iso8601("2026-02-11T23:47:02.114Z").unwrap();
        let plus2 = parse_iso8601("2026-02-12T01:47:02.114+02:00").unwrap();
        let naive = parse_iso8601("2026-02-11T23:47:02.114").unwrap();
        assert_eq!(utc, z);
        assert_eq!(utc, plus2);
        assert_eq!(utc, naive);
        assert_eq!(crate::model::time_fmt::epoch_secs(utc), 1_770_853_622);
        assert!(parse_iso8601("yesterday").is_none());
        assert!(parse_iso8601("2026-02-11T23:47:02Z trailing").is_none());
        assert!(parse_iso8601("2026-02-11T23:47:02[Europe/Paris]").is_none());
        assert_eq!(
            parse_iso8601("2026-02-11"),
            parse_iso8601("2026-02-11T00:00:00Z")
        );
    }

    #[test]
    fn the_last_second_of_9999_reads_the_same_in_every_spelling() {
        let z = parse_iso8601("9999-12-31T23:59:59Z");
        assert!(z.is_some(), "Z form rejected");
        assert_eq!(z, parse_iso8601("9999-12-31T23:59:59+00:00"));
        assert_eq!(z, parse_iso8601("9999-12-31T23:59:59"));
        assert_eq!(
            crate::model::time_fmt::epoch_secs(z.unwrap()),
            253_402_300_799
        );
        // An offset east of UTC on the last day is exact too, not read as UTC.
        assert_eq!(
            parse_iso8601("9999-12-31T23:59:59+05:00").map(crate::model::time_fmt::epoch_secs),
            Some(253_402_300_799 - 5 * 3600)
        );
        // And at the other end: the first second of year 0 west of UTC.
        assert!(parse_iso8601("0000-01-01T00:00:00-05:00").is_some());
    }
}
