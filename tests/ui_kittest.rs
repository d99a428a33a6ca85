//! The dashboard drawn with egui_kittest (no display, no GPU) over scripted models built with
//! `Model::apply` of hand-made updates at explicit times: the labels and states a user reads
//! must be there, missing figures must read "n/a", errors must be deduplicated. Missing glyphs
//! panic in the harness, so every icon used is checked against the bundled fonts too.

use std::time::{Duration, SystemTime};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use swarmglass::alerts::Engine;
use swarmglass::config::alerts::RuleSet;
use swarmglass::model::gpu::GpuSample;
use swarmglass::model::ids::{SourceId, SourceKind};
use swarmglass::model::input::{SourceError, SourceUpdate};
use swarmglass::model::status::{ClusterStatus, StatusNode};
use swarmglass::model::{Model, ModelSettings};
use swarmglass::testdata;
use swarmglass::ui::{Density, UiState, dashboard_ui};

const GIB: u64 = 1 << 30;

fn t(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
}

fn alpha_vllm() -> SourceId {
    SourceId::new(
        "alpha",
        SourceKind::Prometheus,
        "http://10.0.0.2:8000/metrics",
    )
}
fn alpha_dcgm() -> SourceId {
    SourceId::new(
        "alpha",
        SourceKind::Prometheus,
        "http://10.0.0.2:9400/metrics",
    )
}
fn beta_dcgm() -> SourceId {
    SourceId::new(
        "beta",
        SourceKind::Prometheus,
        "http://10.0.0.3:9400/metrics",
    )
}
fn proxy() -> SourceId {
    SourceId::new("cluster", SourceKind::Status, "http://10.0.0.1:9199/status")
}

/// Two GPUs on alpha: GPU 0 fully reported, GPU 1 without temperature or power.
fn alpha_gpus() -> Vec<GpuSample> {
    vec![
        GpuSample {
            index: Some(0),
            uuid: Some("GPU-aaaa".into()),
            name: Some("NVIDIA H100 80GB HBM3".into()),
            util_pct: Some(82.0),
            mem_used_bytes: Some(60 * GIB),
            mem_total_bytes: Some(80 * GIB),
            temp_c: Some(45.0),
            power_w: Some(310.0),
            power_limit_w: Some(700.0),
            ..GpuSample::default()
        },
        GpuSample {
            index: Some(1),
            uuid: Some("GPU-bbbb".into()),
            name: Some("NVIDIA H100 80GB HBM3".into()),
            util_pct: Some(12.0),
            mem_used_bytes: Some(20 * GIB),
            mem_total_bytes: Some(80 * GIB),
            temp_c: None,
            power_w: None,
            ..GpuSample::default()
        },
    ]
}

fn beta_error() -> SourceError {
    SourceError::Connect {
        url: "http://10.0.0.3:9400/metrics".into(),
        reason: "connection refused".into(),
    }
}

/// alpha up (vLLM + GPUs), beta's exporter refusing connections three times (down), the proxy
/// saying beta is unhealthy.
fn degraded_model() -> Model {
    let mut m = Model::new(ModelSettings::default());
    for id in [alpha_vllm(), alpha_dcgm(), beta_dcgm(), proxy()] {
        m.register(id, Duration::from_secs(2));
    }
    for (k, at) in [t(0), t(2)].into_iter().enumerate() {
        let mut scrape = testdata::vllm_scrape(0, 2.0 * k as f64);
        scrape.inference[0].model = Some("Qwen2.5-32B-Instruct-AWQ".into());
        m.apply(
            SourceUpdate::Scrape {
                source: alpha_vllm(),
                at,
                result: Ok(scrape),
            },
            at,
        );
        let mut gpus = testdata::dcgm_scrape(0, 0, 0.0);
        gpus.gpus = alpha_gpus();
        m.apply(
            SourceUpdate::Scrape {
                source: alpha_dcgm(),
                at,
                result: Ok(gpus),
            },
            at,
        );
    }
    for at in [t(1), t(3), t(5)] {
        m.apply(
            SourceUpdate::Scrape {
                source: beta_dcgm(),
                at,
                result: Err(beta_error()),
            },
            at,
        );
    }
    let status = ClusterStatus {
        healthy: Some(false),
        failover_ready: Some(false),
        active_node: Some("alpha".into()),
        nodes: vec![
            StatusNode {
                name: "alpha".into(),
                healthy: Some(true),
                ..StatusNode::default()
            },
            StatusNode {
                name: "beta".into(),
                healthy: Some(false),
                ..StatusNode::default()
            },
        ],
        ..ClusterStatus::default()
    };
    m.apply(
        SourceUpdate::Status {
            source: proxy(),
            at: t(5),
            result: Ok(status),
        },
        t(5),
    );
    m.tick(t(6));
    m
}

fn harness(model: Model, state: UiState, now: SystemTime) -> Harness<'static, (Model, UiState)> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1600.0, 1500.0))
        .build_ui_state(
            move |ui, (model, state): &mut (Model, UiState)| {
                dashboard_ui(ui, model, &Engine::new(RuleSet::empty()), state, None, now);
            },
            (model, state),
        );
    h.run();
    h
}

#[test]
fn gpu_cards_show_name_node_vram_and_model() {
    let h = harness(degraded_model(), UiState::default(), t(6));
    assert_eq!(
        h.query_all_by_label("NVIDIA H100 80GB HBM3").count(),
        2,
        "one name per GPU card"
    );
    assert!(h.query_by_label("GPU 0").is_some());
    assert!(h.query_by_label("GPU 1").is_some());
    // 60 of 80 GiB.
    assert!(
        h.query_by_label("VRAM 60.0 / 80.0 GiB · 75%").is_some(),
        "VRAM used/total and %"
    );
    assert!(h.query_by_label("VRAM 20.0 / 80.0 GiB · 25%").is_some());
    assert_eq!(
        h.query_all_by_label("model Qwen2.5-32B-Instruct-AWQ")
            .count(),
        2
    );
    assert!(h.query_by_label("util 82%").is_some());
    assert!(h.query_by_label("45 °C").is_some());
    assert!(h.query_by_label("310 / 700 W").is_some());
    assert_eq!(
        h.query_all_by_label("dcgm-exporter · alpha").count(),
        2,
        "origin and node on each card"
    );
}

#[test]
fn a_card_s_figures_copy_as_the_snapshot_prints_them() {
    let model = degraded_model();
    let expected = model.views().gpus[0].summary();
    let mut h = harness(model, UiState::default(), t(6));
    h.get_by_label("util 82%").click_secondary();
    h.run();
    h.get_by_label("Copy figures").click();
    // The copy is a command of the frame that handles the click.
    h.step();
    let copied: Vec<&String> = h
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(copied, [&expected]);
    assert!(
        expected.contains("util    82%") && expected.contains("45 °C"),
        "{expected}"
    );
}

#[test]
fn missing_figures_read_na_never_zero() {
    let h = harness(degraded_model(), UiState::default(), t(6));
    // GPU 1 has no temperature and no power: two "n/a" on its card, and no invented zero.
    assert!(
        h.query_all_by_label("n/a").count() >= 2,
        "temperature and power of GPU 1 read n/a"
    );
    assert!(h.query_by_label("0 °C").is_none());
    assert!(h.query_by_label("0 W").is_none());
}

#[test]
fn overall_state_reads_degraded_and_down_node_gives_reason() {
    let h = harness(degraded_model(), UiState::default(), t(6));
    assert!(
        h.query_by_label("degraded").is_some(),
        "overall state with icon and word"
    );
    assert_eq!(
        h.query_all_by_label("1 / 2 nodes up").count(),
        2,
        "in the header and the cluster card"
    );
    assert!(
        h.query_by_label("NOT ready").is_some(),
        "failover from the proxy"
    );
    assert!(h.query_by_label("beta").is_some());
    assert!(
        h.query_by_label("down").is_some(),
        "the down node's state word"
    );
    let reason = format!("— {}", beta_error());
    assert!(
        h.query_by_label(&reason).is_some(),
        "the down node's reason beside it"
    );
}

#[test]
fn errors_are_deduplicated_with_count() {
    let h = harness(degraded_model(), UiState::default(), t(6));
    let rows: Vec<_> = h.query_all_by_label_contains("×3").collect();
    assert_eq!(rows.len(), 1, "three refusals of one source are one row");
    assert!(h.query_all_by_label_contains("×1").next().is_none());
    assert!(
        h.query_by_label_contains("×3  connect  prometheus http://10.0.0.3:9400/metrics (beta)")
            .is_some(),
        "source named"
    );
}

#[test]
fn error_row_opens_to_the_full_message() {
    let mut h = harness(degraded_model(), UiState::default(), t(6));
    h.get_by_label_contains("×3").click();
    h.run();
    let full = beta_error().to_string();
    assert!(h.query_by_label(&full).is_some(), "the full message");
    assert!(
        h.query_by_label_contains("3 time(s) · first seen")
            .is_some()
    );
}

#[test]
fn inference_server_card_shows_figures() {
    let h = harness(degraded_model(), UiState::default(), t(6));
    assert!(
        h.query_by_label("Qwen2.5-32B-Instruct-AWQ").is_some(),
        "server card title"
    );
    for name in [
        "Running", "Waiting", "KV cache", "TTFT p50", "E2E p50", "Req/s", "Errors",
    ] {
        assert!(
            h.query_by_label(name).is_some(),
            "{name} on the server card"
        );
    }
    assert!(h.query_by_label("vllm · alpha").is_some());
}

#[test]
fn waiting_before_any_data() {
    let mut m = Model::new(ModelSettings::default());
    m.register(alpha_vllm(), Duration::from_secs(2));
    let h = harness(m, UiState::default(), t(0));
    assert!(h.query_by_label("waiting for data").is_some());
    assert!(h.query_by_label("no data yet").is_some());
    assert!(h.query_by_label("No errors").is_some());
}

#[test]
fn all_up_and_age_of_newest_data() {
    let now = t(100);
    let m = testdata::sample_model(2, 1, 900, now);
    let h = harness(m, UiState::default(), now + Duration::from_secs(2));
    assert!(h.query_by_label("all up").is_some());
    assert!(h.query_by_label("updated 2s ago").is_some());
    assert!(h.query_by_label("Ready").is_some());
    assert_eq!(
        h.query_all_by_label_contains("peak").count(),
        2,
        "generation and prompt stats"
    );
}

#[test]
fn pause_button_pauses_and_wall_mode_hides_it() {
    let mut h = harness(degraded_model(), UiState::default(), t(6));
    h.get_by_label("Pause").click();
    h.run();
    assert!(h.state().1.paused);
    assert!(h.query_by_label("paused").is_some());
    assert!(h.query_by_label("Resume").is_some());

    let wall = UiState {
        wall: true,
        ..UiState::default()
    };
    let h = harness(degraded_model(), wall, t(6));
    assert!(
        h.query_by_label("Pause").is_none(),
        "no interactive chrome in wall mode"
    );
    assert!(h.query_by_label("degraded").is_some());
}

#[test]
fn many_gpus_turn_compact_in_stable_order() {
    let now = t(100);
    let m = testdata::sample_model(4, 8, 10, now);
    let h = harness(m, UiState::default(), now);
    // 32 cards > 16: compact cards, each one accessible summary "node-00 #0: up, VRAM 89%, …",
    // in node then index order.
    let titles: Vec<String> = h
        .query_all_by_label_contains(" #")
        .filter_map(|n| n.accesskit_node().label())
        .collect();
    assert!(titles.len() >= 16, "compact cards visible: {titles:?}");
    let mut sorted = titles.clone();
    sorted.sort();
    assert_eq!(titles, sorted, "stable order");
    assert!(
        titles[0].starts_with("node-00 #0: up, VRAM "),
        "{}",
        titles[0]
    );
    assert!(
        titles[0].contains("util ") && titles[0].contains(" W"),
        "{}",
        titles[0]
    );
    assert!(h.query_by_label("GPU 0").is_none(), "no comfortable cards");

    let comfortable = UiState {
        density: Density::Comfortable,
        ..UiState::default()
    };
    let h = harness(testdata::sample_model(4, 8, 10, now), comfortable, now);
    assert!(h.query_all_by_label("GPU 0").count() >= 1);
}

/// Every text painted in the last frame (labels, plot axes, plot texts), in paint order.
fn painted_texts<S>(h: &Harness<'_, S>) -> Vec<String> {
    fn walk(shape: &egui::Shape, out: &mut Vec<String>) {
        match shape {
            egui::Shape::Text(t) => out.push(t.galley.text().to_owned()),
            egui::Shape::Vec(v) => v.iter().for_each(|s| walk(s, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for clipped in &h.output().shapes {
        walk(&clipped.shape, &mut out);
    }
    out
}

/// The throughput card alone, wide enough for both plots side by side.
fn throughput_harness(model: Model, now: SystemTime) -> Harness<'static, Model> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1000.0, 400.0))
        .build_ui_state(
            move |ui, model: &mut Model| swarmglass::ui::throughput::throughput_ui(ui, model, now),
            model,
        );
    h.run();
    h
}

/// The painted texts that are bare numbers: the rate axes' labels.
fn number_labels(texts: &[String]) -> Vec<String> {
    texts
        .iter()
        .filter(|t| t.trim_end_matches('k').parse::<f64>().is_ok())
        .cloned()
        .collect()
}

/// With no data the plots used to label their rate axes "1 1 1 0 0 0" (marks 0.2 apart
/// printed as whole numbers). Now: a note, and no invented numbers.
#[test]
fn empty_throughput_plots_say_no_data_and_invent_no_rates() {
    let h = throughput_harness(Model::new(ModelSettings::default()), t(0));
    let texts = painted_texts(&h);
    assert_eq!(
        texts.iter().filter(|t| *t == "no data yet").count(),
        2,
        "one note per plot: {texts:?}"
    );
    assert!(
        texts.iter().any(|t| t == "now"),
        "the time axis stays: {texts:?}"
    );
    assert_eq!(number_labels(&texts), Vec::<String>::new(), "{texts:?}");
}

/// Rates below one token/s: the axis labels carry the decimals they need, none repeats.
#[test]
fn small_throughput_rates_get_distinct_axis_labels() {
    let mut model = Model::new(ModelSettings::default());
    for (i, v) in [0.2, 0.5, 0.3, 0.4].into_iter().enumerate() {
        model.gen_tps_history.push(t(i as u64), Some(v));
    }
    let h = throughput_harness(model, t(3));
    let texts = painted_texts(&h);
    assert_eq!(
        texts.iter().filter(|t| *t == "no data yet").count(),
        1,
        "only the prompt plot is empty: {texts:?}"
    );
    assert_eq!(number_labels(&texts), ["0.0", "0.2", "0.4"], "{texts:?}");
}
