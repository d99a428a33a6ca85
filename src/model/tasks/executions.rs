//! Execution monitors: per watched workflow execution, its log lines merged by `id` without
//! duplicates (replays and reconnects included) in time order, its connection state, and status,
//! progress and duration at an explicit `now`. Bounded per execution and in executions.

use std::collections::{BTreeMap, VecDeque};
use std::time::SystemTime;

use serde::Serialize;

use super::dedupe::DedupeWindow;
use crate::model::input::ConnectionState;
use crate::model::input::{ExecLog, ExecStatus, LogLevel};

/// Log lines kept per execution (the oldest go first).
pub const MAX_LOGS_PER_EXECUTION: usize = 1000;

/// Executions kept (finished ones, then the longest silent, go first).
pub const MAX_EXECUTIONS: usize = 64;

#[derive(Debug, Clone, PartialEq)]
struct Monitor {
    source: String,
    connection: Option<ConnectionState>,
    logs: VecDeque<(SystemTime, ExecLog)>,
    seen: DedupeWindow,
    duplicates: u64,
    status: Option<ExecStatus>,
    progress_pct: Option<f64>,
    first_at: Option<SystemTime>,
    last_at: Option<SystemTime>,
    lines: u64,
    errors: u64,
    warnings: u64,
}

impl Monitor {
    fn new(source: String) -> Self {
        Self {
            source,
            connection: None,
            logs: VecDeque::new(),
            seen: DedupeWindow::new(MAX_LOGS_PER_EXECUTION * 16),
            duplicates: 0,
            status: None,
            progress_pct: None,
            first_at: None,
            last_at: None,
            lines: 0,
            errors: 0,
            warnings: 0,
        }
    }
}

/// One execution, for display.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionView {
    /// The execution id.
    pub execution_id: String,
    /// Which stream (display form).
    pub source: String,
    /// Status: as reported by a log line, else `pending` before the first line and `running`
    /// after it.
    pub status: ExecStatus,
    /// True when `status` was reported, false when derived.
    pub status_reported: bool,
    /// Latest reported progress, 0–100.
    pub progress_pct: Option<f64>,
    /// Time of the first log line.
    #[serde(serialize_with = "crate::model::time_fmt::option::serialize")]
    pub started_at: Option<SystemTime>,
    /// Time of the latest log line.
    #[serde(serialize_with = "crate::model::time_fmt::option::serialize")]
    pub last_log_at: Option<SystemTime>,
    /// First line to last line when finished, first line to `now` while running.
    pub duration_ms: Option<u64>,
    /// Distinct log lines received.
    pub lines: u64,
    /// Error-level lines.
    pub errors: u64,
    /// Warning-level lines.
    pub warnings: u64,
    /// Lines received again (replays) and dropped.
    pub duplicates_dropped: u64,
    /// The stream's connection state.
    pub connection: Option<ConnectionState>,
}

/// Every watched execution.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecutionMonitors {
    map: BTreeMap<String, Monitor>,
}

impl ExecutionMonitors {
    fn monitor(&mut self, id: &str, source: &str) -> &mut Monitor {
        if !self.map.contains_key(id) && self.map.len() >= MAX_EXECUTIONS {
            let victim = self
                .map
                .iter()
                .min_by_key(|(_, m)| (!m.status.is_some_and(ExecStatus::is_final), m.last_at))
                .map(|(k, _)| k.clone());
            if let Some(v) = victim {
                self.map.remove(&v);
            }
        }
        self.map
            .entry(id.to_owned())
            .or_insert_with(|| Monitor::new(source.to_owned()))
    }

    /// Count `n` lines of execution `id` that its stream dropped as already sent (replays).
    pub fn add_duplicates(&mut self, source: &str, id: &str, n: u64) {
        if n > 0 {
            self.monitor(id, source).duplicates += n;
        }
    }

    /// Add one log line received at `received_at`; a line whose `id` was seen is dropped and
    /// counted. Returns true when it was new.
    pub fn apply_log(&mut self, source: &str, log: ExecLog, received_at: SystemTime) -> bool {
        let m = self.monitor(&log.execution_id.clone(), source);
        if !m.seen.insert(&log.id) {
            m.duplicates += 1;
            return false;
        }
        let at = log.timestamp.unwrap_or(received_at);
        m.lines += 1;
        match log.level {
            LogLevel::Error => m.errors += 1,
            LogLevel::Warning => m.warnings += 1,
            LogLevel::Info => {}
        }
        if let Some(s) = log.status {
            m.status = Some(s);
        }
        if let Some(p) = log.progress_pct {
            m.progress_pct = Some(p);
        }
        m.first_at = Some(m.first_at.map_or(at, |f| f.min(at)));
        m.last_at = Some(m.last_at.map_or(at, |l| l.max(at)));
        // Keep time order; equal times keep arrival order.
        let pos = m.logs.partition_point(|(t, _)| *t <= at);
        m.logs.insert(pos, (at, log));
        if m.logs.len() > MAX_LOGS_PER_EXECUTION {
            m.logs.pop_front();
        }
        true
    }

    /// A stream's connection changed.
    pub fn apply_state(&mut self, source: &str, execution_id: &str, state: ConnectionState) {
        self.monitor(execution_id, source).connection = Some(state);
    }

    /// Stop showing an execution.
    pub fn remove(&mut self, execution_id: &str) {
        self.map.remove(execution_id);
    }

    /// One execution's log lines in time order (at most the last [`MAX_LOGS_PER_EXECUTION`]).
    pub fn logs(&self, execution_id: &str) -> impl Iterator<Item = &ExecLog> {
        self.map
            .get(execution_id)
            .into_iter()
            .flat_map(|m| m.logs.iter().map(|(_, l)| l))
    }

    /// Every execution at `now`, by id.
    #[must_use]
    pub fn views(&self, now: SystemTime) -> Vec<ExecutionView> {
        self.map
            .iter()
            .map(|(id, m)| {
                let (status, reported) = match m.status {
                    Some(s) => (s, true),
                    None if m.lines == 0 => (ExecStatus::Pending, false),
                    None => (ExecStatus::Running, false),
                };
                let end = if status.is_final() {
                    m.last_at
                } else {
                    Some(now)
                };
                let duration_ms = match (m.first_at, end) {
                    (Some(a), Some(b)) => Some(
                        u64::try_from(b.duration_since(a).unwrap_or_default().as_millis())
                            .unwrap_or(u64::MAX),
                    ),
                    _ => None,
                };
                ExecutionView {
                    execution_id: id.clone(),
                    source: m.source.clone(),
                    status,
                    status_reported: reported,
                    progress_pct: m.progress_pct,
                    started_at: m.first_at,
                    last_log_at: m.last_at,
                    duration_ms,
                    lines: m.lines,
                    errors: m.errors,
                    warnings: m.warnings,
                    duplicates_dropped: m.duplicates,
                    connection: m.connection.clone(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(s)
    }

    fn log(id: &str, at: u64, level: LogLevel, status: Option<ExecStatus>) -> ExecLog {
        ExecLog {
            id: id.into(),
            execution_id: "e1".into(),
            step_name: None,
            step_type: None,
            input_preview: String::new(),
            output_preview: String::new(),
            duration_ms: None,
            timestamp: Some(t(at)),
            error_message: None,
            level,
            status,
            progress_pct: None,
        }
    }

    #[test]
    fn replay_and_live_merge_without_duplicates_in_time_order() {
        let mut m = ExecutionMonitors::default();
        for (id, at) in [("a", 10), ("b", 20), ("d", 40)] {
            assert!(m.apply_log("s", log(id, at, LogLevel::Info, None), t(100)));
        }
        // Reconnect: the server replays a, b, and sends c (late) and e.
        for (id, at) in [("a", 10), ("b", 20), ("c", 30), ("e", 50)] {
            m.apply_log("s", log(id, at, LogLevel::Info, None), t(101));
        }
        let ids: Vec<&str> = m.logs("e1").map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "d", "e"]);
        let v = &m.views(t(60))[0];
        assert_eq!((v.lines, v.duplicates_dropped), (5, 2));
        assert_eq!(v.status, ExecStatus::Running);
        assert_eq!(v.duration_ms, Some(50_000));
        m.apply_log(
            "s",
            log("f", 55, LogLevel::Error, Some(ExecStatus::Failed)),
            t(102),
        );
        let v = &m.views(t(900))[0];
        assert_eq!(
            (v.status, v.status_reported, v.errors),
            (ExecStatus::Failed, true, 1)
        );
        assert_eq!(v.duration_ms, Some(45_000));
    }
}
