//! Tests of the simulated cluster (`swarmglass::sim`): the pure renderers at explicit elapsed
//! times (determinism, counter rates, histogram quantiles) and the loopback servers (status codes,
//! faults, control endpoint, config).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "tests fail loudly on purpose"
)]

use std::time::Duration;

use swarmglass::sim::profile::{FINISHED_REASONS, NodeProfile};
use swarmglass::sim::render::{
    StatusNode, py_float, render_gpu_metrics, render_status, render_vllm_metrics,
};
use swarmglass::sim::{Fault, SimCluster, SimOptions};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("reqwest client")
}

async fn start(nodes: usize) -> SimCluster {
    SimCluster::start(SimOptions {
        nodes,
        ..SimOptions::default()
    })
    .await
    .expect("sim starts")
}

async fn get(c: &reqwest::Client, url: &str) -> (u16, String, String) {
    let resp = c.get(url).send().await.expect("request");
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, ctype, resp.text().await.expect("body"))
}

async fn status_json(c: &reqwest::Client, sim: &SimCluster) -> serde_json::Value {
    let (code, _, body) = get(c, &sim.endpoints().status_url).await;
    assert_eq!(code, 200, "status endpoint: {body}");
    serde_json::from_str(&body).expect("status is JSON")
}

/// Samples of family `name` exactly (suffix included) as (label text, value), in body order.
fn samples(body: &str, name: &str) -> Vec<(String, f64)> {
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (n, labels) = series.split_once('{').unwrap_or((series, ""));
            (n == name).then(|| {
                (
                    labels.trim_end_matches('}').to_owned(),
                    value.parse().expect("value"),
                )
            })
        })
        .collect()
}

fn sum(body: &str, name: &str) -> f64 {
    samples(body, name).iter().map(|(_, v)| v).sum()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-12)
}

fn at(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// `histogram_quantile` as PromQL computes it, over (le, cumulative count) with `+Inf` last.
fn promql_quantile(q: f64, buckets: &[(f64, f64)]) -> f64 {
    let total = buckets.last().expect("buckets").1;
    let rank = q * total;
    let n = buckets.len();
    let b = buckets[..n - 1]
        .iter()
        .position(|(_, c)| *c >= rank)
        .unwrap_or(n - 1);
    if b == n - 1 {
        return buckets[n - 2].0;
    }
    let (start, below) = if b == 0 { (0.0, 0.0) } else { buckets[b - 1] };
    start + (buckets[b].0 - start) * (rank - below) / (buckets[b].1 - below)
}

/// Buckets of one engine's histogram as (le, cumulative), summed over engines.
fn buckets(body: &str, family: &str) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (labels, v) in samples(body, &format!("{family}_bucket")) {
        let le = labels
            .split(',')
            .find_map(|kv| kv.strip_prefix("le=\""))
            .expect("le label");
        let le: f64 = le
            .trim_end_matches('"')
            .replace("+Inf", "inf")
            .parse()
            .expect("le value");
        match out.iter_mut().find(|(b, _)| *b == le) {
            Some(slot) => slot.1 += v,
            None => out.push((le, v)),
        }
    }
    out
}

const COUNTERS: [&str; 6] = [
    "vllm:prompt_tokens_total",
    "vllm:generation_tokens_total",
    "vllm:request_success_total",
    "vllm:num_preemptions_total",
    "vllm:prefix_cache_queries_total",
    "vllm:prefix_cache_hits_total",
];

#[tokio::test]
async fn every_endpoint_answers_with_realistic_bodies() {
    let sim = start(2).await;
    let c = client();
    for (i, node) in sim.endpoints().nodes.iter().enumerate() {
        assert_eq!(node.name, format!("sim-node-{i}"));
        let (code, ctype, body) = get(&c, &node.metrics_url).await;
        assert_eq!(code, 200);
        assert!(ctype.starts_with("text/plain"), "{ctype}");
        assert!(
            !body.ends_with('\n'),
            "vLLM bodies end without a final newline"
        );
        for name in COUNTERS {
            assert!(body.contains(&format!("# TYPE {name} counter")), "{name}");
            assert!(body.contains(&format!("# HELP {name} ")), "{name}");
        }
        for name in [
            "vllm:num_requests_running",
            "vllm:num_requests_waiting",
            "vllm:kv_cache_usage_perc",
            "vllm:cache_config_info",
        ] {
            assert!(body.contains(&format!("# TYPE {name} gauge")), "{name}");
        }
        for name in [
            "vllm:time_to_first_token_seconds",
            "vllm:inter_token_latency_seconds",
            "vllm:e2e_request_latency_seconds",
        ] {
            assert!(body.contains(&format!("# TYPE {name} histogram")), "{name}");
            assert!(
                body.contains(&format!(
                    "{name}_bucket{{engine=\"0\",le=\"+Inf\",model_name="
                )),
                "{name}"
            );
            assert!(!samples(&body, &format!("{name}_sum")).is_empty(), "{name}");
            assert!(
                !samples(&body, &format!("{name}_count")).is_empty(),
                "{name}"
            );
        }
        let model = &sim.profile(i).model;
        assert!(body.contains(&format!("model_name=\"{model}\"")));
        for reason in FINISHED_REASONS {
            assert!(
                body.contains(&format!("finished_reason=\"{reason}\"")),
                "{reason}"
            );
        }
        for (_, v) in samples(&body, "vllm:kv_cache_usage_perc") {
            assert!((0.0..=1.0).contains(&v), "{v}");
        }

        let (code, ctype, gpu) = get(&c, &node.gpu_metrics_url).await;
        assert_eq!(code, 200);
        assert!(ctype.starts_with("text/plain"), "{ctype}");
        for name in [
            "DCGM_FI_DEV_GPU_UTIL",
            "DCGM_FI_DEV_FB_USED",
            "DCGM_FI_DEV_FB_FREE",
            "DCGM_FI_DEV_GPU_TEMP",
            "DCGM_FI_DEV_POWER_USAGE",
            "DCGM_FI_DEV_SM_CLOCK",
            "DCGM_FI_DEV_XID_ERRORS",
        ] {
            assert!(gpu.contains(&format!("# HELP {name} ")), "{name}");
            assert!(gpu.contains(&format!("# TYPE {name} ")), "{name}");
            assert_eq!(samples(&gpu, name).len(), 1, "{name}: one sample per GPU");
        }
        let uuid = &sim.profile(i).gpus[0].uuid;
        assert!(uuid.starts_with("GPU-") && uuid.len() == 40, "{uuid}");
        assert!(gpu.contains(&format!(
            "gpu=\"0\",UUID=\"{uuid}\",device=\"nvidia0\",modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"{}\"",
            node.name
        )));
        let used = sum(&gpu, "DCGM_FI_DEV_FB_USED");
        let free = sum(&gpu, "DCGM_FI_DEV_FB_FREE");
        assert!(
            (used + free - 81_559.0).abs() < 0.5,
            "used {used} + free {free}"
        );
    }

    let status = status_json(&c, &sim).await;
    assert_eq!(status["healthy"], true);
    assert_eq!(status["failover_ready"], true);
    assert_eq!(status["active_node"], "sim-node-0");
    let nodes = status["nodes"].as_array().expect("nodes list");
    assert_eq!(nodes.len(), 2);
    for (i, n) in nodes.iter().enumerate() {
        let port = sim.endpoints().nodes[i]
            .metrics_url
            .split(':')
            .nth(2)
            .expect("port")
            .trim_end_matches("/metrics");
        assert_eq!(n["name"], format!("sim-node-{i}"));
        assert_eq!(n["host"], format!("127.0.0.1:{port}"));
        assert_eq!(n["healthy"], true);
        assert_eq!(n["model"], sim.profile(i).model.as_str());
        for key in ["utilization_pct", "vram_used_pct", "temperature_c"] {
            let v = n["gpu"][key].as_f64().expect(key);
            assert!((0.0..=100.0).contains(&v), "{key} = {v}");
        }
    }
    sim.shutdown().await;
}

#[test]
fn node_zero_has_two_engines_and_others_one() {
    let n0 = NodeProfile::generate(42, 0, 1);
    let n1 = NodeProfile::generate(42, 1, 2);
    let b0 = render_vllm_metrics(&n0, at(30.0), Fault::None);
    let b1 = render_vllm_metrics(&n1, at(30.0), Fault::None);
    assert_eq!(samples(&b0, "vllm:generation_tokens_total").len(), 2);
    assert!(b0.contains("engine=\"1\""));
    assert_eq!(samples(&b1, "vllm:generation_tokens_total").len(), 1);
    assert!(!b1.contains("engine=\"1\""));
    assert_eq!(
        samples(
            &render_gpu_metrics(&n1, at(30.0), Fault::None),
            "DCGM_FI_DEV_GPU_UTIL"
        )
        .len(),
        2
    );
    // Sum over engines is the node total.
    assert!(close(
        sum(&b0, "vllm:generation_tokens_total"),
        n0.gen_tokens_total(30.0),
        1e-12
    ));
    assert!(close(
        sum(&b0, "vllm:request_success_total"),
        n0.requests_total(30.0),
        1e-12
    ));
}

#[test]
fn counters_are_monotonic_and_rates_match_the_integrals() {
    for node in 0..3 {
        let p = NodeProfile::generate(7, node, 1);
        let (t1, t2) = (12.5, 47.0);
        let b1 = render_vllm_metrics(&p, at(t1), Fault::None);
        let b2 = render_vllm_metrics(&p, at(t2), Fault::None);
        for name in COUNTERS {
            let (s1, s2) = (samples(&b1, name), samples(&b2, name));
            assert_eq!(s1.len(), s2.len(), "{name}");
            for ((l1, v1), (l2, v2)) in s1.iter().zip(&s2) {
                assert_eq!(l1, l2);
                assert!(v2 > v1, "{name}{{{l1}}}: {v1} -> {v2}");
            }
        }
        let dt = t2 - t1;
        let rate = |name: &str| (sum(&b2, name) - sum(&b1, name)) / dt;
        let expected = |f: &dyn Fn(f64) -> f64| (f(t2) - f(t1)) / dt;
        assert!(close(
            rate("vllm:generation_tokens_total"),
            expected(&|t| p.gen_tokens_total(t)),
            1e-9
        ));
        assert!(close(
            rate("vllm:prompt_tokens_total"),
            expected(&|t| p.prompt_tokens_total(t)),
            1e-9
        ));
        assert!(close(
            rate("vllm:request_success_total"),
            expected(&|t| p.requests_total(t)),
            1e-9
        ));
        // The totals really are the integrals of the advertised rates (Simpson's rule).
        let mean_rate = |f: &dyn Fn(f64) -> f64| {
            let n = 2000;
            let h = dt / f64::from(n);
            let mut acc = f(t1) + f(t2);
            for k in 1..n {
                acc += f(t1 + h * f64::from(k)) * if k % 2 == 1 { 4.0 } else { 2.0 };
            }
            acc * h / 3.0 / dt
        };
        assert!(close(
            rate("vllm:generation_tokens_total"),
            mean_rate(&|t| p.gen_tokens_per_s(t)),
            1e-7
        ));
        assert!(close(
            rate("vllm:prompt_tokens_total"),
            mean_rate(&|t| p.prompt_tokens_per_s(t)),
            1e-7
        ));
        assert!(close(
            rate("vllm:request_success_total"),
            mean_rate(&|t| p.requests_per_s(t)),
            1e-7
        ));
        // Abort share is fixed.
        let aborts: f64 = samples(&b2, "vllm:request_success_total")
            .iter()
            .filter(|(l, _)| l.contains("finished_reason=\"abort\""))
            .map(|(_, v)| v)
            .sum();
        assert!(close(
            aborts / sum(&b2, "vllm:request_success_total"),
            0.02,
            1e-9
        ));
    }
}

#[test]
fn histograms_are_cumulative_and_their_quantiles_are_known() {
    let p = NodeProfile::generate(42, 0, 1);
    let (t1, t2) = (5.0, 65.0);
    let b1 = render_vllm_metrics(&p, at(t1), Fault::None);
    let b2 = render_vllm_metrics(&p, at(t2), Fault::None);
    for family in [
        "vllm:time_to_first_token_seconds",
        "vllm:inter_token_latency_seconds",
        "vllm:e2e_request_latency_seconds",
    ] {
        let (h1, h2) = (buckets(&b1, family), buckets(&b2, family));
        assert!(
            h2.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
            "{family}: cumulative"
        );
        let inf = h2.last().expect("+Inf bucket");
        assert!(inf.0.is_infinite());
        assert!(
            close(inf.1, sum(&b2, &format!("{family}_count")), 1e-12),
            "{family}: +Inf == count"
        );
        let delta: Vec<(f64, f64)> = h1.iter().zip(&h2).map(|(a, b)| (b.0, b.1 - a.1)).collect();
        for q in [0.5, 0.9, 0.95, 0.99] {
            let expected = match family {
                "vllm:time_to_first_token_seconds" => p.ttft_quantile_expected(q),
                "vllm:inter_token_latency_seconds" => p.itl_quantile_expected(q),
                _ => p.e2e_quantile_expected(q),
            };
            assert!(
                close(promql_quantile(q, &delta), expected, 1e-9),
                "{family} q{q}"
            );
            assert!(
                close(promql_quantile(q, &h2), expected, 1e-9),
                "{family} q{q} (cumulative)"
            );
        }
    }
    // The e2e median lies inside the bucket that holds the law's median.
    let p50 = p.e2e_quantile_expected(0.5);
    let bounds = p.e2e.bounds_s;
    let bucket = bounds
        .iter()
        .position(|&b| b >= p.e2e.median_s)
        .expect("bucket");
    assert!(
        p50 <= bounds[bucket] && (bucket == 0 || p50 > bounds[bucket - 1]),
        "p50 {p50}"
    );
    // Mean from _sum/_count.
    let mean = (sum(&b2, "vllm:e2e_request_latency_seconds_sum")
        - sum(&b1, "vllm:e2e_request_latency_seconds_sum"))
        / (sum(&b2, "vllm:e2e_request_latency_seconds_count")
            - sum(&b1, "vllm:e2e_request_latency_seconds_count"));
    assert!(close(mean, p.e2e.mean_s, 1e-9));
}

#[test]
fn same_seed_gives_identical_bodies() {
    let render_all = |seed: u64| {
        let profiles: Vec<NodeProfile> =
            (0..2).map(|i| NodeProfile::generate(seed, i, 2)).collect();
        let hosts = ["127.0.0.1:9001", "127.0.0.1:9002"];
        let nodes: Vec<StatusNode<'_>> = profiles
            .iter()
            .zip(hosts)
            .map(|(profile, host)| StatusNode {
                profile,
                host,
                fault: Fault::None,
            })
            .collect();
        let mut out = vec![render_status(&nodes, at(33.3))];
        for p in &profiles {
            out.push(render_vllm_metrics(p, at(33.3), Fault::None));
            out.push(render_gpu_metrics(p, at(33.3), Fault::None));
        }
        out
    };
    assert_eq!(render_all(42), render_all(42));
    assert_ne!(render_all(42), render_all(43));
    assert_eq!(
        NodeProfile::generate(9, 1, 1),
        NodeProfile::generate(9, 1, 1)
    );
}

#[test]
fn floats_are_written_like_prometheus_client() {
    assert_eq!(py_float(7.0), "7.0");
    assert_eq!(py_float(0.5), "0.5");
    assert_eq!(py_float(0.31326723098754883), "0.31326723098754883");
    assert_eq!(py_float(7.358146831393242e-05), "7.358146831393242e-05");
    assert_eq!(py_float(1_234_567.0), "1.234567e+06");
    assert_eq!(py_float(6_634_254_336.0), "6.634254336e+09");
    assert_eq!(py_float(1e16), "1e+16");
    assert_eq!(py_float(f64::INFINITY), "+Inf");
    for v in [1_234_567.25, 98_765_432.125, 3.3e-7] {
        assert_eq!(py_float(v).parse::<f64>().expect("parses"), v);
    }
}

#[tokio::test]
async fn down_node_answers_503_and_status_marks_it_unhealthy() {
    let sim = start(2).await;
    let c = client();
    sim.set_fault(1, Fault::Down);
    assert_eq!(sim.fault(1), Fault::Down);
    let node = &sim.endpoints().nodes[1];
    assert_eq!(get(&c, &node.metrics_url).await.0, 503);
    assert_eq!(get(&c, &node.gpu_metrics_url).await.0, 503);
    assert_eq!(get(&c, &sim.endpoints().nodes[0].metrics_url).await.0, 200);
    let status = status_json(&c, &sim).await;
    assert_eq!(status["healthy"], true);
    assert_eq!(status["failover_ready"], false);
    assert_eq!(status["nodes"][1]["healthy"], false);
    assert!(status["nodes"][1]["gpu"].is_null());
    sim.set_fault(1, Fault::None);
    assert_eq!(get(&c, &node.metrics_url).await.0, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn control_endpoint_sets_faults_over_http() {
    let sim = start(2).await;
    let c = client();
    let control = &sim.endpoints().control_url;
    let post = |query: &str| c.post(format!("{control}?{query}")).send();

    let resp = post("node=0&fault=down").await.expect("post");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.text().await.expect("text").contains("sim-node-0"));
    assert_eq!(sim.fault(0), Fault::Down);
    let status = status_json(&c, &sim).await;
    assert_eq!(status["nodes"][0]["healthy"], false);
    assert_eq!(status["active_node"], "sim-node-1");
    assert_eq!(get(&c, &sim.endpoints().nodes[0].metrics_url).await.0, 503);

    assert_eq!(
        post("node=0&fault=none")
            .await
            .expect("post")
            .status()
            .as_u16(),
        200
    );
    assert_eq!(sim.fault(0), Fault::None);
    assert_eq!(get(&c, &sim.endpoints().nodes[0].metrics_url).await.0, 200);

    assert_eq!(
        post("node=1&fault=melt")
            .await
            .expect("post")
            .status()
            .as_u16(),
        400
    );
    assert_eq!(
        post("fault=down").await.expect("post").status().as_u16(),
        400
    );
    assert_eq!(
        post("node=9&fault=down")
            .await
            .expect("post")
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        c.get(control.as_str())
            .send()
            .await
            .expect("get")
            .status()
            .as_u16(),
        405
    );

    // Both nodes down: the cluster is unhealthy and has no active node.
    for n in 0..2 {
        assert_eq!(
            post(&format!("node={n}&fault=DOWN"))
                .await
                .expect("post")
                .status()
                .as_u16(),
            200
        );
    }
    let status = status_json(&c, &sim).await;
    assert_eq!(status["healthy"], false);
    assert!(status["active_node"].is_null());
    sim.shutdown().await;
}

#[tokio::test]
async fn overheat_sets_gpu_temperature_to_92() {
    let sim = start(2).await;
    let c = client();
    sim.set_fault(0, Fault::Overheat);
    let (code, _, gpu) = get(&c, &sim.endpoints().nodes[0].gpu_metrics_url).await;
    assert_eq!(code, 200);
    assert_eq!(samples(&gpu, "DCGM_FI_DEV_GPU_TEMP")[0].1, 92.0);
    let (_, _, other) = get(&c, &sim.endpoints().nodes[1].gpu_metrics_url).await;
    assert!(samples(&other, "DCGM_FI_DEV_GPU_TEMP")[0].1 < 80.0);
    let status = status_json(&c, &sim).await;
    assert_eq!(status["nodes"][0]["healthy"], true);
    assert_eq!(status["nodes"][0]["gpu"]["temperature_c"], 92.0);
    // An overheating node still serves its vLLM metrics.
    assert_eq!(get(&c, &sim.endpoints().nodes[0].metrics_url).await.0, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn hanging_node_never_answers_until_shutdown() {
    let sim = start(2).await;
    sim.set_fault(1, Fault::Hang);
    let c = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let err = c
        .get(&sim.endpoints().nodes[1].metrics_url)
        .send()
        .await
        .expect_err("hangs");
    assert!(err.is_timeout(), "{err}");
    let status = status_json(&client(), &sim).await;
    assert_eq!(status["nodes"][1]["healthy"], false);

    // A request still hanging when the cluster shuts down is released, and shutdown is prompt.
    let url = sim.endpoints().nodes[1].metrics_url.clone();
    let pending =
        tokio::spawn(async move { client().get(&url).send().await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    sim.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "shutdown took {:?}",
        started.elapsed()
    );
    let outcome = tokio::time::timeout(Duration::from_secs(2), pending)
        .await
        .expect("released")
        .expect("join");
    assert!(!matches!(outcome, Ok(200)), "{outcome:?}");
}

#[tokio::test]
async fn config_toml_points_at_every_endpoint() {
    let sim = start(2).await;
    let text = sim.config_toml();
    let doc: toml::Table = toml::from_str(&text).expect("valid TOML");
    assert_eq!(doc["nvml"]["enabled"].as_bool(), Some(false));
    let targets = doc["prometheus"].as_array().expect("prometheus targets");
    assert_eq!(targets.len(), 4);
    for (i, node) in sim.endpoints().nodes.iter().enumerate() {
        let vllm = &targets[2 * i];
        assert_eq!(vllm["url"].as_str(), Some(node.metrics_url.as_str()));
        assert_eq!(vllm["node"].as_str(), Some(node.name.as_str()));
        assert_eq!(vllm["kind"].as_str(), Some("vllm"));
        assert_eq!(vllm["interval"].as_str(), Some("1s"));
        let dcgm = &targets[2 * i + 1];
        assert_eq!(dcgm["url"].as_str(), Some(node.gpu_metrics_url.as_str()));
        assert_eq!(dcgm["kind"].as_str(), Some("dcgm"));
    }
    let status = doc["status"].as_array().expect("status endpoints");
    assert_eq!(
        status[0]["url"].as_str(),
        Some(sim.endpoints().status_url.as_str())
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn invalid_options_are_refused() {
    let err = SimCluster::start(SimOptions {
        nodes: 0,
        ..SimOptions::default()
    })
    .await
    .expect_err("no nodes");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let err = SimCluster::start(SimOptions {
        base_port: Some(65_535),
        ..SimOptions::default()
    })
    .await
    .expect_err("ports past 65535");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

/// Every body the simulator renders parses cleanly, with the families and types it declares.
#[test]
fn rendered_bodies_parse_without_errors() {
    use swarmglass::sources::prometheus::{Format, MetricType, parse};

    let p = NodeProfile::generate(42, 0, 2);
    let vllm = render_vllm_metrics(&p, at(20.0), Fault::None);
    let gpu = render_gpu_metrics(&p, at(20.0), Fault::Overheat);
    for (body, expected) in [
        (
            &vllm,
            vec![
                ("vllm:generation_tokens_total", MetricType::Counter),
                ("vllm:e2e_request_latency_seconds", MetricType::Histogram),
                ("vllm:kv_cache_usage_perc", MetricType::Gauge),
            ],
        ),
        (
            &gpu,
            vec![
                ("DCGM_FI_DEV_GPU_TEMP", MetricType::Gauge),
                ("DCGM_FI_DEV_FB_USED", MetricType::Gauge),
            ],
        ),
    ] {
        let expo = parse(body.as_bytes(), Format::Prometheus);
        assert!(expo.errors.is_empty(), "{:?}", expo.errors);
        let lines = body.lines().filter(|l| !l.starts_with('#')).count();
        assert!(lines >= 10, "the simulator rendered only {lines} samples");
        assert_eq!(expo.sample_count(), lines);
        for (name, kind) in expected {
            let family = expo
                .families
                .iter()
                .find(|f| f.name == name)
                .unwrap_or_else(|| panic!("{name}"));
            assert_eq!(family.kind, kind, "{name}");
            assert!(family.help.is_some(), "{name}");
        }
    }
}
