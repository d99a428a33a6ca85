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

use std::hash::{Hash as _, Hasher as _};
use std::ops::Range;
use std::sync::Arc;

use egui::{Color32, Pos2, Rect, Sense, Vec2, vec2};
use serde::{Deserialize, Serialize};

use super::theme::{self, Level};
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

/// A straight line `width` wide from `a` to `b`: two triangles of `mesh`, no feathering (a
/// matrix has thousands of cells; as shapes, each line would be tessellated on its own).
fn mesh_line(mesh: &mut egui::Mesh, a: Pos2, b: Pos2, width: f32, color: Color32) {
    let n = (b - a).normalized().rot90() * (width / 2.0);
    let i = u32::try_from(mesh.vertices.len()).unwrap_or(u32::MAX);
    for p in [a + n, b + n, b - n, a - n] {
        mesh.colored_vertex(p, color);
    }
    mesh.add_triangle(i, i + 1, i + 2);
    mesh.add_triangle(i, i + 2, i + 3);
}

/// `r`'s outline, `width` wide and inside it: a ring of eight vertices (the outer and inner
/// corners) and eight triangles in `mesh`.
fn mesh_outline(mesh: &mut egui::Mesh, r: Rect, width: f32, color: Color32) {
    let w = width.min(r.width() / 2.0).min(r.height() / 2.0);
    let inner = r.shrink(w);
    let i = u32::try_from(mesh.vertices.len()).unwrap_or(u32::MAX);
    let corners = |r: Rect| {
        [
            r.left_top(),
            r.right_top(),
            r.right_bottom(),
            r.left_bottom(),
        ]
    };
    for p in corners(r).into_iter().chain(corners(inner)) {
        mesh.colored_vertex(p, color);
    }
    for k in 0..4 {
        let (o0, o1, i0, i1) = (i + k, i + (k + 1) % 4, i + 4 + k, i + 4 + (k + 1) % 4);
        mesh.add_triangle(o0, o1, i1);
        mesh.add_triangle(o0, i1, i0);
    }
}

/// The mark that tells a cell's health without colour: a cross when down, a slash when stale.
fn health_mark(mesh: &mut egui::Mesh, r: Rect, h: &Health, color: Color32) {
    match h {
        Health::Down { .. } => {
            mesh_line(mesh, r.left_top(), r.right_bottom(), 1.0, color);
            mesh_line(mesh, r.right_top(), r.left_bottom(), 1.0, color);
        }
        Health::Stale { .. } => mesh_line(mesh, r.left_bottom(), r.right_top(), 1.0, color),
        _ => {}
    }
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

/// The matrix's mesh as last built and what it was drawn from: a hash of what every block is
/// drawn against (the figure, the geometry, what is visible, the theme's colours) and, block
/// by block in the order shown, the node's revision and where its part of the mesh is; and
/// how many vertices of the mesh no block uses any more ([`MeshCache::patch`]).
#[derive(Clone, Default)]
struct MeshCache {
    frame: u64,
    blocks: Vec<BlockMesh>,
    mesh: Arc<egui::Mesh>,
    unused: usize,
}

/// One block's part of the kept mesh.
#[derive(Clone)]
struct BlockMesh {
    revision: u64,
    vertices: Range<usize>,
    indices: Range<usize>,
}

impl MeshCache {
    /// Draw the blocks whose nodes changed again, in the mesh as it is (`draw` draws the `bi`th
    /// block shown into an empty mesh): a block that fits where it was is written there, the
    /// triangles it no longer needs made empty (three times one vertex: nothing drawn); one
    /// that needs more room goes to the end and its old triangles are made empty. Blocks do
    /// not overlap, so their order in the mesh does not matter, and nothing else moves: the
    /// cost is the changed blocks', whatever the mesh's size. `false` (nothing done) unless the
    /// same blocks are shown against the same frame, at most one in eight changed, at most a
    /// quarter of the mesh is unused (else it is drawn again whole, tightly) and nothing else
    /// holds the mesh.
    fn patch(
        &mut self,
        frame: u64,
        shown: &[Block<'_>],
        mut draw: impl FnMut(&mut egui::Mesh, usize, &Block<'_>),
    ) -> bool {
        if self.frame != frame || self.blocks.len() != shown.len() {
            return false;
        }
        let changed: Vec<usize> = (0..shown.len())
            .filter(|&bi| self.blocks[bi].revision != shown[bi].revision)
            .collect();
        if changed.len() > shown.len() / 8 {
            return false;
        }
        let Some(mesh) = Arc::get_mut(&mut self.mesh) else {
            return false;
        };
        if self.unused > mesh.vertices.len() / 4 {
            return false;
        }
        let mut part = egui::Mesh::default();
        for bi in changed {
            part.vertices.clear();
            part.indices.clear();
            draw(&mut part, bi, &shown[bi]);
            let at = &mut self.blocks[bi];
            let fits =
                part.vertices.len() <= at.vertices.len() && part.indices.len() <= at.indices.len();
            let start = if fits {
                at.vertices.start
            } else {
                mesh.vertices.len()
            };
            let Ok(base) = u32::try_from(start) else {
                return false;
            };
            let moved = part.indices.iter().map(|i| i + base);
            let (vertices, indices) = if fits {
                mesh.vertices[start..start + part.vertices.len()].copy_from_slice(&part.vertices);
                let i0 = at.indices.start;
                for (slot, i) in mesh.indices[i0..].iter_mut().zip(moved) {
                    *slot = i;
                }
                (
                    start..start + part.vertices.len(),
                    i0..i0 + part.indices.len(),
                )
            } else {
                mesh.vertices.extend_from_slice(&part.vertices);
                let i0 = mesh.indices.len();
                mesh.indices.extend(moved);
                (start..mesh.vertices.len(), i0..mesh.indices.len())
            };
            // What the block used before and no longer does: empty triangles, unused vertices.
            let freed = if fits {
                indices.end..at.indices.end
            } else {
                at.indices.clone()
            };
            let empty = u32::try_from(at.vertices.start).unwrap_or(0);
            mesh.indices[freed].fill(empty);
            self.unused += at.vertices.len() - if fits { vertices.len() } else { 0 };
            *at = BlockMesh {
                revision: shown[bi].revision,
                vertices,
                indices,
            };
        }
        true
    }

    /// Whether the mesh shows `shown` as they are, drawn against `frame`.
    fn shows(&self, frame: u64, shown: &[Block<'_>]) -> bool {
        self.frame == frame
            && !self.mesh.is_empty()
            && self.blocks.len() == shown.len()
            && self
                .blocks
                .iter()
                .zip(shown)
                .all(|(m, b)| m.revision == b.revision)
    }
}

/// What every block of a matrix is drawn against, hashed: the figure, the matrix's place and
/// cell geometry, what of it is visible and the theme's colours.
fn frame_key(ui: &egui::Ui, figure: FleetFigure, rect: Rect, geometry: [f32; 4]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (figure as u8).hash(&mut h);
    let clip = ui.clip_rect().intersect(rect);
    for f in [rect.min.x, rect.min.y, rect.max.x, rect.max.y] {
        f.to_bits().hash(&mut h);
    }
    for f in [clip.min.x, clip.min.y, clip.max.x, clip.max.y] {
        f.to_bits().hash(&mut h);
    }
    for f in geometry {
        f.to_bits().hash(&mut h);
    }
    let v = ui.visuals();
    v.weak_text_color().hash(&mut h);
    for l in [Level::Ok, Level::Warn, Level::Crit, Level::Unknown] {
        theme::level_color(v, l).hash(&mut h);
        theme::bar_fill(v, l).hash(&mut h);
    }
    h.finish()
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

/// The matrix's mesh for `shown`, drawn against `frame`: a block whose node has the revision
/// it had in `kept` (drawn against the same frame) is copied from there, every other block is
/// drawn ([`fill_block`]). A new buffer each time: refilling the kept one measured slower
/// (benches/frame.rs, docs/BENCHMARKS.md).
#[allow(clippy::too_many_arguments)]
fn draw_mesh(
    kept: Option<&MeshCache>,
    frame: u64,
    ui: &egui::Ui,
    shown: &[Block<'_>],
    figure: FleetFigure,
    cell_at: &dyn Fn(usize, usize) -> Rect,
    per: usize,
    outline: Color32,
) -> MeshCache {
    let mut mesh = egui::Mesh::default();
    let kept_block = |bi: usize, b: &Block<'_>| {
        let k = kept?;
        Some((k, k.blocks.get(bi).filter(|o| o.revision == b.revision)?))
    };
    // Reserved once, no regrowth while filling: what a kept block has, and at most a ring (8)
    // and a cross (8) a cell of a block drawn again.
    let (mut vertices, mut indices) = (0, 0);
    for (bi, b) in shown.iter().enumerate() {
        match kept_block(bi, b) {
            Some((_, o)) => {
                vertices += o.vertices.len();
                indices += o.indices.len();
            }
            None => {
                vertices += b.gpus.len() * 16;
                indices += b.gpus.len() * 36;
            }
        }
    }
    mesh.vertices.reserve_exact(vertices);
    mesh.indices.reserve_exact(indices);
    let mut blocks = Vec::with_capacity(shown.len());
    for (bi, b) in shown.iter().enumerate() {
        let (v0, i0) = (mesh.vertices.len(), mesh.indices.len());
        match kept_block(bi, b) {
            Some((k, o)) => copy_block(&k.mesh, o, &mut mesh),
            None => fill_block(&mut mesh, ui, bi, b, figure, cell_at, per, outline),
        }
        blocks.push(BlockMesh {
            revision: b.revision,
            vertices: v0..mesh.vertices.len(),
            indices: i0..mesh.indices.len(),
        });
    }
    MeshCache {
        frame,
        blocks,
        mesh: Arc::new(mesh),
        unused: 0,
    }
}

/// Append block `o`'s part of `from` to `mesh`, its indices moved to where its vertices land.
fn copy_block(from: &egui::Mesh, o: &BlockMesh, mesh: &mut egui::Mesh) {
    let (Some(vertices), Some(indices)) = (
        from.vertices.get(o.vertices.clone()),
        from.indices.get(o.indices.clone()),
    ) else {
        return;
    };
    let (old, new) = (
        u32::try_from(o.vertices.start).unwrap_or(u32::MAX),
        u32::try_from(mesh.vertices.len()).unwrap_or(u32::MAX),
    );
    mesh.vertices.extend_from_slice(vertices);
    mesh.indices.extend(
        indices
            .iter()
            .map(|&i| i.wrapping_sub(old).wrapping_add(new)),
    );
}

/// Draw block `b` (the `bi`th shown) into `mesh`: each cell a filled rectangle with the
/// figure's colour (the health's, for the health figure), an outline where there is no figure
/// or the source is not up, the health's mark; a line under a node that is not all up.
/// Nothing when the block is off screen.
#[allow(clippy::too_many_arguments)]
fn fill_block(
    mesh: &mut egui::Mesh,
    ui: &egui::Ui,
    bi: usize,
    b: &Block<'_>,
    figure: FleetFigure,
    cell_at: &dyn Fn(usize, usize) -> Rect,
    per: usize,
    outline: Color32,
) {
    let visuals = ui.visuals();
    if !ui.is_rect_visible(cell_at(bi, 0).union(cell_at(bi, per.saturating_sub(1)))) {
        return;
    }
    for (gi, c) in b.gpus.iter().enumerate() {
        let r = cell_at(bi, gi);
        let up = matches!(c.health, Health::Up { .. });
        match figure.of(c) {
            Some(x) if up || figure == FleetFigure::Health => {
                let fill = if figure == FleetFigure::Health {
                    theme::bar_fill(visuals, theme::health_level(&c.health))
                } else {
                    ramp(x)
                };
                // Four vertices a cell, no rounding or feathering (at 8,000 cells, rounded
                // rectangles cost ~60 vertices each).
                mesh.add_colored_rect(r, fill);
            }
            _ => mesh_outline(mesh, r, 1.0, outline),
        }
        let mark = theme::level_color(visuals, theme::health_level(&c.health));
        health_mark(mesh, r, &c.health, mark);
    }
    if theme::health_level(&b.node.health) != Level::Ok {
        // A thin line under a node that is not all up.
        let (a, z) = (cell_at(bi, 0), cell_at(bi, b.gpus.len().saturating_sub(1)));
        let y = a.bottom() + 1.5;
        mesh.add_colored_rect(
            Rect::from_min_max(
                Pos2::new(a.left(), y - 0.75),
                Pos2::new(z.right(), y + 0.75),
            ),
            theme::level_color(visuals, theme::health_level(&b.node.health)),
        );
    }
}

#[cfg(test)]
#[path = "fleet_tests.rs"]
mod tests;
