//! The task model: agent/task events, worker liveness, sessions, tool-proxy errors and
//! execution logs folded into figures at an explicit `now` — completed / failed / timed-out
//! counts over the last hour and 24 h, success rate, mean and p95 completion time, queue depth
//! by priority, workers online and gone stale, the recent-event ring, per-stream connection
//! state. Pure and bounded: counts live in per-minute buckets, completion times in fixed
//! histograms, ids in a fixed window, so memory does not grow with the event rate. No I/O.

pub mod board;
pub mod dedupe;
pub mod executions;
pub mod figures;
pub mod latency;
pub mod proxy;
pub mod recent;
pub mod sessions;
pub mod slots;
pub mod workers;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::model::ids::SourceId;
use crate::model::input::SessionsReport;
use crate::model::input::{ConnectionState, EventUpdate};
use crate::model::input::{Event, EventType};
pub use board::{BoardView, PhaseView, TaskBoard, TypeCounts};
pub use dedupe::{DedupeWindow, DuplicateReport};
pub use executions::{ExecutionMonitors, ExecutionView};
pub use figures::{ParentCounts, QueueDepth, StreamStatus, TaskStats, TasksSnapshot};
pub use latency::{LatencyHist, LatencySummary};
pub use proxy::{ProxyErrors, ProxySummary};
pub use recent::{EventFilter, RecentEvent, RecentEvents};
pub use sessions::{SessionView, SessionsSummary};
use slots::SlotRing;
pub use workers::{BeatVia, WorkerStatus, WorkerTracker, WorkerView, WorkersView};

/// The longest task or step duration taken as real: 30 days. A longer `duration_ms` (2^64−1
/// made the mean 3.7e15 s) is refused with a problem, never averaged.
pub const MAX_DURATION_MS: u64 = 30 * 24 * 3600 * 1000;

/// Problems held for [`TaskModel::take_problems`] at most (the rest are counted per stream).
const MAX_PENDING_PROBLEMS: usize = 64;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// How the task model keeps figures.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSettings {
    /// A worker silent for longer is stale (upstream heartbeat TTL: 30 s).
    pub stale_after: Duration,
    /// Events kept for the stream panel.
    pub recent_capacity: usize,
    /// Event ids remembered to drop duplicates.
    pub dedupe_capacity: usize,
    /// Workers tracked at most.
    pub max_workers: usize,
    /// Parent tasks whose `counts` are kept at most.
    pub max_parent_tasks: usize,
    /// Tasks in flight tracked at most (queued or running, by `task_id`).
    pub max_tracked_tasks: usize,
    /// Workflow phases in progress tracked at most.
    pub max_open_phases: usize,
    /// A session updated within this window is active.
    pub active_sessions_window: Duration,
}

impl Default for TaskSettings {
    fn default() -> Self {
        Self {
            stale_after: Duration::from_secs(30),
            recent_capacity: 1000,
            dedupe_capacity: 65_536,
            max_workers: 4096,
            max_parent_tasks: 256,
            max_tracked_tasks: 20_000,
            max_open_phases: 256,
            active_sessions_window: HOUR,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Counts {
    enqueued: u32,
    started: u32,
    completed: u32,
    failed: u32,
    stalled: u32,
    retried: u32,
}

/// The task model's time buckets (counts per minute over 24 h, latency histograms), saved
/// across restarts so "last hour / 24 h" include what was seen before one.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TaskBuckets {
    counts: SlotRing<Counts>,
    latency_min: SlotRing<LatencyHist>,
    latency_hour: SlotRing<LatencyHist>,
}

/// The task model. Owned by one thread; fold updates in with [`TaskModel::apply`].
#[derive(Debug, Clone)]
pub struct TaskModel {
    settings: TaskSettings,
    dedupe: DedupeWindow,
    counts: SlotRing<Counts>,
    latency_min: SlotRing<LatencyHist>,
    latency_hour: SlotRing<LatencyHist>,
    totals: BTreeMap<String, u64>,
    queue: Option<QueueDepth>,
    parents: BTreeMap<String, ParentCounts>,
    /// Tasks and phases in flight.
    board: TaskBoard,
    /// Worker liveness.
    pub workers: WorkerTracker,
    recent: RecentEvents,
    streams: BTreeMap<SourceId, StreamStatus>,
    sessions: BTreeMap<SourceId, (SessionsReport, SystemTime)>,
    /// Tool-proxy errors.
    pub proxy: ProxyErrors,
    /// Watched executions.
    pub executions: ExecutionMonitors,
    events_total: u64,
    duplicates_total: u64,
    malformed_total: u64,
    truncated_total: u64,
    refused_total: u64,
    /// The latest duplicate total each stream reported (it drops repeats before sending).
    source_duplicates: BTreeMap<SourceId, u64>,
    /// Values refused since the last [`TaskModel::take_problems`], with their source.
    problems: Vec<(SourceId, String)>,
    last_now: Option<SystemTime>,
}

impl Default for TaskModel {
    fn default() -> Self {
        Self::new(TaskSettings::default())
    }
}

impl TaskModel {
    /// An empty model.
    #[must_use]
    pub fn new(settings: TaskSettings) -> Self {
        Self {
            dedupe: DedupeWindow::new(settings.dedupe_capacity),
            counts: SlotRing::new(MINUTE, 24 * 60 + 1),
            latency_min: SlotRing::new(MINUTE, 61),
            latency_hour: SlotRing::new(HOUR, 25),
            totals: BTreeMap::new(),
            queue: None,
            parents: BTreeMap::new(),
            board: TaskBoard::new(settings.max_tracked_tasks, settings.max_open_phases),
            workers: WorkerTracker::new(settings.stale_after, settings.max_workers),
            recent: RecentEvents::new(settings.recent_capacity),
            streams: BTreeMap::new(),
            sessions: BTreeMap::new(),
            proxy: ProxyErrors::default(),
            executions: ExecutionMonitors::default(),
            events_total: 0,
            duplicates_total: 0,
            malformed_total: 0,
            truncated_total: 0,
            refused_total: 0,
            source_duplicates: BTreeMap::new(),
            problems: Vec::new(),
            last_now: None,
            settings,
        }
    }

    fn stream(&mut self, source: &SourceId, at: SystemTime) -> &mut StreamStatus {
        let s = self
            .streams
            .entry(source.clone())
            .or_insert_with(|| StreamStatus {
                source: source.clone(),
                state: None,
                events: 0,
                duplicates: 0,
                malformed: 0,
                refused: 0,
                last_error: None,
                last_update_at: None,
            });
        s.last_update_at = Some(s.last_update_at.map_or(at, |t| t.max(at)));
        s
    }

    /// Fold one update in at `now`.
    pub fn apply(&mut self, update: EventUpdate, now: SystemTime) {
        self.last_now = Some(self.last_now.map_or(now, |t| t.max(now)));
        match update {
            EventUpdate::Event {
                source,
                received_at,
                event,
            } => {
                self.stream(&source, received_at).events += 1;
                if !self.apply_event(&source, &event, received_at, now) {
                    self.stream(&source, received_at).duplicates += 1;
                }
                return;
            }
            EventUpdate::Connection { source, state } => {
                let s = self.stream(&source, now);
                if let ConnectionState::Error { error, .. } = &state {
                    s.last_error = Some(error.to_string());
                }
                s.state = Some(state);
            }
            EventUpdate::Malformed {
                source,
                at,
                error,
                count,
            } => {
                self.malformed_total += count;
                let s = self.stream(&source, at);
                s.malformed += count;
                s.last_error = Some(error.to_string());
            }
            EventUpdate::Workers { source, at, result } => match result {
                Ok(scan) => {
                    self.stream(&source, at).last_error = scan.problems_summary();
                    for b in scan.beats {
                        self.workers
                            .beat(&b.worker_id, b.last_beat_at.min(at), BeatVia::RedisKey);
                    }
                    self.workers.keys_read(scan.stopped_at, at);
                }
                Err(e) => self.stream(&source, at).last_error = Some(e.to_string()),
            },
            EventUpdate::ExecLog {
                source,
                received_at,
                mut log,
            } => {
                self.stream(&source, received_at).events += 1;
                if let Some(ms) = log.duration_ms.filter(|&ms| ms > MAX_DURATION_MS) {
                    log.duration_ms = None;
                    let what = format!(
                        "execution {} log {}: duration_ms {ms} is over 30 days; not counted",
                        log.execution_id, log.id
                    );
                    self.refuse(&source, received_at, what);
                }
                if !self
                    .executions
                    .apply_log(&source.to_string(), *log, received_at)
                {
                    self.stream(&source, received_at).duplicates += 1;
                }
                return;
            }
            EventUpdate::ExecConnection {
                source,
                execution_id,
                state,
            } => {
                let s = self.stream(&source, now);
                if let ConnectionState::Error { error, .. } = &state {
                    s.last_error = Some(error.to_string());
                }
                s.state = Some(state.clone());
                self.executions
                    .apply_state(&source.to_string(), &execution_id, state);
            }
            EventUpdate::Sessions { source, at, result } => match result {
                Ok(report) => {
                    self.stream(&source, at).last_error = report.problems_summary();
                    self.sessions.insert(source, (report, at));
                }
                Err(e) => self.stream(&source, at).last_error = Some(e.to_string()),
            },
            EventUpdate::Duplicates {
                source,
                execution_id,
                total,
            } => {
                let before = self.source_duplicates.insert(source.clone(), total);
                let new = total.saturating_sub(before.unwrap_or(0));
                let s = self.stream(&source, now);
                s.events += new;
                s.duplicates += new;
                self.duplicates_total += new;
                if let Some(id) = execution_id {
                    self.executions
                        .add_duplicates(&source.to_string(), &id, new);
                }
            }
            EventUpdate::ProxyLog { source, at, result } => match result {
                Ok(records) => {
                    let s = self.stream(&source, at);
                    s.events += records.len() as u64;
                    s.last_error = None;
                    for r in records {
                        self.proxy.apply(r, now);
                    }
                }
                Err(e) => self.stream(&source, at).last_error = Some(e.to_string()),
            },
        }
        self.tick(now);
    }

    /// Fold one Nexus event in at `now` (received at `received_at`, from `source`). Returns
    /// false when its `event_id` was already seen (nothing changes then).
    pub fn apply_event(
        &mut self,
        source: &SourceId,
        e: &Event,
        received_at: SystemTime,
        now: SystemTime,
    ) -> bool {
        if !e.is_synthetic() && !self.dedupe.insert(&e.event_id) {
            self.duplicates_total += 1;
            return false;
        }
        self.events_total += 1;
        if e.meta.truncated {
            self.truncated_total += 1;
        }
        let duration_ms = match e.duration_ms {
            Some(ms) if ms > MAX_DURATION_MS => {
                let what = format!(
                    "event {} ({}): duration_ms {ms} is over 30 days; not counted in completion times",
                    e.event_id,
                    e.event_type.as_str()
                );
                self.refuse(source, received_at, what);
                None
            }
            d => d,
        };
        let at = e.ts.unwrap_or(received_at).min(now);
        match self.totals.get_mut(e.event_type.as_str()) {
            Some(n) => *n += 1,
            None => {
                self.totals.insert(e.event_type.as_str().to_owned(), 1);
            }
        }
        let worker = e.worker_id.as_deref();
        let count = |c: &mut Counts| match e.event_type {
            EventType::TaskEnqueued => c.enqueued += 1,
            EventType::TaskStarted => c.started += 1,
            EventType::TaskCompleted => c.completed += 1,
            EventType::TaskFailed => c.failed += 1,
            EventType::TaskStalled => c.stalled += 1,
            EventType::TaskRetry => c.retried += 1,
            _ => {}
        };
        if let Some(c) = self.counts.slot_mut(at, now) {
            count(c);
        }
        self.board.apply(e, at);
        match &e.event_type {
            EventType::TaskCompleted => {
                if let Some(ms) = duration_ms {
                    if let Some(h) = self.latency_min.slot_mut(at, now) {
                        h.record(ms);
                    }
                    if let Some(h) = self.latency_hour.slot_mut(at, now) {
                        h.record(ms);
                    }
                }
                if let Some(w) = worker {
                    self.workers.task_ended(w, true, at);
                }
            }
            EventType::TaskFailed => {
                if let Some(w) = worker {
                    self.workers.task_ended(w, false, at);
                }
            }
            EventType::TaskStarted => {
                if let Some(w) = worker {
                    self.workers.task_started(w, e.task_id.as_deref(), at);
                }
            }
            EventType::WorkerStopped => {
                if let Some(w) = worker {
                    self.workers.stopped(w, at);
                }
            }
            EventType::StatsSnapshot | EventType::QueueDepthUpdate => self.apply_stats(e, at),
            _ => {
                if let Some(w) = worker {
                    self.workers.beat(w, at, BeatVia::Event);
                }
            }
        }
        if let Some(n) = e.meta.workers_online {
            self.workers.report_online(n, at);
        }
        let mut recent = RecentEvent::from_event(e, at, source.to_string());
        recent.duration_ms = duration_ms;
        self.recent.push(recent);
        true
    }

    /// A value refused as impossible: counted on its stream, said there and in the problems
    /// the owner takes ([`Self::take_problems`]).
    fn refuse(&mut self, source: &SourceId, at: SystemTime, what: String) {
        self.refused_total += 1;
        let s = self.stream(source, at);
        s.refused += 1;
        s.last_error = Some(what.clone());
        if self.problems.len() < MAX_PENDING_PROBLEMS {
            self.problems.push((source.clone(), what));
        }
    }

    /// Values refused since the last call (a duration over 30 days, …), with their source,
    /// for the error list; at most 64 between two calls (every one is counted per stream).
    pub fn take_problems(&mut self) -> Vec<(SourceId, String)> {
        std::mem::take(&mut self.problems)
    }

    fn apply_stats(&mut self, e: &Event, at: SystemTime) {
        if !e.queue.is_empty() && self.queue.as_ref().is_none_or(|q| at >= q.at) {
            self.queue = Some(QueueDepth::from_map(&e.queue, at));
        }
        if !e.counts.is_empty() {
            let key = e.parent_task_id.clone().unwrap_or_default();
            if !self.parents.contains_key(&key)
                && self.parents.len() >= self.settings.max_parent_tasks
                && let Some(oldest) = self
                    .parents
                    .iter()
                    .min_by_key(|(_, p)| p.at)
                    .map(|(k, _)| k.clone())
            {
                self.parents.remove(&oldest);
            }
            let newer = self.parents.get(&key).is_none_or(|p| at >= p.at);
            if newer {
                self.parents.insert(
                    key.clone(),
                    ParentCounts {
                        parent_task_id: key,
                        counts: e.counts.clone(),
                        at,
                    },
                );
            }
        }
    }

    /// Let time pass: forget workers silent for a day.
    pub fn tick(&mut self, now: SystemTime) {
        self.workers.prune(now);
        self.board.tick(now);
    }

    /// Task figures over `window` (rounded up to whole minutes, at most 24 h) up to `now`.
    #[must_use]
    pub fn task_stats(&self, window: Duration, now: SystemTime) -> TaskStats {
        let window = window.min(DAY);
        let mut c = Counts::default();
        for s in self.counts.window(window, now) {
            c.enqueued += s.enqueued;
            c.started += s.started;
            c.completed += s.completed;
            c.failed += s.failed;
            c.stalled += s.stalled;
            c.retried += s.retried;
        }
        let mut hist = LatencyHist::default();
        let ring = if window <= HOUR {
            &self.latency_min
        } else {
            &self.latency_hour
        };
        for h in ring.window(window, now) {
            hist.merge(h);
        }
        let done = u64::from(c.completed) + u64::from(c.failed);
        #[allow(clippy::cast_precision_loss)]
        let success_rate = (done > 0).then(|| f64::from(c.completed) / done as f64);
        TaskStats {
            window_s: window.as_secs(),
            enqueued: c.enqueued.into(),
            started: c.started.into(),
            completed: c.completed.into(),
            failed: c.failed.into(),
            timed_out: c.stalled.into(),
            retried: c.retried.into(),
            success_rate,
            completion: hist.summary(),
        }
    }

    /// The buckets, to save them.
    #[must_use]
    pub fn buckets(&self) -> TaskBuckets {
        TaskBuckets {
            counts: self.counts.clone(),
            latency_min: self.latency_min.clone(),
            latency_hour: self.latency_hour.clone(),
        }
    }

    /// Put back buckets saved before a restart. Ignored (false) when their shape (slot width
    /// or count) differs from this model's: the settings changed, and mixing them would
    /// miscount.
    pub fn restore_buckets(&mut self, saved: TaskBuckets) -> bool {
        let same = saved.counts.same_shape(&self.counts)
            && saved.latency_min.same_shape(&self.latency_min)
            && saved.latency_hour.same_shape(&self.latency_hour);
        if same {
            self.counts = saved.counts;
            self.latency_min = saved.latency_min;
            self.latency_hour = saved.latency_hour;
        }
        same
    }

    /// Latest queue depth by priority.
    #[must_use]
    pub fn queue(&self) -> Option<&QueueDepth> {
        self.queue.as_ref()
    }

    /// Latest `counts` of each parent task, by id.
    pub fn parent_counts(&self) -> impl Iterator<Item = &ParentCounts> {
        self.parents.values()
    }

    /// Recent events passing `filter`, newest first, at most `limit`.
    #[must_use]
    pub fn recent_events(&self, filter: &EventFilter, limit: usize) -> Vec<&RecentEvent> {
        self.recent.filtered(filter, limit)
    }

    /// Every source, by id.
    pub fn streams(&self) -> impl Iterator<Item = &StreamStatus> {
        self.streams.values()
    }

    /// Distinct events per type since start.
    #[must_use]
    pub fn event_totals(&self) -> &BTreeMap<String, u64> {
        &self.totals
    }

    /// Distinct events since start.
    #[must_use]
    pub fn events_total(&self) -> u64 {
        self.events_total
    }

    /// Frames refused since start.
    #[must_use]
    pub fn malformed_total(&self) -> u64 {
        self.malformed_total
    }

    /// Sessions of every source merged, at `now`.
    #[must_use]
    pub fn sessions_summary(&self, now: SystemTime) -> SessionsSummary {
        sessions::summarize(
            self.sessions.values().map(|(r, at)| (r, *at)),
            now,
            self.settings.active_sessions_window,
        )
    }

    /// Every figure at `now`.
    #[must_use]
    pub fn snapshot(&self, now: SystemTime) -> TasksSnapshot {
        TasksSnapshot {
            as_of: now,
            last_hour: self.task_stats(HOUR, now),
            last_24h: self.task_stats(DAY, now),
            queue: self.queue.clone(),
            parent_counts: self.parents.values().cloned().collect(),
            board: self.board.view(now),
            workers: self.workers.view(now),
            streams: self.streams.values().cloned().collect(),
            event_totals: self.totals.clone(),
            events_total: self.events_total,
            duplicates_dropped: self.duplicates_total,
            malformed_total: self.malformed_total,
            truncated_total: self.truncated_total,
            refused_total: self.refused_total,
            recent_events: self
                .recent
                .filtered(&EventFilter::default(), 50)
                .into_iter()
                .cloned()
                .collect(),
            sessions: self.sessions_summary(now),
            tool_proxy: self.proxy.summary(now),
            executions: self.executions.views(now),
        }
    }
}

/// Serialized as [`TaskModel::snapshot`] at the latest `now` it was given.
impl Serialize for TaskModel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.snapshot(self.last_now.unwrap_or(SystemTime::UNIX_EPOCH))
            .serialize(s)
    }
}

#[cfg(test)]
mod tests;
