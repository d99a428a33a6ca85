//! A fleet read through a real Prometheus server (Debian's `prometheus` 2.42) that scrapes the
//! simulator gives the same figures as scraping the simulator directly: GPUs, inference
//! gauges, token and request rates, latency quantiles, node names. Also: a server that is down,
//! a refused query, a target Prometheus cannot scrape.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::float_cmp)]

mod common;

use std::time::{Duration, SystemTime};

use common::prometheus_server::PrometheusServer;
use swarmglass::config::PrometheusTarget;
use swarmglass::model::ids::SourceSpec;
use swarmglass::model::input::SourceUpdate;
use swarmglass::model::views::Views;
use swarmglass::model::{Model, ModelSettings};
use swarmglass::runtime::{prometheus_id, scrape_once};
use swarmglass::sim::{SimCluster, SimOptions};
use swarmglass::sources::http;
use swarmglass::sources::promserver::PromServer;
use swarmglass::sources::promserver::queries::{self, RangeSubject};

const SCRAPE: Duration = Duration::from_secs(1);

fn scrape_configs(sim: &SimCluster) -> String {
    let hosts: Vec<String> = sim
        .endpoints()
        .nodes
        .iter()
        .map(|n| {
            let u = n.metrics_url.trim_start_matches("http://");
            format!("'{}'", u.split('/').next().unwrap())
        })
        .collect();
    let hosts = hosts.join(", ");
    format!(
        "  - job_name: vllm\n    static_configs: [{{targets: [{hosts}]}}]\n  - job_name: dcgm\n    metrics_path: /gpu/metrics\n    static_configs: [{{targets: [{hosts}]}}]\n"
    )
}

fn close(a: Option<f64>, b: Option<f64>, rel: f64, what: &str) {
    let (a, b) = (
        a.unwrap_or_else(|| panic!("{what}: no figure through Prometheus")),
        b.unwrap_or_else(|| panic!("{what}: no figure scraping directly")),
    );
    assert!(
        (a - b).abs() <= rel * b.abs().max(1e-9),
        "{what}: {a} through Prometheus, {b} directly"
    );
}

fn compare(fleet: &Views, direct: &Views) {
    let names = |v: &Views| v.nodes.iter().map(|n| n.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(fleet), names(direct), "node names");
    assert_eq!(fleet.gpus.len(), direct.gpus.len(), "GPU cards");
    for (f, d) in fleet.gpus.iter().zip(&direct.gpus) {
        assert_eq!(f.node, d.node);
        assert_eq!(f.gpu.uuid, d.gpu.uuid);
        let what = format!("GPU {:?} on {}", f.gpu.index, f.node);
        assert_eq!(f.gpu.util_pct, d.gpu.util_pct, "{what} util");
        assert_eq!(f.gpu.temp_c, d.gpu.temp_c, "{what} temperature");
        assert_eq!(f.gpu.mem_used_bytes, d.gpu.mem_used_bytes, "{what} memory");
        assert_eq!(
            f.gpu.mem_total_bytes, d.gpu.mem_total_bytes,
            "{what} memory total"
        );
        assert_eq!(f.gpu.power_w, d.gpu.power_w, "{what} power");
        assert_eq!(f.model, d.model, "{what} model");
    }
    assert_eq!(
        fleet.inference.len(),
        direct.inference.len(),
        "inference cards"
    );
    for (f, d) in fleet.inference.iter().zip(&direct.inference) {
        assert_eq!(f.node, d.node);
        assert_eq!(f.kind, d.kind);
        let (fs, ds) = (&f.stats, &d.stats);
        let what = format!("{} {:?}", f.node, fs.model);
        assert_eq!(fs.model, ds.model);
        assert_eq!(fs.running, ds.running, "{what} running");
        assert_eq!(fs.waiting, ds.waiting, "{what} waiting");
        close(
            fs.kv_cache_pct,
            ds.kv_cache_pct,
            1e-6,
            &format!("{what} KV cache"),
        );
        close(
            fs.gen_tps,
            ds.gen_tps,
            0.01,
            &format!("{what} generation tok/s"),
        );
        close(
            fs.prompt_tps,
            ds.prompt_tps,
            0.01,
            &format!("{what} prompt tok/s"),
        );
        close(
            fs.requests_per_s,
            ds.requests_per_s,
            0.02,
            &format!("{what} requests/s"),
        );
        close(fs.error_pct, ds.error_pct, 0.02, &format!("{what} error %"));
        close(
            fs.prefix_hit_pct,
            ds.prefix_hit_pct,
            0.01,
            &format!("{what} prefix hits"),
        );
        for (l, fl, dl) in [
            ("TTFT", &fs.ttft, &ds.ttft),
            ("ITL", &fs.itl, &ds.itl),
            ("E2E", &fs.e2e, &ds.e2e),
        ] {
            close(fl.p50_s, dl.p50_s, 0.02, &format!("{what} {l} p50"));
            close(fl.p95_s, dl.p95_s, 0.02, &format!("{what} {l} p95"));
            close(fl.p99_s, dl.p99_s, 0.02, &format!("{what} {l} p99"));
            close(fl.mean_s, dl.mean_s, 0.02, &format!("{what} {l} mean"));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_through_prometheus_equals_scraping_it_directly() {
    let sim = SimCluster::start(SimOptions {
        nodes: 2,
        gpus_per_node: 2,
        agents: false,
        steady: true,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let Some(prom) = PrometheusServer::start(&scrape_configs(&sim), SCRAPE) else {
        return;
    };
    let client = http::client().unwrap();
    let server = PromServer {
        window: Duration::from_secs(6),
        ..PromServer::new(&prom.url)
    };
    // `rate` divides by the whole window: wait until every target has been scraped across all
    // of it, and has every figure.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    let targets = loop {
        let covered = server
            .instant(&client, "min(count_over_time(up[6s]))", None)
            .await
            .is_ok_and(|v| v.first().is_some_and(|s| s.value >= 6.0));
        let t = server.refresh(&client).await;
        let ready = covered
            && t.as_ref().is_ok_and(|ts| {
                ts.len() == 4
                    && ts.iter().all(|x| {
                        x.result.as_ref().is_ok_and(|d| {
                            !d.scrape.gpus.is_empty()
                                || d.inference
                                    .iter()
                                    .all(|i| i.ttft.p99_s.is_some() && i.gen_tps.is_some())
                                    && !d.inference.is_empty()
                        })
                    })
            });
        if ready {
            break t.unwrap();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Prometheus never had every figure: {t:#?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let now = SystemTime::now();
    let mut fleet = Model::new(ModelSettings::default());
    fleet.apply(
        SourceUpdate::Fleet {
            source: swarmglass::runtime::promserver_id(&server),
            at: now,
            result: Ok(targets),
        },
        now,
    );

    // Directly: every endpoint twice, two seconds apart.
    let mut direct = Model::new(ModelSettings::default());
    let endpoints: Vec<PrometheusTarget> = sim
        .endpoints()
        .nodes
        .iter()
        .flat_map(|n| {
            [
                PrometheusTarget::new(&n.metrics_url),
                PrometheusTarget::new(&n.gpu_metrics_url),
            ]
        })
        .collect();
    for t in &endpoints {
        // As the runtime declares them: the node is named by the identity rule.
        direct.register_spec(SourceSpec {
            id: prometheus_id(t),
            interval: t.interval,
            node_named: false,
            implicit: false,
            tls_unverified: false,
        });
    }
    for round in 0..2 {
        if round == 1 {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        for t in &endpoints {
            let at = SystemTime::now();
            let result = scrape_once(&client, t).await;
            assert!(result.is_ok(), "{result:?}");
            direct.apply(
                SourceUpdate::Scrape {
                    source: prometheus_id(t),
                    at,
                    result,
                },
                at,
            );
        }
    }
    let (f, d) = (fleet.views(), direct.views());
    assert_eq!(
        f.nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
        ["sim-node-0", "sim-node-1"],
        "each machine named by its exporter's host name"
    );
    compare(f, d);

    // The same figures over time, from the server's own history (the plots' query_range).
    let window = Duration::from_secs(6);
    let end = SystemTime::now();
    let start = end - Duration::from_secs(4);
    let last = |series: Vec<swarmglass::sources::promserver::api::RangeSeries>| {
        series.first().and_then(|s| s.points.last()).map(|p| p.1)
    };
    let cluster = queries::history(&RangeSubject::Cluster, window, &[]);
    let gen_q = &cluster[0].lines[0].1;
    let got = last(
        server
            .range(&client, gen_q, start, end, Duration::from_secs(1))
            .await
            .unwrap(),
    );
    let total: f64 = f.inference.iter().filter_map(|c| c.stats.gen_tps).sum();
    close(got, Some(total), 0.02, "cluster generation tok/s over time");
    let card = &f.gpus[0];
    let gpu = queries::history(
        &RangeSubject::Gpu {
            uuid: card.gpu.uuid.clone().unwrap(),
        },
        window,
        &[],
    );
    for (plot, want) in [
        (0, card.gpu.util_pct),
        (2, card.gpu.temp_c),
        (3, card.gpu.power_w),
    ] {
        let q = &gpu[plot].lines[0].1;
        let got = last(
            server
                .range(&client, q, start, end, Duration::from_secs(1))
                .await
                .unwrap(),
        );
        close(got, want, 1e-6, &format!("GPU plot {}", gpu[plot].title));
    }
    #[allow(clippy::cast_precision_loss)]
    let vram = card.gpu.mem_used_bytes.map(|b| b as f64);
    let got = last(
        server
            .range(
                &client,
                &gpu[1].lines[0].1,
                start,
                end,
                Duration::from_secs(1),
            )
            .await
            .unwrap(),
    );
    close(got, vram, 1e-6, "GPU plot VRAM (bytes)");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_down_target_a_refused_query_and_a_dead_server_are_said_plainly() {
    let sim = SimCluster::start(SimOptions {
        nodes: 1,
        agents: false,
        steady: true,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    // One real target and one where nothing listens.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let host = sim.endpoints().nodes[0]
        .metrics_url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let cfg =
        format!("  - job_name: vllm\n    static_configs: [{{targets: ['{host}', '{dead}']}}]\n");
    let Some(prom) = PrometheusServer::start(&cfg, SCRAPE) else {
        return;
    };
    let client = http::client().unwrap();
    let server = PromServer::new(&prom.url);
    let mut down = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while down.is_none() && tokio::time::Instant::now() < deadline {
        if let Ok(ts) = server.refresh(&client).await {
            down = ts.into_iter().find(|t| t.result.is_err());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let down = down.expect("the target nobody serves is reported down");
    let e = down.result.unwrap_err().to_string();
    assert!(
        e.contains(&dead.to_string()) && e.contains("up == 0"),
        "{e}"
    );

    // A refused query: the server's own words reach the error.
    let bad = PromServer {
        matchers: vec!["job=~\"(\"".to_owned()],
        ..PromServer::new(&prom.url)
    };
    let e = bad.refresh(&client).await.unwrap_err().to_string();
    assert!(e.contains("HTTP 400") && e.contains("bad_data"), "{e}");

    // A server that is gone: one error naming it, quickly.
    drop(prom);
    let gone = PromServer {
        timeout: Duration::from_secs(2),
        ..PromServer::new(&format!("http://{dead}"))
    };
    let e = gone.refresh(&client).await.unwrap_err().to_string();
    assert!(e.contains(&dead.to_string()), "{e}");

    // A server that accepts and never answers: one timeout error, after the configured timeout
    // and not much later (the refresh never hangs the source).
    let silent = PromServer {
        timeout: Duration::from_millis(800),
        ..PromServer::new(&common::silent().await)
    };
    let t = std::time::Instant::now();
    let e = silent.refresh(&client).await.unwrap_err();
    assert!(
        matches!(e, swarmglass::model::input::SourceError::Timeout { .. }),
        "{e}"
    );
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    sim.shutdown().await;
}
