//! `swarmglass agent` as an operator runs it: a real process on 127.0.0.1, a bearer token from
//! an environment variable, an exposition `promtool check metrics` passes (the GPU families
//! too, through the same writer), and a window's `snapshot` reading it: the node named by the
//! agent's host name, its host figures, the server kind `agent`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

struct Agent {
    child: Child,
    url: String,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(token: &str) -> Agent {
    let mut child = Command::new(env!("CARGO_BIN_EXE_swarmglass"))
        .args([
            "agent",
            "--listen",
            "127.0.0.1:0",
            "--token-env",
            "AGENT_TOKEN",
        ])
        .env("AGENT_TOKEN", token)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("swarmglass agent serving ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    Agent { child, url }
}

async fn get(url: &str, token: Option<&str>) -> (u16, String) {
    let client = reqwest::Client::new();
    let mut rb = client.get(url);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    let r = rb.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn promtool_check(text: &str) {
    if !common::tools::require("promtool", "prometheus") {
        return;
    }
    let mut p = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    p.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = p.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics found problems:\n{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_serves_checked_metrics_behind_its_token_and_a_window_reads_them() {
    let agent = start("s3cret");
    let (status, body) = get(&agent.url, None).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("bearer token"), "{body}");
    let (status, _) = get(&agent.url, Some("wrong")).await;
    assert_eq!(status, 401);
    let (status, body) = get(&agent.url, Some("s3cret")).await;
    assert_eq!(status, 200);
    assert!(body.contains("swarmglass_agent_nvml_up "), "{body}");
    assert!(
        body.contains("swarmglass_host_memory_total_bytes "),
        "{body}"
    );
    promtool_check(&body);

    // A window reads it as any target: through `snapshot`.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("swarmglass.toml");
    std::fs::write(
        &cfg,
        format!(
            "[nvml]\nenabled = false\n\n[[prometheus]]\nurl = \"{}\"\nbearer_token_env = \"AGENT_TOKEN\"\n",
            agent.url
        ),
    )
    .unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_swarmglass"))
            .args([
                "--no-history",
                "snapshot",
                "--json",
                "--duration",
                "2500ms",
                "--config",
            ])
            .arg(&cfg)
            .env("AGENT_TOKEN", "s3cret")
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
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let src = &v["sources"][0];
    assert_eq!(src["server_kind"], "agent", "{v:#}");
    assert_eq!(src["health"]["state"], "up", "{v:#}");
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let node = &v["nodes"][0];
    assert_eq!(
        node["name"],
        hostname.trim(),
        "named by the agent's host name: {v:#}"
    );
    assert!(
        node["host"]["mem_pct"]
            .as_f64()
            .is_some_and(|p| p > 0.0 && p < 100.0),
        "{v:#}"
    );
    assert!(
        node["host"]["cpu_pct"]
            .as_f64()
            .is_some_and(|p| (0.0..=100.0).contains(&p)),
        "{v:#}"
    );
}

#[test]
fn the_gpu_families_pass_promtool_too() {
    use swarmglass::model::gpu::{GpuProcess, GpuSample};
    use swarmglass::sources::agent_metrics::{AgentReading, HostReading, render};
    let gpu = |i: u32, mig: Option<&str>| GpuSample {
        index: Some(i),
        uuid: Some(format!("GPU-{i}")),
        name: Some("NVIDIA H200".into()),
        mig: mig.map(str::to_owned),
        util_pct: Some(42.0),
        mem_used_bytes: Some(1 << 34),
        mem_total_bytes: Some(141 << 30),
        temp_c: Some(55.0),
        power_w: Some(300.0),
        power_limit_w: Some(700.0),
        sm_clock_mhz: Some(1980.0),
        mem_clock_mhz: Some(3201.0),
        fan_pct: None,
        processes: vec![GpuProcess {
            pid: 100 + i,
            used_bytes: Some(1 << 33),
            name: Some("python3".into()),
            server: Some("vllm".into()),
            model: Some("meta-llama/Llama-3.1-8B-Instruct".into()),
        }],
    };
    let text = render(&AgentReading {
        version: "0.1.0".into(),
        hostname: "gpu-a".into(),
        gpus: Ok(vec![gpu(0, None), gpu(1, Some("MIG 1g.18gb #0"))]),
        host: HostReading::default(),
    });
    assert!(text.contains("swarmglass_gpu_process_memory_bytes{gpu=\"1\",uuid=\"GPU-1\",mig=\"MIG 1g.18gb #0\",pid=\"101\",process=\"python3\",server=\"vllm\",model=\"meta-llama/Llama-3.1-8B-Instruct\"} 8589934592"), "{text}");
    promtool_check(&text);
}
