//! A grid of equal cards that fills the available width, in stable order, and only builds the
//! rows that are on screen — 512 GPU cards cost what the ~30 visible ones cost.

use egui::{Align, Layout, Rect, Sense, UiBuilder, Vec2, pos2, vec2};

use super::theme;

/// Columns that fit `width` for cells `cell_w` wide with `gap` between them (at least one).
#[must_use]
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn columns(width: f32, cell_w: f32, gap: f32) -> usize {
    (((width + gap) / (cell_w + gap)).floor().max(1.0)) as usize
}

/// Lay out `count` cells of `cell` size (outer) in rows; call `cell_ui(ui, index)` for each
/// visible cell, with a child `Ui` whose max rect is the cell. When a row is full, cells stretch
/// a little so the grid's right edge lines up with the window's. With `clickable`, a click on a
/// cell returns its index (the pointer shows a hand over it). A right click offers "Copy
/// figures": `copy(index)`'s text to the clipboard.
#[allow(clippy::cast_precision_loss)]
pub fn card_grid_ui(
    ui: &mut egui::Ui,
    id_salt: &str,
    count: usize,
    cell: Vec2,
    clickable: bool,
    copy: &dyn Fn(usize) -> String,
    mut cell_ui: impl FnMut(&mut egui::Ui, usize),
) -> Option<usize> {
    if count == 0 {
        return None;
    }
    let mut clicked = None;
    let gap = theme::CARD_GAP;
    let width = ui.available_width().max(cell.x);
    let cols = columns(width, cell.x, gap);
    let cell_w = if count >= cols {
        ((width - gap * (cols - 1) as f32) / cols as f32).max(cell.x)
    } else {
        cell.x
    };
    let rows = count.div_ceil(cols);
    let total_h = rows as f32 * cell.y + (rows - 1) as f32 * gap;
    let (rect, _) = ui.allocate_exact_size(vec2(width, total_h), Sense::hover());
    let clip = ui.clip_rect();
    for row in 0..rows {
        let top = rect.top() + row as f32 * (cell.y + gap);
        if top > clip.bottom() || top + cell.y < clip.top() {
            continue;
        }
        for col in 0..cols {
            let i = row * cols + col;
            if i >= count {
                break;
            }
            let r = Rect::from_min_size(
                pos2(rect.left() + col as f32 * (cell_w + gap), top),
                vec2(cell_w, cell.y),
            );
            let mut child = ui.new_child(
                UiBuilder::new()
                    .max_rect(r)
                    .id_salt((id_salt, i))
                    .layout(Layout::top_down(Align::Min)),
            );
            child.set_clip_rect(r.intersect(clip));
            cell_ui(&mut child, i);
            let resp = ui.interact(r, ui.scope_id().with((id_salt, "click", i)), Sense::click());
            resp.context_menu(|ui| {
                if ui.button("Copy figures").clicked() {
                    ui.ctx().copy_text(copy(i));
                    ui.close();
                }
            });
            if clickable
                && resp
                    .on_hover_cursor(egui::CursorIcon::PointingHand)
                    .clicked()
            {
                clicked = Some(i);
            }
        }
    }
    clicked
}

/// Show a card frame filling the cell exactly.
pub fn card_ui<R>(
    ui: &mut egui::Ui,
    frame: egui::Frame,
    add: impl FnOnce(&mut egui::Ui) -> R,
) -> R {
    let outer = ui.max_rect().size();
    let m = frame.total_margin().sum();
    let inner = (outer - m).max(Vec2::ZERO);
    frame
        .show(ui, |ui| {
            ui.set_min_size(inner);
            ui.set_max_size(inner);
            add(ui)
        })
        .inner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit() {
        assert_eq!(columns(100.0, 262.0, 8.0), 1);
        assert_eq!(columns(262.0, 262.0, 8.0), 1);
        assert_eq!(columns(532.0, 262.0, 8.0), 2);
        assert_eq!(columns(1260.0, 262.0, 8.0), 4);
    }
}
