//! What can go wrong reading a source: [`SourceError`] for polled endpoints (HTTP, NVML) and
//! [`EventError`] for event streams, session stores and log tails. Each message says what
//! happened, where (URL, file, channel) and what to do; the variant's [`EventError::kind`] is the
//! error log's dedup key. Every URL and transport reason is shown through
//! [`redact_urls`], so a password in a configured URL never reaches a message (a new variant
//! does the same for each text field that may hold a URL).

use serde::ser::SerializeStruct;

use crate::model::redact::redact_urls;

/// What went wrong reading a source; its kind is the error log's dedup key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// No answer within the configured timeout.
    #[error(
        "timed out after {timeout_ms} ms waiting for {url}; check that the server is up, or raise `timeout`",
        url = redact_urls(.url)
    )]
    Timeout {
        /// URL asked.
        url: String,
        /// The timeout in force.
        timeout_ms: u64,
    },
    /// Connection refused, DNS failure, TLS failure…
    #[error(
        "cannot connect to {url}: {reason}; is the server running and the address right?",
        url = redact_urls(.url),
        reason = redact_urls(.reason)
    )]
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
    #[error(
        "{url} answered HTTP {status}{hint}",
        url = redact_urls(.url),
        hint = redact_urls(.hint)
    )]
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
        "{url}: body larger than the {cap_bytes}-byte cap, cut off; raise `max_body_bytes` if this endpoint is really that large",
        url = redact_urls(.url)
    )]
    BodyTooLarge {
        /// URL asked.
        url: String,
        /// The cap in force.
        cap_bytes: usize,
    },
    /// The body could not be understood at all.
    #[error(
        "{url}: cannot decode body: {reason}",
        url = redact_urls(.url),
        reason = redact_urls(.reason)
    )]
    Decode {
        /// URL or file read.
        url: String,
        /// Why.
        reason: String,
    },
    /// Local GPU access failed (no driver, no permission…).
    #[error("NVML unavailable: {}", redact_urls(.0))]
    NvmlUnavailable(String),
    /// Any other local failure.
    #[error("{}", redact_urls(.0))]
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
    /// A Redis message over `max_message_bytes`: Redis delivers a message whole, so the client
    /// library had read it into memory before it was refused; it was dropped without decoding.
    #[error(
        "Redis message of {size} bytes refused: over the {limit}-byte cap; the client had already read it into memory, then it was dropped undecoded. Raise `max_message_bytes` in [[nexus_redis]] if the publisher really sends messages that large"
    )]
    MessageTooLarge {
        /// The message's size.
        size: usize,
        /// The cap in force.
        limit: usize,
    },
    /// An HTTP answer over its size cap, cut off while reading.
    #[error(
        "{url}: answer larger than the {cap_bytes}-byte cap, cut off; {what_to_do}",
        url = redact_urls(.url)
    )]
    BodyTooLarge {
        /// Where.
        url: String,
        /// The cap in force.
        cap_bytes: usize,
        /// What to do about it.
        what_to_do: String,
    },
    /// A frame that is not what the schema says (not JSON, wrong field types, bad timestamp…).
    #[error(
        "malformed frame ({reason}); frame starts `{excerpt}`; the frame was skipped, the stream goes on",
        reason = redact_urls(.reason),
        excerpt = redact_urls(.excerpt)
    )]
    Malformed {
        /// What was wrong.
        reason: String,
        /// The first characters of the frame, for recognising it.
        excerpt: String,
    },
    /// The URL in the configuration cannot be used.
    #[error(
        "bad URL `{url}`: {reason}; fix `url` in the configuration",
        url = redact_urls(.url),
        reason = redact_urls(.reason)
    )]
    BadUrl {
        /// The URL as configured.
        url: String,
        /// Why it is unusable.
        reason: String,
    },
    /// TCP/TLS connection failed or was refused.
    #[error(
        "cannot connect to {url}: {reason}; is the server running and the address right?",
        url = redact_urls(.url),
        reason = redact_urls(.reason)
    )]
    Connect {
        /// Where.
        url: String,
        /// The transport's reason.
        reason: String,
    },
    /// No answer in time.
    #[error(
        "timed out after {timeout_ms} ms waiting for {url}; check that the server is up, or raise the timeout",
        url = redact_urls(.url)
    )]
    Timeout {
        /// Where.
        url: String,
        /// The timeout in force.
        timeout_ms: u64,
    },
    /// The server answered the WebSocket upgrade (or an HTTP request) with an error status.
    #[error(
        "{url} answered HTTP {status}{hint}",
        url = redact_urls(.url),
        hint = redact_urls(.hint)
    )]
    HttpStatus {
        /// Where.
        url: String,
        /// HTTP status code.
        status: u16,
        /// What to do about it (starts with "; "), or empty.
        hint: String,
    },
    /// The connection broke in a way the protocol does not allow (bad frame, bad UTF-8…).
    #[error(
        "WebSocket protocol error on {url}: {reason}; reconnecting",
        url = redact_urls(.url),
        reason = redact_urls(.reason)
    )]
    Protocol {
        /// Where.
        url: String,
        /// The protocol library's reason.
        reason: String,
    },
    /// The execution-log server closed with 1003: the id is not a UUID.
    #[error(
        "execution id is not a UUID: {url} closed the stream for `{execution_id}` (WebSocket close 1003); fix the execution id",
        url = redact_urls(.url)
    )]
    ExecutionIdNotUuid {
        /// Where.
        url: String,
        /// The id asked for.
        execution_id: String,
    },
    /// The execution-log server closed with 1008: no such execution.
    #[error(
        "unknown execution: {url} has no execution `{execution_id}` (WebSocket close 1008); check the id, or that the execution still exists",
        url = redact_urls(.url)
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
        "{url} refused the log stream for `{execution_id}` (HTTP 403): the execution id is not a UUID or the execution is unknown; check the id",
        url = redact_urls(.url)
    )]
    ExecutionRefused {
        /// Where.
        url: String,
        /// The id asked for.
        execution_id: String,
    },
    /// A Redis command or connection failed.
    #[error(
        "Redis {url}: {reason}",
        url = redact_urls(.url),
        reason = redact_urls(.reason)
    )]
    Redis {
        /// Where (the URL without password).
        url: String,
        /// What failed and what to do.
        reason: String,
    },
    /// A local file could not be read.
    #[error("cannot read {path}: {reason}", reason = redact_urls(.reason))]
    Io {
        /// Which file or directory.
        path: String,
        /// The system's reason, and what to do.
        reason: String,
    },
    /// A gateway answered, but refused or failed the request (`{"ok": false}`).
    #[error(
        "{url}: the gateway refused `{tool}`: {reason}",
        url = redact_urls(.url),
        reason = redact_urls(.reason)
    )]
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
            Self::MessageTooLarge { .. } => "message_too_large",
            Self::BodyTooLarge { .. } => "body_too_large",
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
        let m = EventError::MessageTooLarge {
            size: 41_943_040,
            limit: 1_048_576,
        }
        .to_string();
        assert!(
            m.contains("41943040 bytes")
                && m.contains("already read it into memory")
                && m.contains("`max_message_bytes` in [[nexus_redis]]")
                && !m.contains("not read into memory")
                && !m.contains("max_frame_bytes"),
            "{m}"
        );
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

    /// Every variant, built with a password in its URL and in the transport's reason (reqwest
    /// and tungstenite put the URL in theirs), shows neither.
    #[test]
    fn no_message_shows_a_password_from_a_url() {
        let url = || "http://user:secret@10.0.0.1:8000/metrics".to_owned();
        let reason = || "error sending request for url (ws://u:secret@h/ws)".to_owned();
        let source_errors = [
            SourceError::Timeout {
                url: url(),
                timeout_ms: 1,
            },
            SourceError::Connect {
                url: url(),
                reason: reason(),
            },
            SourceError::HttpStatus {
                url: url(),
                status: 401,
                hint: reason(),
            },
            SourceError::BodyTooLarge {
                url: url(),
                cap_bytes: 1,
            },
            SourceError::Decode {
                url: url(),
                reason: reason(),
            },
            SourceError::NvmlUnavailable(reason()),
            SourceError::Other(reason()),
        ];
        let event_errors = [
            EventError::malformed(reason(), url().as_bytes()),
            EventError::BadUrl {
                url: url(),
                reason: reason(),
            },
            EventError::Connect {
                url: url(),
                reason: reason(),
            },
            EventError::Timeout {
                url: url(),
                timeout_ms: 1,
            },
            EventError::HttpStatus {
                url: url(),
                status: 401,
                hint: reason(),
            },
            EventError::Protocol {
                url: url(),
                reason: reason(),
            },
            EventError::ExecutionIdNotUuid {
                url: url(),
                execution_id: "x".into(),
            },
            EventError::UnknownExecution {
                url: url(),
                execution_id: "x".into(),
            },
            EventError::ExecutionRefused {
                url: url(),
                execution_id: "x".into(),
            },
            EventError::Redis {
                url: url(),
                reason: reason(),
            },
            EventError::Io {
                path: "/p".into(),
                reason: reason(),
            },
            EventError::Gateway {
                url: url(),
                tool: "t".into(),
                reason: reason(),
            },
        ];
        let texts = source_errors
            .iter()
            .map(ToString::to_string)
            .chain(event_errors.iter().map(ToString::to_string))
            .chain(
                event_errors
                    .iter()
                    .map(|e| serde_json::to_string(e).unwrap_or_default()),
            );
        for text in texts {
            assert!(!text.contains("secret"), "{text}");
        }
        let connect = source_errors[1].to_string();
        assert!(
            connect.starts_with("cannot connect to http://***@10.0.0.1:8000/metrics: "),
            "{connect}"
        );
    }
}
