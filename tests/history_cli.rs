//! History as a user meets it: `watch` recording into a data directory, killed with SIGKILL and
//! reopened (nothing corrupt, at most the last flush interval lost), a second process told the
//! store is in use, `history info` and `history export` on what was recorded, and a data
//! directory that cannot be used (one clear error; the command runs on and reports).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use serde_json::Value;
use swarmglass::history::{Retention, Store, unix_ms};

/// The binary with a home of its own (no config file, no D-Bus of the machine's).
fn bin(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_swarmglass"));
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("RUST_LOG");
    cmd
}

/// A vLLM-like /metrics whose token counters grow with every scrape.
async fn growing_vllm() -> String {
    use axum::Router;
    use axum::extract::State;
    use axum::routing::get;

    let served = Arc::new(AtomicUsize::new(0));
    async fn metrics(State(n): State<Arc<AtomicUsize>>) -> String {
        let k = n.fetch_add(1, Ordering::SeqCst) as f64;
        common::vllm_body(1000.0 * k, 400.0 * k, k, 0.0, [k, k, k, k], k)
    }
    let app = Router::new()
        .route("/metrics", get(metrics))
        .with_state(served);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/metrics")
}

/// `watch` on a growing vLLM-like server, recording into `data`.
async fn recording_watch(home: &Path, data: &Path) -> Child {
    let url = growing_vllm().await;
    bin(home)
        .args(["watch", "--no-nvml", "--prometheus", &url, "--data-dir"])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn kill9(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-s", "KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let _ = child.wait();
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_loses_at_most_one_flush_and_a_second_process_is_told_it_is_in_use() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let mut watch = recording_watch(home.path(), &data).await;
    let file = data.join("history.redb");
    // Recording: the crash log is written every 5 s; wait for writes 9 s apart, so at least
    // two flushes after the first have landed.
    let mut writes = Vec::new();
    let recorded = common::tools::wait_until(Duration::from_secs(40), || {
        if let Some(m) = modified(&file)
            && writes.last() != Some(&m)
        {
            writes.push(m);
        }
        match (writes.first(), writes.last()) {
            (Some(a), Some(b)) => {
                b.duration_since(*a).unwrap_or_default() >= Duration::from_secs(9)
            }
            _ => false,
        }
    })
    .await;
    assert!(recorded, "watch never recorded: {writes:?}");

    // A second process on the same directory: a clear error, not a corrupted store.
    let second = bin(home.path())
        .args(["history", "info", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{err}");
    assert!(err.contains("in use by another Swarmglass"), "{err}");

    let killed_at = SystemTime::now();
    kill9(&mut watch);

    // Reopened: readable, and the newest point is at most the flush interval (5 s) plus one
    // tick (1 s) and a little scheduling before the kill.
    let store = Store::open(&data, Retention::default()).expect("the store opens after kill -9");
    let info = store.info();
    let newest = info.newest_ms.expect("points were recorded");
    let lost_ms = unix_ms(killed_at) - newest;
    assert!(lost_ms <= 6_500, "lost {lost_ms} ms: {info:?}");
    assert!(info.series > 5, "{info:?}");
    drop(store);

    // What a user reads back.
    let out = bin(home.path())
        .args(["history", "info", "--json", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["series"].as_u64(), Some(info.series as u64));
    let out = bin(home.path())
        .args([
            "history",
            "export",
            "--since",
            "10m",
            "--format",
            "csv",
            "--match",
            "^server_kv_cache_pct",
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("series,unix_ms,value"));
    let rows: Vec<&str> = lines.collect();
    assert!(rows.len() >= 3, "{csv}");
    for row in rows {
        assert!(row.starts_with("\"server_kv_cache_pct{"), "{row}");
        assert!(row.ends_with(",25"), "KV cache is 25 %: {row}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unusable_data_dir_is_one_error_and_snapshot_still_reports() {
    let home = tempfile::tempdir().unwrap();
    // A file where the directory should be: no permission trick (tests may run as root).
    let not_a_dir = home.path().join("file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let url = growing_vllm().await;
    let out = bin(home.path())
        .args([
            "snapshot",
            "--json",
            "--no-nvml",
            "--duration",
            "3s",
            "--prometheus",
            &url,
            "--data-dir",
        ])
        .arg(&not_a_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let source = v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["url"] == url.as_str())
        .unwrap();
    assert_eq!(source["health"]["state"], "up", "{v}");
    let errors = v["errors"].as_array().unwrap();
    let history: Vec<&Value> = errors.iter().filter(|e| e["source"] == "history").collect();
    assert_eq!(history.len(), 1, "{errors:?}");
    let msg = history[0]["last_message"].as_str().unwrap();
    assert!(msg.contains("cannot use the data directory"), "{msg}");
    assert!(msg.contains("a file, not a directory"), "{msg}");
    assert!(
        msg.contains("--data-dir") && msg.contains("--no-history"),
        "{msg}"
    );
    assert_eq!(history[0]["count"], 1, "said once");
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_stopped_by_sigterm_flushes_its_history_and_exits_0() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let mut watch = recording_watch(home.path(), &data).await;
    let file = data.join("history.redb");
    // Past the first crash-log write, then stopped between two of them.
    let started =
        common::tools::wait_until(Duration::from_secs(30), || modified(&file).is_some()).await;
    assert!(started, "watch never opened its history");
    let recorded = common::tools::wait_until(Duration::from_secs(30), || {
        Store::open(&data, Retention::default()).is_err() // held: still recording
            && modified(&file)
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age >= Duration::from_secs(2))
    })
    .await;
    assert!(recorded, "no quiet moment between two flushes");
    let stopped_at = SystemTime::now();
    let status = Command::new("kill")
        .args(["-s", "TERM", &watch.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || {
        let status = watch.wait().unwrap();
        (status, watch.stderr.take())
    })
    .await
    .unwrap();
    assert_eq!(out.0.code(), Some(0), "watch exits 0 on SIGTERM");
    let store = Store::open(&data, Retention::default()).unwrap();
    let newest = store.info().newest_ms.unwrap();
    let lost_ms = unix_ms(stopped_at) - newest;
    assert!(
        lost_ms <= 1_500,
        "a clean stop flushes everything recorded (lost {lost_ms} ms)"
    );
}
