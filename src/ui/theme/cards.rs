//! The frames around cards (every card, and a card whose source is in trouble) and toasts.

use egui::{CornerRadius, Frame, Margin, Stroke, Style};

use super::layout::CARD_MARGIN;
use super::levels::{Level, level_color};
use super::tones::{Tone, tone_color};

/// The frame around every card.
pub fn card_frame(style: &Style) -> Frame {
    let p = super::palette::of(&style.visuals);
    Frame::new()
        .fill(p.card)
        .stroke(Stroke::new(1.0, p.card_stroke))
        .corner_radius(CornerRadius::same(4))
        .inner_margin(Margin::same(CARD_MARGIN))
}

/// The frame of a card whose source is down: the same card with a warning-coloured border.
pub fn card_frame_for(style: &Style, l: Level) -> Frame {
    let f = card_frame(style);
    match l {
        Level::Warn | Level::Crit => f.stroke(Stroke::new(1.5, level_color(&style.visuals, l))),
        Level::Ok | Level::Unknown => f,
    }
}

/// The frame of a toast: an opaque card with a border in the tone's colour.
pub fn toast_frame(style: &Style, t: Tone) -> Frame {
    card_frame(style)
        .fill(style.visuals.window_fill)
        .stroke(Stroke::new(1.5, tone_color(&style.visuals, t)))
}
