//! Times for output: seconds since the epoch, and serde helpers that write `SystemTime` as
//! RFC 3339 text in JSON (through [`crate::format::timestamp_ms`], so a time before 1970 is
//! "invalid time", never a panic).

use std::time::SystemTime;

use serde::{Deserialize, Deserializer, Serializer};

/// Whole seconds since the epoch (0 before it).
#[must_use]
pub fn epoch_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Serialize a time as RFC 3339 (UTC, millisecond precision).
///
/// # Errors
/// Only the serializer's own errors.
pub fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&crate::format::timestamp_ms(*t))
}

/// Read back what [`serialize`] wrote (RFC 3339 with any offset).
///
/// # Errors
/// When the text is not an RFC 3339 time.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
    let text = String::deserialize(d)?;
    parse(&text).map_err(serde::de::Error::custom)
}

fn parse(text: &str) -> Result<SystemTime, String> {
    parse_iso8601(text).ok_or_else(|| format!("`{text}` is not an RFC 3339 time"))
}

/// Parse an ISO-8601 / RFC 3339 timestamp. With an offset (`+02:00`, `Z`) it is exact; without
/// one (Python's naive `isoformat()`) it is read as UTC; a date alone is its midnight. `Z`,
/// `+00:00` and no offset read the same over the whole range of years 0000–9999 (the arithmetic
/// is on civil times, so the last hours of 9999-12-31 do not fall outside it). `None` when it is
/// not a timestamp, or names a time zone without giving its offset.
#[must_use]
pub fn parse_iso8601(s: &str) -> Option<SystemTime> {
    let pieces = jiff::fmt::temporal::Pieces::parse(s.trim()).ok()?;
    let offset = match pieces.to_numeric_offset() {
        Some(o) => o,
        None if pieces.time_zone_annotation().is_some() => return None,
        None => jiff::tz::Offset::UTC,
    };
    let local = pieces
        .date()
        .to_datetime(pieces.time().unwrap_or(jiff::civil::Time::midnight()));
    let epoch = jiff::civil::DateTime::constant(1970, 1, 1, 0, 0, 0, 0);
    let since_epoch = local
        .duration_since(epoch)
        .checked_sub(jiff::SignedDuration::from_secs(i64::from(offset.seconds())))?;
    let magnitude = since_epoch.unsigned_abs();
    if since_epoch.is_negative() {
        SystemTime::UNIX_EPOCH.checked_sub(magnitude)
    } else {
        SystemTime::UNIX_EPOCH.checked_add(magnitude)
    }
}

/// `Option<SystemTime>` as RFC 3339 or null.
pub mod option {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Read back an optional time.
    ///
    /// # Errors
    /// When the text is not an RFC 3339 time.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SystemTime>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| super::parse(&t).map_err(serde::de::Error::custom))
            .transpose()
    }

    /// Serialize an optional time.
    ///
    /// # Errors
    /// Only the serializer's own errors.
    pub fn serialize<S: Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.collect_str(&crate::format::timestamp_ms(*t)),
            None => s.serialize_none(),
        }
    }
}
