//! The fleet matrix's mesh, kept between frames: every cell, outline, mark and node underline
//! in one mesh of a few vertices each ([`fill_block`] draws one node's block), with, block by
//! block, the node's revision and where its part is ([`MeshCache`]). After an update only the
//! changed blocks are drawn again, in the mesh itself ([`MeshCache::patch`]); otherwise it is
//! drawn whole ([`draw_mesh`]). Part of [`super`]; kept apart to keep that file to the view.

use std::hash::{Hash as _, Hasher as _};
use std::ops::Range;
use std::sync::Arc;

use egui::{Color32, Pos2, Rect};

use super::super::theme::{self, Level};
use super::{Block, FleetFigure, ramp};
use crate::model::health::Health;

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

/// The matrix's mesh as last built and what it was drawn from: a hash of what every block is
/// drawn against (the figure, the geometry, what is visible, the theme's colours) and, block
/// by block in the order shown, the node's revision and where its part of the mesh is; and
/// how many vertices of the mesh no block uses any more ([`MeshCache::patch`]).
#[derive(Clone, Default)]
pub(super) struct MeshCache {
    pub(super) frame: u64,
    blocks: Vec<BlockMesh>,
    pub(super) mesh: Arc<egui::Mesh>,
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
    pub(super) fn patch(
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
    pub(super) fn shows(&self, frame: u64, shown: &[Block<'_>]) -> bool {
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
pub(super) fn frame_key(ui: &egui::Ui, figure: FleetFigure, rect: Rect, geometry: [f32; 4]) -> u64 {
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

/// The matrix's mesh for `shown`, drawn against `frame`: a block whose node has the revision
/// it had in `kept` (drawn against the same frame) is copied from there, every other block is
/// drawn ([`fill_block`]). A new buffer each time: refilling the kept one measured slower
/// (benches/frame.rs, docs/BENCHMARKS.md).
#[allow(clippy::too_many_arguments)]
pub(super) fn draw_mesh(
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
pub(super) fn fill_block(
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
