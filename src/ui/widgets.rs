//! Small widgets the agent, event, execution and alert panels share: a tone's icon, a state
//! badge (icon + coloured word), fixed-width table cells, a card title and a stream's connection
//! state. Icons come from `icons.rs`; the one shape added here is a play triangle for states in
//! progress (running, connecting), so it differs from the others by shape, not only colour.

use std::time::SystemTime;

use egui::{Align, Layout, RichText, Sense, Shape, Stroke, Vec2, WidgetText, pos2, vec2};

use super::icons::{self, Icon};
use super::theme::{self, Tone};
use crate::format;
use crate::model::input::ConnectionState;

/// Paint the icon of `tone`, as tall as the body text times `scale`.
pub fn tone_icon_ui(ui: &mut egui::Ui, tone: Tone, scale: f32) -> egui::Response {
    let color = theme::tone_color(ui.visuals(), tone);
    match tone.level() {
        Some(l) => icons::icon_ui(ui, Icon::of_level(l), color, scale),
        None => {
            let h = ui.text_style_height(&egui::TextStyle::Body) * scale;
            let (rect, resp) = ui.allocate_exact_size(Vec2::splat(h), Sense::hover());
            if ui.is_rect_visible(rect) {
                let r = rect.shrink(h * 0.12);
                let tri = vec![
                    pos2(r.left() + r.width() * 0.1, r.top()),
                    pos2(r.right(), r.center().y),
                    pos2(r.left() + r.width() * 0.1, r.bottom()),
                ];
                ui.painter()
                    .add(Shape::convex_polygon(tri, color, Stroke::NONE));
            }
            resp
        }
    }
}

/// A state: its icon and its word in the tone's colour.
pub fn badge_ui(ui: &mut egui::Ui, tone: Tone, word: &str) -> egui::Response {
    let color = theme::tone_color(ui.visuals(), tone);
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        tone_icon_ui(ui, tone, 0.95);
        ui.label(RichText::new(word).color(color));
    })
    .response
}

/// A card's title, the size the other cards use.
pub fn card_title_ui(ui: &mut egui::Ui, title: &str) {
    ui.label(RichText::new(title).strong().size(theme::CARD_TITLE_SIZE));
}

/// One table cell `width` wide and one row high: the text on one line, cut with "…" (the full
/// text on hover).
pub fn cell_ui(ui: &mut egui::Ui, width: f32, text: impl Into<WidgetText>) -> egui::Response {
    ui.allocate_ui_with_layout(
        vec2(width, theme::ROW_HEIGHT),
        Layout::left_to_right(Align::Center),
        |ui| {
            ui.set_min_width(width);
            ui.set_max_width(width);
            ui.add(egui::Label::new(text).truncate())
        },
    )
    .inner
}

/// A row of column titles.
pub fn header_row_ui(ui: &mut egui::Ui, widths: &[f32], titles: &[&str]) {
    ui.horizontal(|ui| {
        for (i, title) in titles.iter().enumerate() {
            let text = RichText::new(*title).weak();
            match widths.get(i) {
                Some(w) => {
                    cell_ui(ui, *w, text);
                }
                None => {
                    ui.label(text);
                }
            }
        }
    });
}

/// A stream's connection state: badge, then why and when the next attempt is (weak, cut to
/// the room left; the whole text on hover). `None` reads `none_word` (e.g. "polled" for a
/// source that is not a stream, "no stream yet" before the first connection attempt).
pub fn connection_ui(
    ui: &mut egui::Ui,
    state: Option<&ConnectionState>,
    none_word: &str,
    now: SystemTime,
) {
    match state {
        Some(c) => {
            badge_ui(ui, theme::connection_tone(c), c.label());
            let detail = connection_detail(c, now);
            ui.add(egui::Label::new(RichText::new(format!("— {detail}")).weak()).truncate());
        }
        None => {
            badge_ui(ui, Tone::Muted, none_word);
        }
    }
}

/// What goes beside a connection state's word: how long, why, and when the next attempt is.
#[must_use]
pub fn connection_detail(c: &ConnectionState, now: SystemTime) -> String {
    match c {
        ConnectionState::Connecting { since, attempt } => {
            format!("attempt {attempt}, for {}", format::since(*since, now))
        }
        ConnectionState::Connected { since } => format!("for {}", format::since(*since, now)),
        ConnectionState::Disconnected {
            reason,
            next_retry_at,
        } => format!("{reason}; retry {}", format::until(*next_retry_at, now)),
        ConnectionState::Error {
            error,
            next_retry_at: Some(at),
        } => format!("{error}; retry {}", format::until(*at, now)),
        ConnectionState::Error {
            error,
            next_retry_at: None,
        } => format!("{error}; stopped: retrying cannot help"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::input::EventError;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    #[test]
    fn connection_details_say_how_long_why_and_when() {
        let c = ConnectionState::Connecting {
            since: t(0),
            attempt: 3,
        };
        assert_eq!(connection_detail(&c, t(154)), "attempt 3, for 2m 34s");
        let c = ConnectionState::Connected { since: t(0) };
        assert_eq!(connection_detail(&c, t(12)), "for 12s");
        let d = ConnectionState::Disconnected {
            reason: "closed by the server".into(),
            next_retry_at: t(13),
        };
        assert_eq!(
            connection_detail(&d, t(10)),
            "closed by the server; retry in 3s"
        );
        assert_eq!(
            connection_detail(&d, t(14)),
            "closed by the server; retry due now"
        );
        let e = ConnectionState::Error {
            error: EventError::BadUrl {
                url: "x".into(),
                reason: "no scheme".into(),
            },
            next_retry_at: None,
        };
        assert!(connection_detail(&e, t(10)).ends_with("; stopped: retrying cannot help"));
    }
}
