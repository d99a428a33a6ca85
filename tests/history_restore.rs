//! What a restart brings back, at explicit times: the last 1 h / 24 h task statistics include
//! what was seen before it, the alert history and the error list come back, the throughput plot
//! starts with what was recorded; and a rewound dashboard (kittest) shows a GPU's value at a
//! past moment, with the "not live" banner and the alerts firing then.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use swarmglass::alerts::Engine;
use swarmglass::config::AlertsConfig;
use swarmglass::history::{HistorySettings, rewind, unix_ms};
use swarmglass::model::ids::{SourceId, SourceKind};
use swarmglass::model::input::{Event, EventType, EventUpdate, SourceError, SourceUpdate};
use swarmglass::model::{Model, ModelSettings};
use swarmglass::recording::Recording;
use swarmglass::testdata;
use swarmglass::ui::history::HistoryFrame;
use swarmglass::ui::{UiState, dashboard_ui};

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

/// 2023-11-14 22:00:00 UTC, a whole hour.
fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_699_999_200)
}

fn settings(dir: &std::path::Path) -> HistorySettings {
    HistorySettings {
        dir: Some(dir.to_owned()),
        ..HistorySettings::default()
    }
}

fn beta() -> SourceId {
    SourceId::new(
        "beta",
        SourceKind::Prometheus,
        "http://10.0.0.9:9400/metrics",
    )
}

fn completed(id: &str, at: SystemTime) -> SourceUpdate {
    let mut e = Event::new(id, EventType::TaskCompleted);
    e.ts = Some(at);
    e.duration_ms = Some(1500);
    SourceUpdate::agents(EventUpdate::Event {
        source: SourceId::new("nexus", SourceKind::NexusWs, "ws://127.0.0.1:1/ws"),
        received_at: at,
        event: Box::new(e),
    })
}

#[test]
fn a_restart_keeps_task_statistics_alert_history_errors_and_the_plot() {
    let dir = tempfile::tempdir().unwrap();
    let rules = AlertsConfig::default().rules;
    let start = t0();
    // First run: 10 minutes of a 1-node cluster, 5 tasks completed, one error, a hot GPU.
    {
        let mut model = Model::new(ModelSettings::default());
        let mut engine = Engine::new(rules.clone());
        let mut rec =
            Recording::start(&settings(dir.path()), &mut model, &mut engine, start).unwrap();
        model.register(beta(), Duration::from_secs(2));
        for s in 0..600_u64 {
            let now = start + Duration::from_secs(s);
            testdata::apply_node(&mut model, 0, 1, start, s as f64);
            if s % 100 == 50 {
                model.apply(completed(&format!("task-{s}"), now), now);
            }
            if (300..303).contains(&s) {
                // An exporter that stops answering: an error, and an alert.
                model.apply(
                    SourceUpdate::Scrape {
                        source: beta(),
                        at: now,
                        result: Err(SourceError::Connect {
                            url: "http://10.0.0.9:9400/metrics".into(),
                            reason: "connection refused".into(),
                        }),
                    },
                    now,
                );
            }
            model.tick(now);
            engine.evaluate(&model, now);
            rec.tick(&mut model, &engine, now);
        }
        assert_eq!(
            model
                .tasks
                .task_stats(DAY, start + Duration::from_secs(600))
                .completed,
            6
        );
        rec.finish(&mut model, &engine, start + Duration::from_secs(600));
    }
    // Restarted 2 minutes later, with nothing new yet.
    let later = start + Duration::from_secs(720);
    let mut model = Model::new(ModelSettings::default());
    let mut engine = Engine::new(rules);
    let rec = Recording::start(&settings(dir.path()), &mut model, &mut engine, later).unwrap();
    assert_eq!(model.tasks.task_stats(HOUR, later).completed, 6);
    assert_eq!(model.tasks.task_stats(DAY, later).completed, 6);
    assert!(
        model
            .errors
            .recent()
            .iter()
            .any(|e| e.kind == "connect" && e.source.contains("10.0.0.9")),
        "{:?}",
        model.errors.recent()
    );
    assert!(engine.history().len() > 0, "alert history comes back");
    // The throughput plot: one point per recorded second before the restart, then nothing.
    let points: Vec<_> = model
        .gen_tps_history
        .iter()
        .filter(|p| p.1.is_some())
        .collect();
    assert!(points.len() >= 590, "{} points", points.len());
    assert_eq!(
        model.gen_tps_history.iter().last().map(|p| p.1),
        Some(None),
        "the time it was not running ends in a gap"
    );
    drop(rec);
}

#[test]
fn rewind_draws_a_gpu_as_it_was_with_the_banner() {
    let dir = tempfile::tempdir().unwrap();
    let start = t0();
    let mut model = Model::new(ModelSettings::default());
    let mut engine = Engine::new(swarmglass::config::alerts::RuleSet::empty());
    let mut rec = Recording::start(&settings(dir.path()), &mut model, &mut engine, start).unwrap();
    for s in 0..400_u64 {
        let now = start + Duration::from_secs(s);
        testdata::apply_node(&mut model, 0, 2, start, s as f64);
        model.tick(now);
        rec.tick(&mut model, &engine, now);
    }
    // A moment when GPU 1 read a temperature GPU 0 did not, and that it no longer reads.
    let temp = |s: u64, g: usize| {
        testdata::dcgm_scrape(0, 2, s as f64).gpus[g]
            .temp_c
            .unwrap()
    };
    let moment = (60..390)
        .find(|&s| temp(s, 1) != temp(s, 0) && temp(s, 1) != temp(399, 1))
        .expect("the test data has such a moment");
    let at = start + Duration::from_secs(moment);
    let then = temp(moment, 1);
    let rewound = rewind::model_at(rec.history().store(), at, &ModelSettings::default()).unwrap();
    let mut state = UiState::default();
    state.history.rewind = Some(unix_ms(at));
    let frame = HistoryFrame {
        from_ms: unix_ms(at) - 900_000,
        to_ms: unix_ms(at),
        oldest_ms: Some(unix_ms(start)),
        ..HistoryFrame::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1600.0, 1400.0))
        .build_ui_state(
            move |ui, (model, state): &mut (Model, UiState)| {
                dashboard_ui(ui, model, &engine, state, Some(&frame), at);
            },
            (rewound, state),
        );
    h.run();
    let shown = format!("{then:.0} °C");
    assert!(
        h.query_by_label(&shown).is_some(),
        "GPU 1 at that moment reads {shown}"
    );
    assert!(
        h.query_by_label_contains(&format!(
            "Not live: the dashboard as it was at {}",
            swarmglass::format::timestamp(at)
        ))
        .is_some()
    );
    assert!(h.query_by_label("Alerts firing then").is_some());
    assert!(
        h.query_by_label("updated just now").is_some(),
        "the header counts from the moment shown"
    );
    // "Live" goes back.
    h.get_all_by_label("Live").next().unwrap().click();
    h.run();
    assert_eq!(h.state().1.history.rewind, None);
}

#[test]
fn a_live_plot_keeps_one_memory_entry_however_long_it_runs() {
    // Live, the range ends at a new second every frame; egui keeps memory per plot id, so the
    // window's memory must not grow with the frames drawn.
    let model = testdata::sample_model(1, 1, 60, t0());
    let engine = Engine::new(swarmglass::config::alerts::RuleSet::empty());
    let points: Vec<(i64, Option<f64>)> = (0..60)
        .map(|s| (unix_ms(t0()) - 60_000 + s * 1000, Some(100.0 + s as f64)))
        .collect();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(
            move |ui, (model, state, second): &mut (Model, UiState, i64)| {
                *second += 1;
                let to_ms = unix_ms(t0()) + *second * 1000;
                let frame = HistoryFrame {
                    from_ms: to_ms - 900_000,
                    to_ms,
                    oldest_ms: Some(to_ms - 900_000),
                    throughput: [points.clone(), points.clone()],
                    ..HistoryFrame::default()
                };
                dashboard_ui(ui, model, &engine, state, Some(&frame), t0());
            },
            (model, UiState::default(), 0),
        );
    h.run();
    let entries = |h: &Harness<'_, (Model, UiState, i64)>| h.ctx.memory(|m| m.data.len());
    let before = entries(&h);
    for _ in 0..50 {
        h.step();
    }
    let after = entries(&h);
    assert!(
        after <= before + 2,
        "memory entries grew from {before} to {after}"
    );
}

#[test]
fn scrolling_a_plot_sideways_pans_it_into_a_custom_range() {
    let model = testdata::sample_model(1, 1, 60, t0());
    let engine = Engine::new(swarmglass::config::alerts::RuleSet::empty());
    let to_ms = unix_ms(t0());
    let points: Vec<(i64, Option<f64>)> = (0..900)
        .map(|s| (to_ms - 900_000 + s * 1000, Some(100.0 + (s % 60) as f64)))
        .collect();
    let frame = HistoryFrame {
        from_ms: to_ms - 900_000,
        to_ms,
        oldest_ms: Some(to_ms - 900_000),
        throughput: [points.clone(), points],
        ..HistoryFrame::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(
            move |ui, (model, state): &mut (Model, UiState)| {
                dashboard_ui(ui, model, &engine, state, Some(&frame), t0());
            },
            (model, UiState::default()),
        );
    h.run();
    // The Generation plot sits above its stats line.
    let stats = h.get_by_label("Generation").rect();
    let over_plot = egui::pos2(stats.left() + 200.0, stats.top() - 60.0);
    h.event(egui::Event::PointerMoved(over_plot));
    h.run();
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(120.0, 0.0),
        modifiers: egui::Modifiers::NONE,
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
    });
    h.run();
    let range = h.state().1.history.range;
    let swarmglass::ui::history::TimeRange::Custom {
        from_ms,
        to_ms: end,
    } = range
    else {
        panic!("a sideways scroll pans the plot into a custom range: {range:?}");
    };
    assert!(
        end - from_ms > 800_000 && end - from_ms < 1_000_000,
        "{range:?}"
    );
    assert_ne!(end, to_ms, "moved");
}

/// The dashboard at `t0()` with history on (a 15-minute frame, no points), so cards and the
/// fleet matrix open detail views.
fn dashboard_with_history(
    model: Model,
    engine: Engine,
    size: egui::Vec2,
) -> Harness<'static, (Model, UiState)> {
    let frame = HistoryFrame {
        from_ms: unix_ms(t0()) - 900_000,
        to_ms: unix_ms(t0()),
        oldest_ms: Some(unix_ms(t0()) - 900_000),
        ..HistoryFrame::default()
    };
    Harness::builder().with_size(size).build_ui_state(
        move |ui, (model, state): &mut (Model, UiState)| {
            dashboard_ui(ui, model, &engine, state, Some(&frame), t0());
        },
        (model, UiState::default()),
    )
}

#[test]
fn cards_are_reached_with_the_keyboard_and_enter_opens_one() {
    let model = testdata::sample_model(2, 1, 60, t0());
    let gpus: Vec<_> = model
        .views()
        .gpus
        .iter()
        .map(swarmglass::ui::jump::gpu_target)
        .collect();
    let engine = Engine::new(swarmglass::config::alerts::RuleSet::empty());
    let mut h = dashboard_with_history(model, engine, egui::vec2(1600.0, 1400.0));
    h.run();
    // Shift+Tab walks the cards from the last one back (servers, GPUs, the cluster's nodes);
    // Enter opens the one that has the focus.
    let mut opened = Vec::new();
    for _ in 0..6 {
        h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::Tab);
        h.run();
        h.key_press(egui::Key::Enter);
        h.run();
        if let Some(t) = h.state_mut().1.history.detail.take() {
            opened.push(t);
        }
    }
    assert!(
        gpus.iter().all(|g| opened.contains(g)),
        "both GPU cards opened from the keyboard: {opened:?}"
    );
}

/// The text field of the "Jump to" palette: it takes the focus when the palette opens (the
/// range bar has text fields too).
fn jump_field<'h, S>(h: &'h Harness<'_, S>) -> egui_kittest::Node<'h> {
    h.query_all_by_role(egui::accesskit::Role::TextInput)
        .find(egui_kittest::Node::is_focused)
        .expect("the palette's field, focused")
}

#[test]
fn jump_to_finds_a_gpu_by_words_of_its_name_and_opens_its_detail_view() {
    use swarmglass::history::detail::Target;
    let model = testdata::sample_model(12, 2, 60, t0());
    let want = model
        .views()
        .gpus
        .iter()
        .find(|c| *c.node == *testdata::node_name(11) && c.gpu.index == Some(1))
        .map(swarmglass::ui::jump::gpu_target)
        .unwrap();
    let engine = Engine::new(swarmglass::config::alerts::RuleSet::empty());
    let mut h = dashboard_with_history(model, engine, egui::vec2(1600.0, 1200.0));
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    h.run();
    h.get_by_label("Jump to");
    // Words in any order and case match (both of node-11's GPUs: "1" is in "node-11" too)...
    jump_field(&h).type_text("NODE-11 gpu");
    h.run();
    assert_eq!(h.query_all_by_label_contains("on node-11").count(), 2);
    // Esc closes it; opened again it starts empty, and what holds the words as typed comes
    // first.
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(h.query_by_label("Jump to").is_none());
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    h.run();
    jump_field(&h).type_text("gpu 1 on node-11");
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(h.state().1.history.detail, Some(want));
    assert!(!h.state().1.jump.open, "the palette closes");
    // A node, by a part of its name, with the arrows.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    h.run();
    jump_field(&h).type_text("node-0");
    h.run();
    h.key_press(egui::Key::ArrowDown);
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(
        h.state().1.history.detail,
        Some(Target::Node {
            node: testdata::node_name(1)
        }),
        "the second match: node-01"
    );
}

#[test]
fn clicking_a_gpu_card_opens_its_detail_view_with_its_own_alerts() {
    use swarmglass::alerts::{AlertEvent, AlertState, Subject};
    use swarmglass::config::alerts::Severity;
    let model = testdata::sample_model(1, 2, 60, t0());
    let cards = model.views().gpus.clone();
    let mut engine = Engine::new(swarmglass::config::alerts::RuleSet::empty());
    let event = |gpu: &str, message: &str| AlertEvent {
        rule: "gpu_temp_high".into(),
        subject: Subject::Gpu {
            node: testdata::node_name(0),
            gpu: gpu.to_owned(),
        },
        severity: Severity::Critical,
        from: AlertState::Pending,
        to: AlertState::Firing,
        value: Some(91.0),
        threshold: Some(85.0),
        message: message.to_owned(),
        at: t0(),
        suppressed: None,
    };
    engine.restore_history(vec![
        event(&cards[0].gpu.key(), "GPU zero is hot"),
        event(&cards[1].gpu.key(), "GPU one is hot"),
    ]);
    let mut h = dashboard_with_history(model, engine, egui::vec2(1400.0, 1200.0));
    h.run();
    h.get_by_label("GPU 1").click();
    h.run();
    let title = format!("GPU {} on {}", cards[1].gpu.key(), testdata::node_name(0));
    assert!(
        h.query_all_by_label(&title).next().is_some(),
        "the detail window: {title}"
    );
    // Each alert is once in the dashboard's alert history; the detail view adds only its own.
    let count =
        |h: &Harness<'_, (Model, UiState)>, text: &str| h.query_all_by_label_contains(text).count();
    assert_eq!(count(&h, "GPU one is hot"), 2, "in the detail view too");
    assert_eq!(
        count(&h, "GPU zero is hot"),
        1,
        "another GPU's alert is not this GPU's history"
    );
}

#[test]
fn a_click_in_the_fleet_matrix_opens_that_nodes_detail_view() {
    // 40 nodes × 4 GPUs: above the 128 cards where `Auto` shows the matrix.
    let model = testdata::sample_model(40, 4, 60, t0());
    let engine = Engine::new(swarmglass::config::alerts::RuleSet::empty());
    let mut h = dashboard_with_history(model, engine, egui::vec2(1600.0, 1400.0));
    h.run();
    assert!(
        h.query_all_by_label_contains("GPU 3").next().is_none(),
        "no GPU card: the matrix stands for them"
    );
    assert!(
        h.query_all_by_label_contains("Node node-").next().is_none(),
        "no detail view before the click"
    );
    h.get_by_label("GPU matrix: 160 GPUs on 40 nodes").click();
    h.run();
    assert!(
        h.query_all_by_label_contains("Node node-").next().is_some(),
        "a node's detail view opened"
    );
}
