//! How the binary ends when its reader or its operator goes away: a closed stdout
//! (`| head -1`) ends `metrics check`, `snapshot` and `watch` quietly with the exit code they
//! would have had; SIGINT and SIGTERM make `snapshot` print what it gathered and `watch` stop
//! cleanly (exit 0), a hanging webhook delays that by at most its timeout, and a second signal
//! ends the process at once. Real processes, real pipes, real signals (sent with `kill`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Kill a child still running after this long: nothing here may hang.
const CHILD_TIMEOUT: Duration = Duration::from_secs(60);

fn bin(home: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_swarmglass"));
    // No config file of the machine's, no D-Bus: only what the test gives.
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("RUST_LOG");
    cmd
}

/// A stdout whose reader has already gone: every write to it fails with EPIPE.
fn closed_stdout() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Stdio::from(writer)
}

/// A port nothing listens on.
fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Wait for `child` to end within `within`, killing it (and failing) otherwise.
fn wait_for_exit(child: &mut Child, within: Duration, what: &str) -> ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _killed = child.kill();
            let _reaped = child.wait();
            panic!("{what} did not end within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Wait for `child` to end and collect what it wrote (stdout and stderr must be piped).
fn finish(mut child: Child, within: Duration, what: &str) -> Output {
    wait_for_exit(&mut child, within, what);
    child.wait_with_output().unwrap()
}

/// True once `pid` catches SIGINT and SIGTERM (their bits in `SigCgt` of /proc/PID/status):
/// from then on a signal is the program's to handle, not a kill.
fn catches_int_and_term(pid: u32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    let Some(mask) = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
    else {
        return false;
    };
    let bit = |signal: u32| 1_u64 << (signal - 1);
    mask & bit(2) != 0 && mask & bit(15) != 0
}

/// Send `signal` (`INT`, `TERM`) to `pid` with `kill(1)`.
fn send(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -s {signal} {pid}: {status}");
}

fn assert_quiet(what: &str, stderr: &[u8]) {
    let stderr = String::from_utf8_lossy(stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{what}: {stderr}"
    );
}

/// A config where an unreachable source fires at once, no desktop notifications, and a JSON
/// webhook from $TEST_HOOK_URL when `webhook_timeout` is given.
fn alert_config(dir: &std::path::Path, webhook_timeout: Option<&str>) -> std::path::PathBuf {
    let mut text = "[nvml]\nenabled = false\n[alerts]\ndesktop = false\n[alerts.rules.source_unreachable]\nfor = \"0s\"\n".to_owned();
    if let Some(t) = webhook_timeout {
        text.push_str(&format!(
            "[[alerts.webhook]]\nkind = \"json\"\nurl_env = \"TEST_HOOK_URL\"\ntimeout = \"{t}\"\ntries = 1\n"
        ));
    }
    let path = dir.join("swarmglass.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_closed_stdout_ends_metrics_check_quietly_with_its_own_exit_code() {
    let home = tempfile::tempdir().unwrap();
    let good = format!(
        "{}/tests/fixtures/prometheus/datadog__vllm_metrics.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let bad = home.path().join("bad.prom");
    std::fs::write(&bad, "ok_metric 1\nbroken{label=\"x\" 2\n").unwrap();
    for (file, code) in [(good.as_str(), 0), (bad.to_str().unwrap(), 1)] {
        for json in [false, true] {
            let mut cmd = bin(home.path());
            cmd.args(["metrics", "check", file]);
            if json {
                cmd.arg("--json");
            }
            let out = cmd
                .stdout(closed_stdout())
                .stderr(Stdio::piped())
                .output()
                .unwrap();
            let what = format!("metrics check {file} json={json}");
            assert_eq!(out.status.code(), Some(code), "{what}");
            assert_quiet(&what, &out.stderr);
            assert!(out.stderr.is_empty(), "{what}: nothing to say");
        }
    }
}

#[test]
fn a_closed_stdout_ends_snapshot_quietly() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/metrics", dead_port());
    for json in [false, true] {
        let mut cmd = bin(home.path());
        cmd.args([
            "snapshot",
            "--no-nvml",
            "--duration",
            "300ms",
            "--prometheus",
        ])
        .arg(&url);
        if json {
            cmd.arg("--json");
        }
        let child = cmd
            .stdout(closed_stdout())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = finish(child, CHILD_TIMEOUT, "snapshot");
        assert_eq!(out.status.code(), Some(0), "json={json}");
        assert_quiet("snapshot", &out.stderr);
    }
}

/// `watch` has no end of its own: the first transition it cannot write (nobody reads) ends it.
#[test]
fn a_closed_stdout_ends_watch_at_its_first_line() {
    let home = tempfile::tempdir().unwrap();
    let cfg = alert_config(home.path(), None);
    let url = format!("http://127.0.0.1:{}/metrics", dead_port());
    let child = bin(home.path())
        .args(["watch", "--prometheus", &url, "--config"])
        .arg(&cfg)
        .stdout(closed_stdout())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish(child, CHILD_TIMEOUT, "watch with a closed stdout");
    assert_eq!(out.status.code(), Some(0));
    assert_quiet("watch", &out.stderr);
}

/// A /metrics server that counts the scrapes it answered.
async fn counted_metrics() -> (String, Arc<AtomicUsize>) {
    use axum::Router;
    use axum::extract::State;
    use axum::routing::get;

    let served = Arc::new(AtomicUsize::new(0));
    async fn metrics(State(n): State<Arc<AtomicUsize>>) -> String {
        n.fetch_add(1, Ordering::SeqCst);
        common::vllm_body(100.0, 50.0, 3.0, 0.0, [1.0, 2.0, 3.0, 3.0], 2.0)
    }
    let app = Router::new()
        .route("/metrics", get(metrics))
        .with_state(Arc::clone(&served));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/metrics"), served)
}

/// Interrupted long before its `--duration`, `snapshot` prints what it gathered (the scraped
/// server, up, with its samples) and exits 0 — for SIGINT (Ctrl-C) and SIGTERM alike.
#[tokio::test(flavor = "multi_thread")]
async fn snapshot_interrupted_prints_what_it_gathered() {
    let (url, served) = counted_metrics().await;
    for signal in ["INT", "TERM"] {
        let home = tempfile::tempdir().unwrap();
        let before = served.load(Ordering::SeqCst);
        let child = bin(home.path())
            .args([
                "snapshot",
                "--json",
                "--no-nvml",
                "--duration",
                "10min",
                "--prometheus",
                &url,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let scraped = common::tools::wait_until(Duration::from_secs(20), || {
            served.load(Ordering::SeqCst) > before && catches_int_and_term(pid)
        })
        .await;
        assert!(scraped, "snapshot never scraped the server");
        send(signal, pid);
        let started = Instant::now();
        let out = tokio::task::spawn_blocking(move || {
            finish(child, Duration::from_secs(10), "interrupted snapshot")
        })
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "SIG{signal}: {stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "SIG{signal}: ended after {:?}",
            started.elapsed()
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "SIG{signal}: no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        let source = v["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["url"] == url.as_str())
            .unwrap_or_else(|| panic!("SIG{signal}: {url} in {v}"));
        assert_eq!(source["health"]["state"], "up", "SIG{signal}: {source}");
        assert!(
            source["samples"].as_u64().unwrap() > 0,
            "SIG{signal}: {source}"
        );
    }
}

/// `watch` (no `--duration`: it runs until stopped) ends cleanly on SIGINT and SIGTERM: exit 0,
/// with the transitions it saw printed.
#[test]
fn watch_stops_cleanly_on_a_signal() {
    for signal in ["INT", "TERM"] {
        let home = tempfile::tempdir().unwrap();
        let cfg = alert_config(home.path(), None);
        let url = format!("http://127.0.0.1:{}/metrics", dead_port());
        let mut child = bin(home.path())
            .args(["watch", "--prometheus", &url, "--config"])
            .arg(&cfg)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        assert!(
            common::tools::wait_until_blocking(Duration::from_secs(20), || catches_int_and_term(
                pid
            )),
            "watch never set up its signal handlers"
        );
        send(signal, pid);
        let status = wait_for_exit(&mut child, Duration::from_secs(10), "watch after a signal");
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            status.code(),
            Some(0),
            "SIG{signal}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_quiet("watch", &out.stderr);
    }
}

/// A webhook receiver that accepts connections and never answers; counts connections.
async fn hanging_webhook() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let n = Arc::clone(&accepted);
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            n.fetch_add(1, Ordering::SeqCst);
            held.push(sock);
        }
    });
    (format!("http://{addr}/hook/s3cr3t"), accepted)
}

/// Start `watch` with an alert that fires at once and a webhook that hangs (`timeout`), and
/// return it once the delivery is under way.
async fn watch_with_a_hanging_delivery(home: &std::path::Path, timeout: &str) -> Child {
    let (hook, accepted) = hanging_webhook().await;
    let cfg = alert_config(home, Some(timeout));
    let url = format!("http://127.0.0.1:{}/metrics", dead_port());
    let child = bin(home)
        .args(["watch", "--prometheus", &url, "--config"])
        .arg(&cfg)
        .env("TEST_HOOK_URL", hook)
        // The signal thread says when it has seen a signal.
        .env("RUST_LOG", "warn,swarmglass::signals=info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let hanging = common::tools::wait_until(Duration::from_secs(20), || {
        accepted.load(Ordering::SeqCst) > 0 && catches_int_and_term(pid)
    })
    .await;
    assert!(hanging, "the alert was never delivered to the webhook");
    child
}

/// A delivery that hangs delays the end by at most the webhook's timeout (2 s here), never
/// longer, and the end is still clean.
#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_webhook_delays_the_end_by_at_most_its_timeout() {
    let home = tempfile::tempdir().unwrap();
    let mut child = watch_with_a_hanging_delivery(home.path(), "2s").await;
    send("TERM", child.id());
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        let s = wait_for_exit(&mut child, CHILD_TIMEOUT, "watch with a hanging webhook");
        (s, child.wait_with_output().unwrap())
    })
    .await
    .unwrap();
    let took = started.elapsed();
    assert_eq!(
        status.0.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.1.stderr)
    );
    assert!(
        took < Duration::from_millis(3500),
        "a 2 s webhook timeout held the end for {took:?}"
    );
}

/// Ctrl-C twice: while `watch` waits for a slow delivery (30 s timeout), a second signal ends
/// the process at once, with the shell's code for the signal.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_signal_ends_the_process_at_once() {
    let home = tempfile::tempdir().unwrap();
    let mut child = watch_with_a_hanging_delivery(home.path(), "30s").await;
    let pid = child.id();
    let stderr = Arc::new(std::sync::Mutex::new(String::new()));
    let mut pipe = child.stderr.take().unwrap();
    let text = Arc::clone(&stderr);
    std::thread::spawn(move || {
        use std::io::Read as _;
        let mut buf = [0_u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            text.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    send("INT", pid);
    // Two signals before the first is handled would be seen as one: wait until it is.
    let seen = common::tools::wait_until(Duration::from_secs(10), || {
        stderr.lock().unwrap().contains("SIGINT: stopping")
    })
    .await;
    assert!(
        seen,
        "the first signal was not seen: {}",
        stderr.lock().unwrap()
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "ended at the first signal"
    );
    send("INT", pid);
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        wait_for_exit(
            &mut child,
            Duration::from_secs(10),
            "watch after two signals",
        )
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(started.elapsed() < Duration::from_secs(2));
}
