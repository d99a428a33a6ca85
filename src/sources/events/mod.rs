//! Streams of agent and task events and the files around them (DATA-SOURCES §5–8):
//!
//! - [`ws`]: the Nexus `/ws/monitor` WebSocket (events, filters, keepalive, reconnect);
//! - [`redis`]: the same events over Redis pub/sub, and worker liveness from heartbeat keys;
//! - [`exec_logs`]: workflow execution logs over `/ws/executions/{id}/logs`;
//! - [`openclaw`]: OpenClaw session stores on disk and the gateway's `sessions_list` tool;
//! - [`tool_proxy`]: the vLLM tool proxy's log file, tailed like `tail -F`.
//!
//! Every source runs as one tokio task (`run(cfg, sink, stop)`, or `spawn` for a
//! [`SourceTask`](super::framework::SourceTask) handle) through the one source framework
//! ([`super::framework`]): streams through its `stream_loop`, files and the gateway through
//! its `poll_loop`, every update through its `Sink`. Parsing is pure (`parse_*`
//! functions tested on fixtures); the model side is [`crate::model::tasks::TaskModel`].
//! Nothing here touches egui or owns the model.

pub mod exec_logs;
pub mod nexus;
pub mod openclaw;
mod openclaw_files;
mod openclaw_gateway;
pub mod redis;
pub mod tail;
pub mod tool_proxy;
pub mod wire;
pub mod ws;
mod wsconn;

pub use nexus::{DEFAULT_MAX_FRAME_BYTES, Frame, Keepalive, parse_frame, parse_frame_limited};
