//! Times for output: seconds since the epoch, and serde helpers that write `SystemTime` as
//! RFC 3339 text in JSON (through [`crate::format::timestamp_ms`], so a time before 1970 is
//! "invalid time", never a panic).

use std::time::SystemTime;

use serde::Serializer;

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

/// `Option<SystemTime>` as RFC 3339 or null.
pub mod option {
    use std::time::SystemTime;

    use serde::Serializer;

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
