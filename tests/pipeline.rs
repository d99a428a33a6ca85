//! The collector pipeline against loopback servers: fetch → parse → map → model, with scripted
//! bodies and explicit times, and the real runtime against misbehaving servers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::float_cmp)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use swarmglass::config::{Config, NvmlConfig, PrometheusTarget};
use swarmglass::model::health::Health;
use swarmglass::model::input::{SourceError, SourceUpdate};
use swarmglass::model::{Model, ModelSettings};
use swarmglass::runtime::{self, Updates, prometheus_id, scrape_once};

fn t(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
}

fn target(url: &str) -> PrometheusTarget {
    let mut t = PrometheusTarget::new(url);
    t.interval = Duration::from_millis(200);
    t.timeout = Duration::from_millis(400);
    t
}

fn config(targets: Vec<PrometheusTarget>) -> Config {
    Config {
        nvml: NvmlConfig {
            enabled: false,
            ..NvmlConfig::default()
        },
        prometheus: targets,
        prometheus_servers: vec![],
        ollama: vec![],
        status: vec![],
        model: ModelSettings::default(),
        alerts: Default::default(),
        agents: Default::default(),
        history: Default::default(),
        wall: Default::default(),
        notes: Vec::new(),
    }
}

/// Scrape a target `n` times (as the runtime would) and apply each result at `t(0)`, `t(2)`, …
async fn scrape_into(model: &mut Model, tgt: &PrometheusTarget, n: u64) {
    let client = swarmglass::sources::http::client().unwrap();
    for i in 0..n {
        let result = scrape_once(&client, tgt).await;
        model.apply(
            SourceUpdate::Scrape {
                source: prometheus_id(tgt),
                at: t(2 * i),
                result,
            },
            t(2 * i),
        );
    }
}

#[tokio::test]
async fn rates_and_quantiles_match_what_the_server_produced() {
    // Between the two scrapes (2 s apart): +500 generated tokens, +100 prompt tokens,
    // 10 requests finished (9 stop, 1 abort), whose latencies fall 5 in (0,0.5], 3 in (0.5,1],
    // 2 in (1,2].
    let base = common::scripted(vec![
        common::vllm_body(1000.0, 400.0, 90.0, 0.0, [50.0, 80.0, 90.0, 90.0], 60.0),
        common::vllm_body(1500.0, 500.0, 99.0, 1.0, [55.0, 88.0, 100.0, 100.0], 67.0),
    ])
    .await;
    let tgt = target(&format!("{base}/metrics"));
    let mut model = Model::new(ModelSettings::default());
    scrape_into(&mut model, &tgt, 2).await;

    let (_, s) = model.inference_stats().next().expect("one model");
    assert_eq!(s.model.as_deref(), Some("m"));
    assert_eq!(s.gen_tps, Some(250.0));
    assert_eq!(s.prompt_tps, Some(50.0));
    assert_eq!(s.requests_per_s, Some(5.0));
    assert_eq!(s.error_pct, Some(10.0));
    assert_eq!(s.running, Some(3.0));
    assert_eq!(s.waiting, Some(1.0));
    assert_eq!(s.kv_cache_pct, Some(25.0));
    // Delta histogram: 5, 8, 10, 10 cumulative. p50 = rank 5 → top of the first bucket.
    assert_eq!(s.e2e.p50_s, Some(0.5));
    // p90 = rank 9 → (1,2] holds ranks 8..10: 1 + (9-8)/2 = 1.5.
    assert_eq!(s.e2e.p90_s, Some(1.5));
    assert!((s.e2e.mean_s.unwrap() - 0.7).abs() < 1e-9);
    assert_eq!(model.total_tps(), (Some(250.0), Some(50.0)));
}

#[tokio::test]
async fn a_counter_reset_never_yields_a_negative_rate() {
    let base = common::scripted(vec![
        common::vllm_body(
            1_000_000.0,
            400.0,
            90.0,
            0.0,
            [50.0, 80.0, 90.0, 90.0],
            60.0,
        ),
        // The server restarted: every counter is small again.
        common::vllm_body(100.0, 10.0, 2.0, 0.0, [1.0, 2.0, 2.0, 2.0], 1.0),
    ])
    .await;
    let tgt = target(&format!("{base}/metrics"));
    let mut model = Model::new(ModelSettings::default());
    scrape_into(&mut model, &tgt, 2).await;
    let (_, s) = model.inference_stats().next().unwrap();
    assert_eq!(
        s.gen_tps,
        Some(50.0),
        "restarted counter: increase is the new value"
    );
    assert_eq!(s.prompt_tps, Some(5.0));
    // 2 requests finished since the restart (2 stop, 0 abort), over 2 s.
    assert_eq!(s.requests_per_s, Some(1.0));
    assert_eq!(s.error_pct, Some(0.0));
    // The histogram restarted too: its increase is the new counts, 1 in (0,0.5] and 1 in
    // (0.5,1] summing to 1 s. p50 = rank 1 → top of the first bucket.
    assert_eq!(s.e2e.p50_s, Some(0.5));
    assert_eq!(s.e2e.mean_s, Some(0.5));
}

#[tokio::test]
async fn metric_the_server_does_not_expose_is_missing_not_zero() {
    let body =
        "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name=\"m\"} 2\n";
    let base = common::scripted(vec![body.to_owned()]).await;
    let tgt = target(&format!("{base}/metrics"));
    let mut model = Model::new(ModelSettings::default());
    scrape_into(&mut model, &tgt, 2).await;
    let (src, s) = model.inference_stats().next().unwrap();
    assert_eq!(s.running, Some(2.0));
    assert_eq!(s.waiting, None);
    assert_eq!(s.kv_cache_pct, None);
    assert_eq!(s.gen_tps, None);
    assert_eq!(s.e2e.p95_s, None);
    assert!(
        src.missing
            .iter()
            .any(|m| m.contains("vllm:kv_cache_usage_perc")),
        "{:?}",
        src.missing
    );
}

fn first_update(rx: &Updates, url: &str, within: Duration) -> SourceUpdate {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let u = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no update for {url} within {within:?}"));
        if u.source().locator == url {
            return u;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers_times_out_and_is_down_in_time() {
    let url = format!("{}/metrics", common::silent().await);
    let cfg = config(vec![target(&url)]);
    let (rx, rt) = runtime::start(&cfg, 64, Arc::new(|| {})).unwrap();
    let started = Instant::now();
    // Stated time: the 400 ms timeout, plus scheduling slack.
    let u =
        tokio::task::spawn_blocking(move || first_update(&rx, &url, Duration::from_millis(2400)))
            .await
            .unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(390),
        "gave up before the timeout: {elapsed:?}"
    );
    let SourceUpdate::Scrape {
        result: Err(SourceError::Timeout { timeout_ms, .. }),
        ..
    } = &u
    else {
        panic!("expected a timeout, got {u:?}")
    };
    assert_eq!(*timeout_ms, 400);
    let mut model = Model::new(ModelSettings::default());
    let id = u.source().clone();
    model.apply(u, SystemTime::now());
    let h = &model.sources()[&id].health.health;
    assert!(
        matches!(h, Health::Down { reason, .. } if reason.contains("timed out")),
        "{h:?}"
    );
    assert_eq!(model.errors.recent()[0].kind, "timeout");
    rt.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_records_errors_and_leaves_other_targets_untouched() {
    let good = format!(
        "{}/metrics",
        common::scripted(vec![common::vllm_body(1.0, 1.0, 1.0, 0.0, [1.0; 4], 1.0)]).await
    );
    let bad = format!(
        "{}/metrics",
        common::scripted(vec![
            "<html><body>502 Bad Gateway</body></html>\n\u{0}\u{1}garbage{{{\n".to_owned()
        ])
        .await
    );
    let cfg = config(vec![target(&good), target(&bad)]);
    let (rx, rt) = runtime::start(&cfg, 64, Arc::new(|| {})).unwrap();
    let mut model = Model::new(ModelSettings::default());
    for spec in &rt.sources {
        model.register_spec(spec.clone());
    }
    let (g2, b2) = (good.clone(), bad.clone());
    let updates = tokio::task::spawn_blocking(move || {
        vec![
            first_update(&rx, &g2, Duration::from_secs(3)),
            first_update(&rx, &b2, Duration::from_secs(3)),
        ]
    })
    .await
    .unwrap();
    for u in updates {
        model.apply(u, SystemTime::now());
    }
    rt.shutdown();
    let good_src = model
        .sources()
        .values()
        .find(|s| s.id.locator == good)
        .unwrap();
    let bad_src = model
        .sources()
        .values()
        .find(|s| s.id.locator == bad)
        .unwrap();
    assert!(matches!(good_src.health.health, Health::Up { .. }));
    assert_eq!(good_src.inference.len(), 1);
    assert!(
        matches!(bad_src.health.health, Health::Down { .. }),
        "{:?}",
        bad_src.health.health
    );
    let err = model
        .errors
        .recent()
        .into_iter()
        .find(|e| e.source.contains(&bad))
        .expect("error recorded");
    assert_eq!(err.kind, "decode");
    assert!(err.last_message.contains("line 1"), "{}", err.last_message);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_body_is_cut_at_the_cap() {
    let url = format!("{}/metrics", common::endless().await);
    let mut tgt = target(&url);
    tgt.max_body_bytes = 256 * 1024;
    tgt.timeout = Duration::from_secs(5);
    let client = swarmglass::sources::http::client().unwrap();
    let started = Instant::now();
    let err = scrape_once(&client, &tgt).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "cut at the cap, not by the timeout"
    );
    assert_eq!(
        err,
        SourceError::BodyTooLarge {
            url: url.clone(),
            cap_bytes: 256 * 1024
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains(&url) && msg.contains("max_body_bytes"),
        "{msg}"
    );
}

/// The window's "Reconnect" button: the runtime drops and reopens one execution-log stream, and
/// the replayed lines do not show twice.
#[tokio::test(flavor = "multi_thread")]
async fn reconnect_command_reopens_an_execution_stream_without_duplicates() {
    use swarmglass::model::input::{ConnectionState, EventUpdate};
    use swarmglass::sim::{SimCluster, SimOptions};

    let sim = SimCluster::start(SimOptions {
        nodes: 1,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let mut cfg = swarmglass::config::from_toml_str(&sim.config_toml(), &|_| None).unwrap();
    cfg.prometheus.clear();
    cfg.status.clear();
    cfg.agents.nexus_ws.clear();
    cfg.agents.openclaw_sessions.clear();
    let id = sim.endpoints().exec_ids[0].clone();
    cfg.agents.exec_logs[0].executions = vec![id.clone()];
    let (rx, rt) = runtime::start(&cfg, 1024, Arc::new(|| {})).unwrap();

    let wait_connected = |rx: &Updates, model: &mut Model| {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let u = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("connected in time");
            let connected = matches!(&u, SourceUpdate::Agents(a)
                if matches!(a.as_ref(), EventUpdate::ExecConnection { state: ConnectionState::Connected { .. }, .. }));
            model.apply(u, SystemTime::now());
            if connected {
                return;
            }
        }
    };
    let (rx, mut model, rt) = tokio::task::spawn_blocking(move || {
        let mut model = Model::new(ModelSettings::default());
        wait_connected(&rx, &mut model);
        assert!(rt.command(runtime::Command::ReconnectExecution(id_for_cmd(
            &rt, &model
        ))));
        wait_connected(&rx, &mut model);
        (rx, model, rt)
    })
    .await
    .unwrap();
    // Let the replay after the reconnect arrive, then check for duplicates.
    let deadline = Instant::now() + Duration::from_millis(800);
    while let Ok(u) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        model.apply(u, SystemTime::now());
    }
    let ids: Vec<String> = model
        .tasks
        .executions
        .logs(&id)
        .map(|l| l.id.clone())
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert!(!ids.is_empty(), "replayed logs arrived");
    assert_eq!(
        ids.len(),
        unique.len(),
        "no duplicate log line after reconnect: {ids:?}"
    );
    rt.shutdown();
    sim.shutdown().await;
}

/// The one execution the runtime follows in the reconnect test.
fn id_for_cmd(_rt: &runtime::Runtime, model: &Model) -> String {
    model
        .tasks
        .executions
        .views(SystemTime::now())
        .first()
        .map(|v| v.execution_id.clone())
        .expect("one execution")
}
