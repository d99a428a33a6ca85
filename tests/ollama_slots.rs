//! Servers without `/metrics`, read as a user configures them: an Ollama (`/api/ps`,
//! `/api/tags`) and a llama.cpp server started without `--metrics` (its `/slots`), served on
//! 127.0.0.1 with real answers, through `snapshot --json` and its text.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::Value;

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn find<'a>(v: &'a Value, model: &str) -> &'a Value {
    v["inference"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["model"] == model)
        .unwrap_or_else(|| panic!("no inference entry for {model}: {v:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn ollama_models_and_llamacpp_slots_reach_the_snapshot() {
    let (ps, tags, slots) = (
        fixture("ollama/ps.json"),
        fixture("ollama/tags.json"),
        fixture("llamacpp/slots.json"),
    );
    let ollama = serve(
        Router::new()
            .route("/api/ps", get(move || async move { ps }))
            .route("/api/tags", get(move || async move { tags })),
    )
    .await;
    let llama = serve(
        Router::new()
            .route(
                "/metrics",
                get(|| async {
                    (
                        StatusCode::NOT_IMPLEMENTED,
                        "This server does not support metrics endpoint.",
                    )
                }),
            )
            .route("/slots", get(move || async move { slots })),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("swarmglass.toml");
    std::fs::write(
        &cfg,
        format!(
            "[nvml]\nenabled = false\n\n[[ollama]]\nurl = \"{ollama}\"\nnode = \"ollama-box\"\n\n[[prometheus]]\nurl = \"{llama}/metrics\"\nkind = \"llamacpp\"\nnode = \"llama-box\"\n"
        ),
    )
    .unwrap();
    let run = move |json: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_swarmglass"));
        cmd.args([
            "--no-history",
            "snapshot",
            "--duration",
            "1500ms",
            "--config",
        ])
        .arg(&cfg);
        if json {
            cmd.arg("--json");
        }
        cmd.output().unwrap()
    };
    let out = tokio::task::spawn_blocking(move || (run(true), run(false)))
        .await
        .unwrap();
    let (json, text) = out;
    assert!(
        json.status.success(),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    let qwen = find(&v, "qwen2.5-coder:32b");
    assert_eq!(qwen["node"], "ollama-box");
    assert_eq!(qwen["kind"], "ollama");
    assert_eq!(qwen["loaded"]["vram_bytes"], 20_199_768_064_u64);
    assert_eq!(qwen["loaded"]["installed_models"], 3);
    assert_eq!(qwen["loaded"]["quantization"], "Q4_K_M");
    find(&v, "llama3.1:8b");
    let llama = v["inference"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["node"] == "llama-box")
        .unwrap_or_else(|| panic!("no llama.cpp entry: {v:#}"));
    assert_eq!(llama["slots"]["busy"], 2);
    assert_eq!(llama["slots"]["total"], 4);
    assert_eq!(llama["running"], 2.0);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("loaded: VRAM 18.8 GiB") && text.contains("installed models 3"),
        "{text}"
    );
    assert!(text.contains("slots: 2 busy of 4"), "{text}");
}
