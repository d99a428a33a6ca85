//! The window's side of alerting: evaluates the rules after each drain, hands transitions to the
//! notifier (desktop, webhooks) and the in-window toasts, keeps the tray icon's colour and
//! tooltip in step, and carries out what the operator asks (acknowledge, silence, reconnect,
//! the tray menu). Everything that can be missing (no session bus, no tray host) is reported
//! once in the error list and the rest runs on. A tray status counts as shown only when the tray
//! took it; a tray that has gone away is reported once and no longer fed.

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
    /// The last status the tray took (not merely the last one offered).
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

    /// Take new alert settings without losing what fires: the rules replaced in the engine
    /// (its alerts, history and silences kept), the notifier restarted with the new webhooks
    /// and desktop choice; the tray stays.
    pub fn reconfigure(&mut self, cfg: &AlertsConfig, model: &mut Model, now: SystemTime) {
        *self.engine.rules_mut() = cfg.rules.clone();
        (self.notifier, self.problems) = match Notifier::start(cfg.notify_config()) {
            Ok((n, p)) => (Some(n), Some(p)),
            Err(e) => {
                model.errors.record(SOURCE, "notify", &e.to_string(), now);
                (None, None)
            }
        };
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
        self.sync_tray(model, now);
        events
    }

    /// Offer the tray the current status when it differs from the last one it took.
    fn sync_tray(&mut self, model: &mut Model, now: SystemTime) {
        let Some(t) = &self.tray else { return };
        let status = TrayStatus {
            worst: self.engine.worst(),
            firing: self.engine.firing().count(),
            paused: self.notifier.as_ref().is_some_and(Notifier::is_paused),
        };
        if self.last_tray.as_ref() == Some(&status) {
            return;
        }
        if t.set_status(status) {
            self.last_tray = Some(status);
        } else {
            self.tray = None;
            self.last_tray = None;
            model.errors.record(
                SOURCE,
                "tray",
                "the tray icon stopped (its D-Bus service went away), so it no longer shows the alert state; restart Swarmglass to bring it back",
                now,
            );
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
            PanelAction::FirstRun(_) | PanelAction::Settings(_) => {
                log::debug!("not an alerting action");
            }
        }
        self.sync_tray(model, now);
    }

    /// Handle tray menu choices at `now`; returns what the window must do.
    pub fn poll_tray(&mut self, model: &mut Model, now: SystemTime) -> Option<WindowRequest> {
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
            self.sync_tray(model, now);
        }
        request
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::alerts::RuleSet;
    use crate::model::ModelSettings;

    fn alerting(tray: TrayIcon) -> Alerting {
        Alerting {
            engine: Engine::new(RuleSet::empty()),
            notifier: None,
            problems: None,
            tray: Some(tray),
            tray_commands: std::sync::mpsc::sync_channel(1).1,
            last_tray: None,
        }
    }

    #[test]
    fn a_status_the_tray_took_is_remembered_and_not_sent_again() {
        let (icon, mut rx) = tray::detached();
        let mut a = alerting(icon);
        let mut model = Model::new(ModelSettings::default());
        let now = SystemTime::UNIX_EPOCH;
        a.evaluate(&mut model, now);
        assert_eq!(*rx.borrow_and_update(), TrayStatus::default());
        assert_eq!(a.last_tray, Some(TrayStatus::default()));
        assert_eq!(a.poll_tray(&mut model, now), None);
        assert!(
            !rx.has_changed().unwrap(),
            "an unchanged status is not sent again"
        );
        assert!(model.errors.is_empty());
    }

    /// The old code recorded every status as sent, even one the tray never took.
    #[test]
    fn a_status_the_tray_did_not_take_is_not_recorded_as_shown() {
        let (icon, rx) = tray::detached();
        drop(rx);
        let mut a = alerting(icon);
        let mut model = Model::new(ModelSettings::default());
        a.evaluate(&mut model, SystemTime::UNIX_EPOCH);
        assert_eq!(a.last_tray, None);
        assert!(a.tray.is_none(), "a tray that has gone is not fed any more");
        let errors = model.errors.recent();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            (errors[0].source.as_str(), errors[0].kind.as_str()),
            (SOURCE, "tray")
        );
        assert!(errors[0].last_message.contains("tray icon stopped"));
        a.evaluate(&mut model, SystemTime::UNIX_EPOCH);
        assert_eq!(model.errors.recent()[0].count, 1, "said once");
    }
}
