//! Scripted events at explicit times through `TaskModel::apply`.

#![allow(clippy::unwrap_used, clippy::float_cmp)]

use std::time::{Duration, SystemTime};

use super::*;
use crate::model::ids::SourceKind;
use crate::model::input::{EventError, ExecLog};

fn t(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_770_000_000 + s)
}

fn src() -> SourceId {
    SourceId::new("swarm", SourceKind::NexusWs, "ws://x")
}

fn ev(id: &str, ty: EventType, at: u64) -> EventUpdate {
    let mut e = Event::new(id, ty);
    e.ts = Some(t(at));
    EventUpdate::Event {
        source: src(),
        received_at: t(at),
        event: Box::new(e),
    }
}

fn completed(id: &str, at: u64, ms: u64, worker: &str) -> EventUpdate {
    let mut e = Event::new(id, EventType::TaskCompleted);
    e.ts = Some(t(at));
    e.duration_ms = Some(ms);
    e.worker_id = Some(worker.into());
    EventUpdate::Event {
        source: src(),
        received_at: t(at),
        event: Box::new(e),
    }
}

#[test]
fn counts_rates_and_completion_times_per_window() {
    let mut m = TaskModel::default();
    let now = t(100_000);
    // Two hours ago: 4 completed (only in the 24 h window).
    for i in 0..4 {
        m.apply(
            completed(&format!("old{i}"), 100_000 - 7200, 9000, "1"),
            now,
        );
    }
    // Last hour: 10 completed at 100..1000 ms, 2 failed, 1 stalled, 3 retries.
    for i in 1..=10 {
        m.apply(
            completed(&format!("c{i}"), 100_000 - 60 * i, 100 * i, "2"),
            now,
        );
    }
    m.apply(ev("f1", EventType::TaskFailed, 100_000 - 10), now);
    m.apply(ev("f2", EventType::TaskFailed, 100_000 - 20), now);
    m.apply(ev("s1", EventType::TaskStalled, 100_000 - 30), now);
    for i in 0..3 {
        m.apply(ev(&format!("r{i}"), EventType::TaskRetry, 100_000 - 5), now);
    }
    // Older than a day: ignored by the windows, still counted in totals.
    let mut old = Event::new("ancient", EventType::TaskCompleted);
    old.ts = Some(t(100_000) - Duration::from_secs(2 * 86_400));
    m.apply(
        EventUpdate::Event {
            source: src(),
            received_at: now,
            event: Box::new(old),
        },
        now,
    );

    let h = m.task_stats(HOUR, now);
    assert_eq!(
        (h.completed, h.failed, h.timed_out, h.retried),
        (10, 2, 1, 3)
    );
    assert_eq!(h.success_rate, Some(10.0 / 12.0));
    assert_eq!(h.completion.count, 10);
    assert_eq!(h.completion.avg_ms, Some(550.0));
    let p95 = h.completion.p95_ms.unwrap();
    assert!((p95 - 1000.0).abs() <= 50.0, "{p95}");
    let d = m.task_stats(DAY, now);
    assert_eq!(d.completed, 14);
    assert_eq!(d.completion.count, 14);
    assert_eq!(m.event_totals().get("task_completed"), Some(&15));
    assert_eq!(m.events_total(), 21);
    // An hour later the last-hour figures have aged out.
    assert_eq!(m.task_stats(HOUR, t(100_000 + 3700)).completed, 0);
}

#[test]
fn duplicates_are_dropped_but_snapshots_never() {
    let mut m = TaskModel::default();
    let now = t(10);
    m.apply(ev("a", EventType::TaskCompleted, 1), now);
    m.apply(ev("a", EventType::TaskCompleted, 1), now);
    let mut snap = Event::new("snapshot", EventType::StatsSnapshot);
    snap.queue = [
        ("low_priority".to_owned(), 3),
        ("high_priority".to_owned(), 1),
        ("normal_priority".to_owned(), 2),
    ]
    .into_iter()
    .collect();
    snap.meta.workers_online = Some(4);
    snap.meta.snapshot = true;
    for _ in 0..2 {
        m.apply(
            EventUpdate::Event {
                source: src(),
                received_at: now,
                event: Box::new(snap.clone()),
            },
            now,
        );
    }
    assert_eq!(m.task_stats(HOUR, now).completed, 1);
    assert_eq!(m.event_totals().get("stats_snapshot"), Some(&2));
    let s = m.snapshot(now);
    assert_eq!(s.duplicates_dropped, 1);
    assert_eq!(s.streams[0].duplicates, 1);
    let q = m.queue().unwrap();
    let names: Vec<&str> = q.by_priority.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["high_priority", "normal_priority", "low_priority"]);
    assert_eq!(q.total, 6);
    assert_eq!(s.workers.reported_online, Some(4));
}

#[test]
fn a_queue_depth_at_the_limit_saturates_the_total() {
    // Found by tests/fuzz_smoke.rs: `1e308` twice overflowed the sum of the queue.
    // (the frame decoder turns 1e308 into i64::MAX).
    let mut snap = Event::new("s", EventType::StatsSnapshot);
    snap.queue = [
        ("high_priority".to_owned(), i64::MAX),
        ("normal_priority".to_owned(), i64::MAX),
        ("low_priority".to_owned(), 7),
    ]
    .into_iter()
    .collect();
    let event = Box::new(snap);
    let mut m = TaskModel::default();
    m.apply(
        EventUpdate::Event {
            source: src(),
            received_at: t(1),
            event,
        },
        t(1),
    );
    assert_eq!(m.queue().unwrap().total, i64::MAX);
}

#[test]
fn workers_from_events_and_redis_keys() {
    let mut m = TaskModel::default();
    let mut hb = Event::new("h1", EventType::WorkerHeartbeat);
    hb.worker_id = Some("1".into());
    hb.ts = Some(t(100));
    m.apply(
        EventUpdate::Event {
            source: src(),
            received_at: t(100),
            event: Box::new(hb),
        },
        t(100),
    );
    let beats = vec![
        crate::model::input::WorkerBeat {
            worker_id: "2".into(),
            last_beat_at: t(95),
            ttl_left_s: Some(25),
        },
        crate::model::input::WorkerBeat {
            worker_id: "3".into(),
            last_beat_at: t(60),
            ttl_left_s: Some(0),
        },
    ];
    m.apply(
        EventUpdate::Workers {
            source: src(),
            at: t(100),
            result: Ok(crate::model::input::HeartbeatScan {
                beats,
                ..Default::default()
            }),
        },
        t(100),
    );
    let v = m.workers.view(t(100));
    assert_eq!(
        v.online
            .iter()
            .map(|w| w.worker_id.as_str())
            .collect::<Vec<_>>(),
        ["1", "2"]
    );
    assert_eq!(
        v.stale
            .iter()
            .map(|w| w.worker_id.as_str())
            .collect::<Vec<_>>(),
        ["3"]
    );
    assert_eq!(v.online[1].via, BeatVia::RedisKey);
    // 31 s later with nothing new, everyone is stale.
    assert_eq!(m.workers.stale_count(t(131)), 3);
}

#[test]
fn malformed_frames_and_connection_errors_are_recorded_per_stream() {
    let mut m = TaskModel::default();
    let now = t(5);
    m.apply(
        EventUpdate::Malformed {
            source: src(),
            at: now,
            error: EventError::malformed("not JSON", b"{"),
            count: 1,
        },
        now,
    );
    m.apply(
        EventUpdate::Connection {
            source: src(),
            state: ConnectionState::Error {
                error: EventError::FrameTooLarge {
                    size: Some(9),
                    limit: 1,
                },
                next_retry_at: Some(now),
            },
        },
        now,
    );
    let s = m.snapshot(now);
    assert_eq!(s.malformed_total, 1);
    assert_eq!(s.streams[0].malformed, 1);
    assert!(
        s.streams[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("over the 1-byte cap")
    );
    assert_eq!(
        s.streams[0].state.as_ref().map(ConnectionState::label),
        Some("error")
    );
    let json = serde_json::to_string(&m).unwrap();
    assert!(json.contains("\"malformed_total\":1"), "{json}");
}

#[test]
fn memory_is_bounded_by_settings_not_by_events() {
    let mut m = TaskModel::new(TaskSettings {
        recent_capacity: 10,
        dedupe_capacity: 100,
        max_workers: 5,
        ..TaskSettings::default()
    });
    let now = t(100_000);
    for i in 0..10_000_u64 {
        let mut e = Event::new(format!("e{i}"), EventType::TaskStarted);
        e.worker_id = Some(format!("w{}", i % 50));
        e.ts = Some(t(100_000 - i % 3000));
        m.apply(
            EventUpdate::Event {
                source: src(),
                received_at: now,
                event: Box::new(e),
            },
            now,
        );
    }
    assert_eq!(
        m.recent_events(&EventFilter::default(), usize::MAX).len(),
        10
    );
    let v = m.workers.view(now);
    assert!(v.online.len() + v.stale.len() <= 5);
    assert_eq!(m.task_stats(HOUR, now).started, 10_000);
}

#[test]
fn an_absurd_duration_is_refused_not_averaged() {
    // The defect: duration_ms = 2^64−1 made the mean completion time 3.7e15 s.
    let mut m = TaskModel::default();
    let now = t(1000);
    m.apply(completed("ok", 990, 400, "1"), now);
    m.apply(completed("absurd", 995, u64::MAX, "1"), now);
    m.apply(completed("month", 996, MAX_DURATION_MS + 1, "1"), now);
    m.apply(completed("edge", 997, MAX_DURATION_MS, "1"), now);
    let h = m.task_stats(HOUR, now);
    assert_eq!(h.completed, 4, "the tasks still completed");
    assert_eq!(h.completion.count, 2, "only real durations are timed");
    assert_eq!(h.completion.max_ms, Some(MAX_DURATION_MS));
    let s = m.snapshot(now);
    assert_eq!(s.refused_total, 2);
    assert_eq!(s.streams[0].refused, 2);
    assert!(
        s.streams[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("event month") && e.contains("over 30 days")),
        "{:?}",
        s.streams[0].last_error
    );
    let absurd = s
        .recent_events
        .iter()
        .find(|e| e.event_id == "absurd")
        .unwrap();
    assert_eq!(absurd.duration_ms, None, "not shown as 213503982334d");
    let problems = m.take_problems();
    assert_eq!(problems.len(), 2);
    assert!(
        problems[0].1.contains("18446744073709551615"),
        "{problems:?}"
    );
    assert!(m.take_problems().is_empty(), "taken once");
}

#[test]
fn an_execution_step_with_an_absurd_duration_keeps_its_line_not_its_duration() {
    let mut m = TaskModel::default();
    let exec_src = SourceId::new(
        "swarm",
        SourceKind::ExecLogs,
        "ws://x/ws/executions/e1/logs",
    );
    let log = ExecLog {
        id: "l1".into(),
        execution_id: "e1".into(),
        step_name: Some("fetch".into()),
        step_type: None,
        input_preview: String::new(),
        output_preview: String::new(),
        duration_ms: Some(u64::MAX),
        timestamp: Some(t(5)),
        error_message: None,
        level: crate::model::input::LogLevel::Info,
        status: None,
        progress_pct: None,
    };
    m.apply(
        EventUpdate::ExecLog {
            source: exec_src.clone(),
            received_at: t(5),
            log: Box::new(log),
        },
        t(5),
    );
    let logs: Vec<&ExecLog> = m.executions.logs("e1").collect();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].duration_ms, None);
    assert_eq!(m.snapshot(t(5)).streams[0].refused, 1);
    assert_eq!(m.take_problems()[0].0, exec_src);
}

#[test]
fn duplicates_a_stream_dropped_are_counted_once_each() {
    let mut m = TaskModel::default();
    let exec_src = SourceId::new(
        "swarm",
        SourceKind::ExecLogs,
        "ws://x/ws/executions/e1/logs",
    );
    for total in [1, 99, 99, 40] {
        // A later total replaces an earlier one; an old report arriving late changes nothing.
        m.apply(
            EventUpdate::Duplicates {
                source: src(),
                execution_id: None,
                total,
            },
            t(1),
        );
    }
    m.apply(
        EventUpdate::Duplicates {
            source: exec_src,
            execution_id: Some("e1".into()),
            total: 4,
        },
        t(1),
    );
    let s = m.snapshot(t(2));
    assert_eq!(s.duplicates_dropped, 103);
    let ws = s.streams.iter().find(|x| x.source == src()).unwrap();
    assert_eq!((ws.duplicates, ws.events), (99, 99));
    assert_eq!(s.executions[0].duplicates_dropped, 4);
}
