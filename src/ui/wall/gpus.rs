//! The wall's GPU section: cards as large as the room allows (a few GPUs get big ones), then
//! two-line cards, then the fleet matrix, then named pages of the matrix when even that does
//! not fit; the title counts them and says how many are hot or not up.

use std::time::SystemTime;

use egui::{Align, Layout, Sense, UiBuilder, Vec2, vec2};

use super::layout::TypeScale;
use super::{text, title_ui};
use crate::config::wall::WallSettings;
use crate::format;
use crate::model::health::Health;
use crate::model::views::{GpuCard, Views};
use crate::ui::fleet::HOT_C;
use crate::ui::icons;
use crate::ui::theme::{self, Level};

pub(super) fn gpus_ui(
    ui: &mut egui::Ui,
    views: &Views,
    settings: &WallSettings,
    ts: TypeScale,
    now: SystemTime,
) {
    let cards = &views.gpus;
    let hot = views.hot_gpus();
    let not_up = cards
        .iter()
        .filter(|c| !matches!(c.health, Health::Up { .. }))
        .count();
    let mut note = format!("{}", cards.len());
    if hot > 0 {
        note.push_str(&format!(" · {hot} hot"));
    }
    if not_up > 0 {
        note.push_str(&format!(" · {not_up} not up"));
    }
    if cards.is_empty() {
        title_ui(ui, "GPUs", "", ts);
        ui.label(text("No GPU seen yet", ts.body).weak());
        return;
    }
    let avail = vec2(
        ui.available_width(),
        ui.available_height() - TypeScale::line(ts.body),
    );
    let gap = ui.spacing().item_spacing;
    // Cards as large as the room allows (a few GPUs get big ones), then two-line cards, down
    // to the wall's least type.
    let tiers = [2.0, 1.6, 1.3, 1.0].map(|k| Tile::Full(ts.scaled(k)));
    for tile in tiers.into_iter().chain([Tile::Compact(ts)]) {
        let size = tile.size();
        let cols = (((avail.x + gap.x) / (size.x + gap.x)).floor() as usize).max(1);
        let rows = ((avail.y + gap.y) / (size.y + gap.y)).floor().max(0.0) as usize;
        if cards.len() <= cols * rows {
            title_ui(ui, "GPUs", &note, ts);
            tiles_ui(ui, cards, cols.min(cards.len()), tile);
            return;
        }
    }
    // Too many for cards: the matrix, paged when even that does not fit.
    let page_s = settings.page_every.as_secs().max(1);
    let tick = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        / page_s;
    let title_rect = ui
        .allocate_exact_size(vec2(avail.x, TypeScale::line(ts.body)), Sense::hover())
        .0;
    let legend_h = TypeScale::line(ts.small) + gap.y;
    let page = crate::ui::fleet::wall_matrix_ui(ui, views, avail - vec2(0.0, legend_h), tick);
    ui.label(
        text(
            "utilisation: dark blue 0 % to yellow 100 % · crossed out: down · slashed: stale · outline: no figure",
            ts.small,
        )
        .weak(),
    );
    let mut title = ui.new_child(
        UiBuilder::new()
            .max_rect(title_rect)
            .layout(Layout::left_to_right(Align::Center)),
    );
    if page.pages > 1 {
        note.push_str(&format!(
            " · page {} of {} · nodes {}–{}",
            page.page + 1,
            page.pages,
            page.first_node,
            page.last_node
        ));
    }
    title_ui(&mut title, "GPUs", &note, ts);
}

/// A GPU card on the wall.
#[derive(Debug, Clone, Copy)]
enum Tile {
    /// Node and GPU, the utilisation in key type, VRAM and temperature, the model.
    Full(TypeScale),
    /// The utilisation in key type; beside it, node and GPU over the temperature.
    Compact(TypeScale),
}

impl Tile {
    fn size(self) -> Vec2 {
        let line = TypeScale::line;
        match self {
            Self::Full(ts) => vec2(
                ts.body * 10.0,
                2.0 * line(ts.small) + line(ts.key) + line(ts.body) + ts.small,
            ),
            Self::Compact(ts) => vec2(ts.key * 2.4 + ts.small * 7.5, line(ts.key) + ts.small * 0.5),
        }
    }
}

fn tiles_ui(ui: &mut egui::Ui, cards: &[GpuCard], cols: usize, tile: Tile) {
    let gap = ui.spacing().item_spacing;
    let w = (ui.available_width() - gap.x * (cols - 1) as f32) / cols as f32;
    let h = tile.size().y;
    for row in cards.chunks(cols) {
        ui.horizontal(|ui| {
            for c in row {
                ui.allocate_ui_with_layout(vec2(w, h), Layout::top_down(Align::Min), |ui| {
                    ui.set_min_size(vec2(w, h));
                    tile_ui(ui, c, tile);
                });
            }
        });
    }
}

fn tile_ui(ui: &mut egui::Ui, c: &GpuCard, tile: Tile) {
    let v = ui.visuals().clone();
    let (Tile::Full(ts) | Tile::Compact(ts)) = tile;
    ui.painter()
        .rect_filled(ui.max_rect(), ts.small * 0.3, v.faint_bg_color);
    let g = &c.gpu;
    let up = matches!(c.health, Health::Up { .. });
    let temp_level = theme::level(g.temp_c, 75.0, HOT_C);
    let temp_ui = |ui: &mut egui::Ui, size: f32| {
        ui.horizontal(|ui| {
            let color = theme::level_color(&v, temp_level);
            ui.label(text(format::temp(g.temp_c, 0), size).color(color));
            if temp_level == Level::Crit {
                ui.label(text("hot", size).strong().color(color));
            }
        });
    };
    let util_ui = |ui: &mut egui::Ui| {
        if up {
            ui.label(text(format::pct(g.util_pct, 0), ts.key).strong());
        } else {
            icons::state_sized_ui(ui, theme::health_level(&c.health), c.health.label(), ts.key);
        }
    };
    match tile {
        Tile::Full(ts) => {
            ui.label(
                text(
                    format!("{} · {}", c.node, crate::ui::gpu_cards::gpu_title(g)),
                    ts.small,
                )
                .strong(),
            );
            ui.horizontal(util_ui);
            ui.horizontal(|ui| {
                ui.label(text(
                    format!("VRAM {}", format::pct(g.mem_used_pct(), 0)),
                    ts.body,
                ));
                temp_ui(ui, ts.body);
            });
            ui.label(text(c.model.as_deref().unwrap_or("no model"), ts.small).weak());
        }
        Tile::Compact(ts) => {
            ui.horizontal(|ui| {
                util_ui(ui);
                ui.vertical(|ui| {
                    let index = g.index.map_or_else(String::new, |i| format!(" #{i}"));
                    ui.label(text(format!("{}{index}", c.node), ts.small).strong());
                    temp_ui(ui, ts.small);
                });
            });
        }
    }
}
