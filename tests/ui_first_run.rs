//! The first-run screen drawn with egui_kittest: with no config file and nothing found, the
//! window says so and offers the demo, discovery, adding a source and the config file — never a
//! dashboard of n/a — and hands what was clicked to the app. It waits until every source has
//! answered (a GPU about to be read never flashes it), and gives way to the dashboard as soon
//! as data arrives or the user asks.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, SystemTime};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use swarmglass::alerts::Engine;
use swarmglass::config::alerts::RuleSet;
use swarmglass::model::ids::{SourceId, SourceKind};
use swarmglass::model::input::{SourceError, SourceUpdate};
use swarmglass::model::{Model, ModelSettings};
use swarmglass::testdata;
use swarmglass::ui::actions::PanelAction;
use swarmglass::ui::first_run::{AddKind, FirstRunAction, FirstRunState};
use swarmglass::ui::{UiState, dashboard_ui};

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

fn nvml() -> SourceId {
    SourceId::new("local", SourceKind::Nvml, "nvml")
}

/// This machine's GPU reader registered; `answered`: it has said there is no GPU.
fn nothing_here(answered: bool) -> Model {
    let mut m = Model::new(ModelSettings::default());
    m.register(nvml(), Duration::from_secs(2));
    if answered {
        m.apply(
            SourceUpdate::LocalGpus {
                source: nvml(),
                at: now(),
                result: Err(SourceError::NvmlUnavailable(
                    "cannot load libnvidia-ml.so.1: no NVIDIA driver".into(),
                )),
            },
            now(),
        );
    }
    m
}

fn first_run_state() -> UiState {
    UiState {
        first_run: Some(FirstRunState {
            config_path: Some("/home/op/.config/swarmglass/swarmglass.toml".into()),
            searched: "found nothing; not found: vLLM at localhost:8000 (connection refused)"
                .into(),
            ..FirstRunState::default()
        }),
        ..UiState::default()
    }
}

type State = (Model, UiState, Vec<PanelAction>);

fn harness(model: Model, state: UiState) -> Harness<'static, State> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(
            |ui, (model, state, asked): &mut State| {
                let engine = Engine::new(RuleSet::empty());
                if let Some(a) = dashboard_ui(ui, model, &engine, state, None, now()) {
                    asked.push(a);
                }
            },
            (model, state, Vec::new()),
        );
    h.run();
    h
}

#[test]
fn nothing_configured_or_found_says_so_and_offers_the_ways_forward() {
    let h = harness(nothing_here(true), first_run_state());
    h.get_by_label("Nothing to monitor yet");
    h.get_by_label_contains("found no config file (/home/op/.config/swarmglass/swarmglass.toml)");
    h.get_by_label_contains("no NVIDIA driver");
    for button in [
        "Open the demo",
        "Discover",
        "Add",
        "Open the config file",
        "Show the empty dashboard",
    ] {
        h.get_by_label(button);
    }
    assert!(h.query_by_label("n/a").is_none(), "no dashboard of n/a");
    assert!(h.query_by_label("GPUs").is_none());
}

#[test]
fn each_offer_hands_its_request_to_the_app() {
    let mut h = harness(nothing_here(true), first_run_state());
    h.get_by_label("Open the demo").click();
    h.run();
    assert_eq!(
        h.state().2,
        [PanelAction::FirstRun(FirstRunAction::OpenDemo)]
    );

    h.state_mut().2.clear();
    h.get_by_label("Discover").click();
    h.run();
    assert_eq!(
        h.state().2,
        [PanelAction::FirstRun(FirstRunAction::Discover(Vec::new()))],
        "empty hosts: this machine"
    );

    h.state_mut().2.clear();
    h.state_mut().1.first_run.as_mut().unwrap().hosts = "10.0.0.5, gpu-2:8000".into();
    h.run();
    h.get_by_label("Discover").click();
    h.run();
    assert_eq!(
        h.state().2,
        [PanelAction::FirstRun(FirstRunAction::Discover(vec![
            "10.0.0.5".into(),
            "gpu-2:8000".into()
        ]))]
    );

    h.state_mut().2.clear();
    h.state_mut().1.first_run.as_mut().unwrap().add_url = " http://10.0.0.5:8000/metrics ".into();
    h.run();
    h.get_by_label("Add").click();
    h.run();
    assert_eq!(
        h.state().2,
        [PanelAction::FirstRun(FirstRunAction::AddSource {
            kind: AddKind::Metrics,
            url: "http://10.0.0.5:8000/metrics".into()
        })]
    );

    h.state_mut().2.clear();
    h.get_by_label("Open the config file").click();
    h.run();
    assert_eq!(
        h.state().2,
        [PanelAction::FirstRun(FirstRunAction::OpenConfigFile)]
    );
}

#[test]
fn what_discovery_found_is_offered_and_a_problem_is_said() {
    let mut state = first_run_state();
    let fr = state.first_run.as_mut().unwrap();
    fr.found = Some((
        "found 2: vLLM at 10.0.0.5:8000, Ollama at 10.0.0.5:11434".into(),
        2,
    ));
    fr.message = Some((
        swarmglass::ui::theme::Level::Crit,
        "1 problem(s) in config:\n  - `prometheus[0].url`: `x` is not a URL".into(),
    ));
    let mut h = harness(nothing_here(true), state);
    h.get_by_label_contains("vLLM at 10.0.0.5:8000");
    h.get_by_label_contains("is not a URL");
    h.get_by_label_contains("Monitor these 2").click();
    h.run();
    assert_eq!(
        h.state().2,
        [PanelAction::FirstRun(FirstRunAction::UseFound)]
    );
}

#[test]
fn the_dashboard_takes_over_when_data_arrives_or_the_user_asks() {
    // A GPU reader that has not answered yet: the usual "waiting" dashboard, no flash.
    let h = harness(nothing_here(false), first_run_state());
    assert!(h.query_by_label("Nothing to monitor yet").is_none());

    // Data: the dashboard.
    let h = harness(testdata::sample_model(2, 1, 10, now()), first_run_state());
    assert!(h.query_by_label("Nothing to monitor yet").is_none());
    h.get_by_label("GPUs");

    // Asked for: the dashboard, and it stays.
    let mut h = harness(nothing_here(true), first_run_state());
    h.get_by_label("Show the empty dashboard").click();
    h.run();
    h.run();
    assert!(h.query_by_label("Nothing to monitor yet").is_none());
    h.get_by_label("GPUs");

    // A started window (config found or given): never shown.
    let h = harness(nothing_here(true), UiState::default());
    assert!(h.query_by_label("Nothing to monitor yet").is_none());
}
