//! Looks, in one place: every colour, the card sizes and spacing, severity → colour and icon,
//! the dark/light visuals and the wall-mode zoom. Nothing else in the crate names a colour.
//! Every state also has a word (and a painted icon, see `icons.rs`), so colour is never the
//! only carrier of meaning.

use egui::{Color32, CornerRadius, Frame, Margin, Stroke, Style, Vec2, Visuals};

use crate::model::health::Health;
use crate::model::views::Overall;

/// Zoom factor in wall mode (large type for a screen across the room).
pub const WALL_ZOOM: f32 = 1.5;

/// Width of the cluster-health card.
pub const CLUSTER_CARD_WIDTH: f32 = 300.0;
/// Height of the summary row (cluster card and throughput plots).
pub const SUMMARY_HEIGHT: f32 = 236.0;
/// Height of one throughput plot.
pub const PLOT_HEIGHT: f32 = 170.0;
/// Size of a GPU card at comfortable density (outer, frame included).
pub const GPU_CARD: Vec2 = Vec2::new(262.0, 150.0);
/// Size of a GPU card at compact density (outer, frame included).
pub const GPU_CARD_COMPACT: Vec2 = Vec2::new(198.0, 86.0);
/// Size of an inference-server card (outer, frame included).
pub const SERVER_CARD: Vec2 = Vec2::new(330.0, 196.0);
/// Gap between cards.
pub const CARD_GAP: f32 = 8.0;
/// Inner margin of a card.
pub const CARD_MARGIN: i8 = 8;
/// Text size of card titles ("Cluster health", "Throughput").
pub const CARD_TITLE_SIZE: f32 = 15.0;
/// Text size of the overall state in the header.
pub const OVERALL_SIZE: f32 = 17.0;
/// Text sizes on painted compact GPU cards: title, figures, health word.
pub const COMPACT_TITLE_SIZE: f32 = 13.5;
/// See [`COMPACT_TITLE_SIZE`].
pub const COMPACT_BODY_SIZE: f32 = 13.0;
/// See [`COMPACT_TITLE_SIZE`].
pub const COMPACT_SMALL_SIZE: f32 = 11.5;
/// Space before a section heading.
pub const SECTION_GAP: f32 = 10.0;

/// Severity of a figure, for colouring bars and numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Normal.
    Ok,
    /// Worth a look.
    Warn,
    /// Act now.
    Crit,
    /// Not known.
    Unknown,
}

/// Level of a figure against warn/critical thresholds (higher is worse).
#[must_use]
pub fn level(value: Option<f64>, warn: f64, crit: f64) -> Level {
    match value {
        None => Level::Unknown,
        Some(v) if v >= crit => Level::Crit,
        Some(v) if v >= warn => Level::Warn,
        Some(_) => Level::Ok,
    }
}

/// Colour of a level, readable on the current background.
#[must_use]
pub fn level_color(v: &Visuals, l: Level) -> Color32 {
    match (l, v.dark_mode) {
        (Level::Ok, true) => Color32::from_rgb(0x66, 0xbb, 0x6a),
        (Level::Ok, false) => Color32::from_rgb(0x1b, 0x6e, 0x20),
        (Level::Warn, true) => Color32::from_rgb(0xff, 0xb7, 0x4d),
        (Level::Warn, false) => Color32::from_rgb(0x9a, 0x5b, 0x00),
        (Level::Crit, true) => Color32::from_rgb(0xff, 0x6b, 0x68),
        (Level::Crit, false) => Color32::from_rgb(0xb7, 0x1c, 0x1c),
        (Level::Unknown, _) => v.weak_text_color(),
    }
}

/// Fill of a usage bar at a level (a little calmer than text colours).
#[must_use]
pub fn bar_fill(v: &Visuals, l: Level) -> Color32 {
    match (l, v.dark_mode) {
        (Level::Ok, true) => Color32::from_rgb(0x2e, 0x7d, 0x4f),
        (Level::Ok, false) => Color32::from_rgb(0x81, 0xc7, 0x84),
        (Level::Warn, true) => Color32::from_rgb(0xa0, 0x6a, 0x00),
        (Level::Warn, false) => Color32::from_rgb(0xff, 0xcc, 0x80),
        (Level::Crit, true) => Color32::from_rgb(0xb0, 0x30, 0x30),
        (Level::Crit, false) => Color32::from_rgb(0xef, 0x9a, 0x9a),
        (Level::Unknown, _) => v.faint_bg_color,
    }
}

/// Level of a health state.
#[must_use]
pub fn health_level(h: &Health) -> Level {
    match h {
        Health::Up { .. } => Level::Ok,
        Health::Stale { .. } => Level::Warn,
        Health::Down { .. } => Level::Crit,
        Health::Unknown | Health::NotFound { .. } => Level::Unknown,
    }
}

/// Level of the overall state.
#[must_use]
pub fn overall_level(o: Overall) -> Level {
    match o {
        Overall::AllUp => Level::Ok,
        Overall::Degraded => Level::Warn,
        Overall::Down => Level::Crit,
        Overall::Unknown => Level::Unknown,
    }
}

/// Line colour of the generation tokens/s plot.
#[must_use]
pub fn gen_line(v: &Visuals) -> Color32 {
    if v.dark_mode {
        Color32::from_rgb(0x4f, 0xc3, 0xf7)
    } else {
        Color32::from_rgb(0x01, 0x57, 0x9b)
    }
}

/// Line colour of the prompt tokens/s plot.
#[must_use]
pub fn prompt_line(v: &Visuals) -> Color32 {
    if v.dark_mode {
        Color32::from_rgb(0xce, 0x93, 0xd8)
    } else {
        Color32::from_rgb(0x6a, 0x1b, 0x9a)
    }
}

/// The frame around every card.
pub fn card_frame(style: &Style) -> Frame {
    let v = &style.visuals;
    let fill = if v.dark_mode {
        Color32::from_rgb(0x23, 0x26, 0x2b)
    } else {
        Color32::from_rgb(0xfb, 0xfb, 0xfc)
    };
    let stroke = if v.dark_mode {
        Color32::from_rgb(0x3a, 0x3f, 0x47)
    } else {
        Color32::from_rgb(0xc8, 0xcc, 0xd2)
    };
    Frame::new()
        .fill(fill)
        .stroke(Stroke::new(1.0, stroke))
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

/// Dark or light visuals with the app's few adjustments (panel fill, selection).
#[must_use]
pub fn visuals(dark: bool) -> Visuals {
    let mut v = if dark {
        Visuals::dark()
    } else {
        Visuals::light()
    };
    if dark {
        v.panel_fill = Color32::from_rgb(0x18, 0x1a, 0x1e);
        v.extreme_bg_color = Color32::from_rgb(0x12, 0x14, 0x17);
        v.faint_bg_color = Color32::from_rgb(0x2c, 0x30, 0x36);
    } else {
        v.panel_fill = Color32::from_rgb(0xee, 0xf0, 0xf3);
        v.faint_bg_color = Color32::from_rgb(0xdd, 0xe1, 0xe6);
        // Bar tracks and plot backgrounds must stand out from the near-white cards.
        v.extreme_bg_color = Color32::from_rgb(0xe4, 0xe7, 0xeb);
    }
    v
}

/// Apply the theme to a context: visuals for both themes, the chosen one active, and the
/// spacing the cards expect. Cheap; call it when the choice changes.
pub fn apply(ctx: &egui::Context, dark: bool) {
    ctx.set_visuals_of(egui::Theme::Dark, visuals(true));
    ctx.set_visuals_of(egui::Theme::Light, visuals(false));
    ctx.set_theme(if dark {
        egui::ThemePreference::Dark
    } else {
        egui::ThemePreference::Light
    });
    ctx.all_styles_mut(|s| {
        s.spacing.item_spacing = Vec2::new(6.0, 4.0);
        // No animation: an always-on monitor must idle.
        s.animation_time = 0.0;
    });
}
