//! The recent-event ring behind the event stream panel: the last N events in a compact form
//! (long texts cut), newest first, filterable by project, task and event type.

use std::collections::VecDeque;
use std::time::SystemTime;

use serde::Serialize;

use crate::model::input::{Event, EventType};
use crate::model::text::truncate_str;

/// Longest `message` / `error` kept per event, bytes.
pub const MAX_TEXT_BYTES: usize = 512;

/// One event as the stream panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecentEvent {
    /// `event_id`.
    pub event_id: String,
    /// Event time (`ts`, else when received).
    #[serde(serialize_with = "crate::model::time_fmt::serialize")]
    pub at: SystemTime,
    /// `event_type`.
    pub event_type: EventType,
    /// `project_id`.
    pub project_id: Option<String>,
    /// `task_id`.
    pub task_id: Option<String>,
    /// `parent_task_id`.
    pub parent_task_id: Option<String>,
    /// `worker_id`.
    pub worker_id: Option<String>,
    /// `phase`.
    pub phase: Option<String>,
    /// `status`.
    pub status: Option<String>,
    /// `message`, cut to [`MAX_TEXT_BYTES`].
    pub message: Option<String>,
    /// `error`, cut to [`MAX_TEXT_BYTES`].
    pub error: Option<String>,
    /// `duration_ms`.
    pub duration_ms: Option<u64>,
    /// The publisher truncated it (`meta.truncated`).
    pub truncated: bool,
    /// Which stream it came from (display form).
    pub source: String,
}

impl RecentEvent {
    /// The compact form of `e`, seen at `at`, from `source`.
    #[must_use]
    pub fn from_event(e: &Event, at: SystemTime, source: String) -> Self {
        Self {
            event_id: e.event_id.clone(),
            at,
            event_type: e.event_type.clone(),
            project_id: e.project_id.clone(),
            task_id: e.task_id.clone(),
            parent_task_id: e.parent_task_id.clone(),
            worker_id: e.worker_id.clone(),
            phase: e.phase.clone(),
            status: e.status.clone(),
            message: e
                .message
                .as_deref()
                .map(|m| truncate_str(m, MAX_TEXT_BYTES)),
            error: e.error.as_deref().map(|m| truncate_str(m, MAX_TEXT_BYTES)),
            duration_ms: e.duration_ms,
            truncated: e.meta.truncated,
            source,
        }
    }
}

/// Which events the stream panel shows. Empty / `None` fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EventFilter {
    /// Only this project.
    pub project_id: Option<String>,
    /// Only this task: matches `task_id` or `parent_task_id`.
    pub task_id: Option<String>,
    /// Only these types.
    pub event_types: Vec<EventType>,
}

impl EventFilter {
    /// True when `e` passes the filter.
    #[must_use]
    pub fn matches(&self, e: &RecentEvent) -> bool {
        self.project_id
            .as_ref()
            .is_none_or(|p| e.project_id.as_ref() == Some(p))
            && self.task_id.as_ref().is_none_or(|t| {
                e.task_id.as_ref() == Some(t) || e.parent_task_id.as_ref() == Some(t)
            })
            && (self.event_types.is_empty() || self.event_types.contains(&e.event_type))
    }
}

/// The last `capacity` events.
#[derive(Debug, Clone, PartialEq)]
pub struct RecentEvents {
    ring: VecDeque<RecentEvent>,
    capacity: usize,
}

impl RecentEvents {
    /// A ring of `capacity` events (at least 1).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            ring: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Add one; the oldest goes when full.
    pub fn push(&mut self, e: RecentEvent) {
        if self.ring.len() >= self.capacity {
            self.ring.pop_front();
        }
        self.ring.push_back(e);
    }

    /// Events passing `filter`, newest first, at most `limit`.
    #[must_use]
    pub fn filtered(&self, filter: &EventFilter, limit: usize) -> Vec<&RecentEvent> {
        self.ring
            .iter()
            .rev()
            .filter(|e| filter.matches(e))
            .take(limit)
            .collect()
    }

    /// Events held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// True when empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str, t: EventType, project: &str, parent: &str) -> RecentEvent {
        let mut e = Event::new(id, t);
        e.project_id = Some(project.into());
        e.parent_task_id = Some(parent.into());
        RecentEvent::from_event(&e, SystemTime::UNIX_EPOCH, "s".into())
    }

    #[test]
    fn filters_by_project_task_and_type_newest_first() {
        let mut r = RecentEvents::new(3);
        r.push(ev("1", EventType::TaskStarted, "p1", "t1"));
        r.push(ev("2", EventType::TaskCompleted, "p1", "t2"));
        r.push(ev("3", EventType::TaskFailed, "p2", "t1"));
        r.push(ev("4", EventType::TaskCompleted, "p1", "t1"));
        assert_eq!(r.len(), 3);
        let ids = |f: &EventFilter| {
            r.filtered(f, 10)
                .iter()
                .map(|e| e.event_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&EventFilter::default()), ["4", "3", "2"]);
        assert_eq!(
            ids(&EventFilter {
                project_id: Some("p1".into()),
                ..EventFilter::default()
            }),
            ["4", "2"]
        );
        assert_eq!(
            ids(&EventFilter {
                task_id: Some("t1".into()),
                ..EventFilter::default()
            }),
            ["4", "3"]
        );
        assert_eq!(
            ids(&EventFilter {
                event_types: vec![EventType::TaskCompleted],
                ..EventFilter::default()
            }),
            ["4", "2"]
        );
        assert_eq!(r.filtered(&EventFilter::default(), 1).len(), 1);
    }
}
