//! The first-run screen: with no config file and nothing found on this machine, the window says
//! so and offers the ways forward — the demo, discovery (this machine or hosts the user types),
//! adding one source, or the config file — instead of a dashboard of n/a. It only draws and
//! returns what was asked ([`FirstRunAction`]); the app carries it out (starting the demo,
//! discovering, writing the config file, switching to it) and says how it went in
//! [`FirstRunState::message`].

use std::path::PathBuf;

use egui::RichText;

use super::theme::{self, Level};
use crate::model::Model;
use crate::model::health::Health;

/// The kinds of source the "add a source" form offers, as the config names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddKind {
    /// A `/metrics` endpoint: vLLM, SGLang, llama.cpp, TGI, dcgm-exporter, node_exporter, the
    /// node agent (`[[prometheus]]`).
    #[default]
    Metrics,
    /// The smart proxy's `/status` (`[[status]]`).
    Status,
    /// An Ollama server (`[[ollama]]`).
    Ollama,
    /// A Prometheus-compatible server that scrapes a fleet (`[[prometheus_server]]`).
    PrometheusServer,
}

impl AddKind {
    /// Every kind, for the picker.
    pub const ALL: [Self; 4] = [
        Self::Metrics,
        Self::Status,
        Self::Ollama,
        Self::PrometheusServer,
    ];

    /// Words for the picker.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Metrics => "/metrics (vLLM, SGLang, llama.cpp, TGI, GPU exporters, agent)",
            Self::Status => "smart proxy /status",
            Self::Ollama => "Ollama",
            Self::PrometheusServer => "Prometheus server (a fleet)",
        }
    }

    /// The config's table for this kind.
    #[must_use]
    pub fn table(self) -> &'static str {
        match self {
            Self::Metrics => "prometheus",
            Self::Status => "status",
            Self::Ollama => "ollama",
            Self::PrometheusServer => "prometheus_server",
        }
    }

    /// An example URL for the field's hint.
    #[must_use]
    pub fn example(self) -> &'static str {
        match self {
            Self::Metrics => "http://10.0.0.5:8000/metrics",
            Self::Status => "http://10.0.0.5:9199/status",
            Self::Ollama => "http://10.0.0.5:11434",
            Self::PrometheusServer => "http://prometheus:9090",
        }
    }
}

/// What the user asked for on the first-run screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstRunAction {
    /// Start the simulated cluster in this process and show it.
    OpenDemo,
    /// Look for services on these hosts (this machine when empty).
    Discover(Vec<String>),
    /// Write what discovery found as the config file and monitor it.
    UseFound,
    /// Write one source as the config file and monitor it.
    AddSource {
        /// Its kind.
        kind: AddKind,
        /// Its URL, as typed.
        url: String,
    },
    /// Open the config file in the system's editor (created from a commented example if missing).
    OpenConfigFile,
}

/// The screen's state (this session only).
#[derive(Debug, Clone, Default)]
pub struct FirstRunState {
    /// Where the config file is read from (`None`: the platform has no config directory).
    pub config_path: Option<PathBuf>,
    /// What start-up looked for and did not find.
    pub searched: String,
    /// Hosts typed for discovery.
    pub hosts: String,
    /// A discovery is under way.
    pub discovering: bool,
    /// What the latest discovery found: its summary, and how many services.
    pub found: Option<(String, usize)>,
    /// The add-a-source form.
    pub add_kind: AddKind,
    /// See [`FirstRunState::add_kind`].
    pub add_url: String,
    /// How the last action went: an error (with what to do), or what was done.
    pub message: Option<(Level, String)>,
    /// The user chose the dashboard anyway.
    pub dismissed: bool,
}

/// Whether the screen is shown instead of the dashboard: not dismissed, and every source has
/// answered without any data (so a GPU that NVML is about to report never flashes it).
#[must_use]
pub fn shows(st: &FirstRunState, model: &Model) -> bool {
    !st.dismissed
        && model.last_data_at.is_none()
        && model
            .sources()
            .values()
            .all(|s| !matches!(s.health.health, Health::Unknown))
}

/// Draw the screen; returns what was asked.
pub fn first_run_ui(
    ui: &mut egui::Ui,
    st: &mut FirstRunState,
    model: &Model,
) -> Option<FirstRunAction> {
    let mut action = None;
    let path = st.config_path.as_ref().map_or_else(
        || "(this platform has no config directory: use --config PATH)".to_owned(),
        |p| p.display().to_string(),
    );
    ui.vertical_centered(|ui| {
        ui.set_max_width(820.0);
        ui.add_space(24.0);
        ui.label(
            RichText::new("Nothing to monitor yet")
                .size(theme::OVERALL_SIZE * 1.6)
                .strong(),
        );
        ui.add_space(6.0);
        ui.label(format!(
            "Swarmglass found no config file ({path}) and nothing it knows on this machine."
        ));
        // Why no GPU: the local reader's own words (no driver, no device).
        for s in model.sources().values() {
            if let Some(reason) = s.health.health.reason() {
                ui.label(RichText::new(format!("{}: {reason}", s.id)).weak());
            }
        }
        egui::CollapsingHeader::new("What was looked for")
            .id_salt("first_run_searched")
            .show(ui, |ui| ui.label(RichText::new(&st.searched).weak()));
        ui.add_space(16.0);
    });
    let card = |ui: &mut egui::Ui, title: &str, add: &mut dyn FnMut(&mut egui::Ui)| {
        theme::card_frame(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width().min(820.0));
            ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                ui.label(RichText::new(title).strong().size(theme::CARD_TITLE_SIZE));
                add(ui);
            });
        });
        ui.add_space(theme::CARD_GAP);
    };
    ui.vertical_centered(|ui| {
        ui.set_max_width(820.0);
        card(ui, "Look around", &mut |ui| {
            ui.horizontal(|ui| {
                if ui.button("Open the demo").clicked() {
                    action = Some(FirstRunAction::OpenDemo);
                }
                ui.label("a simulated 2-node cluster with agents and tasks, in this process");
            });
        });
        card(ui, "Find services", &mut |ui| {
            ui.horizontal(|ui| {
                ui.label("Hosts");
                ui.add(
                    egui::TextEdit::singleline(&mut st.hosts)
                        .hint_text("empty: this machine; or 10.0.0.5, gpu-2:8000")
                        .desired_width(320.0),
                );
                let label = if st.discovering {
                    "Discovering…"
                } else {
                    "Discover"
                };
                if ui
                    .add_enabled(!st.discovering, egui::Button::new(label))
                    .clicked()
                {
                    let hosts = st
                        .hosts
                        .split([',', ' '])
                        .map(str::trim)
                        .filter(|h| !h.is_empty())
                        .map(str::to_owned)
                        .collect();
                    action = Some(FirstRunAction::Discover(hosts));
                }
            });
            if let Some((summary, n)) = &st.found {
                ui.label(summary.as_str());
                if *n > 0
                    && ui
                        .button(format!("Monitor these {n} and save them to {path}"))
                        .clicked()
                {
                    action = Some(FirstRunAction::UseFound);
                }
            }
        });
        card(ui, "Add a source", &mut |ui| {
            ui.horizontal(|ui| {
                egui::ComboBox::from_label("kind")
                    .selected_text(st.add_kind.label())
                    .show_ui(ui, |ui| {
                        for k in AddKind::ALL {
                            ui.selectable_value(&mut st.add_kind, k, k.label());
                        }
                    });
                ui.add(
                    egui::TextEdit::singleline(&mut st.add_url)
                        .hint_text(st.add_kind.example())
                        .desired_width(300.0),
                );
                if ui.button("Add").clicked() {
                    action = Some(FirstRunAction::AddSource {
                        kind: st.add_kind,
                        url: st.add_url.trim().to_owned(),
                    });
                }
            });
            ui.label(RichText::new(format!("saved to {path}")).weak());
        });
        card(ui, "Edit the config file", &mut |ui| {
            ui.horizontal(|ui| {
                if ui.button("Open the config file").clicked() {
                    action = Some(FirstRunAction::OpenConfigFile);
                }
                ui.label("created from a commented example when missing; every key is explained");
            });
        });
        if let Some((level, text)) = &st.message {
            super::icons::state_ui(ui, *level, text, false);
        }
        ui.add_space(8.0);
        if ui.button("Show the empty dashboard").clicked() {
            st.dismissed = true;
        }
    });
    action
}
