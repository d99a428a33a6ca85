//! The cluster-health card: nodes up of total, failover readiness, the active node, and every
//! node with its state word (and the reason when it is not up). Long node lists scroll inside
//! the card and only the visible rows are built.

use std::time::SystemTime;

use egui::RichText;

use super::icons::{self, Icon};
use super::theme;
use crate::format;
use crate::model::health::Health;
use crate::model::views::{ClusterView, NodeView};

/// Draw the card at its fixed size; with `clickable`, returns the node whose row was clicked.
pub fn cluster_card_ui(
    ui: &mut egui::Ui,
    cluster: &ClusterView,
    nodes: &[NodeView],
    clickable: bool,
    now: SystemTime,
) -> Option<String> {
    let frame = theme::card_frame(ui.style());
    let inner =
        egui::vec2(theme::CLUSTER_CARD_WIDTH, theme::SUMMARY_HEIGHT) - frame.total_margin().sum();
    frame
        .show(ui, |ui| {
            ui.set_min_size(inner);
            ui.set_max_size(inner);
            ui.vertical(|ui| card_body_ui(ui, cluster, nodes, clickable, now))
                .inner
        })
        .inner
}

fn card_body_ui(
    ui: &mut egui::Ui,
    cluster: &ClusterView,
    nodes: &[NodeView],
    clickable: bool,
    now: SystemTime,
) -> Option<String> {
    ui.label(
        RichText::new("Cluster health")
            .strong()
            .size(theme::CARD_TITLE_SIZE),
    );
    let level = theme::overall_level(cluster.overall);
    let nodes_up = format!("{} / {} nodes up", cluster.nodes_up, cluster.nodes_total);
    icons::state_ui(ui, level, &nodes_up, true);
    let (failover, f_level) = match cluster.failover_ready {
        Some(true) => ("Ready", theme::Level::Ok),
        Some(false) => ("NOT ready", theme::Level::Crit),
        None => ("n/a", theme::Level::Unknown),
    };
    ui.horizontal(|ui| {
        ui.label("Failover:");
        icons::state_ui(ui, f_level, failover, false);
    });
    ui.horizontal(|ui| {
        ui.label("Active node:");
        ui.label(RichText::new(cluster.active_node.as_deref().unwrap_or("n/a")).strong());
    });
    ui.separator();
    if nodes.is_empty() {
        ui.label(RichText::new("No node known yet.").weak());
        return None;
    }
    // Whole rows only: the list never ends in half a node.
    let row_sans_spacing = (ui.text_style_height(&egui::TextStyle::Body) + 2.0).ceil();
    let row_h = row_sans_spacing + ui.spacing().item_spacing.y;
    let rows_fit = (ui.available_height() / row_h).floor().max(1.0);
    let mut clicked = None;
    egui::ScrollArea::vertical()
        .id_salt("cluster_nodes")
        .auto_shrink([false, true])
        .max_height(rows_fit * row_h)
        .show_rows(ui, row_sans_spacing, nodes.len(), |ui, range| {
            for n in nodes.get(range).unwrap_or_default() {
                if node_row_ui(ui, n, row_sans_spacing, clickable, now) {
                    clicked = Some(n.name.clone());
                }
            }
        });
    clicked
}

/// One node: icon, name, state word, and why when it is not up (full text on hover). True when
/// it was clicked (`clickable` only).
fn node_row_ui(
    ui: &mut egui::Ui,
    n: &NodeView,
    height: f32,
    clickable: bool,
    now: SystemTime,
) -> bool {
    let color = theme::level_color(ui.visuals(), theme::health_level(&n.health));
    let row = ui.horizontal(|ui| {
        ui.set_height(height);
        icons::icon_ui(ui, Icon::of_health(&n.health), color, 1.0);
        ui.label(RichText::new(&n.name).strong());
        ui.label(RichText::new(n.health.label()).color(color));
        if let Some(reason) = n.health.reason() {
            ui.add(egui::Label::new(RichText::new(format!("— {reason}")).weak()).truncate());
        }
    });
    let response = if clickable {
        row.response
            .interact(egui::Sense::click())
            .on_hover_cursor(egui::CursorIcon::PointingHand)
    } else {
        row.response
    };
    let clicked = response.clicked();
    response.on_hover_ui(|ui| {
        ui.label(RichText::new(&n.name).strong());
        ui.label(n.health.label());
        match &n.health {
            Health::Up { since } => {
                ui.label(format!("up since {}", format::age(*since, now)));
            }
            Health::Stale { since, reason } | Health::Down { since, reason } => {
                ui.label(format!("since {}", format::age(*since, now)));
                ui.label(&**reason);
            }
            Health::Unknown => {
                ui.label("no answer yet");
            }
            Health::NotFound { reason } => {
                ui.label(&**reason);
            }
        }
        if let Some(w) = &n.worst_source {
            ui.label(format!("worst source: {w}"));
        }
        ui.label(format!(
            "{} / {} sources up, {} GPU(s)",
            n.sources_up, n.sources, n.gpus
        ));
        if !n.models.is_empty() {
            ui.label(format!("models: {}", n.models.join(", ")));
        }
    });
    clicked
}
