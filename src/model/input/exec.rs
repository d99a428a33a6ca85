//! One line of a workflow execution's log, with its level and the execution's status
//! (DATA-SOURCES §6), as `sources::events::exec_logs` decodes it.

use std::time::SystemTime;

use serde::Serialize;

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// `info` (also anything unrecognised).
    Info,
    /// `warning` / `warn`.
    Warning,
    /// `error` (also `critical`, `fatal`).
    Error,
}

impl LogLevel {
    /// Read a level name, case-insensitively.
    #[must_use]
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "warning" | "warn" => Self::Warning,
            "error" | "critical" | "fatal" => Self::Error,
            _ => Self::Info,
        }
    }
}

/// Status of a workflow execution (`pending|running|completed|failed|cancelled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecStatus {
    /// Not started.
    Pending,
    /// Running.
    Running,
    /// Finished successfully.
    Completed,
    /// Finished with an error.
    Failed,
    /// Cancelled.
    Cancelled,
}

impl ExecStatus {
    /// Read a status name; `None` when it is not one of the five.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "pending" => Self::Pending,
            "running" => Self::Running,
            "completed" | "complete" | "succeeded" | "success" => Self::Completed,
            "failed" | "error" => Self::Failed,
            "cancelled" | "canceled" => Self::Cancelled,
            _ => return None,
        })
    }

    /// True once the execution can change no more.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

/// One execution log line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecLog {
    /// `id`: unique per line; the merge key.
    pub id: String,
    /// The execution this stream watches.
    pub execution_id: String,
    /// `step_name`.
    pub step_name: Option<String>,
    /// `step_type`.
    pub step_type: Option<String>,
    /// `input_data` as JSON text, cut to `sources::events::exec_logs::MAX_DATA_PREVIEW_BYTES`.
    pub input_preview: String,
    /// `output_data` as JSON text, cut to `sources::events::exec_logs::MAX_DATA_PREVIEW_BYTES`.
    pub output_preview: String,
    /// `duration_ms` of the step (null while it runs).
    pub duration_ms: Option<u64>,
    /// `timestamp`.
    #[serde(serialize_with = "crate::model::time_fmt::option::serialize")]
    pub timestamp: Option<SystemTime>,
    /// `error_message`.
    pub error_message: Option<String>,
    /// `level`.
    pub level: LogLevel,
    /// Execution status, when the line carries one (`status` on the line or in `output_data`;
    /// **ours**: upstream does not send it yet).
    pub status: Option<ExecStatus>,
    /// Progress 0–100, when the line carries one (`progress`, same places; **ours**).
    pub progress_pct: Option<f64>,
}
