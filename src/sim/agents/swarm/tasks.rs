//! The subtask life cycle of [`Swarm`]: phases enqueue subtasks, idle workers take the most
//! urgent one, and each run ends completed, failed, retried or stalled; a research task moves
//! to its next phase once every subtask of the current one has ended.

use std::collections::VecDeque;

use super::{
    ERRORS, Happening, MAX_RETRIES, Outcome, PHASES, Priority, STALL_AFTER_MS, Swarm, Task,
    TaskState, project_parent,
};

impl Swarm {
    pub(super) fn start_phase(&mut self, p: u64) {
        let Some(parent) = self.parents.get(&p).cloned() else {
            return;
        };
        let Some(&(phase, types, (lo, hi))) = PHASES.get(parent.phase) else {
            return;
        };
        let n = self.rng.usize(lo..=hi);
        let e = self.emit("phase_started");
        project_parent(&parent, e);
        e.phase = Some(phase);
        e.status = Some("running");
        e.message = Some(format!("Phase {phase} started with {n} subtasks"));
        if let Some(par) = self.parents.get_mut(&p) {
            par.open = n;
            par.phase_started_ms = self.now_ms;
        }
        for _ in 0..n {
            let priority = match self.rng.u8(0..100) {
                0..15 => Priority::High,
                15..75 => Priority::Normal,
                _ => Priority::Low,
            };
            let task_type = types[self.rng.usize(0..types.len())];
            let k = match self.parents.get_mut(&p) {
                Some(par) => {
                    par.subtasks += 1;
                    par.subtasks
                }
                None => 0,
            };
            self.next_task += 1;
            let t = self.next_task;
            self.tasks.insert(
                t,
                Task {
                    id: format!("subtask-{}-{k}", parent.number),
                    state: TaskState::Queued,
                    parent: p,
                    task_type,
                    phase,
                    priority,
                    retries: 0,
                    worker: None,
                    started_ms: 0,
                    stalls: false,
                },
            );
            self.enqueue(t, "pending");
        }
        self.dispatch();
    }

    pub(super) fn enqueue(&mut self, t: u64, status: &'static str) {
        let Some(task) = self.tasks.get(&t) else {
            return;
        };
        let priority = task.priority;
        let e = self.task_event("task_enqueued", t);
        e.status = Some(status);
        e.meta.insert(
            "priority".into(),
            match priority {
                Priority::High => "high",
                Priority::Normal => "normal",
                Priority::Low => "low",
            }
            .into(),
        );
        self.queue[priority as usize].push_back(t);
        if let Some(task) = self.tasks.get_mut(&t) {
            task.state = TaskState::Queued;
        }
    }

    pub(super) fn dispatch(&mut self) {
        loop {
            let Some(w) = self
                .workers
                .iter()
                .position(|w| w.online && !w.stopping && w.task.is_none())
            else {
                return;
            };
            let Some(t) = self.queue.iter_mut().find_map(VecDeque::pop_front) else {
                return;
            };
            let (duration, stalls) = {
                let Some(task) = self.tasks.get(&t) else {
                    continue;
                };
                let (lo, hi) = match task.task_type {
                    "research" => (4_000, 9_000),
                    "web_search" => (1_500, 5_000),
                    "code_review" => (3_000, 8_000),
                    "extract" => (1_500, 4_000),
                    _ => (2_000, 6_000),
                };
                (self.rng.u64(lo..hi), self.rng.u16(0..1000) < 6)
            };
            if let Some(task) = self.tasks.get_mut(&t) {
                task.worker = Some(w);
                task.state = TaskState::Running;
                task.started_ms = self.now_ms;
                task.stalls = stalls;
            }
            if let Some(worker) = self.workers.get_mut(w) {
                worker.task = Some(t);
            }
            let e = self.task_event("task_started", t);
            e.status = Some("processing");
            let end = if stalls { STALL_AFTER_MS } else { duration };
            self.schedule(self.now_ms + end, Happening::Finish(t));
        }
    }

    pub(super) fn finish(&mut self, t: u64) {
        let Some(task) = self.tasks.get(&t).cloned() else {
            return;
        };
        let Some(w) = task.worker else { return };
        let took = self.now_ms.saturating_sub(task.started_ms);
        self.finished += 1;
        let roll = self.rng.u16(0..1000);
        let error = ERRORS[self.rng.usize(0..ERRORS.len())];
        let retries_left = task.retries < MAX_RETRIES;
        let outcome = if task.stalls {
            Outcome::Stalled {
                retry: retries_left,
            }
        } else if self.finished == self.forced_failure_at || roll < 50 {
            Outcome::Failed
        } else if roll < 90 {
            if retries_left {
                Outcome::Retry
            } else {
                Outcome::Failed
            }
        } else {
            Outcome::Completed
        };
        if let Outcome::Stalled { .. } = outcome {
            let e = self.task_event("task_stalled", t);
            e.status = Some("stalled");
            e.duration_ms = Some(took);
            e.error = Some(format!("no progress for {} s", STALL_AFTER_MS / 1000));
        }
        match outcome {
            Outcome::Completed => {
                let e = self.task_event("task_completed", t);
                e.status = Some("completed");
                e.duration_ms = Some(took);
                e.message = Some("Task completed".into());
                e.meta.insert("result_size".into(), (took / 3 + 200).into());
            }
            Outcome::Failed | Outcome::Stalled { retry: false } => {
                let e = self.task_event("task_failed", t);
                e.status = Some("failed");
                e.duration_ms = Some(took);
                e.error = Some(error.to_owned());
                e.message = Some("Task failed".into());
            }
            Outcome::Retry | Outcome::Stalled { retry: true } => {
                let e = self.task_event("task_retry", t);
                e.status = Some("retrying");
                e.retry_count = Some(task.retries + 1);
                e.error = Some(match outcome {
                    Outcome::Retry => format!("transient: {error}"),
                    _ => "stalled; retrying".to_owned(),
                });
            }
        }
        let retried = matches!(outcome, Outcome::Retry | Outcome::Stalled { retry: true });
        if let Some(worker) = self.workers.get_mut(w) {
            worker.task = None;
        }
        if let Some(task) = self.tasks.get_mut(&t) {
            task.worker = None;
            task.stalls = false;
            if retried {
                // Back to the queue after a backoff, at high priority.
                task.retries += 1;
                task.priority = Priority::High;
                task.state = TaskState::Waiting;
            } else {
                task.state = TaskState::Done;
            }
        }
        if retried {
            let backoff = self.rng.u64(1_000..3_000);
            self.schedule(self.now_ms + backoff, Happening::Requeue(t));
        } else {
            self.task_ended(t, outcome == Outcome::Completed);
        }
        if self.workers.get(w).is_some_and(|x| x.stopping) {
            self.stop_worker(w);
        }
        self.dispatch();
    }

    pub(super) fn task_ended(&mut self, t: u64, ok: bool) {
        let Some(p) = self.tasks.get(&t).map(|t| t.parent) else {
            return;
        };
        let Some(parent) = self.parents.get_mut(&p) else {
            return;
        };
        if ok {
            parent.completed += 1;
        } else {
            parent.failed += 1;
        }
        parent.open = parent.open.saturating_sub(1);
        if parent.open > 0 {
            return;
        }
        let parent = parent.clone();
        let phase = PHASES.get(parent.phase).map_or("done", |p| p.0);
        let took = self.now_ms.saturating_sub(parent.phase_started_ms);
        let e = self.emit("phase_completed");
        project_parent(&parent, e);
        e.phase = Some(phase);
        e.status = Some("completed");
        e.duration_ms = Some(took);
        if parent.phase + 1 < PHASES.len() {
            if let Some(par) = self.parents.get_mut(&p) {
                par.phase += 1;
            }
            self.start_phase(p);
        } else {
            self.count_stats(p);
            // A finished research task and its subtasks are forgotten.
            self.parents.remove(&p);
            self.tasks.retain(|_, t| t.parent != p);
            let gap = self.rng.u64(2_000..6_000);
            self.schedule(self.now_ms + gap, Happening::NewParent);
        }
    }
}
