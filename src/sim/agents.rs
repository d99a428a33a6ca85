//! The simulator's agent layer: a swarm of AI-agent workers seen through the sources Swarmglass
//! reads (DATA-SOURCES §5–7), all on 127.0.0.1 and deterministic for a seed.
//!
//! - a Nexus-style monitor WebSocket, `/ws/monitor` (and `/ws/monitoring`), streaming the
//!   events of [`swarm::Swarm`] after a synthetic snapshot;
//! - with a Redis URL, the same events on `nexus:events`, `nexus:events:stats` and
//!   `nexus:events:project:{id}`, plus worker heartbeat keys ([`redis_pub`]);
//! - execution logs on `/ws/executions/{id}/logs` of the same listener ([`execs`]);
//! - an OpenClaw state directory in a temp dir, rewritten every few seconds and removed on
//!   shutdown ([`sessions`]).
//!
//! The generators are pure; this file owns the clock, the sockets and the tasks.

pub mod execs;
pub mod proxy_log;
pub mod redis_pub;
pub mod serve;
pub mod sessions;
pub mod swarm;
pub mod wire;

#[cfg(test)]
mod tests;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use execs::Execution;
use swarm::Swarm;
use wire::NexusEvent;

/// How long [`AgentSim::shutdown`] waits for a task before aborting it.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// How often the swarm is advanced to the clock.
const TICK: Duration = Duration::from_millis(100);
/// Events buffered per slow subscriber before it skips some.
const FANOUT_CAPACITY: usize = 4096;

/// How to run the agent layer.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentOptions {
    /// Seed of the swarm, the executions and the sessions. Default 42.
    pub seed: u64,
    /// Port of the WebSocket listener; 0 = ephemeral. Default 0.
    pub port: u16,
    /// Publish to this Redis too (`redis://127.0.0.1:6379`). Default none.
    pub redis_url: Option<String>,
    /// How much faster than real time the swarm and the executions run; 1.0 gives a few events
    /// per second. Default 1.0.
    pub tempo: f64,
    /// `{"type":"ping"}` to each monitor client this often. Default 30 s.
    pub ping_every: Duration,
    /// Execution-log heartbeat after this much silence. Default 30 s.
    pub exec_heartbeat_after: Duration,
    /// Session stores rewritten this often. Default 3 s.
    pub sessions_every: Duration,
}

impl Default for AgentOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            port: 0,
            redis_url: None,
            tempo: 1.0,
            ping_every: Duration::from_secs(30),
            exec_heartbeat_after: Duration::from_secs(30),
            sessions_every: Duration::from_secs(3),
        }
    }
}

/// Where the agent layer can be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentEndpoints {
    /// Base URL of the WebSocket listener, `ws://127.0.0.1:P`.
    pub ws_base: String,
    /// The monitor, `ws://127.0.0.1:P/ws/monitor`.
    pub monitor_url: String,
    /// Ids of the executions served on `/ws/executions/{id}/logs`.
    pub exec_ids: Vec<String>,
    /// The OpenClaw state directory (holds `agents/`).
    pub sessions_dir: PathBuf,
    /// The Redis it publishes to, if any.
    pub redis_url: Option<String>,
}

impl AgentEndpoints {
    /// The Swarmglass config (TOML) of these sources: `[[nexus_ws]]` (the base URL; the client
    /// appends the path), `[[nexus_redis]]` when publishing to Redis, `[[exec_logs]]` with every
    /// execution id, and `[[openclaw_sessions]]` (the state dir).
    #[must_use]
    pub fn config_toml(&self) -> String {
        let mut out = format!("\n[[nexus_ws]]\nurl = {}\n", toml_str(&self.ws_base));
        if let Some(url) = &self.redis_url {
            out.push_str(&format!("\n[[nexus_redis]]\nurl = {}\n", toml_str(url)));
        }
        let ids: Vec<String> = self.exec_ids.iter().map(|id| toml_str(id)).collect();
        out.push_str(&format!(
            "\n[[exec_logs]]\nurl = {}\nexecutions = [{}]\n",
            toml_str(&self.ws_base),
            ids.join(", ")
        ));
        out.push_str(&format!(
            "\n[[openclaw_sessions]]\ndir = {}\n",
            toml_str(&self.sessions_dir.to_string_lossy())
        ));
        out.push_str(&format!(
            "\n[[tool_proxy_log]]\npath = {}\n",
            toml_str(
                &self
                    .sessions_dir
                    .join(proxy_log::FILE_NAME)
                    .to_string_lossy()
            )
        ));
        out
    }
}

/// A TOML string literal (quoted and escaped).
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// Timers of the servers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    /// Monitor keepalive period.
    pub ping_every: Duration,
    /// Execution-log heartbeat after this much silence.
    pub exec_heartbeat_after: Duration,
}

/// One event as it goes out.
#[derive(Debug)]
pub struct Published {
    /// The event.
    pub event: NexusEvent,
    /// Its JSON text.
    pub json: String,
}

/// State shared by the tasks of one agent layer.
#[derive(Debug)]
pub(crate) struct Hub {
    swarm: Mutex<Swarm>,
    events: broadcast::Sender<Arc<Published>>,
    pub execs: Vec<Execution>,
    pub started: Instant,
    start_wall: SystemTime,
    tempo: f64,
    pub timing: Timing,
    shutdown: watch::Receiver<bool>,
}

impl Hub {
    /// Simulated ms since the start.
    pub fn sim_ms(&self) -> u64 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let ms = (self.started.elapsed().as_secs_f64() * 1000.0 * self.tempo) as u64;
        ms
    }

    /// The instant simulated time `at_ms` is reached (the start for earlier times).
    pub fn instant_of(&self, at_ms: i64) -> Instant {
        let ms = u64::try_from(at_ms).unwrap_or(0);
        self.started + Duration::from_secs_f64(ms as f64 / 1000.0 / self.tempo)
    }

    /// The synthetic snapshot frame and a subscription that starts right after it.
    pub fn snapshot_and_subscribe(&self) -> (String, broadcast::Receiver<Arc<Published>>) {
        let swarm = self.swarm.lock().unwrap_or_else(PoisonError::into_inner);
        let snapshot = swarm.snapshot(SystemTime::now()).to_json();
        (snapshot, self.events.subscribe())
    }

    /// Advance the swarm to the clock and fan the new events out.
    fn step(&self) {
        let mut out = Vec::new();
        let mut swarm = self.swarm.lock().unwrap_or_else(PoisonError::into_inner);
        swarm.advance_to(self.sim_ms(), &mut out);
        for event in out {
            let json = event.to_json();
            // An error only means nobody listens right now.
            let _sent = self.events.send(Arc::new(Published { event, json }));
        }
    }

    /// Resolves once shutdown has been asked for.
    pub async fn wait_shutdown(&self) {
        let mut rx = self.shutdown.clone();
        let _closed = rx.wait_for(|stop| *stop).await;
    }
}

/// A running agent layer. Dropping it stops the tasks and removes the session directory;
/// prefer [`AgentSim::shutdown`].
#[derive(Debug)]
pub struct AgentSim {
    endpoints: AgentEndpoints,
    hub: Arc<Hub>,
    workers: usize,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    dir: Option<PathBuf>,
}

/// Prefix of the session directories under the system temp dir; the process id follows.
const TEMP_PREFIX: &str = "swarmglass-sim-openclaw-";

/// Remove session directories left by simulators that were killed (their process is gone).
/// Only where `/proc` tells which processes live; a directory whose process id is alive (or
/// reused) is left alone.
fn sweep_stale_dirs(tmp: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            log::debug!(
                "sim agents: removing {} (its simulator is gone)",
                e.path().display()
            );
            remove_dir(&e.path());
        }
    }
}

/// A fresh, empty directory under the system temp dir (stale ones of dead simulators are
/// removed first).
fn make_temp_dir() -> std::io::Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    sweep_stale_dirs(&std::env::temp_dir());
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "{TEMP_PREFIX}{}-{}-{nanos:08x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir(&dir)?;
    Ok(dir)
}

fn remove_dir(dir: &Path) {
    if let Err(e) = std::fs::remove_dir_all(dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        log::warn!("sim agents: cannot remove {}: {e}", dir.display());
    }
}

impl AgentSim {
    /// Binds the listener on 127.0.0.1, writes the session stores and starts every task. The
    /// endpoints answer when this returns. Must run inside a tokio runtime.
    ///
    /// # Errors
    /// A failed bind (port in use) or an unwritable temp dir.
    pub async fn start(opts: AgentOptions) -> std::io::Result<Self> {
        let listener =
            TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, opts.port))).await?;
        let port = listener.local_addr()?.port();
        let tempo = if opts.tempo.is_finite() && opts.tempo > 0.0 {
            opts.tempo
        } else {
            1.0
        };
        let dir = make_temp_dir()?;
        let start_wall = SystemTime::now();
        let started = Instant::now();
        let stores = sessions::render_stores(opts.seed, start_wall, Duration::ZERO);
        if let Err(e) = sessions::write_state(&dir, &stores) {
            remove_dir(&dir);
            return Err(e);
        }
        let swarm = Swarm::new(opts.seed, start_wall, tempo);
        let workers = swarm.worker_count();
        let execs = execs::executions(opts.seed, start_wall, tempo);
        let (stop, shutdown) = watch::channel(false);
        let (events, _) = broadcast::channel(FANOUT_CAPACITY);
        let hub = Arc::new(Hub {
            swarm: Mutex::new(swarm),
            events,
            execs,
            started,
            start_wall,
            tempo,
            timing: Timing {
                ping_every: opts.ping_every.max(Duration::from_millis(10)),
                exec_heartbeat_after: opts.exec_heartbeat_after.max(Duration::from_millis(10)),
            },
            shutdown,
        });
        let mut tasks = Vec::new();
        if let Some(url) = &opts.redis_url {
            let rx = hub.events.subscribe();
            tasks.push(tokio::spawn(redis_pub::run(
                url.clone(),
                rx,
                Arc::clone(&hub),
                workers,
            )));
        }
        hub.step();
        tasks.push(tokio::spawn(drive(Arc::clone(&hub))));
        tasks.push(tokio::spawn(serve::accept_loop(listener, Arc::clone(&hub))));
        tasks.push(tokio::spawn(write_sessions(
            Arc::clone(&hub),
            dir.clone(),
            opts.seed,
            opts.sessions_every.max(Duration::from_millis(10)),
        )));
        let ws_base = format!("ws://127.0.0.1:{port}");
        Ok(Self {
            endpoints: AgentEndpoints {
                monitor_url: format!("{ws_base}/ws/monitor"),
                ws_base,
                exec_ids: hub.execs.iter().map(|e| e.id.clone()).collect(),
                sessions_dir: dir.clone(),
                redis_url: opts.redis_url,
            },
            hub,
            workers,
            stop,
            tasks,
            dir: Some(dir),
        })
    }

    /// Where everything can be read.
    #[must_use]
    pub fn endpoints(&self) -> &AgentEndpoints {
        &self.endpoints
    }

    /// Number of workers in the swarm.
    #[must_use]
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// The endpoints, indented for [`crate::sim::SimCluster::summary`].
    #[must_use]
    pub fn summary(&self) -> String {
        let ep = &self.endpoints;
        let mut out = format!("  agents        {} workers\n", self.workers);
        out.push_str(&format!("    events WS     {}\n", ep.monitor_url));
        if let Some(url) = &ep.redis_url {
            out.push_str(&format!("    events Redis  {url} (nexus:events*)\n"));
        }
        for id in &ep.exec_ids {
            out.push_str(&format!(
                "    exec logs     {}/ws/executions/{id}/logs\n",
                ep.ws_base
            ));
        }
        out.push_str(&format!(
            "    sessions      {}\n",
            ep.sessions_dir.display()
        ));
        out
    }

    /// The scripted executions.
    #[must_use]
    pub fn executions(&self) -> &[Execution] {
        &self.hub.execs
    }

    /// Stops every task (clients get a close frame, Redis heartbeat keys are deleted) and
    /// removes the session directory.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        for mut task in std::mem::take(&mut self.tasks) {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                log::warn!(
                    "sim agents: a task did not stop within {SHUTDOWN_GRACE:?}; aborting it"
                );
                task.abort();
            }
        }
        if let Some(dir) = self.dir.take() {
            remove_dir(&dir);
        }
    }
}

impl Drop for AgentSim {
    fn drop(&mut self) {
        self.stop.send_replace(true);
        for task in &self.tasks {
            task.abort();
        }
        if let Some(dir) = self.dir.take() {
            remove_dir(&dir);
        }
    }
}

async fn drive(hub: Arc<Hub>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = hub.wait_shutdown() => return,
            _ = tick.tick() => hub.step(),
        }
    }
}

/// Steps of tool-proxy log written at start, so the demo has an hour's error history at once.
const BACKLOG_STEPS: u64 = 1200;

async fn write_sessions(hub: Arc<Hub>, dir: PathBuf, seed: u64, every: Duration) {
    let mut warned = false;
    let mut tick = 0_u64;
    {
        let d = dir.clone();
        let backfill = tokio::task::spawn_blocking(move || {
            proxy_log::backfill(
                &d,
                seed,
                BACKLOG_STEPS,
                Duration::from_secs(3),
                SystemTime::now(),
            )
        });
        if !matches!(backfill.await, Ok(Ok(()))) {
            log::warn!(
                "sim agents: cannot write the tool-proxy log under {}",
                dir.display()
            );
        }
    }
    loop {
        tokio::select! {
            () = hub.wait_shutdown() => return,
            () = tokio::time::sleep(every) => {}
        }
        let (start, elapsed) = (hub.start_wall, hub.started.elapsed());
        let d = dir.clone();
        tick += 1;
        let step = tick;
        let job = tokio::task::spawn_blocking(move || {
            sessions::write_state(&d, &sessions::render_stores(seed, start, elapsed))?;
            proxy_log::append(&d, seed, step + BACKLOG_STEPS, SystemTime::now())
        });
        match job.await {
            Ok(Ok(())) => warned = false,
            Ok(Err(e)) if !warned => {
                warned = true;
                log::warn!(
                    "sim agents: cannot write sessions under {}: {e}",
                    dir.display()
                );
            }
            Ok(Err(_)) => {}
            Err(e) => log::warn!("sim agents: the sessions writer failed: {e}"),
        }
    }
}
