//! OpenClaw agent sessions from disk (DATA-SOURCES §7): `sessions.json` stores under
//! `<state dir>/agents/<agentId>/sessions/`, each mapping a session key to its entry. The session
//! start is `sessionStartedAt`, else the timestamp on the first line of `<sessionId>.jsonl`
//! (`{"type":"session","timestamp":…}`). Here: the session schema and the pure parsers; the
//! store poller ([`SessionsPoller`], [`run_files`]) and the gateway's `sessions_list` tool
//! ([`invoke_sessions_list`], [`run_gateway`]) are re-exported from their own files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use super::EventError;
use super::wire::{LooseString, LooseU64, from_epoch_ms, parse_iso8601};

pub use super::openclaw_files::{SessionsFilesConfig, SessionsPoller, run_files, spawn_files};

pub use super::openclaw_gateway::{
    GatewayConfig, invoke_sessions_list, parse_gateway_response, run_gateway, spawn_gateway,
};

/// Largest `sessions.json` read, bytes.
pub const MAX_STORE_BYTES: u64 = 32 << 20;

/// Longest first transcript line read, bytes.
pub const MAX_TRANSCRIPT_HEADER_BYTES: u64 = 64 << 10;

/// One agent session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    /// The agent (directory name, or `agentId` from the gateway).
    pub agent_id: String,
    /// Session key (`agent:main:main`, …).
    pub key: String,
    /// `sessionId` (names the transcript file).
    pub session_id: Option<String>,
    /// `kind` (gateway: main, group, cron, hook, node).
    pub kind: Option<String>,
    /// `updatedAt`: the last activity.
    #[serde(serialize_with = "crate::model::time_fmt::option::serialize")]
    pub updated_at: Option<SystemTime>,
    /// Start: `sessionStartedAt` / `startedAt`, else the transcript's first line.
    #[serde(serialize_with = "crate::model::time_fmt::option::serialize")]
    pub started_at: Option<SystemTime>,
    /// `lastInteractionAt` (newer builds).
    #[serde(serialize_with = "crate::model::time_fmt::option::serialize")]
    pub last_interaction_at: Option<SystemTime>,
    /// `inputTokens`.
    pub input_tokens: Option<u64>,
    /// `outputTokens`.
    pub output_tokens: Option<u64>,
    /// `totalTokens`.
    pub total_tokens: Option<u64>,
    /// `contextTokens`.
    pub context_tokens: Option<u64>,
    /// `model`.
    pub model: Option<String>,
    /// `modelProvider`.
    pub model_provider: Option<String>,
    /// `status` (newer builds: running, done, failed, killed, timeout, paused).
    pub status: Option<String>,
    /// `label`.
    pub label: Option<String>,
    /// `channel`.
    pub channel: Option<String>,
    /// `spawnedBy`: the parent session key of a sub-agent.
    pub spawned_by: Option<String>,
    /// `spawnDepth`.
    pub spawn_depth: Option<u64>,
    /// `abortedLastRun`.
    pub aborted_last_run: Option<bool>,
}

/// Where a report came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum SessionsOrigin {
    /// Session store files.
    Files {
        /// The path given: a state directory, an `agents/<id>/sessions` directory or a
        /// `sessions.json` file.
        path: String,
        /// The `sessions.json` files read for this report.
        stores: Vec<String>,
    },
    /// The gateway's `sessions_list` tool.
    Gateway {
        /// The gateway's invoke URL.
        url: String,
    },
}

/// Every session one source knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionsReport {
    /// Where from.
    pub origin: SessionsOrigin,
    /// Sessions, sorted by agent then key.
    pub sessions: Vec<SessionInfo>,
    /// Entries that could not be read (each explained in `problems`).
    pub skipped: usize,
    /// What could not be read, one line each (at most 20).
    pub problems: Vec<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawEntry {
    #[serde(default)]
    pub key: LooseString,
    #[serde(default)]
    pub agent_id: LooseString,
    #[serde(default)]
    pub session_id: LooseString,
    #[serde(default)]
    pub session_file: LooseString,
    #[serde(default)]
    pub kind: LooseString,
    #[serde(default)]
    pub updated_at: Option<serde_json::Value>,
    #[serde(default)]
    pub session_started_at: Option<serde_json::Value>,
    #[serde(default)]
    pub started_at: Option<serde_json::Value>,
    #[serde(default)]
    pub last_interaction_at: Option<serde_json::Value>,
    #[serde(default)]
    pub input_tokens: LooseU64,
    #[serde(default)]
    pub output_tokens: LooseU64,
    #[serde(default)]
    pub total_tokens: LooseU64,
    #[serde(default)]
    pub context_tokens: LooseU64,
    #[serde(default)]
    pub model: LooseString,
    #[serde(default)]
    pub model_provider: LooseString,
    #[serde(default)]
    pub status: LooseString,
    #[serde(default)]
    pub label: LooseString,
    #[serde(default)]
    pub channel: LooseString,
    #[serde(default)]
    pub spawned_by: LooseString,
    #[serde(default)]
    pub spawn_depth: LooseU64,
    #[serde(default)]
    pub aborted_last_run: Option<serde_json::Value>,
}

/// A time given as epoch milliseconds (seconds when below 10^11), a numeric string, or ISO-8601.
#[must_use]
pub fn time_value(v: &serde_json::Value) -> Option<SystemTime> {
    let ms = |n: f64| -> Option<SystemTime> {
        if !n.is_finite() || n <= 0.0 {
            return None;
        }
        let ms = if n < 1e11 { n * 1000.0 } else { n };
        // `as` saturates; the fraction of a millisecond does not matter.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        from_epoch_ms(ms as u64)
    };
    match v {
        serde_json::Value::Number(n) => n.as_f64().and_then(ms),
        serde_json::Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(ms)
            .or_else(|| parse_iso8601(s)),
        _ => None,
    }
}

impl RawEntry {
    pub(super) fn into_info(self, agent_id: &str, key: String) -> SessionInfo {
        let t = |v: &Option<serde_json::Value>| v.as_ref().and_then(time_value);
        SessionInfo {
            agent_id: self.agent_id.0.unwrap_or_else(|| agent_id.to_owned()),
            key,
            session_id: self.session_id.0,
            kind: self.kind.0,
            updated_at: t(&self.updated_at),
            started_at: t(&self.session_started_at).or_else(|| t(&self.started_at)),
            last_interaction_at: t(&self.last_interaction_at),
            input_tokens: self.input_tokens.0,
            output_tokens: self.output_tokens.0,
            total_tokens: self.total_tokens.0,
            context_tokens: self.context_tokens.0,
            model: self.model.0,
            model_provider: self.model_provider.0,
            status: self.status.0,
            label: self.label.0,
            channel: self.channel.0,
            spawned_by: self.spawned_by.0,
            spawn_depth: self.spawn_depth.0,
            aborted_last_run: self
                .aborted_last_run
                .as_ref()
                .and_then(serde_json::Value::as_bool),
        }
    }
}

/// A parsed store: sessions plus, per session, the transcript file named by `sessionFile`
/// (relative to the store's directory) when the entry gives one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedStore {
    /// Sessions, sorted by key.
    pub sessions: Vec<SessionInfo>,
    /// `sessionFile` per session key, when given.
    pub session_files: HashMap<String, String>,
    /// Entries that are not session objects, one line each.
    pub problems: Vec<String>,
}

/// Parse one `sessions.json` (session key → entry) of agent `agent_id`. Entries that are not
/// objects of the schema are skipped and explained in `problems`; the rest are kept.
///
/// # Errors
/// [`EventError::Malformed`] when the file is not a JSON object at all.
pub fn parse_sessions_store(bytes: &[u8], agent_id: &str) -> Result<ParsedStore, EventError> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(bytes).map_err(|e| {
            EventError::malformed(
                format!("sessions.json is not a JSON object of sessions: {e}"),
                bytes,
            )
        })?;
    let mut out = ParsedStore {
        sessions: Vec::new(),
        session_files: HashMap::new(),
        problems: Vec::new(),
    };
    for (key, v) in map {
        match serde_json::from_value::<RawEntry>(v) {
            Ok(raw) => {
                if let Some(f) = raw.session_file.0.clone() {
                    out.session_files.insert(key.clone(), f);
                }
                out.sessions.push(raw.into_info(agent_id, key));
            }
            Err(e) => out.problems.push(format!("session `{key}` skipped: {e}")),
        }
    }
    out.sessions.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// The session start on a transcript's first line, `{"type":"session","timestamp":…}`; `None`
/// when the line is something else.
#[must_use]
pub fn parse_transcript_header(line: &[u8]) -> Option<SystemTime> {
    let v: serde_json::Value = serde_json::from_slice(line.trim_ascii()).ok()?;
    if v.get("type").and_then(serde_json::Value::as_str) != Some("session") {
        return None;
    }
    v.get("timestamp").and_then(time_value)
}

/// The state directory: `explicit` if set, else `$OPENCLAW_STATE_DIR` (passed as `env_value`),
/// else `<home>/.openclaw`.
#[must_use]
pub fn resolve_state_dir(
    explicit: Option<&Path>,
    env_value: Option<&std::ffi::OsStr>,
    home: Option<&Path>,
) -> Option<PathBuf> {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| env_value.filter(|v| !v.is_empty()).map(PathBuf::from))
        .or_else(|| home.map(|h| h.join(".openclaw")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sources::events::wire::epoch_secs;

    #[test]
    fn times_in_every_shape() {
        let ms = serde_json::json!(1_770_853_622_114_u64);
        assert_eq!(epoch_secs(time_value(&ms).unwrap()), 1_770_853_622);
        assert_eq!(
            epoch_secs(time_value(&serde_json::json!(1_770_853_622)).unwrap()),
            1_770_853_622
        );
        assert_eq!(
            epoch_secs(time_value(&serde_json::json!("2026-02-11T23:47:02Z")).unwrap()),
            1_770_853_622
        );
        assert!(time_value(&serde_json::json!(null)).is_none());
    }

    #[test]
    fn a_bad_entry_is_skipped_not_fatal() {
        let store =
            br#"{"agent:main:a": {"sessionId": "s1", "updatedAt": 1770853622114, "inputTokens": 5},
                         "agent:main:b": {"sessionId": {"nested": true}},
                         "agent:main:c": 7}"#;
        let p = parse_sessions_store(store, "main").unwrap();
        assert_eq!(p.sessions.len(), 1);
        assert_eq!(p.sessions[0].input_tokens, Some(5));
        assert_eq!(p.problems.len(), 2);
        assert!(parse_sessions_store(b"[]", "main").is_err());
    }

    #[test]
    fn transcript_header_and_state_dir() {
        assert!(
            parse_transcript_header(
                br#"{"type":"session","id":"x","timestamp":"2026-02-11T23:00:00.000Z"}"#
            )
            .is_some()
        );
        assert!(
            parse_transcript_header(
                br#"{"type":"message","timestamp":"2026-02-11T23:00:00.000Z"}"#
            )
            .is_none()
        );
        let home = Path::new("/home/u");
        assert_eq!(
            resolve_state_dir(None, None, Some(home)),
            Some(PathBuf::from("/home/u/.openclaw"))
        );
        assert_eq!(
            resolve_state_dir(None, Some(std::ffi::OsStr::new("/srv/oc")), Some(home)),
            Some(PathBuf::from("/srv/oc"))
        );
        assert_eq!(
            resolve_state_dir(
                Some(Path::new("/x")),
                Some(std::ffi::OsStr::new("/srv/oc")),
                None
            ),
            Some(PathBuf::from("/x"))
        );
    }
}
