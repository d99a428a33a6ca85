//! Work in flight, from the task and phase events: each task's latest state (queued, running on
//! a worker) by `task_id`, counted by `task_type`; the workflow phases in progress
//! (`phase_started` … `phase_completed`, keyed by parent task and phase) with the tasks enqueued
//! under them, how many ended, and how long they have run; the last phases finished.
//!
//! Bounded: at most `max_tasks` tasks and `max_phases` open phases (the oldest make room, and
//! the view says it is a lower bound then), the last [`FINISHED_KEPT`] finished phases, and a
//! task or phase silent for a day is forgotten (its end was lost).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::model::input::{Event, EventType};

/// Finished phases kept for the view.
pub const FINISHED_KEPT: usize = 5;
/// A task or phase heard nothing of for this long is forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Where one task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TaskState {
    Queued,
    Running,
}

#[derive(Debug, Clone)]
struct Tracked {
    task_type: String,
    state: TaskState,
    last_at: SystemTime,
}

/// A phase: its parent task and its name.
type PhaseKey = (String, String);

#[derive(Debug, Clone)]
struct PhaseTrack {
    project: Option<String>,
    started_at: SystemTime,
    last_at: SystemTime,
    tasks: u64,
    completed: u64,
    failed: u64,
}

/// Tasks of one type: queued and running now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeCounts {
    /// `task_type` (`"(none)"` for tasks without one).
    pub task_type: String,
    /// Enqueued (or retried) and not started.
    pub queued: u64,
    /// Started and not ended.
    pub running: u64,
}

/// One workflow phase, in progress or finished.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseView {
    /// `project_id`, when the events carry one.
    pub project: Option<String>,
    /// `parent_task_id`.
    pub parent_task_id: String,
    /// `phase`.
    pub phase: String,
    /// When it started.
    #[serde(serialize_with = "crate::model::time_fmt::serialize")]
    pub started_at: SystemTime,
    /// When it finished (`None` while in progress).
    #[serde(serialize_with = "crate::model::time_fmt::option::serialize")]
    pub finished_at: Option<SystemTime>,
    /// How long it ran (so far), ms: `duration_ms` of `phase_completed` when given.
    pub duration_ms: u64,
    /// Tasks enqueued under it.
    pub tasks: u64,
    /// Of those, completed.
    pub completed: u64,
    /// Of those, failed.
    pub failed: u64,
    /// (completed + failed) / tasks; `None` before any task was enqueued.
    pub progress: Option<f64>,
}

/// Work in flight at `now`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BoardView {
    /// Tasks by type, most in flight first.
    pub by_type: Vec<TypeCounts>,
    /// Queued in all.
    pub queued: u64,
    /// Running in all.
    pub running: u64,
    /// Phases in progress, oldest first.
    pub phases: Vec<PhaseView>,
    /// The last phases finished, newest first.
    pub finished: Vec<PhaseView>,
    /// Tasks or phases were forgotten to stay within bounds: the counts are a lower bound.
    pub truncated: bool,
}

/// The tracker.
#[derive(Debug, Clone)]
pub struct TaskBoard {
    tasks: HashMap<String, Tracked>,
    phases: BTreeMap<PhaseKey, PhaseTrack>,
    finished: VecDeque<PhaseView>,
    max_tasks: usize,
    max_phases: usize,
    truncated: bool,
}

impl TaskBoard {
    /// An empty board holding at most `max_tasks` tasks and `max_phases` open phases.
    #[must_use]
    pub fn new(max_tasks: usize, max_phases: usize) -> Self {
        Self {
            tasks: HashMap::new(),
            phases: BTreeMap::new(),
            finished: VecDeque::new(),
            max_tasks: max_tasks.max(1),
            max_phases: max_phases.max(1),
            truncated: false,
        }
    }

    /// Fold in one (new, not duplicate) event that happened at `at`.
    pub fn apply(&mut self, e: &Event, at: SystemTime) {
        let phase_key = || Some((e.parent_task_id.clone()?, e.phase.clone()?));
        match &e.event_type {
            EventType::PhaseStarted => {
                if let Some(key) = phase_key() {
                    self.open_phase(key, e.project_id.clone(), at);
                }
            }
            EventType::PhaseCompleted => {
                if let Some(key) = phase_key() {
                    self.close_phase(&key, e, at);
                }
            }
            EventType::TaskEnqueued | EventType::TaskRetry => {
                if let Some(id) = &e.task_id {
                    let new = self.set(id, e, TaskState::Queued, at);
                    if new
                        && e.event_type == EventType::TaskEnqueued
                        && let Some(p) = phase_key().and_then(|k| self.phases.get_mut(&k))
                    {
                        p.tasks += 1;
                        p.last_at = at;
                    }
                }
            }
            EventType::TaskStarted => {
                if let Some(id) = &e.task_id {
                    self.set(id, e, TaskState::Running, at);
                }
            }
            EventType::TaskCompleted | EventType::TaskFailed => {
                if let Some(id) = &e.task_id {
                    self.tasks.remove(id);
                }
                if let Some(p) = phase_key().and_then(|k| self.phases.get_mut(&k)) {
                    if e.event_type == EventType::TaskCompleted {
                        p.completed += 1;
                    } else {
                        p.failed += 1;
                    }
                    p.last_at = at;
                }
            }
            _ => {}
        }
    }

    /// Set a task's state; true when it was not tracked before.
    fn set(&mut self, id: &str, e: &Event, state: TaskState, at: SystemTime) -> bool {
        if let Some(t) = self.tasks.get_mut(id) {
            t.state = state;
            t.last_at = at;
            if let Some(ty) = &e.task_type {
                ty.clone_into(&mut t.task_type);
            }
            return false;
        }
        if self.tasks.len() >= self.max_tasks {
            self.truncated = true;
            if let Some(oldest) = oldest(self.tasks.iter().map(|(k, t)| (k, t.last_at))) {
                self.tasks.remove(&oldest);
            }
        }
        self.tasks.insert(
            id.to_owned(),
            Tracked {
                task_type: e.task_type.clone().unwrap_or_else(|| "(none)".to_owned()),
                state,
                last_at: at,
            },
        );
        true
    }

    fn open_phase(&mut self, key: PhaseKey, project: Option<String>, at: SystemTime) {
        if !self.phases.contains_key(&key) && self.phases.len() >= self.max_phases {
            self.truncated = true;
            if let Some(oldest) = oldest(self.phases.iter().map(|(k, p)| (k, p.last_at))) {
                self.phases.remove(&oldest);
            }
        }
        self.phases.insert(
            key,
            PhaseTrack {
                project,
                started_at: at,
                last_at: at,
                tasks: 0,
                completed: 0,
                failed: 0,
            },
        );
    }

    fn close_phase(&mut self, key: &PhaseKey, e: &Event, at: SystemTime) {
        let track = self.phases.remove(key);
        let started_at = track.as_ref().map_or_else(
            || at - Duration::from_millis(e.duration_ms.unwrap_or(0)),
            |p| p.started_at,
        );
        let ran = at.duration_since(started_at).unwrap_or_default();
        let duration_ms = e
            .duration_ms
            .unwrap_or_else(|| u64::try_from(ran.as_millis()).unwrap_or(u64::MAX));
        let (tasks, completed, failed, project) = track
            .map_or((0, 0, 0, e.project_id.clone()), |p| {
                (p.tasks, p.completed, p.failed, p.project)
            });
        self.finished.push_front(PhaseView {
            project,
            parent_task_id: key.0.clone(),
            phase: key.1.clone(),
            started_at,
            finished_at: Some(at),
            duration_ms,
            tasks,
            completed,
            failed,
            progress: progress(tasks, completed, failed),
        });
        self.finished.truncate(FINISHED_KEPT);
    }

    /// Forget what has been silent for a day (its end was lost).
    pub fn tick(&mut self, now: SystemTime) {
        let alive = |last: SystemTime| now.duration_since(last).unwrap_or_default() < FORGET_AFTER;
        self.tasks.retain(|_, t| alive(t.last_at));
        self.phases.retain(|_, p| alive(p.last_at));
    }

    /// The board at `now`.
    #[must_use]
    pub fn view(&self, now: SystemTime) -> BoardView {
        let mut types: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for t in self.tasks.values() {
            let c = types.entry(t.task_type.as_str()).or_default();
            match t.state {
                TaskState::Queued => c.0 += 1,
                TaskState::Running => c.1 += 1,
            }
        }
        let mut by_type: Vec<TypeCounts> = types
            .into_iter()
            .map(|(ty, (queued, running))| TypeCounts {
                task_type: ty.to_owned(),
                queued,
                running,
            })
            .collect();
        // Most in flight first; the type's name keeps equal ones in place.
        by_type.sort_by_key(|c| std::cmp::Reverse(c.queued + c.running));
        let mut phases: Vec<PhaseView> = self
            .phases
            .iter()
            .map(|((parent, phase), p)| PhaseView {
                project: p.project.clone(),
                parent_task_id: parent.clone(),
                phase: phase.clone(),
                started_at: p.started_at,
                finished_at: None,
                duration_ms: u64::try_from(
                    now.duration_since(p.started_at)
                        .unwrap_or_default()
                        .as_millis(),
                )
                .unwrap_or(u64::MAX),
                tasks: p.tasks,
                completed: p.completed,
                failed: p.failed,
                progress: progress(p.tasks, p.completed, p.failed),
            })
            .collect();
        phases.sort_by_key(|p| p.started_at);
        BoardView {
            queued: by_type.iter().map(|c| c.queued).sum(),
            running: by_type.iter().map(|c| c.running).sum(),
            by_type,
            phases,
            finished: self.finished.iter().cloned().collect(),
            truncated: self.truncated,
        }
    }
}

/// The key heard from longest ago (the one to make room with).
fn oldest<'a, K: Clone + 'a>(entries: impl Iterator<Item = (&'a K, SystemTime)>) -> Option<K> {
    entries.min_by_key(|(_, at)| *at).map(|(k, _)| k.clone())
}

#[allow(clippy::cast_precision_loss, reason = "task counts are far below 2^52")]
fn progress(tasks: u64, completed: u64, failed: u64) -> Option<f64> {
    (tasks > 0).then(|| ((completed + failed) as f64 / tasks as f64).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    fn ev(
        ty: EventType,
        task: Option<&str>,
        task_type: Option<&str>,
        phase: Option<&str>,
    ) -> Event {
        let mut e = Event::new(format!("{ty:?}-{task:?}"), ty);
        e.parent_task_id = Some("research-1".into());
        e.project_id = Some("p".into());
        e.task_id = task.map(str::to_owned);
        e.task_type = task_type.map(str::to_owned);
        e.phase = phase.map(str::to_owned);
        e
    }

    #[test]
    fn tasks_are_counted_by_type_as_they_queue_run_and_end() {
        let mut b = TaskBoard::new(100, 10);
        b.apply(
            &ev(EventType::TaskEnqueued, Some("a"), Some("search"), None),
            t(0),
        );
        b.apply(
            &ev(EventType::TaskEnqueued, Some("b"), Some("search"), None),
            t(1),
        );
        b.apply(
            &ev(EventType::TaskEnqueued, Some("c"), Some("summarise"), None),
            t(2),
        );
        b.apply(&ev(EventType::TaskStarted, Some("a"), None, None), t(3));
        let v = b.view(t(4));
        assert_eq!((v.queued, v.running), (2, 1));
        assert_eq!(
            v.by_type,
            vec![
                TypeCounts {
                    task_type: "search".into(),
                    queued: 1,
                    running: 1
                },
                TypeCounts {
                    task_type: "summarise".into(),
                    queued: 1,
                    running: 0
                },
            ]
        );
        b.apply(&ev(EventType::TaskCompleted, Some("a"), None, None), t(5));
        b.apply(&ev(EventType::TaskStarted, Some("b"), None, None), t(6));
        b.apply(&ev(EventType::TaskRetry, Some("b"), None, None), t(7));
        b.apply(&ev(EventType::TaskFailed, Some("c"), None, None), t(8));
        let v = b.view(t(9));
        assert_eq!((v.queued, v.running), (1, 0), "{v:?}");
        // A task first seen running (its enqueue was missed) still counts.
        b.apply(
            &ev(EventType::TaskStarted, Some("z"), Some("write"), None),
            t(10),
        );
        assert_eq!(b.view(t(10)).running, 1);
        // Silent for a day: forgotten.
        b.tick(t(10 + 24 * 3600));
        assert_eq!(b.view(t(10 + 24 * 3600)).by_type, Vec::new());
    }

    #[test]
    fn a_phase_counts_its_tasks_progress_and_duration_and_is_kept_when_finished() {
        let mut b = TaskBoard::new(100, 10);
        b.apply(
            &ev(EventType::PhaseStarted, None, None, Some("search")),
            t(0),
        );
        for id in ["a", "b", "c", "d"] {
            b.apply(
                &ev(
                    EventType::TaskEnqueued,
                    Some(id),
                    Some("web"),
                    Some("search"),
                ),
                t(1),
            );
        }
        b.apply(
            &ev(EventType::TaskCompleted, Some("a"), None, Some("search")),
            t(5),
        );
        b.apply(
            &ev(EventType::TaskFailed, Some("b"), None, Some("search")),
            t(6),
        );
        let v = b.view(t(10));
        assert_eq!(v.phases.len(), 1);
        let p = &v.phases[0];
        assert_eq!((p.tasks, p.completed, p.failed), (4, 1, 1));
        assert_eq!(p.progress, Some(0.5));
        assert_eq!(p.duration_ms, 10_000, "running for 10 s");
        assert_eq!(p.project.as_deref(), Some("p"));

        let mut done = ev(EventType::PhaseCompleted, None, None, Some("search"));
        done.duration_ms = Some(12_345);
        b.apply(&done, t(12));
        let v = b.view(t(13));
        assert!(v.phases.is_empty());
        assert_eq!(v.finished.len(), 1);
        assert_eq!(
            v.finished[0].duration_ms, 12_345,
            "the event's own duration"
        );
        assert_eq!(v.finished[0].finished_at, Some(t(12)));
        assert_eq!(v.finished[0].tasks, 4);
        for i in 0..10 {
            let phase = format!("p{i}");
            b.apply(
                &ev(EventType::PhaseStarted, None, None, Some(&phase)),
                t(20 + i),
            );
            b.apply(
                &ev(EventType::PhaseCompleted, None, None, Some(&phase)),
                t(21 + i),
            );
        }
        let v = b.view(t(40));
        assert_eq!(v.finished.len(), FINISHED_KEPT);
        assert_eq!(v.finished[0].phase, "p9", "newest first");
    }

    #[test]
    fn bounds_make_room_and_say_the_counts_are_a_lower_bound() {
        let mut b = TaskBoard::new(3, 2);
        for (i, id) in ["a", "b", "c", "d"].iter().enumerate() {
            b.apply(
                &ev(EventType::TaskEnqueued, Some(id), Some("x"), None),
                t(i as u64),
            );
        }
        let v = b.view(t(5));
        assert_eq!(v.queued, 3);
        assert!(v.truncated);
        for (i, ph) in ["s", "t", "u"].iter().enumerate() {
            b.apply(
                &ev(EventType::PhaseStarted, None, None, Some(ph)),
                t(10 + i as u64),
            );
        }
        let v = b.view(t(20));
        assert_eq!(
            v.phases
                .iter()
                .map(|p| p.phase.as_str())
                .collect::<Vec<_>>(),
            ["t", "u"],
            "the oldest made room"
        );
    }
}
