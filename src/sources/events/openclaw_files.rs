//! Polling OpenClaw session stores on disk: every `agents/<agentId>/sessions/sessions.json`
//! under the state directory, with session starts from transcripts (read once, cached). Blocking
//! file reads in [`SessionsPoller::poll`], run on the blocking pool by [`run_files`]. One
//! unreadable store is a line in the report, not a failure.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use super::openclaw::{
    MAX_STORE_BYTES, MAX_TRANSCRIPT_HEADER_BYTES, parse_sessions_store, parse_transcript_header,
};
use super::{Delivery, EventSink, SourceTask, sleep_or_stop, stopped};
use crate::model::ids::{SourceId, SourceKind};
use crate::model::input::{EventError, EventUpdate, SessionsOrigin, SessionsReport};

fn io_error(path: &Path, e: &std::io::Error, what_to_do: &str) -> EventError {
    EventError::Io {
        path: path.display().to_string(),
        reason: format!("{e}{what_to_do}"),
    }
}

fn read_transcript_start(path: &Path) -> Option<SystemTime> {
    let f = std::fs::File::open(path).ok()?;
    let mut line = Vec::new();
    std::io::BufReader::new(f.take(MAX_TRANSCRIPT_HEADER_BYTES))
        .read_until(b'\n', &mut line)
        .ok()?;
    parse_transcript_header(&line)
}

/// Reads every agent's session store under a state directory, caching transcript start times.
#[derive(Debug)]
pub struct SessionsPoller {
    state_dir: PathBuf,
    starts: HashMap<PathBuf, SystemTime>,
}

impl SessionsPoller {
    /// A poller of `state_dir` (the directory that holds `agents/`).
    #[must_use]
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Self {
            state_dir: state_dir.into(),
            starts: HashMap::new(),
        }
    }

    /// Read every `agents/<agentId>/sessions/sessions.json` now (blocking file I/O).
    ///
    /// # Errors
    /// [`EventError::Io`] when `agents/` cannot be listed; one unreadable store only adds a line
    /// to the report's `problems`.
    pub fn poll(&mut self) -> Result<SessionsReport, EventError> {
        let agents_dir = self.state_dir.join("agents");
        let entries = std::fs::read_dir(&agents_dir)
            .map_err(|e| io_error(&agents_dir, &e, "; set the OpenClaw state directory (`state_dir`, or OPENCLAW_STATE_DIR) to the folder that holds agents/"))?;
        let mut agents: Vec<(String, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
            .collect();
        agents.sort();
        let mut report = SessionsReport {
            origin: SessionsOrigin::Files {
                state_dir: self.state_dir.display().to_string(),
            },
            sessions: Vec::new(),
            skipped: 0,
            problems: Vec::new(),
        };
        let mut seen_transcripts = HashSet::new();
        for (agent, dir) in agents {
            let sessions_dir = dir.join("sessions");
            let store = sessions_dir.join("sessions.json");
            let bytes = match read_capped(&store) {
                Ok(Some(b)) => b,
                Ok(None) => continue,
                Err(e) => {
                    report.skipped += 1;
                    report.problems.push(e.to_string());
                    continue;
                }
            };
            let parsed = match parse_sessions_store(&bytes, &agent) {
                Ok(p) => p,
                Err(e) => {
                    report.skipped += 1;
                    report.problems.push(format!("{}: {e}", store.display()));
                    continue;
                }
            };
            report.skipped += parsed.problems.len();
            report.problems.extend(
                parsed
                    .problems
                    .iter()
                    .map(|p| format!("{}: {p}", store.display())),
            );
            for mut s in parsed.sessions {
                if s.started_at.is_none() {
                    let transcript = match (parsed.session_files.get(&s.key), &s.session_id) {
                        (Some(f), _) => Some(sessions_dir.join(f)),
                        (None, Some(id)) => Some(sessions_dir.join(format!("{id}.jsonl"))),
                        (None, None) => None,
                    };
                    if let Some(path) = transcript {
                        // A start once read never changes; a missing one is looked for again.
                        s.started_at = self
                            .starts
                            .get(&path)
                            .copied()
                            .or_else(|| read_transcript_start(&path));
                        if let Some(t) = s.started_at {
                            self.starts.insert(path.clone(), t);
                        }
                        seen_transcripts.insert(path);
                    }
                }
                report.sessions.push(s);
            }
        }
        // Forget transcripts no store names any more: the cache stays as big as the stores.
        self.starts.retain(|p, _| seen_transcripts.contains(p));
        report.problems.truncate(20);
        Ok(report)
    }
}

/// The file's bytes, `None` when it does not exist.
fn read_capped(path: &Path) -> Result<Option<Vec<u8>>, EventError> {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, &e, "; check its permissions")),
    };
    let mut bytes = Vec::new();
    f.take(MAX_STORE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, &e, ""))?;
    if bytes.len() as u64 > MAX_STORE_BYTES {
        return Err(EventError::Io {
            path: path.display().to_string(),
            reason: format!("larger than {MAX_STORE_BYTES} bytes; not read"),
        });
    }
    Ok(Some(bytes))
}

/// The session-store poller's settings.
#[derive(Debug, Clone)]
pub struct SessionsFilesConfig {
    /// Id of this source.
    pub id: SourceId,
    /// The state directory (see [`super::openclaw::resolve_state_dir`]).
    pub state_dir: PathBuf,
    /// How often the stores are read.
    pub interval: Duration,
}

impl SessionsFilesConfig {
    /// Read `state_dir` every 10 s.
    #[must_use]
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        let state_dir = state_dir.into();
        Self {
            id: SourceId::new(
                "swarm",
                SourceKind::OpenclawFiles,
                state_dir.display().to_string(),
            ),
            state_dir,
            interval: Duration::from_secs(10),
        }
    }
}

/// Read the stores every `interval` (on the blocking pool) until `stop` flips; each poll sends
/// one [`EventUpdate::Sessions`].
pub async fn run_files(cfg: SessionsFilesConfig, sink: EventSink, mut stop: watch::Receiver<bool>) {
    let mut poller = Some(SessionsPoller::new(cfg.state_dir.clone()));
    loop {
        let Some(mut p) = poller.take() else { return };
        let job = tokio::task::spawn_blocking(move || {
            let r = p.poll();
            (p, r)
        });
        let result = tokio::select! {
            j = job => match j {
                Ok((p, r)) => {
                    poller = Some(p);
                    r
                }
                Err(e) => {
                    poller = Some(SessionsPoller::new(cfg.state_dir.clone()));
                    Err(EventError::Io { path: cfg.state_dir.display().to_string(), reason: format!("the reader failed: {e}") })
                }
            },
            () = stopped(&mut stop) => return,
        };
        if sink.send(EventUpdate::Sessions {
            source: cfg.id.clone(),
            at: SystemTime::now(),
            result,
        }) == Delivery::Closed
            || !sleep_or_stop(cfg.interval, &mut stop).await
        {
            return;
        }
    }
}

/// [`run_files`] on the current tokio runtime.
#[must_use]
pub fn spawn_files(cfg: SessionsFilesConfig, sink: EventSink) -> SourceTask {
    SourceTask::spawn(move |stop| run_files(cfg, sink, stop))
}
