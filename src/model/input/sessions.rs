//! Agent sessions as one OpenClaw store or gateway reports them (DATA-SOURCES §7).

use std::time::SystemTime;

use serde::Serialize;

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

impl SessionsReport {
    /// What could not be read, as one message for the error log; `None` when everything was.
    #[must_use]
    pub fn problems_summary(&self) -> Option<String> {
        if self.problems.is_empty() && self.skipped == 0 {
            return None;
        }
        let mut m = format!(
            "{} store(s) or session(s) could not be read; the rest were counted",
            self.skipped.max(self.problems.len())
        );
        for p in &self.problems {
            m.push('\n');
            m.push_str(p);
        }
        Some(m)
    }
}
