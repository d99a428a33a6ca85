//! The task model's figures as the panels and `snapshot --json` see them: task statistics per
//! window, queue depth, per-parent counts, per-source stream status, and the whole snapshot.
//! Plain serializable data.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::Serialize;

use super::{
    ExecutionView, LatencySummary, ProxySummary, RecentEvent, SessionsSummary, WorkersView,
};
use crate::model::ids::SourceId;
use crate::model::input::ConnectionState;

/// Task figures over one window.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TaskStats {
    /// The window, seconds (to the minute: the current minute counts whole).
    pub window_s: u64,
    /// `task_enqueued` events.
    pub enqueued: u64,
    /// `task_started` events.
    pub started: u64,
    /// `task_completed` events.
    pub completed: u64,
    /// `task_failed` events.
    pub failed: u64,
    /// `task_stalled` events (timed out).
    pub timed_out: u64,
    /// `task_retry` events.
    pub retried: u64,
    /// completed / (completed + failed); `None` with neither.
    pub success_rate: Option<f64>,
    /// Completion time from `duration_ms` of `task_completed`.
    pub completion: LatencySummary,
}

/// Queue depth by priority from the latest stats snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueDepth {
    /// (priority, depth): high, normal, low first, others after by name.
    pub by_priority: Vec<(String, i64)>,
    /// Sum over priorities.
    pub total: i64,
    /// Snapshot time.
    #[serde(serialize_with = "crate::model::time_fmt::serialize")]
    pub at: SystemTime,
}

impl QueueDepth {
    pub(super) fn from_map(map: &BTreeMap<String, i64>, at: SystemTime) -> Self {
        const ORDER: [&str; 3] = ["high_priority", "normal_priority", "low_priority"];
        let mut by_priority: Vec<(String, i64)> = ORDER
            .iter()
            .filter_map(|k| map.get(*k).map(|v| ((*k).to_owned(), *v)))
            .collect();
        by_priority.extend(
            map.iter()
                .filter(|(k, _)| !ORDER.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), *v)),
        );
        Self {
            // Saturating: a frame may carry any i64 (1e308 arrives as i64::MAX).
            total: by_priority
                .iter()
                .fold(0i64, |sum, (_, v)| sum.saturating_add(*v)),
            by_priority,
            at,
        }
    }
}

/// `counts` of one parent task from its latest stats snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParentCounts {
    /// `parent_task_id` (empty for a global snapshot).
    pub parent_task_id: String,
    /// completed, failed, pending, processing.
    pub counts: BTreeMap<String, i64>,
    /// Snapshot time.
    #[serde(serialize_with = "crate::model::time_fmt::serialize")]
    pub at: SystemTime,
}

/// What one source has delivered and where its connection stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamStatus {
    /// Which source.
    pub source: SourceId,
    /// Latest connection state (streams only).
    pub state: Option<ConnectionState>,
    /// Events received (duplicates included).
    pub events: u64,
    /// Events dropped as already seen.
    pub duplicates: u64,
    /// Frames refused (malformed or oversized).
    pub malformed: u64,
    /// Values refused as impossible (a duration over 30 days): not counted, said in
    /// `last_error` and the error list.
    pub refused: u64,
    /// Latest error message.
    pub last_error: Option<String>,
    /// When the latest update of any kind arrived.
    #[serde(serialize_with = "crate::model::time_fmt::option::serialize")]
    pub last_update_at: Option<SystemTime>,
}

/// Everything the task model knows at `as_of`, for `snapshot --json` and the panels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TasksSnapshot {
    /// The `now` of these figures.
    #[serde(serialize_with = "crate::model::time_fmt::serialize")]
    pub as_of: SystemTime,
    /// Task figures over the last hour.
    pub last_hour: TaskStats,
    /// Task figures over the last 24 h.
    pub last_24h: TaskStats,
    /// Latest queue depth.
    pub queue: Option<QueueDepth>,
    /// Latest counts per parent task.
    pub parent_counts: Vec<ParentCounts>,
    /// Tasks in flight by type, and the workflow phases.
    pub board: super::BoardView,
    /// Workers.
    pub workers: WorkersView,
    /// Every source, by id.
    pub streams: Vec<StreamStatus>,
    /// Distinct events per type since start.
    pub event_totals: BTreeMap<String, u64>,
    /// Distinct events since start.
    pub events_total: u64,
    /// Events dropped as duplicates since start.
    pub duplicates_dropped: u64,
    /// Frames refused since start.
    pub malformed_total: u64,
    /// Events that arrived truncated by the publisher.
    pub truncated_total: u64,
    /// Values refused as impossible since start (see [`StreamStatus::refused`]).
    pub refused_total: u64,
    /// The 50 latest events, newest first.
    pub recent_events: Vec<RecentEvent>,
    /// Agent sessions.
    pub sessions: SessionsSummary,
    /// Tool-proxy errors.
    pub tool_proxy: ProxySummary,
    /// Watched executions.
    pub executions: Vec<ExecutionView>,
}
