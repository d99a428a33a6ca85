//! Looks, in one place, grouped by what they style; nothing else in the crate names a colour.
//! This file owns applying a theme to the window. The rest:
//! - `palette.rs`: the four themes' colours (dark, light, colour-blind safe, high contrast), and
//!   egui's visuals built from them;
//! - `layout.rs`: sizes and spacing (cards, plots, panels, table columns, text sizes);
//! - `cards.rs`: the frames around cards and toasts;
//! - `levels.rs`: figure and health severity ([`Level`]) → colour and bar fill;
//! - `tones.rs`: the states of agent-side things (executions, log lines, streams, alerts, task
//!   events) → [`Tone`] → colour;
//! - `plots.rs`: plot line colours.
//!
//! Every state also has a word (and a painted icon, see `icons.rs` and `widgets.rs`), so colour
//! is never the only carrier of meaning. The submodules are private: everything is reached as
//! `theme::NAME`.

mod cards;
mod layout;
mod levels;
pub mod palette;
mod plots;
mod tones;

use egui::Vec2;

pub use cards::{card_frame, card_frame_for, toast_frame};
pub use layout::{
    AGENT_CARD, AGENT_FIGURE_COL_WIDTH, CARD_GAP, CARD_MARGIN, CARD_TITLE_SIZE, CLUSTER_CARD_WIDTH,
    COMPACT_BODY_SIZE, COMPACT_SMALL_SIZE, COMPACT_TITLE_SIZE, EVENT_COLUMNS, EVENTS_HEIGHT,
    EXECUTIONS_LIST_HEIGHT, FIGURE_COL_WIDTH, GPU_CARD, GPU_CARD_COMPACT, HISTORY_HEIGHT,
    LOG_COLUMNS, LOG_PANE_HEIGHT, OVERALL_SIZE, PLOT_HEIGHT, ROW_HEIGHT, SECTION_GAP, SERVER_CARD,
    SESSION_COLUMNS, STREAM_NAME_WIDTH, SUMMARY_HEIGHT, TOAST_OFFSET, TOAST_WIDTH,
};
pub use levels::{Level, bar_fill, critical_band, health_level, level, level_color, overall_level};
pub use plots::{gen_line, prompt_line, series_lines};
pub use tones::{
    Tone, alert_state_tone, connection_tone, event_type_tone, exec_status_tone, log_level_tone,
    severity_tone, tone_color,
};

/// Apply a theme's table to a context: its visuals active, and the spacing the cards expect.
/// Cheap; call it when the choice changes.
pub fn apply(ctx: &egui::Context, p: &palette::Palette) {
    let v = palette::visuals(p);
    let theme = if p.dark {
        egui::Theme::Dark
    } else {
        egui::Theme::Light
    };
    ctx.set_visuals_of(theme, v);
    ctx.set_theme(theme);
    ctx.all_styles_mut(|s| {
        s.spacing.item_spacing = Vec2::new(6.0, 4.0);
        // No animation: an always-on monitor must idle.
        s.animation_time = 0.0;
    });
}
