//! `swarmglass discover HOST…` as a user runs it against real answers on 127.0.0.1: a
//! simulated vLLM node and smart proxy, an Ollama, a llama.cpp without `/metrics`, a web server
//! that is none of these and a port where nothing listens — each identified by what it
//! answers, and the config it prints loads.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use swarmglass::model::scrape::ServerKind;
use swarmglass::sim::{SimCluster, SimOptions};

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr.to_string()
}

fn host_port(url: &str) -> String {
    url.trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_identifies_each_service_by_its_answer_and_prints_a_config_that_loads() {
    let sim = SimCluster::start(SimOptions {
        nodes: 1,
        agents: false,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let vllm = host_port(&sim.endpoints().nodes[0].metrics_url);
    let proxy = host_port(&sim.endpoints().status_url);
    let ollama =
        serve(Router::new().route("/api/tags", get(|| async { r#"{"models":[]}"# }))).await;
    let llama = serve(
        Router::new()
            .route(
                "/metrics",
                get(|| async { (StatusCode::NOT_IMPLEMENTED, "metrics not supported") }),
            )
            .route(
                "/slots",
                get(|| async { r#"[{"id":0,"is_processing":true}]"# }),
            ),
    )
    .await;
    let web = serve(Router::new().route("/metrics", get(|| async { "go_goroutines 7\n" }))).await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let hosts = [&vllm, &proxy, &ollama, &llama, &web, &dead].map(|h| h.to_string());
    let args = hosts.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_swarmglass"))
            .arg("discover")
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let cfg = swarmglass::config::from_toml_str(&text, &|_| None).unwrap();
    let targets: Vec<(String, Option<ServerKind>)> = cfg
        .prometheus
        .iter()
        .map(|t| (t.url.clone(), t.kind))
        .collect();
    assert_eq!(
        targets,
        vec![
            (format!("http://{vllm}/metrics"), Some(ServerKind::Vllm)),
            (
                format!("http://{llama}/metrics"),
                Some(ServerKind::Llamacpp)
            ),
        ],
        "{text}"
    );
    assert_eq!(
        cfg.status[0].url,
        format!("http://{proxy}/status"),
        "{text}"
    );
    assert_eq!(cfg.ollama[0].url, format!("http://{ollama}"), "{text}");
    assert!(
        text.contains(&format!(
            "#   {web}: /metrics answered, but not as any service Swarmglass reads"
        )),
        "{text}"
    );
    assert!(text.contains(&format!("#   {dead}: ")), "{text}");
    sim.shutdown().await;
}
