//! Polling OpenClaw session stores on disk, with session starts from transcripts (read once,
//! cached). The path given may be the state directory (every
//! `agents/<agentId>/sessions/sessions.json` below it), one agent's `sessions` directory (where
//! OpenClaw's docs send people), or a `sessions.json` file; it is looked at again on every poll,
//! so it may appear later. Each report names the store files it read. Blocking file reads in
//! [`SessionsPoller::poll`], run on the blocking pool by [`run_files`]. One unreadable store (not
//! JSON, over the size cap, a link that loops or leads nowhere) is a line in the report's
//! `problems`, which the model shows as an error, while the other stores are still counted.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::openclaw::{
    MAX_STORE_BYTES, MAX_TRANSCRIPT_HEADER_BYTES, parse_sessions_store, parse_transcript_header,
};
use crate::model::ids::{SourceId, SourceKind};
use crate::model::input::SourceUpdate;
use crate::model::input::{EventError, EventUpdate, SessionsOrigin, SessionsReport};
use crate::sources::framework::{
    Poll, PollSchedule, Sink, SourceTask, Stop, poll_loop, read_blocking,
};

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

/// The file name of a session store.
const STORE_FILE: &str = "sessions.json";
/// OpenClaw's default agent, for a store whose path does not name its agent.
const DEFAULT_AGENT: &str = "main";

/// What to do when the path given holds no session store: the config key and flag that name it.
const WHAT_TO_GIVE: &str = "set `dir` in [[openclaw_sessions]] (or --openclaw-sessions) to the OpenClaw state directory (where OPENCLAW_STATE_DIR points for OpenClaw; by default ~/.openclaw), one agent's agents/<id>/sessions directory, or its sessions.json file";

/// One session store to read: the agent it belongs to and the `sessions.json` path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Store {
    agent: String,
    file: PathBuf,
}

/// The agent of a store in `sessions_dir`: `<id>` in `agents/<id>/sessions`, else the default.
fn agent_of(sessions_dir: &Path) -> String {
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    if name(sessions_dir).as_deref() == Some("sessions")
        && let Some(agent) = sessions_dir.parent().and_then(name)
    {
        return agent;
    }
    DEFAULT_AGENT.to_owned()
}

/// True when there is an entry at `path` — a file, a directory, or a link even when it cannot
/// be followed (dangling, looping): such a store is read, and fails with a reason, rather than
/// being passed over in silence.
fn entry_exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// The stores `path` stands for, sorted by agent: a `sessions.json` file; a directory holding
/// one (an agent's `sessions` directory); or a state directory, whose `agents/<id>/sessions/`
/// directories are listed (those without a store yet are left out). Second: agent entries that
/// could not be looked into (a link that loops, no permission), one line each.
///
/// # Errors
/// [`EventError::Io`] when `path` cannot be read or is none of the three.
fn stores_at(path: &Path) -> Result<(Vec<Store>, Vec<String>), EventError> {
    let meta =
        std::fs::metadata(path).map_err(|e| io_error(path, &e, &format!("; {WHAT_TO_GIVE}")))?;
    if meta.is_file() {
        let dir = path.parent().unwrap_or(Path::new(""));
        return Ok((
            vec![Store {
                agent: agent_of(dir),
                file: path.to_path_buf(),
            }],
            Vec::new(),
        ));
    }
    let own = path.join(STORE_FILE);
    if entry_exists(&own) {
        return Ok((
            vec![Store {
                agent: agent_of(path),
                file: own,
            }],
            Vec::new(),
        ));
    }
    let agents_dir = path.join("agents");
    let entries = match std::fs::read_dir(&agents_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(EventError::Io {
                path: path.display().to_string(),
                reason: format!("holds neither agents/ nor {STORE_FILE}; {WHAT_TO_GIVE}"),
            });
        }
        Err(e) => return Err(io_error(&agents_dir, &e, "; check its permissions")),
    };
    let mut stores = Vec::new();
    let mut problems = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let agent_dir = entry.path();
        let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
        match std::fs::metadata(&agent_dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => continue,
            // A plain entry that vanished since the listing: nothing to say.
            Err(_) if !is_link => continue,
            Err(e) => {
                problems.push(format!(
                    "cannot read {}: {e}; this agent's sessions were not counted — fix or remove the link",
                    agent_dir.display()
                ));
                continue;
            }
        }
        let file = agent_dir.join("sessions").join(STORE_FILE);
        if entry_exists(&file) {
            stores.push(Store {
                agent: entry.file_name().to_string_lossy().into_owned(),
                file,
            });
        }
    }
    stores.sort_by(|a, b| a.agent.cmp(&b.agent));
    Ok((stores, problems))
}

/// Reads the session stores at a path (see the module docs), caching transcript start times.
#[derive(Debug)]
pub struct SessionsPoller {
    path: PathBuf,
    starts: HashMap<PathBuf, SystemTime>,
    /// The stores the last poll read, to log when that changes.
    last_read: Vec<String>,
}

impl SessionsPoller {
    /// A poller of `path`: a state directory, an `agents/<id>/sessions` directory or a
    /// `sessions.json` file.
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            starts: HashMap::new(),
            last_read: Vec::new(),
        }
    }

    /// Read the stores now (blocking file I/O). The report's origin names the files read.
    ///
    /// # Errors
    /// [`EventError::Io`] when the path is missing, unreadable or holds no store layout; one
    /// unreadable store only adds a line to the report's `problems`.
    pub fn poll(&mut self) -> Result<SessionsReport, EventError> {
        let (stores, problems) = stores_at(&self.path)?;
        let mut report = SessionsReport {
            origin: SessionsOrigin::Files {
                path: self.path.display().to_string(),
                stores: Vec::new(),
            },
            sessions: Vec::new(),
            skipped: problems.len(),
            problems,
        };
        let mut read = Vec::new();
        let mut seen_transcripts = HashSet::new();
        for Store { agent, file: store } in stores {
            let sessions_dir = store.parent().unwrap_or(Path::new("")).to_path_buf();
            let bytes = match read_capped(&store) {
                Ok(Some(b)) => b,
                Ok(None) => continue,
                Err(e) => {
                    report.skipped += 1;
                    report.problems.push(e.to_string());
                    continue;
                }
            };
            read.push(store.display().to_string());
            let parsed = match parse_sessions_store(&bytes, &agent) {
                Ok(p) => p,
                Err(e) => {
                    report.skipped += 1;
                    let why = match &e {
                        EventError::Malformed { reason, excerpt } => {
                            format!("{reason}; it starts `{excerpt}`")
                        }
                        other => other.to_string(),
                    };
                    report.problems.push(format!(
                        "{}: {why}; this store was skipped (the other stores were counted) — check that it is OpenClaw's sessions.json (a JSON object of session key → entry), or move it away",
                        store.display()
                    ));
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
        if read != self.last_read {
            if read.is_empty() {
                log::info!(
                    "OpenClaw sessions: no {STORE_FILE} under {} yet",
                    self.path.display()
                );
            } else {
                log::info!("OpenClaw sessions: reading {}", read.join(", "));
            }
            self.last_read.clone_from(&read);
        }
        if let SessionsOrigin::Files { stores, .. } = &mut report.origin {
            *stores = read;
        }
        Ok(report)
    }
}

/// The file's bytes, `None` when it does not exist (it went away since it was listed).
///
/// # Errors
/// [`EventError::Io`] naming the file and what to do: a link that cannot be followed (loop,
/// dangling), no permission, a read error, a store over [`MAX_STORE_BYTES`].
fn read_capped(path: &Path) -> Result<Option<Vec<u8>>, EventError> {
    const SKIPPED: &str = "this store was skipped (the other stores were counted)";
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !entry_exists(path) => {
            return Ok(None);
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(io_error(
                path,
                &e,
                &format!("; it is a link to nothing: {SKIPPED} — fix or remove the link"),
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(io_error(
                path,
                &e,
                &format!("; {SKIPPED} — check its permissions"),
            ));
        }
        Err(e) => {
            return Err(io_error(
                path,
                &e,
                &format!("; {SKIPPED} — if it is a link, fix or remove it"),
            ));
        }
    };
    let mut bytes = Vec::new();
    f.take(MAX_STORE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, &e, &format!("; {SKIPPED}")))?;
    if bytes.len() as u64 > MAX_STORE_BYTES {
        return Err(EventError::Io {
            path: path.display().to_string(),
            reason: format!(
                "larger than the {} MiB cap on a session store, not read; {SKIPPED} — check that it is OpenClaw's sessions.json, or prune old sessions from it",
                MAX_STORE_BYTES >> 20
            ),
        });
    }
    Ok(Some(bytes))
}

/// The session-store poller's settings.
#[derive(Debug, Clone)]
pub struct SessionsFilesConfig {
    /// Id of this source.
    pub id: SourceId,
    /// Where the stores are: the state directory (see
    /// [`super::openclaw::resolve_state_dir`]), an `agents/<id>/sessions` directory, or a
    /// `sessions.json` file.
    pub path: PathBuf,
    /// How often the stores are read.
    pub interval: Duration,
}

impl SessionsFilesConfig {
    /// Read the stores at `path` every 10 s.
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Self {
            id: SourceId::new(
                "swarm",
                SourceKind::OpenclawFiles,
                path.display().to_string(),
            ),
            path,
            interval: Duration::from_secs(10),
        }
    }
}

/// The session stores as a polled source: each poll reads them on the blocking pool.
struct FilesPoll {
    cfg: SessionsFilesConfig,
    poller: Option<SessionsPoller>,
}

impl Poll for FilesPoll {
    async fn poll(&mut self) -> Option<SourceUpdate> {
        let dir = self.cfg.path.clone();
        let result = read_blocking(
            &mut self.poller,
            || SessionsPoller::new(dir),
            SessionsPoller::poll,
        )
        .await
        .unwrap_or_else(|reason| {
            Err(EventError::Io {
                path: self.cfg.path.display().to_string(),
                reason,
            })
        });
        Some(SourceUpdate::agents(EventUpdate::Sessions {
            source: self.cfg.id.clone(),
            at: SystemTime::now(),
            result,
        }))
    }
}

/// Read the stores every `interval` until `stop` flips; each poll sends one
/// [`EventUpdate::Sessions`].
pub async fn run_files(cfg: SessionsFilesConfig, sink: Sink, stop: Stop) {
    let schedule = PollSchedule::every(cfg.interval);
    let source = FilesPoll { cfg, poller: None };
    poll_loop(source, schedule, sink, stop).await;
}

/// [`run_files`] on the current tokio runtime.
#[must_use]
pub fn spawn_files(cfg: SessionsFilesConfig, sink: Sink) -> SourceTask {
    SourceTask::spawn(move |stop| run_files(cfg, sink, stop))
}
