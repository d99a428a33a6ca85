//! Settings in the window: every source section of the config file (add, edit, remove, test
//! one poll) and the alert rules (enabled, threshold, duration, severity) and webhooks, edited
//! in a copy of the file's own document ([`ConfigDoc`]: comments and order kept). Each change
//! is checked at once by the file check itself, its messages shown beside the field; "Apply"
//! hands the document to the app, which saves it and monitors it without a restart. Theme and
//! density stay in the header (they are view choices, remembered by the window).

use egui::RichText;

use super::theme::{self, Level};
use crate::config::edit::{ConfigDoc, SOURCE_TABLES};
use crate::config::{ConfigProblem, Env};

/// What the settings window asks of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsAction {
    /// Load the config file into the window.
    Open,
    /// Save this document and monitor it.
    Apply(Box<ConfigDoc>),
    /// Poll entry `index` of `[[table]]` once and say what it returned.
    Test {
        /// The section.
        table: String,
        /// The entry.
        index: usize,
        /// The document holding it (as edited).
        doc: Box<ConfigDoc>,
    },
}

/// The tab shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    /// Sources of every kind.
    #[default]
    Sources,
    /// Alert rules and webhooks.
    Alerts,
}

/// The settings window's state (this session only).
#[derive(Debug, Clone, Default)]
pub struct SettingsState {
    /// Shown.
    pub open: bool,
    /// Which tab.
    pub tab: Tab,
    /// The document being edited (`None` until the app loaded it).
    pub doc: Option<ConfigDoc>,
    /// Problems of the document as it stands (the file check's words).
    pub problems: Vec<ConfigProblem>,
    /// The document differs from the file.
    pub dirty: bool,
    /// What the last action said.
    pub message: Option<(Level, String)>,
    /// The add-a-source form: section index and its required value.
    pub add_kind: usize,
    /// See [`SettingsState::add_kind`].
    pub add_value: String,
    /// A test under way or done: section, entry, and what it returned.
    pub test: Option<(String, usize, Option<String>)>,
}

impl SettingsState {
    /// Take a freshly loaded document.
    pub fn load(&mut self, doc: ConfigDoc, env: Env<'_>) {
        self.problems = doc.check(env).err().unwrap_or_default();
        self.doc = Some(doc);
        self.dirty = false;
    }
}

/// Draw the window when open; returns what was asked.
pub fn settings_ui(
    ctx: &egui::Context,
    st: &mut SettingsState,
    rules: &[&str],
    env: Env<'_>,
) -> Option<SettingsAction> {
    if !st.open {
        return None;
    }
    let mut action = None;
    if st.doc.is_none() {
        action = Some(SettingsAction::Open);
    }
    let mut open = st.open;
    egui::Window::new("Settings")
        .id(egui::Id::unique("swarmglass_settings"))
        .open(&mut open)
        .default_size([820.0, 640.0])
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.selectable_value(&mut st.tab, Tab::Sources, "Sources");
                ui.selectable_value(&mut st.tab, Tab::Alerts, "Alerts");
                ui.separator();
                if let Some(p) = st.doc.as_ref().and_then(ConfigDoc::path) {
                    ui.label(RichText::new(p.display().to_string()).weak());
                }
            });
            ui.separator();
            let Some(doc) = st.doc.as_mut() else {
                ui.label("Reading the config file…");
                return;
            };
            let before = doc.edits();
            egui::ScrollArea::vertical()
                .max_height(ui.available_height() - 60.0)
                .show(ui, |ui| match st.tab {
                    Tab::Sources => {
                        if let Some(a) = sources_ui(ui, doc, &st.problems, &mut st.test) {
                            action = Some(a);
                        }
                        add_source_ui(ui, doc, &mut st.add_kind, &mut st.add_value);
                    }
                    Tab::Alerts => alerts_ui(ui, doc, rules, &st.problems),
                });
            if doc.edits() != before {
                st.dirty = true;
                st.problems = doc.check(env).err().unwrap_or_default();
            }
            ui.separator();
            // Problems with no field of their own on this tab are listed here.
            for p in &st.problems {
                ui.colored_label(
                    theme::level_color(ui.visuals(), Level::Crit),
                    format!("`{}`: {} ({})", p.key, p.message, p.hint),
                );
            }
            let mut discard = false;
            ui.horizontal(|ui| {
                let ready = st.dirty && st.problems.is_empty();
                if ui
                    .add_enabled(ready, egui::Button::new("Apply and save"))
                    .on_hover_text("Write the config file (comments kept) and monitor it now")
                    .clicked()
                {
                    action = Some(SettingsAction::Apply(Box::new(doc.clone())));
                }
                discard = ui.button("Discard changes").clicked();
                if let Some((level, text)) = &st.message {
                    super::icons::state_ui(ui, *level, text, false);
                }
            });
            if discard {
                st.doc = None;
                st.dirty = false;
                st.problems.clear();
            }
        });
    st.open = open;
    action
}

/// The problem at `key`, if any.
fn problem_at<'p>(problems: &'p [ConfigProblem], key: &str) -> Option<&'p ConfigProblem> {
    problems.iter().find(|p| p.key == key)
}

/// A text field for `key` = `value`; returns the new text when it was edited.
fn field_ui(
    ui: &mut egui::Ui,
    key: &str,
    value: &str,
    problem: Option<&ConfigProblem>,
) -> Option<String> {
    let mut text = value.to_owned();
    let mut changed = false;
    ui.horizontal(|ui| {
        let label = ui.add_sized(
            [150.0, 18.0],
            egui::Label::new(RichText::new(key).monospace()),
        );
        let edit = ui
            .add(egui::TextEdit::singleline(&mut text).desired_width(420.0))
            .labelled_by(label.id);
        changed = edit.changed();
        if let Some(p) = problem {
            edit.on_hover_text(&p.hint);
            ui.colored_label(
                theme::level_color(ui.visuals(), Level::Crit),
                format!("{} ({})", p.message, p.hint),
            );
        }
    });
    changed.then_some(text)
}

fn sources_ui(
    ui: &mut egui::Ui,
    doc: &mut ConfigDoc,
    problems: &[ConfigProblem],
    test: &mut Option<(String, usize, Option<String>)>,
) -> Option<SettingsAction> {
    let mut action = None;
    for (table, _) in SOURCE_TABLES {
        if let Some(a) = entries_ui(ui, doc, table, problems, Some(&mut *test)) {
            action = Some(a);
        }
    }
    action
}

/// The entries of `[[path]]`, each a card of its fields with Remove (and Test, given `test`).
fn entries_ui(
    ui: &mut egui::Ui,
    doc: &mut ConfigDoc,
    path: &str,
    problems: &[ConfigProblem],
    mut test: Option<&mut Option<(String, usize, Option<String>)>>,
) -> Option<SettingsAction> {
    let entries = doc.entries(path);
    if entries.is_empty() {
        return None;
    }
    let mut action = None;
    ui.label(RichText::new(format!("[[{path}]]")).strong().monospace());
    let mut remove = None;
    for (i, fields) in entries.iter().enumerate() {
        theme::card_frame(ui.style()).show(ui, |ui| {
            ui.push_id((path, i), |ui| {
                for (key, value) in fields {
                    let at = format!("{path}[{i}].{key}");
                    if let Some(text) = field_ui(ui, key, value, problem_at(problems, &at)) {
                        doc.set_field(path, i, key, &text);
                    }
                }
                ui.horizontal(|ui| {
                    if let Some(test) = test.as_deref_mut()
                        && ui
                            .button("Test")
                            .on_hover_text("Poll it once and show what it returns")
                            .clicked()
                    {
                        *test = Some((path.to_owned(), i, None));
                        action = Some(SettingsAction::Test {
                            table: path.to_owned(),
                            index: i,
                            doc: Box::new(doc.clone()),
                        });
                    }
                    if ui.button("Remove").clicked() {
                        remove = Some(i);
                    }
                });
                if let Some(Some((t, n, result))) = test.as_deref()
                    && t == path
                    && *n == i
                {
                    match result {
                        None => ui.label("Testing: one poll…"),
                        Some(text) => ui.label(RichText::new(text).monospace()),
                    };
                }
            });
        });
    }
    if let Some(i) = remove {
        doc.remove_entry(path, i);
    }
    action
}

fn add_source_ui(ui: &mut egui::Ui, doc: &mut ConfigDoc, kind: &mut usize, value: &mut String) {
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        let (table, key) = SOURCE_TABLES[(*kind).min(SOURCE_TABLES.len() - 1)];
        egui::ComboBox::from_label(key)
            .selected_text(format!("[[{table}]]"))
            .show_ui(ui, |ui| {
                for (i, (t, _)) in SOURCE_TABLES.iter().enumerate() {
                    ui.selectable_value(kind, i, format!("[[{t}]]"));
                }
            });
        let label = ui.label("value");
        ui.add(egui::TextEdit::singleline(value).desired_width(360.0))
            .labelled_by(label.id);
        if ui.button("Add source").clicked() && !value.trim().is_empty() {
            doc.add_entry(table, &[(key, value.trim())]);
            value.clear();
        }
    });
}

fn alerts_ui(ui: &mut egui::Ui, doc: &mut ConfigDoc, rules: &[&str], problems: &[ConfigProblem]) {
    ui.label(
        RichText::new(
            "Each rule's keys as set in the file; an empty value falls back to the built-in one.",
        )
        .weak(),
    );
    for name in rules {
        ui.push_id(("rule", *name), |ui| {
            ui.label(
                RichText::new(format!("[alerts.rules.{name}]"))
                    .strong()
                    .monospace(),
            );
            let set = doc.rule(name);
            for key in ["enabled", "threshold", "for", "severity"] {
                let value = set
                    .iter()
                    .find(|(k, _)| k == key)
                    .map_or("", |(_, v)| v.as_str());
                let at = format!("alerts.rules.{name}.{key}");
                if let Some(text) = field_ui(ui, key, value, problem_at(problems, &at)) {
                    doc.set_rule(name, key, &text);
                }
            }
        });
    }
    ui.add_space(8.0);
    entries_ui(ui, doc, "alerts.webhook", problems, None);
    ui.horizontal(|ui| {
        ui.label("Add a webhook");
        for kind in crate::config::alerts::WebhookKind::ALL {
            if ui.button(kind.as_str()).clicked() {
                doc.add_entry(
                    "alerts.webhook",
                    &[
                        ("kind", kind.as_str()),
                        ("url_env", "SWARMGLASS_WEBHOOK_URL"),
                    ],
                );
            }
        }
        ui.label(
            RichText::new("its URL is read from the environment variable named in url_env").weak(),
        );
    });
}
