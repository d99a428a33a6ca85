//! A real `redis-server` for the tests: started on a free 127.0.0.1 port with no persistence,
//! killed on drop. Without the binary a test is skipped with a reason, except under `CI=true`,
//! where that is a failure (`.ci/run` installs it).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A redis-server child process; killed on drop.
pub struct RedisServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// True when redis-server can run here; otherwise explains why the test is skipped (or fails
/// under CI=true).
pub fn redis_available() -> bool {
    let ok = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "redis-server is not installed, and CI=true: install it (apt-get install -y redis-server)"
        );
        eprintln!(
            "SKIPPED: redis-server is not installed (apt-get install -y redis-server to run this test)"
        );
    }
    ok
}

impl RedisServer {
    pub async fn start(port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let server = Self {
            child,
            port,
            _dir: dir,
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut c) = server.client().await
                && redis::cmd("PING")
                    .query_async::<String>(&mut c)
                    .await
                    .is_ok_and(|p| p == "PONG")
            {
                return server;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "redis-server did not answer PING on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub async fn client(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        redis::Client::open(self.url())?
            .get_multiplexed_async_connection()
            .await
    }

    pub fn kill(&mut self) {
        if let Err(e) = self.child.kill() {
            eprintln!("redis-server already gone: {e}");
        }
        if let Err(e) = self.child.wait() {
            eprintln!("cannot reap redis-server: {e}");
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
