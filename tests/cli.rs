//! The binary as a user runs it: `snapshot --json` against a simulated cluster, `metrics check`
//! on good and bad files, and config errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use serde_json::Value;
use swarmglass::sim::{Fault, SimCluster, SimOptions};

/// The binary, recording no history (tests/history_cli.rs covers that, in its own directory):
/// tests run side by side, and one store admits one process.
fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_swarmglass"));
    cmd.arg("--no-history");
    cmd
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

/// Bodies a webhook receiver got.
type Received = std::sync::Arc<std::sync::Mutex<Vec<Value>>>;

/// A webhook receiver on 127.0.0.1 that keeps every JSON body POSTed to `/hook/s3cr3t-token`;
/// returns its URL (whose path is the secret) and the bodies.
async fn webhook_receiver() -> (String, Received) {
    use axum::Router;
    use axum::extract::State;
    use axum::routing::post;

    let received = Received::default();
    async fn hook(State(r): State<Received>, body: axum::body::Bytes) -> &'static str {
        r.lock()
            .unwrap()
            .push(serde_json::from_slice(&body).unwrap());
        "ok"
    }
    let app = Router::new()
        .route("/hook/s3cr3t-token", post(hook))
        .with_state(std::sync::Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!(
        "http://{}/hook/s3cr3t-token",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (hook_url, received)
}

/// `watch` with no window: an overheating simulated GPU fires `gpu_temp_high` once, it is printed,
/// and the generic JSON webhook receives it.
#[tokio::test(flavor = "multi_thread")]
async fn watch_fires_an_alert_and_calls_the_webhook() {
    let (hook_url, received) = webhook_receiver().await;

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
fn with_no_config_this_machine_is_searched_and_what_is_missing_is_said_once() {
    for port in [8000, 9199] {
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "something answers on 127.0.0.1:{port}; this test needs the well-known address free"
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
    // Nothing that did not answer became a source: no guessed URL is "down".
    let sources = v["sources"].as_array().unwrap();
    assert!(
        sources
            .iter()
            .all(|s| s["url"] != "http://localhost:8000/metrics"
                && s["url"] != "http://localhost:9199/status"),
        "{sources:?}"
    );
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
    // Said once, quietly: one discovery line naming what was looked for and not found.
    let errors = v["errors"].as_array().unwrap();
    let notes: Vec<&Value> = errors
        .iter()
        .filter(|e| e["source"] == "discovery")
        .collect();
    assert_eq!(notes.len(), 1, "{errors:?}");
    let msg = notes[0]["last_message"].as_str().unwrap();
    for said in [
        "no config file, so this machine was searched",
        "vLLM at localhost:8000",
        "the smart proxy (/status) at localhost:9199",
        "swarmglass discover",
    ] {
        assert!(msg.contains(said), "{said:?} not in {msg}");
    }
    assert_eq!(notes[0]["count"], 1);
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

/// Serve WebSockets on 127.0.0.1 for `snapshot`: a Nexus monitor connection gets `event`, an
/// execution-log connection gets `log`; both are then held open. Returns `ws://127.0.0.1:PORT`.
async fn ws_server(event: String, log: String) -> String {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let (event, log) = (event.clone(), log.clone());
            tokio::spawn(async move {
                let path = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
                let seen = std::sync::Arc::clone(&path);
                #[allow(clippy::result_large_err)]
                let cb = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
                    *seen.lock().unwrap() = req.uri().path().to_owned();
                    Ok(resp)
                };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(sock, cb).await else {
                    return;
                };
                let frame = if path.lock().unwrap().contains("/ws/executions/") {
                    log
                } else {
                    event
                };
                if ws.send(Message::text(frame)).await.is_ok() {
                    while let Some(Ok(_)) = ws.next().await {}
                }
            });
        }
    });
    format!("ws://{addr}")
}

const EXEC_ID: &str = "3f2b8c1e-9a4d-4e2f-8b7a-1c2d3e4f5a6b";

/// A Nexus event `ts`, an execution-log `timestamp` and a tool-proxy log line from 1960: the
/// snapshot (JSON and text) still prints every source, and shows each such time as
/// "invalid time" — never a panic that loses everything.
#[tokio::test(flavor = "multi_thread")]
async fn times_before_1970_are_shown_as_invalid_never_a_crash() {
    let event = r#"{"event_id":"e-old","ts":"1960-01-01T00:00:00Z","event_type":"task_completed","project_id":"p1","task_id":"t1","worker_id":1,"duration_ms":250}"#;
    let log = format!(
        r#"{{"id":"l-old","execution_id":"{EXEC_ID}","step_name":"s","step_type":"api_call","input_data":{{}},"output_data":{{}},"duration_ms":10,"timestamp":"1960-01-01T00:00:00.000000","error_message":null,"level":"info"}}"#
    );
    let base = ws_server(event.to_owned(), log).await;
    let dir = tempfile::tempdir().unwrap();
    let proxy_log = dir.path().join("proxy.log");
    std::fs::write(
        &proxy_log,
        // Each header completes the record before it (a record may have continuation lines),
        // so the first poll completes two; the third waits for the next poll, which a 2 s
        // snapshot may not reach (the log is polled every 2 s ± 10 %).
        "1960-01-01 00:00:00,000 ERROR: tool call parse failed: invalid JSON in arguments\n\
         1960-01-01 00:00:01,000 INFO: next\n\
         1960-01-01 00:00:02,000 INFO: last\n",
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    for json in [true, false] {
        let mut cmd = bin_without_config(home.path());
        cmd.args(["snapshot", "--duration", "2s", "--nexus-ws", &base])
            .arg("--exec-logs")
            .arg(format!("{base}/ws/executions/{EXEC_ID}/logs"))
            .arg("--tool-proxy-log")
            .arg(&proxy_log);
        if json {
            cmd.arg("--json");
        }
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{stderr}");
        if json {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            let t = &v["tasks"];
            assert!(!v.to_string().contains("1960"), "{v}");
            assert_eq!(t["events_total"], 1, "the 1960 event counts: {t}");
            assert_eq!(t["recent_events"][0]["at"], "invalid time", "{t}");
            let exec = &t["executions"][0];
            assert_eq!(exec["lines"], 1, "{exec}");
            assert_eq!(exec["last_log_at"], "invalid time", "{exec}");
            let proxy = &t["tool_proxy"];
            let records = proxy["records_total"].as_u64();
            assert!(matches!(records, Some(2 | 3)), "{proxy}");
            assert_eq!(proxy["recent_errors"][0]["at"], "invalid time", "{proxy}");
        } else {
            assert!(stdout.contains("Cluster:"), "{stdout}");
            assert!(!stdout.contains("1960"), "{stdout}");
        }
    }
}

/// A port nothing listens on.
fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Every kind of URL source, each with a password (and a user) in its URL, on a dead port: the
/// URLs show up in ids, health reasons, error messages, alert messages, log lines and webhook
/// payloads — with `***` for the user and password, never the password.
#[tokio::test(flavor = "multi_thread")]
async fn no_password_in_a_url_is_shown_logged_or_sent() {
    let dead = format!("127.0.0.1:{}", dead_port());
    let sources = [
        ("--prometheus", format!("http://user:secret@{dead}/metrics")),
        ("--status", format!("http://user:secret@{dead}/status")),
        ("--nexus-ws", format!("ws://u:secret@{dead}")),
        (
            "--exec-logs",
            format!("ws://u:secret@{dead}/ws/executions/{EXEC_ID}/logs"),
        ),
        ("--nexus-redis", format!("redis://:secret@{dead}")),
        ("--openclaw-gateway", format!("http://u:secret@{dead}")),
    ];
    let (hook_url, received) = webhook_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("alerts.toml");
    std::fs::write(
        &cfg,
        "[nvml]\nenabled = false\n[alerts]\ndesktop = false\n[alerts.rules.source_unreachable]\nfor = \"0s\"\n[[alerts.webhook]]\nkind = \"json\"\nurl_env = \"TEST_HOOK_URL\"\n[[alerts.webhook]]\nkind = \"slack\"\nurl_env = \"TEST_HOOK_URL\"\n",
    )
    .unwrap();
    let runs: [&[&str]; 3] = [
        &["snapshot", "--json", "--duration", "2s"],
        &["snapshot", "--duration", "2s"],
        &["watch", "--duration", "3s"],
    ];
    for args in runs {
        let mut cmd = bin();
        cmd.args(args)
            .arg("--config")
            .arg(&cfg)
            .env("TEST_HOOK_URL", &hook_url)
            // Every log line the program writes, down to debug.
            .env("RUST_LOG", "debug");
        for (flag, url) in &sources {
            cmd.args([flag, url.as_str()]);
        }
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert!(!text.contains("secret"), "{args:?} {what}:\n{text}");
        }
        // The URLs are shown, without their userinfo.
        for shown in [
            format!("http://***@{dead}/metrics"),
            format!("http://***@{dead}/status"),
        ] {
            assert!(stdout.contains(&shown), "{args:?}: {shown} in\n{stdout}");
        }
        if args[0] == "snapshot" {
            for shown in [
                format!("ws://***@{dead}"),
                format!("ws://***@{dead}/ws/executions/{EXEC_ID}/logs"),
                format!("redis://***@{dead}"),
            ] {
                assert!(stdout.contains(&shown), "{args:?}: {shown} in\n{stdout}");
            }
        }
    }
    let bodies = received.lock().unwrap().clone();
    assert!(
        bodies.len() >= 2,
        "source_unreachable fired to both webhooks: {bodies:?}"
    );
    let all = serde_json::to_string(&bodies).unwrap();
    assert!(!all.contains("secret"), "{all}");
    assert!(all.contains(&format!("***@{dead}")), "{all}");
}

/// Errors that end the command name the URL without its password: a rejected flag and a
/// `metrics check` that cannot connect.
#[test]
fn errors_name_urls_without_their_password() {
    let home = tempfile::tempdir().unwrap();
    let dead = format!("127.0.0.1:{}", dead_port());
    let runs: [(Vec<String>, String); 2] = [
        (
            vec![
                "snapshot".into(),
                "--prometheus".into(),
                "ftp://u:secret@h/metrics".into(),
            ],
            "ftp://***@h/metrics".into(),
        ),
        (
            vec![
                "metrics".into(),
                "check".into(),
                format!("http://u:secret@{dead}/metrics"),
            ],
            format!("http://***@{dead}/metrics"),
        ),
    ];
    for (args, shown) in runs {
        let out = bin_without_config(home.path())
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(&shown), "{args:?}: {stderr}");
        assert!(!stderr.contains("secret"), "{args:?}: {stderr}");
    }
}
