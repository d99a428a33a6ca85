//! The header bar: name, overall state (icon + word + colour), age of the newest data, and the
//! interactive chrome (pause/resume, density, theme) that wall mode hides.

use std::time::SystemTime;

use egui::RichText;

use super::icons::{self, Icon};
use super::{Density, ThemeChoice, UiState, theme};
use crate::format;
use crate::model::Model;
use crate::model::views::ClusterView;

/// Draw the header.
pub fn header_ui(
    ui: &mut egui::Ui,
    model: &Model,
    cluster: &ClusterView,
    state: &mut UiState,
    now: SystemTime,
) {
    ui.horizontal(|ui| {
        ui.heading(RichText::new("Swarmglass").strong());
        ui.separator();
        overall_ui(ui, cluster);
        ui.separator();
        if state.paused {
            let color = theme::level_color(ui.visuals(), theme::Level::Warn);
            icons::icon_ui(ui, Icon::Paused, color, 1.0);
            ui.label(RichText::new("paused").strong().color(color));
        }
        let age = match model.last_data_at {
            Some(t) if state.paused => format!("data from {}", format::age(t, now)),
            Some(t) => format!("updated {}", format::age(t, now)),
            None => "no data yet".to_owned(),
        };
        ui.label(age);
        if model.dropped_updates > 0 {
            ui.label(RichText::new(format!("{} update(s) dropped", model.dropped_updates)).weak())
                .on_hover_text("The window fell behind the collectors and skipped these updates.");
        }
        if !state.wall {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                chrome_ui(ui, state)
            });
        }
    });
}

/// The overall state: icon, words, colour.
fn overall_ui(ui: &mut egui::Ui, cluster: &ClusterView) {
    let level = theme::overall_level(cluster.overall);
    let color = theme::level_color(ui.visuals(), level);
    icons::icon_ui(ui, Icon::of_overall(cluster.overall), color, 1.2);
    ui.label(
        RichText::new(cluster.overall.label())
            .strong()
            .size(theme::OVERALL_SIZE)
            .color(color),
    );
    if cluster.nodes_total > 0 {
        ui.label(format!(
            "{} / {} nodes up",
            cluster.nodes_up, cluster.nodes_total
        ));
    }
}

/// Pause/resume, density and theme (right to left).
fn chrome_ui(ui: &mut egui::Ui, state: &mut UiState) {
    egui::ComboBox::from_label("Theme")
        .selected_text(state.theme.label())
        .show_ui(ui, |ui| {
            for t in ThemeChoice::ALL {
                ui.selectable_value(&mut state.theme, t, t.label());
            }
        });
    egui::ComboBox::from_label("Cards")
        .selected_text(state.density.label())
        .show_ui(ui, |ui| {
            for d in Density::ALL {
                ui.selectable_value(&mut state.density, d, d.label());
            }
        });
    let (text, hover) = if state.paused {
        ("Resume", "Apply new data again")
    } else {
        (
            "Pause",
            "Freeze the screen: new data is not applied until you resume",
        )
    };
    if ui.button(text).on_hover_text(hover).clicked() {
        state.paused = !state.paused;
    }
    ui.label(RichText::new("F11: wall mode").weak());
    if ui
        .button("Settings")
        .on_hover_text(
            "Sources, alert rules and webhooks: saved to the config file, applied at once",
        )
        .clicked()
    {
        state.settings.open = true;
    }
    if ui
        .button("Jump to…")
        .on_hover_text("Find a node, GPU or model by name and open it (Ctrl+K)")
        .clicked()
    {
        state.jump = super::jump::JumpState {
            open: true,
            ..Default::default()
        };
    }
}
