//! Worker liveness: every event that names a worker, `worker_heartbeat` events and Redis
//! heartbeat keys refresh its last-seen time; `worker_stopped` retires it. At an explicit `now`
//! a worker is online, stale (silent for more than `stale_after`, 30 s upstream) or stopped.
//! Bounded: at most `capacity` workers, and a worker silent for a day is forgotten. When the
//! counting stopped short (the heartbeat keys were read only up to their cap, or a worker still
//! online had to be forgotten to make room) the view says so: its counts are a lower bound.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::Serialize;

/// How a worker was last heard from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BeatVia {
    /// An event naming it.
    Event,
    /// Its Redis heartbeat key.
    RedisKey,
}

/// What is known of one worker.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WorkerInfo {
    first_seen: SystemTime,
    last_seen: SystemTime,
    via: BeatVia,
    stopped_at: Option<SystemTime>,
    current_task: Option<String>,
    completed: u64,
    failed: u64,
}

/// A worker's state at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerStatus {
    /// Heard from within `stale_after`.
    Online,
    /// Silent for longer than `stale_after`.
    Stale,
    /// Sent `worker_stopped` (and nothing since).
    Stopped,
}

/// One worker, for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkerView {
    /// Worker id.
    pub worker_id: String,
    /// State at `now`.
    pub status: WorkerStatus,
    /// Last heard from.
    #[serde(serialize_with = "crate::model::time_fmt::serialize")]
    pub last_seen: SystemTime,
    /// `now − last_seen`, ms.
    pub silent_for_ms: u64,
    /// How it was last heard from.
    pub via: BeatVia,
    /// Task it last started, until that task ended.
    pub current_task: Option<String>,
    /// Tasks it completed (seen by us).
    pub tasks_completed: u64,
    /// Tasks it failed (seen by us).
    pub tasks_failed: u64,
}

/// All workers at `now`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WorkersView {
    /// `meta.workers_online` of the latest stats snapshot (the server's own count).
    pub reported_online: Option<u64>,
    /// When that count was reported.
    #[serde(serialize_with = "crate::model::time_fmt::option::serialize")]
    pub reported_at: Option<SystemTime>,
    /// Workers heard from within `stale_after`, by id.
    pub online: Vec<WorkerView>,
    /// Workers silent for longer, by id.
    pub stale: Vec<WorkerView>,
    /// Workers that stopped, by id.
    pub stopped: Vec<WorkerView>,
    /// `Some(n)`: counting stopped at `n` (more heartbeat keys than were read, or more workers
    /// than are tracked), so there are at least as many workers online as shown — show
    /// "≥ N online".
    pub stopped_counting_at: Option<usize>,
}

/// Tracks every worker heard of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerTracker {
    workers: BTreeMap<String, WorkerInfo>,
    stale_after: Duration,
    forget_after: Duration,
    capacity: usize,
    reported: Option<(u64, SystemTime)>,
    /// The latest heartbeat-key read stopped at this many keys, at that time.
    keys_capped: Option<(usize, SystemTime)>,
    /// The latest time a worker still online was forgotten to make room.
    overflowed_at: Option<SystemTime>,
}

impl WorkerTracker {
    /// A tracker calling workers stale after `stale_after` of silence, keeping at most
    /// `capacity`.
    #[must_use]
    pub fn new(stale_after: Duration, capacity: usize) -> Self {
        Self {
            workers: BTreeMap::new(),
            stale_after,
            forget_after: Duration::from_secs(24 * 3600),
            capacity: capacity.max(1),
            reported: None,
            keys_capped: None,
            overflowed_at: None,
        }
    }

    fn entry(&mut self, id: &str, at: SystemTime, via: BeatVia) -> &mut WorkerInfo {
        if !self.workers.contains_key(id)
            && self.workers.len() >= self.capacity
            && let Some(oldest) = self
                .workers
                .iter()
                .min_by_key(|(_, w)| w.last_seen)
                .map(|(k, _)| k.clone())
            && let Some(gone) = self.workers.remove(&oldest)
            // Making room by forgetting a worker still online: the count is cut short.
            && gone.stopped_at.is_none()
            && at.duration_since(gone.last_seen).unwrap_or_default() <= self.stale_after
        {
            self.overflowed_at = Some(self.overflowed_at.map_or(at, |t| t.max(at)));
        }
        self.workers
            .entry(id.to_owned())
            .or_insert_with(|| WorkerInfo {
                first_seen: at,
                last_seen: at,
                via,
                stopped_at: None,
                current_task: None,
                completed: 0,
                failed: 0,
            })
    }

    /// The worker was alive at `at`.
    pub fn beat(&mut self, id: &str, at: SystemTime, via: BeatVia) {
        let w = self.entry(id, at, via);
        if at >= w.last_seen {
            w.last_seen = at;
            w.via = via;
        }
        if w.stopped_at.is_some_and(|s| at > s) {
            w.stopped_at = None;
        }
    }

    /// The worker sent `worker_stopped` at `at`.
    pub fn stopped(&mut self, id: &str, at: SystemTime) {
        let w = self.entry(id, at, BeatVia::Event);
        w.last_seen = w.last_seen.max(at);
        w.stopped_at = Some(at);
        w.current_task = None;
    }

    /// The worker started `task`.
    pub fn task_started(&mut self, id: &str, task: Option<&str>, at: SystemTime) {
        self.beat(id, at, BeatVia::Event);
        if let Some(w) = self.workers.get_mut(id) {
            w.current_task = task.map(str::to_owned);
        }
    }

    /// The worker finished a task (`ok` = completed).
    pub fn task_ended(&mut self, id: &str, ok: bool, at: SystemTime) {
        self.beat(id, at, BeatVia::Event);
        if let Some(w) = self.workers.get_mut(id) {
            w.current_task = None;
            if ok {
                w.completed += 1;
            } else {
                w.failed += 1;
            }
        }
    }

    /// The server reported `n` workers online at `at`.
    pub fn report_online(&mut self, n: u64, at: SystemTime) {
        if self.reported.is_none_or(|(_, t)| at >= t) {
            self.reported = Some((n, at));
        }
    }

    /// The heartbeat keys were read at `at`; `stopped_at` is `Some(n)` when there were more
    /// than the `n` read.
    pub fn keys_read(&mut self, stopped_at: Option<usize>, at: SystemTime) {
        if self.keys_capped.is_none_or(|(_, t)| at >= t) {
            self.keys_capped = stopped_at.map(|n| (n, at));
        }
    }

    /// Where counting stopped, if it did within `stale_after` of `now`.
    fn stopped_counting_at(&self, now: SystemTime) -> Option<usize> {
        let recent = |t: SystemTime| now.duration_since(t).unwrap_or_default() <= self.stale_after;
        let keys = self.keys_capped.filter(|(_, t)| recent(*t)).map(|(n, _)| n);
        let tracked = self
            .overflowed_at
            .filter(|t| recent(*t))
            .map(|_| self.capacity);
        keys.max(tracked)
    }

    /// Forget workers silent for a day.
    pub fn prune(&mut self, now: SystemTime) {
        let forget = self.forget_after;
        self.workers
            .retain(|_, w| now.duration_since(w.last_seen).unwrap_or_default() <= forget);
    }

    fn status(&self, w: &WorkerInfo, now: SystemTime) -> WorkerStatus {
        if w.stopped_at.is_some() {
            WorkerStatus::Stopped
        } else if now.duration_since(w.last_seen).unwrap_or_default() > self.stale_after {
            WorkerStatus::Stale
        } else {
            WorkerStatus::Online
        }
    }

    /// Workers online at `now`.
    #[must_use]
    pub fn online_count(&self, now: SystemTime) -> usize {
        self.workers
            .values()
            .filter(|w| self.status(w, now) == WorkerStatus::Online)
            .count()
    }

    /// Workers gone stale at `now`.
    #[must_use]
    pub fn stale_count(&self, now: SystemTime) -> usize {
        self.workers
            .values()
            .filter(|w| self.status(w, now) == WorkerStatus::Stale)
            .count()
    }

    /// Every worker at `now`, grouped by state, each group sorted by id.
    #[must_use]
    pub fn view(&self, now: SystemTime) -> WorkersView {
        let mut v = WorkersView {
            reported_online: self.reported.map(|r| r.0),
            reported_at: self.reported.map(|r| r.1),
            stopped_counting_at: self.stopped_counting_at(now),
            ..WorkersView::default()
        };
        for (id, w) in &self.workers {
            let status = self.status(w, now);
            let wv = WorkerView {
                worker_id: id.clone(),
                status,
                last_seen: w.last_seen,
                silent_for_ms: u64::try_from(
                    now.duration_since(w.last_seen)
                        .unwrap_or_default()
                        .as_millis(),
                )
                .unwrap_or(u64::MAX),
                via: w.via,
                current_task: w.current_task.clone(),
                tasks_completed: w.completed,
                tasks_failed: w.failed,
            };
            match status {
                WorkerStatus::Online => v.online.push(wv),
                WorkerStatus::Stale => v.stale.push(wv),
                WorkerStatus::Stopped => v.stopped.push(wv),
            }
        }
        v
    }

    /// When this worker was first heard of.
    #[must_use]
    pub fn first_seen(&self, id: &str) -> Option<SystemTime> {
        self.workers.get(id).map(|w| w.first_seen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(s)
    }

    #[test]
    fn online_stale_and_stopped_at_now() {
        let mut w = WorkerTracker::new(Duration::from_secs(30), 10);
        w.beat("1", t(100), BeatVia::Event);
        w.beat("2", t(60), BeatVia::RedisKey);
        w.task_started("3", Some("t9"), t(95));
        w.stopped("4", t(90));
        let v = w.view(t(100));
        let ids = |xs: &[WorkerView]| xs.iter().map(|x| x.worker_id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&v.online), ["1", "3"]);
        assert_eq!(ids(&v.stale), ["2"]);
        assert_eq!(ids(&v.stopped), ["4"]);
        assert_eq!(v.online[1].current_task.as_deref(), Some("t9"));
        assert_eq!(v.stale[0].silent_for_ms, 40_000);
        // Exactly 30 s of silence is still online; 31 s is stale.
        assert_eq!(w.online_count(t(125)), 2);
        assert_eq!(w.stale_count(t(131)), 3);
        // A stopped worker that beats again is back.
        w.beat("4", t(120), BeatVia::Event);
        assert_eq!(w.online_count(t(125)), 3);
        assert!(w.first_seen("4").is_some());
    }

    #[test]
    fn bounded_and_forgetful() {
        let mut w = WorkerTracker::new(Duration::from_secs(30), 2);
        w.beat("a", t(1), BeatVia::Event);
        w.beat("b", t(2), BeatVia::Event);
        w.beat("c", t(3), BeatVia::Event);
        assert!(w.first_seen("a").is_none());
        w.prune(t(3 + 25 * 3600));
        assert_eq!(w.view(t(3)).online.len() + w.view(t(3)).stale.len(), 0);
    }

    #[test]
    fn a_count_cut_short_says_so() {
        let mut w = WorkerTracker::new(Duration::from_secs(30), 3);
        for id in ["a", "b", "c"] {
            w.beat(id, t(100), BeatVia::RedisKey);
        }
        w.keys_read(None, t(100));
        assert_eq!(w.view(t(100)).stopped_counting_at, None);
        // The keys were read only up to their cap.
        w.keys_read(Some(3), t(105));
        let v = w.view(t(105));
        assert_eq!((v.online.len(), v.stopped_counting_at), (3, Some(3)));
        // A full read again: the count is exact.
        w.keys_read(None, t(110));
        assert_eq!(w.view(t(110)).stopped_counting_at, None);
        // A fourth worker online pushes out one still online: the tracker is full.
        w.beat("d", t(111), BeatVia::Event);
        let v = w.view(t(111));
        assert_eq!((v.online.len(), v.stopped_counting_at), (3, Some(3)));
        // Pushing out a worker silent for long is forgetting, not a cut count.
        let mut w = WorkerTracker::new(Duration::from_secs(30), 1);
        w.beat("old", t(1), BeatVia::Event);
        w.beat("new", t(100), BeatVia::Event);
        assert_eq!(w.view(t(100)).stopped_counting_at, None);
        // …and a cut count long ago no longer applies.
        let mut w = WorkerTracker::new(Duration::from_secs(30), 5);
        w.keys_read(Some(5), t(1));
        assert_eq!(w.view(t(100)).stopped_counting_at, None);
    }
}
