//! The simulated swarm: a discrete-event simulation of 3–6 workers pulling subtasks of research
//! tasks (projects `proj-alpha` / `proj-beta`) from a priority queue. Each research task goes
//! through the phases search → analysis → synthesis; each phase enqueues a few subtasks, and
//! the next phase starts once they have all ended. A subtask completes, fails (~5 %; one early
//! failure is scripted so a demo shows one soon), is retried, or rarely stalls. Workers beat
//! every 5 s, one of them leaves now and then and comes back; stats snapshots carry the queue
//! every 10 s and each research task's counts every 5 s.
//!
//! Pure and deterministic: the same seed gives the same events in the same order whatever
//! steps [`Swarm::advance_to`] is called with. Time is an argument (simulated ms since the
//! start); wall-clock stamps are `start + sim_ms / tempo`.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::time::SystemTime;

use super::wire::{NexusEvent, iso, uuid, wall};

mod tasks;

/// Projects the research tasks belong to.
pub const PROJECTS: [&str; 2] = ["proj-alpha", "proj-beta"];

/// Phases of a research task: name, subtask types, how many subtasks (inclusive range).
const PHASES: [(&str, &[&str], (usize, usize)); 3] = [
    ("search", &["research", "web_search"], (3, 5)),
    ("analysis", &["code_review", "extract"], (2, 3)),
    ("synthesis", &["summarize"], (1, 2)),
];

/// Research tasks running at once.
const ACTIVE_PARENTS: usize = 2;
/// A stalled task is declared after this long without progress, ms.
const STALL_AFTER_MS: u64 = 30_000;
/// Retries before a task fails for good.
const MAX_RETRIES: u32 = 2;
const HEARTBEAT_EVERY_MS: u64 = 5_000;
const QUEUE_STATS_EVERY_MS: u64 = 10_000;
const COUNT_STATS_EVERY_MS: u64 = 5_000;

const ERRORS: [&str; 4] = [
    "LLM call failed: upstream returned 502",
    "tool error: web_search timed out after 20s",
    "output failed schema validation",
    "context length exceeded (32768 tokens)",
];

/// Something scheduled to happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Happening {
    NewParent,
    Finish(u64),
    Requeue(u64),
    Heartbeat(usize),
    QueueStats,
    CountStats,
    WorkerStop(usize),
    WorkerStart(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Priority {
    High,
    Normal,
    Low,
}

/// Where a subtask stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TaskState {
    Queued,
    Running,
    /// Waiting out a retry backoff.
    Waiting,
    Done,
}

/// How a finished run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Completed,
    Failed,
    Retry,
    Stalled { retry: bool },
}

#[derive(Debug, Clone)]
struct Task {
    id: String,
    state: TaskState,
    parent: u64,
    task_type: &'static str,
    phase: &'static str,
    priority: Priority,
    retries: u32,
    worker: Option<usize>,
    started_ms: u64,
    stalls: bool,
}

#[derive(Debug, Clone)]
struct Parent {
    id: String,
    number: u64,
    subtasks: u32,
    project: &'static str,
    phase: usize,
    phase_started_ms: u64,
    open: usize,
    completed: i64,
    failed: i64,
}

#[derive(Debug, Clone)]
struct Worker {
    online: bool,
    stopping: bool,
    task: Option<u64>,
}

/// The swarm's state; see the module docs.
#[derive(Debug, Clone)]
pub struct Swarm {
    rng: fastrand::Rng,
    start: SystemTime,
    tempo: f64,
    now_ms: u64,
    seq: u64,
    agenda: BinaryHeap<Reverse<(u64, u64, Happening)>>,
    workers: Vec<Worker>,
    queue: [VecDeque<u64>; 3],
    tasks: BTreeMap<u64, Task>,
    next_task: u64,
    parents: BTreeMap<u64, Parent>,
    parents_made: u64,
    finished: u64,
    forced_failure_at: u64,
    out: Vec<NexusEvent>,
}

fn project_parent(p: &Parent, e: &mut NexusEvent) {
    e.project_id = Some(p.project.to_owned());
    e.parent_task_id = Some(p.id.clone());
}

impl Swarm {
    /// A swarm for `seed` whose simulated time 0 is wall-clock `start`, running `tempo` times
    /// faster than real time. Its workers start at once ([`Swarm::advance_to`]`(0)` gives their
    /// `worker_started` events).
    #[must_use]
    pub fn new(seed: u64, start: SystemTime, tempo: f64) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed ^ 0x5157_4152_4D00_0001);
        let n = rng.usize(3..=6);
        let forced_failure_at = rng.u64(2..6);
        let mut s = Self {
            forced_failure_at,
            rng,
            start,
            tempo,
            now_ms: 0,
            seq: 0,
            agenda: BinaryHeap::new(),
            workers: vec![
                Worker {
                    online: false,
                    stopping: false,
                    task: None,
                };
                n
            ],
            queue: Default::default(),
            tasks: BTreeMap::new(),
            next_task: 0,
            parents: BTreeMap::new(),
            parents_made: 0,
            finished: 0,
            out: Vec::new(),
        };
        for w in 0..n {
            s.schedule(0, Happening::WorkerStart(w));
            s.schedule(
                HEARTBEAT_EVERY_MS * (w as u64 + 1) / n as u64,
                Happening::Heartbeat(w),
            );
        }
        for i in 0..ACTIVE_PARENTS as u64 {
            s.schedule(300 + i * 1_500, Happening::NewParent);
        }
        s.schedule(1_000, Happening::CountStats);
        s.schedule(2_000, Happening::QueueStats);
        let (who, when) = (s.rng.usize(0..n), s.rng.u64(150_000..300_000));
        s.schedule(when, Happening::WorkerStop(who));
        s
    }

    /// Number of workers (online or not).
    #[must_use]
    pub fn worker_count(&self) -> usize {
        self.workers.len()
    }

    /// Workers online now.
    #[must_use]
    pub fn workers_online(&self) -> usize {
        self.workers.iter().filter(|w| w.online).count()
    }

    /// Simulated time reached, ms.
    #[must_use]
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// Queue depths by priority, as the stats snapshots carry them.
    #[must_use]
    pub fn queue_depths(&self) -> BTreeMap<&'static str, i64> {
        let len = |q: &VecDeque<u64>| i64::try_from(q.len()).unwrap_or(i64::MAX);
        BTreeMap::from([
            ("high_priority", len(&self.queue[0])),
            ("normal_priority", len(&self.queue[1])),
            ("low_priority", len(&self.queue[2])),
        ])
    }

    /// The synthetic first frame of a monitor connection, stamped `ts` (draws nothing from the
    /// generator, so connecting never changes the script).
    #[must_use]
    pub fn snapshot(&self, ts: SystemTime) -> NexusEvent {
        let mut e = NexusEvent::new("snapshot".into(), iso(ts), "stats_snapshot", self.now_ms);
        e.queue = Some(self.queue_depths());
        e.meta
            .insert("workers_online".into(), self.workers_online().into());
        e.meta.insert("snapshot".into(), true.into());
        e
    }

    /// Run every happening due up to simulated `sim_ms` and append the events to `out`.
    pub fn advance_to(&mut self, sim_ms: u64, out: &mut Vec<NexusEvent>) {
        while let Some(Reverse((at, _, what))) = self.agenda.peek().copied() {
            if at > sim_ms {
                break;
            }
            self.agenda.pop();
            self.now_ms = at;
            self.happen(what);
        }
        self.now_ms = self.now_ms.max(sim_ms);
        out.append(&mut self.out);
    }

    fn schedule(&mut self, at_ms: u64, what: Happening) {
        self.seq += 1;
        self.agenda.push(Reverse((at_ms, self.seq, what)));
    }

    fn emit(&mut self, event_type: &'static str) -> &mut NexusEvent {
        let id = uuid(&mut self.rng);
        let at = i64::try_from(self.now_ms).unwrap_or(i64::MAX);
        let mut e = NexusEvent::new(
            id,
            iso(wall(self.start, at, self.tempo)),
            event_type,
            self.now_ms,
        );
        if event_type == "stats_snapshot" {
            e.meta
                .insert("workers_online".into(), self.workers_online().into());
        }
        let i = self.out.len();
        self.out.push(e);
        &mut self.out[i]
    }

    fn task_event(&mut self, event_type: &'static str, task: u64) -> &mut NexusEvent {
        let Some(t) = self.tasks.get(&task).cloned() else {
            return self.emit(event_type);
        };
        let parent = self.parents.get(&t.parent).cloned();
        let e = self.emit(event_type);
        if let Some(p) = &parent {
            project_parent(p, e);
        }
        e.task_id = Some(t.id);
        e.task_type = Some(t.task_type);
        e.phase = Some(t.phase);
        e.retry_count = Some(t.retries);
        e.worker_id = t.worker.and_then(|w| u32::try_from(w + 1).ok());
        e
    }

    fn happen(&mut self, what: Happening) {
        match what {
            Happening::NewParent => self.new_parent(),
            Happening::Finish(t) => self.finish(t),
            Happening::Requeue(t) => {
                self.enqueue(t, "retry");
                self.dispatch();
            }
            Happening::Heartbeat(w) => {
                if let Some(worker) = self.workers.get(w).cloned()
                    && worker.online
                {
                    let task_id = worker
                        .task
                        .and_then(|t| self.tasks.get(&t))
                        .map(|t| t.id.clone());
                    let e = self.emit("worker_heartbeat");
                    e.worker_id = u32::try_from(w + 1).ok();
                    e.status = Some(if task_id.is_some() { "busy" } else { "idle" });
                    e.task_id = task_id;
                }
                self.schedule(self.now_ms + HEARTBEAT_EVERY_MS, what);
            }
            Happening::QueueStats => {
                let queue = self.queue_depths();
                self.emit("stats_snapshot").queue = Some(queue);
                self.schedule(self.now_ms + QUEUE_STATS_EVERY_MS, what);
            }
            Happening::CountStats => {
                let ids: Vec<u64> = self.parents.keys().copied().collect();
                for p in ids {
                    self.count_stats(p);
                }
                self.schedule(self.now_ms + COUNT_STATS_EVERY_MS, what);
            }
            Happening::WorkerStop(w) => match self.workers.get_mut(w) {
                Some(worker) if worker.task.is_some() => worker.stopping = true,
                Some(_) => self.stop_worker(w),
                None => {}
            },
            Happening::WorkerStart(w) => self.start_worker(w),
        }
    }

    fn start_worker(&mut self, w: usize) {
        let restart = self.now_ms > 0;
        if let Some(worker) = self.workers.get_mut(w) {
            worker.online = true;
            worker.stopping = false;
        }
        let e = self.emit("worker_started");
        e.worker_id = u32::try_from(w + 1).ok();
        e.status = Some("idle");
        e.message = Some(format!("Worker {} started", w + 1));
        if restart {
            let (who, after) = (
                self.rng.usize(0..self.workers.len()),
                self.rng.u64(300_000..600_000),
            );
            self.schedule(self.now_ms + after, Happening::WorkerStop(who));
        }
        self.dispatch();
    }

    fn stop_worker(&mut self, w: usize) {
        if let Some(worker) = self.workers.get_mut(w) {
            worker.online = false;
            worker.stopping = false;
        }
        let e = self.emit("worker_stopped");
        e.worker_id = u32::try_from(w + 1).ok();
        e.status = Some("stopped");
        e.message = Some("Worker shutting down (scaled in)".into());
        let back = self.rng.u64(60_000..120_000);
        self.schedule(self.now_ms + back, Happening::WorkerStart(w));
    }

    fn count_stats(&mut self, p: u64) {
        let Some(parent) = self.parents.get(&p).cloned() else {
            return;
        };
        let (mut pending, mut processing) = (0, 0);
        for t in self.tasks.values().filter(|t| t.parent == p) {
            match t.state {
                TaskState::Queued | TaskState::Waiting => pending += 1,
                TaskState::Running => processing += 1,
                TaskState::Done => {}
            }
        }
        let e = self.emit("stats_snapshot");
        project_parent(&parent, e);
        e.counts = Some(BTreeMap::from([
            ("completed", parent.completed),
            ("failed", parent.failed),
            ("pending", pending),
            ("processing", processing),
        ]));
    }

    fn new_parent(&mut self) {
        self.parents_made += 1;
        let p = self.parents_made;
        let project = PROJECTS[self.rng.usize(0..PROJECTS.len())];
        let n = 1000 + p * 7 + self.rng.u64(0..7);
        self.parents.insert(
            p,
            Parent {
                id: format!("research-{n}"),
                number: n,
                subtasks: 0,
                project,
                phase: 0,
                phase_started_ms: self.now_ms,
                open: 0,
                completed: 0,
                failed: 0,
            },
        );
        self.start_phase(p);
    }
}
