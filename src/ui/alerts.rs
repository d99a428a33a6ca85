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
    let active: Vec<&ActiveAlert> = firing.iter().chain(&pending).copied().collect();
    let rows = rows(&active);
    let total = rows.len();
    for (i, row) in rows.into_iter().take(MAX_ACTIVE_ROWS).enumerate() {
        ui.push_id(("alert", i), |ui| {
            let act = match row {
                Row::One(a) => alert_row_ui(ui, engine, a, now),
                Row::Group(alerts) => group_row_ui(ui, &alerts),
            };
            if let Some(act) = act {
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

/// More alerts than this of one rule, severity and state are one summary row: at fleet scale a
/// thousand "node stale" rows would push everything else off the screen.
pub const GROUP_ABOVE: usize = 3;

/// A row of the active list: one alert, or many of one rule in one state.
#[derive(Debug)]
pub enum Row<'a> {
    /// One alert.
    One(&'a ActiveAlert),
    /// More than [`GROUP_ABOVE`] of one rule, severity and state.
    Group(Vec<&'a ActiveAlert>),
}

/// The active list's rows, in the order given; alerts of one (rule, severity, state) beyond
/// [`GROUP_ABOVE`] are one group, where the first of them stood.
#[must_use]
pub fn rows<'a>(active: &[&'a ActiveAlert]) -> Vec<Row<'a>> {
    // Borrowed: at fleet scale there are thousands of active alerts every frame.
    let key = |a: &'a ActiveAlert| (a.rule.as_str(), a.severity, a.state);
    let mut counts: std::collections::HashMap<_, usize> = std::collections::HashMap::new();
    for a in active {
        *counts.entry(key(a)).or_default() += 1;
    }
    let mut out: Vec<Row<'a>> = Vec::new();
    let mut group_at: std::collections::HashMap<_, usize> = std::collections::HashMap::new();
    for a in active {
        let k = key(a);
        if counts.get(&k).copied().unwrap_or(0) <= GROUP_ABOVE {
            out.push(Row::One(a));
        } else if let Some(&i) = group_at.get(&k) {
            if let Some(Row::Group(g)) = out.get_mut(i) {
                g.push(a);
            }
        } else {
            group_at.insert(k, out.len());
            out.push(Row::Group(vec![a]));
        }
    }
    out
}

/// The start of an active row: severity and state badges (words, not colour alone) and the rule.
fn heading_ui(ui: &mut egui::Ui, a: &ActiveAlert) {
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
}

/// One row for many alerts of one rule: how many, the first subjects, and a button that
/// silences the rule.
fn group_row_ui(ui: &mut egui::Ui, alerts: &[&ActiveAlert]) -> Option<PanelAction> {
    let first = alerts.first()?;
    let mut action = None;
    ui.horizontal(|ui| {
        heading_ui(ui, first);
        let named: Vec<String> = alerts
            .iter()
            .take(4)
            .map(|a| a.subject.to_string())
            .collect();
        let more = alerts.len().saturating_sub(named.len());
        let tail = if more > 0 {
            format!(", … (+{more})")
        } else {
            String::new()
        };
        ui.add(
            egui::Label::new(format!(
                "on {} subjects: {}{tail}",
                alerts.len(),
                named.join(", ")
            ))
            .truncate(),
        );
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("Silence rule 1 h")
                .on_hover_text(format!("No notification from {} for an hour", first.rule))
                .clicked()
            {
                action = Some(PanelAction::Silence(
                    SilenceTarget::Rule {
                        rule: first.rule.clone(),
                    },
                    SILENCE_FOR,
                ));
            }
        });
    });
    ui.label(RichText::new(&first.message).weak())
        .on_hover_text("the first of them; every one is in the alert history and the tray");
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
        heading_ui(ui, a);
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

#[cfg(test)]
mod grouping_tests {
    use super::*;
    use crate::alerts::Subject;

    fn alert(rule: &str, node: &str, severity: Severity) -> ActiveAlert {
        ActiveAlert {
            rule: rule.to_owned(),
            subject: Subject::Node {
                node: node.to_owned(),
            },
            severity,
            state: crate::alerts::AlertState::Firing,
            since: SystemTime::UNIX_EPOCH,
            firing_since: Some(SystemTime::UNIX_EPOCH),
            value: None,
            threshold: None,
            message: format!("{rule} on {node}"),
            acknowledged: false,
            silenced_until: None,
        }
    }

    #[test]
    fn a_thousand_alerts_of_one_rule_are_one_row_and_a_few_stay_apart() {
        let mut all: Vec<ActiveAlert> = (0..1000)
            .map(|i| alert("node_stale", &format!("n{i}"), Severity::Warning))
            .collect();
        all.insert(0, alert("gpu_temp_high", "n7", Severity::Critical));
        all.push(alert("gpu_temp_high", "n8", Severity::Critical));
        let refs: Vec<&ActiveAlert> = all.iter().collect();
        let r = rows(&refs);
        assert_eq!(r.len(), 3, "{r:?}");
        assert!(matches!(r[0], Row::One(a) if a.rule == "gpu_temp_high"));
        assert!(matches!(&r[1], Row::Group(g) if g.len() == 1000 && g[0].rule == "node_stale"));
        assert!(matches!(r[2], Row::One(a) if a.subject.to_string().contains("n8")));
    }
}
