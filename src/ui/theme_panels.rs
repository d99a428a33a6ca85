//! Looks of the agent, event-stream, execution and alert panels, built on `theme.rs`: one more
//! colour (in progress), the state → tone mappings (execution status, log level, connection,
//! alert severity and state, event type) and the panels' sizes. Like `theme.rs`,
//! nothing else in the panels names a colour, and every tone is drawn with a word beside it
//! (see `widgets.rs`), so colour never carries meaning alone.

use egui::{Color32, Stroke, Style, Vec2, Visuals};

use super::theme::{self, Level};
use crate::alerts::{AlertState, Severity};
use crate::model::input::ConnectionState;
use crate::model::input::EventType;
use crate::model::input::{ExecStatus, LogLevel};

/// Size of the "Active Sessions" and "Task Stats" cards (outer, frame included).
pub const AGENT_CARD: Vec2 = Vec2::new(470.0, 370.0);
/// Height of one row in the panels' tables (sessions, events, executions, logs, history).
pub const ROW_HEIGHT: f32 = 18.0;
/// Height of the event stream's list.
pub const EVENTS_HEIGHT: f32 = 320.0;
/// Height of the executions list above the selected execution's logs.
pub const EXECUTIONS_LIST_HEIGHT: f32 = 150.0;
/// Height of one execution's log pane.
pub const LOG_PANE_HEIGHT: f32 = 260.0;
/// Height of the alert history list.
pub const HISTORY_HEIGHT: f32 = 220.0;
/// Width of one toast.
pub const TOAST_WIDTH: f32 = 360.0;
/// Toasts' distance from the window's top-right corner (left, down), below the header bar.
pub const TOAST_OFFSET: Vec2 = Vec2::new(-12.0, 44.0);

/// Column widths of an event row: time, type, project, task, worker (the message takes the rest).
pub const EVENT_COLUMNS: [f32; 5] = [64.0, 124.0, 110.0, 170.0, 64.0];
/// Column widths of a log row: time, level, step, duration (the text takes the rest).
pub const LOG_COLUMNS: [f32; 4] = [104.0, 78.0, 150.0, 64.0];
/// Width of a stream's name in the task card's stream list.
pub const STREAM_NAME_WIDTH: f32 = 120.0;
/// Column widths of a session row: session, model, age, idle, tokens in / out.
pub const SESSION_COLUMNS: [f32; 5] = [132.0, 104.0, 56.0, 56.0, 90.0];

/// The tone of a state: a colour and an icon shape, always shown with the state's word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Done, healthy, connected.
    Ok,
    /// In progress: running, connecting, started.
    Active,
    /// Worth a look: stalled, retrying, disconnected, warning.
    Warn,
    /// Failed, error, critical.
    Crit,
    /// Neutral or not known: pending, info, routine events.
    Muted,
}

impl Tone {
    /// The figure level of this tone (`None` for [`Tone::Active`], which has no level).
    #[must_use]
    pub fn level(self) -> Option<Level> {
        match self {
            Self::Ok => Some(Level::Ok),
            Self::Warn => Some(Level::Warn),
            Self::Crit => Some(Level::Crit),
            Self::Muted => Some(Level::Unknown),
            Self::Active => None,
        }
    }
}

/// Colour of a tone, readable on the current background.
#[must_use]
pub fn tone_color(v: &Visuals, t: Tone) -> Color32 {
    match (t.level(), v.dark_mode) {
        (Some(l), _) => theme::level_color(v, l),
        (None, true) => Color32::from_rgb(0x64, 0xb5, 0xf6),
        (None, false) => Color32::from_rgb(0x0d, 0x47, 0xa1),
    }
}

/// Tone of an execution status.
#[must_use]
pub fn exec_status_tone(s: ExecStatus) -> Tone {
    match s {
        ExecStatus::Pending => Tone::Muted,
        ExecStatus::Running => Tone::Active,
        ExecStatus::Completed => Tone::Ok,
        ExecStatus::Failed => Tone::Crit,
        ExecStatus::Cancelled => Tone::Warn,
    }
}

/// Tone of a log level.
#[must_use]
pub fn log_level_tone(l: LogLevel) -> Tone {
    match l {
        LogLevel::Info => Tone::Muted,
        LogLevel::Warning => Tone::Warn,
        LogLevel::Error => Tone::Crit,
    }
}

/// Tone of a stream's connection state.
#[must_use]
pub fn connection_tone(c: &ConnectionState) -> Tone {
    match c {
        ConnectionState::Connecting { .. } => Tone::Active,
        ConnectionState::Connected { .. } => Tone::Ok,
        ConnectionState::Disconnected { .. } => Tone::Warn,
        ConnectionState::Error { .. } => Tone::Crit,
    }
}

/// Tone of an alert severity.
#[must_use]
pub fn severity_tone(s: Severity) -> Tone {
    match s {
        Severity::Warning => Tone::Warn,
        Severity::Critical => Tone::Crit,
    }
}

/// Tone of an alert state: a firing alert takes its severity's tone.
#[must_use]
pub fn alert_state_tone(state: AlertState, severity: Severity) -> Tone {
    match state {
        AlertState::Firing => severity_tone(severity),
        AlertState::Pending => Tone::Active,
        AlertState::Resolved => Tone::Ok,
        AlertState::Inactive => Tone::Muted,
    }
}

/// Tone of an event type.
#[must_use]
pub fn event_type_tone(t: &EventType) -> Tone {
    match t {
        EventType::TaskCompleted | EventType::PhaseCompleted => Tone::Ok,
        EventType::TaskFailed => Tone::Crit,
        EventType::TaskStalled | EventType::TaskRetry => Tone::Warn,
        EventType::TaskEnqueued
        | EventType::TaskStarted
        | EventType::PhaseStarted
        | EventType::WorkerStarted => Tone::Active,
        EventType::WorkerHeartbeat
        | EventType::WorkerStopped
        | EventType::QueueDepthUpdate
        | EventType::StatsSnapshot
        | EventType::Other(_) => Tone::Muted,
    }
}

/// The frame of a toast: an opaque card with a border in the tone's colour.
pub fn toast_frame(style: &Style, t: Tone) -> egui::Frame {
    theme::card_frame(style)
        .fill(style.visuals.window_fill)
        .stroke(Stroke::new(1.5, tone_color(&style.visuals, t)))
}
