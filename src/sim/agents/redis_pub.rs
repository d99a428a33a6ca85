//! Publishing the swarm's events to Redis the way Nexus does (DATA-SOURCES §5): every event on
//! `nexus:events`, stats copies on `nexus:events:stats`, project events on
//! `nexus:events:project:{id}`, and each worker's `nexus:worker:heartbeat:{id}` key refreshed
//! with a 30 s TTL on its heartbeats (deleted when it stops). A Redis that is down only costs the
//! events published meanwhile; the connection is retried every 2 s. On shutdown the heartbeat
//! keys are deleted.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use super::{Hub, Published};

/// TTL of a worker heartbeat key, seconds (upstream: 30).
pub const HEARTBEAT_TTL_S: u64 = 30;
/// Prefix of worker heartbeat keys.
pub const HEARTBEAT_PREFIX: &str = "nexus:worker:heartbeat:";

const RETRY_AFTER: Duration = Duration::from_secs(2);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

struct Publisher {
    client: redis::Client,
    url: String,
    conn: Option<redis::aio::MultiplexedConnection>,
    retry_at: Option<Instant>,
    failing: bool,
}

impl Publisher {
    async fn connection(&mut self) -> Option<&mut redis::aio::MultiplexedConnection> {
        if self.conn.is_none() {
            if self.retry_at.is_some_and(|t| Instant::now() < t) {
                return None;
            }
            let cfg = redis::AsyncConnectionConfig::new()
                .set_connection_timeout(Some(COMMAND_TIMEOUT))
                .set_response_timeout(Some(COMMAND_TIMEOUT));
            match self
                .client
                .get_multiplexed_async_connection_with_config(&cfg)
                .await
            {
                Ok(c) => {
                    if self.failing {
                        log::info!("sim agents: publishing to {} again", self.url);
                    }
                    self.failing = false;
                    self.retry_at = None;
                    self.conn = Some(c);
                }
                Err(e) => {
                    self.fail(&format!("cannot connect: {e}"));
                    return None;
                }
            }
        }
        self.conn.as_mut()
    }

    fn fail(&mut self, why: &str) {
        if !self.failing {
            log::warn!(
                "sim agents: Redis {} unusable ({why}); retrying every {} s",
                self.url,
                RETRY_AFTER.as_secs()
            );
        }
        self.failing = true;
        self.conn = None;
        self.retry_at = Some(Instant::now() + RETRY_AFTER);
    }

    async fn publish(&mut self, p: &Published) {
        let e = &p.event;
        let mut pipe = redis::pipe();
        pipe.cmd("PUBLISH")
            .arg("nexus:events")
            .arg(&p.json)
            .ignore();
        if e.is_stats() {
            pipe.cmd("PUBLISH")
                .arg("nexus:events:stats")
                .arg(&p.json)
                .ignore();
        }
        if let Some(project) = &e.project_id {
            pipe.cmd("PUBLISH")
                .arg(format!("nexus:events:project:{project}"))
                .arg(&p.json)
                .ignore();
        }
        if let Some(w) = e.worker_id {
            let key = format!("{HEARTBEAT_PREFIX}{w}");
            match e.event_type {
                "worker_started" | "worker_heartbeat" => {
                    pipe.cmd("SET")
                        .arg(&key)
                        .arg(&e.ts)
                        .arg("EX")
                        .arg(HEARTBEAT_TTL_S)
                        .ignore();
                }
                "worker_stopped" => {
                    pipe.cmd("DEL").arg(&key).ignore();
                }
                _ => {}
            }
        }
        self.run(&pipe).await;
    }

    async fn run(&mut self, pipe: &redis::Pipeline) {
        let Some(conn) = self.connection().await else {
            return;
        };
        match tokio::time::timeout(COMMAND_TIMEOUT, pipe.query_async::<()>(conn)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => self.fail(&e.to_string()),
            Err(_) => self.fail("no answer within 2 s"),
        }
    }
}

/// Publish every event from `rx` to the Redis at `url` until shutdown, then delete the heartbeat
/// keys of all `workers`.
pub(super) async fn run(
    url: String,
    mut rx: broadcast::Receiver<Arc<Published>>,
    hub: Arc<Hub>,
    workers: usize,
) {
    let client = match redis::Client::open(url.as_str()) {
        Ok(c) => c,
        Err(e) => {
            log::error!("sim agents: bad Redis URL {url}: {e}; not publishing");
            return;
        }
    };
    let mut p = Publisher {
        client,
        url,
        conn: None,
        retry_at: None,
        failing: false,
    };
    loop {
        tokio::select! {
            () = hub.wait_shutdown() => break,
            r = rx.recv() => match r {
                Ok(ev) => p.publish(&ev).await,
                Err(RecvError::Lagged(n)) => log::debug!("sim agents: Redis publisher skipped {n} events"),
                Err(RecvError::Closed) => break,
            },
        }
    }
    // Workers of a stopped swarm are gone: do not leave keys that say otherwise.
    p.retry_at = None;
    let mut pipe = redis::pipe();
    for w in 1..=workers {
        pipe.cmd("DEL")
            .arg(format!("{HEARTBEAT_PREFIX}{w}"))
            .ignore();
    }
    p.run(&pipe).await;
}
