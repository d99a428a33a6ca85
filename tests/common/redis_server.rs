//! A real `redis-server` for the tests: started on a free 127.0.0.1 port with no persistence,
//! killed on drop. Without the binary a test is skipped visibly, except under CI, where that is
//! a failure (`.ci/run` installs it); the rule lives in [`super::tools`].

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

/// True when redis-server is installed; otherwise the test is skipped visibly, or fails under
/// CI (see [`super::tools::require`]).
pub fn redis_available() -> bool {
    super::tools::require("redis-server", "redis-server")
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
