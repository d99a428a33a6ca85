//! A Nexus Agents monitoring event as the model keeps it (DATA-SOURCES §5). The sources decode
//! frames into it (`sources::events::nexus`); the task model counts it.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use serde::Serialize;

/// The `event_id` of the synthetic snapshot the WebSocket sends first; not unique, never
/// deduplicated.
pub const SNAPSHOT_EVENT_ID: &str = "snapshot";

/// Event types on the wire (lowercase). Unknown types are kept as [`EventType::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// `worker_started`
    WorkerStarted,
    /// `worker_heartbeat`
    WorkerHeartbeat,
    /// `worker_stopped`
    WorkerStopped,
    /// `task_enqueued`
    TaskEnqueued,
    /// `task_started`
    TaskStarted,
    /// `task_retry`
    TaskRetry,
    /// `task_completed`
    TaskCompleted,
    /// `task_failed`
    TaskFailed,
    /// `task_stalled` (timed out)
    TaskStalled,
    /// `phase_started`
    PhaseStarted,
    /// `phase_completed`
    PhaseCompleted,
    /// `queue_depth_update` (defined upstream, never emitted)
    QueueDepthUpdate,
    /// `stats_snapshot`
    StatsSnapshot,
    /// Any other type, lowercased.
    Other(String),
}

impl EventType {
    /// Every known type, in wire order.
    pub const KNOWN: [EventType; 13] = [
        Self::WorkerStarted,
        Self::WorkerHeartbeat,
        Self::WorkerStopped,
        Self::TaskEnqueued,
        Self::TaskStarted,
        Self::TaskRetry,
        Self::TaskCompleted,
        Self::TaskFailed,
        Self::TaskStalled,
        Self::PhaseStarted,
        Self::PhaseCompleted,
        Self::QueueDepthUpdate,
        Self::StatsSnapshot,
    ];

    /// Read a wire name, case-insensitively (`TASK_COMPLETED` is the Python enum's name).
    #[must_use]
    pub fn parse(s: &str) -> Self {
        let s = s.trim();
        Self::KNOWN
            .iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .cloned()
            .unwrap_or_else(|| Self::Other(s.to_ascii_lowercase()))
    }

    /// The wire name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::WorkerStarted => "worker_started",
            Self::WorkerHeartbeat => "worker_heartbeat",
            Self::WorkerStopped => "worker_stopped",
            Self::TaskEnqueued => "task_enqueued",
            Self::TaskStarted => "task_started",
            Self::TaskRetry => "task_retry",
            Self::TaskCompleted => "task_completed",
            Self::TaskFailed => "task_failed",
            Self::TaskStalled => "task_stalled",
            Self::PhaseStarted => "phase_started",
            Self::PhaseCompleted => "phase_completed",
            Self::QueueDepthUpdate => "queue_depth_update",
            Self::StatsSnapshot => "stats_snapshot",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The parts of `meta` Swarmglass reads; other keys are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EventMeta {
    /// `meta.workers_online` (stats snapshots).
    pub workers_online: Option<u64>,
    /// `meta.snapshot`: the synthetic first frame of a WebSocket connection.
    pub snapshot: bool,
    /// `meta.truncated`: the publisher cut the event down to its size cap.
    pub truncated: bool,
    /// `meta.original_size` of a truncated event, bytes.
    pub original_size: Option<u64>,
}

/// One Nexus monitoring event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// `event_id` (a UUID; `snapshot` for the synthetic first frame; empty when absent).
    pub event_id: String,
    /// `ts` (or `timestamp`), when present.
    #[serde(serialize_with = "crate::model::time_fmt::option::serialize")]
    pub ts: Option<SystemTime>,
    /// `event_type`.
    pub event_type: EventType,
    /// `project_id`.
    pub project_id: Option<String>,
    /// `parent_task_id` (the research task a subtask belongs to).
    pub parent_task_id: Option<String>,
    /// `task_id`.
    pub task_id: Option<String>,
    /// `task_type`.
    pub task_type: Option<String>,
    /// `phase`.
    pub phase: Option<String>,
    /// `status`.
    pub status: Option<String>,
    /// `message`.
    pub message: Option<String>,
    /// `error`.
    pub error: Option<String>,
    /// `worker_id` (an integer upstream, kept as text).
    pub worker_id: Option<String>,
    /// `retry_count`.
    pub retry_count: Option<u64>,
    /// `duration_ms`.
    pub duration_ms: Option<u64>,
    /// `counts` (stats snapshots: completed, failed, pending, processing).
    pub counts: BTreeMap<String, i64>,
    /// `queue` (stats snapshots: `high_priority`, `normal_priority`, `low_priority`).
    pub queue: BTreeMap<String, i64>,
    /// `meta`, the parts we read.
    pub meta: EventMeta,
    /// Size of the frame it came in, bytes.
    pub frame_bytes: usize,
}

impl Event {
    /// True for events whose id is not unique (the synthetic snapshot, or no id at all): they
    /// are never deduplicated.
    #[must_use]
    pub fn is_synthetic(&self) -> bool {
        self.event_id.is_empty() || self.event_id == SNAPSHOT_EVENT_ID
    }

    /// A minimal event of `event_type` with id `event_id` (tests, the simulator).
    #[must_use]
    pub fn new(event_id: impl Into<String>, event_type: EventType) -> Self {
        Self {
            event_id: event_id.into(),
            ts: None,
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
            counts: BTreeMap::new(),
            queue: BTreeMap::new(),
            meta: EventMeta::default(),
            frame_bytes: 0,
        }
    }
}
