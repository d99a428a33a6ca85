//! What can go wrong reading a source: [`SourceError`] for polled endpoints (HTTP, NVML) and
//! [`EventError`] for event streams, session stores and log tails. Each message says what happened, where (URL, file, channel) and what to do; the
//! variant's [`EventError::kind`] is the error log's dedup key.

use serde::ser::SerializeStruct;

/// What went wrong reading a source; its kind is the error log's dedup key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// No answer within the configured timeout.
    #[error(
        "timed out after {timeout_ms} ms waiting for {url}; check that the server is up, or raise `timeout`"
    )]
    Timeout {
        /// URL asked.
        url: String,
        /// The timeout in force.
        timeout_ms: u64,
    },
    /// Connection refused, DNS failure, TLS failure…
    #[error("cannot connect to {url}: {reason}; is the server running and the address right?")]
    Connect {
        /// URL asked.
        url: String,
        /// The transport's reason.
        reason: String,
    },
    /// The connection was made but the answer broke: a redirect loop, not HTTP, cut short,
    /// reset, a TLS failure (plain HTTP on the port, an untrusted certificate).
    #[error("{url}: {problem}; {hint}")]
    Transport {
        /// URL asked.
        url: String,
        /// What happened.
        problem: String,
        /// What to do.
        hint: String,
    },
    /// The server answered with a non-success status.
    #[error("{url} answered HTTP {status}{hint}")]
    HttpStatus {
        /// URL asked.
        url: String,
        /// HTTP status code.
        status: u16,
        /// A hint on what to do (e.g. set the bearer token), or empty.
        hint: String,
    },
    /// The body exceeded the size cap.
    #[error(
        "{url}: body larger than the {cap_bytes}-byte cap, cut off; raise `max_body_bytes` if this endpoint is really that large"
    )]
    BodyTooLarge {
        /// URL asked.
        url: String,
        /// The cap in force.
        cap_bytes: usize,
    },
    /// The body could not be understood at all.
    #[error("{url}: cannot decode body: {reason}")]
    Decode {
        /// URL or file read.
        url: String,
        /// Why.
        reason: String,
    },
    /// Local GPU access failed (no driver, no permission…).
    #[error("NVML unavailable: {0}")]
    NvmlUnavailable(String),
    /// Any other local failure.
    #[error("{0}")]
    Other(String),
}

impl SourceError {
    /// Short stable name of the error kind, for dedup and display.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Timeout { .. } => "timeout",
            Self::Connect { .. } => "connect",
            Self::Transport { .. } => "transport",
            Self::HttpStatus { .. } => "http_status",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::Decode { .. } => "decode",
            Self::NvmlUnavailable(_) => "nvml_unavailable",
            Self::Other(_) => "other",
        }
    }
}

/// What went wrong reading an event source. Frame-level errors (one frame refused: the stream
/// goes on) carry no location: the [`super::EventUpdate`] that reports them names the source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// A frame or message over the size cap, refused before it was read into memory.
    #[error(
        "frame of {} refused: over the {limit}-byte cap (not read into memory); raise `max_frame_bytes` if the server really sends frames that large",
        size.map_or_else(|| "unknown size".to_owned(), |s| format!("{s} bytes"))
    )]
    FrameTooLarge {
        /// Size the frame header announced (or the message had), when known.
        size: Option<usize>,
        /// The cap in force.
        limit: usize,
    },
    /// A frame that is not what the schema says (not JSON, wrong field types, bad timestamp…).
    #[error(
        "malformed frame ({reason}); frame starts `{excerpt}`; the frame was skipped, the stream goes on"
    )]
    Malformed {
        /// What was wrong.
        reason: String,
        /// The first characters of the frame, for recognising it.
        excerpt: String,
    },
    /// The URL in the configuration cannot be used.
    #[error("bad URL `{url}`: {reason}; fix `url` in the configuration")]
    BadUrl {
        /// The URL as configured.
        url: String,
        /// Why it is unusable.
        reason: String,
    },
    /// TCP/TLS connection failed or was refused.
    #[error("cannot connect to {url}: {reason}; is the server running and the address right?")]
    Connect {
        /// Where.
        url: String,
        /// The transport's reason.
        reason: String,
    },
    /// No answer in time.
    #[error(
        "timed out after {timeout_ms} ms waiting for {url}; check that the server is up, or raise the timeout"
    )]
    Timeout {
        /// Where.
        url: String,
        /// The timeout in force.
        timeout_ms: u64,
    },
    /// The server answered the WebSocket upgrade (or an HTTP request) with an error status.
    #[error("{url} answered HTTP {status}{hint}")]
    HttpStatus {
        /// Where.
        url: String,
        /// HTTP status code.
        status: u16,
        /// What to do about it (starts with "; "), or empty.
        hint: String,
    },
    /// The connection broke in a way the protocol does not allow (bad frame, bad UTF-8…).
    #[error("WebSocket protocol error on {url}: {reason}; reconnecting")]
    Protocol {
        /// Where.
        url: String,
        /// The protocol library's reason.
        reason: String,
    },
    /// The execution-log server closed with 1003: the id is not a UUID.
    #[error(
        "execution id is not a UUID: {url} closed the stream for `{execution_id}` (WebSocket close 1003); fix the execution id"
    )]
    ExecutionIdNotUuid {
        /// Where.
        url: String,
        /// The id asked for.
        execution_id: String,
    },
    /// The execution-log server closed with 1008: no such execution.
    #[error(
        "unknown execution: {url} has no execution `{execution_id}` (WebSocket close 1008); check the id, or that the execution still exists"
    )]
    UnknownExecution {
        /// Where.
        url: String,
        /// The id asked for.
        execution_id: String,
    },
    /// The execution-log server refused the upgrade with HTTP 403 — what uvicorn answers when
    /// the endpoint closes (1003/1008) before accepting.
    #[error(
        "{url} refused the log stream for `{execution_id}` (HTTP 403): the execution id is not a UUID or the execution is unknown; check the id"
    )]
    ExecutionRefused {
        /// Where.
        url: String,
        /// The id asked for.
        execution_id: String,
    },
    /// A Redis command or connection failed.
    #[error("Redis {url}: {reason}")]
    Redis {
        /// Where (the URL without password).
        url: String,
        /// What failed and what to do.
        reason: String,
    },
    /// A local file could not be read.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// Which file or directory.
        path: String,
        /// The system's reason, and what to do.
        reason: String,
    },
    /// A gateway answered, but refused or failed the request (`{"ok": false}`).
    #[error("{url}: the gateway refused `{tool}`: {reason}")]
    Gateway {
        /// Where.
        url: String,
        /// Tool invoked.
        tool: String,
        /// The gateway's message.
        reason: String,
    },
}

impl EventError {
    /// Short stable name of the error kind, for dedup and display.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::FrameTooLarge { .. } => "frame_too_large",
            Self::Malformed { .. } => "malformed",
            Self::BadUrl { .. } => "bad_url",
            Self::Connect { .. } => "connect",
            Self::Timeout { .. } => "timeout",
            Self::HttpStatus { .. } => "http_status",
            Self::Protocol { .. } => "protocol",
            Self::ExecutionIdNotUuid { .. } => "execution_id_not_uuid",
            Self::UnknownExecution { .. } => "unknown_execution",
            Self::ExecutionRefused { .. } => "execution_refused",
            Self::Redis { .. } => "redis",
            Self::Io { .. } => "io",
            Self::Gateway { .. } => "gateway",
        }
    }

    /// A malformed-frame error with an excerpt of the frame (first 80 characters, lossy UTF-8).
    #[must_use]
    pub fn malformed(reason: impl Into<String>, frame: &[u8]) -> Self {
        Self::Malformed {
            reason: reason.into(),
            excerpt: excerpt(frame, 80),
        }
    }

    /// True when retrying cannot help until someone changes the configuration.
    #[must_use]
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Self::BadUrl { .. }
                | Self::ExecutionIdNotUuid { .. }
                | Self::UnknownExecution { .. }
                | Self::ExecutionRefused { .. }
        )
    }
}

/// Serialized as `{"kind": …, "message": …}` for `snapshot --json`.
impl serde::Serialize for EventError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("EventError", 2)?;
        st.serialize_field("kind", self.kind())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

/// The first `max_chars` characters of `bytes` (lossy UTF-8, control characters shown as `·`).
#[must_use]
pub fn excerpt(bytes: &[u8], max_chars: usize) -> String {
    let head = &bytes[..bytes.len().min(max_chars * 4)];
    let text = String::from_utf8_lossy(head);
    let mut out: String = text
        .chars()
        .take(max_chars)
        .map(|c| if c.is_control() { '·' } else { c })
        .collect();
    if text.chars().count() > max_chars || head.len() < bytes.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_where_and_what_to_do() {
        let e = EventError::FrameTooLarge {
            size: Some(52_428_800),
            limit: 1_048_576,
        };
        let m = e.to_string();
        assert!(
            m.contains("52428800 bytes")
                && m.contains("1048576-byte cap")
                && m.contains("max_frame_bytes"),
            "{m}"
        );
        let e = EventError::UnknownExecution {
            url: "ws://h/ws/executions/x/logs".into(),
            execution_id: "x".into(),
        };
        assert!(e.to_string().starts_with("unknown execution"));
        assert!(e.is_permanent());
        assert_eq!(e.kind(), "unknown_execution");
    }

    #[test]
    fn excerpt_is_bounded_and_printable() {
        assert_eq!(excerpt(b"abc", 80), "abc");
        assert_eq!(excerpt(b"a\nb", 80), "a\u{b7}b");
        assert_eq!(excerpt(&[b'x'; 100], 3), "xxx\u{2026}");
        let json =
            serde_json::to_string(&EventError::malformed("not JSON", b"{")).unwrap_or_default();
        assert!(json.contains("\"kind\":\"malformed\""), "{json}");
    }
}
