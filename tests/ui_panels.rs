//! The agent, event-stream, execution and alert panels drawn with egui_kittest (no display, no
//! GPU) over task models built from hand-made `EventUpdate`s (events parsed from JSON text, as
//! the WebSocket delivers them) and an alert engine evaluated over scripted models, all at
//! explicit times. What a user reads must be there (numbers, words beside colours, "n/a" for
//! what is unknown), filters must hide what does not match, and clicks must come back as
//! `PanelAction`s rather than changing anything themselves.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, SystemTime};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use swarmglass::alerts::{AlertKey, AlertState, Engine, SilenceTarget, Subject};
use swarmglass::config::alerts::{Comparison, Metric, Rule, RuleSet, Severity};
use swarmglass::model::gpu::GpuSample;
use swarmglass::model::ids::{SourceId, SourceKind};
use swarmglass::model::input::{
    ConnectionState, EventError, EventUpdate, ProxyErrorKind, ProxyLevel, ProxyRecord, SessionInfo,
    SessionsOrigin, SessionsReport,
};
use swarmglass::model::input::{ExecLog, ExecStatus, LogLevel};
use swarmglass::model::tasks::{TaskModel, TasksSnapshot};
use swarmglass::model::{HostStats, Model, ModelSettings};
use swarmglass::sources::events::nexus::{Frame, Keepalive, parse_frame};
use swarmglass::ui::actions::PanelAction;
use swarmglass::ui::agents::agent_cards_ui;
use swarmglass::ui::alerts::{SILENCE_FOR, ToastState, alert_history_ui, alerts_ui, toasts_ui};
use swarmglass::ui::events::{EventStreamState, event_stream_ui};
use swarmglass::ui::executions::{ExecutionsState, executions_ui};
use swarmglass::ui::theme::{AGENT_CARD, CARD_GAP};

fn t(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
}

/// The `now` of every scripted task model.
fn now() -> SystemTime {
    t(100_000)
}

/// `now` minus `s` seconds.
fn ago(s: u64) -> SystemTime {
    now() - Duration::from_secs(s)
}

fn ws_src() -> SourceId {
    SourceId::new(
        "swarm",
        SourceKind::NexusWs,
        "ws://10.0.0.9:8080/ws/monitor",
    )
}
fn redis_src() -> SourceId {
    SourceId::new("swarm", SourceKind::NexusRedis, "redis://10.0.0.9:6379")
}
fn gateway_src() -> SourceId {
    SourceId::new(
        "swarm",
        SourceKind::OpenclawGateway,
        "http://10.0.0.9:18789/tools/invoke",
    )
}
fn sessions_src() -> SourceId {
    SourceId::new("swarm", SourceKind::OpenclawFiles, "/home/agent/.openclaw")
}
fn proxy_src() -> SourceId {
    SourceId::new("swarm", SourceKind::ToolProxyLog, "/var/log/tool-proxy.log")
}
fn exec_src(id: &str) -> SourceId {
    SourceId::new(
        "swarm",
        SourceKind::ExecLogs,
        format!("ws://10.0.0.9:8080/ws/executions/{id}/logs"),
    )
}

fn iso(at: SystemTime) -> String {
    humantime::format_rfc3339_seconds(at).to_string()
}

/// Parse one WebSocket frame (JSON text) into an event update received at `at`.
fn frame(json: &str, at: SystemTime) -> EventUpdate {
    match parse_frame(json.as_bytes()).unwrap() {
        Frame::Event(event) => EventUpdate::Event {
            source: ws_src(),
            received_at: at,
            event,
        },
        other => panic!("not an event: {other:?}"),
    }
}

/// A task event as the Nexus monitor sends it.
#[allow(clippy::too_many_arguments)]
fn task_event(
    id: &str,
    ty: &str,
    at: SystemTime,
    project: &str,
    task: &str,
    worker: &str,
    extra: &str,
) -> EventUpdate {
    frame(
        &format!(
            r#"{{"event_id":"{id}","event_type":"{ty}","ts":"{}","project_id":"{project}","task_id":"{task}","parent_task_id":"research-1","worker_id":"{worker}"{extra}}}"#,
            iso(at)
        ),
        at,
    )
}

fn session(key: &str, updated: u64, started: u64, tokens: Option<(u64, u64)>) -> SessionInfo {
    SessionInfo {
        agent_id: "main".into(),
        key: key.into(),
        session_id: Some(format!("sid-{key}")),
        kind: Some("main".into()),
        updated_at: Some(ago(updated)),
        started_at: Some(ago(started)),
        last_interaction_at: None,
        input_tokens: tokens.map(|t| t.0),
        output_tokens: tokens.map(|t| t.1),
        total_tokens: None,
        context_tokens: None,
        model: Some("qwen-32b".into()),
        model_provider: None,
        status: None,
        label: None,
        channel: None,
        spawned_by: None,
        spawn_depth: None,
        aborted_last_run: None,
    }
}

fn proxy_error(at: SystemTime, level: ProxyLevel) -> ProxyRecord {
    ProxyRecord {
        at,
        level,
        kind: Some(ProxyErrorKind::UpstreamError),
        message: "Forward error: vLLM unreachable".into(),
        continuation: Vec::new(),
        continuation_cut: 0,
    }
}

/// A busy swarm at `now`: the WebSocket connected, Redis disconnected (retry in 3 s), the
/// gateway failed for good; over the last hour 3 completed (1, 2, 3 s), 1 failed, 1 timed out,
/// two hours ago 2 more completed (4, 5 s); worker w7 silent for 45 s (stale), w1 and w2 busy;
/// a stats snapshot with the queue (2 high, 0 normal, 7 low) and 3 workers online; two
/// sessions (one active for 2m 34s); two tool-proxy errors and a warning in the last hour.
fn busy_model() -> TaskModel {
    let mut m = TaskModel::default();
    let n = now();
    m.apply(
        EventUpdate::Connection {
            source: ws_src(),
            state: ConnectionState::Connected { since: ago(300) },
        },
        n,
    );
    m.apply(
        EventUpdate::Connection {
            source: redis_src(),
            state: ConnectionState::Disconnected {
                reason: "server closed the connection".into(),
                next_retry_at: n + Duration::from_secs(3),
            },
        },
        n,
    );
    m.apply(
        EventUpdate::Connection {
            source: gateway_src(),
            state: ConnectionState::Error {
                error: EventError::BadUrl {
                    url: "http//gateway".into(),
                    reason: "no scheme".into(),
                },
                next_retry_at: None,
            },
        },
        n,
    );
    for (i, (s, ms)) in [(7200, 4000), (7100, 5000)].into_iter().enumerate() {
        m.apply(
            task_event(
                &format!("old-{i}"),
                "task_completed",
                ago(s),
                "p-alpha",
                &format!("t-old-{i}"),
                "w1",
                &format!(r#","duration_ms":{ms},"message":"msg-old-{i}""#),
            ),
            n,
        );
    }
    m.apply(
        task_event(
            "e1",
            "task_started",
            ago(600),
            "p-alpha",
            "t-1",
            "w1",
            r#","message":"msg-start-1""#,
        ),
        n,
    );
    for (i, s) in [(1, 500), (2, 400), (3, 25)] {
        m.apply(
            task_event(
                &format!("c{i}"),
                "task_completed",
                ago(s),
                if i == 2 { "p-beta" } else { "p-alpha" },
                &format!("t-{i}"),
                "w1",
                &format!(r#","duration_ms":{},"message":"msg-done-{i}""#, i * 1000),
            ),
            n,
        );
    }
    m.apply(
        task_event(
            "f1",
            "task_failed",
            ago(20),
            "p-beta",
            "t-4",
            "w2",
            r#","error":"boom: tool crashed""#,
        ),
        n,
    );
    m.apply(
        task_event(
            "s1",
            "task_stalled",
            ago(200),
            "p-alpha",
            "t-5",
            "w2",
            r#","message":"msg-stalled-5""#,
        ),
        n,
    );
    m.apply(
        frame(
            &format!(
                r#"{{"event_id":"hb7","event_type":"worker_heartbeat","ts":"{}","worker_id":"w7","message":"msg-heartbeat"}}"#,
                iso(ago(45))
            ),
            ago(45),
        ),
        n,
    );
    m.apply(
        frame(
            &format!(
                r#"{{"event_id":"snapshot","event_type":"stats_snapshot","ts":"{}","queue":{{"high_priority":2,"normal_priority":0,"low_priority":7}},"meta":{{"snapshot":true,"workers_online":3}}}}"#,
                iso(ago(5))
            ),
            ago(5),
        ),
        n,
    );
    m.apply(
        EventUpdate::Sessions {
            source: sessions_src(),
            at: ago(2),
            result: Ok(SessionsReport {
                origin: SessionsOrigin::Files {
                    path: "/home/agent/.openclaw".into(),
                    stores: vec!["/home/agent/.openclaw/agents/main/sessions/sessions.json".into()],
                },
                sessions: vec![
                    session("agent:main:main", 12, 154, Some((1200, 340))),
                    session("agent:main:sub1", 7200, 9000, None),
                ],
                skipped: 0,
                problems: Vec::new(),
            }),
        },
        n,
    );
    m.apply(
        EventUpdate::ProxyLog {
            source: proxy_src(),
            at: ago(1),
            result: Ok(vec![
                proxy_error(ago(200), ProxyLevel::Error),
                proxy_error(ago(100), ProxyLevel::Critical),
                proxy_error(ago(50), ProxyLevel::Warning),
            ]),
        },
        n,
    );
    m
}

/// The text a screen reader gets for a node (labels keep theirs in `value`).
fn text_of<'t>(n: &impl NodeT<'t>) -> String {
    let a = n.accesskit_node();
    a.label().or_else(|| a.value()).unwrap_or_default()
}

/// The texts on the same line as the label `name`, to its right, left to right.
fn row_of(h: &Harness<'_, impl Sized>, name: &str) -> Vec<String> {
    row_within(h, name, f32::INFINITY)
}

/// The texts on the same line as the label `name`, to its right and left of `right_edge`,
/// left to right.
fn row_within(h: &Harness<'_, impl Sized>, name: &str, right_edge: f32) -> Vec<String> {
    let key = h.get_by_label(name).rect();
    let mut cells: Vec<(f32, String)> = h
        .query_all_by(|_| true)
        .filter_map(|n| {
            // Some container nodes have no bounds; they hold no text of their own either.
            let b = n.accesskit_node().bounding_box()?;
            let r = egui::Rect::from_min_max(
                egui::pos2(b.x0 as f32, b.y0 as f32),
                egui::pos2(b.x1 as f32, b.y1 as f32),
            );
            let inline = (r.center().y - key.center().y).abs() < 4.0
                && r.left() > key.right()
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

/// [`row_within`] one agent card: the cards sit side by side, the sessions card first.
fn card_row(h: &Harness<'_, impl Sized>, name: &str) -> Vec<String> {
    let first_card_edge = AGENT_CARD.x + CARD_GAP;
    let key = h.get_by_label(name).rect();
    let edge = if key.left() < first_card_edge {
        first_card_edge
    } else {
        f32::INFINITY
    };
    row_within(h, name, edge)
}

fn top_of(h: &Harness<'_, impl Sized>, label: &str) -> f32 {
    h.get_by_label_contains(label).rect().top()
}

fn cards(snap: TasksSnapshot) -> Harness<'static, TasksSnapshot> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1200.0, 900.0))
        .build_ui_state(
            |ui, snap: &mut TasksSnapshot| agent_cards_ui(ui, snap),
            snap,
        );
    h.run();
    h
}

#[test]
fn task_stats_card_counts_rates_and_times_per_window() {
    let h = cards(busy_model().snapshot(now()));
    assert!(h.query_by_label("Task Stats").is_some());
    assert_eq!(card_row(&h, "Completed"), ["3", "5"], "1 h, then 24 h");
    assert_eq!(card_row(&h, "Failed"), ["1", "1"]);
    assert_eq!(card_row(&h, "Timed out"), ["1", "1"]);
    assert_eq!(card_row(&h, "Success"), ["75.0%", "83.3%"], "3/4 and 5/6");
    assert_eq!(
        card_row(&h, "Avg time"),
        ["2s", "3s"],
        "(1+2+3)/3 and (1+…+5)/5 seconds"
    );
    assert_eq!(
        card_row(&h, "p95 time"),
        ["3s", "5s"],
        "the slowest of 3 and of 5 completions"
    );
}

#[test]
fn nothing_reported_reads_na_never_zero() {
    let h = cards(TaskModel::default().snapshot(now()));
    assert_eq!(card_row(&h, "Completed"), ["n/a", "n/a"]);
    assert_eq!(card_row(&h, "Success"), ["n/a", "n/a"]);
    assert_eq!(card_row(&h, "Avg time"), ["n/a", "n/a"]);
    assert_eq!(card_row(&h, "Queue"), ["n/a"]);
    assert_eq!(card_row(&h, "Workers"), ["n/a"]);
    assert_eq!(card_row(&h, "Active"), ["n/a", "Oldest", "n/a"]);
    assert_eq!(card_row(&h, "Errors (1h)"), ["n/a"], "no tool-proxy source");
    assert!(h.query_by_label_contains("No session seen yet").is_some());

    // A task stream that delivered no completion yet: counts are a real 0, rates stay n/a.
    let mut m = TaskModel::default();
    m.apply(
        EventUpdate::Connection {
            source: ws_src(),
            state: ConnectionState::Connected { since: ago(10) },
        },
        now(),
    );
    let h = cards(m.snapshot(now()));
    assert_eq!(card_row(&h, "Completed"), ["0", "0"]);
    assert_eq!(card_row(&h, "Success"), ["n/a", "n/a"]);
    assert_eq!(card_row(&h, "p95 time"), ["n/a", "n/a"]);
}

#[test]
fn stale_worker_is_named_and_queue_split_by_priority() {
    let h = cards(busy_model().snapshot(now()));
    assert!(h.query_by_label("Stale:").is_some());
    assert!(
        h.query_by_label("w7 (silent 45s)").is_some(),
        "the stale worker by name, with how long it has been silent"
    );
    assert!(h.query_by_label("1 stale").is_some());
    assert!(h.query_by_label("2 online").is_some(), "w1 and w2");
    assert!(h.query_by_label("(server reports 3 online)").is_some());
    assert_eq!(card_row(&h, "Queue"), ["9", "(high 2 · normal 0 · low 7)"]);
}

#[test]
fn streams_show_their_connection_state_with_reason_and_retry() {
    let h = cards(busy_model().snapshot(now()));
    assert!(h.query_by_label("disconnected").is_some());
    assert!(
        h.query_by_label("— server closed the connection; retry in 3s")
            .is_some(),
        "why, and when the next attempt is"
    );
    assert!(h.query_by_label("connected").is_some());
    assert!(h.query_by_label("— for 5m 00s").is_some());
    assert!(h.query_by_label("error").is_some());
    assert!(
        h.query_by_label_contains("stopped: retrying cannot help")
            .is_some()
    );
    assert_eq!(
        h.query_all_by_label("polled").count(),
        2,
        "polled sources (session files, tool-proxy log) read so"
    );
    // Each state word sits on its source's row.
    let redis = card_row(&h, "nexus_redis");
    assert_eq!(redis[0], "disconnected", "{redis:?}");
}

#[test]
fn sessions_card_shows_active_oldest_idle_tokens_queue_and_proxy_errors() {
    let h = cards(busy_model().snapshot(now()));
    assert!(h.query_by_label("Active Sessions").is_some());
    assert_eq!(card_row(&h, "Active"), ["1 of 2", "Oldest", "2m 34s"]);
    assert_eq!(
        card_row(&h, "Idle min/max"),
        ["12s / 12s", "Tokens", "1200 in / 340 out"]
    );
    assert_eq!(card_row(&h, "Queue depth"), ["9", "Errors (1h)", "2"]);
    // The table: active first, then the idle one, tokens n/a where not reported.
    assert_eq!(
        card_row(&h, "agent:main:main"),
        ["qwen-32b", "2m 34s", "12s", "1200 / 340"]
    );
    assert_eq!(
        card_row(&h, "agent:main:sub1"),
        ["qwen-32b", "2h 30m", "2h 00m", "n/a / n/a"]
    );
    assert!(top_of(&h, "agent:main:main") < top_of(&h, "agent:main:sub1"));
}

fn events_harness(
    m: TaskModel,
    state: EventStreamState,
) -> Harness<'static, (TaskModel, EventStreamState)> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1200.0, 700.0))
        .build_ui_state(
            |ui, (m, s): &mut (TaskModel, EventStreamState)| event_stream_ui(ui, m, s, now()),
            (m, state),
        );
    h.run();
    h
}

fn shown(h: &Harness<'_, impl Sized>, needle: &str) -> bool {
    h.query_all_by_label_contains(needle).next().is_some()
}

#[test]
fn event_stream_lists_newest_first_with_type_project_task_worker_and_message() {
    let h = events_harness(busy_model(), EventStreamState::default());
    for msg in [
        "msg-done-3",
        "msg-done-2",
        "msg-done-1",
        "msg-start-1",
        "msg-stalled-5",
    ] {
        assert!(shown(&h, msg), "{msg}");
    }
    assert!(
        shown(&h, "error: boom: tool crashed"),
        "an error reads as one"
    );
    assert!(
        top_of(&h, "boom") < top_of(&h, "msg-done-3"),
        "newest first"
    );
    assert!(top_of(&h, "msg-done-3") < top_of(&h, "msg-stalled-5"));
    assert!(top_of(&h, "msg-done-1") < top_of(&h, "msg-old-1"));
    // A row: time (UTC), type word, project, task, worker, message.
    let row = row_of(&h, "task_failed");
    assert_eq!(row, ["p-beta", "t-4", "w2", "error: boom: tool crashed"]);
    assert!(
        !shown(&h, "msg-heartbeat"),
        "routine events are hidden unless asked for"
    );
    let h = events_harness(
        busy_model(),
        EventStreamState {
            show_routine: true,
            ..EventStreamState::default()
        },
    );
    assert!(shown(&h, "msg-heartbeat"));
}

#[test]
fn event_filters_hide_what_does_not_match() {
    let mut h = events_harness(
        busy_model(),
        EventStreamState {
            project: Some("p-beta".into()),
            ..EventStreamState::default()
        },
    );
    assert!(shown(&h, "msg-done-2") && shown(&h, "boom"));
    assert!(!shown(&h, "msg-done-1") && !shown(&h, "msg-done-3"));

    h.state_mut().1 = EventStreamState {
        task: "T-3".into(),
        ..EventStreamState::default()
    };
    h.run();
    assert!(shown(&h, "msg-done-3"), "part of the id, any case");
    assert!(!shown(&h, "msg-done-2") && !shown(&h, "boom"));

    h.state_mut().1 = EventStreamState {
        event_type: Some("task_failed".into()),
        ..EventStreamState::default()
    };
    h.run();
    assert!(shown(&h, "boom"));
    assert!(!shown(&h, "msg-done") && !shown(&h, "msg-start"));

    h.state_mut().1 = EventStreamState {
        project: Some("p-nowhere".into()),
        ..EventStreamState::default()
    };
    h.run();
    assert!(shown(&h, "No event matches the filters."));
    h.get_by_label("Clear filters").click();
    h.run();
    assert_eq!(h.state().1, EventStreamState::default());
    assert!(shown(&h, "msg-done-1"));
}

#[test]
fn typing_in_the_task_field_filters() {
    let mut h = events_harness(busy_model(), EventStreamState::default());
    let field = h.get_by_role(egui::accesskit::Role::TextInput);
    field.focus();
    h.run();
    h.get_by_role(egui::accesskit::Role::TextInput)
        .type_text("t-1");
    h.run();
    assert_eq!(h.state().1.task, "t-1");
    assert!(shown(&h, "msg-done-1") && shown(&h, "msg-start-1"));
    assert!(!shown(&h, "msg-done-2"));
}

#[test]
fn malformed_frames_and_keepalives_are_never_rows() {
    let mut m = TaskModel::default();
    for ping in [&br#"{"type":"ping"}"#[..], b"pong"] {
        assert!(
            matches!(parse_frame(ping), Ok(Frame::Keepalive(_))),
            "a keepalive is never an event, so it cannot be applied as one"
        );
    }
    assert_eq!(
        parse_frame(br#"{"type":"heartbeat"}"#).unwrap(),
        Frame::Keepalive(Keepalive::Heartbeat)
    );
    m.apply(
        task_event(
            "ok-1",
            "task_completed",
            ago(10),
            "p",
            "t-9",
            "w1",
            r#","message":"msg-real""#,
        ),
        now(),
    );
    let bad = b"{\"event_type\": garbage-frame";
    let error = parse_frame(bad).unwrap_err();
    m.apply(
        EventUpdate::Malformed {
            source: ws_src(),
            at: ago(5),
            error,
            count: 1,
        },
        now(),
    );
    assert_eq!(m.malformed_total(), 1);
    let h = events_harness(m, EventStreamState::default());
    assert!(shown(&h, "msg-real"));
    assert!(!shown(&h, "garbage"), "a malformed frame is not a row");
    assert!(shown(&h, "1 shown of 1 matching; 1 recent event(s) held"));
}

/// A log line of `exec` (step type "tool", output "out-<id>", 120 ms), nothing else set.
fn line(exec: &str, id: &str, at: SystemTime, level: LogLevel, step: &str) -> ExecLog {
    ExecLog {
        id: id.into(),
        execution_id: exec.into(),
        step_name: Some(step.into()),
        step_type: Some("tool".into()),
        input_preview: String::new(),
        output_preview: format!("out-{id}"),
        duration_ms: Some(120),
        timestamp: Some(at),
        error_message: None,
        level,
        status: None,
        progress_pct: None,
    }
}

/// `log` as its stream delivers it.
fn logged(log: ExecLog) -> EventUpdate {
    EventUpdate::ExecLog {
        source: exec_src(&log.execution_id),
        received_at: log.timestamp.unwrap(),
        log: Box::new(log),
    }
}

/// Two executions: `exec-a` running at 40 % and connected; `exec-b` failed, disconnected.
fn executions_model() -> TaskModel {
    let mut m = TaskModel::default();
    let n = now();
    m.apply(
        EventUpdate::ExecConnection {
            source: exec_src("exec-a"),
            execution_id: "exec-a".into(),
            state: ConnectionState::Connected { since: ago(60) },
        },
        n,
    );
    m.apply(
        logged(ExecLog {
            status: Some(ExecStatus::Running),
            progress_pct: Some(40.0),
            ..line("exec-a", "a1", ago(50), LogLevel::Info, "plan")
        }),
        n,
    );
    m.apply(
        logged(line("exec-b", "b1", ago(90), LogLevel::Info, "fetch page")),
        n,
    );
    m.apply(
        logged(line(
            "exec-b",
            "b2",
            ago(80),
            LogLevel::Warning,
            "parse page",
        )),
        n,
    );
    m.apply(
        logged(ExecLog {
            status: Some(ExecStatus::Failed),
            error_message: Some("model timed out".into()),
            ..line("exec-b", "b3", ago(70), LogLevel::Error, "summarize")
        }),
        n,
    );
    m.apply(
        EventUpdate::ExecConnection {
            source: exec_src("exec-b"),
            execution_id: "exec-b".into(),
            state: ConnectionState::Disconnected {
                reason: "closed by the server".into(),
                next_retry_at: n + Duration::from_secs(8),
            },
        },
        n,
    );
    m
}

type ExecHarnessState = (TaskModel, ExecutionsState, Option<PanelAction>);

fn executions_harness(state: ExecutionsState) -> Harness<'static, ExecHarnessState> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1200.0, 800.0))
        .build_ui_state(
            |ui, (m, s, out): &mut ExecHarnessState| {
                if let Some(a) = executions_ui(ui, m, s, now()) {
                    *out = Some(a);
                }
            },
            (executions_model(), state, None),
        );
    h.run();
    h
}

#[test]
fn execution_logs_show_and_a_failed_execution_reads_failed() {
    let mut h = executions_harness(ExecutionsState {
        selected: Some("exec-b".into()),
    });
    // The list: both executions with their status words.
    assert!(h.query_by_label("running").is_some());
    assert!(
        h.query_all_by_label("failed").count() >= 2,
        "list and detail"
    );
    assert!(h.query_by_label("40%").is_some(), "progress of exec-a");
    // exec-b in detail: its log lines in time order, levels as words, the error in its row.
    for step in ["fetch page (tool)", "parse page (tool)", "summarize (tool)"] {
        assert!(h.query_by_label(step).is_some(), "{step}");
    }
    assert!(top_of(&h, "fetch page") < top_of(&h, "summarize"));
    assert_eq!(
        row_of(&h, "summarize (tool)"),
        ["120ms", "model timed out"],
        "step, took, error"
    );
    assert!(h.query_by_label("warning").is_some());
    assert!(h.query_by_label("info").is_some());
    assert!(
        h.query_by_label("— closed by the server; retry in 8s")
            .is_some()
    );
    assert!(
        h.query_by_label("3 · 1 error(s) · 1 warning(s) · 0 replayed")
            .is_some()
    );
    assert_eq!(
        h.query_all_by_label("20s").count(),
        2,
        "duration (list and detail): first to last line of a finished execution"
    );

    h.get_by_label("Reconnect").click();
    h.run();
    assert_eq!(
        h.state().2,
        Some(PanelAction::ReconnectExecution("exec-b".into()))
    );
}

#[test]
fn clicking_an_execution_selects_it() {
    let mut h = executions_harness(ExecutionsState::default());
    assert!(
        h.query_by_label("plan (tool)").is_some(),
        "the first one is shown by default"
    );
    h.get_by_label("exec-b").click();
    h.run();
    assert_eq!(h.state().1.selected.as_deref(), Some("exec-b"));
    assert!(h.query_by_label("summarize (tool)").is_some());
    assert!(h.query_by_label("plan (tool)").is_none());
}

// ---------------------------------------------------------------------------------------------
// Alerts

fn gpu_src() -> SourceId {
    SourceId::new("a", SourceKind::Nvml, "local")
}

fn gpu_key() -> AlertKey {
    AlertKey::new(
        "gpu_temp_high",
        Subject::Gpu {
            node: "a".into(),
            gpu: "gpu0".into(),
        },
    )
}

/// GPU 0 on node `a` at `temp_c` and 96 % VRAM; host memory at 97 %.
fn alert_model(temp_c: f64) -> Model {
    let mut m = Model::new(ModelSettings::default());
    m.register(gpu_src(), Duration::from_secs(2));
    let s = m.source_state_mut(&gpu_src()).unwrap();
    s.health.on_success(t(0));
    s.gpus = vec![
        GpuSample {
            index: Some(0),
            temp_c: Some(temp_c),
            mem_used_bytes: Some(9_600),
            mem_total_bytes: Some(10_000),
            ..GpuSample::default()
        }
        .into(),
    ];
    s.host = Some(HostStats {
        cpu_pct: None,
        mem_pct: Some(97.0),
    });
    m
}

/// Critical GPU temperature and warning VRAM fire at once; host memory waits 60 s (pending).
fn engine() -> Engine {
    let mut rules = RuleSet::empty();
    rules.insert(Rule::threshold(
        "gpu_temp_high",
        Metric::GpuTempC,
        Comparison::Above,
        85.0,
        5.0,
        Duration::ZERO,
        Severity::Critical,
    ));
    rules.insert(Rule::threshold(
        "vram_full",
        Metric::GpuVramPct,
        Comparison::Above,
        95.0,
        5.0,
        Duration::ZERO,
        Severity::Warning,
    ));
    rules.insert(Rule::threshold(
        "host_mem_high",
        Metric::HostMemPct,
        Comparison::Above,
        95.0,
        5.0,
        Duration::from_secs(60),
        Severity::Warning,
    ));
    Engine::new(rules)
}

type AlertHarnessState = (Engine, Option<PanelAction>);

fn alerts_harness(engine: Engine, at: SystemTime) -> Harness<'static, AlertHarnessState> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1300.0, 600.0))
        .build_ui_state(
            move |ui, (e, out): &mut AlertHarnessState| {
                if let Some(a) = alerts_ui(ui, e, at) {
                    *out = Some(a);
                }
            },
            (engine, None),
        );
    h.run();
    h
}

#[test]
fn firing_alerts_read_their_severity_and_acknowledge_returns_the_key() {
    let mut e = engine();
    let events = e.evaluate(&alert_model(92.0), t(10));
    assert_eq!(events.len(), 3, "{events:?}");
    let mut h = alerts_harness(e, t(40));
    assert!(h.query_by_label("critical").is_some());
    assert!(
        h.query_all_by_label("warning").count() >= 2,
        "vram_full firing, host_mem_high pending"
    );
    assert_eq!(h.query_all_by_label("firing").count(), 2);
    assert!(h.query_by_label("pending").is_some());
    assert!(
        h.query_by_label("GPU temperature 92.0 °C (threshold ≥ 85.0 °C)")
            .is_some(),
        "value against threshold, in the metric's unit"
    );
    assert_eq!(h.query_all_by_label("on GPU gpu0 on a").count(), 2);
    assert_eq!(h.query_all_by_label("firing since 30s ago").count(), 2);
    assert!(
        top_of(&h, "gpu_temp_high") < top_of(&h, "vram_full"),
        "critical first"
    );
    assert!(top_of(&h, "vram_full") < top_of(&h, "host_mem_high"));

    let buttons = h.query_all_by_label("Acknowledge").count();
    assert_eq!(buttons, 3);
    // The first button belongs to the first row: the critical GPU alert.
    h.get_all_by_label("Acknowledge").next().unwrap().click();
    h.run();
    assert_eq!(h.state().1, Some(PanelAction::Acknowledge(gpu_key())));

    // The app applies it; the row then says so and offers no second acknowledgement.
    let (mut e, _) = h.into_state();
    assert!(e.acknowledge(&gpu_key()));
    let h = alerts_harness(e, t(40));
    assert!(h.query_by_label("acknowledged").is_some());
    assert_eq!(h.query_all_by_label("Acknowledge").count(), 2);
}

#[test]
fn silence_returns_a_one_hour_silence_of_that_alert_and_can_be_lifted() {
    let mut e = engine();
    e.evaluate(&alert_model(92.0), t(10));
    let mut h = alerts_harness(e, t(40));
    h.get_all_by_label("Silence 1 h").next().unwrap().click();
    h.run();
    let want = SilenceTarget::Alert { key: gpu_key() };
    assert_eq!(
        h.state().1,
        Some(PanelAction::Silence(want.clone(), SILENCE_FOR))
    );
    assert_eq!(SILENCE_FOR, Duration::from_secs(3600));

    let (mut e, _) = h.into_state();
    e.silence(want.clone(), t(40), SILENCE_FOR);
    let mut h = alerts_harness(e, t(40));
    assert!(
        h.query_by_label_contains("silenced until").is_some(),
        "marked, with when it ends"
    );
    h.get_by_label("Lift silence").click();
    h.run();
    assert_eq!(h.state().1, Some(PanelAction::Unsilence(want)));
}

#[test]
fn no_alert_reads_so() {
    let h = alerts_harness(engine(), t(0));
    assert!(h.query_by_label("No alert firing").is_some());
}

#[test]
fn alert_history_is_newest_first() {
    let mut e = engine();
    e.evaluate(&alert_model(92.0), t(10));
    e.evaluate(&alert_model(50.0), t(20));
    let mut h = Harness::builder()
        .with_size(egui::vec2(1300.0, 600.0))
        .build_ui_state(|ui, e: &mut Engine| alert_history_ui(ui, e, t(30)), e);
    h.run();
    let resolved = top_of(&h, "resolved (was firing)");
    let fired = h
        .get_all_by_label("firing (was inactive)")
        .map(|n| n.rect().top())
        .fold(f32::INFINITY, f32::min);
    assert!(resolved < fired, "the resolution is newer: listed first");
    assert!(h.query_by_label("pending (was inactive)").is_some());
    assert!(h.query_all_by_label("critical").count() >= 2);
}

type ToastHarnessState = (ToastState, SystemTime);

fn toasts_harness(toasts: ToastState, at: SystemTime) -> Harness<'static, ToastHarnessState> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1000.0, 600.0))
        .build_ui_state(
            |ui, (toasts, at): &mut ToastHarnessState| {
                ui.label("dashboard");
                toasts_ui(ui.ctx(), toasts, *at);
            },
            (toasts, at),
        );
    h.run();
    h
}

#[test]
fn a_toast_appears_for_a_firing_transition_and_goes_at_its_expiry() {
    let mut e = engine();
    let events = e.evaluate(&alert_model(92.0), t(10));
    let mut toasts = ToastState::new(5, Duration::from_secs(15));
    assert_eq!(
        toasts.push_all(&events, t(10)),
        2,
        "two start firing; the pending one is no toast"
    );
    let mut h = toasts_harness(toasts, t(10));
    assert!(h.query_by_label("gpu_temp_high").is_some());
    assert!(h.query_by_label("vram_full").is_some());
    assert_eq!(h.query_all_by_label("firing").count(), 2);
    assert!(h.query_by_label("critical").is_some());
    assert_eq!(h.query_all_by_label("(was inactive)").count(), 2);
    assert!(h.query_by_label("host_mem_high").is_none());

    // Still there just before its expiry, gone from it on.
    h.state_mut().1 = t(24);
    h.run();
    assert!(h.query_by_label("gpu_temp_high").is_some());
    h.state_mut().1 = t(25);
    h.run();
    assert!(h.query_by_label("gpu_temp_high").is_none());
    assert!(h.state().0.is_empty());
    assert!(h.query_by_label("dashboard").is_some());
}

#[test]
fn a_toast_can_be_dismissed_and_resolutions_replace_firing_toasts() {
    let mut e = engine();
    let mut toasts = ToastState::default();
    toasts.push_all(&e.evaluate(&alert_model(92.0), t(10)), t(10));
    // The GPU cools down: its toast turns into a resolution, not a second toast.
    let events = e.evaluate(&alert_model(50.0), t(12));
    assert!(events.iter().any(|ev| ev.to == AlertState::Resolved));
    toasts.push_all(&events, t(12));
    assert_eq!(toasts.len(), 2);
    let mut h = toasts_harness(toasts, t(12));
    assert!(h.query_by_label("resolved").is_some());
    assert_eq!(h.query_all_by_label("×").count(), 2);
    h.get_all_by_label("×").next().unwrap().click();
    h.run();
    assert_eq!(h.state().0.len(), 1);
    assert_eq!(h.query_all_by_label("×").count(), 1);
}

#[test]
fn acknowledged_alerts_raise_no_toast() {
    let mut e = engine();
    e.evaluate(&alert_model(92.0), t(10));
    assert!(e.acknowledge(&gpu_key()));
    let events = e.evaluate(&alert_model(50.0), t(12));
    let mut toasts = ToastState::default();
    assert_eq!(toasts.push_all(&events, t(12)), 0, "{events:?}");
}

fn add_line(h: &mut Harness<'_, ExecHarnessState>, i: u64) {
    h.state_mut().0.apply(
        logged(line(
            "exec-a",
            &format!("l{i}"),
            ago(600 - i),
            LogLevel::Info,
            &format!("step-{i:02}"),
        )),
        now(),
    );
    h.run();
}

#[test]
fn log_pane_follows_the_newest_line_until_the_user_scrolls_up() {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1200.0, 800.0))
        .build_ui_state(
            |ui, (m, s, out): &mut ExecHarnessState| {
                if let Some(a) = executions_ui(ui, m, s, now()) {
                    *out = Some(a);
                }
            },
            (TaskModel::default(), ExecutionsState::default(), None),
        );
    for i in 0..60 {
        add_line(&mut h, i);
    }
    assert!(
        h.query_by_label("step-59 (tool)").is_some(),
        "at the newest line"
    );
    assert!(
        h.query_by_label("step-00 (tool)").is_none(),
        "the oldest are scrolled out (and not built)"
    );
    // The user scrolls up (AccessKit's scroll action: what a screen reader or a test sends;
    // egui treats it as a manual scroll, like the wheel or the scroll bar).
    h.get_by_label("step-59 (tool)").scroll_up();
    h.run();
    assert!(h.query_by_label("step-59 (tool)").is_none(), "scrolled up");
    // New lines do not move a view the user scrolled.
    add_line(&mut h, 60);
    add_line(&mut h, 61);
    assert!(h.query_by_label("step-61 (tool)").is_none());
    assert!(
        h.query_by_label("step-50 (tool)").is_some(),
        "still where it was"
    );
    // Back at the end, it follows again.
    for _ in 0..10 {
        h.get_all_by_label_contains("step-")
            .last()
            .unwrap()
            .scroll_down();
        h.run();
    }
    assert!(h.query_by_label("step-61 (tool)").is_some());
    add_line(&mut h, 62);
    assert!(h.query_by_label("step-62 (tool)").is_some());
}
