//! `swarmglass agent`: a small node agent that serves `/metrics` for other windows (and
//! Prometheus) to read — this machine's GPUs through the same reader the window uses (NVML,
//! else `nvidia-smi`, on the framework's "nvml" thread), each compute process with the server
//! and model its command line names, MIG slices, host CPU, memory and disks, and whether NVML
//! is readable and why not. The exposition is `sources::agent_metrics` (written there, read
//! back there by the mapping). Binds 127.0.0.1 unless `--listen` says otherwise; an optional
//! bearer token comes from an environment variable.

pub mod host;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::model::ids::{SourceId, SourceKind};
use crate::model::input::SourceUpdate;
use crate::sources::agent_metrics::{self, AgentReading};
use crate::sources::framework::Sink;
use crate::sources::nvml;

/// How the agent runs.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// Address to serve on.
    pub listen: SocketAddr,
    /// How often the GPUs are read.
    pub interval: Duration,
    /// Bearer token every request must carry, if any.
    pub token: Option<String>,
    /// Mount points whose size and free space are reported.
    pub disks: Vec<PathBuf>,
    /// Fall back to `nvidia-smi -q -x` when NVML cannot be loaded.
    pub nvidia_smi_fallback: bool,
}

/// The latest GPU reading, shared between the reader thread and the server.
type Latest = Arc<Mutex<Result<Vec<crate::model::gpu::GpuSample>, String>>>;

struct Served {
    latest: Latest,
    token: Option<String>,
    disks: Vec<PathBuf>,
    hostname: String,
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_owned())
}

async fn metrics(State(s): State<Arc<Served>>, headers: HeaderMap) -> impl IntoResponse {
    if let Some(token) = &s.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "a bearer token is required: send `Authorization: Bearer <token>`\n".to_owned(),
            );
        }
    }
    let gpus = s
        .latest
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let reading = AgentReading {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        hostname: s.hostname.clone(),
        gpus,
        host: host::read(&s.disks),
    };
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        agent_metrics::render(&reading),
    )
}

async fn index() -> &'static str {
    "swarmglass agent: metrics at /metrics\n"
}

/// Start reading GPUs on the "nvml" thread; returns the shared latest reading.
///
/// # Errors
/// The OS refused to start a thread.
fn start_gpus(
    opts: &AgentOptions,
    stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<Latest> {
    let latest: Latest = Arc::new(Mutex::new(Err("not read yet".to_owned())));
    let (sink, updates) = Sink::channel(4, Arc::new(|| {}));
    let id = SourceId::new("local", SourceKind::Nvml, "local");
    nvml::spawn_gpu_thread(
        id,
        opts.interval,
        crate::runtime::gpu_opener(opts.nvidia_smi_fallback),
        sink,
        stop,
    )?;
    let slot = latest.clone();
    std::thread::Builder::new()
        .name("agent-gpus".into())
        .spawn(move || {
            while let Ok(u) = updates.recv() {
                if let SourceUpdate::LocalGpus { result, .. } = u {
                    *slot.lock().unwrap_or_else(PoisonError::into_inner) =
                        result.map_err(|e| e.to_string());
                }
            }
        })?;
    Ok(latest)
}

/// Serve until the process is stopped. `ready` is called with the bound address once the
/// listener is open (the tests bind port 0).
///
/// # Errors
/// The address cannot be bound, or a thread or runtime cannot be started.
pub fn run(opts: &AgentOptions, ready: impl FnOnce(SocketAddr)) -> anyhow::Result<()> {
    let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let latest = start_gpus(opts, stop_rx)?;
    let state = Arc::new(Served {
        latest,
        token: opts.token.clone(),
        disks: opts.disks.clone(),
        hostname: hostname(),
    });
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/", get(index))
        .with_state(state);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}; is another agent running there? give another --listen", opts.listen))?;
        let addr = listener.local_addr()?;
        if !addr.ip().is_loopback() && opts.token.is_none() {
            log::warn!(
                "serving on {addr} without a token: anyone who reaches it can read this machine's GPUs and processes; set --token-env"
            );
        }
        ready(addr);
        axum::serve(listener, app).await?;
        Ok(())
    })
}
