//! Severity of figures and health: [`Level`] from thresholds, health and the overall state, and
//! its text colour and (calmer) bar fill on either background.

use egui::{Color32, Visuals};

use crate::model::health::Health;
use crate::model::views::Overall;

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
