//! The simulator's agent layer read by Swarmglass's own clients: the Nexus monitor WebSocket
//! (snapshot first, live task events, filters, keepalives), execution logs (replay + live
//! without duplicates, close codes), Redis pub/sub and heartbeat keys against a REAL
//! `redis-server` (skipped with a reason when it is not installed, a failure under `CI=true`),
//! and the OpenClaw session store on disk. Every wait is bounded; the swarm runs faster than
//! real time so that tasks finish (and fail) within a second or two.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

mod common;

use common::redis_server::{RedisServer, free_port, redis_available};
use futures_util::{SinkExt, StreamExt};
use swarmglass::model::ids::{SourceId, SourceKind};
use swarmglass::model::input::{
    ConnectionState, Event, EventError, EventUpdate, ExecStatus, SourceUpdate,
};
use swarmglass::model::tasks::TaskModel;
use swarmglass::sim::agents::{AgentOptions, AgentSim};
use swarmglass::sim::{SimCluster, SimOptions};
use swarmglass::sources::events::exec_logs::{ExecLogConfig, spawn_execution};
use swarmglass::sources::events::openclaw::SessionsPoller;
use swarmglass::sources::events::redis::RedisConfig;
use swarmglass::sources::events::ws::{WsMonitorConfig, spawn};
use swarmglass::sources::framework::{Sink, Updates};
use tokio_tungstenite::tungstenite::Message;

const HOUR: Duration = Duration::from_secs(3600);

/// Everything received, drained from the channel into a list and a task model.
struct Collected {
    rx: Updates,
    all: Vec<EventUpdate>,
    model: TaskModel,
}

impl Collected {
    async fn until(&mut self, what: &str, within: Duration, pred: impl Fn(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(u) = self.rx.try_recv().ok().and_then(SourceUpdate::into_agents) {
                self.model.apply(u.clone(), SystemTime::now());
                self.all.push(u);
            }
            if pred(self) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}; received {} updates, the last: {:#?}",
                self.all.len(),
                self.all.iter().rev().take(5).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn events_from(&self, source: Option<&SourceId>) -> Vec<&Event> {
        self.all
            .iter()
            .filter_map(|u| match u {
                EventUpdate::Event {
                    event, source: s, ..
                } if source.is_none_or(|want| want == s) => Some(&**event),
                _ => None,
            })
            .collect()
    }

    fn events(&self) -> Vec<&Event> {
        self.events_from(None)
    }

    fn malformed(&self) -> usize {
        self.all
            .iter()
            .filter(|u| matches!(u, EventUpdate::Malformed { .. }))
            .count()
    }

    fn exec_log_ids(&self, execution: &str) -> Vec<String> {
        self.all
            .iter()
            .filter_map(|u| match u {
                EventUpdate::ExecLog { log, .. } if log.execution_id == execution => {
                    Some(log.id.clone())
                }
                _ => None,
            })
            .collect()
    }

    fn exec_errors(&self) -> Vec<EventError> {
        self.all
            .iter()
            .filter_map(|u| match u {
                EventUpdate::ExecConnection {
                    state: ConnectionState::Error { error, .. },
                    ..
                } => Some(error.clone()),
                _ => None,
            })
            .collect()
    }
}

fn sink() -> (Sink, Collected) {
    let (sink, rx) = Sink::channel(100_000, Arc::new(|| {}));
    let got = Collected {
        rx,
        all: Vec::new(),
        model: TaskModel::default(),
    };
    (sink, got)
}

/// A swarm running `tempo` times faster than real time, with quick keepalives.
fn fast(tempo: f64) -> AgentOptions {
    AgentOptions {
        tempo,
        ping_every: Duration::from_millis(200),
        exec_heartbeat_after: Duration::from_millis(300),
        sessions_every: Duration::from_millis(200),
        ..AgentOptions::default()
    }
}

fn monitor(base: &str) -> WsMonitorConfig {
    let mut cfg = WsMonitorConfig::new(base);
    cfg.ping_interval = Duration::from_millis(150);
    cfg.backoff_base = Duration::from_millis(50);
    cfg.backoff_max = Duration::from_millis(200);
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_streams_a_snapshot_then_tasks_into_the_task_model() {
    let sim = AgentSim::start(fast(8.0)).await.unwrap();
    let base = sim.endpoints().ws_base.clone();
    let (sink, mut got) = sink();
    let task = spawn(monitor(&base), sink);
    got.until("completed and failed tasks", Duration::from_secs(30), |c| {
        let s = c.model.task_stats(HOUR, SystemTime::now());
        s.completed > 0 && s.failed > 0
    })
    .await;
    // Long enough for several server pings and client pings (answered with pongs).
    tokio::time::sleep(Duration::from_millis(500)).await;
    got.until("more events", Duration::from_secs(5), |_| true)
        .await;

    let events = got.events();
    let first = events[0];
    assert!(first.meta.snapshot && first.is_synthetic(), "{first:?}");
    assert_eq!(first.meta.workers_online, Some(sim.workers() as u64));
    assert_eq!(first.queue.len(), 3);
    assert!(events[1..].iter().all(|e| !e.meta.snapshot));
    assert_eq!(got.malformed(), 0);
    let now = SystemTime::now();
    let snap = got.model.snapshot(now);
    assert_eq!(
        snap.events_total,
        events.len() as u64,
        "keepalives are never counted, and no event came twice"
    );
    let types: BTreeSet<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    for t in [
        "task_enqueued",
        "task_started",
        "task_completed",
        "task_failed",
        "worker_heartbeat",
        "phase_started",
        "stats_snapshot",
    ] {
        assert!(types.contains(t), "no {t} in {types:?}");
    }
    for e in &events[1..] {
        assert!(e.ts.is_some_and(|ts| ts <= now + Duration::from_secs(1)));
        if e.event_type.as_str() == "task_completed" {
            assert!(e.duration_ms.is_some() && e.worker_id.is_some() && e.retry_count.is_some());
        }
    }
    let stats = got.model.task_stats(HOUR, now);
    let rate = stats.success_rate.unwrap();
    assert!(rate > 0.0 && rate <= 1.0, "{rate}");
    assert!(stats.completion.count > 0);
    assert!(
        got.model.queue().is_some(),
        "queue depth from stats snapshots"
    );
    assert!(
        got.model.parent_counts().next().is_some(),
        "per-task counts"
    );
    assert!(
        !snap.workers.online.is_empty(),
        "workers beat over the stream"
    );
    task.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_filters_are_honoured() {
    let sim = AgentSim::start(fast(8.0)).await.unwrap();
    let base = sim.endpoints().ws_base.clone();
    let (sink, mut got) = sink();
    let all = spawn(monitor(&base), sink.clone());
    // A research task that has just begun has all three phases ahead of it.
    got.until("a research task starting", Duration::from_secs(15), |c| {
        c.events().iter().any(|e| {
            e.event_type.as_str() == "phase_started" && e.phase.as_deref() == Some("search")
        })
    })
    .await;
    let parent = got
        .events()
        .iter()
        .rev()
        .find(|e| e.event_type.as_str() == "phase_started")
        .and_then(|e| e.parent_task_id.clone())
        .unwrap();

    let with = |f: &dyn Fn(&mut WsMonitorConfig), name: &str| {
        let mut cfg = monitor(&base);
        f(&mut cfg);
        cfg.id = SourceId::new("swarm", SourceKind::NexusWs, name);
        (cfg.id.clone(), spawn(cfg, sink.clone()))
    };
    let (stats_id, stats) = with(&|c| c.stats_only = true, "stats");
    let (types_id, typed) = with(
        &|c| {
            c.types = vec!["task_started".into(), "task_completed".into()];
            c.project_id = Some("proj-alpha".into());
        },
        "types",
    );
    let p = parent.clone();
    let (parent_id, parented) = with(&move |c| c.task_id = Some(p.clone()), "parent");
    got.until(
        "events through every filter",
        Duration::from_secs(20),
        |c| {
            c.events_from(Some(&stats_id)).len() >= 5
                && c.events_from(Some(&types_id)).len() >= 4
                && c.events_from(Some(&parent_id)).len() >= 3
        },
    )
    .await;
    let non_snapshot = |id: &SourceId| -> Vec<Event> {
        got.events_from(Some(id))
            .into_iter()
            .filter(|e| !e.meta.snapshot)
            .cloned()
            .collect()
    };
    for e in got.events_from(Some(&stats_id)) {
        assert_eq!(e.event_type.as_str(), "stats_snapshot", "stats_only: {e:?}");
    }
    for e in non_snapshot(&types_id) {
        assert!(matches!(
            e.event_type.as_str(),
            "task_started" | "task_completed"
        ));
        assert_eq!(e.project_id.as_deref(), Some("proj-alpha"));
    }
    for e in non_snapshot(&parent_id) {
        assert_eq!(e.parent_task_id.as_deref(), Some(parent.as_str()), "{e:?}");
    }
    for t in [all, stats, typed, parented] {
        t.shutdown().await;
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalives_pongs_aliases_and_unknown_paths() {
    let sim = AgentSim::start(fast(4.0)).await.unwrap();
    let base = sim.endpoints().ws_base.clone();
    let url = format!("{base}/ws/monitoring?event_types=worker_heartbeat");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let next = async |ws: &mut tokio_tungstenite::WebSocketStream<_>| -> String {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s")
            .unwrap()
            .unwrap();
        msg.into_text().unwrap().to_string()
    };
    let first: serde_json::Value = serde_json::from_str(&next(&mut ws).await).unwrap();
    assert_eq!(first["event_id"], "snapshot");
    assert_eq!(first["meta"]["snapshot"], true);
    ws.send(Message::text("ping")).await.unwrap();
    let (mut pong, mut ping, mut beats) = (false, false, 0);
    while !(pong && ping && beats > 0) {
        let text = next(&mut ws).await;
        match text.as_str() {
            r#"{"type":"pong"}"# => pong = true,
            r#"{"type":"ping"}"# => ping = true,
            other => {
                let v: serde_json::Value = serde_json::from_str(other).unwrap();
                assert_eq!(v["event_type"], "worker_heartbeat", "{other}");
                beats += 1;
            }
        }
    }
    ws.close(None).await.unwrap();
    match tokio_tungstenite::connect_async(format!("{base}/nowhere")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 404);
        }
        other => panic!("expected HTTP 404, got {other:?}"),
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execution_logs_replay_then_stream_without_duplicates() {
    let sim = AgentSim::start(fast(20.0)).await.unwrap();
    let base = sim.endpoints().ws_base.clone();
    let scripts: BTreeMap<String, usize> = sim
        .executions()
        .iter()
        .map(|e| (e.id.clone(), e.lines.len()))
        .collect();
    assert!((2..=3).contains(&scripts.len()));
    let (sink, mut got) = sink();
    let mut cfg = ExecLogConfig::new(base.clone());
    cfg.backoff_base = Duration::from_millis(50);
    let streams: Vec<_> = scripts
        .keys()
        .map(|id| spawn_execution(cfg.clone(), id.clone(), sink.clone()))
        .collect();
    let bad = spawn_execution(cfg.clone(), "not-a-uuid", sink.clone());
    let unknown = spawn_execution(
        cfg.clone(),
        "00000000-0000-4000-8000-000000000000",
        sink.clone(),
    );
    got.until("every execution finished", Duration::from_secs(30), |c| {
        let views = c.model.executions.views(SystemTime::now());
        scripts.keys().all(|id| {
            views
                .iter()
                .any(|v| &v.execution_id == id && v.status.is_final())
        }) && c.exec_errors().len() == 2
    })
    .await;
    let views = got.model.executions.views(SystemTime::now());
    let mut finals = Vec::new();
    for (id, lines) in &scripts {
        let ids = got.exec_log_ids(id);
        let distinct: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "no line twice for {id}");
        assert_eq!(ids.len(), *lines, "every line of {id}");
        let v = views.iter().find(|v| &v.execution_id == id).unwrap();
        assert_eq!(v.lines as usize, *lines);
        // The simulator sends the last replayed line again, as upstream's race does (when
        // there was a replay): the stream drops it and counts it.
        assert!(v.duplicates_dropped <= 1, "{v:?}");
        finals.push(v.status);
    }
    assert_eq!(
        finals.iter().filter(|s| **s == ExecStatus::Failed).count(),
        1,
        "{finals:?}"
    );
    assert!(finals.contains(&ExecStatus::Completed));
    let errors = got.exec_errors();
    assert!(
        errors
            .iter()
            .any(|e| matches!(e, EventError::UnknownExecution { .. })
                && e.to_string().contains("1008")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| matches!(e, EventError::ExecutionIdNotUuid { .. })
                && e.to_string().contains("1003")),
        "{errors:?}"
    );
    assert!(bad.is_finished() || unknown.is_finished() || errors.len() == 2);

    // A raw client after the end: the whole replay, the last line again (upstream's overlap),
    // then heartbeats in the silence, and `pong` for `ping`.
    let (id, lines) = scripts.iter().next().unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{base}/ws/executions/{id}/logs"))
        .await
        .unwrap();
    let mut frames = Vec::new();
    let mut sent_ping = false;
    let mut pong = false;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s")
            .unwrap()
            .unwrap();
        let text = msg.into_text().unwrap().to_string();
        if text == "pong" {
            pong = true;
        } else if text.contains(r#""type":"heartbeat""#) {
            if !sent_ping {
                ws.send(Message::text("ping")).await.unwrap();
                sent_ping = true;
            }
        } else {
            frames.push(text);
        }
        if pong {
            break;
        }
    }
    assert_eq!(frames.len(), lines + 1, "replay plus the overlapping line");
    assert_eq!(frames[frames.len() - 1], frames[frames.len() - 2]);
    for s in streams {
        s.shutdown().await;
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_carries_the_events_and_the_worker_heartbeat_keys() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::start(free_port()).await;
    let sim = AgentSim::start(AgentOptions {
        redis_url: Some(server.url()),
        ..fast(8.0)
    })
    .await
    .unwrap();
    let (sink, mut got) = sink();
    let client = |channel: &str, name: &str| {
        let mut cfg = RedisConfig::new(server.url());
        cfg.id = SourceId::new("swarm", SourceKind::NexusRedis, name);
        cfg.channels = vec![channel.to_owned()];
        cfg.heartbeat_interval = Duration::from_millis(200);
        cfg.backoff_base = Duration::from_millis(50);
        (
            cfg.id.clone(),
            swarmglass::sources::events::redis::spawn(cfg, sink.clone()),
        )
    };
    let (all_id, all) = client("nexus:events", "all");
    let (stats_id, stats) = client("nexus:events:stats", "stats");
    let (beta_id, beta) = client("nexus:events:project:proj-beta", "beta");
    let workers = sim.workers();
    got.until(
        "tasks and every worker's key",
        Duration::from_secs(30),
        |c| {
            let s = c.model.task_stats(HOUR, SystemTime::now());
            let keys = c.all.iter().rev().find_map(|u| match u {
                EventUpdate::Workers { result: Ok(b), .. } => Some(b.beats.len()),
                _ => None,
            });
            s.completed > 0
                && s.failed > 0
                && keys == Some(workers)
                && c.events_from(Some(&stats_id)).len() >= 3
                && c.events_from(Some(&beta_id)).len() >= 3
        },
    )
    .await;
    assert_eq!(got.malformed(), 0);
    assert!(got.events_from(Some(&all_id)).len() > 20);
    assert!(
        got.events_from(Some(&stats_id))
            .iter()
            .all(|e| e.event_type.as_str() == "stats_snapshot")
    );
    assert!(
        got.events_from(Some(&beta_id))
            .iter()
            .all(|e| e.project_id.as_deref() == Some("proj-beta"))
    );
    let now = SystemTime::now();
    assert!(got.model.workers.online_count(now) >= workers);
    let rate = got.model.task_stats(HOUR, now).success_rate.unwrap();
    assert!(rate > 0.0 && rate <= 1.0);
    let beats = got.all.iter().rev().find_map(|u| match u {
        EventUpdate::Workers { result: Ok(b), .. } if !b.beats.is_empty() => Some(b.beats.clone()),
        _ => None,
    });
    assert!(
        beats
            .unwrap()
            .iter()
            .all(|b| b.ttl_left_s.is_some_and(|t| t <= 30))
    );
    for t in [all, stats, beta] {
        t.shutdown().await;
    }
    sim.shutdown().await;
    let mut c = server.client().await.unwrap();
    let left: Vec<String> = redis::cmd("KEYS")
        .arg("nexus:worker:heartbeat:*")
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(
        left.is_empty(),
        "heartbeat keys deleted on shutdown: {left:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_runs_the_agent_layer_and_writes_its_config() {
    let sim = SimCluster::start(SimOptions {
        nodes: 1,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let ep = sim.endpoints().clone();
    let ws_url = ep.events_ws_url.clone().unwrap();
    let base = ep.exec_logs_base.clone().unwrap();
    assert_eq!(ws_url, format!("{base}/ws/monitor"));
    assert!(base.starts_with("ws://127.0.0.1:"));
    assert!((2..=3).contains(&ep.exec_ids.len()));
    let dir = ep.sessions_dir.clone().unwrap();
    assert!(dir.join("agents/main/sessions/sessions.json").is_file());

    let cfg: toml::Table = toml::from_str(&sim.config_toml()).unwrap();
    assert_eq!(cfg["nexus_ws"][0]["url"].as_str(), Some(base.as_str()));
    assert_eq!(cfg["exec_logs"][0]["url"].as_str(), Some(base.as_str()));
    let execs: Vec<&str> = cfg["exec_logs"][0]["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(execs, ep.exec_ids);
    assert_eq!(
        cfg["openclaw_sessions"][0]["dir"].as_str(),
        Some(dir.to_str().unwrap())
    );
    assert!(!cfg.contains_key("nexus_redis"));
    let loaded = swarmglass::config::from_toml_str(&sim.config_toml(), &|_| None);
    assert!(loaded.is_ok(), "the demo config loads: {:?}", loaded.err());
    let summary = sim.summary();
    assert!(
        summary.contains(&ws_url) && summary.contains(&ep.exec_ids[0]),
        "{summary}"
    );

    // The config's base URL is what the client takes: snapshot first.
    let (sink, mut got) = sink();
    let task = spawn(monitor(&base), sink);
    got.until("the snapshot", Duration::from_secs(10), |c| {
        !c.events().is_empty()
    })
    .await;
    assert!(got.events()[0].meta.snapshot);
    task.shutdown().await;

    // Sessions: at least one active, and the store is rewritten (atomically) as time passes.
    let mut poller = SessionsPoller::new(&dir);
    let report = poller.poll().unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let agents: BTreeSet<&str> = report
        .sessions
        .iter()
        .map(|s| s.agent_id.as_str())
        .collect();
    assert_eq!(agents, BTreeSet::from(["main", "research"]));
    let mut model = TaskModel::default();
    model.apply(
        EventUpdate::Sessions {
            source: SourceId::new(
                "swarm",
                SourceKind::OpenclawFiles,
                dir.display().to_string(),
            ),
            at: SystemTime::now(),
            result: Ok(report),
        },
        SystemTime::now(),
    );
    let summary = model.sessions_summary(SystemTime::now());
    assert!(
        summary.active >= 1 && summary.active < summary.total,
        "{summary:?}"
    );
    assert!(summary.oldest_active_age_ms.is_some());
    let store = dir.join("agents/main/sessions/sessions.json");
    let modified = || std::fs::metadata(&store).unwrap().modified().unwrap();
    let before = modified();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while modified() == before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "sessions.json never rewritten"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(poller.poll().unwrap().problems.is_empty());

    sim.shutdown().await;
    assert!(!dir.exists(), "the session dir is removed on shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_layer_can_be_off_or_point_at_redis() {
    let off = SimCluster::start(SimOptions {
        nodes: 1,
        agents: false,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let ep = off.endpoints();
    assert!(ep.events_ws_url.is_none() && ep.exec_logs_base.is_none() && ep.sessions_dir.is_none());
    assert!(ep.exec_ids.is_empty());
    assert!(!off.config_toml().contains("nexus_ws"));
    off.shutdown().await;

    // A Redis that is not there only costs the events: the rest runs.
    let on = SimCluster::start(SimOptions {
        nodes: 1,
        seed: 9,
        redis_url: Some("redis://127.0.0.1:1".into()),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let cfg: toml::Table = toml::from_str(&on.config_toml()).unwrap();
    assert_eq!(
        cfg["nexus_redis"][0]["url"].as_str(),
        Some("redis://127.0.0.1:1")
    );
    assert!(on.summary().contains("redis://127.0.0.1:1"));
    let loaded = swarmglass::config::from_toml_str(&on.config_toml(), &|_| None);
    assert!(loaded.is_ok(), "{:?}", loaded.err());
    let (sink, mut got) = sink();
    let task = spawn(
        monitor(on.endpoints().exec_logs_base.as_deref().unwrap()),
        sink,
    );
    got.until(
        "events despite Redis being down",
        Duration::from_secs(15),
        |c| c.events().len() >= 3,
    )
    .await;
    task.shutdown().await;

    // Same seed, same swarm.
    let again = AgentSim::start(AgentOptions {
        seed: 9,
        ..AgentOptions::default()
    })
    .await
    .unwrap();
    assert_eq!(again.endpoints().exec_ids, on.endpoints().exec_ids);
    assert_eq!(Some(again.workers()), on.agents().map(AgentSim::workers));
    again.shutdown().await;
    on.shutdown().await;
}
