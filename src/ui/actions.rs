//! What a user asked for in the agent, execution and alert panels. Panels draw from `&Model`
//! and `&Engine` only and return a [`PanelAction`]; the app applies it (to the alert engine, or
//! as a `runtime::Command`), so drawing never mutates app state and tests can assert on it.

use std::time::Duration;

use crate::alerts::{AlertKey, SilenceTarget};

/// One request from a panel, for the app to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PanelAction {
    /// Acknowledge an active alert: `Engine::acknowledge(&key)`.
    Acknowledge(AlertKey),
    /// Silence a target for a while, from now: `Engine::silence(target, now, duration)`.
    Silence(SilenceTarget, Duration),
    /// Lift a silence early: `Engine::unsilence(&target)`.
    Unsilence(SilenceTarget),
    /// Drop and reopen one execution's log stream:
    /// `runtime.command(runtime::Command::ReconnectExecution(id))`.
    ReconnectExecution(String),
    /// What the first-run screen asked (the app carries it out: `App::first_run_action`).
    FirstRun(super::first_run::FirstRunAction),
    /// What the settings window asked (the app carries it out: `App::settings_action`).
    Settings(super::settings::SettingsAction),
}
