//! Workflow execution logs over `/ws/executions/{id}/logs` (DATA-SOURCES §6, toobutta/
//! auterity-error-iq): one stream per execution, several at once. On connect the server replays
//! stored logs, then streams; replayed and live logs overlap, so each stream forwards a log `id`
//! once, across reconnects too. `{"type":"heartbeat"}` and the text `pong` are keepalives. Close
//! 1003 means the id is not a UUID, 1008 an unknown execution (uvicorn turns either, sent before
//! the upgrade is accepted, into HTTP 403): all three stop the stream with a clear message.

use std::time::{Duration, SystemTime};

use super::nexus::{DEFAULT_MAX_FRAME_BYTES, Keepalive};
use super::wire::{LooseString, LooseU64, parse_iso8601};
use super::wsconn::{Flow, WsHooks, WsOptions, build_url, encode_query_value, supervise};
use crate::model::ids::{SourceId, SourceKind};
use crate::model::input::{
    ConnectionState, EventError, EventUpdate, ExecLog, ExecStatus, LogLevel,
};
use crate::model::tasks::{DedupeWindow, DuplicateReport};
use crate::model::text::truncate_str;
use crate::sources::framework::{Delivery, Sink, SourceTask, Stop};

/// Longest `input_data` / `output_data` text kept per log line, bytes.
pub const MAX_DATA_PREVIEW_BYTES: usize = 1024;

/// One decoded execution-log frame.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecFrame {
    /// A log line.
    Log(Box<ExecLog>),
    /// A keepalive (`{"type":"heartbeat"}`, text `pong`).
    Keepalive(Keepalive),
    /// Another `{"type": …}` message; ignored.
    Control {
        /// Its `type`.
        kind: String,
    },
}

#[derive(serde::Deserialize)]
struct RawLog {
    #[serde(rename = "type", default)]
    kind: LooseString,
    #[serde(default)]
    id: LooseString,
    #[serde(default)]
    step_name: LooseString,
    #[serde(default)]
    step_type: LooseString,
    #[serde(default)]
    input_data: Option<serde_json::Value>,
    #[serde(default)]
    output_data: Option<serde_json::Value>,
    #[serde(default)]
    duration_ms: LooseU64,
    #[serde(default)]
    timestamp: LooseString,
    #[serde(default)]
    error_message: Option<serde_json::Value>,
    #[serde(default)]
    level: LooseString,
    #[serde(default)]
    status: LooseString,
    #[serde(default)]
    progress: Option<serde_json::Value>,
}

fn preview(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(v) => truncate_str(&v.to_string(), MAX_DATA_PREVIEW_BYTES),
    }
}

/// Parse one frame of an execution-log stream for `execution_id`.
///
/// # Errors
/// [`EventError::FrameTooLarge`] over `max_bytes`; [`EventError::Malformed`] for frames that are
/// not JSON objects, log lines without `id`, or a `timestamp` that is not ISO-8601.
pub fn parse_exec_frame(
    bytes: &[u8],
    execution_id: &str,
    max_bytes: usize,
) -> Result<ExecFrame, EventError> {
    if bytes.len() > max_bytes {
        return Err(EventError::FrameTooLarge {
            size: Some(bytes.len()),
            limit: max_bytes,
        });
    }
    let trimmed = bytes.trim_ascii();
    match trimmed {
        b"pong" => return Ok(ExecFrame::Keepalive(Keepalive::Pong)),
        b"ping" => return Ok(ExecFrame::Keepalive(Keepalive::Ping)),
        t if !t.starts_with(b"{") => return Err(EventError::malformed("not a JSON object", bytes)),
        _ => {}
    }
    let raw: RawLog = serde_json::from_slice(trimmed)
        .map_err(|e| EventError::malformed(format!("not a log object: {e}"), bytes))?;
    let Some(id) = raw.id.0 else {
        return match raw.kind.0.as_deref() {
            Some(k) if k.eq_ignore_ascii_case("heartbeat") => {
                Ok(ExecFrame::Keepalive(Keepalive::Heartbeat))
            }
            Some(k) if k.eq_ignore_ascii_case("ping") => Ok(ExecFrame::Keepalive(Keepalive::Ping)),
            Some(k) if k.eq_ignore_ascii_case("pong") => Ok(ExecFrame::Keepalive(Keepalive::Pong)),
            Some(k) => Ok(ExecFrame::Control { kind: k.to_owned() }),
            None => Err(EventError::malformed("log line without `id`", bytes)),
        };
    };
    let timestamp = match raw.timestamp.0.as_deref() {
        None => None,
        Some(t) => Some(parse_iso8601(t).ok_or_else(|| {
            EventError::malformed(format!("`timestamp` is not ISO-8601: `{t}`"), bytes)
        })?),
    };
    let out = raw.output_data.as_ref();
    let status = raw
        .status
        .0
        .as_deref()
        .and_then(ExecStatus::parse)
        .or_else(|| {
            out.and_then(|o| o.get("status"))
                .and_then(serde_json::Value::as_str)
                .and_then(ExecStatus::parse)
        });
    let progress_pct = raw
        .progress
        .as_ref()
        .or_else(|| out.and_then(|o| o.get("progress")))
        .and_then(serde_json::Value::as_f64)
        .filter(|p| p.is_finite())
        .map(|p| p.clamp(0.0, 100.0));
    let error_message = match raw.error_message {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    };
    // Upstream: "error" if error_message else "info".
    let level = match raw.level.0.as_deref() {
        Some(l) => LogLevel::parse(l),
        None if error_message.is_some() => LogLevel::Error,
        None => LogLevel::Info,
    };
    Ok(ExecFrame::Log(Box::new(ExecLog {
        id,
        execution_id: execution_id.to_owned(),
        step_name: raw.step_name.0,
        step_type: raw.step_type.0,
        input_preview: preview(raw.input_data.as_ref()),
        output_preview: preview(out),
        duration_ms: raw.duration_ms.0,
        timestamp,
        error_message,
        level,
        status,
        progress_pct,
    })))
}

/// Everything an execution-log stream needs (one config serves every execution).
#[derive(Debug, Clone)]
pub struct ExecLogConfig {
    /// Node shown for these streams.
    pub node: String,
    /// Server base URL: `ws://host:8000` (`http://` is turned into `ws://`).
    pub url: String,
    /// Path with `{id}` where the execution id goes.
    pub path_template: String,
    /// Largest frame accepted, bytes.
    pub max_frame_bytes: usize,
    /// Limit on TCP connect + upgrade.
    pub connect_timeout: Duration,
    /// How often to send a text `ping` (the server answers `pong`).
    pub ping_interval: Duration,
    /// Reconnect when nothing arrived for this long (the server sends a heartbeat after 30 s
    /// of silence).
    pub idle_timeout: Duration,
    /// First reconnect delay.
    pub backoff_base: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// A connection up this long resets the backoff.
    pub stable_after: Duration,
    /// How many log ids are remembered per execution to drop replayed lines.
    pub dedupe_capacity: usize,
}

impl ExecLogConfig {
    /// Defaults for the server at `url`.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            node: "swarm".into(),
            url: url.into(),
            path_template: "/ws/executions/{id}/logs".into(),
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            connect_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(25),
            idle_timeout: Duration::from_secs(90),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            stable_after: Duration::from_secs(30),
            dedupe_capacity: 100_000,
        }
    }

    /// The stream URL of one execution.
    #[must_use]
    pub fn logs_url(&self, execution_id: &str) -> String {
        build_url(
            &self.url,
            &self
                .path_template
                .replace("{id}", &encode_query_value(execution_id)),
            &[],
        )
    }

    /// The source id of one execution's stream.
    #[must_use]
    pub fn source_id(&self, execution_id: &str) -> SourceId {
        SourceId::new(
            self.node.clone(),
            SourceKind::ExecLogs,
            self.logs_url(execution_id),
        )
    }
}

struct ExecHooks<'a> {
    execution_id: &'a str,
    url: String,
    source: SourceId,
    max_frame_bytes: usize,
    sink: &'a Sink,
    seen: DedupeWindow,
    report: DuplicateReport,
}

impl WsHooks for ExecHooks<'_> {
    fn state(&mut self, state: ConnectionState) -> Delivery {
        self.sink.send_event(EventUpdate::ExecConnection {
            source: self.source.clone(),
            execution_id: self.execution_id.to_owned(),
            state,
        })
    }

    fn payload(&mut self, bytes: &[u8]) -> Flow {
        let at = SystemTime::now();
        let update = match parse_exec_frame(bytes, self.execution_id, self.max_frame_bytes) {
            Ok(ExecFrame::Log(log)) => {
                if !self.seen.insert(&log.id) {
                    return self.tick();
                }
                EventUpdate::ExecLog {
                    source: self.source.clone(),
                    received_at: at,
                    log,
                }
            }
            Ok(ExecFrame::Keepalive(_) | ExecFrame::Control { .. }) => return Flow::Continue,
            Err(error) => EventUpdate::Malformed {
                source: self.source.clone(),
                at,
                error,
                count: 1,
            },
        };
        if self.sink.send_event(update) == Delivery::Closed {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    fn tick(&mut self) -> Flow {
        let d = super::ws::report_duplicates(
            self.sink,
            &self.source,
            Some(self.execution_id),
            &self.seen,
            &mut self.report,
        );
        if d == Delivery::Closed {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    fn close_error(&self, code: u16) -> Option<EventError> {
        let (url, execution_id) = (self.url.clone(), self.execution_id.to_owned());
        match code {
            1003 => Some(EventError::ExecutionIdNotUuid { url, execution_id }),
            1008 => Some(EventError::UnknownExecution { url, execution_id }),
            _ => None,
        }
    }

    fn handshake_error(&self, e: EventError) -> EventError {
        match e {
            EventError::HttpStatus { status: 403, .. } => EventError::ExecutionRefused {
                url: self.url.clone(),
                execution_id: self.execution_id.to_owned(),
            },
            EventError::HttpStatus {
                url, status: 404, ..
            } => EventError::HttpStatus {
                url,
                status: 404,
                hint: "; no execution-log endpoint at this path: check `path_template`".into(),
            },
            other => other,
        }
    }
}

/// Follow one execution's logs until `stop` flips, the consumer goes away, or the server says
/// the execution is unknown or its id invalid. Sends [`EventUpdate::ExecConnection`] on every
/// state change and [`EventUpdate::ExecLog`] per new line.
pub async fn run_execution(cfg: ExecLogConfig, execution_id: String, sink: Sink, stop: Stop) {
    let url = cfg.logs_url(&execution_id);
    let opts = WsOptions {
        max_frame_bytes: cfg.max_frame_bytes,
        connect_timeout: cfg.connect_timeout,
        ping_interval: cfg.ping_interval,
        idle_timeout: cfg.idle_timeout,
        backoff_base: cfg.backoff_base,
        backoff_max: cfg.backoff_max,
        stable_after: cfg.stable_after,
    };
    let mut hooks = ExecHooks {
        execution_id: &execution_id,
        url: url.clone(),
        source: cfg.source_id(&execution_id),
        max_frame_bytes: cfg.max_frame_bytes,
        sink: &sink,
        seen: DedupeWindow::new(cfg.dedupe_capacity),
        report: DuplicateReport::default(),
    };
    supervise(&url, &opts, stop, &mut hooks).await;
}

/// [`run_execution`] on the current tokio runtime. Keep one handle per watched execution; drop
/// it (or [`SourceTask::shutdown`]) to stop watching.
#[must_use]
pub fn spawn_execution(
    cfg: ExecLogConfig,
    execution_id: impl Into<String>,
    sink: Sink,
) -> SourceTask {
    let execution_id = execution_id.into();
    SourceTask::spawn(move |stop| run_execution(cfg, execution_id, sink, stop))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const EXEC: &str = "3f2b8c1e-9a4d-4e2f-8b7a-1c2d3e4f5a6b";

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/events/exec_logs/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn log(bytes: &[u8]) -> ExecLog {
        match parse_exec_frame(bytes, EXEC, DEFAULT_MAX_FRAME_BYTES).unwrap() {
            ExecFrame::Log(l) => *l,
            other => panic!("not a log: {other:?}"),
        }
    }

    #[test]
    fn reads_replayed_lines_as_upstream_writes_them() {
        let text = String::from_utf8(fixture("replay.jsonl")).unwrap();
        let logs: Vec<ExecLog> = text.lines().map(|l| log(l.as_bytes())).collect();
        assert_eq!(logs.len(), 3);
        assert_eq!(logs[0].step_name.as_deref(), Some("fetch_ticket"));
        assert_eq!(logs[0].duration_ms, Some(120));
        assert_eq!(logs[0].level, LogLevel::Info);
        assert!(logs[0].timestamp.is_some());
        assert_eq!(logs[2].level, LogLevel::Error);
        assert_eq!(logs[2].duration_ms, None);
        assert!(
            logs[2]
                .error_message
                .as_deref()
                .unwrap_or("")
                .contains("timeout")
        );
        assert_eq!(logs[1].status, Some(ExecStatus::Running));
        assert_eq!(logs[1].progress_pct, Some(50.0));
    }

    #[test]
    fn keepalives_are_not_logs() {
        assert_eq!(
            parse_exec_frame(&fixture("heartbeat.json"), EXEC, 1024).unwrap(),
            ExecFrame::Keepalive(Keepalive::Heartbeat)
        );
        assert_eq!(
            parse_exec_frame(b"pong", EXEC, 1024).unwrap(),
            ExecFrame::Keepalive(Keepalive::Pong)
        );
        assert_eq!(
            parse_exec_frame(br#"{"step_name":"x"}"#, EXEC, 1024)
                .unwrap_err()
                .kind(),
            "malformed"
        );
        assert_eq!(
            parse_exec_frame(&[b' '; 2000], EXEC, 1024)
                .unwrap_err()
                .kind(),
            "frame_too_large"
        );
    }

    #[test]
    fn urls_carry_the_execution_id() {
        let c = ExecLogConfig::new("http://127.0.0.1:8000/");
        assert_eq!(
            c.logs_url(EXEC),
            format!("ws://127.0.0.1:8000/ws/executions/{EXEC}/logs")
        );
        assert_eq!(
            c.logs_url("a/b"),
            "ws://127.0.0.1:8000/ws/executions/a%2Fb/logs"
        );
    }
}
