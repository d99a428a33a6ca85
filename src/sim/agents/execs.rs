//! Scripted workflow executions for the execution-log stream (DATA-SOURCES §6): 2–3 executions
//! with UUIDs from the seed, each a list of log lines due at simulated times. Status goes
//! `pending` → `running` (with progress) → `completed`, except one execution that fails at a
//! step. The first execution began before the simulation did, so a client connecting at once
//! gets a replay. Pure: the clock only enters as `start`.

use std::time::SystemTime;

use serde_json::json;

use super::wire::{iso, uuid, wall};

/// One log line of an execution.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecLine {
    /// When the line is due, simulated ms since the start (negative: stored before it).
    pub at_ms: i64,
    /// The line's `id`.
    pub id: String,
    /// The frame's JSON text.
    pub json: String,
    /// The execution status after this line.
    pub status: &'static str,
}

/// One scripted execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// Its UUID.
    pub id: String,
    /// The workflow it runs.
    pub workflow: &'static str,
    /// Log lines in time order.
    pub lines: Vec<ExecLine>,
}

impl Execution {
    /// The status once every line is out (`completed` or `failed`).
    #[must_use]
    pub fn final_status(&self) -> &'static str {
        self.lines.last().map_or("pending", |l| l.status)
    }
}

/// Workflows: name and steps (step name, step type).
const WORKFLOWS: [(&str, &[(&str, &str)]); 3] = [
    (
        "ticket_triage",
        &[
            ("fetch_ticket", "api_call"),
            ("classify", "ai_process"),
            ("route", "decision"),
            ("draft_reply", "ai_process"),
            ("notify", "webhook"),
        ],
    ),
    (
        "nightly_report",
        &[
            ("load_metrics", "db_query"),
            ("aggregate", "transform"),
            ("summarize", "ai_process"),
            ("publish", "webhook"),
        ],
    ),
    (
        "code_review_pipeline",
        &[
            ("fetch_diff", "api_call"),
            ("lint", "tool"),
            ("review", "ai_process"),
            ("post_comments", "api_call"),
        ],
    ),
];

/// When each execution begins, simulated ms (before jitter).
const BEGIN_MS: [i64; 3] = [-30_000, 4_000, 15_000];

struct Builder<'a> {
    exec_id: &'a str,
    start: SystemTime,
    tempo: f64,
    rng: &'a mut fastrand::Rng,
    lines: Vec<ExecLine>,
}

impl Builder<'_> {
    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        at_ms: i64,
        step: (&str, &str),
        input: serde_json::Value,
        output: serde_json::Value,
        duration_ms: Option<u64>,
        error: Option<&str>,
        level: &str,
        status: &'static str,
    ) {
        let id = uuid(self.rng);
        let frame = json!({
            "id": id,
            "execution_id": self.exec_id,
            "step_name": step.0,
            "step_type": step.1,
            "input_data": input,
            "output_data": output,
            "duration_ms": duration_ms,
            "timestamp": iso(wall(self.start, at_ms, self.tempo)),
            "error_message": error,
            "level": level,
        });
        self.lines.push(ExecLine {
            at_ms,
            id,
            json: frame.to_string(),
            status,
        });
    }
}

/// The executions of `seed` for a simulation that started at `start` and runs `tempo` times
/// faster than real time.
#[must_use]
pub fn executions(seed: u64, start: SystemTime, tempo: f64) -> Vec<Execution> {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x4558_4543_0000_0002);
    let n = rng.usize(2..=3);
    let failing = rng.usize(0..n);
    let first = rng.usize(0..WORKFLOWS.len());
    (0..n)
        .map(|i| {
            let (workflow, steps) = WORKFLOWS[(first + i) % WORKFLOWS.len()];
            let id = uuid(&mut rng);
            let begin = BEGIN_MS[i] + rng.i64(0..3_000);
            let fail_step = (i == failing).then(|| rng.usize(1..steps.len()));
            let mut b = Builder {
                exec_id: &id,
                start,
                tempo,
                rng: &mut rng,
                lines: Vec::new(),
            };
            script(&mut b, workflow, steps, begin, fail_step);
            let lines = b.lines;
            Execution {
                id,
                workflow,
                lines,
            }
        })
        .collect()
}

fn script(
    b: &mut Builder<'_>,
    workflow: &str,
    steps: &[(&str, &str)],
    begin: i64,
    fail_step: Option<usize>,
) {
    let trigger = ["schedule", "webhook", "manual"][b.rng.usize(0..3)];
    b.line(
        begin,
        ("workflow_started", "system"),
        json!({"workflow": workflow, "trigger": trigger}),
        json!({"status": "pending", "progress": 0}),
        None,
        None,
        "info",
        "pending",
    );
    let mut at = begin + b.rng.i64(500..1_500);
    let total = steps.len() as f64;
    for (k, &step) in steps.iter().enumerate() {
        let took = b.rng.u64(800..6_000);
        at += i64::try_from(took).unwrap_or(0);
        let progress = ((k + 1) as f64 * 100.0 / (total + 1.0)).round();
        let input = json!({"step": k + 1, "of": steps.len()});
        if fail_step == Some(k) {
            let error = format!("{} failed: upstream returned 503 after 3 attempts", step.0);
            b.line(
                at,
                step,
                input,
                json!({"status": "running", "progress": progress}),
                None,
                Some(&error),
                "error",
                "running",
            );
            at += 400;
            b.line(
                at,
                ("workflow_failed", "system"),
                json!({"workflow": workflow}),
                json!({"status": "failed", "progress": progress, "failed_step": step.0}),
                None,
                Some(&error),
                "error",
                "failed",
            );
            return;
        }
        if b.rng.u8(0..100) < 20 {
            b.line(
                at - 300,
                step,
                input.clone(),
                json!({"status": "running", "progress": progress, "note": "slow response"}),
                None,
                Some("rate limited by upstream; retried after 2s"),
                "warning",
                "running",
            );
        }
        b.line(
            at,
            step,
            input,
            json!({"status": "running", "progress": progress, "ok": true}),
            Some(took),
            None,
            "info",
            "running",
        );
        at += b.rng.i64(200..2_500);
    }
    let took = u64::try_from(at - begin).unwrap_or(0);
    b.line(
        at,
        ("workflow_completed", "system"),
        json!({"workflow": workflow}),
        json!({"status": "completed", "progress": 100}),
        Some(took),
        None,
        "info",
        "completed",
    );
}
