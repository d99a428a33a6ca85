//! A simulated cluster on 127.0.0.1 for demos, tests and benchmarks.
//!
//! Each node gets one listener serving `GET /metrics` (vLLM V1-like) and `GET /gpu/metrics`
//! (dcgm-exporter-like); one more listener serves the smart proxy's `GET /status` and
//! `POST /control?node=N&fault=NAME` (see [`Fault`]: a hot GPU, a node that is down, hangs,
//! trickles, truncates, resets, sends garbage, flaps, answers late, or serves NaN, negative or
//! decreasing values). Transport faults live in [`faults`]. Bodies come from the pure functions in
//! [`render`], fed with the time elapsed since [`SimCluster::start`]; the numbers behind them are
//! closed-form functions of time in [`profile`], deterministic for a seed. This module owns the
//! sockets, the fault table and the lifecycle; it never binds anything but loopback. With
//! `agents` on, [`agents`] adds a swarm of AI agents on one more listener: Nexus events, execution
//! logs, optionally Redis, and an OpenClaw session store in a temp dir.

pub mod agents;
mod faults;
pub mod profile;
pub mod render;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use profile::NodeProfile;
use render::StatusNode;

/// `Content-Type` of a Prometheus text exposition, as prometheus_client and dcgm-exporter send it.
const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How long [`SimCluster::shutdown`] waits for a server to finish before aborting it.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// How to build a simulated cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimOptions {
    /// Number of nodes (at least 1). Default 2.
    pub nodes: usize,
    /// GPUs per node (at least 1). Default 1.
    pub gpus_per_node: usize,
    /// Seed of every simulated number. Default 42.
    pub seed: u64,
    /// `None`: ephemeral ports. `Some(p)`: node `i` listens on `p + i`, the status/control
    /// listener on `p + nodes`, the agent layer on `p + nodes + 1`.
    pub base_port: Option<u16>,
    /// Run the agent layer (Nexus events, execution logs, OpenClaw sessions). Default true.
    pub agents: bool,
    /// Also publish the agent events to this Redis (`redis://127.0.0.1:6379`); the simulator
    /// never starts a Redis itself. Default none.
    pub redis_url: Option<String>,
    /// Hold every load steady (gauges constant, counters growing at a constant rate), so that
    /// two readers at different moments read the same figures. Default false.
    pub steady: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            nodes: 2,
            gpus_per_node: 1,
            seed: 42,
            base_port: None,
            agents: true,
            redis_url: None,
            steady: false,
        }
    }
}

/// A fault injected into one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum Fault {
    /// Healthy.
    #[default]
    None,
    /// GPU temperature pinned at 92 °C (SM clock throttled).
    Overheat,
    /// The node's endpoints answer 503; `/status` marks it unhealthy.
    Down,
    /// The node's endpoints accept requests and never answer (until shutdown); `/status` marks
    /// it unhealthy.
    Hang,
    /// The node's endpoints answer 200 and then send the body one byte every
    /// [`TRICKLE_BYTE_EVERY`]: a whole body takes minutes.
    Trickle,
    /// The node's endpoints promise a body (`Content-Length`) and close the connection after
    /// half of it.
    Truncate,
    /// The node resets the connection (TCP RST) in the middle of the body.
    Reset,
    /// The node's endpoints answer 200 with 4 KiB of random bytes.
    Garbage,
    /// The node's endpoints answer normally and 503 in turn, request by request.
    Flap,
    /// The node's endpoints answer normally, but only after [`SLOW_ANSWER_AFTER`] (past any
    /// sensible timeout).
    Slow,
    /// Every engine gauge and counter and the GPU temperature, utilization and memory are `NaN`.
    Nan,
    /// Every engine gauge and counter and the GPU temperature, utilization and memory are
    /// negative.
    Negative,
    /// Every engine counter (and the GPU energy counter) goes down as time goes on.
    Decreasing,
}

/// How long a [`Fault::Slow`] node waits before it answers.
pub const SLOW_ANSWER_AFTER: Duration = Duration::from_secs(10);

/// The pause between two bytes of a [`Fault::Trickle`] body.
pub const TRICKLE_BYTE_EVERY: Duration = Duration::from_millis(20);

impl Fault {
    /// Every fault, in `repr(u8)` order.
    pub const ALL: [Self; 13] = [
        Self::None,
        Self::Overheat,
        Self::Down,
        Self::Hang,
        Self::Trickle,
        Self::Truncate,
        Self::Reset,
        Self::Garbage,
        Self::Flap,
        Self::Slow,
        Self::Nan,
        Self::Negative,
        Self::Decreasing,
    ];

    /// The name used by `/control?fault=`: `none`, `overheat`, `down`, `hang`, `trickle`,
    /// `truncate`, `reset`, `garbage`, `flap`, `slow`, `nan`, `negative` or `decreasing`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Overheat => "overheat",
            Self::Down => "down",
            Self::Hang => "hang",
            Self::Trickle => "trickle",
            Self::Truncate => "truncate",
            Self::Reset => "reset",
            Self::Garbage => "garbage",
            Self::Flap => "flap",
            Self::Slow => "slow",
            Self::Nan => "nan",
            Self::Negative => "negative",
            Self::Decreasing => "decreasing",
        }
    }

    /// Parses a `/control?fault=` value (case-insensitive); `None` if unknown.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// Every name, `none|overheat|…`, for usage lines.
    #[must_use]
    pub fn names() -> String {
        Self::ALL.map(Self::as_str).join("|")
    }

    /// Whether the smart proxy can read the node: not when it is down, hangs, or breaks its
    /// answers (wrong values are still answers).
    #[must_use]
    pub fn proxy_sees_healthy(self) -> bool {
        matches!(
            self,
            Self::None | Self::Overheat | Self::Nan | Self::Negative | Self::Decreasing
        )
    }
}

/// Where the simulated endpoints listen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimEndpoints {
    /// One entry per node, in node order.
    pub nodes: Vec<SimNodeEndpoints>,
    /// The smart proxy's `GET /status`.
    pub status_url: String,
    /// `POST /control?node=N&fault=…`.
    pub control_url: String,
    /// The Nexus monitor WebSocket, `ws://127.0.0.1:P/ws/monitor` (agent layer only).
    pub events_ws_url: Option<String>,
    /// Ids of the executions whose logs are served (agent layer only).
    pub exec_ids: Vec<String>,
    /// Base of `/ws/executions/{id}/logs`, `ws://127.0.0.1:P` (agent layer only).
    pub exec_logs_base: Option<String>,
    /// The OpenClaw state directory, removed on shutdown (agent layer only).
    pub sessions_dir: Option<PathBuf>,
}

/// Where one simulated node listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimNodeEndpoints {
    /// `sim-node-0`, `sim-node-1`, …
    pub name: String,
    /// vLLM-like `/metrics`.
    pub metrics_url: String,
    /// dcgm-exporter-like `/gpu/metrics`.
    pub gpu_metrics_url: String,
}

/// State shared by every server of one cluster.
#[derive(Debug)]
struct Shared {
    profiles: Vec<NodeProfile>,
    /// `host:port` of each node's listener.
    hosts: Vec<String>,
    /// Current fault per node, as its `repr(u8)` index in [`Fault::ALL`].
    faults: Vec<AtomicU8>,
    /// Requests per node and endpoint (`/metrics`, `/gpu/metrics`) while flapping.
    flaps: Vec<[AtomicU64; 2]>,
    start: Instant,
    shutdown: watch::Receiver<bool>,
}

impl Shared {
    fn fault(&self, node: usize) -> Fault {
        self.faults
            .get(node)
            .and_then(|f| Fault::ALL.get(usize::from(f.load(Ordering::Relaxed))))
            .copied()
            .unwrap_or_default()
    }

    fn set_fault(&self, node: usize, fault: Fault) -> bool {
        let slot = self.faults.get(node);
        if let Some(slot) = slot {
            slot.store(fault as u8, Ordering::Relaxed);
        }
        slot.is_some()
    }

    fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Counts a request to `endpoint` of a flapping node: true every other time (down).
    fn flap_down(&self, node: usize, endpoint: Endpoint) -> bool {
        self.flaps
            .get(node)
            .is_some_and(|f| f[endpoint as usize].fetch_add(1, Ordering::Relaxed) % 2 == 1)
    }

    /// Resolves once shutdown has been asked for (or the sender is gone).
    async fn wait_shutdown(&self) {
        let mut rx = self.shutdown.clone();
        // An error means the sender was dropped: treat it as shutdown too.
        let _closed = rx.wait_for(|stop| *stop).await;
    }
}

/// A running simulated cluster. Dropping it stops the servers abruptly; prefer
/// [`SimCluster::shutdown`].
#[derive(Debug)]
pub struct SimCluster {
    shared: Arc<Shared>,
    endpoints: SimEndpoints,
    shutdown_tx: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    agents: Option<agents::AgentSim>,
}

impl SimCluster {
    /// Builds the profiles, binds every listener on 127.0.0.1 and starts serving. All sockets are
    /// bound before this returns, so the endpoints answer at once. Must run inside a tokio
    /// runtime.
    ///
    /// # Errors
    /// `InvalidInput` for zero nodes or GPUs, or a `base_port` range past 65535; otherwise the
    /// error of a failed bind (e.g. a port already in use).
    pub async fn start(opts: SimOptions) -> std::io::Result<Self> {
        if opts.nodes == 0 || opts.gpus_per_node == 0 {
            return Err(invalid(
                "the simulated cluster needs at least one node and one GPU per node",
            ));
        }
        // Port 0 asks the OS for an ephemeral port.
        let wanted: Vec<u16> = (0..=opts.nodes)
            .map(|i| match opts.base_port {
                None => Some(0),
                Some(base) => u16::try_from(i).ok().and_then(|i| base.checked_add(i)),
            })
            .collect::<Option<_>>()
            .ok_or_else(|| invalid("base_port + nodes goes past port 65535"))?;
        let agent_port = match opts.base_port.filter(|_| opts.agents) {
            None => 0,
            Some(base) => u16::try_from(opts.nodes + 1)
                .ok()
                .and_then(|n| base.checked_add(n))
                .ok_or_else(|| invalid("base_port + nodes + 1 goes past port 65535"))?,
        };
        let mut listeners = Vec::with_capacity(wanted.len());
        for port in wanted {
            listeners.push(TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?);
        }
        let mut ports = Vec::with_capacity(listeners.len());
        for l in &listeners {
            ports.push(l.local_addr()?.port());
        }
        let (node_ports, status_port) = ports.split_at(opts.nodes);
        let status_port = status_port.first().copied().unwrap_or_default();

        let profiles: Vec<NodeProfile> = (0..opts.nodes)
            .map(|i| {
                let p = NodeProfile::generate(opts.seed, i, opts.gpus_per_node);
                if opts.steady { p.steady() } else { p }
            })
            .collect();
        let mut endpoints = SimEndpoints {
            nodes: profiles
                .iter()
                .zip(node_ports)
                .map(|(p, port)| SimNodeEndpoints {
                    name: p.name.clone(),
                    metrics_url: format!("http://127.0.0.1:{port}/metrics"),
                    gpu_metrics_url: format!("http://127.0.0.1:{port}/gpu/metrics"),
                })
                .collect(),
            status_url: format!("http://127.0.0.1:{status_port}/status"),
            control_url: format!("http://127.0.0.1:{status_port}/control"),
            events_ws_url: None,
            exec_ids: Vec::new(),
            exec_logs_base: None,
            sessions_dir: None,
        };
        let agents = if opts.agents {
            let sim = agents::AgentSim::start(agents::AgentOptions {
                seed: opts.seed,
                port: agent_port,
                redis_url: opts.redis_url.clone(),
                ..agents::AgentOptions::default()
            })
            .await?;
            let ep = sim.endpoints();
            endpoints.events_ws_url = Some(ep.monitor_url.clone());
            endpoints.exec_ids = ep.exec_ids.clone();
            endpoints.exec_logs_base = Some(ep.ws_base.clone());
            endpoints.sessions_dir = Some(ep.sessions_dir.clone());
            Some(sim)
        } else {
            None
        };
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            hosts: node_ports
                .iter()
                .map(|p| format!("127.0.0.1:{p}"))
                .collect(),
            faults: (0..opts.nodes).map(|_| AtomicU8::new(0)).collect(),
            flaps: (0..opts.nodes)
                .map(|_| [AtomicU64::new(0), AtomicU64::new(0)])
                .collect(),
            profiles,
            start: Instant::now(),
            shutdown: shutdown_rx,
        });

        let mut tasks = Vec::with_capacity(listeners.len());
        for (i, listener) in listeners.into_iter().enumerate() {
            let signal = {
                let shared = Arc::clone(&shared);
                async move { shared.wait_shutdown().await }
            };
            let task = if i < opts.nodes {
                let router = node_router(NodeState {
                    shared: Arc::clone(&shared),
                    index: i,
                });
                // Node listeners reset new connections while the node's fault is `reset`.
                let listener = faults::NodeListener::new(listener, Arc::clone(&shared), i);
                tokio::spawn(async move {
                    let served = axum::serve(listener, router).with_graceful_shutdown(signal);
                    if let Err(e) = served.await {
                        log::warn!("simulated node {i} stopped with an error: {e}");
                    }
                })
            } else {
                let router = proxy_router(Arc::clone(&shared));
                tokio::spawn(async move {
                    let served = axum::serve(listener, router).with_graceful_shutdown(signal);
                    if let Err(e) = served.await {
                        log::warn!("simulated proxy stopped with an error: {e}");
                    }
                })
            };
            tasks.push(task);
        }
        Ok(Self {
            shared,
            endpoints,
            shutdown_tx,
            tasks,
            agents,
        })
    }

    /// Where everything listens.
    #[must_use]
    pub fn endpoints(&self) -> &SimEndpoints {
        &self.endpoints
    }

    /// The profile of node `node`, to predict what it serves.
    ///
    /// # Panics
    /// If `node` is not below the number of nodes.
    #[must_use]
    pub fn profile(&self, node: usize) -> &NodeProfile {
        &self.shared.profiles[node]
    }

    /// Every node's profile, in node order.
    #[must_use]
    pub fn profiles(&self) -> &[NodeProfile] {
        &self.shared.profiles
    }

    /// Time since the cluster started: the `elapsed` the servers render at right now.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.shared.elapsed()
    }

    /// The current fault of node `node` (`Fault::None` for an unknown node).
    #[must_use]
    pub fn fault(&self, node: usize) -> Fault {
        self.shared.fault(node)
    }

    /// Injects (or clears, with `Fault::None`) a fault; takes effect on the next request. An
    /// unknown node is logged and ignored.
    pub fn set_fault(&self, node: usize, fault: Fault) {
        if !self.shared.set_fault(node, fault) {
            log::warn!("sim: no node {node} to set fault {} on", fault.as_str());
        }
    }

    /// The agent layer, when it runs.
    #[must_use]
    pub fn agents(&self) -> Option<&agents::AgentSim> {
        self.agents.as_ref()
    }

    /// A Swarmglass config (TOML) that reads this cluster: NVML off, one `vllm` and one `dcgm`
    /// Prometheus target per node, the status endpoint, all at a 1 s interval; with the agent
    /// layer, `[[nexus_ws]]`, `[[nexus_redis]]` (when publishing to Redis), `[[exec_logs]]` and
    /// `[[openclaw_sessions]]` too.
    #[must_use]
    pub fn config_toml(&self) -> String {
        let mut out = String::from("[nvml]\nenabled = false\n");
        for node in &self.endpoints.nodes {
            for (url, kind) in [(&node.metrics_url, "vllm"), (&node.gpu_metrics_url, "dcgm")] {
                out.push_str(&format!(
                    "\n[[prometheus]]\nurl = \"{url}\"\nnode = \"{}\"\nkind = \"{kind}\"\ninterval = \"1s\"\n",
                    node.name
                ));
            }
        }
        out.push_str(&format!(
            "\n[[status]]\nurl = \"{}\"\ninterval = \"1s\"\n",
            self.endpoints.status_url
        ));
        if let Some(a) = &self.agents {
            out.push_str(&a.endpoints().config_toml());
        }
        out
    }

    /// A human-readable list of the endpoints, one per line.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut out = format!(
            "swarmglass simulated cluster, {} node(s)\n",
            self.profiles().len()
        );
        for (node, p) in self.endpoints.nodes.iter().zip(self.profiles()) {
            let (engines, gpus) = (p.engine_shares.len(), p.gpus.len());
            out.push_str(&format!(
                "  {}  {}  engines {engines}  GPUs {gpus}\n",
                node.name, p.model
            ));
            out.push_str(&format!("    vLLM metrics  {}\n", node.metrics_url));
            out.push_str(&format!("    GPU metrics   {}\n", node.gpu_metrics_url));
        }
        out.push_str(&format!("  status        {}\n", self.endpoints.status_url));
        let control = &self.endpoints.control_url;
        out.push_str(&format!(
            "  control       POST {control}?node=N&fault={}\n",
            Fault::names()
        ));
        if let Some(a) = &self.agents {
            out.push_str(&a.summary());
        }
        out
    }

    /// Stops every server: hanging requests are released, in-flight ones finish, and any server
    /// still running after a 2 s grace period is aborted.
    pub async fn shutdown(mut self) {
        // Every receiver lives in `self.shared`, so sending cannot fail while `self` is alive.
        let _sent = self.shutdown_tx.send(true);
        if let Some(agents) = self.agents.take() {
            agents.shutdown().await;
        }
        for mut task in std::mem::take(&mut self.tasks) {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                log::warn!("sim: a server did not stop within {SHUTDOWN_GRACE:?}; aborting it");
                task.abort();
            }
        }
    }
}

impl Drop for SimCluster {
    fn drop(&mut self) {
        self.shutdown_tx.send_replace(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// State of one node's server.
#[derive(Debug, Clone)]
struct NodeState {
    shared: Arc<Shared>,
    index: usize,
}

fn node_router(state: NodeState) -> Router {
    Router::new()
        .route("/metrics", get(vllm_metrics))
        .route("/gpu/metrics", get(gpu_metrics))
        .with_state(state)
}

fn proxy_router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/status", get(status))
        .route("/control", post(control))
        .with_state(shared)
}

async fn vllm_metrics(State(st): State<NodeState>) -> Response {
    node_body(&st, Endpoint::Metrics).await
}

async fn gpu_metrics(State(st): State<NodeState>) -> Response {
    node_body(&st, Endpoint::GpuMetrics).await
}

/// The two endpoints of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    /// vLLM-like `/metrics`.
    Metrics = 0,
    /// dcgm-exporter-like `/gpu/metrics`.
    GpuMetrics = 1,
}

/// Answers a node request according to its fault (see [`Fault`]); value faults are applied by
/// the renderers, transport faults by [`faults`].
async fn node_body(st: &NodeState, endpoint: Endpoint) -> Response {
    let fault = st.shared.fault(st.index);
    let Some(profile) = st.shared.profiles.get(st.index) else {
        return (StatusCode::NOT_FOUND, "no such simulated node\n").into_response();
    };
    let render = || match endpoint {
        Endpoint::Metrics => render::render_vllm_metrics(profile, st.shared.elapsed(), fault),
        Endpoint::GpuMetrics => render::render_gpu_metrics(profile, st.shared.elapsed(), fault),
    };
    let ok =
        |body: String| ([(header::CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE)], body).into_response();
    match fault {
        Fault::Down => {
            (StatusCode::SERVICE_UNAVAILABLE, "simulated node is down\n").into_response()
        }
        Fault::Hang => {
            st.shared.wait_shutdown().await;
            shutting_down()
        }
        Fault::Flap if st.shared.flap_down(st.index, endpoint) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "simulated node is flapping: down on every other request\n",
        )
            .into_response(),
        Fault::Slow => {
            tokio::select! {
                () = tokio::time::sleep(SLOW_ANSWER_AFTER) => ok(render()),
                () = st.shared.wait_shutdown() => shutting_down(),
            }
        }
        Fault::Trickle => {
            faults::trickle(render(), PROMETHEUS_CONTENT_TYPE, Arc::clone(&st.shared))
        }
        Fault::Truncate | Fault::Reset => faults::cut_short(render(), PROMETHEUS_CONTENT_TYPE),
        Fault::Garbage => faults::garbage(st.index, st.shared.elapsed()),
        Fault::None
        | Fault::Overheat
        | Fault::Flap
        | Fault::Nan
        | Fault::Negative
        | Fault::Decreasing => ok(render()),
    }
}

fn shutting_down() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "simulated cluster shutting down\n",
    )
        .into_response()
}

async fn status(State(shared): State<Arc<Shared>>) -> Response {
    let nodes: Vec<StatusNode<'_>> = shared
        .profiles
        .iter()
        .zip(&shared.hosts)
        .enumerate()
        .map(|(i, (profile, host))| StatusNode {
            profile,
            host,
            fault: shared.fault(i),
        })
        .collect();
    let body = render::render_status(&nodes, shared.elapsed());
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Query of `POST /control`.
#[derive(Debug, serde::Deserialize)]
struct ControlParams {
    node: Option<String>,
    fault: Option<String>,
}

async fn control(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<ControlParams>,
) -> Result<String, (StatusCode, String)> {
    let bad = |what: &str| {
        (
            StatusCode::BAD_REQUEST,
            format!(
                "missing or invalid `{what}`; usage: POST /control?node=N&fault={}\n",
                Fault::names()
            ),
        )
    };
    let node = params
        .node
        .as_deref()
        .and_then(|n| n.trim().parse::<usize>().ok());
    let node = node.ok_or_else(|| bad("node"))?;
    let fault = params
        .fault
        .as_deref()
        .and_then(Fault::parse)
        .ok_or_else(|| bad("fault"))?;
    let Some(profile) = shared.profiles.get(node) else {
        let nodes = shared.profiles.len();
        return Err((
            StatusCode::NOT_FOUND,
            format!("no node {node}: nodes are 0..{nodes}\n"),
        ));
    };
    shared.set_fault(node, fault);
    Ok(format!("ok: {} fault={}\n", profile.name, fault.as_str()))
}

fn invalid(message: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message.to_owned())
}

/// Runs a simulated cluster until the process is killed (Ctrl-C): builds a tokio runtime,
/// starts the cluster, prints its endpoints and, if `write_config` is given, writes
/// [`SimCluster::config_toml`] there.
///
/// # Errors
/// When the runtime cannot be built, a listener cannot be bound or the config cannot be written.
pub fn run_blocking(
    opts: SimOptions,
    write_config: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use anyhow::Context as _;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("sim-rt")
        .enable_all()
        .build()
        .context("cannot build the tokio runtime for the simulated cluster")?;
    runtime.block_on(async move {
        let sim = SimCluster::start(opts)
            .await
            .context("cannot start the simulated cluster on 127.0.0.1 (a port in use?)")?;
        let mut text = sim.summary();
        if let Some(path) = write_config {
            std::fs::write(path, sim.config_toml())
                .with_context(|| format!("cannot write the sim config to {}", path.display()))?;
            text.push_str(&format!("  config        {}\n", path.display()));
        }
        text.push_str("Press Ctrl-C to stop.\n");
        // Nobody reading (`| head -1`) is no reason to stop serving.
        let _written_or_closed = crate::headless::print(&text)?;
        std::future::pending::<()>().await;
        sim.shutdown().await;
        Ok(())
    })
}
