//! The window's side of alerting: evaluates the rules after each drain, hands transitions to the
//! notifier (desktop, webhooks) and the in-window toasts, keeps the tray icon's colour and
//! tooltip in step, and carries out what the operator asks (acknowledge, silence, reconnect,
//! the tray menu). Everything that can be missing (no session bus, no tray host) is reported
//! once in the error list and the rest runs on.

use std::sync::mpsc::{Receiver, SyncSender};
use std::time::SystemTime;

use crate::alerts::notify::{Notifier, NotifyError};
use crate::alerts::tray::{self, TrayCommand, TrayIcon, TrayStatus};
use crate::alerts::{AlertEvent, Engine};
use crate::config::alerts::AlertsConfig;
use crate::model::Model;
use crate::runtime::{self, Runtime};
use crate::ui::actions::PanelAction;

/// Source name under which alerting problems appear in the error list.
const SOURCE: &str = "alerts";

/// Alert engine, notifier and tray of one window.
pub struct Alerting {
    /// The rules and their state.
    pub engine: Engine,
    notifier: Option<Notifier>,
    problems: Option<Receiver<NotifyError>>,
    tray: Option<TrayIcon>,
    tray_commands: Receiver<TrayCommand>,
    last_tray: Option<TrayStatus>,
}

/// What the tray asked the window to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowRequest {
    /// Bring the window to the front.
    Show,
    /// Close the window.
    Quit,
}

impl Alerting {
    /// Start the notifier and, when `with_tray`, the tray icon; problems go to `model.errors`.
    pub fn start(
        cfg: &AlertsConfig,
        with_tray: bool,
        wake: tray::Wake,
        model: &mut Model,
        now: SystemTime,
    ) -> Self {
        let (notifier, problems) = match Notifier::start(cfg.notify_config()) {
            Ok((n, p)) => (Some(n), Some(p)),
            Err(e) => {
                model.errors.record(SOURCE, "notify", &e.to_string(), now);
                (None, None)
            }
        };
        let (tx, tray_commands): (SyncSender<TrayCommand>, _) = std::sync::mpsc::sync_channel(8);
        let tray = if with_tray {
            match tray::start(TrayStatus::default(), tx, wake) {
                Ok(t) => Some(t),
                Err(e) => {
                    model.errors.record(SOURCE, "tray", &e.to_string(), now);
                    None
                }
            }
        } else {
            None
        };
        Self {
            engine: Engine::new(cfg.rules.clone()),
            notifier,
            problems,
            tray,
            tray_commands,
            last_tray: None,
        }
    }

    /// Evaluate the rules at `now`; notify and return the transitions (for toasts).
    pub fn evaluate(&mut self, model: &mut Model, now: SystemTime) -> Vec<AlertEvent> {
        let events = self.engine.evaluate(model, now);
        if let Some(n) = &self.notifier {
            n.notify_all(&events);
        }
        if let Some(p) = &self.problems {
            while let Ok(e) = p.try_recv() {
                model.errors.record(SOURCE, "notify", &e.to_string(), now);
            }
        }
        self.sync_tray();
        events
    }

    fn sync_tray(&mut self) {
        let Some(t) = &self.tray else { return };
        let status = TrayStatus {
            worst: self.engine.worst(),
            firing: self.engine.firing().count(),
            paused: self.notifier.as_ref().is_some_and(Notifier::is_paused),
        };
        if self.last_tray.as_ref() != Some(&status) {
            t.set_status(status);
            self.last_tray = Some(status);
        }
    }

    /// Carry out a panel action at `now`.
    pub fn apply(
        &mut self,
        action: PanelAction,
        runtime: &Runtime,
        model: &mut Model,
        now: SystemTime,
    ) {
        match action {
            PanelAction::Acknowledge(key) => {
                if !self.engine.acknowledge(&key) {
                    log::debug!("acknowledge: {key:?} is no longer active");
                }
            }
            PanelAction::Silence(target, dur) => {
                self.engine.silence(target, now, dur);
            }
            PanelAction::Unsilence(target) => {
                self.engine.unsilence(&target);
            }
            PanelAction::ReconnectExecution(id) => {
                if !runtime.command(runtime::Command::ReconnectExecution(id.clone())) {
                    model.errors.record(
                        "window",
                        "command",
                        &format!("could not ask the collector to reopen execution {id}'s log stream; try again"),
                        now,
                    );
                }
            }
        }
        self.sync_tray();
    }

    /// Handle tray menu choices; returns what the window must do.
    pub fn poll_tray(&mut self) -> Option<WindowRequest> {
        let mut request = None;
        while let Ok(cmd) = self.tray_commands.try_recv() {
            match cmd {
                TrayCommand::ShowWindow => request = request.or(Some(WindowRequest::Show)),
                TrayCommand::PauseNotifications(p) => {
                    if let Some(n) = &self.notifier {
                        n.set_paused(p);
                    }
                }
                TrayCommand::Quit => request = Some(WindowRequest::Quit),
            }
        }
        if request.is_some() || self.tray.is_some() {
            self.sync_tray();
        }
        request
    }
}
