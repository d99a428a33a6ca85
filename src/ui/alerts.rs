//! The alert panels: the active list (firing, then pending; severity as icon + word + colour,
//! rule, subject, value against threshold, since when, acknowledged / silenced marks) with
//! "Acknowledge", "Silence 1 h" and "Lift silence" buttons that return a [`PanelAction`], and
//! the history of transitions, newest first and bounded. Both draw from `&Engine` only. The
//! in-window toasts live in `toasts.rs` and are re-exported here.

use std::time::{Duration, SystemTime};

use egui::RichText;

pub use super::toasts::{MAX_TOASTS, TOAST_LIFETIME, Toast, ToastState, toasts_ui};

use super::actions::PanelAction;
use super::theme::{self, Tone};
use super::widgets;
use crate::alerts::{
    ActiveAlert, AlertEvent, AlertKey, AlertState, Engine, SilenceTarget, Suppression,
};
use crate::config::alerts::{RuleKind, Severity};
use crate::format;

/// How long "Silence 1 h" silences.
pub const SILENCE_FOR: Duration = Duration::from_secs(3600);
/// Active alerts listed at most (the rest are counted).
pub const MAX_ACTIVE_ROWS: usize = 200;
/// History rows listed at most.
pub const MAX_HISTORY_ROWS: usize = 200;

/// The word of a severity.
#[must_use]
pub fn severity_word(s: Severity) -> &'static str {
    s.as_str()
}

/// "value (threshold ≥ limit)" in the rule's unit, or the explanation for condition rules.
#[must_use]
pub fn value_vs_threshold(engine: &Engine, a: &ActiveAlert) -> String {
    let rule = engine.rules().get(&a.rule);
    match rule.map(|r| &r.kind) {
        Some(RuleKind::Threshold {
            metric,
            comparison,
            threshold,
            ..
        }) => {
            let value = a
                .value
                .map_or_else(|| "n/a".to_owned(), |v| metric.format(v));
            format!(
                "{} {value} (threshold {} {})",
                metric.label(),
                comparison.symbol(),
                metric.format(*threshold)
            )
        }
        _ => a.message.clone(),
    }
}

fn covers(target: &SilenceTarget, key: &AlertKey) -> bool {
    match target {
        SilenceTarget::Rule { rule } => *rule == key.rule,
        SilenceTarget::Subject { subject } => *subject == key.subject,
        SilenceTarget::Alert { key: k } => k == key,
    }
}

/// The silence in force over `key` that ends last, if any.
fn covering_silence<'e>(
    engine: &'e Engine,
    key: &AlertKey,
    now: SystemTime,
) -> Option<&'e SilenceTarget> {
    engine
        .silences()
        .iter()
        .filter(|s| s.until > now && covers(&s.target, key))
        .max_by_key(|s| s.until)
        .map(|s| &s.target)
}

/// Draw the firing and pending alerts; the user's request, if any.
pub fn alerts_ui(ui: &mut egui::Ui, engine: &Engine, now: SystemTime) -> Option<PanelAction> {
    let mut firing: Vec<&ActiveAlert> = engine.firing().collect();
    // Critical first; within a severity the engine's order (rule, then subject) holds.
    firing.sort_by_key(|a| std::cmp::Reverse(a.severity));
    let pending: Vec<&ActiveAlert> = engine.pending().collect();
    if firing.is_empty() && pending.is_empty() {
        widgets::badge_ui(ui, Tone::Ok, "No alert firing");
        return None;
    }
    let mut action = None;
    let total = firing.len() + pending.len();
    for (i, a) in firing
        .iter()
        .chain(&pending)
        .take(MAX_ACTIVE_ROWS)
        .enumerate()
    {
        ui.push_id(("alert", i), |ui| {
            if let Some(act) = alert_row_ui(ui, engine, a, now) {
                action = Some(act);
            }
        });
        ui.add_space(2.0);
    }
    if total > MAX_ACTIVE_ROWS {
        ui.label(RichText::new(format!("… and {} more", total - MAX_ACTIVE_ROWS)).weak());
    }
    action
}

fn alert_row_ui(
    ui: &mut egui::Ui,
    engine: &Engine,
    a: &ActiveAlert,
    now: SystemTime,
) -> Option<PanelAction> {
    let key = a.key();
    let mut action = None;
    ui.horizontal(|ui| {
        widgets::badge_ui(
            ui,
            theme::severity_tone(a.severity),
            severity_word(a.severity),
        );
        widgets::badge_ui(
            ui,
            theme::alert_state_tone(a.state, a.severity),
            a.state.label(),
        );
        ui.label(RichText::new(&a.rule).strong());
        ui.add(egui::Label::new(format!("on {}", a.subject)).truncate());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            match covering_silence(engine, &key, now) {
                Some(target) => {
                    if ui
                        .button("Lift silence")
                        .on_hover_text("Notify about this alert again")
                        .clicked()
                    {
                        action = Some(PanelAction::Unsilence(target.clone()));
                    }
                }
                None => {
                    if ui
                        .button("Silence 1 h")
                        .on_hover_text("Keep showing this alert, but do not notify for an hour")
                        .clicked()
                    {
                        action = Some(PanelAction::Silence(
                            SilenceTarget::Alert { key: key.clone() },
                            SILENCE_FOR,
                        ));
                    }
                }
            }
            if !a.acknowledged
                && ui
                    .button("Acknowledge")
                    .on_hover_text("Seen: keep showing it, stop notifying, its resolution included")
                    .clicked()
            {
                action = Some(PanelAction::Acknowledge(key.clone()));
            }
        });
    });
    ui.horizontal_wrapped(|ui| {
        ui.add_space(4.0);
        ui.label(value_vs_threshold(engine, a))
            .on_hover_text(&a.message);
        let since = match (a.state, a.firing_since) {
            (AlertState::Firing, Some(t)) => format!("firing since {}", format::age(t, now)),
            _ => format!("breach since {}", format::age(a.since, now)),
        };
        ui.label(RichText::new(since).weak());
        if a.acknowledged {
            widgets::badge_ui(ui, Tone::Muted, "acknowledged");
        }
        if let Some(until) = a.silenced_until.filter(|u| *u > now) {
            widgets::badge_ui(
                ui,
                Tone::Muted,
                &format!(
                    "silenced until {} UTC ({})",
                    format::clock(until),
                    format::until(until, now)
                ),
            );
        }
    });
    action
}

/// The words of a transition: the new state, and the old one in brackets.
#[must_use]
pub fn transition_words(e: &AlertEvent) -> String {
    format!("{} (was {})", e.to.label(), e.from.label())
}

/// Why an event was not notified, in words.
#[must_use]
pub fn suppression_words(s: Suppression) -> String {
    match s {
        Suppression::Acknowledged => "acknowledged".to_owned(),
        Suppression::Silenced { until } => format!("silenced until {} UTC", format::clock(until)),
    }
}

/// Draw the history of transitions, newest first, at most [`MAX_HISTORY_ROWS`].
pub fn alert_history_ui(ui: &mut egui::Ui, engine: &Engine, now: SystemTime) {
    let events: Vec<&AlertEvent> = engine.history().rev().take(MAX_HISTORY_ROWS).collect();
    if events.is_empty() {
        ui.label(RichText::new("No alert has changed state yet.").weak());
        return;
    }
    widgets::header_row_ui(
        ui,
        &[64.0, 96.0, 160.0, 150.0, 200.0],
        &["Time (UTC)", "Severity", "Now", "Rule", "Subject", "Why"],
    );
    egui::ScrollArea::vertical()
        .id_salt("alert_history")
        .auto_shrink([false, true])
        .max_height(theme::HISTORY_HEIGHT)
        .show_rows(ui, theme::ROW_HEIGHT, events.len(), |ui, range| {
            for e in events.get(range).unwrap_or_default() {
                history_row_ui(ui, e, now);
            }
        });
}

fn history_row_ui(ui: &mut egui::Ui, e: &AlertEvent, now: SystemTime) {
    ui.horizontal(|ui| {
        ui.set_height(theme::ROW_HEIGHT);
        widgets::cell_ui(ui, 64.0, RichText::new(format::clock(e.at)).monospace())
            .on_hover_text(format::age(e.at, now));
        ui.allocate_ui_with_layout(
            egui::vec2(96.0, theme::ROW_HEIGHT),
            egui::Layout::left_to_right(egui::Align::Center),
            |ui| {
                ui.set_min_width(96.0);
                widgets::badge_ui(
                    ui,
                    theme::severity_tone(e.severity),
                    severity_word(e.severity),
                );
            },
        );
        let color = theme::tone_color(ui.visuals(), theme::alert_state_tone(e.to, e.severity));
        widgets::cell_ui(ui, 160.0, RichText::new(transition_words(e)).color(color));
        widgets::cell_ui(ui, 150.0, RichText::new(&e.rule).strong());
        widgets::cell_ui(ui, 200.0, e.subject.to_string());
        let mut why = e.message.clone();
        if let Some(s) = e.suppressed {
            why = format!("{why} · {}", suppression_words(s));
        }
        ui.add(egui::Label::new(RichText::new(why).weak()).truncate());
    });
}
