//! The alert engine: one state machine per (rule, subject) — inactive → pending (breach seen,
//! waiting out `for`) → firing → resolved (→ inactive) — driven by [`Engine::evaluate`] at an
//! explicit `now`. It emits transitions only, keeps the active alerts, a bounded history,
//! acknowledgements and silences. Pure: no clock, no I/O.
//!
//! Decisions, per reading:
//! - a figure at or past the threshold is a breach; a *firing* alert resolves only once the figure
//!   is past `threshold − hysteresis` (`+` for "below" rules);
//! - a missing figure (n/a) never fires: it cancels a pending alert and leaves a firing one as it
//!   is (no evidence either way);
//! - a subject that is no longer reported (or a rule that was disabled) resolves its alerts.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::observe::{self, Reading, Subjects};
use super::{AlertEvent, AlertKey, AlertState, Subject, Suppression};
use crate::config::alerts::{Comparison, Rule, RuleKind, RuleSet, Severity};
use crate::model::Model;

/// Events kept in the history by default.
pub const DEFAULT_HISTORY: usize = 500;

/// One alert that is pending or firing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActiveAlert {
    /// Rule name.
    pub rule: String,
    /// What it is about.
    pub subject: Subject,
    /// Severity of the rule.
    pub severity: Severity,
    /// `Pending` or `Firing`.
    pub state: AlertState,
    /// When the breach was first seen.
    #[serde(with = "crate::model::time_fmt")]
    pub since: SystemTime,
    /// When it started firing.
    #[serde(with = "crate::model::time_fmt::option")]
    pub firing_since: Option<SystemTime>,
    /// The latest figure (`None` for conditions and n/a).
    pub value: Option<f64>,
    /// The rule's threshold (`None` for conditions).
    pub threshold: Option<f64>,
    /// The latest explanation.
    pub message: String,
    /// The operator acknowledged it: still shown, no further notification.
    pub acknowledged: bool,
    /// A silence covers it until then: still shown, not notified.
    #[serde(with = "crate::model::time_fmt::option")]
    pub silenced_until: Option<SystemTime>,
}

impl ActiveAlert {
    /// Its key.
    #[must_use]
    pub fn key(&self) -> AlertKey {
        AlertKey::new(self.rule.clone(), self.subject.clone())
    }
}

/// What a silence covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SilenceTarget {
    /// Every alert of a rule.
    Rule {
        /// Rule name.
        rule: String,
    },
    /// Every alert about a subject.
    Subject {
        /// The subject.
        subject: Subject,
    },
    /// One alert.
    Alert {
        /// The alert.
        key: AlertKey,
    },
}

impl SilenceTarget {
    fn covers(&self, key: &AlertKey) -> bool {
        match self {
            Self::Rule { rule } => *rule == key.rule,
            Self::Subject { subject } => *subject == key.subject,
            Self::Alert { key: k } => k == key,
        }
    }
}

/// A silence: notifications for its target are suppressed until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Silence {
    /// What it covers.
    pub target: SilenceTarget,
    /// When it ends.
    #[serde(with = "crate::model::time_fmt")]
    pub until: SystemTime,
}

/// Everything the engine shows, for `snapshot --json` and the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertsSnapshot {
    /// Worst severity among firing alerts.
    pub worst: Option<Severity>,
    /// Firing alerts, sorted by rule then subject.
    pub firing: Vec<ActiveAlert>,
    /// Pending alerts.
    pub pending: Vec<ActiveAlert>,
    /// Silences in force.
    pub silences: Vec<Silence>,
}

/// The alert engine.
#[derive(Debug, Clone)]
pub struct Engine {
    rules: RuleSet,
    active: BTreeMap<AlertKey, ActiveAlert>,
    silences: Vec<Silence>,
    history: VecDeque<AlertEvent>,
    history_capacity: usize,
}

/// What one reading means for an alert: breach, clear, or unknown (n/a).
fn decide(kind: &RuleKind, reading: &Reading<'_>, firing: bool) -> Option<bool> {
    match (kind, reading) {
        (
            RuleKind::Threshold {
                comparison,
                threshold,
                hysteresis,
                ..
            },
            Reading::Figure(v),
        ) => {
            let v = (*v)?;
            Some(match (comparison, firing) {
                (Comparison::Above, false) => v >= *threshold,
                (Comparison::Above, true) => v >= threshold - hysteresis,
                (Comparison::Below, false) => v <= *threshold,
                (Comparison::Below, true) => v <= threshold + hysteresis,
            })
        }
        (_, Reading::Condition { breach, .. }) => *breach,
        _ => None,
    }
}

fn silenced_until(silences: &[Silence], key: &AlertKey, now: SystemTime) -> Option<SystemTime> {
    silences
        .iter()
        .filter(|s| s.until > now && s.target.covers(key))
        .map(|s| s.until)
        .max()
}

fn describe(rule: &Rule, reading: &Reading<'_>, to: AlertState) -> String {
    match (&rule.kind, reading) {
        (
            RuleKind::Threshold {
                metric,
                comparison,
                threshold,
                hysteresis,
            },
            Reading::Figure(v),
        ) => {
            let th = metric.format(*threshold);
            let Some(v) = v else {
                return format!("{} n/a", metric.label());
            };
            let v = metric.format(*v);
            let sym = comparison.symbol();
            let for_ = crate::format::duration(rule.for_duration);
            match to {
                AlertState::Pending => format!(
                    "{} {v} {sym} {th}; fires if it lasts {for_}",
                    metric.label()
                ),
                AlertState::Firing if rule.for_duration.is_zero() => {
                    format!("{} {v} {sym} {th}", metric.label())
                }
                AlertState::Firing => format!("{} {v} {sym} {th} for {for_}", metric.label()),
                _ => {
                    let clear = match comparison {
                        Comparison::Above => {
                            format!("below {}", metric.format(threshold - hysteresis))
                        }
                        Comparison::Below => {
                            format!("above {}", metric.format(threshold + hysteresis))
                        }
                    };
                    if to == AlertState::Resolved {
                        format!("{} back to {v} ({clear})", metric.label())
                    } else {
                        format!("{} {v}, no longer {sym} {th}", metric.label())
                    }
                }
            }
        }
        (_, Reading::Condition { detail, .. }) => detail.words(),
        (_, Reading::Figure(_)) => String::new(),
    }
}

impl Engine {
    /// An engine over `rules`, nothing active.
    #[must_use]
    pub fn new(rules: RuleSet) -> Self {
        Self {
            rules,
            active: BTreeMap::new(),
            silences: Vec::new(),
            history: VecDeque::new(),
            history_capacity: DEFAULT_HISTORY,
        }
    }

    /// Keep at most `capacity` events in the history.
    #[must_use]
    pub fn with_history_capacity(mut self, capacity: usize) -> Self {
        self.history_capacity = capacity.max(1);
        self
    }

    /// The rules in force.
    #[must_use]
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The rules, to change them; changes apply at the next [`Engine::evaluate`] (a disabled
    /// rule's alerts resolve there).
    pub fn rules_mut(&mut self) -> &mut RuleSet {
        &mut self.rules
    }

    fn suppression(
        &self,
        key: &AlertKey,
        acknowledged: bool,
        now: SystemTime,
    ) -> Option<Suppression> {
        if acknowledged {
            return Some(Suppression::Acknowledged);
        }
        silenced_until(&self.silences, key, now).map(|until| Suppression::Silenced { until })
    }

    /// Evaluate every enabled rule over `model` at `now`; return the transitions (also kept in
    /// the history). Evaluating twice in the same state returns nothing the second time.
    pub fn evaluate(&mut self, model: &Model, now: SystemTime) -> Vec<AlertEvent> {
        self.silences.retain(|s| s.until > now);
        // Every subject once per evaluation; each rule reads its own off them.
        let subjects = Subjects::of(model, now);
        let mut seen = BTreeSet::new();
        let mut events = Vec::new();
        // Taken out for the loop so `step` may borrow the engine mutably.
        let rules = std::mem::take(&mut self.rules);
        for rule in rules.iter().filter(|r| r.enabled) {
            // The subjects this rule has an alert pending or firing on (few). Any other subject
            // matters only when it breaches: an inactive pair without a breach stays inactive,
            // so most pairs need no key and no state at all.
            let active: BTreeSet<Subject> = self
                .active
                .keys()
                .filter(|k| k.rule == rule.name)
                .map(|k| k.subject.clone())
                .collect();
            for (subject, reading) in observe::readings(&rule.kind, &subjects) {
                if !active.contains(subject) && decide(&rule.kind, &reading, false) != Some(true) {
                    continue;
                }
                let key = AlertKey::new(rule.name.clone(), subject.clone());
                if let Some(e) = self.step(rule, &key, &reading, now) {
                    events.push(e);
                }
                seen.insert(key);
            }
        }
        self.rules = rules;
        let gone: Vec<AlertKey> = self
            .active
            .keys()
            .filter(|k| !seen.contains(*k))
            .cloned()
            .collect();
        for key in gone {
            let Some(a) = self.active.remove(&key) else {
                continue;
            };
            let why = match self.rules.get(&key.rule) {
                Some(r) if r.enabled => format!("{} is no longer reported", key.subject),
                Some(_) => format!("rule {} was disabled", key.rule),
                None => format!("rule {} was removed", key.rule),
            };
            let to = if a.state == AlertState::Firing {
                AlertState::Resolved
            } else {
                AlertState::Inactive
            };
            events.push(self.event(&key, &a, to, None, why, now));
        }
        for (k, a) in &mut self.active {
            a.silenced_until = silenced_until(&self.silences, k, now);
        }
        for e in &events {
            if self.history.len() >= self.history_capacity {
                self.history.pop_front();
            }
            self.history.push_back(e.clone());
        }
        events
    }

    fn event(
        &self,
        key: &AlertKey,
        a: &ActiveAlert,
        to: AlertState,
        value: Option<f64>,
        message: String,
        now: SystemTime,
    ) -> AlertEvent {
        AlertEvent {
            rule: key.rule.clone(),
            subject: key.subject.clone(),
            severity: a.severity,
            from: a.state,
            to,
            value,
            threshold: a.threshold,
            message,
            at: now,
            suppressed: self.suppression(key, a.acknowledged, now),
        }
    }

    /// Advance one (rule, subject) pair; the transition, if any.
    fn step(
        &mut self,
        rule: &Rule,
        key: &AlertKey,
        reading: &Reading<'_>,
        now: SystemTime,
    ) -> Option<AlertEvent> {
        let value = match reading {
            Reading::Figure(v) => *v,
            Reading::Condition { .. } => None,
        };
        let state = self
            .active
            .get(key)
            .map_or(AlertState::Inactive, |a| a.state);
        let breach = decide(&rule.kind, reading, state == AlertState::Firing);
        let to = match (state, breach) {
            (AlertState::Inactive, Some(true)) if rule.for_duration.is_zero() => AlertState::Firing,
            (AlertState::Inactive, Some(true)) => AlertState::Pending,
            (AlertState::Pending, Some(true)) => {
                let since = self.active.get(key).map_or(now, |a| a.since);
                if now.duration_since(since).unwrap_or(Duration::ZERO) >= rule.for_duration {
                    AlertState::Firing
                } else {
                    AlertState::Pending
                }
            }
            (AlertState::Pending, _) => AlertState::Inactive,
            (AlertState::Firing, Some(false)) => AlertState::Resolved,
            (s, _) => s,
        };
        if to == state {
            // No transition: refresh what is shown, but keep the last evidence through n/a.
            if let (Some(a), Some(_)) = (self.active.get_mut(key), breach) {
                a.severity = rule.severity;
                a.message = describe(rule, reading, to);
                a.value = value;
            }
            return None;
        }
        let message = describe(rule, reading, to);
        let mut alert = self.active.remove(key).unwrap_or_else(|| ActiveAlert {
            rule: key.rule.clone(),
            subject: key.subject.clone(),
            severity: rule.severity,
            state: AlertState::Inactive,
            since: now,
            firing_since: None,
            value,
            threshold: rule.threshold_value(),
            message: String::new(),
            acknowledged: false,
            silenced_until: None,
        });
        alert.severity = rule.severity;
        let event = self.event(key, &alert, to, value, message.clone(), now);
        if matches!(to, AlertState::Pending | AlertState::Firing) {
            alert.state = to;
            alert.value = value;
            alert.message = message;
            if to == AlertState::Firing {
                alert.firing_since = Some(now);
            }
            self.active.insert(key.clone(), alert);
        }
        Some(event)
    }

    /// Alerts firing now, sorted by rule then subject.
    pub fn firing(&self) -> impl Iterator<Item = &ActiveAlert> {
        self.active
            .values()
            .filter(|a| a.state == AlertState::Firing)
    }

    /// Alerts pending now (breach seen, `for` not yet passed).
    pub fn pending(&self) -> impl Iterator<Item = &ActiveAlert> {
        self.active
            .values()
            .filter(|a| a.state == AlertState::Pending)
    }

    /// The worst severity among firing alerts (acknowledged ones included), `None` when none fires.
    #[must_use]
    pub fn worst(&self) -> Option<Severity> {
        self.firing().map(|a| a.severity).max()
    }

    /// Acknowledge an active alert: it stays shown (and firing) but is no longer notified, its
    /// resolution included. Returns false when no such alert is active.
    pub fn acknowledge(&mut self, key: &AlertKey) -> bool {
        self.active
            .get_mut(key)
            .map(|a| a.acknowledged = true)
            .is_some()
    }

    /// Silence `target` from `now` for `duration`: its events are still shown and kept, but
    /// marked suppressed. Returns when the silence ends.
    pub fn silence(
        &mut self,
        target: SilenceTarget,
        now: SystemTime,
        duration: Duration,
    ) -> SystemTime {
        let until = now + duration;
        self.silences.retain(|s| s.target != target);
        for a in self.active.values_mut() {
            if target.covers(&AlertKey::new(a.rule.clone(), a.subject.clone())) {
                a.silenced_until = Some(a.silenced_until.map_or(until, |u| u.max(until)));
            }
        }
        self.silences.push(Silence { target, until });
        until
    }

    /// Lift a silence early; false when there was none for `target`.
    pub fn unsilence(&mut self, target: &SilenceTarget) -> bool {
        let before = self.silences.len();
        self.silences.retain(|s| s.target != *target);
        before != self.silences.len()
    }

    /// Silences in force (as of the last evaluation).
    #[must_use]
    pub fn silences(&self) -> &[Silence] {
        &self.silences
    }

    /// The alerts that were firing at `t`, from the history: each alert's last transition at
    /// or before `t`, where that was to firing (oldest first).
    #[must_use]
    pub fn firing_at(&self, t: SystemTime) -> Vec<&AlertEvent> {
        let mut last: std::collections::BTreeMap<AlertKey, &AlertEvent> =
            std::collections::BTreeMap::new();
        for ev in self.history.iter().filter(|e| e.at <= t) {
            last.insert(ev.key(), ev);
        }
        let mut out: Vec<&AlertEvent> = last
            .into_values()
            .filter(|e| e.to == AlertState::Firing)
            .collect();
        out.sort_by_key(|e| e.at);
        out
    }

    /// Put back a history saved before a restart, in front of what happened since (oldest
    /// dropped beyond the capacity).
    pub fn restore_history(&mut self, saved: Vec<AlertEvent>) {
        let since = std::mem::take(&mut self.history);
        self.history = saved.into_iter().chain(since).collect();
        while self.history.len() > self.history_capacity {
            self.history.pop_front();
        }
    }

    /// Transitions, oldest first.
    pub fn history(&self) -> impl DoubleEndedIterator<Item = &AlertEvent> + ExactSizeIterator {
        self.history.iter()
    }

    /// Everything shown, for `snapshot --json` and the window.
    #[must_use]
    pub fn snapshot(&self) -> AlertsSnapshot {
        AlertsSnapshot {
            worst: self.worst(),
            firing: self.firing().cloned().collect(),
            pending: self.pending().cloned().collect(),
            silences: self.silences.clone(),
        }
    }
}
