//! The settings window drawn with egui_kittest over a commented config file: an edit typed into
//! a field changes that key and nothing else in the file (comments, order and the other values
//! kept), a bad value shows the file check's own message beside the field and keeps "Apply"
//! off, and sources can be added and removed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, SystemTime};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use swarmglass::alerts::Engine;
use swarmglass::config::alerts::RuleSet;
use swarmglass::config::edit::ConfigDoc;
use swarmglass::config::from_toml_str;
use swarmglass::model::{Model, ModelSettings};
use swarmglass::ui::actions::PanelAction;
use swarmglass::ui::settings::{SettingsAction, SettingsState};
use swarmglass::ui::{UiState, dashboard_ui};

const COMMENTED: &str = r#"# My cluster. Keep this comment.

[nvml]
enabled = false   # no GPU on this box

# The vLLM server.
[[prometheus]]
url = "http://10.0.0.5:8000/metrics"   # node A
interval = "1s"

[alerts.rules.gpu_temp_high]
threshold = 85.0  # our racks run hot
"#;

fn no_env(_: &str) -> Option<String> {
    None
}

type State = (Model, UiState, Vec<PanelAction>);

fn harness() -> Harness<'static, State> {
    let mut state = UiState {
        settings: SettingsState {
            open: true,
            ..SettingsState::default()
        },
        ..UiState::default()
    };
    state
        .settings
        .load(ConfigDoc::parse(COMMENTED, None).unwrap(), &no_env);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 1000.0))
        .build_ui_state(
            move |ui, (model, state, asked): &mut State| {
                let engine = Engine::new(RuleSet::defaults());
                if let Some(a) = dashboard_ui(ui, model, &engine, state, None, now) {
                    asked.push(a);
                }
            },
            (Model::new(ModelSettings::default()), state, Vec::new()),
        );
    h.run();
    h
}

/// Replace the text of the field that holds `old` with `new`.
fn retype(h: &mut Harness<'static, State>, old: &str, new: &str) {
    let field = h
        .query_all_by_role(egui::accesskit::Role::TextInput)
        .find(|n| n.value().as_deref() == Some(old))
        .unwrap_or_else(|| panic!("a field holding {old}"));
    field.click();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    h.query_all_by_role(egui::accesskit::Role::TextInput)
        .find(|n| n.value().as_deref() == Some(old))
        .unwrap()
        .type_text(new);
    h.run();
}

#[test]
fn an_edit_changes_its_key_and_nothing_else_in_the_file() {
    let mut h = harness();
    retype(&mut h, "1s", "5s");
    h.get_by_label("Apply and save").click();
    h.run();
    let Some(PanelAction::Settings(SettingsAction::Apply(doc))) = h.state().2.last() else {
        panic!("no apply: {:?}", h.state().2)
    };
    assert_eq!(
        doc.text(),
        COMMENTED.replace("interval = \"1s\"", "interval = \"5s\""),
        "comments, order and every other value as they were"
    );
}

#[test]
fn a_bad_value_shows_the_file_checks_message_and_apply_stays_off() {
    let mut h = harness();
    retype(&mut h, "1s", "soon");
    let want = from_toml_str(
        &COMMENTED.replace("interval = \"1s\"", "interval = \"soon\""),
        &no_env,
    )
    .unwrap_err();
    assert_eq!(want[0].key, "prometheus[0].interval");
    let shown = format!("{} ({})", want[0].message, want[0].hint);
    h.get_by_label(&shown);
    assert!(
        h.state().1.settings.problems == want,
        "the window holds the file check's problems"
    );
    h.get_by_label("Apply and save").click();
    h.run();
    assert!(
        h.state().2.is_empty(),
        "nothing to apply while a value is wrong"
    );
}

#[test]
fn sources_are_added_and_removed_and_rules_edited() {
    let mut h = harness();
    // Add a status endpoint through the form ([[prometheus]] is the first kind: pick status).
    h.query_all_by_role(egui::accesskit::Role::ComboBox)
        .find(|n| n.accesskit_node().label().as_deref() == Some("url"))
        .expect("the kind picker")
        .click();
    h.run();
    h.get_by_label("[[status]]").click();
    h.run();
    // The form's field: on the row of its "Add source" button.
    let row = h.get_by_label("Add source").rect().center().y;
    let field = |h: &Harness<'static, State>| {
        h.query_all_by_role(egui::accesskit::Role::TextInput)
            .find(|n| (n.rect().center().y - row).abs() < 4.0)
            .expect("the add form's field")
            .rect()
    };
    let at = field(&h).center();
    h.query_all_by_role(egui::accesskit::Role::TextInput)
        .find(|n| n.rect().center() == at)
        .unwrap()
        .click();
    h.run();
    h.query_all_by_role(egui::accesskit::Role::TextInput)
        .find(|n| n.rect().center() == at)
        .unwrap()
        .type_text("http://10.0.0.5:9199/status");
    h.run();
    h.get_by_label("Add source").click();
    h.run();
    let doc = h.state().1.settings.doc.clone().unwrap();
    assert_eq!(doc.entries("status").len(), 1, "{}", doc.text());
    assert!(
        doc.text().starts_with(COMMENTED.trim_end()),
        "added after the rest"
    );
    // The alert tab: a rule's threshold, its comment kept.
    h.query_all_by_label("Alerts")
        .find(|n| n.accesskit_node().role() != egui::accesskit::Role::Label)
        .expect("the Alerts tab")
        .click();
    h.run();
    retype(&mut h, "85.0", "90");
    let doc = h.state().1.settings.doc.clone().unwrap();
    assert!(
        doc.text().contains("threshold = 90.0  # our racks run hot"),
        "{}",
        doc.text()
    );
    assert!(h.state().1.settings.problems.is_empty());
}
