//! egui screens. [`dashboard_ui`] draws the whole dashboard from `&Model` only — header, cluster
//! health, throughput, GPU cards, inference servers, recent errors — and keeps nothing but view
//! choices in [`UiState`]. It never reads the clock (`now` is an argument), never requests a
//! repaint and never touches the collector: the app owns those, so tests and benchmarks can
//! drive this with scripted models.

pub mod cluster;
pub mod errors;
pub mod format;
pub mod gpu_cards;
pub mod grid;
pub mod header;
pub mod icons;
pub mod sample;
pub mod servers;
pub mod theme;
pub mod throughput;

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::model::Model;

/// Dark or light.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ThemeChoice {
    /// Light text on dark (the default).
    #[default]
    Dark,
    /// Dark text on light.
    Light,
}

impl ThemeChoice {
    /// True for the dark theme.
    #[must_use]
    pub fn is_dark(self) -> bool {
        self == Self::Dark
    }
}

/// How much room each GPU card takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Density {
    /// Comfortable up to [`Density::AUTO_COMPACT_ABOVE`] cards, compact beyond.
    #[default]
    Auto,
    /// Large cards with every figure.
    Comfortable,
    /// Small cards: the key figures; the rest on hover.
    Compact,
}

impl Density {
    /// `Auto` turns compact above this many GPU cards.
    pub const AUTO_COMPACT_ABOVE: usize = 16;

    /// Every choice, for the picker.
    pub const ALL: [Self; 3] = [Self::Auto, Self::Comfortable, Self::Compact];

    /// Whether cards are compact for `cards` GPU cards.
    #[must_use]
    pub fn is_compact(self, cards: usize) -> bool {
        match self {
            Self::Auto => cards > Self::AUTO_COMPACT_ABOVE,
            Self::Comfortable => false,
            Self::Compact => true,
        }
    }

    /// Word for the picker.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Comfortable => "comfortable",
            Self::Compact => "compact",
        }
    }
}

/// View state: the choices a user makes (persisted through `eframe::Storage`) and the few
/// session-only switches.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UiState {
    /// Dark or light.
    pub theme: ThemeChoice,
    /// Card density.
    pub density: Density,
    /// Refresh paused: the app stops applying updates (never persisted).
    #[serde(skip)]
    pub paused: bool,
    /// Wall mode: full screen, large type, no interactive chrome (never persisted).
    #[serde(skip)]
    pub wall: bool,
}

/// Draw the whole dashboard into `ui` from `model` at `now`.
pub fn dashboard_ui(ui: &mut egui::Ui, model: &Model, state: &mut UiState, now: SystemTime) {
    let cluster = model.cluster();
    egui::Panel::top("swarmglass_header")
        .frame(egui::Frame::side_top_panel(ui.style()).inner_margin(egui::Margin::symmetric(10, 6)))
        .show(ui, |ui| header::header_ui(ui, model, &cluster, state, now));
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt("dashboard_scroll")
            .auto_shrink(false)
            .show(ui, |ui| {
                body_ui(ui, model, &cluster, state, now);
            });
    });
}

fn body_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cluster: &crate::model::views::ClusterView,
    state: &UiState,
    now: SystemTime,
) {
    let nodes = model.nodes();
    let width = ui.available_width();
    let side_by_side = width >= theme::CLUSTER_CARD_WIDTH + 420.0;
    if side_by_side {
        ui.horizontal_top(|ui| {
            cluster::cluster_card_ui(ui, cluster, &nodes, now);
            ui.add_space(theme::CARD_GAP);
            ui.vertical(|ui| throughput::throughput_ui(ui, model, now));
        });
    } else {
        cluster::cluster_card_ui(ui, cluster, &nodes, now);
        ui.add_space(theme::CARD_GAP);
        throughput::throughput_ui(ui, model, now);
    }

    let cards = model.gpu_cards();
    section_heading_ui(ui, "GPUs", cards.len());
    if cards.is_empty() {
        ui.label("No GPU seen yet: configure NVML, dcgm-exporter or nvidia_gpu_exporter sources.");
    } else {
        gpu_cards::gpu_grid_ui(ui, &cards, state.density.is_compact(cards.len()), now);
    }

    let servers: Vec<_> = model.inference_stats().collect();
    section_heading_ui(ui, "Inference servers", servers.len());
    if servers.is_empty() {
        ui.label("No inference server reported yet.");
    } else {
        servers::servers_grid_ui(ui, &servers);
    }

    section_heading_ui(ui, "Recent errors", model.errors.len());
    errors::errors_ui(ui, &model.errors, now);
}

/// A section title with a count beside it.
pub fn section_heading_ui(ui: &mut egui::Ui, title: &str, count: usize) {
    ui.add_space(theme::SECTION_GAP);
    ui.horizontal(|ui| {
        ui.heading(title);
        ui.label(egui::RichText::new(format!("({count})")).weak());
    });
    ui.add_space(2.0);
}
