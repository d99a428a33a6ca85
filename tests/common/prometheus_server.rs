//! A real Prometheus server (Debian's `prometheus`, 2.42) for the tests: started on a free
//! 127.0.0.1 port with the scrape config given, its data in a temporary directory, stopped
//! with SIGTERM when dropped.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::tools;

/// A running Prometheus.
pub struct PrometheusServer {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    _dir: tempfile::TempDir,
}

impl PrometheusServer {
    /// Start Prometheus scraping `scrape_configs` (YAML, the list under `scrape_configs:`) every
    /// `interval`. `None` when it is not installed outside CI (the caller returns: the test is
    /// skipped visibly); panics when it cannot start.
    pub fn start(scrape_configs: &str, interval: Duration) -> Option<Self> {
        if !tools::require("prometheus", "prometheus") {
            return None;
        }
        let dir = tempfile::tempdir().expect("temporary directory");
        let config = dir.path().join("prometheus.yml");
        let secs = interval.as_secs_f64();
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: {secs}s\n  evaluation_interval: {secs}s\nscrape_configs:\n{scrape_configs}"
            ),
        )
        .expect("write prometheus.yml");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus");
        let server = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let ready = format!("{}/-/ready", server.url);
        assert!(
            tools::wait_until_blocking(Duration::from_secs(30), || {
                std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() && ureq_get_ok(&ready)
            }),
            "prometheus did not become ready on {}",
            server.url
        );
        Some(server)
    }
}

/// A blocking GET that says whether the answer was 200 (std only: no client in a Drop path).
fn ureq_get_ok(url: &str) -> bool {
    use std::io::{Read as _, Write as _};
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let Ok(mut s) = std::net::TcpStream::connect(host) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if write!(s, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    s.read(&mut buf).is_ok_and(|n| {
        buf[..n].starts_with(b"HTTP/1.0 200") || buf[..n].starts_with(b"HTTP/1.1 200")
    })
}

impl Drop for PrometheusServer {
    fn drop(&mut self) {
        // SIGTERM: Prometheus shuts down cleanly; wait for it so no process outlives the test.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}
