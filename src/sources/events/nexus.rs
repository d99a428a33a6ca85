//! The Nexus Agents event schema (DATA-SOURCES §5) and the pure parse of one frame: one flat JSON
//! object per WebSocket text frame or Redis message. Keepalives (`{"type":"ping"}`, `pong`) are
//! frames but never events. No I/O here.

use std::collections::BTreeMap;

use serde::Serialize;

use super::wire::{LooseI64, LooseString, LooseU64, parse_iso8601};
use crate::model::input::{Event, EventError, EventMeta, EventType};

/// Default cap on one frame or message (1 MiB). Upstream truncates events over 10 KiB, so a
/// frame anywhere near this is a misbehaving server.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 1 << 20;

/// A keepalive frame: never an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Keepalive {
    /// `{"type":"ping"}` from the server (every 30 s), or bare `ping`.
    Ping,
    /// `{"type":"pong"}`, the answer to our text `ping`, or bare `pong`.
    Pong,
    /// `{"type":"heartbeat", …}` (execution-log streams).
    Heartbeat,
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A monitoring event.
    Event(Box<Event>),
    /// A keepalive; ignore it (it only proves the connection is alive).
    Keepalive(Keepalive),
    /// Another control message (`{"type": "…"}` without `event_type`); ignored.
    Control {
        /// Its `type`.
        kind: String,
    },
}

#[derive(serde::Deserialize)]
struct RawFrame {
    #[serde(rename = "type", default)]
    kind: LooseString,
    #[serde(default)]
    event_id: LooseString,
    #[serde(default)]
    ts: LooseString,
    #[serde(default)]
    timestamp: LooseString,
    #[serde(default)]
    event_type: LooseString,
    #[serde(default)]
    project_id: LooseString,
    #[serde(default)]
    parent_task_id: LooseString,
    #[serde(default)]
    task_id: LooseString,
    #[serde(default)]
    task_type: LooseString,
    #[serde(default)]
    phase: LooseString,
    #[serde(default)]
    status: LooseString,
    #[serde(default)]
    message: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    worker_id: LooseString,
    #[serde(default)]
    retry_count: LooseU64,
    #[serde(default)]
    duration_ms: LooseU64,
    #[serde(default)]
    counts: Option<BTreeMap<String, LooseI64>>,
    #[serde(default)]
    queue: Option<BTreeMap<String, LooseI64>>,
    #[serde(default)]
    meta: Option<serde_json::Value>,
}

/// Parse one frame with the default 1 MiB cap. See [`parse_frame_limited`].
///
/// # Errors
/// [`EventError::FrameTooLarge`] or [`EventError::Malformed`].
pub fn parse_frame(bytes: &[u8]) -> Result<Frame, EventError> {
    parse_frame_limited(bytes, DEFAULT_MAX_FRAME_BYTES)
}

/// Parse one frame: an event, a keepalive or another control message. A frame over
/// `max_bytes` is refused before it is decoded.
///
/// # Errors
/// [`EventError::FrameTooLarge`] over the cap; [`EventError::Malformed`] for anything that is
/// not a JSON object of the schema (wrong field types, a `ts` that is not ISO-8601, no
/// `event_type` nor `type`).
pub fn parse_frame_limited(bytes: &[u8], max_bytes: usize) -> Result<Frame, EventError> {
    if bytes.len() > max_bytes {
        return Err(EventError::FrameTooLarge {
            size: Some(bytes.len()),
            limit: max_bytes,
        });
    }
    let trimmed = bytes.trim_ascii();
    match trimmed {
        b"ping" => return Ok(Frame::Keepalive(Keepalive::Ping)),
        b"pong" => return Ok(Frame::Keepalive(Keepalive::Pong)),
        t if !t.starts_with(b"{") => return Err(EventError::malformed("not a JSON object", bytes)),
        _ => {}
    }
    let raw: RawFrame = serde_json::from_slice(trimmed)
        .map_err(|e| EventError::malformed(format!("not an event object: {e}"), bytes))?;
    let Some(event_type) = raw.event_type.0 else {
        return match raw.kind.0.as_deref() {
            Some(k) if k.eq_ignore_ascii_case("ping") => Ok(Frame::Keepalive(Keepalive::Ping)),
            Some(k) if k.eq_ignore_ascii_case("pong") => Ok(Frame::Keepalive(Keepalive::Pong)),
            Some(k) if k.eq_ignore_ascii_case("heartbeat") => {
                Ok(Frame::Keepalive(Keepalive::Heartbeat))
            }
            Some(k) => Ok(Frame::Control { kind: k.to_owned() }),
            None => Err(EventError::malformed(
                "neither `event_type` nor `type`",
                bytes,
            )),
        };
    };
    let ts_text = raw.ts.0.or(raw.timestamp.0);
    let ts = match ts_text.as_deref() {
        None => None,
        Some(t) => Some(parse_iso8601(t).ok_or_else(|| {
            EventError::malformed(format!("`ts` is not an ISO-8601 timestamp: `{t}`"), bytes)
        })?),
    };
    let ints = |m: Option<BTreeMap<String, LooseI64>>| -> BTreeMap<String, i64> {
        m.unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| v.0.map(|v| (k, v)))
            .collect()
    };
    Ok(Frame::Event(Box::new(Event {
        event_id: raw.event_id.0.unwrap_or_default(),
        ts,
        event_type: EventType::parse(&event_type),
        project_id: raw.project_id.0,
        parent_task_id: raw.parent_task_id.0,
        task_id: raw.task_id.0,
        task_type: raw.task_type.0,
        phase: raw.phase.0,
        status: raw.status.0,
        message: raw.message.and_then(text_of),
        error: raw.error.and_then(text_of),
        worker_id: raw.worker_id.0,
        retry_count: raw.retry_count.0,
        duration_ms: raw.duration_ms.0,
        counts: ints(raw.counts),
        queue: ints(raw.queue),
        meta: raw.meta.as_ref().map(read_meta).unwrap_or_default(),
        frame_bytes: bytes.len(),
    })))
}

/// A free-text field: strings as they are, other JSON as its text, null as absent.
fn text_of(v: serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

fn read_meta(v: &serde_json::Value) -> EventMeta {
    let flag = |k: &str| match v.get(k) {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    let num = |k: &str| {
        v.get(k).and_then(|n| {
            n.as_u64()
                .or_else(|| n.as_str().and_then(|s| s.trim().parse().ok()))
        })
    };
    EventMeta {
        workers_online: num("workers_online"),
        snapshot: flag("snapshot"),
        truncated: flag("truncated"),
        original_size: num("original_size"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/events/nexus/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn event(bytes: &[u8]) -> Event {
        match parse_frame(bytes).unwrap() {
            Frame::Event(e) => *e,
            other => panic!("not an event: {other:?}"),
        }
    }

    #[test]
    fn reads_a_completed_task() {
        let e = event(&fixture("task_completed.json"));
        assert_eq!(e.event_type, EventType::TaskCompleted);
        assert_eq!(e.event_id, "5f0c1f8e-2a7b-4f43-9d55-0b7f2f0e6a11");
        assert_eq!(e.duration_ms, Some(4210));
        assert_eq!(e.worker_id.as_deref(), Some("3"));
        assert_eq!(e.parent_task_id.as_deref(), Some("research-42"));
        assert_eq!(
            crate::model::time_fmt::epoch_secs(e.ts.unwrap()),
            1_770_853_622
        );
        assert!(!e.is_synthetic());
    }

    #[test]
    fn reads_the_synthetic_snapshot() {
        let e = event(&fixture("snapshot.json"));
        assert_eq!(e.event_type, EventType::StatsSnapshot);
        assert!(e.is_synthetic());
        assert!(e.meta.snapshot);
        assert_eq!(e.meta.workers_online, Some(4));
        assert_eq!(e.queue.get("high_priority"), Some(&2));
        assert_eq!(e.queue.get("low_priority"), Some(&7));
    }

    #[test]
    fn truncated_events_are_accepted() {
        let e = event(&fixture("truncated.json"));
        assert!(e.meta.truncated);
        assert_eq!(e.meta.original_size, Some(48_213));
        assert_eq!(e.event_type, EventType::TaskFailed);
    }

    #[test]
    fn keepalives_are_never_events() {
        assert_eq!(
            parse_frame(br#"{"type":"ping"}"#).unwrap(),
            Frame::Keepalive(Keepalive::Ping)
        );
        assert_eq!(
            parse_frame(br#"{"type":"pong"}"#).unwrap(),
            Frame::Keepalive(Keepalive::Pong)
        );
        assert_eq!(
            parse_frame(b"pong").unwrap(),
            Frame::Keepalive(Keepalive::Pong)
        );
        assert_eq!(
            parse_frame(br#"{"type":"heartbeat","timestamp":12.5}"#).unwrap(),
            Frame::Keepalive(Keepalive::Heartbeat)
        );
        assert_eq!(
            parse_frame(br#"{"type":"hello"}"#).unwrap(),
            Frame::Control {
                kind: "hello".into()
            }
        );
    }

    #[test]
    fn malformed_frames_are_typed_errors() {
        for bad in [
            &b"not json"[..],
            b"[1,2]",
            b"{}",
            br#"{"event_type":"task_started","ts":"soon"}"#,
            br#"{"event_type":"x","counts":"many"}"#,
        ] {
            let e = parse_frame(bad).unwrap_err();
            assert_eq!(e.kind(), "malformed", "{e}");
        }
        assert_eq!(
            parse_frame(&fixture("malformed.txt")).unwrap_err().kind(),
            "malformed"
        );
    }

    #[test]
    fn oversized_frames_are_refused_before_decoding() {
        let big = vec![b' '; 2048];
        assert_eq!(
            parse_frame_limited(&big, 1024).unwrap_err(),
            EventError::FrameTooLarge {
                size: Some(2048),
                limit: 1024
            }
        );
    }

    #[test]
    fn types_are_case_insensitive_and_unknown_types_kept() {
        assert_eq!(EventType::parse("TASK_STALLED"), EventType::TaskStalled);
        assert_eq!(
            EventType::parse("Custom_Thing"),
            EventType::Other("custom_thing".into())
        );
        let e = event(br#"{"event_id":1,"event_type":"task_retry","worker_id":7,"retry_count":2.0,"error":{"code":5}}"#);
        assert_eq!(e.event_id, "1");
        assert_eq!(e.retry_count, Some(2));
        assert_eq!(e.error.as_deref(), Some(r#"{"code":5}"#));
        assert_eq!(e.ts, None);
    }
}
