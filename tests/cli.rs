//! The binary as a user runs it: `snapshot --json` against a simulated cluster, `metrics check`
//! on good and bad files, and config errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use serde_json::Value;
use swarmglass::sim::{Fault, SimCluster, SimOptions};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_swarmglass"))
}

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/prometheus/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshot_json_reports_the_simulated_cluster() {
    let sim = SimCluster::start(SimOptions {
        nodes: 2,
        gpus_per_node: 1,
        seed: 7,
        base_port: None,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let ep = sim.endpoints().clone();
    sim.set_fault(1, Fault::Down);
    let mut cmd = bin();
    cmd.args(["snapshot", "--json", "--no-nvml", "--duration", "3500ms"]);
    for n in &ep.nodes {
        cmd.args([
            "--prometheus",
            &n.metrics_url,
            "--prometheus",
            &n.gpu_metrics_url,
        ]);
    }
    cmd.args(["--status", &ep.status_url]);
    // An empty config file: only the command-line sources count.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("empty.toml");
    std::fs::write(&cfg, "").unwrap();
    cmd.arg("--config").arg(&cfg);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();

    assert_eq!(v["schema"], 1);
    assert_eq!(v["cluster"]["overall"], "degraded");
    assert_eq!(
        v["cluster"]["failover_ready"], false,
        "one of two nodes is down"
    );
    let nodes = v["nodes"].as_array().unwrap();
    let n0 = nodes
        .iter()
        .find(|n| n["name"] == ep.nodes[0].name)
        .unwrap();
    let n1 = nodes
        .iter()
        .find(|n| n["name"] == ep.nodes[1].name)
        .unwrap();
    assert_eq!(n0["health"]["state"], "up");
    assert_eq!(n1["health"]["state"], "down");
    // One machine is one node: the vLLM server, the GPU exporter on the same address and the
    // proxy's entry for it are one node, named by the exporter (node 0) or the proxy (node 1,
    // whose exporter is down) — never "local" beside the proxy's names.
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    for n in [n0, n1] {
        assert_eq!(n["sources"], 3, "two sources and the proxy's verdict: {n}");
    }
    assert!(
        n1["health"]["reason"]
            .as_str()
            .unwrap()
            .contains("HTTP 503"),
        "{n1}"
    );
    assert!(n0["models"][0] == sim.profile(0).model.as_str(), "{n0}");
    // The down source names its error.
    let sources = v["sources"].as_array().unwrap();
    let s1 = sources
        .iter()
        .find(|s| s["url"] == ep.nodes[1].metrics_url)
        .unwrap();
    assert_eq!(s1["node"], ep.nodes[1].name.as_str());
    assert_eq!(s1["health"]["state"], "down");
    assert!(
        s1["health"]["reason"]
            .as_str()
            .unwrap()
            .contains("HTTP 503"),
        "{}",
        s1["health"]
    );

    // The up node's generation rate matches the simulator's known rate.
    let inf = v["inference"].as_array().unwrap();
    let i0 = inf
        .iter()
        .find(|i| i["url"] == ep.nodes[0].metrics_url)
        .unwrap();
    let gen_tps = i0["gen_tps"].as_f64().expect("a rate after ≥2 scrapes");
    let expected = sim.profile(0).gen_tokens_per_s(sim.elapsed().as_secs_f64());
    assert!(
        (gen_tps - expected).abs() / expected < 0.25,
        "gen {gen_tps} vs expected ≈{expected}"
    );
    assert!(i0["e2e"]["p95_s"].as_f64().is_some());
    assert_eq!(i0["model"], sim.profile(0).model.as_str());

    let gpus = v["gpus"].as_array().unwrap();
    assert!(
        gpus.iter().any(|g| g["node"] == ep.nodes[0].name.as_str()
            && g["origin"] == "dcgm"
            && g["model"] == sim.profile(0).model.as_str()
            && g["gpu"]["temp_c"].is_number()),
        "{gpus:?}"
    );
    let i0_node = &inf
        .iter()
        .find(|i| i["url"] == ep.nodes[0].metrics_url)
        .unwrap()["node"];
    assert_eq!(i0_node, ep.nodes[0].name.as_str());
    let errors = v["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["kind"] == "http_status" && e["count"].as_u64().unwrap() >= 1)
    );
    sim.shutdown().await;
}

#[test]
fn snapshot_text_shows_na_for_a_missing_server() {
    // Nothing listens on this port: the source is down, figures are n/a, the command still works.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/metrics");
    let out = bin()
        .args([
            "snapshot",
            "--no-nvml",
            "--duration",
            "1s",
            "--prometheus",
            &url,
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("down"), "{text}");
    assert!(text.contains(&format!("cannot connect to {url}")), "{text}");
}

#[test]
fn metrics_check_counts_a_good_file_and_exits_zero() {
    let out = bin()
        .args([
            "metrics",
            "check",
            "--json",
            &fixture("datadog__vllm_metrics.txt"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);
    assert!(v["samples"].as_u64().unwrap() > 100);
    assert!(
        v["families"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "vllm:num_requests_running" && f["type"] == "gauge")
    );
}

#[test]
fn metrics_check_reports_line_numbers_and_exits_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.prom");
    std::fs::write(&path, "ok_metric 1\nbroken{label=\"x\" 2\nanother 3\n").unwrap();
    let out = bin()
        .args(["metrics", "check"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("{}:2:", path.display())), "{text}");
    assert!(text.contains("2 samples, 1 error(s)"), "{text}");
}

#[test]
fn config_problems_are_all_reported_with_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[[prometheus]]\nurl = \"ftp://x\"\nintervl = \"1s\"\n[nvml]\nenabled = 1\n",
    )
    .unwrap();
    let out = bin()
        .args(["snapshot", "--duration", "1s", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    for key in ["prometheus[0].url", "prometheus[0].intervl", "nvml.enabled"] {
        assert!(err.contains(key), "{key} not in {err}");
    }
    assert!(err.contains("3 problem(s)"), "{err}");
}

/// `watch` with no window: an overheating simulated GPU fires `gpu_temp_high` once, it is printed,
/// and the generic JSON webhook receives it.
#[tokio::test(flavor = "multi_thread")]
async fn watch_fires_an_alert_and_calls_the_webhook() {
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::extract::State;
    use axum::routing::post;

    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    async fn hook(
        State(r): State<Arc<Mutex<Vec<Value>>>>,
        body: axum::body::Bytes,
    ) -> &'static str {
        r.lock()
            .unwrap()
            .push(serde_json::from_slice(&body).unwrap());
        "ok"
    }
    let app = Router::new()
        .route("/hook/s3cr3t-token", post(hook))
        .with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!(
        "http://{}/hook/s3cr3t-token",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let sim = SimCluster::start(SimOptions {
        nodes: 1,
        gpus_per_node: 1,
        seed: 3,
        base_port: None,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    sim.set_fault(0, Fault::Overheat);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("watch.toml");
    let text = format!(
        "{}\n[alerts]\ndesktop = false\n[alerts.rules.gpu_temp_high]\nfor = \"0s\"\n[[alerts.webhook]]\nkind = \"json\"\nurl_env = \"TEST_HOOK_URL\"\n",
        sim.config_toml()
    );
    std::fs::write(&cfg, text).unwrap();
    let mut cmd = bin();
    cmd.args(["watch", "--duration", "3s", "--config"])
        .arg(&cfg)
        .env("TEST_HOOK_URL", &hook_url);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let firing: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("gpu_temp_high") || l.contains("92"))
        .collect();
    assert_eq!(
        firing.len(),
        1,
        "exactly one transition printed for one hot GPU:\n{stdout}"
    );
    assert!(
        !stdout.contains("s3cr3t-token") && !stderr.contains("s3cr3t-token"),
        "webhook secret leaked"
    );
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "one webhook call: {got:?}");
    assert_eq!(got[0]["rule"], "gpu_temp_high", "{}", got[0]);
    sim.shutdown().await;
}

/// `snapshot --json` with the simulator's agent layer: task events, workers, sessions and
/// execution logs reach the JSON through the real runtime.
#[tokio::test(flavor = "multi_thread")]
async fn snapshot_json_includes_agents_and_tasks() {
    let sim = SimCluster::start(SimOptions {
        nodes: 1,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("sim.toml");
    std::fs::write(&cfg, sim.config_toml()).unwrap();
    let mut cmd = bin();
    cmd.args(["snapshot", "--json", "--duration", "3s", "--config"])
        .arg(&cfg);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &v["tasks"];
    assert!(t["events_total"].as_u64().unwrap() > 0, "{t}");
    assert_eq!(t["malformed_total"], 0);
    assert!(
        !t["workers"]["online"].as_array().unwrap().is_empty(),
        "{}",
        t["workers"]
    );
    assert!(
        t["sessions"]["active"].as_u64().unwrap() >= 1,
        "{}",
        t["sessions"]
    );
    let execs = t["executions"].as_array().unwrap();
    assert_eq!(execs.len(), sim.endpoints().exec_ids.len(), "{execs:?}");
    sim.shutdown().await;
}

/// A command that reads no config file (a fresh home), so the built-in defaults apply.
fn bin_without_config(home: &std::path::Path) -> Command {
    let mut cmd = bin();
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"));
    cmd
}

#[test]
fn defaults_nobody_configured_that_do_not_answer_are_not_found_not_down() {
    for port in [8000, 9199] {
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "something answers on 127.0.0.1:{port}; this test needs the built-in default address free"
        );
    }
    let home = tempfile::tempdir().unwrap();
    let out = bin_without_config(home.path())
        .args(["snapshot", "--json", "--duration", "1500ms"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sources = v["sources"].as_array().unwrap();
    for url in [
        "http://localhost:8000/metrics",
        "http://localhost:9199/status",
    ] {
        let s = sources.iter().find(|s| s["url"] == url).expect(url);
        assert_eq!(s["health"]["state"], "not_found", "{s}");
    }
    let nodes = v["nodes"].as_array().unwrap();
    assert!(
        nodes.iter().all(|n| n["health"]["state"] != "down"),
        "{nodes:?}"
    );
    assert_eq!(
        v["alerts"]["firing"].as_array().unwrap().len(),
        0,
        "{}",
        v["alerts"]
    );
    assert_eq!(
        v["alerts"]["pending"].as_array().unwrap().len(),
        0,
        "{}",
        v["alerts"]
    );
    // Said once, quietly: one "not found" line per default, counted once.
    let errors = v["errors"].as_array().unwrap();
    for url in [
        "http://localhost:8000/metrics",
        "http://localhost:9199/status",
    ] {
        let e: Vec<&Value> = errors
            .iter()
            .filter(|e| e["source"].as_str().unwrap().contains(url))
            .collect();
        assert_eq!(e.len(), 1, "{errors:?}");
        assert_eq!(e[0]["kind"], "not_found");
        assert_eq!(e[0]["count"], 1);
    }
}

#[test]
fn only_agent_sources_on_the_command_line_add_no_default_endpoints() {
    let home = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let out = bin_without_config(home.path())
        .args([
            "snapshot",
            "--json",
            "--duration",
            "500ms",
            "--openclaw-sessions",
        ])
        .arg(state.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert!(
        !kinds.contains(&"prometheus") && !kinds.contains(&"status"),
        "{kinds:?}"
    );
    assert_eq!(
        v["alerts"]["firing"].as_array().unwrap().len(),
        0,
        "{}",
        v["alerts"]
    );
}
