//! The Redis event source against a REAL `redis-server` started by each test on a free
//! 127.0.0.1 port (no persistence) and killed at the end. Without the binary the tests are
//! skipped with a reason, except under `CI=true`, where that is a failure
//! (`apt-get install -y redis-server`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

mod common;

use common::redis_server::{RedisServer, free_port, redis_available};
use common::tools::wait_until;
use swarmglass::model::input::{ConnectionState, EventUpdate, SourceUpdate};
use swarmglass::model::tasks::TaskModel;
use swarmglass::sources::events::redis::{RedisConfig, spawn};
use swarmglass::sources::framework::{Sink, Updates};

struct Collected {
    rx: Updates,
    all: Vec<EventUpdate>,
    model: TaskModel,
}

impl Collected {
    /// Take in what has arrived until `pred` holds; fails after 20 s.
    async fn until(&mut self, what: &str, pred: impl Fn(&Self) -> bool) {
        let held = wait_until(Duration::from_secs(20), || {
            while let Some(u) = self.rx.try_recv().ok().and_then(SourceUpdate::into_agents) {
                self.model.apply(u.clone(), SystemTime::now());
                self.all.push(u);
            }
            pred(self)
        })
        .await;
        assert!(
            held,
            "timed out waiting for {what}; last updates: {:#?}",
            &self.all[self.all.len().saturating_sub(15)..]
        );
    }

    fn labels(&self) -> Vec<&'static str> {
        self.all
            .iter()
            .filter_map(|u| match u {
                EventUpdate::Connection { state, .. } => Some(state.label()),
                _ => None,
            })
            .collect()
    }

    fn connected_count(&self) -> usize {
        self.labels().iter().filter(|l| **l == "connected").count()
    }
}

fn collect() -> (Sink, Collected) {
    let (sink, rx) = Sink::channel(100_000, Arc::new(|| {}));
    (
        sink,
        Collected {
            rx,
            all: Vec::new(),
            model: TaskModel::default(),
        },
    )
}

fn fast(url: String) -> RedisConfig {
    let mut c = RedisConfig::new(url);
    c.backoff_base = Duration::from_millis(100);
    c.backoff_max = Duration::from_millis(500);
    c.heartbeat_interval = Duration::from_millis(200);
    c
}

fn event(id: &str, ty: &str, extra: &str) -> String {
    let ts = humantime::format_rfc3339_micros(SystemTime::now());
    format!(
        r#"{{"event_id":"{id}","ts":"{ts}","event_type":"{ty}","project_id":"p1","worker_id":1{extra}}}"#
    )
}

async fn publish(c: &mut redis::aio::MultiplexedConnection, channel: &str, payload: &str) -> i64 {
    redis::cmd("PUBLISH")
        .arg(channel)
        .arg(payload)
        .query_async(c)
        .await
        .unwrap()
}

const TYPES: [&str; 13] = [
    "worker_started",
    "worker_heartbeat",
    "worker_stopped",
    "task_enqueued",
    "task_started",
    "task_retry",
    "task_completed",
    "task_failed",
    "task_stalled",
    "phase_started",
    "phase_completed",
    "queue_depth_update",
    "stats_snapshot",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_events_become_matching_task_statistics() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::start(free_port()).await;
    let mut cfg = fast(server.url());
    cfg.channels = vec![
        "nexus:events".into(),
        "nexus:events:stats".into(),
        RedisConfig::project_channel("p1"),
    ];
    cfg.max_message_bytes = 64 << 10;
    let (sink, mut got) = collect();
    let task = spawn(cfg, sink);
    got.until("subscribed", |c| c.connected_count() == 1).await;

    const N: u64 = 10;
    let mut pubc = server.client().await.unwrap();
    for ty in TYPES {
        for i in 0..N {
            let id = format!("{ty}-{i}");
            let extra = match ty {
                "task_completed" => format!(r#","duration_ms":{}"#, (i + 1) * 100),
                "stats_snapshot" | "queue_depth_update" => {
                    r#","queue":{"high_priority":1,"normal_priority":2,"low_priority":3},"meta":{"workers_online":3}"#.to_owned()
                }
                "task_failed" if i == 0 => r#","error":"[truncated]","meta":{"truncated":true,"original_size":48213}"#.to_owned(),
                _ => String::new(),
            };
            let payload = event(&id, ty, &extra);
            assert_eq!(publish(&mut pubc, "nexus:events", &payload).await, 1);
            // Upstream publishes stats twice (all + stats channel) and project events twice
            // (all + project channel): each must be counted once.
            let copy = if ty == "stats_snapshot" {
                "nexus:events:stats".to_owned()
            } else {
                RedisConfig::project_channel("p1")
            };
            publish(&mut pubc, &copy, &payload).await;
        }
    }
    publish(&mut pubc, "nexus:events", "this is not JSON").await;
    publish(
        &mut pubc,
        "nexus:events",
        &format!(
            r#"{{"event_type":"task_started","message":"{}"}}"#,
            "x".repeat(100 << 10)
        ),
    )
    .await;
    publish(
        &mut pubc,
        "nexus:events",
        &event("after-bad", "task_started", ""),
    )
    .await;

    let total = N * TYPES.len() as u64 + 1;
    // Every event came twice; the stream drops the copies and says how many it dropped.
    let copies = N * TYPES.len() as u64;
    got.until("every event, every copy counted", |c| {
        c.model.events_total() == total
            && c.model.malformed_total() == 2
            && c.model.snapshot(SystemTime::now()).duplicates_dropped == copies
    })
    .await;
    let now = SystemTime::now();
    let h = got.model.task_stats(Duration::from_secs(3600), now);
    assert_eq!(
        (
            h.enqueued,
            h.started,
            h.completed,
            h.failed,
            h.timed_out,
            h.retried
        ),
        (N, N + 1, N, N, N, N)
    );
    assert_eq!(h.success_rate, Some(0.5));
    assert_eq!(h.completion.count, N);
    assert_eq!(h.completion.avg_ms, Some(550.0));
    let p95 = h.completion.p95_ms.unwrap();
    assert!((p95 - 1000.0).abs() <= 50.0, "p95 {p95}");
    for ty in TYPES {
        let want = if ty == "task_started" { N + 1 } else { N };
        assert_eq!(got.model.event_totals().get(ty), Some(&want), "{ty}");
    }
    let snap = got.model.snapshot(now);
    assert_eq!(snap.truncated_total, 1, "truncated events are accepted");
    assert_eq!(snap.malformed_total, 2);
    assert_eq!(got.model.queue().map(|q| q.total), Some(6));
    assert_eq!(snap.workers.reported_online, Some(3));
    let errors: Vec<String> = got
        .all
        .iter()
        .filter_map(|u| match u {
            EventUpdate::Malformed { error, .. } => Some(format!("{}: {error}", error.kind())),
            _ => None,
        })
        .collect();
    assert!(errors[0].starts_with("malformed"), "{errors:?}");
    // Redis hands over a message whole: the error says it was read, then refused, and names
    // the Redis key (not the WebSocket's `max_frame_bytes`).
    assert!(
        errors[1].starts_with("message_too_large")
            && errors[1].contains("65536-byte cap")
            && errors[1].contains("already read it into memory")
            && errors[1].contains("`max_message_bytes` in [[nexus_redis]]")
            && !errors[1].contains("max_frame_bytes"),
        "{errors:?}"
    );
    assert_eq!(
        got.connected_count(),
        1,
        "bad messages do not drop the subscription"
    );
    task.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_keys_give_online_and_stale_workers() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::start(free_port()).await;
    let mut c = server.client().await.unwrap();
    let set = |k: &str, ttl: Option<u64>| {
        let mut cmd = redis::cmd("SET");
        cmd.arg(format!("nexus:worker:heartbeat:{k}")).arg("1");
        if let Some(t) = ttl {
            cmd.arg("EX").arg(t);
        }
        cmd
    };
    for (k, ttl) in [
        ("1", Some(30)),
        ("2", Some(30)),
        ("3", Some(3)),
        ("4", None),
    ] {
        let _: () = set(k, ttl).query_async(&mut c).await.unwrap();
    }
    let _: () = redis::cmd("SET")
        .arg("unrelated:key")
        .arg("1")
        .query_async(&mut c)
        .await
        .unwrap();
    let (sink, mut got) = collect();
    let task = spawn(fast(server.url()), sink);
    let beats = |c: &Collected| -> Vec<Vec<String>> {
        c.all
            .iter()
            .filter_map(|u| match u {
                EventUpdate::Workers { result: Ok(b), .. } => {
                    Some(b.beats.iter().map(|b| b.worker_id.clone()).collect())
                }
                _ => None,
            })
            .collect()
    };
    got.until("all four keys", |c| beats(c).iter().any(|b| b.len() == 4))
        .await;
    let first = beats(&got).into_iter().find(|b| b.len() == 4).unwrap();
    assert_eq!(first, ["1", "2", "3", "4"]);
    let now = SystemTime::now();
    let v = got.model.workers.view(now);
    assert_eq!(v.online.len(), 4, "{v:#?}");
    // Key 3 was written 27 s ago (TTL 3 of 30) and expires; a second later it is 30+ s old.
    got.until("key 3 gone", |c| {
        beats(c).last().is_some_and(|b| b.len() == 3)
    })
    .await;
    let ids = |ws: &[swarmglass::model::tasks::WorkerView]| {
        ws.iter().map(|w| w.worker_id.clone()).collect::<Vec<_>>()
    };
    got.until("worker 3 silent for 30 s", |c| {
        ids(&c.model.workers.view(SystemTime::now()).stale) == ["3"]
    })
    .await;
    let v = got.model.workers.view(SystemTime::now());
    assert_eq!(ids(&v.online), ["1", "2", "4"]);
    assert_eq!(ids(&v.stale), ["3"]);
    // Stale means silent for more than 30 s; whole milliseconds can read exactly 30000.
    assert!(v.stale[0].silent_for_ms >= 30_000, "{:?}", v.stale[0]);
    task.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_redis_restarts() {
    if !redis_available() {
        return;
    }
    let port = free_port();
    let mut server = RedisServer::start(port).await;
    let (sink, mut got) = collect();
    let task = spawn(fast(server.url()), sink);
    got.until("subscribed", |c| c.connected_count() == 1).await;
    let mut pubc = server.client().await.unwrap();
    publish(
        &mut pubc,
        "nexus:events",
        &event("before", "task_completed", ""),
    )
    .await;
    got.until("the first event", |c| c.model.events_total() == 1)
        .await;

    server.kill();
    got.until("the drop noticed", |c| c.labels().contains(&"disconnected"))
        .await;
    got.until("a failed reconnect", |c| {
        c.labels().iter().filter(|l| **l == "error").count() >= 1
    })
    .await;
    // The heartbeat poller reports the outage too.
    got.until("a failed heartbeat poll", |c| {
        c.all
            .iter()
            .any(|u| matches!(u, EventUpdate::Workers { result: Err(_), .. }))
    })
    .await;

    let server = RedisServer::start(port).await;
    got.until("subscribed again", |c| c.connected_count() == 2)
        .await;
    let mut pubc = server.client().await.unwrap();
    publish(
        &mut pubc,
        "nexus:events",
        &event("after", "task_completed", ""),
    )
    .await;
    got.until("the event after the restart", |c| {
        c.model.events_total() == 2
    })
    .await;
    let states: Vec<&ConnectionState> = got
        .all
        .iter()
        .filter_map(|u| match u {
            EventUpdate::Connection { state, .. } => Some(state),
            _ => None,
        })
        .collect();
    let err = states.iter().find_map(|s| match s {
        ConnectionState::Error {
            error,
            next_retry_at,
        } => Some((error.to_string(), *next_retry_at)),
        _ => None,
    });
    let (msg, retry) = err.unwrap();
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
    assert!(retry.is_some());
    assert_eq!(
        got.model
            .task_stats(Duration::from_secs(3600), SystemTime::now())
            .completed,
        2
    );
    task.shutdown().await;
}

/// The heartbeats polled from the collected updates: the latest successful scan.
fn latest_scan(c: &Collected) -> Option<&swarmglass::model::input::HeartbeatScan> {
    c.all.iter().rev().find_map(|u| match u {
        EventUpdate::Workers { result: Ok(s), .. } => Some(s),
        _ => None,
    })
}

async fn set_key(c: &mut redis::aio::MultiplexedConnection, key: &[u8]) {
    let _: () = redis::cmd("SET")
        .arg(key)
        .arg("1")
        .arg("EX")
        .arg(30)
        .query_async(c)
        .await
        .unwrap();
}

/// One key whose name is not UTF-8 used to fail every SCAN (0 workers online). It is skipped,
/// counted and said once in the error list; the other workers count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_name_that_is_not_utf8_is_skipped_and_said() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::start(free_port()).await;
    let mut c = server.client().await.unwrap();
    for id in ["1", "2", "3"] {
        set_key(&mut c, format!("nexus:worker:heartbeat:{id}").as_bytes()).await;
    }
    set_key(&mut c, b"nexus:worker:heartbeat:\xff\xfebad").await;
    let (sink, mut got) = collect();
    let task = spawn(fast(server.url()), sink);
    got.until("two scans", |c| {
        c.all
            .iter()
            .filter(|u| matches!(u, EventUpdate::Workers { result: Ok(_), .. }))
            .count()
            >= 2
    })
    .await;
    assert!(
        !got.all
            .iter()
            .any(|u| matches!(u, EventUpdate::Workers { result: Err(_), .. })),
        "a bad key name failed the scan"
    );
    let scan = latest_scan(&got).unwrap().clone();
    let ids: Vec<&str> = scan.beats.iter().map(|b| b.worker_id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3"]);
    assert_eq!(scan.skipped_keys, 1);
    assert_eq!(
        scan.skipped_example.as_deref(),
        Some("nexus:worker:heartbeat:\\xff\\xfebad")
    );
    assert_eq!(got.model.workers.online_count(SystemTime::now()), 3);

    // In the whole model: one error entry, however many polls saw the key.
    let mut model = swarmglass::model::Model::new(Default::default());
    for u in got
        .all
        .iter()
        .filter(|u| matches!(u, EventUpdate::Workers { .. }))
    {
        model.apply(SourceUpdate::agents(u.clone()), SystemTime::now());
    }
    let errors = model.errors.recent();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, "skipped");
    assert!(
        errors[0].last_message.contains("not UTF-8")
            && errors[0].last_message.contains("\\xff\\xfebad")
            && errors[0].last_message.contains("Delete or rename"),
        "{}",
        errors[0].last_message
    );
    task.shutdown().await;
}

/// 200k heartbeat keys: the count stops at the cap and says so ("≥ N online") instead of
/// passing off the cap as the number of workers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_count_stopped_at_the_key_cap_says_so() {
    use swarmglass::sources::events::redis::MAX_HEARTBEAT_KEYS;
    if !redis_available() {
        return;
    }
    let server = RedisServer::start(free_port()).await;
    let mut c = server.client().await.unwrap();
    // In slices, so no single command runs past the client's response timeout.
    let mut made = 0_i64;
    for slice in 0..20 {
        let n: i64 = redis::cmd("EVAL")
            .arg(
                "for i = 1, tonumber(ARGV[2]) do redis.call('SET', KEYS[1] .. ARGV[1] .. ':' .. i, '1', 'EX', 60) end \
                 return tonumber(ARGV[2])",
            )
            .arg(1)
            .arg("nexus:worker:heartbeat:")
            .arg(slice)
            .arg(10_000)
            .query_async(&mut c)
            .await
            .unwrap();
        made += n;
    }
    assert_eq!(made, 200_000);
    let (sink, mut got) = collect();
    let task = spawn(fast(server.url()), sink);
    got.until("a scan", |c| latest_scan(c).is_some()).await;
    task.shutdown().await;
    let scan = latest_scan(&got).unwrap().clone();
    assert_eq!(scan.stopped_at, Some(MAX_HEARTBEAT_KEYS));
    assert_eq!(scan.beats.len(), MAX_HEARTBEAT_KEYS);

    let now = SystemTime::now();
    let v = got.model.workers.view(now);
    assert_eq!(v.online.len(), MAX_HEARTBEAT_KEYS);
    assert_eq!(v.stopped_counting_at, Some(MAX_HEARTBEAT_KEYS));
    // What the window's badge and the snapshot's text show.
    let mut model = swarmglass::model::Model::new(Default::default());
    for u in got
        .all
        .iter()
        .filter(|u| matches!(u, EventUpdate::Workers { .. }))
    {
        model.apply(SourceUpdate::agents(u.clone()), now);
    }
    let engine = swarmglass::alerts::Engine::new(swarmglass::config::alerts::RuleSet::empty());
    let snap = swarmglass::headless::snapshot_of(&model, &engine, now);
    let text = swarmglass::headless::render_text(&snap);
    assert!(
        text.contains("workers    ≥ 4096 online (stopped counting at 4096 workers)"),
        "{text}"
    );
    let json = serde_json::to_value(&snap).unwrap();
    assert_eq!(json["tasks"]["workers"]["stopped_counting_at"], 4096);
}
