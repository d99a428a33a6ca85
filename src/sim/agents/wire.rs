//! What the simulated swarm puts on the wire: the flat Nexus event (DATA-SOURCES §5) with every
//! field upstream's `asdict` writes (absent ones as `null`), ISO-8601 times with an offset, and
//! UUIDs drawn from a seeded generator. Pure: no clock, no I/O.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::Serialize;

/// One Nexus monitoring event, serialized exactly as it goes on the WebSocket and on Redis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NexusEvent {
    /// A UUID (`snapshot` for the synthetic first frame).
    pub event_id: String,
    /// ISO-8601 with offset (`2026-02-11T23:47:02.114000+00:00`).
    pub ts: String,
    /// Lowercase wire type (`task_completed`, …).
    pub event_type: &'static str,
    /// Project of the task.
    pub project_id: Option<String>,
    /// The research task a subtask belongs to.
    pub parent_task_id: Option<String>,
    /// The subtask.
    pub task_id: Option<String>,
    /// `research`, `summarize`, `code_review`, …
    pub task_type: Option<&'static str>,
    /// The parent's phase.
    pub phase: Option<&'static str>,
    /// `pending`, `processing`, `completed`, `failed`, `idle`, `busy`, …
    pub status: Option<&'static str>,
    /// Free text.
    pub message: Option<String>,
    /// Error text of failures, retries and stalls.
    pub error: Option<String>,
    /// Worker number (an integer upstream).
    pub worker_id: Option<u32>,
    /// Retries so far (task events).
    pub retry_count: Option<u32>,
    /// Run time of a finished task or phase, ms.
    pub duration_ms: Option<u64>,
    /// `completed`, `failed`, `pending`, `processing` of one parent task.
    pub counts: Option<BTreeMap<&'static str, i64>>,
    /// `high_priority`, `normal_priority`, `low_priority` queue depths.
    pub queue: Option<BTreeMap<&'static str, i64>>,
    /// `workers_online`, `snapshot`, and whatever else the publisher adds.
    pub meta: serde_json::Map<String, serde_json::Value>,
    /// Simulated time of the event, ms since the swarm started (not on the wire).
    #[serde(skip)]
    pub at_ms: u64,
}

impl NexusEvent {
    /// An event of `event_type` with every optional field empty.
    #[must_use]
    pub fn new(event_id: String, ts: String, event_type: &'static str, at_ms: u64) -> Self {
        Self {
            event_id,
            ts,
            event_type,
            project_id: None,
            parent_task_id: None,
            task_id: None,
            task_type: None,
            phase: None,
            status: None,
            message: None,
            error: None,
            worker_id: None,
            retry_count: None,
            duration_ms: None,
            counts: None,
            queue: None,
            meta: serde_json::Map::new(),
            at_ms,
        }
    }

    /// True for the copies upstream also publishes on `nexus:events:stats`.
    #[must_use]
    pub fn is_stats(&self) -> bool {
        matches!(self.event_type, "stats_snapshot" | "queue_depth_update")
    }

    /// The JSON text of the frame.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Serializing plain strings, integers and maps cannot fail; fall back to an empty
        // object rather than panic.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

/// A version-4 UUID from `rng` (lowercase, hyphenated).
#[must_use]
pub fn uuid(rng: &mut fastrand::Rng) -> String {
    let hi = (rng.u64(..) & !0xF000) | 0x4000;
    let lo = (rng.u64(..) & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

/// True for a hyphenated UUID (`8-4-4-4-12` hex digits, any case).
#[must_use]
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// `t` as ISO-8601 with microseconds and an explicit `+00:00` offset, as Python's
/// `datetime.isoformat()` writes an aware UTC time.
#[must_use]
pub fn iso(t: SystemTime) -> String {
    let text = humantime::format_rfc3339_micros(t).to_string();
    match text.strip_suffix('Z') {
        Some(head) => format!("{head}+00:00"),
        None => text,
    }
}

/// The wall-clock time of simulated instant `sim_ms` (negative: before the start) when the
/// swarm started at `start` and runs `tempo` times faster than real time.
#[must_use]
pub fn wall(start: SystemTime, sim_ms: i64, tempo: f64) -> SystemTime {
    let real = Duration::from_secs_f64((sim_ms.unsigned_abs() as f64 / 1000.0) / tempo.max(1e-3));
    if sim_ms >= 0 {
        start.checked_add(real).unwrap_or(start)
    } else {
        start.checked_sub(real).unwrap_or(start)
    }
}

/// Milliseconds since the Unix epoch (0 before it).
#[must_use]
pub fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v4_and_seeded() {
        let mut a = fastrand::Rng::with_seed(1);
        let mut b = fastrand::Rng::with_seed(1);
        let (x, y) = (uuid(&mut a), uuid(&mut b));
        assert_eq!(x, y);
        assert!(is_uuid(&x), "{x}");
        assert_eq!(&x[14..15], "4");
        assert!(matches!(&x[19..20], "8" | "9" | "a" | "b"), "{x}");
        assert!(!is_uuid("not-a-uuid"));
        assert!(!is_uuid("3f2b8c1e-9a4d-4e2f-8b7a-1c2d3e4f5a6bx"));
    }

    #[test]
    fn times_carry_an_offset_and_map_sim_time() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_770_853_622);
        assert_eq!(iso(start), "2026-02-11T23:47:02.000000+00:00");
        assert!(crate::sources::events::wire::parse_iso8601(&iso(start)).is_some());
        assert_eq!(wall(start, 2000, 2.0), start + Duration::from_secs(1));
        assert_eq!(wall(start, -4000, 1.0), start - Duration::from_secs(4));
        assert_eq!(epoch_ms(start), 1_770_853_622_000);
    }
}
