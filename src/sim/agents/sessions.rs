//! A simulated OpenClaw state directory (DATA-SOURCES §7): `agents/<agentId>/sessions/
//! sessions.json` for the agents `main` and `research`, plus a `<sessionId>.jsonl` transcript per
//! session. The stores are a pure function of the seed, the start and the time elapsed: the
//! long-lived sessions are touched every few tens of seconds (so idle times move and tokens
//! grow), a sub-agent is spawned every 150 s and finishes a few minutes later, and two old
//! sessions stay idle past the 60-minute active window. [`write_state`] puts them on disk with
//! atomic replaces (temp file + rename).

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value, json};

use super::wire::{epoch_ms, iso, uuid};

/// One agent's session store and transcripts.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentStore {
    /// The agent id (directory name).
    pub agent: &'static str,
    /// The text of `sessions.json`.
    pub sessions_json: String,
    /// `(file name, content)` of each session's transcript.
    pub transcripts: Vec<(String, String)>,
}

/// A sub-agent is spawned this often, simulated ms.
const SPAWN_EVERY_MS: i64 = 150_000;
/// Sub-agents kept in the store.
const KEEP_SUBAGENTS: i64 = 3;

/// One session's shape: when it started and ended (ms relative to the start), how often it is
/// touched and how fast it spends tokens.
struct Spec {
    agent: &'static str,
    key: String,
    id: String,
    begin_ms: i64,
    end_ms: Option<i64>,
    touch_every_ms: i64,
    tokens_per_s: f64,
    model: &'static str,
    /// `sessionStartedAt` written (else only the transcript knows the start).
    started_field: bool,
    extra: Map<String, Value>,
}

impl Spec {
    /// Last activity at `now_ms`: the latest touch, or the end.
    fn updated_ms(&self, now_ms: i64) -> i64 {
        let until = self.end_ms.map_or(now_ms, |e| e.min(now_ms));
        let lived = (until - self.begin_ms).max(0);
        match self.end_ms {
            Some(e) if now_ms >= e => e,
            _ => self.begin_ms + lived - lived % self.touch_every_ms.max(1),
        }
    }

    fn entry(&self, start_ms: i64, now_ms: i64) -> Value {
        let updated = self.updated_ms(now_ms);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let tokens = ((updated - self.begin_ms).max(0) as f64 / 1000.0 * self.tokens_per_s) as u64;
        let (input, output) = (tokens * 4 / 5 + 1_200, tokens / 5 + 150);
        let running = self.end_ms.is_none_or(|e| now_ms < e);
        let mut v = json!({
            "sessionId": self.id,
            "updatedAt": start_ms + updated,
            "inputTokens": input,
            "outputTokens": output,
            "totalTokens": input + output,
            "contextTokens": 32_768,
            "model": self.model,
            "modelProvider": "vllm",
            "abortedLastRun": false,
            "status": if running { "running" } else { "done" },
        });
        if let Some(obj) = v.as_object_mut() {
            if self.started_field {
                obj.insert("sessionStartedAt".into(), (start_ms + self.begin_ms).into());
                obj.insert("lastInteractionAt".into(), (start_ms + updated).into());
            }
            obj.extend(self.extra.clone());
        }
        v
    }

    fn transcript(&self, start_ms: i64) -> String {
        let at = |ms: i64| {
            iso(SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
        };
        let t0 = start_ms + self.begin_ms;
        format!(
            "{}\n{}\n",
            json!({"type": "session", "version": 3, "id": self.id, "timestamp": at(t0), "cwd": "/srv/agents"}),
            json!({"type": "message", "timestamp": at(t0 + 1_500), "message": {"role": "user", "content": format!("{} task", self.key)}}),
        )
    }
}

fn extra(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn specs(seed: u64, now_ms: i64) -> Vec<Spec> {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x4F50_454E_434C_0003);
    const MIN: i64 = 60_000;
    let mut out = vec![
        Spec {
            agent: "main",
            key: "agent:main:main".into(),
            id: uuid(&mut rng),
            begin_ms: -rng.i64(60..180) * MIN,
            end_ms: None,
            touch_every_ms: rng.i64(15_000..30_000),
            tokens_per_s: 6.0,
            model: "Qwen/Qwen2.5-32B-Instruct-AWQ",
            started_field: true,
            extra: extra(&[("channel", "webchat".into()), ("spawnDepth", 0.into())]),
        },
        Spec {
            agent: "main",
            key: "agent:main:cron:nightly".into(),
            id: uuid(&mut rng),
            begin_ms: -300 * MIN,
            end_ms: Some(-290 * MIN),
            touch_every_ms: 20_000,
            tokens_per_s: 2.0,
            model: "meta-llama/Llama-3.1-8B-Instruct",
            started_field: false,
            extra: extra(&[
                ("label", "nightly digest".into()),
                ("channel", "cron".into()),
            ]),
        },
        Spec {
            agent: "research",
            key: "agent:research:main".into(),
            id: uuid(&mut rng),
            begin_ms: -rng.i64(20..50) * MIN,
            end_ms: None,
            touch_every_ms: rng.i64(30_000..45_000),
            tokens_per_s: 9.0,
            model: "Qwen/Qwen2.5-32B-Instruct-AWQ",
            started_field: false,
            extra: extra(&[("channel", "api".into()), ("spawnDepth", 0.into())]),
        },
        Spec {
            agent: "research",
            key: "agent:research:subagent:archive".into(),
            id: uuid(&mut rng),
            begin_ms: -180 * MIN,
            end_ms: Some(-150 * MIN),
            touch_every_ms: 20_000,
            tokens_per_s: 4.0,
            model: "Qwen/Qwen2.5-Coder-7B-Instruct",
            started_field: true,
            extra: extra(&[
                ("spawnedBy", "agent:research:main".into()),
                ("spawnDepth", 1.into()),
                ("label", "archive sweep".into()),
            ]),
        },
    ];
    // Sub-agents of main: k-th spawned at k·150 s − 60 s, living 1–4 min.
    let last = (now_ms + 60_000).div_euclid(SPAWN_EVERY_MS);
    for k in (last - KEEP_SUBAGENTS + 1).max(0)..=last {
        let mut r = fastrand::Rng::with_seed(seed ^ 0x5355_4241_0000_0000 ^ k.unsigned_abs());
        let begin = k * SPAWN_EVERY_MS - 60_000;
        out.push(Spec {
            agent: "main",
            key: format!("agent:main:subagent:{:04x}", r.u16(..)),
            id: uuid(&mut r),
            begin_ms: begin,
            end_ms: Some(begin + r.i64(60_000..240_000)),
            touch_every_ms: r.i64(4_000..9_000),
            tokens_per_s: 25.0,
            model: "Qwen/Qwen2.5-Coder-7B-Instruct",
            started_field: k % 2 == 0,
            extra: extra(&[
                ("spawnedBy", "agent:main:main".into()),
                ("spawnDepth", 1.into()),
                (
                    "label",
                    ["web research", "code fix", "summary"][r.usize(0..3)].into(),
                ),
            ]),
        });
    }
    out
}

/// The stores of `seed` at `elapsed` after a start at `start`.
#[must_use]
pub fn render_stores(seed: u64, start: SystemTime, elapsed: Duration) -> Vec<AgentStore> {
    let start_ms = i64::try_from(epoch_ms(start)).unwrap_or(0);
    let now_ms = i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX);
    let specs = specs(seed, now_ms);
    ["main", "research"]
        .into_iter()
        .map(|agent| {
            let mine: Vec<&Spec> = specs.iter().filter(|s| s.agent == agent).collect();
            let store: Map<String, Value> = mine
                .iter()
                .map(|s| (s.key.clone(), s.entry(start_ms, now_ms)))
                .collect();
            AgentStore {
                agent,
                sessions_json: serde_json::to_string_pretty(&Value::Object(store))
                    .unwrap_or_else(|_| "{}".into()),
                transcripts: mine
                    .iter()
                    .map(|s| (format!("{}.jsonl", s.id), s.transcript(start_ms)))
                    .collect(),
            }
        })
        .collect()
}

/// Replace `path` with `content` atomically: write a sibling temp file, then rename it over.
///
/// # Errors
/// Any I/O error (the temp file is removed when the rename fails).
pub fn write_atomic(path: &Path, content: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, content)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        // Best effort: a leftover temp file is harmless.
        let _removed = std::fs::remove_file(&tmp);
    })
}

/// Write `stores` under the state directory `dir`: every `sessions.json` (always) and each
/// transcript that is not there yet. `dir` itself is never created: once it has been removed
/// (shutdown), a late write does nothing.
///
/// # Errors
/// The first I/O error.
pub fn write_state(dir: &Path, stores: &[AgentStore]) -> std::io::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for s in stores {
        let mut sessions = dir.to_path_buf();
        for part in ["agents", s.agent, "sessions"] {
            sessions.push(part);
            // Level by level, so that a state dir removed meanwhile is never recreated.
            match std::fs::create_dir(&sessions) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            }
        }
        for (name, content) in &s.transcripts {
            let path = sessions.join(name);
            if !path.exists() {
                write_atomic(&path, content)?;
            }
        }
        write_atomic(&sessions.join("sessions.json"), &s.sessions_json)?;
    }
    Ok(())
}
