//! Unit tests of the agent layer's pure parts: the swarm script, the executions, the session
//! stores and the request routing. Every output is read back with the project's own parsers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use super::execs::executions;
use super::serve::{Route, route};
use super::sessions::{render_stores, write_state};
use super::swarm::{PROJECTS, Swarm};
use super::wire::{NexusEvent, is_uuid};
use crate::model::input::{ExecStatus, LogLevel};
use crate::sources::events::exec_logs::{ExecFrame, parse_exec_frame};
use crate::sources::events::nexus::{Frame, parse_frame};
use crate::sources::events::openclaw::{
    SessionsPoller, parse_sessions_store, parse_transcript_header,
};

fn start() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_770_853_622)
}

fn run(seed: u64, until_ms: u64, step_ms: u64) -> Vec<NexusEvent> {
    let mut s = Swarm::new(seed, start(), 1.0);
    let mut out = Vec::new();
    let mut t = 0;
    loop {
        s.advance_to(t.min(until_ms), &mut out);
        if t >= until_ms {
            return out;
        }
        t += step_ms;
    }
}

#[test]
fn the_swarm_is_deterministic_whatever_the_steps() {
    let a: Vec<String> = run(42, 600_000, 600_000)
        .iter()
        .map(NexusEvent::to_json)
        .collect();
    let b: Vec<String> = run(42, 600_000, 97)
        .iter()
        .map(NexusEvent::to_json)
        .collect();
    assert_eq!(a, b);
    let c: Vec<String> = run(7, 600_000, 1000)
        .iter()
        .map(NexusEvent::to_json)
        .collect();
    assert_ne!(a, c);
}

#[test]
fn the_swarm_looks_like_nexus_over_two_hours() {
    for seed in [1, 42, 2024] {
        let swarm = Swarm::new(seed, start(), 1.0);
        let workers = swarm.worker_count();
        assert!((3..=6).contains(&workers), "{workers} workers");
        let events = run(seed, 2 * 3_600_000, 1_000);
        let per_s = events.len() as f64 / 7_200.0;
        assert!(
            (1.5..8.0).contains(&per_s),
            "seed {seed}: {per_s:.2} events/s"
        );
        let mut types: BTreeMap<&str, u64> = BTreeMap::new();
        let mut first_failure = None;
        let mut finished = 0;
        for e in &events {
            *types.entry(e.event_type).or_default() += 1;
            let Frame::Event(parsed) = parse_frame(e.to_json().as_bytes()).unwrap() else {
                panic!("not an event: {}", e.to_json());
            };
            assert_eq!(parsed.event_type.as_str(), e.event_type);
            assert!(parsed.ts.is_some() && e.ts.ends_with("+00:00"), "{}", e.ts);
            assert!(is_uuid(&parsed.event_id));
            if let Some(p) = &e.project_id {
                assert!(PROJECTS.contains(&p.as_str()), "{p}");
            }
            match e.event_type {
                "task_completed" | "task_failed" => {
                    finished += 1;
                    assert!(parsed.duration_ms.is_some() && parsed.worker_id.is_some());
                    assert!(parsed.retry_count.is_some() && parsed.task_type.is_some());
                    if e.event_type == "task_failed" {
                        assert!(parsed.error.is_some());
                        first_failure.get_or_insert(finished);
                    }
                }
                "task_started" => assert!(parsed.worker_id.is_some()),
                "worker_heartbeat" => {
                    let w: usize = parsed.worker_id.unwrap().parse().unwrap();
                    assert!((1..=workers).contains(&w));
                }
                "stats_snapshot" => {
                    assert!(parsed.meta.workers_online.is_some());
                    assert!(!parsed.queue.is_empty() || parsed.counts.len() == 4);
                }
                _ => {}
            }
        }
        for t in [
            "worker_started",
            "worker_heartbeat",
            "worker_stopped",
            "task_enqueued",
            "task_started",
            "task_completed",
            "task_failed",
            "task_retry",
            "phase_started",
            "phase_completed",
            "stats_snapshot",
        ] {
            assert!(types.contains_key(t), "seed {seed}: no {t} in {types:?}");
        }
        let (ok, failed) = (types["task_completed"], types["task_failed"]);
        let rate = failed as f64 / (ok + failed) as f64;
        assert!(
            (0.02..0.15).contains(&rate),
            "seed {seed}: failure rate {rate:.3}"
        );
        assert!(first_failure.unwrap() <= 6, "a failure shows early");
        // Queue snapshots every 10 s, heartbeats every 5 s per online worker.
        let queue_snaps = events.iter().filter(|e| e.queue.is_some()).count();
        assert!((715..=722).contains(&queue_snaps), "{queue_snaps}");
        let beats = types["worker_heartbeat"] as f64 / (workers as f64 * 1_440.0);
        assert!((0.8..=1.0).contains(&beats), "{beats}");
        assert!(events.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    }
}

#[test]
fn the_snapshot_is_synthetic_and_draws_nothing() {
    let mut s = Swarm::new(42, start(), 1.0);
    let mut out = Vec::new();
    s.advance_to(30_000, &mut out);
    let snap = s.snapshot(start());
    let Frame::Event(e) = parse_frame(snap.to_json().as_bytes()).unwrap() else {
        panic!()
    };
    assert!(e.is_synthetic() && e.meta.snapshot);
    assert_eq!(e.meta.workers_online, Some(s.worker_count() as u64));
    assert_eq!(e.queue.len(), 3);
    let mut t = Swarm::new(42, start(), 1.0);
    let mut again = Vec::new();
    t.advance_to(30_000, &mut again);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    s.advance_to(60_000, &mut x);
    t.advance_to(60_000, &mut y);
    assert_eq!(x, y, "taking a snapshot does not change the script");
}

#[test]
fn executions_progress_and_one_fails() {
    for seed in [1, 42, 99] {
        let execs = executions(seed, start(), 1.0);
        assert!((2..=3).contains(&execs.len()));
        assert_eq!(execs, executions(seed, start(), 1.0));
        let finals: Vec<&str> = execs.iter().map(|e| e.final_status()).collect();
        assert_eq!(
            finals.iter().filter(|s| **s == "failed").count(),
            1,
            "{finals:?}"
        );
        assert!(
            execs[0].lines[0].at_ms < 0,
            "the first one has a history to replay"
        );
        let mut ids = BTreeSet::new();
        for ex in &execs {
            assert!(is_uuid(&ex.id));
            assert!(ex.lines.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
            let mut statuses = Vec::new();
            for l in &ex.lines {
                assert!(ids.insert(l.id.clone()), "line ids are unique");
                let ExecFrame::Log(log) =
                    parse_exec_frame(l.json.as_bytes(), &ex.id, 1 << 20).unwrap()
                else {
                    panic!("not a log line: {}", l.json)
                };
                assert_eq!(log.id, l.id);
                assert!(log.timestamp.is_some() && log.step_name.is_some());
                if log.level == LogLevel::Error {
                    assert!(log.error_message.is_some());
                }
                statuses.push(log.status.unwrap());
            }
            assert_eq!(statuses[0], ExecStatus::Pending);
            assert_eq!(statuses[1], ExecStatus::Running);
            assert!(statuses.last().unwrap().is_final());
            assert!(
                statuses[1..statuses.len() - 1]
                    .iter()
                    .all(|s| *s == ExecStatus::Running)
            );
        }
    }
}

#[test]
fn session_stores_parse_and_move_with_time() {
    let at = |s: u64| render_stores(42, start(), Duration::from_secs(s));
    let stores = at(0);
    assert_eq!(
        stores.iter().map(|s| s.agent).collect::<Vec<_>>(),
        ["main", "research"]
    );
    let now = start();
    let mut active = 0;
    for s in &stores {
        let p = parse_sessions_store(s.sessions_json.as_bytes(), s.agent).unwrap();
        assert!(p.problems.is_empty());
        assert_eq!(p.sessions.len(), s.transcripts.len());
        for info in &p.sessions {
            let idle = now
                .duration_since(info.updated_at.unwrap())
                .unwrap_or_default();
            active += usize::from(idle < Duration::from_secs(3600));
            assert!(
                info.input_tokens.unwrap() + info.output_tokens.unwrap()
                    == info.total_tokens.unwrap()
            );
        }
        for (name, text) in &s.transcripts {
            assert!(name.ends_with(".jsonl"));
            assert!(parse_transcript_header(text.lines().next().unwrap().as_bytes()).is_some());
        }
    }
    assert!(active >= 2, "{active} active sessions");
    let key_main = |stores: &[super::sessions::AgentStore]| -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_str(&stores[0].sessions_json).unwrap();
        v["agent:main:main"].clone()
    };
    let (a, b) = (key_main(&at(0)), key_main(&at(90)));
    assert!(b["updatedAt"].as_u64() > a["updatedAt"].as_u64());
    assert!(b["totalTokens"].as_u64() > a["totalTokens"].as_u64());
    assert_eq!(a["sessionId"], b["sessionId"]);
    assert_ne!(
        at(0)[0].sessions_json,
        at(900)[0].sessions_json,
        "sub-agents come and go"
    );
}

#[test]
fn session_stores_are_written_for_the_poller() {
    let dir = tempfile::tempdir().unwrap();
    write_state(
        dir.path(),
        &render_stores(42, SystemTime::now(), Duration::ZERO),
    )
    .unwrap();
    write_state(
        dir.path(),
        &render_stores(42, SystemTime::now(), Duration::from_secs(5)),
    )
    .unwrap();
    let report = SessionsPoller::new(dir.path()).poll().unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(report.sessions.len() >= 5);
    assert!(
        report.sessions.iter().all(|s| s.started_at.is_some()),
        "starts from transcripts too"
    );
    let leftovers: Vec<_> = walk(dir.path())
        .into_iter()
        .filter(|p| p.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let gone = dir.path().join("gone");
    write_state(&gone, &render_stores(42, SystemTime::now(), Duration::ZERO)).unwrap();
    assert!(!gone.exists(), "a removed state dir is not recreated");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn requests_are_routed_with_their_filters() {
    let Some(Route::Monitor(f)) = route(
        "/ws/monitor?types=task_started,TASK_COMPLETED&project_id=proj%2Dalpha&task_id=research-1007&stats_only=true",
    ) else {
        panic!()
    };
    assert!(f.stats_only);
    assert_eq!(f.project_id.as_deref(), Some("proj-alpha"));
    assert_eq!(f.task_id.as_deref(), Some("research-1007"));
    assert_eq!(f.types.as_ref().map(|t| t.len()), Some(2));
    assert!(f.types.as_ref().unwrap().contains("task_completed"));
    let Some(Route::Monitor(g)) = route("/ws/monitoring?event_types=worker_heartbeat") else {
        panic!()
    };
    assert!(!g.stats_only && g.types.unwrap().contains("worker_heartbeat"));
    assert_eq!(
        route("/ws/monitor"),
        Some(Route::Monitor(Default::default()))
    );
    assert_eq!(
        route("/ws/executions/abc/logs"),
        Some(Route::ExecLogs("abc".into()))
    );
    assert_eq!(route("/ws/executions//logs"), None);
    assert_eq!(route("/metrics"), None);

    let mut e = NexusEvent::new("x".into(), String::new(), "task_completed", 0);
    e.project_id = Some("proj-alpha".into());
    e.parent_task_id = Some("research-1007".into());
    let Some(Route::Monitor(h)) =
        route("/ws/monitor?types=task_completed&project_id=proj-alpha&task_id=research-1007")
    else {
        panic!()
    };
    assert!(h.matches(&e) && !f.matches(&e));
    e.project_id = Some("proj-beta".into());
    assert!(!h.matches(&e));
}
