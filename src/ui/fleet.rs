//! The fleet view: every GPU of a large cluster on one screen — a matrix of small cells, one
//! block per node, coloured by the figure chosen (utilisation, VRAM, temperature, health), the
//! value on hover, a click into the node's detail view. Nodes in natural order or worst first,
//! filtered by name, state word or model. Painted directly (one hover area for the whole
//! matrix), so 8,000 cells cost a few thousand vertices and no widget each.
//!
//! The matrix's mesh is kept between frames (egui's memory), block by block: a frame that only
//! moves the pointer or repaints the clock hands the same mesh to the tessellator, and after an
//! update only the blocks of nodes the views built again ([`Views::nodes_with_gpus`]'s
//! revisions) are drawn again, in the kept mesh itself ([`MeshCache::patch`]).
//!
//! State is never told by colour alone: a GPU whose source is down or stale is drawn hollow
//! with a cross or a slash, a GPU without the figure is an empty outline, and the hover text
//! says everything in words.

use std::sync::Arc;

use egui::{Color32, Pos2, Rect, Sense, Vec2, vec2};
use serde::{Deserialize, Serialize};

use crate::format;
use crate::model::health::Health;
use crate::model::views::{GpuCard, NodeView, Views};

pub use crate::model::views::HOT_C;

/// Above this many GPU cards, `Density::Auto` shows the fleet view.
pub const AUTO_FLEET_ABOVE: usize = 128;

/// The figure the cells show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FleetFigure {
    /// GPU utilisation, %.
    #[default]
    Utilisation,
    /// VRAM used, % of total.
    Vram,
    /// Temperature, °C.
    Temperature,
    /// The health of the source that reads the GPU.
    Health,
}

impl FleetFigure {
    /// Every figure, for the picker.
    pub const ALL: [Self; 4] = [
        Self::Utilisation,
        Self::Vram,
        Self::Temperature,
        Self::Health,
    ];

    /// Word for the picker.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Utilisation => "utilisation",
            Self::Vram => "VRAM",
            Self::Temperature => "temperature",
            Self::Health => "health",
        }
    }

    /// The figure of one GPU, scaled to 0..=1 for the colour ramp (no text: this runs for every
    /// cell of every frame).
    fn of(self, c: &GpuCard) -> Option<f64> {
        let g = &c.gpu;
        match self {
            Self::Utilisation => g.util_pct.map(|u| u / 100.0),
            Self::Vram => g.mem_used_pct().map(|p| p / 100.0),
            Self::Temperature => g.temp_c.map(|t| (t - 30.0) / 60.0),
            Self::Health => Some(f64::from(c.health.severity()) / 3.0),
        }
    }

    /// The figure of one GPU in words (for the hover text).
    fn words(self, c: &GpuCard) -> String {
        let g = &c.gpu;
        match self {
            Self::Utilisation => format::pct(g.util_pct, 0),
            Self::Vram => format::pct(g.mem_used_pct(), 0),
            Self::Temperature => format::temp(g.temp_c, 0),
            Self::Health => c.health.label().to_owned(),
        }
    }

    /// The two ends of the legend.
    fn legend(self) -> (&'static str, &'static str) {
        match self {
            Self::Utilisation | Self::Vram => ("0 %", "100 %"),
            Self::Temperature => ("30 °C", "90 °C"),
            Self::Health => ("up", "down"),
        }
    }
}

/// What the user chose in the fleet view (remembered across restarts).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FleetState {
    /// The figure the cells show.
    pub figure: FleetFigure,
    /// Only nodes whose name, state word or model contains this (case-insensitive).
    pub filter: String,
    /// Worst nodes first (by the chosen figure), instead of natural order.
    pub worst_first: bool,
}

/// A colour-blind-safe sequential ramp (viridis' stops): dark blue, through teal and green, to
/// yellow. No red/green pair carries meaning; the value is in the hover text too.
const RAMP: [[u8; 3]; 5] = [
    [0x44, 0x01, 0x54],
    [0x3b, 0x52, 0x8b],
    [0x21, 0x91, 0x8c],
    [0x5e, 0xc9, 0x62],
    [0xfd, 0xe7, 0x25],
];

/// The ramp at `x` in 0..=1 (clamped).
#[must_use]
pub fn ramp(x: f64) -> Color32 {
    let x = x.clamp(0.0, 1.0) * (RAMP.len() - 1) as f64;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = (x.floor() as usize).min(RAMP.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let v = (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
        v
    };
    let (a, b) = (RAMP[i], RAMP[i + 1]);
    Color32::from_rgb(mix(a[0], b[0]), mix(a[1], b[1]), mix(a[2], b[2]))
}

/// One node's block: its view, its GPU cards and their revision in the views.
struct Block<'a> {
    node: &'a NodeView,
    gpus: &'a [GpuCard],
    revision: u64,
    worst: f64,
}

fn matches(filter: &str, n: &NodeView) -> bool {
    if filter.is_empty() {
        return true;
    }
    let f = filter.to_lowercase();
    n.name.to_lowercase().contains(&f)
        || n.health.label().contains(&f)
        || n.models.iter().any(|m| m.to_lowercase().contains(&f))
}

fn blocks<'a>(views: &'a Views, state: &FleetState) -> Vec<Block<'a>> {
    let filter = state.filter.trim();
    let mut out: Vec<Block<'a>> = views
        .nodes_with_gpus()
        .filter(|(n, gpus, _)| !gpus.is_empty() && matches(filter, n))
        .map(|(n, gpus, revision)| {
            // Read only to sort: every card's figure is a read of memory far apart.
            let worst = if state.worst_first {
                gpus.iter()
                    .filter_map(|c| state.figure.of(c))
                    .fold(f64::from(n.health.severity()) * 10.0, f64::max)
            } else {
                0.0
            };
            Block {
                node: n,
                gpus,
                revision,
                worst,
            }
        })
        .collect();
    if state.worst_first {
        // Stable: equal nodes keep their natural order.
        out.sort_by(|a, b| b.worst.total_cmp(&a.worst));
    }
    out
}

/// Cell heights the desk view tries, largest first.
const DESK_SIDES: &[f32] = &[18.0, 16.0, 14.0, 12.0, 10.0, 9.0, 8.0, 7.0, 6.0];
/// Cell heights the wall view tries: larger cells read from across a room.
const WALL_SIDES: &[f32] = &[
    160.0, 128.0, 104.0, 88.0, 72.0, 60.0, 50.0, 42.0, 36.0, 30.0, 26.0, 22.0, 18.0, 14.0, 12.0,
    10.0, 8.0, 6.0,
];

/// Cell and gap sizes for `gpus_per_node` cells per block, fitting `blocks` blocks into
/// `avail` if they can (the first of `sides` that fits, else the smallest).
fn geometry(avail: Vec2, blocks: usize, gpus_per_node: usize, sides: &[f32]) -> (Vec2, f32, f32) {
    let per = gpus_per_node.max(1) as f32;
    for &side in sides {
        let cell = vec2(side * 0.75, side);
        let (gap, block_gap) = (1.0, (side * 0.45).max(4.0));
        let block_w = per * (cell.x + gap) + block_gap;
        let cols = ((avail.x + block_gap) / block_w).floor().max(1.0);
        let rows = (blocks as f32 / cols).ceil();
        if rows * (cell.y + block_gap) <= avail.y {
            return (cell, gap, block_gap);
        }
    }
    let side = sides.last().copied().unwrap_or(6.0);
    (vec2(side * 0.75, side), 1.0, (side * 0.45).max(4.0))
}

/// What the fleet view answers: the node clicked (to open its detail view).
pub struct FleetResponse {
    /// The node whose block was clicked.
    pub clicked_node: Option<String>,
}

/// Draw the controls and the matrix into `ui`, using the height left (`height`).
pub fn fleet_ui(
    ui: &mut egui::Ui,
    views: &Views,
    state: &mut FleetState,
    height: f32,
) -> FleetResponse {
    let shown = blocks(views, state);
    let gpus_shown: usize = shown.iter().map(|b| b.gpus.len()).sum();
    let hot = views.hot_gpus();
    let down = views
        .gpus
        .iter()
        .filter(|c| matches!(c.health, Health::Down { .. } | Health::Stale { .. }))
        .count();
    ui.horizontal_wrapped(|ui| {
        egui::ComboBox::from_label("colour")
            .selected_text(state.figure.label())
            .show_ui(ui, |ui| {
                for f in FleetFigure::ALL {
                    ui.selectable_value(&mut state.figure, f, f.label());
                }
            });
        ui.add(
            egui::TextEdit::singleline(&mut state.filter)
                .hint_text("filter: node, state or model")
                .desired_width(200.0),
        );
        ui.checkbox(&mut state.worst_first, "Worst first");
        let (lo, hi) = state.figure.legend();
        ui.label(lo);
        let (r, _) = ui.allocate_exact_size(vec2(90.0, 12.0), Sense::hover());
        for i in 0..30 {
            let x0 = r.left() + r.width() * i as f32 / 30.0;
            let x1 = r.left() + r.width() * (i + 1) as f32 / 30.0;
            ui.painter().rect_filled(
                Rect::from_min_max(Pos2::new(x0, r.top()), Pos2::new(x1, r.bottom())),
                0.0,
                ramp(f64::from(i) / 29.0),
            );
        }
        ui.label(hi);
        ui.label(format!(
            "{} of {} GPUs on {} of {} nodes · {hot} hot (≥ 83 °C) · {down} on a stale or down source · crossed out: down, slashed: stale, outline only: no figure",
            gpus_shown,
            views.gpus.len(),
            shown.len(),
            views.nodes.len(),
        ));
    });
    let avail = vec2(ui.available_width(), height.max(80.0));
    matrix_ui(ui, &shown, state.figure, avail, DESK_SIDES)
}

/// Which page of the matrix the wall shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixPage {
    /// The page shown, from 0.
    pub page: usize,
    /// Pages in all (1 when every node fits).
    pub pages: usize,
    /// The first node on the page.
    pub first_node: String,
    /// The last node on the page.
    pub last_node: String,
}

/// The matrix alone for the wall: every node in natural order coloured by utilisation, cells as
/// large as `avail` allows; when even the smallest cells do not fit, page `tick` modulo the
/// pages needed.
pub fn wall_matrix_ui(ui: &mut egui::Ui, views: &Views, avail: Vec2, tick: u64) -> MatrixPage {
    let all = blocks(views, &FleetState::default());
    let per = all.iter().map(|b| b.gpus.len()).max().unwrap_or(1);
    let (cell, gap, block_gap) = geometry(avail, all.len(), per, WALL_SIDES);
    let block_w = per as f32 * (cell.x + gap) + block_gap;
    let cols = ((avail.x + block_gap) / block_w).floor().max(1.0) as usize;
    let rows = ((avail.y / (cell.y + block_gap)).floor() as usize).max(1);
    let per_page = cols * rows;
    let pages = all.len().div_ceil(per_page).max(1);
    let page = usize::try_from(tick % pages as u64).unwrap_or(0);
    let shown = &all[(page * per_page).min(all.len())..((page + 1) * per_page).min(all.len())];
    let name = |b: Option<&Block<'_>>| b.map(|b| b.node.name.clone()).unwrap_or_default();
    let out = MatrixPage {
        page,
        pages,
        first_node: name(shown.first()),
        last_node: name(shown.last()),
    };
    matrix_ui(ui, shown, FleetFigure::Utilisation, avail, WALL_SIDES);
    out
}

/// Paint `shown` blocks into `avail`, cells sized from `sides`; hover tells a cell in words and
/// a click answers its node.
fn matrix_ui(
    ui: &mut egui::Ui,
    shown: &[Block<'_>],
    figure: FleetFigure,
    avail: Vec2,
    sides: &[f32],
) -> FleetResponse {
    let visuals = ui.visuals().clone();
    let gpus_shown: usize = shown.iter().map(|b| b.gpus.len()).sum();
    let per = shown.iter().map(|b| b.gpus.len()).max().unwrap_or(1);
    let (cell, gap, block_gap) = geometry(avail, shown.len(), per, sides);
    let block_w = per as f32 * (cell.x + gap) + block_gap;
    let cols = ((avail.x + block_gap) / block_w).floor().max(1.0) as usize;
    let rows = shown.len().div_ceil(cols);
    let size = vec2(avail.x, rows as f32 * (cell.y + block_gap));
    let (rect, resp) = ui.allocate_exact_size(size, Sense::click());
    // One accessible node for the whole matrix (screen readers, tests): its size in words.
    resp.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Canvas,
            true,
            format!("GPU matrix: {gpus_shown} GPUs on {} nodes", shown.len()),
        )
    });
    let painter = ui.painter_at(rect);
    let outline = visuals.weak_text_color();
    let cell_at = |bi: usize, gi: usize| {
        let (row, col) = (bi / cols, bi % cols);
        let x = rect.left() + col as f32 * block_w + gi as f32 * (cell.x + gap);
        let y = rect.top() + row as f32 * (cell.y + block_gap);
        Rect::from_min_size(Pos2::new(x, y), cell)
    };
    // Every cell, outline, mark and node underline goes into one mesh, each over what it
    // marks: a few vertices apiece, tessellated once — and kept until what it is drawn from
    // changes, then drawn again only where it did.
    let cache_id = resp.id.with("mesh");
    let frame = frame_key(ui, figure, rect, [cell.x, cell.y, gap, block_gap]);
    let mut cache: MeshCache = ui.data_mut(|d| d.remove_temp(cache_id)).unwrap_or_default();
    if !cache.shows(frame, shown) {
        let draw = |mesh: &mut egui::Mesh, bi: usize, b: &Block<'_>| {
            fill_block(mesh, ui, bi, b, figure, &cell_at, per, outline);
        };
        if !cache.patch(frame, shown, draw) {
            let keep = (cache.frame == frame).then_some(&cache);
            cache = draw_mesh(keep, frame, ui, shown, figure, &cell_at, per, outline);
        }
    }
    painter.add(egui::Shape::Mesh(Arc::clone(&cache.mesh)));
    ui.data_mut(|d| d.insert_temp(cache_id, cache));
    let hit = resp.hover_pos().and_then(|p| {
        let col = ((p.x - rect.left()) / block_w).floor() as usize;
        let row = ((p.y - rect.top()) / (cell.y + block_gap)).floor() as usize;
        let bi = row * cols + col;
        let b = shown.get(bi).filter(|_| col < cols)?;
        let gi = ((p.x - rect.left() - col as f32 * block_w) / (cell.x + gap)).floor() as usize;
        Some((b, b.gpus.get(gi)))
    });
    let mut clicked_node = None;
    if let Some((b, gpu)) = hit {
        let text = match gpu {
            Some(c) => {
                let value = figure.words(c);
                format!(
                    "{} · {}\n{}: {value}\nutil {} · VRAM {} · {} · {}\nsource {}{}\nclick: the node's detail view",
                    b.node.name,
                    super::gpu_cards::gpu_title(&c.gpu),
                    figure.label(),
                    format::pct(c.gpu.util_pct, 0),
                    format::pct(c.gpu.mem_used_pct(), 0),
                    format::temp(c.gpu.temp_c, 0),
                    c.gpu.name.as_deref().unwrap_or("GPU"),
                    c.health.label(),
                    c.model
                        .as_deref()
                        .map(|m| format!(" · serves {m}"))
                        .unwrap_or_default(),
                )
            }
            None => format!("{} · {}", b.node.name, b.node.health.label()),
        };
        resp.clone().on_hover_text_at_pointer(text);
        if resp.clicked() {
            clicked_node = Some(b.node.name.clone());
        }
    }
    FleetResponse { clicked_node }
}

#[path = "fleet_mesh.rs"]
mod mesh;
use mesh::{MeshCache, draw_mesh, fill_block, frame_key};

#[cfg(test)]
#[path = "fleet_tests.rs"]
mod tests;
