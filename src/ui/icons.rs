//! State icons painted as shapes, so they need no emoji font (egui 0.37's bundled fonts have
//! none of ✔ ⚠ ✖) and differ by shape as well as colour: a disc with a tick (ok), a triangle
//! with a bar (warning), a square with a cross (critical), a ring (unknown), two bars (paused).
//! A state word is always drawn beside them; the icon is never the only carrier of meaning.

use egui::{Color32, Pos2, Rect, Sense, Shape, Stroke, Vec2, pos2};

use super::theme::{self, Level};
use crate::model::health::Health;
use crate::model::views::Overall;

/// Which icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    /// Up, all good.
    Ok,
    /// Stale, degraded, high.
    Warn,
    /// Down, critical.
    Crit,
    /// Not known yet.
    Unknown,
    /// Refresh paused.
    Paused,
}

impl Icon {
    /// The icon of a level.
    #[must_use]
    pub fn of_level(l: Level) -> Self {
        match l {
            Level::Ok => Self::Ok,
            Level::Warn => Self::Warn,
            Level::Crit => Self::Crit,
            Level::Unknown => Self::Unknown,
        }
    }

    /// The icon of a health state.
    #[must_use]
    pub fn of_health(h: &Health) -> Self {
        Self::of_level(theme::health_level(h))
    }

    /// The icon of the overall state.
    #[must_use]
    pub fn of_overall(o: Overall) -> Self {
        Self::of_level(theme::overall_level(o))
    }
}

/// Paint `icon` in `color`, as tall as the current body text (scaled by `scale`).
pub fn icon_ui(ui: &mut egui::Ui, icon: Icon, color: Color32, scale: f32) -> egui::Response {
    let h = ui.text_style_height(&egui::TextStyle::Body) * scale;
    let (rect, resp) = ui.allocate_exact_size(Vec2::splat(h), Sense::hover());
    if ui.is_rect_visible(rect) {
        paint(ui.painter(), rect, icon, color, ui.visuals().panel_fill);
    }
    resp
}

/// Paint an icon into `rect`; `ink` draws the marks on filled shapes.
pub fn paint(p: &egui::Painter, rect: Rect, icon: Icon, color: Color32, ink: Color32) {
    let r = rect.shrink(rect.width() * 0.08);
    let c = r.center();
    let s = r.width() / 2.0;
    let mark = Stroke::new((s * 0.28).max(1.5), ink);
    match icon {
        Icon::Ok => {
            p.circle_filled(c, s, color);
            p.line_segment([pt(c, s, -0.45, 0.0), pt(c, s, -0.1, 0.38)], mark);
            p.line_segment([pt(c, s, -0.1, 0.38), pt(c, s, 0.5, -0.38)], mark);
        }
        Icon::Warn => {
            let tri = vec![
                pt(c, s, 0.0, -0.95),
                pt(c, s, 1.0, 0.85),
                pt(c, s, -1.0, 0.85),
            ];
            p.add(Shape::convex_polygon(tri, color, Stroke::NONE));
            p.line_segment([pt(c, s, 0.0, -0.35), pt(c, s, 0.0, 0.25)], mark);
            p.circle_filled(pt(c, s, 0.0, 0.56), mark.width * 0.6, ink);
        }
        Icon::Crit => {
            p.rect_filled(
                Rect::from_center_size(c, Vec2::splat(s * 1.8)),
                s * 0.3,
                color,
            );
            p.line_segment([pt(c, s, -0.45, -0.45), pt(c, s, 0.45, 0.45)], mark);
            p.line_segment([pt(c, s, -0.45, 0.45), pt(c, s, 0.45, -0.45)], mark);
        }
        Icon::Unknown => {
            p.circle_stroke(c, s * 0.85, Stroke::new((s * 0.25).max(1.5), color));
        }
        Icon::Paused => {
            for x in [-0.4, 0.4] {
                p.rect_filled(
                    Rect::from_center_size(pt(c, s, x, 0.0), egui::vec2(s * 0.45, s * 1.7)),
                    1.0,
                    color,
                );
            }
        }
    }
}

fn pt(c: Pos2, s: f32, x: f32, y: f32) -> Pos2 {
    pos2(c.x + x * s, c.y + y * s)
}

/// Icon plus a coloured word, the usual way a state is shown.
pub fn state_ui(ui: &mut egui::Ui, level: Level, word: &str, strong: bool) -> egui::Response {
    let side = ui.text_style_height(&egui::TextStyle::Body);
    let text = egui::RichText::new(word);
    state_with(ui, level, if strong { text.strong() } else { text }, side)
}

/// [`state_ui`] at `size` points, icon and (strong) word alike: the wall's large type.
pub fn state_sized_ui(ui: &mut egui::Ui, level: Level, word: &str, size: f32) -> egui::Response {
    state_with(
        ui,
        level,
        egui::RichText::new(word).size(size).strong(),
        size,
    )
}

fn state_with(
    ui: &mut egui::Ui,
    level: Level,
    word: egui::RichText,
    icon_side: f32,
) -> egui::Response {
    let color = theme::level_color(ui.visuals(), level);
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = (icon_side * 0.25).max(4.0);
        let (rect, _) = ui.allocate_exact_size(Vec2::splat(icon_side), Sense::hover());
        if ui.is_rect_visible(rect) {
            paint(
                ui.painter(),
                rect,
                Icon::of_level(level),
                color,
                ui.visuals().panel_fill,
            );
        }
        ui.label(word.color(color));
    })
    .response
}
