//! In-window alert toasts: a small bounded queue of recent notifiable transitions (an alert
//! starts firing or resolves, nothing suppresses it), drawn as a still overlay in the window's
//! top-right corner. Each toast shows the transition and a "×" to dismiss it, and expires by
//! `now` (`push` stamps it, `toasts_ui` drops it once `now` passes its expiry): no timer, no
//! fade, no repaint request — the app's slow heartbeat redraws anyway, so a toast goes within
//! one heartbeat of its expiry. A newer transition of the same alert replaces its toast.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use egui::RichText;

use super::{theme, widgets};
use crate::alerts::{AlertEvent, AlertKey, AlertState};
use crate::config::alerts::Severity;
use crate::format;

/// Toasts shown at once by default (the oldest goes first).
pub const MAX_TOASTS: usize = 5;
/// How long a toast stays by default.
pub const TOAST_LIFETIME: Duration = Duration::from_secs(15);

/// One toast.
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    /// Stable id within its [`ToastState`] (for dismissing, and egui ids).
    pub id: u64,
    /// The alert.
    pub key: AlertKey,
    /// Its severity.
    pub severity: Severity,
    /// State before.
    pub from: AlertState,
    /// State after.
    pub to: AlertState,
    /// The engine's explanation.
    pub message: String,
    /// When the transition happened.
    pub at: SystemTime,
    /// The toast is gone from this time on.
    pub expires_at: SystemTime,
}

/// The toasts on screen: bounded, newest last. Session-only view state (not persisted).
#[derive(Debug, Clone)]
pub struct ToastState {
    toasts: VecDeque<Toast>,
    capacity: usize,
    lifetime: Duration,
    next_id: u64,
}

impl Default for ToastState {
    fn default() -> Self {
        Self::new(MAX_TOASTS, TOAST_LIFETIME)
    }
}

impl ToastState {
    /// At most `capacity` toasts (at least 1), each staying `lifetime`.
    #[must_use]
    pub fn new(capacity: usize, lifetime: Duration) -> Self {
        Self {
            toasts: VecDeque::new(),
            capacity: capacity.max(1),
            lifetime,
            next_id: 0,
        }
    }

    /// Add a toast for `e`, seen at `now`, when it is notifiable (starts firing or resolves,
    /// not acknowledged nor silenced). Returns whether a toast was added.
    pub fn push(&mut self, e: &AlertEvent, now: SystemTime) -> bool {
        if !e.is_notifiable() {
            return false;
        }
        let key = e.key();
        self.toasts.retain(|t| t.key != key);
        while self.toasts.len() >= self.capacity {
            self.toasts.pop_front();
        }
        self.toasts.push_back(Toast {
            id: self.next_id,
            key,
            severity: e.severity,
            from: e.from,
            to: e.to,
            message: e.message.clone(),
            at: e.at,
            expires_at: now + self.lifetime,
        });
        self.next_id += 1;
        true
    }

    /// [`ToastState::push`] each event; how many toasts were added.
    pub fn push_all<'a>(
        &mut self,
        events: impl IntoIterator<Item = &'a AlertEvent>,
        now: SystemTime,
    ) -> usize {
        events.into_iter().filter(|e| self.push(e, now)).count()
    }

    /// Drop the toasts whose time is over at `now`.
    pub fn expire(&mut self, now: SystemTime) {
        self.toasts.retain(|t| t.expires_at > now);
    }

    /// Drop one toast; false when there is none with that id.
    pub fn dismiss(&mut self, id: u64) -> bool {
        let before = self.toasts.len();
        self.toasts.retain(|t| t.id != id);
        before != self.toasts.len()
    }

    /// The toasts, newest first.
    pub fn iter(&self) -> impl Iterator<Item = &Toast> {
        self.toasts.iter().rev()
    }

    /// Toasts held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.toasts.len()
    }

    /// True when none is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.toasts.is_empty()
    }

    /// When the next toast expires (for an app that wants to repaint just then).
    #[must_use]
    pub fn next_expiry(&self) -> Option<SystemTime> {
        self.toasts.iter().map(|t| t.expires_at).min()
    }
}

/// Drop what expired at `now`, then draw the rest, newest on top, in a still overlay anchored
/// to the window's top-right corner; a click on "×" dismisses a toast.
pub fn toasts_ui(ctx: &egui::Context, state: &mut ToastState, now: SystemTime) {
    state.expire(now);
    if state.is_empty() {
        return;
    }
    let mut dismissed = Vec::new();
    egui::Area::new(egui::Id::unique("swarmglass_toasts"))
        .anchor(egui::Align2::RIGHT_TOP, theme::TOAST_OFFSET)
        .order(egui::Order::Foreground)
        .fade_in(false)
        .show(ctx, |ui| {
            ui.set_width(theme::TOAST_WIDTH);
            for t in state.iter() {
                ui.push_id(("toast", t.id), |ui| {
                    if toast_ui(ui, t) {
                        dismissed.push(t.id);
                    }
                });
                ui.add_space(6.0);
            }
        });
    for id in dismissed {
        state.dismiss(id);
    }
}

/// One toast; true when its "×" was clicked.
fn toast_ui(ui: &mut egui::Ui, t: &Toast) -> bool {
    let tone = theme::alert_state_tone(t.to, t.severity);
    let mut dismiss = false;
    theme::toast_frame(ui.style(), tone).show(ui, |ui| {
        ui.set_width(theme::TOAST_WIDTH - 2.0 * f32::from(theme::CARD_MARGIN));
        ui.horizontal(|ui| {
            widgets::badge_ui(ui, theme::severity_tone(t.severity), t.severity.as_str());
            widgets::badge_ui(ui, tone, t.to.label());
            ui.label(RichText::new(format!("(was {})", t.from.label())).weak());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                dismiss = ui.small_button("×").on_hover_text("Dismiss").clicked();
            });
        });
        ui.label(RichText::new(&t.key.rule).strong());
        ui.add(egui::Label::new(format!("on {}", t.key.subject)).wrap());
        if !t.message.is_empty() {
            ui.add(egui::Label::new(RichText::new(&t.message).weak()).wrap());
        }
        ui.label(
            RichText::new(format!("at {} UTC", format::clock(t.at)))
                .weak()
                .small(),
        );
    });
    dismiss
}
