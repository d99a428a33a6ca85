//! The sessions summary at an explicit `now`: the latest report of each session source merged
//! (one row per agent + key, the freshest `updatedAt` wins), active sessions (updated within
//! the active window, 60 min by default), the oldest active session's age, idle time and tokens
//! per session, and where they were read from.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::model::input::{SessionInfo, SessionsOrigin, SessionsReport};

/// One session at `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionView {
    /// The session as read.
    #[serde(flatten)]
    pub info: SessionInfo,
    /// Updated within the active window.
    pub active: bool,
    /// `now − updatedAt`, ms.
    pub idle_ms: Option<u64>,
    /// `now − start`, ms.
    pub age_ms: Option<u64>,
}

/// All sessions at `now`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SessionsSummary {
    /// Sessions known.
    pub total: usize,
    /// Sessions updated within the active window.
    pub active: usize,
    /// The active window, minutes.
    pub active_window_min: u64,
    /// Age of the oldest active session, ms.
    pub oldest_active_age_ms: Option<u64>,
    /// Input tokens over all sessions (those that report them).
    pub input_tokens: u64,
    /// Output tokens over all sessions.
    pub output_tokens: u64,
    /// Every session, active first, then most recently updated first.
    pub sessions: Vec<SessionView>,
    /// When the newest report was read.
    #[serde(serialize_with = "crate::model::time_fmt::option::serialize")]
    pub as_of: Option<SystemTime>,
    /// Where the sessions were read from: each `sessions.json` file and gateway URL, sorted.
    pub read_from: Vec<String>,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Merge `reports` (with when each was read) and summarize at `now`.
#[must_use]
pub fn summarize<'a>(
    reports: impl IntoIterator<Item = (&'a SessionsReport, SystemTime)>,
    now: SystemTime,
    active_window: Duration,
) -> SessionsSummary {
    let mut merged: BTreeMap<(String, String), SessionInfo> = BTreeMap::new();
    let mut as_of = None;
    let mut read_from = Vec::new();
    for (report, at) in reports {
        as_of = Some(as_of.map_or(at, |a: SystemTime| a.max(at)));
        match &report.origin {
            SessionsOrigin::Files { stores, .. } => read_from.extend(stores.iter().cloned()),
            SessionsOrigin::Gateway { url } => {
                read_from.push(crate::model::redact::redact_urls(url).into_owned());
            }
        }
        for s in &report.sessions {
            let k = (s.agent_id.clone(), s.key.clone());
            match merged.get_mut(&k) {
                Some(old) if old.updated_at >= s.updated_at => {
                    // Fill what the fresher row lacks (the gateway has no token split).
                    old.started_at = old.started_at.or(s.started_at);
                    old.input_tokens = old.input_tokens.or(s.input_tokens);
                    old.output_tokens = old.output_tokens.or(s.output_tokens);
                }
                Some(old) => {
                    let mut new = s.clone();
                    new.started_at = new.started_at.or(old.started_at);
                    new.input_tokens = new.input_tokens.or(old.input_tokens);
                    new.output_tokens = new.output_tokens.or(old.output_tokens);
                    *old = new;
                }
                None => {
                    merged.insert(k, s.clone());
                }
            }
        }
    }
    let mut out = SessionsSummary {
        active_window_min: active_window.as_secs() / 60,
        as_of,
        read_from,
        ..SessionsSummary::default()
    };
    for info in merged.into_values() {
        let idle = info
            .updated_at
            .map(|u| now.duration_since(u).unwrap_or_default());
        let age = info
            .started_at
            .map(|s| now.duration_since(s).unwrap_or_default());
        let active = idle.is_some_and(|i| i <= active_window);
        out.input_tokens = out
            .input_tokens
            .saturating_add(info.input_tokens.unwrap_or(0));
        out.output_tokens = out
            .output_tokens
            .saturating_add(info.output_tokens.unwrap_or(0));
        if active {
            out.active += 1;
            if let Some(a) = age {
                out.oldest_active_age_ms = Some(out.oldest_active_age_ms.unwrap_or(0).max(ms(a)));
            }
        }
        out.sessions.push(SessionView {
            info,
            active,
            idle_ms: idle.map(ms),
            age_ms: age.map(ms),
        });
    }
    out.total = out.sessions.len();
    out.sessions.sort_by(|a, b| {
        b.active
            .cmp(&a.active)
            .then_with(|| b.info.updated_at.cmp(&a.info.updated_at))
            .then_with(|| a.info.key.cmp(&b.info.key))
    });
    out.read_from.sort();
    out.read_from.dedup();
    out
}
