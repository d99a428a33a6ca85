//! The swarm's work cards (Queue, Phases, Workers) drawn with egui_kittest over a task model fed
//! the events Nexus sends, at explicit times: tasks counted by type as queued or running, the
//! queue by priority from the stats snapshot, phases with their tasks, progress and time (and the
//! finished ones), each worker busy on its task, idle, stale or stopped with its last word.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, SystemTime};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use swarmglass::model::ids::{SourceId, SourceKind};
use swarmglass::model::input::EventUpdate;
use swarmglass::model::tasks::{TaskModel, TasksSnapshot};
use swarmglass::sources::events::nexus::{Frame, parse_frame};
use swarmglass::ui::work::work_cards_ui;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

fn ago(s: u64) -> SystemTime {
    now() - Duration::from_secs(s)
}

fn ws() -> SourceId {
    SourceId::new(
        "nexus",
        SourceKind::NexusWs,
        "ws://127.0.0.1:8765/ws/monitor",
    )
}

fn send(m: &mut TaskModel, at: SystemTime, json: &str) {
    let Frame::Event(event) = parse_frame(json.as_bytes()).unwrap() else {
        panic!("not an event: {json}")
    };
    m.apply(
        EventUpdate::Event {
            source: ws(),
            received_at: at,
            event,
        },
        now(),
    );
}

fn event(m: &mut TaskModel, id: &str, ty: &str, secs_ago: u64, fields: &str) {
    let at = ago(secs_ago);
    send(
        m,
        at,
        &format!(
            r#"{{"event_id":"{id}","event_type":"{ty}","ts":"{}","project_id":"proj","parent_task_id":"research-1"{fields}}}"#,
            humantime::format_rfc3339_seconds(at)
        ),
    );
}

/// A research task in its search phase: four web searches and a summary enqueued, two started
/// (by w1 and w2), one completed, one failed; an earlier phase finished; w3 silent 45 s, w4
/// stopped; the queue by priority from a stats snapshot.
fn working() -> TaskModel {
    let mut m = TaskModel::default();
    event(&mut m, "p0", "phase_started", 300, r#","phase":"plan""#);
    event(
        &mut m,
        "p0e",
        "phase_completed",
        200,
        r#","phase":"plan","duration_ms":95000"#,
    );
    event(&mut m, "p1", "phase_started", 120, r#","phase":"search""#);
    for (i, ty) in [
        "web_search",
        "web_search",
        "web_search",
        "web_search",
        "summarise",
    ]
    .iter()
    .enumerate()
    {
        event(
            &mut m,
            &format!("q{i}"),
            "task_enqueued",
            110,
            &format!(r#","phase":"search","task_id":"t{i}","task_type":"{ty}""#),
        );
    }
    event(
        &mut m,
        "s0",
        "task_started",
        100,
        r#","phase":"search","task_id":"t0","worker_id":"w1""#,
    );
    event(
        &mut m,
        "s1",
        "task_started",
        90,
        r#","phase":"search","task_id":"t1","worker_id":"w2""#,
    );
    event(
        &mut m,
        "s2",
        "task_started",
        80,
        r#","phase":"search","task_id":"t2","worker_id":"w3""#,
    );
    event(
        &mut m,
        "c2",
        "task_completed",
        60,
        r#","phase":"search","task_id":"t2","worker_id":"w3","duration_ms":20000"#,
    );
    event(
        &mut m,
        "s3",
        "task_started",
        50,
        r#","phase":"search","task_id":"t3","worker_id":"w4""#,
    );
    event(
        &mut m,
        "f3",
        "task_failed",
        48,
        r#","phase":"search","task_id":"t3","worker_id":"w4""#,
    );
    event(&mut m, "x4", "worker_stopped", 40, r#","worker_id":"w4""#);
    event(&mut m, "h1", "worker_heartbeat", 2, r#","worker_id":"w1""#);
    event(&mut m, "h2", "worker_heartbeat", 3, r#","worker_id":"w2""#);
    event(
        &mut m,
        "st",
        "stats_snapshot",
        5,
        r#","queue":{"high_priority":1,"normal_priority":2,"low_priority":0}"#,
    );
    m
}

fn cards(snap: TasksSnapshot) -> Harness<'static, TasksSnapshot> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1500.0, 900.0))
        .build_ui_state(|ui, snap: &mut TasksSnapshot| work_cards_ui(ui, snap), snap);
    h.run();
    h
}

fn text_of<'t>(n: &impl NodeT<'t>) -> String {
    let a = n.accesskit_node();
    a.label().or_else(|| a.value()).unwrap_or_default()
}

/// The texts on the row of `name` (it included), left to right, within its card.
fn row(h: &Harness<'_, TasksSnapshot>, name: &str) -> Vec<String> {
    let key = h.get_by_label(name).rect();
    let right_edge = key.left() + 440.0;
    let mut cells: Vec<(f32, String)> = h
        .query_all_by(|_| true)
        .filter_map(|n| {
            // Some container nodes have no bounds; they hold no text of their own either.
            let b = n.accesskit_node().bounding_box()?;
            #[allow(clippy::cast_possible_truncation)]
            let r = egui::Rect::from_min_max(
                egui::pos2(b.x0 as f32, b.y0 as f32),
                egui::pos2(b.x1 as f32, b.y1 as f32),
            );
            let inline = (r.center().y - key.center().y).abs() < 4.0
                && r.left() >= key.left()
                && r.left() < right_edge;
            // A label's text run repeats its text: count the label only.
            let run = n.accesskit_node().role() == egui::accesskit::Role::TextRun;
            (inline && !run).then(|| (r.left(), text_of(&n)))
        })
        .filter(|(_, s)| !s.is_empty())
        .collect();
    cells.sort_by(|a, b| a.0.total_cmp(&b.0));
    cells.into_iter().map(|(_, s)| s).collect()
}

#[test]
fn the_queue_counts_tasks_by_type_and_priority() {
    let h = cards(working().snapshot(now()));
    h.get_by_label("Queue");
    // t0, t1 running; t4 (summarise) and none else queued; t2 done, t3 failed.
    assert_eq!(row(&h, "web_search"), ["web_search", "0", "2"]);
    assert_eq!(row(&h, "summarise"), ["summarise", "1", "0"]);
    h.get_by_label("In flight: 1 queued · 2 running");
    h.get_by_label("high 1");
    h.get_by_label("normal 2");
    h.get_by_label("low 0");
}

#[test]
fn phases_show_tasks_progress_and_time_and_the_finished_ones() {
    let h = cards(working().snapshot(now()));
    h.get_by_label("research-1 · search");
    // 2 of 5 ended (one completed, one failed), running for 2 minutes.
    h.get_by_label("2 / 5 tasks · 1 failed · 2m 00s");
    h.get_by_label("research-1 · plan");
    h.get_by_label_contains("0 / 0 tasks · 1m 35s");
}

#[test]
fn workers_say_busy_on_what_idle_stale_or_stopped_and_when_last_heard() {
    let h = cards(working().snapshot(now()));
    assert_eq!(row(&h, "w1"), ["w1", "busy", "t0", "2s ago"]);
    assert_eq!(row(&h, "w2"), ["w2", "busy", "t1", "3s ago"]);
    assert_eq!(row(&h, "w3"), ["w3", "stale", "1m 00s ago"]);
    assert_eq!(row(&h, "w4"), ["w4", "stopped", "40s ago"]);
    h.get_by_label("2 online (2 busy, 0 idle) · 1 stale · 1 stopped");
}

#[test]
fn nothing_reported_says_so() {
    let h = cards(TaskModel::default().snapshot(now()));
    h.get_by_label("In flight: n/a queued · n/a running");
    h.get_by_label_contains("No phase_started");
    h.get_by_label_contains("No worker heard from yet");
}
