//! Severity of figures and health: [`Level`] from thresholds, health and the overall state, and
//! its text colour and (calmer) bar fill in the current theme.

use egui::{Color32, Visuals};

use super::palette;

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
    let p = palette::of(v);
    match l {
        Level::Ok => p.ok,
        Level::Warn => p.warn,
        Level::Crit => p.crit,
        Level::Unknown => v.weak_text_color(),
    }
}

/// Fill of a usage bar at a level (a little calmer than text colours).
#[must_use]
pub fn bar_fill(v: &Visuals, l: Level) -> Color32 {
    let p = palette::of(v);
    match l {
        Level::Ok => p.ok_fill,
        Level::Warn => p.warn_fill,
        Level::Crit => p.crit_fill,
        Level::Unknown => v.faint_bg_color,
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

/// Fill and text colour of the critical band across the top of the wall: the critical colour
/// as a background, with text that keeps WCAG AAA contrast on it.
#[must_use]
pub fn critical_band(v: &Visuals) -> (Color32, Color32) {
    let p = palette::of(v);
    (p.band, p.band_ink)
}
