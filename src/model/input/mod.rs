//! What crosses from a source into the model: the updates collectors send to the single owner
//! of the [`Model`](super::Model), and every value type inside them (errors, events, connection
//! states, sessions, execution logs, tool-proxy records, worker heartbeats). These are the
//! model's own types: the source modules produce them, the model consumes them, and
//! nothing here imports a source.

pub mod error;
pub mod event;
pub mod exec;
pub mod fleet;
pub mod proxy;
pub mod sessions;

use std::time::SystemTime;

use serde::Serialize;

use super::gpu::GpuSample;
use super::ids::SourceId;
use super::scrape::ScrapeData;
use super::status::ClusterStatus;

pub use error::{EventError, SourceError};
pub use event::{Event, EventMeta, EventType};
pub use exec::{ExecLog, ExecStatus, LogLevel};
pub use fleet::{FleetData, FleetTarget};
pub use proxy::{ProxyErrorKind, ProxyLevel, ProxyRecord};
pub use sessions::{SessionInfo, SessionsOrigin, SessionsReport};

/// One message from a collector to the single owner of the model.
#[derive(Debug, Clone)]
pub enum SourceUpdate {
    /// A Prometheus target was scraped (or failed to be).
    Scrape {
        /// Which target.
        source: SourceId,
        /// When the scrape finished (wall clock).
        at: SystemTime,
        /// Mapped data, or why there is none.
        result: Result<ScrapeData, SourceError>,
    },
    /// A cluster-status endpoint was read.
    Status {
        /// Which endpoint.
        source: SourceId,
        /// When.
        at: SystemTime,
        /// The status, or why there is none.
        result: Result<ClusterStatus, SourceError>,
    },
    /// Local GPUs were read (NVML or nvidia-smi).
    LocalGpus {
        /// Which local source.
        source: SourceId,
        /// When.
        at: SystemTime,
        /// One sample per GPU, or why there are none.
        result: Result<Vec<GpuSample>, SourceError>,
    },
    /// A Prometheus-compatible server was queried: every target it scrapes, or why not.
    Fleet {
        /// Which server.
        source: SourceId,
        /// When.
        at: SystemTime,
        /// One entry per target, or why the server could not be read.
        result: Result<Vec<FleetTarget>, SourceError>,
    },
    /// An agent/task source reported: an event, a connection state, sessions, log records.
    Agents(Box<EventUpdate>),
}

impl SourceUpdate {
    /// Wrap an agent/task source's update.
    #[must_use]
    pub fn agents(update: EventUpdate) -> Self {
        Self::Agents(Box::new(update))
    }

    /// The agent/task source's update inside, if this is one.
    #[must_use]
    pub fn into_agents(self) -> Option<EventUpdate> {
        match self {
            Self::Agents(u) => Some(*u),
            _ => None,
        }
    }

    /// True when this reports a failed poll (its result is an error): the poll loop backs off.
    #[must_use]
    pub fn is_failure(&self) -> bool {
        match self {
            Self::Scrape { result, .. } => result.is_err(),
            Self::Status { result, .. } => result.is_err(),
            Self::LocalGpus { result, .. } => result.is_err(),
            Self::Fleet { result, .. } => result.is_err(),
            Self::Agents(u) => u.is_failure(),
        }
    }

    /// True when this update shows the source working (a poll answered, a stream connected):
    /// the model marks the source's earlier errors resolved.
    #[must_use]
    pub fn is_success(&self) -> bool {
        match self {
            Self::Scrape { result, .. } => result.is_ok(),
            Self::Status { result, .. } => result.is_ok(),
            Self::LocalGpus { result, .. } => result.is_ok(),
            Self::Fleet { result, .. } => result.is_ok(),
            Self::Agents(u) => u.is_success(),
        }
    }

    /// What a successful update had to leave out (node entries, session stores, heartbeat keys
    /// that could not be read), as one error-log entry `(kind, message)`; the rest was used.
    #[must_use]
    pub fn problems(&self) -> Option<(&'static str, String)> {
        match self {
            Self::Status {
                result: Ok(status), ..
            } => status.problems_summary().map(|m| ("skipped", m)),
            Self::Agents(u) => u.problems(),
            _ => None,
        }
    }

    /// The source this update is about.
    #[must_use]
    pub fn source(&self) -> &SourceId {
        match self {
            Self::Scrape { source, .. }
            | Self::Status { source, .. }
            | Self::LocalGpus { source, .. }
            | Self::Fleet { source, .. } => source,
            Self::Agents(u) => u.source(),
        }
    }
}

/// Where a stream connection stands. Serialized with a `state` tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionState {
    /// Opening a connection (attempt 1 is the first since the last stable connection).
    Connecting {
        /// When this attempt started.
        #[serde(serialize_with = "crate::model::time_fmt::serialize")]
        since: SystemTime,
        /// Attempt number.
        attempt: u32,
    },
    /// Connected (and subscribed, for Redis) since `since`.
    Connected {
        /// When the connection opened.
        #[serde(serialize_with = "crate::model::time_fmt::serialize")]
        since: SystemTime,
    },
    /// The connection ended without an error of ours (closed by the server, reset, silent for
    /// too long); a retry is scheduled.
    Disconnected {
        /// Why, in words.
        reason: String,
        /// When the next attempt starts.
        #[serde(serialize_with = "crate::model::time_fmt::serialize")]
        next_retry_at: SystemTime,
    },
    /// Connecting failed, or the connection was ended because of an error.
    Error {
        /// What went wrong.
        error: EventError,
        /// When the next attempt starts; `None` when retrying cannot help (bad URL, unknown
        /// execution): the source has stopped.
        #[serde(serialize_with = "crate::model::time_fmt::option::serialize")]
        next_retry_at: Option<SystemTime>,
    },
}

impl ConnectionState {
    /// Short label for display (`connecting`, `connected`, `disconnected`, `error`).
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Self::Connecting { .. } => "connecting",
            Self::Connected { .. } => "connected",
            Self::Disconnected { .. } => "disconnected",
            Self::Error { .. } => "error",
        }
    }

    /// True while connected.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        matches!(self, Self::Connected { .. })
    }
}

/// One message from an event source to the owner of the [`TaskModel`](super::tasks::TaskModel).
#[derive(Debug, Clone)]
pub enum EventUpdate {
    /// A Nexus event (WebSocket or Redis). Already deduplicated by the source; the model
    /// deduplicates again across sources.
    Event {
        /// Which stream.
        source: SourceId,
        /// When it was received (wall clock).
        received_at: SystemTime,
        /// The event.
        event: Box<Event>,
    },
    /// A stream's connection changed state.
    Connection {
        /// Which stream.
        source: SourceId,
        /// The new state.
        state: ConnectionState,
    },
    /// One frame or message could not be used (malformed, over the cap); the stream goes on.
    Malformed {
        /// Which stream.
        source: SourceId,
        /// When (the latest of them).
        at: SystemTime,
        /// Why (the first of them).
        error: EventError,
        /// Frames refused that this report stands for (≥ 1): while one report of a source is
        /// queued, further ones are folded into it rather than taking queue slots.
        count: u64,
    },
    /// Worker heartbeat keys read from Redis (all of them, up to a cap, each poll).
    Workers {
        /// Which Redis.
        source: SourceId,
        /// When the keys were read.
        at: SystemTime,
        /// The live keys, or why they could not be read.
        result: Result<HeartbeatScan, EventError>,
    },
    /// A new execution log line (never one already sent for this execution).
    ExecLog {
        /// Which stream.
        source: SourceId,
        /// When it was received.
        received_at: SystemTime,
        /// The log line.
        log: Box<ExecLog>,
    },
    /// An execution-log stream changed state.
    ExecConnection {
        /// Which stream.
        source: SourceId,
        /// Which execution.
        execution_id: String,
        /// The new state.
        state: ConnectionState,
    },
    /// Agent sessions were read (session store files or the gateway).
    Sessions {
        /// Which store or gateway.
        source: SourceId,
        /// When.
        at: SystemTime,
        /// Every session, or why none could be read.
        result: Result<SessionsReport, EventError>,
    },
    /// A stream's running total of frames it dropped because it had forwarded their id already
    /// (a replay after a reconnect, one event on two channels). Sent at most about once a
    /// second while duplicates arrive ([`crate::model::tasks::DuplicateReport`]); a later total
    /// replaces an earlier one, so a lost report costs nothing.
    Duplicates {
        /// Which stream.
        source: SourceId,
        /// Which execution, for an execution-log stream.
        execution_id: Option<String>,
        /// Duplicates dropped since the stream started.
        total: u64,
    },
    /// New records from the tool proxy's log.
    ProxyLog {
        /// Which log file.
        source: SourceId,
        /// When the file was read.
        at: SystemTime,
        /// Complete records in file order, or why the file could not be read.
        result: Result<Vec<ProxyRecord>, EventError>,
    },
}

impl EventUpdate {
    /// The source this update is about.
    #[must_use]
    pub fn source(&self) -> &SourceId {
        match self {
            Self::Event { source, .. }
            | Self::Connection { source, .. }
            | Self::Malformed { source, .. }
            | Self::Workers { source, .. }
            | Self::ExecLog { source, .. }
            | Self::ExecConnection { source, .. }
            | Self::Sessions { source, .. }
            | Self::Duplicates { source, .. }
            | Self::ProxyLog { source, .. } => source,
        }
    }

    /// True when this reports a failed poll (worker keys, sessions or a log that could not be
    /// read).
    #[must_use]
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Self::Workers { result: Err(_), .. }
                | Self::Sessions { result: Err(_), .. }
                | Self::ProxyLog { result: Err(_), .. }
        )
    }

    /// True when this update shows the source working: a poll that read its keys, stores or
    /// log, or a stream that connected.
    #[must_use]
    pub fn is_success(&self) -> bool {
        match self {
            Self::Workers { result, .. } => result.is_ok(),
            Self::Sessions { result, .. } => result.is_ok(),
            Self::ProxyLog { result, .. } => result.is_ok(),
            Self::Connection { state, .. } | Self::ExecConnection { state, .. } => {
                state.is_connected()
            }
            Self::Event { .. }
            | Self::Malformed { .. }
            | Self::ExecLog { .. }
            | Self::Duplicates { .. } => false,
        }
    }

    /// What a successful poll had to leave out, as one error-log entry `(kind, message)`.
    #[must_use]
    pub fn problems(&self) -> Option<(&'static str, String)> {
        match self {
            Self::Workers { result: Ok(s), .. } => s.problems_summary().map(|m| ("skipped", m)),
            Self::Sessions { result: Ok(r), .. } => r.problems_summary().map(|m| ("skipped", m)),
            _ => None,
        }
    }

    /// The error this update reports, if any — for the central error log
    /// (`errors.record(&source.to_string(), e.kind(), &e.to_string(), now)`).
    #[must_use]
    pub fn error(&self) -> Option<&EventError> {
        match self {
            Self::Malformed { error, .. } => Some(error),
            Self::Connection {
                state: ConnectionState::Error { error, .. },
                ..
            }
            | Self::ExecConnection {
                state: ConnectionState::Error { error, .. },
                ..
            } => Some(error),
            Self::Workers { result: Err(e), .. }
            | Self::Sessions { result: Err(e), .. }
            | Self::ProxyLog { result: Err(e), .. } => Some(e),
            _ => None,
        }
    }
}

/// One read of the heartbeat keys: the live ones, whether counting stopped at the cap, and the
/// keys that could not be used.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct HeartbeatScan {
    /// One beat per live key, sorted by key.
    pub beats: Vec<WorkerBeat>,
    /// `Some(n)`: there are more keys than the `n` read; the workers counted are a lower bound.
    pub stopped_at: Option<usize>,
    /// Keys skipped because their name is not UTF-8 (no worker id can be read from them).
    pub skipped_keys: usize,
    /// One skipped key, escaped (`\xff`), for the message.
    pub skipped_example: Option<String>,
}

impl HeartbeatScan {
    /// The skipped keys as one sentence that says what to do; `None` when none was skipped.
    #[must_use]
    pub fn problems_summary(&self) -> Option<String> {
        (self.skipped_keys > 0).then(|| {
            format!(
                "{} heartbeat key(s) skipped: the key name is not UTF-8, so no worker id can be read from it (e.g. `{}`); the other keys were counted. Delete or rename those keys (workers must write text ids)",
                self.skipped_keys,
                self.skipped_example.as_deref().unwrap_or("?")
            )
        })
    }
}

/// One live heartbeat key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WorkerBeat {
    /// The worker id (the key after the prefix).
    pub worker_id: String,
    /// When the worker last wrote its key, estimated from the TTL left.
    #[serde(serialize_with = "crate::model::time_fmt::serialize")]
    pub last_beat_at: SystemTime,
    /// Seconds the key has left; `None` for a key without expiry.
    pub ttl_left_s: Option<u64>,
}
