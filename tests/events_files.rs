//! Session stores and the tool-proxy log: OpenClaw `sessions.json` stores from fixtures, the
//! gateway's `/tools/invoke` against a loopback axum server (bearer token checked), and a
//! `tail -F` of the proxy log through append, rotation and truncation — all driven by explicit
//! `poll()` calls and explicit `now`s, no sleeping.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use swarmglass::model::ids::{SourceId, SourceKind};
use swarmglass::model::input::{EventError, EventUpdate, ProxyErrorKind, ProxyLevel, ProxyRecord};
use swarmglass::model::input::{SessionsOrigin, SessionsReport};
use swarmglass::model::tasks::TaskModel;
use swarmglass::sources::events::openclaw::{GatewayConfig, SessionsPoller, invoke_sessions_list};
use swarmglass::sources::events::tool_proxy::{LogTail, TailOptions, TailStart};

/// 2026-02-11T23:47:02Z, the fixtures' "now".
fn fixture_now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_770_853_622)
}

fn at(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(s)
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events")
}

#[test]
fn session_stores_are_read_with_transcript_starts() {
    let mut poller = SessionsPoller::new(fixtures().join("openclaw"));
    let report = poller.poll().unwrap();
    let keys: Vec<(&str, &str)> = report
        .sessions
        .iter()
        .map(|s| (s.agent_id.as_str(), s.key.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("main", "agent:main:cron:nightly"),
            ("main", "agent:main:main"),
            ("research", "agent:research:subagent:7f3a")
        ]
    );
    assert_eq!(report.skipped, 1);
    assert!(
        report.problems[0].contains("agent:research:broken"),
        "{:?}",
        report.problems
    );
    let main = &report.sessions[1];
    // sessionStartedAt wins over the transcript (which says 20:00).
    assert_eq!(main.started_at, Some(at(1_770_849_900)));
    assert_eq!(
        (main.input_tokens, main.output_tokens),
        (Some(15_000), Some(3_204))
    );
    // No sessionStartedAt: the transcript's first line.
    assert_eq!(report.sessions[0].started_at, Some(at(1_770_843_600)));
    assert_eq!(report.sessions[2].started_at, Some(at(1_770_851_400)));
    assert_eq!(
        report.sessions[2].spawned_by.as_deref(),
        Some("agent:main:main")
    );
    // A second poll answers the same from the cache.
    assert_eq!(poller.poll().unwrap(), report);

    let mut model = TaskModel::default();
    let now = fixture_now();
    let src = SourceId::new("swarm", SourceKind::OpenclawFiles, "fixtures");
    model.apply(
        EventUpdate::Sessions {
            source: src,
            at: now,
            result: Ok(report),
        },
        now,
    );
    let s = model.sessions_summary(now);
    assert_eq!(
        (s.total, s.active),
        (3, 2),
        "the nightly cron session is idle for 2 h"
    );
    assert_eq!(s.oldest_active_age_ms, Some(3_722_000));
    assert_eq!((s.input_tokens, s.output_tokens), (19_800, 4_524));
    assert_eq!(
        s.sessions[0].info.key, "agent:main:main",
        "active first, most recent first"
    );
    assert_eq!(s.sessions[0].idle_ms, Some(122_000));
    assert_eq!(s.sessions[2].idle_ms, Some(7_200_000));
    assert!(!s.sessions[2].active);
}

/// The `sessions.json` files a report says it read, relative to the fixtures.
fn stores_read(report: &SessionsReport) -> Vec<String> {
    let SessionsOrigin::Files { stores, .. } = &report.origin else {
        panic!("not a files report: {:?}", report.origin)
    };
    stores
        .iter()
        .map(|s| {
            Path::new(s)
                .strip_prefix(fixtures().join("openclaw"))
                .unwrap()
                .display()
                .to_string()
        })
        .collect()
}

#[test]
fn the_state_directory_reads_every_agents_store_and_says_which() {
    let report = SessionsPoller::new(fixtures().join("openclaw"))
        .poll()
        .unwrap();
    assert_eq!(
        stores_read(&report),
        [
            "agents/main/sessions/sessions.json",
            "agents/research/sessions/sessions.json"
        ]
    );
    assert_eq!(report.sessions.len(), 3);
}

/// Where OpenClaw's docs send people: the folder that holds `sessions.json`. The agent comes
/// from the path (`agents/<id>/sessions`), transcripts from beside the store.
#[test]
fn an_agents_sessions_directory_reads_that_agents_store() {
    let dir = fixtures().join("openclaw/agents/research/sessions");
    let report = SessionsPoller::new(&dir).poll().unwrap();
    assert_eq!(
        stores_read(&report),
        ["agents/research/sessions/sessions.json"]
    );
    let keys: Vec<(&str, &str)> = report
        .sessions
        .iter()
        .map(|s| (s.agent_id.as_str(), s.key.as_str()))
        .collect();
    assert_eq!(keys, [("research", "agent:research:subagent:7f3a")]);
    assert_eq!(report.sessions[0].started_at, Some(at(1_770_851_400)));
    assert_eq!(report.skipped, 1, "{:?}", report.problems);
}

#[test]
fn a_sessions_json_file_is_read_as_given() {
    let file = fixtures().join("openclaw/agents/main/sessions/sessions.json");
    let report = SessionsPoller::new(&file).poll().unwrap();
    assert_eq!(stores_read(&report), ["agents/main/sessions/sessions.json"]);
    let keys: Vec<&str> = report.sessions.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["agent:main:cron:nightly", "agent:main:main"]);
    assert!(report.sessions.iter().all(|s| s.agent_id == "main"));
    // The transcript beside the file gives the cron session's start.
    assert_eq!(report.sessions[0].started_at, Some(at(1_770_843_600)));

    // The snapshot names the file the sessions came from.
    let mut model = TaskModel::default();
    let now = fixture_now();
    model.apply(
        EventUpdate::Sessions {
            source: SourceId::new(
                "swarm",
                SourceKind::OpenclawFiles,
                file.display().to_string(),
            ),
            at: now,
            result: Ok(report),
        },
        now,
    );
    assert_eq!(
        model.sessions_summary(now).read_from,
        [file.display().to_string()]
    );
}

/// A store copied elsewhere (not under `agents/<id>/sessions`) belongs to the default agent.
#[test]
fn a_store_outside_the_layout_belongs_to_the_default_agent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sessions.json");
    std::fs::write(
        &file,
        r#"{"s1": {"sessionId": "x", "updatedAt": 1770853622114}}"#,
    )
    .unwrap();
    for given in [dir.path(), file.as_path()] {
        let report = SessionsPoller::new(given).poll().unwrap();
        assert_eq!(report.sessions.len(), 1);
        assert_eq!(report.sessions[0].agent_id, "main");
    }
}

#[test]
fn a_directory_without_a_store_says_what_to_give() {
    let dir = tempfile::tempdir().unwrap();
    let e = SessionsPoller::new(dir.path()).poll().unwrap_err();
    assert_eq!(e.kind(), "io");
    let text = e.to_string();
    assert!(text.contains("neither agents/ nor sessions.json"), "{text}");
    assert!(text.contains("agents/<id>/sessions directory"), "{text}");
}

#[test]
fn a_missing_state_dir_says_what_to_set() {
    let e = SessionsPoller::new("/nonexistent/openclaw")
        .poll()
        .unwrap_err();
    assert_eq!(e.kind(), "io");
    // The hint names the key the config accepts (and the flag), never one it rejects.
    let text = e.to_string();
    assert!(
        text.contains("`dir` in [[openclaw_sessions]]") && text.contains("--openclaw-sessions"),
        "{text}"
    );
    assert!(!text.contains("state_dir"), "{text}");
    let accepted = swarmglass::config::from_toml_str(
        "[[openclaw_sessions]]\ndir = \"/srv/openclaw\"\n",
        &|_: &str| None,
    );
    assert!(accepted.is_ok(), "the key the hint names is accepted");
}

/// A state directory with one good store and `broken` beside it; `broken`'s store is made bad
/// in the ways the test asks.
fn two_agents() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for agent in ["good", "broken"] {
        std::fs::create_dir_all(dir.path().join(format!("agents/{agent}/sessions"))).unwrap();
    }
    std::fs::write(
        dir.path().join("agents/good/sessions/sessions.json"),
        r#"{"agent:good:main": {"sessionId": "s1", "updatedAt": 1770853622114}}"#,
    )
    .unwrap();
    let broken = dir.path().join("agents/broken/sessions/sessions.json");
    (dir, broken)
}

/// Apply one poll of `dir` to a full model at `now`; the errors it shows for that source.
fn errors_after_poll(
    model: &mut swarmglass::model::Model,
    poller: &mut SessionsPoller,
    now: SystemTime,
) -> Vec<swarmglass::model::errors::ErrorEntry> {
    let source = SourceId::new("swarm", SourceKind::OpenclawFiles, "state");
    model.apply(
        swarmglass::model::input::SourceUpdate::agents(EventUpdate::Sessions {
            source: source.clone(),
            at: now,
            result: poller.poll(),
        }),
        now,
    );
    model
        .errors
        .recent()
        .into_iter()
        .filter(|e| e.source == source.to_string())
        .cloned()
        .collect()
}

/// A store that is not JSON, over the size cap, or a link that loops or leads nowhere is an
/// error that names the file and what to do — while the good store is still counted.
#[test]
fn an_unreadable_store_is_an_error_beside_the_counted_ones() {
    let (dir, broken) = two_agents();
    let not_json = |p: &Path| std::fs::write(p, "<html>502 Bad Gateway</html>").unwrap();
    let too_big = |p: &Path| {
        let f = std::fs::File::create(p).unwrap();
        f.set_len(swarmglass::sources::events::openclaw::MAX_STORE_BYTES + 1)
            .unwrap();
    };
    let looping = |p: &Path| std::os::unix::fs::symlink(p, p).unwrap();
    let dangling = |p: &Path| std::os::unix::fs::symlink(p.with_extension("gone"), p).unwrap();
    type MakeBad<'a> = &'a dyn Fn(&Path);
    let cases: [(&str, MakeBad<'_>, &[&str]); 4] = [
        (
            "not JSON",
            &not_json,
            &[
                "not a JSON object of sessions",
                "<html>502",
                "OpenClaw's sessions.json",
            ],
        ),
        (
            "over the cap",
            &too_big,
            &["larger than the 32 MiB cap", "prune old sessions"],
        ),
        (
            "a link loop",
            &looping,
            &["symbolic links", "fix or remove"],
        ),
        (
            "a dangling link",
            &dangling,
            &["a link to nothing", "fix or remove the link"],
        ),
    ];
    for (what, make, says) in cases {
        let _ = std::fs::remove_file(&broken);
        make(&broken);
        let mut poller = SessionsPoller::new(dir.path());
        let report = poller.poll().unwrap();
        assert_eq!(
            report.sessions.len(),
            1,
            "{what}: the good store still counts"
        );
        assert_eq!(report.skipped, 1, "{what}");
        let mut model = swarmglass::model::Model::new(Default::default());
        let errors = errors_after_poll(&mut model, &mut poller, fixture_now());
        assert_eq!(errors.len(), 1, "{what}: {errors:?}");
        let m = &errors[0].last_message;
        assert!(
            m.contains(&broken.display().to_string()),
            "{what}: no file named: {m}"
        );
        assert!(m.contains("the other stores were counted"), "{what}: {m}");
        for s in says {
            assert!(m.contains(s), "{what}: `{s}` missing from: {m}");
        }
        assert_eq!(
            model.tasks.sessions_summary(fixture_now()).total,
            1,
            "{what}"
        );
        // The panel row of the source says it too.
        let snap = model.tasks.snapshot(fixture_now());
        let row = snap
            .streams
            .iter()
            .find(|r| r.source.kind == SourceKind::OpenclawFiles);
        assert!(row.and_then(|r| r.last_error.as_ref()).is_some(), "{what}");
    }
}

/// An agent directory that is a link looping on itself is said, not passed over.
#[test]
fn an_agent_directory_that_loops_is_said() {
    let (dir, _) = two_agents();
    let agent = dir.path().join("agents/loop");
    std::os::unix::fs::symlink(&agent, &agent).unwrap();
    let report = SessionsPoller::new(dir.path()).poll().unwrap();
    assert_eq!(report.sessions.len(), 1);
    assert_eq!(report.skipped, 1);
    assert!(
        report.problems[0].contains("agents/loop")
            && report.problems[0].contains("fix or remove the link"),
        "{:?}",
        report.problems
    );
}

/// "No such file" while the store is missing; once it appears the error reads as resolved
/// and the source's row carries no error.
#[test]
fn an_error_is_resolved_once_the_store_appears() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sessions.json");
    let mut poller = SessionsPoller::new(&file);
    let mut model = swarmglass::model::Model::new(Default::default());
    let errors = errors_after_poll(&mut model, &mut poller, at(100));
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].last_message.contains("No such file"),
        "{errors:?}"
    );
    assert!(errors[0].is_current());

    std::fs::write(
        &file,
        r#"{"s1": {"sessionId": "x", "updatedAt": 1770853622114}}"#,
    )
    .unwrap();
    let errors = errors_after_poll(&mut model, &mut poller, at(110));
    assert_eq!(errors.len(), 1, "kept as history");
    assert_eq!(errors[0].resolved_at, Some(at(110)));
    assert_eq!(model.errors.current_count(), 0);
    let snap = model.tasks.snapshot(at(110));
    assert_eq!(
        snap.streams[0].last_error, None,
        "the row no longer shows the old error"
    );
    assert_eq!(model.tasks.sessions_summary(at(110)).total, 1);

    // Gone again: current again, counted twice.
    std::fs::remove_file(&file).unwrap();
    let errors = errors_after_poll(&mut model, &mut poller, at(120));
    assert_eq!((errors[0].count, errors[0].resolved_at), (2, None));
}

/// A gateway on 127.0.0.1 answering `sessions_list` for token `s3cret`, 429 for `flood`.
async fn gateway() -> String {
    async fn invoke(
        headers: HeaderMap,
        body: String,
    ) -> (StatusCode, [(&'static str, &'static str); 1], String) {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let asked_right = json["tool"] == "sessions_list" && json["args"]["activeMinutes"] == 60;
        match auth {
            "Bearer s3cret" if asked_right => {
                let body =
                    std::fs::read_to_string(fixtures().join("gateway/sessions_list.json")).unwrap();
                (StatusCode::OK, [("retry-after", "0")], body)
            }
            "Bearer flood" => (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "42")],
                String::new(),
            ),
            _ => (
                StatusCode::UNAUTHORIZED,
                [("retry-after", "0")],
                r#"{"ok":false}"#.into(),
            ),
        }
    }
    let app = Router::new().route("/tools/invoke", post(invoke));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn gateway_sessions_with_bearer_token_and_clear_refusals() {
    let url = gateway().await;
    let client = reqwest::Client::new();
    let mut cfg = GatewayConfig::new(url.clone());
    cfg.token_env = "SWARMGLASS_TEST_GATEWAY_TOKEN_NEVER_SET".into();
    assert_eq!(cfg.token_from_env(), None);

    let report = invoke_sessions_list(&client, &cfg, Some("s3cret"))
        .await
        .unwrap();
    assert_eq!(report.sessions.len(), 2);
    assert_eq!(report.sessions[0].key, "agent:main:main");
    assert_eq!(report.sessions[0].total_tokens, Some(18_204));

    let status = |e: &EventError| match e {
        EventError::HttpStatus { status, .. } => *status,
        _ => 0,
    };
    let wrong = invoke_sessions_list(&client, &cfg, Some("nope"))
        .await
        .unwrap_err();
    assert_eq!(status(&wrong), 401);
    let m = wrong.to_string();
    assert!(
        m.contains("401")
            && m.contains("refused the token")
            && m.contains("SWARMGLASS_TEST_GATEWAY_TOKEN_NEVER_SET"),
        "{m}"
    );
    let none = invoke_sessions_list(&client, &cfg, None).await.unwrap_err();
    assert!(none.to_string().contains("no token sent"), "{none}");
    let flood = invoke_sessions_list(&client, &cfg, Some("flood"))
        .await
        .unwrap_err();
    assert_eq!(status(&flood), 429);
    assert!(flood.to_string().contains("Retry-After: 42"), "{flood}");
    let mut lost = cfg.clone();
    lost.url = format!("{url}/elsewhere");
    let missing = invoke_sessions_list(&client, &lost, Some("s3cret"))
        .await
        .unwrap_err();
    assert_eq!(status(&missing), 404);
    assert!(missing.to_string().contains("tool policy"), "{missing}");

    // Files and gateway together: one row per session, the token split kept from the files.
    let files = SessionsPoller::new(fixtures().join("openclaw"))
        .poll()
        .unwrap();
    let mut model = TaskModel::default();
    let now = fixture_now();
    model.apply(
        EventUpdate::Sessions {
            source: SourceId::new("swarm", SourceKind::OpenclawFiles, "f"),
            at: now,
            result: Ok(files),
        },
        now,
    );
    model.apply(
        EventUpdate::Sessions {
            source: cfg.id.clone(),
            at: now,
            result: Ok(report),
        },
        now,
    );
    let s = model.sessions_summary(now);
    assert_eq!(s.total, 3);
    let main = s
        .sessions
        .iter()
        .find(|v| v.info.key == "agent:main:main")
        .unwrap();
    assert_eq!(
        (main.info.input_tokens, main.info.status.as_deref()),
        (Some(15_000), Some("running"))
    );
}

fn opts() -> TailOptions {
    TailOptions {
        start: TailStart::Beginning,
        ..TailOptions::default()
    }
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn summary(records: &[ProxyRecord]) -> Vec<(ProxyLevel, Option<ProxyErrorKind>)> {
    records.iter().map(|r| (r.level, r.kind)).collect()
}

#[test]
fn proxy_log_tail_follows_appends_rotation_and_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("vllm-tool-proxy.log");
    let mut tail = LogTail::new(&log, opts());
    let e = tail.poll().unwrap_err();
    assert!(
        e.to_string()
            .contains("waiting for the tool proxy to create it"),
        "{e}"
    );

    std::fs::copy(fixtures().join("tool_proxy/vllm-tool-proxy.log"), &log).unwrap();
    let mut all = tail.poll().unwrap();
    assert_eq!(
        summary(&all),
        [
            (ProxyLevel::Info, None),
            (ProxyLevel::Error, Some(ProxyErrorKind::UpstreamError))
        ]
    );
    assert_eq!(
        all[0].continuation.len(),
        1,
        "the access-log line belongs to the INFO record"
    );
    assert_eq!(
        all[1].continuation.len(),
        4,
        "the traceback belongs to the ERROR record"
    );
    assert!(all[1].continuation[3].starts_with("ConnectionRefusedError"));
    // The WARNING is complete once a poll finds nothing new.
    let held = tail.poll().unwrap();
    assert_eq!(
        summary(&held),
        [(ProxyLevel::Warning, Some(ProxyErrorKind::ToolLoopAbort))]
    );
    all.extend(held);
    assert!(tail.poll().unwrap().is_empty());

    // Append, including half a line that is finished later.
    append(
        &log,
        "2026-02-11 23:30:00,000 ERROR: Error in post-processing: unterminated string\n  raw: {\"name\": \"sea",
    );
    assert!(tail.poll().unwrap().is_empty());
    append(&log, "rch\"\n");
    all.extend(tail.poll().unwrap());
    all.extend(tail.poll().unwrap());
    assert_eq!(
        all.last().map(|r| (r.kind, r.continuation.clone())),
        Some((
            Some(ProxyErrorKind::ToolParseError),
            vec![r#"  raw: {"name": "search""#.to_owned()]
        ))
    );

    // Rotation: a last line lands in the old file, which is renamed; a new file appears.
    append(
        &log,
        "2026-02-11 23:35:00,000 ERROR: Stream error: upstream closed the connection\n",
    );
    std::fs::rename(&log, dir.path().join("vllm-tool-proxy.log.1")).unwrap();
    append(
        &log,
        "2026-02-11 23:40:00,000 ERROR: SSE rewrap parse error: Expecting value\n",
    );
    all.extend(tail.poll().unwrap());
    all.extend(tail.poll().unwrap());
    assert_eq!(tail.stats().rotations, 1);
    let kinds: Vec<Option<ProxyErrorKind>> = all.iter().rev().take(2).map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            Some(ProxyErrorKind::SseParseError),
            Some(ProxyErrorKind::UpstreamError)
        ],
        "the old file's last line is not lost"
    );

    // Truncation: the file is emptied and a shorter record written.
    append(
        &log,
        &"2026-02-11 23:45:00,000 INFO: request done\n".repeat(20),
    );
    all.extend(tail.poll().unwrap());
    std::fs::write(
        &log,
        "2026-02-11 23:50:00,000 CRITICAL: Error cleaning response\n",
    )
    .unwrap();
    all.extend(tail.poll().unwrap());
    all.extend(tail.poll().unwrap());
    assert_eq!(tail.stats().truncations, 1);
    assert_eq!(
        all.last().map(|r| (r.level, r.kind)),
        Some((
            ProxyLevel::Critical,
            Some(ProxyErrorKind::CleanResponseError)
        ))
    );
    assert_eq!(all.len(), 27, "{:#?}", summary(&all));

    // Errors per rolling hour, at explicit times.
    let mut model = TaskModel::default();
    let src = SourceId::new("swarm", SourceKind::ToolProxyLog, log.display().to_string());
    let ten_to_midnight = at(1_770_854_340); // 2026-02-11T23:59:00Z
    model.apply(
        EventUpdate::ProxyLog {
            source: src,
            at: ten_to_midnight,
            result: Ok(all),
        },
        ten_to_midnight,
    );
    let s = model.proxy.summary(ten_to_midnight);
    assert_eq!((s.errors_last_hour, s.warnings_last_hour), (5, 1));
    assert_eq!(
        s.kinds_last_hour.get(&ProxyErrorKind::UpstreamError),
        Some(&2)
    );
    assert_eq!(
        s.kinds_last_hour.get(&ProxyErrorKind::ToolLoopAbort),
        Some(&1)
    );
    assert_eq!(s.recent_errors[0].level, ProxyLevel::Critical);
    // 16 minutes later the 23:10 error has left the hour.
    assert_eq!(model.proxy.errors_per_hour(at(1_770_855_300)), 4);
    assert_eq!(model.proxy.errors_per_hour(at(1_770_854_340 + 2 * 3600)), 0);
}

#[test]
fn a_log_truncated_and_at_once_rewritten_longer_loses_no_error() {
    // The defect: 40 errors read, the log truncated and rewritten with 100 errors before the
    // next poll (it only grew), and 60 of those 100 counted.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("vllm-tool-proxy.log");
    let errors = |minute: u32, n: usize| -> String {
        (0..n)
            .map(|i| {
                format!(
                    "2026-02-11 23:{minute:02}:{:02},{i:03} ERROR: Forward error: timeout\n",
                    i % 60
                )
            })
            .collect()
    };
    std::fs::write(&log, errors(10, 40)).unwrap();
    let mut tail = LogTail::new(&log, opts());
    let mut first = tail.poll().unwrap();
    first.extend(tail.poll().unwrap());
    assert_eq!(first.len(), 40);
    // The same file (same inode) emptied and written again, longer.
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    f.write_all(errors(20, 100).as_bytes()).unwrap();
    drop(f);
    let mut second = tail.poll().unwrap();
    second.extend(tail.poll().unwrap());
    assert_eq!(second.len(), 100, "every error of the new file");
    assert_eq!(tail.stats().truncations, 1);

    let mut model = TaskModel::default();
    let src = SourceId::new("swarm", SourceKind::ToolProxyLog, log.display().to_string());
    let now = at(1_770_854_340); // 2026-02-11T23:59:00Z
    model.apply(
        EventUpdate::ProxyLog {
            source: src,
            at: now,
            result: Ok(first.into_iter().chain(second).collect()),
        },
        now,
    );
    assert_eq!(model.proxy.summary(now).errors_last_hour, 140);
}

#[test]
fn a_tail_started_at_the_end_reads_only_what_is_appended() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("p.log");
    std::fs::copy(fixtures().join("tool_proxy/vllm-tool-proxy.log"), &log).unwrap();
    let mut tail = LogTail::new(
        &log,
        TailOptions {
            start: TailStart::End,
            ..TailOptions::default()
        },
    );
    assert!(tail.poll().unwrap().is_empty());
    append(
        &log,
        "2026-02-11 23:55:00,000 ERROR: Forward error: timeout\n",
    );
    assert!(tail.poll().unwrap().is_empty());
    assert_eq!(tail.poll().unwrap().len(), 1);
    let mut last_kib = LogTail::new(
        &log,
        TailOptions {
            start: TailStart::LastBytes(100),
            ..TailOptions::default()
        },
    );
    let mut got = last_kib.poll().unwrap();
    got.extend(last_kib.poll().unwrap());
    assert_eq!(
        summary(&got),
        [(ProxyLevel::Error, Some(ProxyErrorKind::UpstreamError))],
        "the partial first line is skipped"
    );
}

#[test]
fn token_totals_beyond_u64_saturate_instead_of_crashing() {
    // Found by tests/fuzz_smoke.rs: two sessions reporting 2^64−1 tokens overflowed the sum.
    let store = br#"{"a": {"sessionId": "1", "updatedAt": 1770853500000, "inputTokens": 18446744073709551615, "outputTokens": 1},
                    "b": {"sessionId": "2", "updatedAt": 1770853500000, "inputTokens": 5, "outputTokens": 18446744073709551615}}"#;
    let parsed =
        swarmglass::sources::events::openclaw::parse_sessions_store(store, "main").unwrap();
    let report = SessionsReport {
        origin: SessionsOrigin::Files {
            path: "/x".into(),
            stores: vec!["/x/sessions.json".into()],
        },
        sessions: parsed.sessions,
        skipped: 0,
        problems: Vec::new(),
    };
    let now = at(1_770_853_600);
    let s = swarmglass::model::tasks::sessions::summarize(
        [(&report, now)],
        now,
        Duration::from_secs(3600),
    );
    assert_eq!(
        (s.total, s.input_tokens, s.output_tokens),
        (2, u64::MAX, u64::MAX)
    );
}
