//! Nexus events over Redis pub/sub (DATA-SOURCES §5: `nexus:events`, `nexus:events:stats`,
//! `nexus:events:project:{id}`, the same JSON as the WebSocket) and worker liveness from the keys
//! `nexus:worker:heartbeat:{id}` (TTL 30 s), read with SCAN + TTL every few seconds. Both
//! reconnect with backoff and jitter; a malformed or oversized message is reported and skipped.
//! Redis delivers each message whole, so the size cap (`max_message_bytes`) is checked after the
//! client library has read the message, before decoding: an oversized message costs its size in
//! memory for a moment, and the error says so.

use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use tokio::time::Instant;

use super::nexus::{DEFAULT_MAX_FRAME_BYTES, Frame, parse_frame_limited};
use crate::model::ids::{SourceId, SourceKind};
use crate::model::input::{
    ConnectionState, EventError, EventUpdate, HeartbeatScan, SourceUpdate, WorkerBeat,
};
use crate::model::redact::redact_urls;
use crate::model::tasks::{DedupeWindow, DuplicateReport};
use crate::sources::framework::{
    Delivery, Ended, Poll, PollSchedule, Sink, SourceTask, Stop, Stream, StreamSchedule, poll_loop,
    stopped, stream_loop,
};

/// Most heartbeat keys read per poll (a runaway key space must not stall the poller); as many
/// as the task model tracks workers. More keys than this: the report says counting stopped.
pub const MAX_HEARTBEAT_KEYS: usize = 4096;

/// Everything the Redis source needs.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// Id of this source in updates and the error log.
    pub id: SourceId,
    /// `redis://[:password@]host:port[/db]`.
    pub url: String,
    /// Channels to subscribe to. The same event may come on several (e.g. `nexus:events` and
    /// `nexus:events:stats`): it is forwarded once.
    pub channels: Vec<String>,
    /// Key prefix of worker heartbeats; the rest of the key is the worker id.
    pub heartbeat_prefix: String,
    /// How often heartbeat keys are read.
    pub heartbeat_interval: Duration,
    /// The TTL workers set on their heartbeat key (upstream: 30 s); a key with `ttl` seconds
    /// left was written `heartbeat_ttl − ttl` ago.
    pub heartbeat_ttl: Duration,
    /// Largest message decoded, bytes.
    pub max_message_bytes: usize,
    /// Limit on connecting (and subscribing).
    pub connect_timeout: Duration,
    /// Limit on one command (SCAN, TTL pipeline, PING).
    pub command_timeout: Duration,
    /// PING the subscribed connection after this long without a message, to notice a dead one.
    pub ping_interval: Duration,
    /// First reconnect delay.
    pub backoff_base: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// A connection up this long resets the backoff.
    pub stable_after: Duration,
    /// How many recent event ids are remembered to drop duplicates.
    pub dedupe_capacity: usize,
}

impl RedisConfig {
    /// Defaults for the Redis at `url`: channel `nexus:events`, heartbeats every 5 s.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        Self {
            id: SourceId::new("swarm", SourceKind::NexusRedis, url.as_str()),
            url,
            channels: vec!["nexus:events".into()],
            heartbeat_prefix: "nexus:worker:heartbeat:".into(),
            heartbeat_interval: Duration::from_secs(5),
            heartbeat_ttl: Duration::from_secs(30),
            max_message_bytes: DEFAULT_MAX_FRAME_BYTES,
            connect_timeout: Duration::from_secs(5),
            command_timeout: Duration::from_secs(5),
            ping_interval: Duration::from_secs(30),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            stable_after: Duration::from_secs(30),
            dedupe_capacity: 65_536,
        }
    }

    /// When the subscription reconnects.
    #[must_use]
    pub fn stream_schedule(&self) -> StreamSchedule {
        StreamSchedule {
            backoff_base: self.backoff_base,
            backoff_max: self.backoff_max,
            stable_after: self.stable_after,
        }
    }

    /// The channel of one project's events.
    #[must_use]
    pub fn project_channel(project_id: &str) -> String {
        format!("nexus:events:project:{project_id}")
    }
}

/// The worker id in a heartbeat key, `None` when the key does not have the prefix.
#[must_use]
pub fn worker_id_from_key<'a>(key: &'a str, prefix: &str) -> Option<&'a str> {
    key.strip_prefix(prefix).filter(|id| !id.is_empty())
}

/// Turn a `TTL` reply read at `at` into a beat. `-2` (key gone) gives `None`; `-1` (no expiry)
/// counts as a beat at `at`.
#[must_use]
pub fn beat_from_ttl(
    worker_id: &str,
    ttl_reply: i64,
    at: SystemTime,
    heartbeat_ttl: Duration,
) -> Option<WorkerBeat> {
    let (last_beat_at, ttl_left_s) = match u64::try_from(ttl_reply) {
        Ok(left) => {
            let age = heartbeat_ttl.saturating_sub(Duration::from_secs(left));
            (at.checked_sub(age).unwrap_or(at), Some(left))
        }
        Err(_) if ttl_reply == -1 => (at, None),
        Err(_) => return None,
    };
    Some(WorkerBeat {
        worker_id: worker_id.to_owned(),
        last_beat_at,
        ttl_left_s,
    })
}

fn redis_error(url: &str, what: &str, e: &redis::RedisError) -> EventError {
    let hint = if e.is_connection_refusal() {
        "; is redis-server running and the URL right?"
    } else if matches!(e.kind(), redis::ErrorKind::AuthenticationFailed) {
        "; check the password in the URL"
    } else {
        ""
    };
    EventError::Redis {
        url: redact_urls(url).into_owned(),
        reason: format!("{what}: {e}{hint}"),
    }
}

fn timeout_error(url: &str, d: Duration) -> EventError {
    EventError::Timeout {
        url: redact_urls(url).into_owned(),
        timeout_ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
    }
}

async fn subscribe(
    client: &redis::Client,
    cfg: &RedisConfig,
) -> Result<redis::aio::PubSub, EventError> {
    let work = async {
        let mut ps = client
            .get_async_pubsub()
            .await
            .map_err(|e| redis_error(&cfg.url, "cannot connect", &e))?;
        ps.subscribe(&cfg.channels)
            .await
            .map_err(|e| redis_error(&cfg.url, "cannot subscribe", &e))?;
        Ok(ps)
    };
    tokio::time::timeout(cfg.connect_timeout, work)
        .await
        .map_err(|_| timeout_error(&cfg.url, cfg.connect_timeout))?
}

/// The pub/sub subscription as a stream: events forwarded once each (ids deduplicated).
struct PubSub {
    cfg: RedisConfig,
    sink: Sink,
    client: Option<redis::Client>,
    seen: DedupeWindow,
    report: DuplicateReport,
}

impl PubSub {
    fn message(&mut self, payload: &[u8]) -> Delivery {
        let at = SystemTime::now();
        if payload.len() > self.cfg.max_message_bytes {
            return self.sink.send_event(EventUpdate::Malformed {
                source: self.cfg.id.clone(),
                at,
                error: EventError::MessageTooLarge {
                    size: payload.len(),
                    limit: self.cfg.max_message_bytes,
                },
                count: 1,
            });
        }
        let update = match parse_frame_limited(payload, self.cfg.max_message_bytes) {
            Ok(Frame::Event(event)) => {
                if !event.is_synthetic() && !self.seen.insert(&event.event_id) {
                    return self.report_duplicates();
                }
                EventUpdate::Event {
                    source: self.cfg.id.clone(),
                    received_at: at,
                    event,
                }
            }
            Ok(Frame::Keepalive(_) | Frame::Control { .. }) => return Delivery::Queued,
            Err(error) => EventUpdate::Malformed {
                source: self.cfg.id.clone(),
                at,
                error,
                count: 1,
            },
        };
        self.sink.send_event(update)
    }

    /// The duplicates dropped so far, when it is time to say (see [`DuplicateReport`]).
    fn report_duplicates(&mut self) -> Delivery {
        super::ws::report_duplicates(&self.sink, &self.cfg.id, None, &self.seen, &mut self.report)
    }
}

impl Stream for PubSub {
    type Conn = redis::aio::PubSub;

    async fn connect(&mut self) -> Result<redis::aio::PubSub, EventError> {
        let client = match &self.client {
            Some(c) => c,
            None => self
                .client
                .insert(redis::Client::open(self.cfg.url.as_str()).map_err(|e| {
                    EventError::BadUrl {
                        url: redact_urls(&self.cfg.url).into_owned(),
                        reason: e.to_string(),
                    }
                })?),
        };
        subscribe(client, &self.cfg).await
    }

    async fn pump(&mut self, conn: redis::aio::PubSub, stop: &mut Stop) -> Ended {
        let (mut cmd, mut messages) = conn.split();
        let mut last_rx = Instant::now();
        let mut second = tokio::time::interval_at(
            Instant::now() + Duration::from_secs(1),
            Duration::from_secs(1),
        );
        second.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stopped(stop) => return Ended::Stopped,
                _ = second.tick() => {
                    if self.report_duplicates() == Delivery::Closed {
                        return Ended::ConsumerGone;
                    }
                }
                msg = messages.next() => match msg {
                    None => return Ended::Dropped("the connection closed".to_owned()),
                    Some(m) => {
                        last_rx = Instant::now();
                        if self.message(m.get_payload_bytes()) == Delivery::Closed {
                            return Ended::ConsumerGone;
                        }
                    }
                },
                () = tokio::time::sleep_until(last_rx + self.cfg.ping_interval) => {
                    match tokio::time::timeout(self.cfg.command_timeout, cmd.ping::<redis::Value>()).await {
                        Ok(Ok(_)) => last_rx = Instant::now(),
                        Ok(Err(e)) => return Ended::Dropped(format!("PING failed: {e}")),
                        Err(_) => return Ended::Dropped(format!("no answer to PING within {} ms", self.cfg.command_timeout.as_millis())),
                    }
                }
            }
        }
    }

    fn state(&mut self, state: ConnectionState) -> Delivery {
        self.sink.send_event(EventUpdate::Connection {
            source: self.cfg.id.clone(),
            state,
        })
    }
}

/// Subscribe and forward events until `stop` flips or the consumer goes away; reconnect after
/// any drop.
pub async fn run_pubsub(cfg: RedisConfig, sink: Sink, stop: Stop) {
    let schedule = cfg.stream_schedule();
    let stream = PubSub {
        seen: DedupeWindow::new(cfg.dedupe_capacity),
        report: DuplicateReport::default(),
        cfg,
        sink,
        client: None,
    };
    stream_loop(stream, schedule, stop).await;
}

/// A key name for a message: UTF-8 as is, other bytes as `\xNN`.
fn escaped_key(key: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for chunk in key.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Read the heartbeat keys (at most [`MAX_HEARTBEAT_KEYS`]) and their TTLs once. Keys are read
/// as bytes: one whose name is not UTF-8 is skipped and counted, never a failed read.
///
/// # Errors
/// A failed SCAN or TTL, as [`EventError::Redis`].
pub async fn scan_heartbeats(
    conn: &mut redis::aio::MultiplexedConnection,
    cfg: &RedisConfig,
    at: SystemTime,
) -> Result<HeartbeatScan, EventError> {
    let pattern = format!("{}*", cfg.heartbeat_prefix);
    let mut cursor = 0_u64;
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut more = false;
    loop {
        let (next, batch): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(500)
            .query_async(conn)
            .await
            .map_err(|e| redis_error(&cfg.url, "SCAN failed", &e))?;
        keys.extend(batch);
        if next == 0 {
            break;
        }
        if keys.len() > MAX_HEARTBEAT_KEYS {
            // SCAN may return a key twice: only distinct keys count toward the cap.
            keys.sort_unstable();
            keys.dedup();
            if keys.len() > MAX_HEARTBEAT_KEYS {
                more = true;
                break;
            }
        }
        cursor = next;
    }
    keys.sort_unstable();
    keys.dedup();
    if keys.len() > MAX_HEARTBEAT_KEYS {
        keys.truncate(MAX_HEARTBEAT_KEYS);
        more = true;
    }
    let mut scan = HeartbeatScan {
        stopped_at: more.then_some(MAX_HEARTBEAT_KEYS),
        ..HeartbeatScan::default()
    };
    let mut names: Vec<String> = Vec::with_capacity(keys.len());
    for k in keys {
        match String::from_utf8(k) {
            Ok(name) => names.push(name),
            Err(e) => {
                scan.skipped_keys += 1;
                if scan.skipped_example.is_none() {
                    scan.skipped_example = Some(escaped_key(e.as_bytes()));
                }
            }
        }
    }
    if names.is_empty() {
        return Ok(scan);
    }
    let mut pipe = redis::pipe();
    for k in &names {
        pipe.cmd("TTL").arg(k);
    }
    let ttls: Vec<i64> = pipe
        .query_async(conn)
        .await
        .map_err(|e| redis_error(&cfg.url, "TTL failed", &e))?;
    scan.beats = names
        .iter()
        .zip(ttls)
        .filter_map(|(k, ttl)| {
            worker_id_from_key(k, &cfg.heartbeat_prefix)
                .and_then(|id| beat_from_ttl(id, ttl, at, cfg.heartbeat_ttl))
        })
        .collect();
    Ok(scan)
}

/// Heartbeat keys as a polled source (one connection, reopened after a failure).
struct Heartbeats {
    cfg: RedisConfig,
    conn: Option<redis::aio::MultiplexedConnection>,
    /// The URL cannot work (bad URL): asking again cannot help.
    gave_up: bool,
    /// Keys with names that are not UTF-8 were logged (once; the error list counts them).
    logged_bad_keys: bool,
}

impl Heartbeats {
    async fn read(&mut self, at: SystemTime) -> Result<HeartbeatScan, EventError> {
        let cfg = &self.cfg;
        let conn = match &mut self.conn {
            Some(c) => c,
            None => {
                let client =
                    redis::Client::open(cfg.url.as_str()).map_err(|e| EventError::BadUrl {
                        url: redact_urls(&cfg.url).into_owned(),
                        reason: e.to_string(),
                    })?;
                let conn_cfg = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(cfg.connect_timeout))
                    .set_response_timeout(Some(cfg.command_timeout));
                self.conn.insert(
                    client
                        .get_multiplexed_async_connection_with_config(&conn_cfg)
                        .await
                        .map_err(|e| redis_error(&cfg.url, "cannot connect", &e))?,
                )
            }
        };
        let limit = cfg.connect_timeout + cfg.command_timeout * 2;
        let result = tokio::time::timeout(limit, scan_heartbeats(conn, cfg, at))
            .await
            .unwrap_or_else(|_| Err(timeout_error(&cfg.url, limit)));
        if result.is_err() {
            self.conn = None;
        }
        result
    }
}

impl Poll for Heartbeats {
    async fn poll(&mut self) -> Option<SourceUpdate> {
        let at = SystemTime::now();
        let result = self.read(at).await;
        self.gave_up = result.as_ref().is_err_and(EventError::is_permanent);
        if let Ok(scan) = &result
            && !self.logged_bad_keys
            && let Some(problem) = scan.problems_summary()
        {
            log::warn!("Redis {}: {problem}", redact_urls(&self.cfg.url));
            self.logged_bad_keys = true;
        }
        Some(SourceUpdate::agents(EventUpdate::Workers {
            source: self.cfg.id.clone(),
            at,
            result,
        }))
    }

    fn finished(&self) -> bool {
        self.gave_up
    }
}

/// Poll heartbeat keys every `heartbeat_interval` (backing off while Redis fails) until `stop`
/// flips; each poll sends one [`EventUpdate::Workers`].
pub async fn run_heartbeats(cfg: RedisConfig, sink: Sink, stop: Stop) {
    let schedule = PollSchedule {
        interval: cfg.heartbeat_interval,
        max_backoff: cfg.backoff_max,
    };
    let source = Heartbeats {
        cfg,
        conn: None,
        gave_up: false,
        logged_bad_keys: false,
    };
    poll_loop(source, schedule, sink, stop).await;
}

/// [`run_pubsub`] and [`run_heartbeats`] together.
pub async fn run(cfg: RedisConfig, sink: Sink, stop: Stop) {
    tokio::join!(
        run_pubsub(cfg.clone(), sink.clone(), stop.clone()),
        run_heartbeats(cfg, sink, stop)
    );
}

/// [`run`] on the current tokio runtime; drop or [`SourceTask::shutdown`] the handle to stop.
#[must_use]
pub fn spawn(cfg: RedisConfig, sink: Sink) -> SourceTask {
    SourceTask::spawn(move |stop| run(cfg, sink, stop))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_keys_and_ttls() {
        assert_eq!(
            worker_id_from_key("nexus:worker:heartbeat:7", "nexus:worker:heartbeat:"),
            Some("7")
        );
        assert_eq!(
            worker_id_from_key("nexus:worker:heartbeat:", "nexus:worker:heartbeat:"),
            None
        );
        assert_eq!(
            worker_id_from_key("other:7", "nexus:worker:heartbeat:"),
            None
        );
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let ttl = Duration::from_secs(30);
        let b = beat_from_ttl("7", 25, at, ttl).unwrap();
        assert_eq!(b.last_beat_at, at - Duration::from_secs(5));
        assert_eq!(b.ttl_left_s, Some(25));
        assert_eq!(beat_from_ttl("7", -1, at, ttl).unwrap().last_beat_at, at);
        assert!(beat_from_ttl("7", -2, at, ttl).is_none());
        // A key set with a longer TTL than expected counts as fresh.
        assert_eq!(beat_from_ttl("7", 300, at, ttl).unwrap().last_beat_at, at);
    }

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            RedisConfig::new("redis://:s3cret@h:6379/0").id.locator,
            "redis://***@h:6379/0"
        );
        let e = redis_error(
            "redis://:s3cret@h:6379/0",
            "GET",
            &redis::RedisError::from((redis::ErrorKind::AuthenticationFailed, "denied")),
        );
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert_eq!(
            RedisConfig::project_channel("p1"),
            "nexus:events:project:p1"
        );
    }
}
