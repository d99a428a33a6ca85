//! egui screens. [`dashboard_ui`] draws the whole dashboard from `&Model` only — header, cluster
//! health, throughput, GPU cards, inference servers, recent errors — and keeps nothing but view
//! choices in [`UiState`]. It never reads the clock (`now` is an argument), never requests a
//! repaint and never touches the collector: the app owns those, so tests and benchmarks can
//! drive this with scripted models.

pub mod cluster;
pub mod errors;
pub mod fleet;
pub mod gpu_cards;
pub mod grid;
pub mod header;
pub mod history;
pub mod icons;
pub mod jump;
pub mod servers;
pub mod settings;
pub mod theme;
pub mod throughput;
pub mod wall;

// Agent, event, execution and alert panels (wired into `dashboard_ui` separately).
pub mod actions;
pub mod agents;
pub mod alerts;
pub mod events;
pub mod executions;
pub mod first_run;
pub mod toasts;
pub mod widgets;
pub mod work;

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::alerts::Engine;
use crate::model::Model;
use actions::PanelAction;

/// The theme: dark, light, colour-blind safe or high contrast (`--theme`, or the header's
/// picker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
pub enum ThemeChoice {
    /// Light text on dark (the default).
    #[default]
    Dark,
    /// Dark text on light.
    Light,
    /// Okabe–Ito hues on dark: blue, yellow, vermillion — never red against green.
    #[value(name = "colour-blind", alias = "color-blind")]
    ColourBlind,
    /// White on black, every text colour at WCAG AAA contrast.
    HighContrast,
}

impl ThemeChoice {
    /// Every choice, for the picker.
    pub const ALL: [Self; 4] = [
        Self::Dark,
        Self::Light,
        Self::ColourBlind,
        Self::HighContrast,
    ];

    /// The theme's colours.
    #[must_use]
    pub fn palette(self) -> &'static theme::palette::Palette {
        match self {
            Self::Dark => &theme::palette::DARK,
            Self::Light => &theme::palette::LIGHT,
            Self::ColourBlind => &theme::palette::COLOUR_BLIND,
            Self::HighContrast => &theme::palette::HIGH_CONTRAST,
        }
    }

    /// Word for the picker.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Dark => "dark",
            Self::Light => "light",
            Self::ColourBlind => "colour-blind safe",
            Self::HighContrast => "high contrast",
        }
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
    /// The fleet matrix: one small cell per GPU, every GPU of a large cluster on one screen.
    Fleet,
}

impl Density {
    /// `Auto` turns compact above this many GPU cards.
    pub const AUTO_COMPACT_ABOVE: usize = 16;

    /// Every choice, for the picker.
    pub const ALL: [Self; 4] = [Self::Auto, Self::Comfortable, Self::Compact, Self::Fleet];

    /// Whether cards are compact for `cards` GPU cards.
    #[must_use]
    pub fn is_compact(self, cards: usize) -> bool {
        match self {
            Self::Auto => cards > Self::AUTO_COMPACT_ABOVE,
            Self::Comfortable => false,
            Self::Compact | Self::Fleet => true,
        }
    }

    /// Whether `cards` GPU cards are shown as the fleet matrix: chosen, or `Auto` above
    /// [`fleet::AUTO_FLEET_ABOVE`] cards (more than a screen of compact cards holds).
    #[must_use]
    pub fn is_fleet(self, cards: usize) -> bool {
        match self {
            Self::Auto => cards > fleet::AUTO_FLEET_ABOVE,
            Self::Fleet => true,
            Self::Comfortable | Self::Compact => false,
        }
    }

    /// Word for the picker.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Comfortable => "comfortable",
            Self::Compact => "compact",
            Self::Fleet => "fleet matrix",
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
    /// The fleet matrix's figure, filter and order.
    pub fleet: fleet::FleetState,
    /// Refresh paused: the app stops applying updates (never persisted).
    #[serde(skip)]
    pub paused: bool,
    /// Wall mode: full screen, the wall view, no interactive chrome (never persisted).
    #[serde(skip)]
    pub wall: bool,
    /// The settings window (this session only).
    #[serde(skip)]
    pub settings: settings::SettingsState,
    /// "Jump to" (Ctrl+K): this session only.
    #[serde(skip)]
    pub jump: jump::JumpState,
    /// The first-run screen, when the window opened on nothing (this session only).
    #[serde(skip)]
    pub first_run: Option<first_run::FirstRunState>,
    /// What the wall view shows (`[wall]` of the config, never persisted).
    #[serde(skip)]
    pub wall_settings: crate::config::wall::WallSettings,
    /// Event stream filters.
    pub events: events::EventStreamState,
    /// Which execution is open.
    pub executions: executions::ExecutionsState,
    /// In-window alert toasts (this session only).
    #[serde(skip)]
    pub toasts: toasts::ToastState,
    /// Range, rewind moment and detail view.
    pub history: history::HistoryUiState,
}

/// Draw the whole dashboard into `ui` from `model` and the alert engine at `now`; returns what
/// the user asked for (acknowledge, silence, reconnect) for the app to carry out. With `hist`
/// (history is on) the plots follow the chosen range, cards open their detail view, and the
/// rewind bar is shown; while rewound, `model` and `now` are those of the chosen moment.
pub fn dashboard_ui(
    ui: &mut egui::Ui,
    model: &Model,
    alerts: &Engine,
    state: &mut UiState,
    hist: Option<&history::HistoryFrame>,
    now: SystemTime,
) -> Option<PanelAction> {
    if let Some(fr) = &mut state.first_run
        && first_run::shows(fr, model)
    {
        // Nothing configured and nothing found: say so and offer the ways forward.
        let mut action = None;
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("first_run_scroll")
                .show(ui, |ui| action = first_run::first_run_ui(ui, fr, model));
        });
        return action.map(PanelAction::FirstRun);
    }
    if state.wall && state.history.rewind.is_none() {
        // One screen, nothing to click: the wall view.
        egui::CentralPanel::default()
            .frame(egui::Frame::central_panel(ui.style()).inner_margin(egui::Margin::same(6)))
            .show(ui, |ui| {
                wall::wall_ui(ui, model, alerts, &state.wall_settings, now)
            });
        return None;
    }
    let views = model.views();
    let cluster = &views.cluster;
    let mut action = None;
    egui::Panel::top("swarmglass_header")
        .frame(egui::Frame::side_top_panel(ui.style()).inner_margin(egui::Margin::symmetric(10, 6)))
        .show(ui, |ui| header::header_ui(ui, model, cluster, state, now));
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt("dashboard_scroll")
            .auto_shrink(false)
            .show(ui, |ui| {
                action = body_ui(ui, model, alerts, state, hist, now);
            });
    });
    // Jump to a node, GPU or model (its detail view needs history).
    if hist.is_some()
        && let Some(target) = jump::jump_ui(ui.ctx(), &mut state.jump, views)
    {
        state.history.detail = Some(target);
    }
    if let Some(frame) = hist
        && state.history.detail.is_some()
    {
        let (alert_list, error_list) = detail_history(model, alerts, state);
        if let Some(r) = history::detail_ui(ui, &mut state.history, frame, &alert_list, &error_list)
        {
            state.history.range = r;
        }
    }
    let rules: Vec<&str> = alerts.rules().names().collect();
    if let Some(a) = settings::settings_ui(
        ui.ctx(),
        &mut state.settings,
        &rules,
        &crate::config::process_env,
    ) {
        action = Some(PanelAction::Settings(a));
    }
    toasts::toasts_ui(ui.ctx(), &mut state.toasts, now);
    action
}

/// The alert and error history of the open detail view's subject.
fn detail_history<'a>(
    model: &'a Model,
    alerts: &'a Engine,
    state: &UiState,
) -> (
    Vec<&'a crate::alerts::AlertEvent>,
    Vec<&'a crate::model::errors::ErrorEntry>,
) {
    let Some(target) = &state.history.detail else {
        return (Vec::new(), Vec::new());
    };
    use crate::alerts::Subject;
    use crate::history::detail::Target;
    let node = target.node();
    // A GPU's or a server's own alerts and its node's; a node's: everything on it.
    let alert_list = alerts
        .history()
        .filter(|e| match (target, &e.subject) {
            (Target::Node { node }, s) => s.node() == Some(node.as_str()),
            (_, Subject::Node { node: n }) => n == node,
            (Target::Gpu { node, gpu }, Subject::Gpu { node: n, gpu: g }) => n == node && g == gpu,
            (
                Target::Server {
                    node,
                    source,
                    model,
                },
                Subject::Server {
                    node: n,
                    url,
                    model: m,
                },
            ) => n == node && url == source && m.as_deref().unwrap_or("") == model,
            _ => false,
        })
        .collect();
    let error_list = model
        .errors
        .recent()
        .into_iter()
        .filter(|e| e.source.contains(node))
        .collect();
    (alert_list, error_list)
}

fn body_ui(
    ui: &mut egui::Ui,
    model: &Model,
    alerts: &Engine,
    state: &mut UiState,
    hist: Option<&history::HistoryFrame>,
    now: SystemTime,
) -> Option<PanelAction> {
    // The model's shared views, built once per change, in natural order (node-2 before node-10).
    let views = model.views();
    let (cluster, nodes) = (&views.cluster, &views.nodes);
    if let Some(frame) = hist
        && !state.wall
    {
        history::rewind_banner_ui(ui, &mut state.history, now);
        ui.horizontal_wrapped(|ui| {
            history::range_bar_ui(ui, &mut state.history, frame);
            ui.separator();
            history::rewind_bar_ui(ui, &mut state.history, frame, now);
        });
        ui.add_space(theme::CARD_GAP);
    }
    let width = ui.available_width();
    let side_by_side = width >= theme::CLUSTER_CARD_WIDTH + 420.0;
    let wall = state.wall;
    let throughput = |ui: &mut egui::Ui, state: &mut UiState| match hist {
        Some(frame) => {
            if let Some(r) =
                throughput::recorded_throughput_ui(ui, frame, state.history.range, !wall)
            {
                state.history.range = r;
            }
        }
        None => throughput::throughput_ui(ui, model, now),
    };
    let clickable = hist.is_some() && !wall;
    let mut node_clicked = None;
    if side_by_side {
        ui.horizontal_top(|ui| {
            node_clicked = cluster::cluster_card_ui(ui, cluster, nodes, clickable, now);
            ui.add_space(theme::CARD_GAP);
            ui.vertical(|ui| throughput(ui, state));
        });
    } else {
        node_clicked = cluster::cluster_card_ui(ui, cluster, nodes, clickable, now);
        ui.add_space(theme::CARD_GAP);
        throughput(ui, state);
    }
    if let Some(node) = node_clicked {
        state.history.detail = Some(crate::history::detail::Target::Node { node });
    }

    // Alerts first after the overview: what needs a human now.
    if state.history.rewind.is_some() {
        let firing = alerts.firing_at(now);
        section_heading_ui(ui, "Alerts firing then", firing.len());
        if firing.is_empty() {
            ui.label("None were firing at that moment.");
        }
        for ev in firing {
            ui.label(format!(
                "{}  {} — {}",
                crate::format::timestamp(ev.at),
                ev.summary(),
                ev.message
            ));
        }
    }
    let alert_count = alerts.firing().count() + alerts.pending().count();
    if state.history.rewind.is_none() {
        section_heading_ui(ui, "Alerts", alert_count);
    }
    let mut action = if state.history.rewind.is_some() {
        None
    } else if state.wall {
        // No interactive chrome on a wall: the list is drawn, its buttons are not used.
        alerts::alerts_ui(ui, alerts, now).and(None)
    } else {
        alerts::alerts_ui(ui, alerts, now)
    };

    let cards = &views.gpus;
    section_heading_ui(ui, "GPUs", cards.len());
    if cards.is_empty() {
        ui.label("No GPU seen yet: configure NVML, dcgm-exporter or nvidia_gpu_exporter sources.");
    } else if state.density.is_fleet(cards.len()) {
        // Every GPU on one screen: the matrix gets the window's height less the header's.
        let height = (ui.clip_rect().bottom() - ui.cursor().top() - 40.0).max(300.0);
        let r = fleet::fleet_ui(ui, views, &mut state.fleet, height);
        if let Some(node) = r.clicked_node
            && clickable
        {
            state.history.detail = Some(crate::history::detail::Target::Node { node });
        }
    } else {
        if let Some(i) = gpu_cards::gpu_grid_ui(
            ui,
            cards,
            state.density.is_compact(cards.len()),
            clickable,
            now,
        ) && let Some(c) = cards.get(i)
        {
            state.history.detail = Some(jump::gpu_target(c));
        }
    }

    let servers = &views.inference;
    section_heading_ui(ui, "Inference servers", servers.len());
    if servers.is_empty() {
        ui.label("No inference server reported yet.");
    } else {
        if let Some(i) = servers::servers_grid_ui(ui, servers, clickable, now)
            && let Some(c) = servers.get(i)
        {
            state.history.detail = Some(jump::server_target(c));
        }
    }

    // Agents and tasks (the wireframe's Sessions and Task Stats): only where something reports.
    let snap = model.tasks.snapshot(now);
    let has_agents = snap.events_total > 0 || !snap.streams.is_empty() || snap.sessions.total > 0;
    if has_agents {
        section_heading_ui(ui, "Agents", snap.sessions.active);
        agents::agent_cards_ui(ui, &snap);
        ui.add_space(theme::CARD_GAP);
        work::work_cards_ui(ui, &snap);
    }
    if !snap.executions.is_empty() {
        section_heading_ui(ui, "Executions", snap.executions.len());
        action = executions::executions_ui(ui, &model.tasks, &mut state.executions, now).or(action);
    }
    if has_agents && !state.wall {
        section_heading_ui(
            ui,
            "Event stream",
            usize::try_from(snap.events_total).unwrap_or(usize::MAX),
        );
        events::event_stream_ui(ui, &model.tasks, &mut state.events, now);
    }

    section_heading_ui(ui, "Recent errors", model.errors.len());
    errors::errors_ui(ui, &model.errors, now);

    if !state.wall && alerts.history().len() > 0 {
        section_heading_ui(ui, "Alert history", alerts.history().len());
        alerts::alert_history_ui(ui, alerts, now);
    }
    action
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_choices_are_remembered_and_session_switches_are_not() {
        let mut st = UiState {
            theme: ThemeChoice::HighContrast,
            density: Density::Compact,
            wall: true,
            paused: true,
            ..UiState::default()
        };
        st.history.range = history::TimeRange::Last(6 * 3600);
        st.fleet.worst_first = true;
        st.settings.open = true;
        st.jump.open = true;
        let saved = serde_json::to_string(&st).unwrap();
        let back: UiState = serde_json::from_str(&saved).unwrap();
        assert_eq!(back.theme, ThemeChoice::HighContrast);
        assert_eq!(back.density, Density::Compact);
        assert_eq!(back.history.range, st.history.range, "the chosen range");
        assert!(back.fleet.worst_first);
        assert!(!back.wall && !back.paused && !back.settings.open && !back.jump.open);
    }
}
