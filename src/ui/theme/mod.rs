//! Looks, in one place, grouped by what they style; nothing else in the crate names a colour.
//! This file owns the window as a whole: the dark and light visuals and applying them. The rest:
//! - `layout.rs`: sizes and spacing (cards, plots, panels, table columns, text sizes, wall zoom);
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
mod plots;
mod tones;

use egui::{Color32, Vec2, Visuals};

pub use cards::{card_frame, card_frame_for, toast_frame};
pub use layout::{
    AGENT_CARD, AGENT_FIGURE_COL_WIDTH, CARD_GAP, CARD_MARGIN, CARD_TITLE_SIZE, CLUSTER_CARD_WIDTH,
    COMPACT_BODY_SIZE, COMPACT_SMALL_SIZE, COMPACT_TITLE_SIZE, EVENT_COLUMNS, EVENTS_HEIGHT,
    EXECUTIONS_LIST_HEIGHT, FIGURE_COL_WIDTH, GPU_CARD, GPU_CARD_COMPACT, HISTORY_HEIGHT,
    LOG_COLUMNS, LOG_PANE_HEIGHT, OVERALL_SIZE, PLOT_HEIGHT, ROW_HEIGHT, SECTION_GAP, SERVER_CARD,
    SESSION_COLUMNS, STREAM_NAME_WIDTH, SUMMARY_HEIGHT, TOAST_OFFSET, TOAST_WIDTH, WALL_ZOOM,
};
pub use levels::{Level, bar_fill, health_level, level, level_color, overall_level};
pub use plots::{gen_line, prompt_line};
pub use tones::{
    Tone, alert_state_tone, connection_tone, event_type_tone, exec_status_tone, log_level_tone,
    severity_tone, tone_color,
};

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
