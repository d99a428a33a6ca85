//! The wall view drawn with egui_kittest (no display) on the screens a wall meets — 1280×720,
//! 1920×1080, 3840×2160 and a portrait 1080×1920 — over scripted models: every section on
//! screen with nothing to scroll (each title's rectangle and every painted text inside the
//! screen), type read from 3 m (state words and key numbers ≥ 4 % of a 1080p screen's height,
//! nothing below 1.8 %), overflow counted, pages of a very large cluster named, and a firing
//! critical alert a band across the top.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, SystemTime};

use egui::{Rect, pos2, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use swarmglass::alerts::Engine;
use swarmglass::config::alerts::{Comparison, Metric, Rule, RuleSet, Severity};
use swarmglass::config::wall::{WallSection, WallSettings};
use swarmglass::model::Model;
use swarmglass::model::ids::{SourceId, SourceKind};
use swarmglass::model::input::{ConnectionState, EventUpdate, SourceError, SourceUpdate};
use swarmglass::model::scrape::ScrapeData;
use swarmglass::sources::events::nexus::{Frame, parse_frame};
use swarmglass::testdata;
use swarmglass::ui::{UiState, dashboard_ui};

const SCREENS: [(f32, f32); 4] = [
    (1280.0, 720.0),
    (1920.0, 1080.0),
    (3840.0, 2160.0),
    (1080.0, 1920.0),
];

/// The titles of the sections a full wall shows.
const TITLES: [&str; 6] = [
    "GPUs",
    "Throughput, tokens/s",
    "Active sessions",
    "Task stats",
    "Firing",
    "Recent errors",
];

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

fn ws() -> SourceId {
    SourceId::new("nexus", SourceKind::NexusWs, "ws://127.0.0.1:8765/ws")
}

/// `nodes` × `gpus` from the test data, with an agent stream that finished a few tasks.
fn wall_model(nodes: usize, gpus: usize) -> Model {
    let n = now();
    let mut m = testdata::sample_model(nodes, gpus, 120, n);
    m.apply(
        SourceUpdate::Agents(Box::new(EventUpdate::Connection {
            source: ws(),
            state: ConnectionState::Connected {
                since: n - Duration::from_secs(600),
            },
        })),
        n,
    );
    for i in 0..5 {
        let at = n - Duration::from_secs(60 * (i + 1));
        let json = format!(
            r#"{{"event_id":"e{i}","event_type":"task_completed","ts":"{}","project_id":"p","task_id":"t{i}","worker_id":"w1","duration_ms":4200}}"#,
            humantime::format_rfc3339_seconds(at)
        );
        let Frame::Event(event) = parse_frame(json.as_bytes()).unwrap() else {
            panic!("not an event")
        };
        m.apply(
            SourceUpdate::Agents(Box::new(EventUpdate::Event {
                source: ws(),
                received_at: at,
                event,
            })),
            at,
        );
    }
    m
}

fn wall_state(settings: WallSettings) -> UiState {
    UiState {
        wall: true,
        wall_settings: settings,
        ..UiState::default()
    }
}

fn harness(
    model: Model,
    engine: Engine,
    state: UiState,
    size: (f32, f32),
    at: SystemTime,
) -> Harness<'static, (Model, Engine, UiState)> {
    let mut h = Harness::builder()
        .with_size(vec2(size.0, size.1))
        .build_ui_state(
            move |ui, (model, engine, state): &mut (Model, Engine, UiState)| {
                dashboard_ui(ui, model, engine, state, None, at);
            },
            (model, engine, state),
        );
    h.run();
    h
}

/// Every text painted in the last frame: its words, its size in points, its rectangle.
fn painted<S>(h: &Harness<'_, S>) -> Vec<(String, f32, Rect)> {
    fn walk(shape: &egui::Shape, clip: Rect, out: &mut Vec<(String, f32, Rect)>) {
        match shape {
            egui::Shape::Text(t) => {
                let rect = t.visual_bounding_rect().intersect(clip);
                for s in &t.galley.job.sections {
                    let words =
                        t.galley.job.text[s.byte_range.start.0..s.byte_range.end.0].to_owned();
                    if !words.trim().is_empty() && rect.is_positive() {
                        out.push((words, s.format.font_id.size, rect));
                    }
                }
            }
            egui::Shape::Vec(v) => v.iter().for_each(|s| walk(s, clip, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for clipped in &h.output().shapes {
        walk(&clipped.shape, clipped.clip_rect, &mut out);
    }
    out
}

/// The text a screen reader gets for a node.
fn text_of<'t>(n: &impl NodeT<'t>) -> String {
    let a = n.accesskit_node();
    a.label().or_else(|| a.value()).unwrap_or_default()
}

/// An engine whose one rule, `gpu_busy` at `severity`, fires for every GPU of `model` at once.
fn every_gpu_busy(model: &Model, severity: Severity) -> Engine {
    let mut rules = RuleSet::empty();
    rules.insert(Rule::threshold(
        "gpu_busy",
        Metric::GpuUtilPct,
        Comparison::Above,
        0.0,
        0.0,
        Duration::ZERO,
        severity,
    ));
    let mut engine = Engine::new(rules);
    engine.evaluate(model, now());
    engine
}

fn screen(size: (f32, f32)) -> Rect {
    Rect::from_min_size(pos2(0.0, 0.0), vec2(size.0, size.1))
}

#[test]
fn every_section_is_on_screen_without_scrolling_at_every_size() {
    for size in SCREENS {
        let h = harness(
            wall_model(8, 2),
            Engine::new(RuleSet::empty()),
            wall_state(WallSettings::default()),
            size,
            now(),
        );
        let screen = screen(size);
        for title in TITLES.into_iter().chain(["all up", "nodes up", "Failover"]) {
            let r = h.get_by_label(title).rect();
            assert!(
                screen.contains_rect(r),
                "{size:?}: `{title}` at {r:?} is off the screen"
            );
        }
        // Nothing painted below or beside the screen (which a scrolling page would).
        for (words, _, r) in painted(&h) {
            assert!(
                screen.expand(0.5).contains_rect(r),
                "{size:?}: `{words}` at {r:?} is off the screen"
            );
        }
        // The sections do not overlap: each title sits in its own place.
        let mut tops: Vec<(f32, f32)> = TITLES
            .iter()
            .map(|t| {
                let r = h.get_by_label(t).rect();
                (r.left(), r.top())
            })
            .collect();
        tops.sort_by(|a, b| a.partial_cmp(b).unwrap());
        tops.dedup();
        assert_eq!(tops.len(), TITLES.len(), "{size:?}");
    }
}

#[test]
fn type_is_sized_to_be_read_from_three_metres() {
    for size in SCREENS {
        let short_side = size.0.min(size.1);
        let h = harness(
            wall_model(8, 2),
            Engine::new(RuleSet::empty()),
            wall_state(WallSettings::default()),
            size,
            now(),
        );
        let texts = painted(&h);
        assert!(texts.len() > 40, "{size:?}: {} texts", texts.len());
        for (words, pt, _) in &texts {
            assert!(
                *pt >= 0.018 * short_side,
                "{size:?}: `{words}` is {pt} pt, under 1.8 % of {short_side}"
            );
        }
        let size_of = |needle: &str| {
            texts
                .iter()
                .find(|(w, _, _)| w == needle)
                .map(|(_, pt, _)| *pt)
                .unwrap_or_else(|| panic!("{size:?}: `{needle}` not painted"))
        };
        // The state word and the key numbers: the overall state, nodes up, a GPU's utilisation,
        // tasks completed.
        for key in ["all up", "8 / 8", "5"] {
            assert!(
                size_of(key) >= 0.04 * short_side,
                "{size:?}: `{key}` is {} pt, under 4 % of {short_side}",
                size_of(key)
            );
        }
        let util = texts
            .iter()
            .find(|(w, _, _)| w.ends_with('%') && w.len() <= 4)
            .expect("a GPU's utilisation");
        assert!(util.1 >= 0.04 * short_side, "{size:?}: {util:?}");
    }
}

#[test]
fn gpus_that_do_not_fit_as_cards_become_the_matrix_and_pages_are_named() {
    // 64 × 8: the matrix, all on one page.
    let h = harness(
        wall_model(64, 8),
        Engine::new(RuleSet::empty()),
        wall_state(WallSettings::default()),
        (1920.0, 1080.0),
        now(),
    );
    h.get_by_label("GPU matrix: 512 GPUs on 64 nodes");
    assert!(h.query_by_label_contains("page").is_none());

    // 1,000 × 8 on a 720p wall: pages, the page and its nodes named, every node on some page.
    let settings = WallSettings::default();
    let model = wall_model(1000, 8);
    let mut first_nodes = Vec::new();
    let mut first_page = None;
    let mut covered = 0;
    let mut pages = 0;
    for page in 0..40u64 {
        let at = now() + settings.page_every * u32::try_from(page).unwrap();
        let h = harness(
            model.clone(),
            Engine::new(RuleSet::empty()),
            wall_state(settings.clone()),
            (1280.0, 720.0),
            at,
        );
        let note = text_of(&h.get_by_label_contains("page "));
        let (p, of) = {
            let rest = &note[note.find("page ").unwrap() + 5..];
            let mut it = rest.split(" of ");
            let p: usize = it.next().unwrap().parse().unwrap();
            let of: usize = it
                .next()
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            (p, of)
        };
        assert!(
            note.starts_with("8000"),
            "the whole count stays said: {note}"
        );
        pages = of;
        assert!(of > 1, "{note}");
        let matrix = text_of(&h.get_by_label_contains("GPU matrix:"));
        let nodes: usize = matrix
            .split(" on ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        if first_page.is_some_and(|f| f == p) {
            break;
        }
        first_page.get_or_insert(p);
        first_nodes.push(note.clone());
        covered += nodes;
    }
    assert_eq!(
        first_nodes.len(),
        pages,
        "each page came once before the first again"
    );
    assert_eq!(covered, 1000, "every node is on one of the pages");
}

#[test]
fn a_firing_critical_alert_takes_a_band_across_the_top() {
    let model = wall_model(8, 2);
    let engine = every_gpu_busy(&model, Severity::Critical);
    assert!(engine.firing().count() > 1);
    for size in SCREENS {
        let h = harness(
            model.clone(),
            engine.clone(),
            wall_state(WallSettings::default()),
            size,
            now(),
        );
        let band = h.get_by_label("CRITICAL").rect();
        assert!(band.top() < 0.11 * size.1, "{size:?}: {band:?}");
        assert!(h.get_by_label("all up").rect().top() > band.bottom());
        h.get_by_label_contains("more critical");
        let firing = h.get_by_label("Firing").rect();
        assert!(screen(size).contains_rect(firing));
    }
    let calm = harness(
        model,
        Engine::new(RuleSet::empty()),
        wall_state(WallSettings::default()),
        (1920.0, 1080.0),
        now(),
    );
    assert!(calm.query_by_label("CRITICAL").is_none());
}

#[test]
fn errors_that_do_not_fit_are_counted() {
    let mut model = wall_model(8, 1);
    for i in 0..40 {
        let url = format!("http://10.9.0.{i}:8000/metrics");
        let src = SourceId::new(format!("far-{i}"), SourceKind::Prometheus, url.clone());
        model.register(src.clone(), Duration::from_secs(1));
        model.apply(
            SourceUpdate::Scrape {
                source: src,
                at: now(),
                result: Err::<ScrapeData, _>(SourceError::Connect {
                    url,
                    reason: "connection refused".into(),
                }),
            },
            now(),
        );
    }
    let h = harness(
        model,
        Engine::new(RuleSet::empty()),
        wall_state(WallSettings::default()),
        (1280.0, 720.0),
        now(),
    );
    let more = h
        .query_all_by_label_contains("more")
        .map(|n| text_of(&n))
        .find(|t| t.ends_with(" more"))
        .expect("a +N more line under the errors");
    let hidden: usize = more
        .trim_start_matches('+')
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // Error rows read "12:00:00  ×1 <message> — <source>" (the cluster line names down nodes too).
    let rows = h
        .query_all_by_label_contains("connection refused")
        .filter(|n| text_of(n).contains('×'))
        .count();
    assert!(rows >= 1, "some rows are shown");
    assert_eq!(rows + hidden, 40, "shown + counted = all ({more})");
}

#[test]
fn the_wall_shows_what_the_config_names_and_leaves_agents_out_where_none_report() {
    let only = WallSettings {
        show: vec![WallSection::Cluster, WallSection::Errors],
        ..WallSettings::default()
    };
    let h = harness(
        wall_model(8, 2),
        Engine::new(RuleSet::empty()),
        wall_state(only),
        (1920.0, 1080.0),
        now(),
    );
    assert!(h.query_by_label("GPUs").is_none());
    assert!(h.query_by_label("Recent errors").is_some());

    let gpu_only = testdata::sample_model(8, 2, 60, now());
    let h = harness(
        gpu_only,
        Engine::new(RuleSet::empty()),
        wall_state(WallSettings::default()),
        (1920.0, 1080.0),
        now(),
    );
    assert!(h.query_by_label("Active sessions").is_none());
    assert!(h.query_by_label("Task stats").is_none());
    assert!(h.query_by_label("GPUs").is_some());
}

#[test]
fn many_alerts_of_one_rule_are_one_row_as_on_the_desk() {
    let model = wall_model(8, 2);
    let engine = every_gpu_busy(&model, Severity::Warning);
    assert_eq!(engine.firing().count(), 16);
    let h = harness(
        model,
        engine,
        wall_state(WallSettings::default()),
        (1920.0, 1080.0),
        now(),
    );
    h.get_by_label("gpu_busy · 16 subjects");
    assert!(h.query_by_label_contains("more firing").is_none());
}
