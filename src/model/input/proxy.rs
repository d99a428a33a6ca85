//! Records of the vLLM tool proxy's log (DATA-SOURCES §8): level, kind and message, as
//! `sources::events::tool_proxy` assembles them from the tailed file.

use std::time::SystemTime;

use serde::Serialize;

/// Level of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ProxyLevel {
    /// DEBUG
    Debug,
    /// INFO
    Info,
    /// WARNING
    Warning,
    /// ERROR
    Error,
    /// CRITICAL
    Critical,
}

impl ProxyLevel {
    /// Read a level name as Python logging writes it; `None` for any other word.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "DEBUG" => Self::Debug,
            "INFO" => Self::Info,
            "WARNING" => Self::Warning,
            "ERROR" => Self::Error,
            "CRITICAL" => Self::Critical,
            _ => return None,
        })
    }

    /// ERROR or CRITICAL: counts towards the error rate.
    #[must_use]
    pub fn is_error(self) -> bool {
        self >= Self::Error
    }
}

/// What a record is about (**ours**, from the message text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProxyErrorKind {
    /// `Tool call limit exceeded`: the proxy aborted a tool-call loop.
    ToolLoopAbort,
    /// `Error in post-processing`: a tool call could not be parsed.
    ToolParseError,
    /// `Error cleaning response`.
    CleanResponseError,
    /// `SSE rewrap parse error`.
    SseParseError,
    /// `Forward error`, `Stream error`, `SSE rewrap forward error`: vLLM failed or was unreachable.
    UpstreamError,
}

impl ProxyErrorKind {
    /// Every kind, in display order.
    pub const ALL: [Self; 5] = [
        Self::ToolLoopAbort,
        Self::ToolParseError,
        Self::CleanResponseError,
        Self::SseParseError,
        Self::UpstreamError,
    ];

    /// Stable name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ToolLoopAbort => "tool_loop_abort",
            Self::ToolParseError => "tool_parse_error",
            Self::CleanResponseError => "clean_response_error",
            Self::SseParseError => "sse_parse_error",
            Self::UpstreamError => "upstream_error",
        }
    }
}

/// One log record: a header line and the continuation lines after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProxyRecord {
    /// The header's time.
    #[serde(serialize_with = "crate::model::time_fmt::serialize")]
    pub at: SystemTime,
    /// The header's level.
    pub level: ProxyLevel,
    /// The kind, from the message.
    pub kind: Option<ProxyErrorKind>,
    /// The message on the header line.
    pub message: String,
    /// Continuation lines (at most `max_continuation_lines`, each cut to 512 bytes).
    pub continuation: Vec<String>,
    /// Continuation lines left out over the limit.
    pub continuation_cut: usize,
}
