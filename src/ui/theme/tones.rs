//! The states of agent-side things (execution status, log level, stream connection, alert
//! severity and state, task event type) → [`Tone`] → colour. Tones reuse the [`Level`] colours
//! and add one, for things in progress. Every tone is drawn with a word beside it (see
//! `widgets.rs`), so colour never carries meaning alone.

use egui::{Color32, Visuals};

use super::levels::{Level, level_color};
use crate::alerts::AlertState;
use crate::config::alerts::Severity;
use crate::model::input::ConnectionState;
use crate::model::input::EventType;
use crate::model::input::{ExecStatus, LogLevel};

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
    match t.level() {
        Some(l) => level_color(v, l),
        None => super::palette::of(v).active,
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
