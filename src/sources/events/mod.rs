//! Streams of agent and task events and the files around them (DATA-SOURCES §5–8):
//!
//! - [`ws`]: the Nexus `/ws/monitor` WebSocket (events, filters, keepalive, reconnect);
//! - [`redis`]: the same events over Redis pub/sub, and worker liveness from heartbeat keys;
//! - [`exec_logs`]: workflow execution logs over `/ws/executions/{id}/logs`;
//! - [`openclaw`]: OpenClaw session stores on disk and the gateway's `sessions_list` tool;
//! - [`tool_proxy`]: the vLLM tool proxy's log file, tailed like `tail -F`.
//!
//! Every source runs as one tokio task (`run(cfg, sink, stop)`, or `spawn` for a
//! [`SourceTask`] handle) and reports through an [`EventSink`]: a bounded channel that never
//! blocks the producer, counts what it drops and wakes the consumer. Parsing is pure (`parse_*`
//! functions tested on fixtures); the model side is [`crate::model::tasks::TaskModel`].
//! Nothing here touches egui or owns the model.

pub mod backoff;
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

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use tokio::sync::watch;

use crate::model::input::EventUpdate;

pub use nexus::{DEFAULT_MAX_FRAME_BYTES, Frame, Keepalive, parse_frame, parse_frame_limited};

/// Called after each update is queued, to wake an idle consumer (e.g. `ctx.request_repaint()`).
/// The same type as `runtime::Waker`.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// What became of one update handed to [`EventSink::send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Queued.
    Queued,
    /// The consumer is behind and the channel is full: dropped and counted.
    Dropped,
    /// The consumer is gone: the source should stop.
    Closed,
}

type DeliverFn = dyn Fn(EventUpdate) -> Delivery + Send + Sync;

#[derive(Clone)]
enum Outlet {
    Channel(SyncSender<EventUpdate>),
    Func(Arc<DeliverFn>),
}

/// The producer side of a bounded update channel: `try_send`, count drops, wake the consumer
/// (the same contract as `runtime::Sink`).
#[derive(Clone)]
pub struct EventSink {
    outlet: Outlet,
    wake: Waker,
    dropped: Arc<AtomicU64>,
}

impl EventSink {
    /// A bounded channel of `capacity` updates (at least 1) and its consumer end.
    #[must_use]
    pub fn channel(capacity: usize, wake: Waker) -> (Self, Receiver<EventUpdate>) {
        let (tx, rx) = std::sync::mpsc::sync_channel(capacity.max(1));
        (
            Self {
                outlet: Outlet::Channel(tx),
                wake,
                dropped: Arc::new(AtomicU64::new(0)),
            },
            rx,
        )
    }

    /// A sink that hands each update to `deliver` (which must not block), e.g. to wrap it into
    /// the runtime's own update type and `try_send` it there.
    #[must_use]
    pub fn from_fn(
        deliver: impl Fn(EventUpdate) -> Delivery + Send + Sync + 'static,
        wake: Waker,
    ) -> Self {
        Self {
            outlet: Outlet::Func(Arc::new(deliver)),
            wake,
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Queue an update without blocking; count it as dropped when the channel is full.
    pub fn send(&self, update: EventUpdate) -> Delivery {
        let delivery = match &self.outlet {
            Outlet::Channel(tx) => match tx.try_send(update) {
                Ok(()) => Delivery::Queued,
                Err(TrySendError::Full(_)) => Delivery::Dropped,
                Err(TrySendError::Disconnected(_)) => Delivery::Closed,
            },
            Outlet::Func(f) => f(update),
        };
        match delivery {
            Delivery::Queued => (self.wake)(),
            Delivery::Dropped => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                (self.wake)();
            }
            Delivery::Closed => {}
        }
        delivery
    }

    /// Updates dropped so far (all clones of this sink together).
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// A running source task. Dropping it asks the task to stop; [`SourceTask::shutdown`] also
/// waits for it.
pub struct SourceTask {
    stop: watch::Sender<bool>,
    join: Option<tokio::task::JoinHandle<()>>,
}

impl SourceTask {
    /// Spawn `make(stop)` on the current tokio runtime.
    ///
    /// # Panics
    /// Outside a tokio runtime (as `tokio::spawn` does).
    pub fn spawn<F>(make: impl FnOnce(watch::Receiver<bool>) -> F) -> Self
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let (stop, stop_rx) = watch::channel(false);
        Self {
            stop,
            join: Some(tokio::spawn(make(stop_rx))),
        }
    }

    /// Ask the task to stop (it closes its connection first).
    pub fn stop(&self) {
        // An error means the task has already ended: nothing left to stop.
        if self.stop.send(true).is_err() {
            log::debug!("event source task already stopped");
        }
    }

    /// True once the task has ended (stopped, or gave up on a permanent error).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.join
            .as_ref()
            .is_none_or(tokio::task::JoinHandle::is_finished)
    }

    /// Stop the task and wait for it to end.
    pub async fn shutdown(mut self) {
        self.stop();
        if let Some(join) = self.join.take()
            && let Err(e) = join.await
        {
            log::error!("an event source task failed: {e}");
        }
    }
}

impl Drop for SourceTask {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Wait until `stop` flips to true (or its sender is gone); used inside `select!`.
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// Sleep `d`, unless `stop` flips first. Returns false when stopped.
pub(crate) async fn sleep_or_stop(
    d: std::time::Duration,
    stop: &mut watch::Receiver<bool>,
) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => true,
        () = stopped(stop) => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    use crate::model::ids::{SourceId, SourceKind};
    use crate::model::input::{ConnectionState, EventError};

    #[test]
    fn sink_counts_drops_and_reports_a_gone_consumer() {
        let woken = Arc::new(AtomicU64::new(0));
        let w = Arc::clone(&woken);
        let (sink, rx) = EventSink::channel(
            1,
            Arc::new(move || {
                w.fetch_add(1, Ordering::Relaxed);
            }),
        );
        let id = SourceId::new("swarm", SourceKind::NexusWs, "x");
        let upd = || EventUpdate::Connection {
            source: id.clone(),
            state: ConnectionState::Connected {
                since: SystemTime::UNIX_EPOCH,
            },
        };
        assert_eq!(sink.send(upd()), Delivery::Queued);
        assert_eq!(sink.send(upd()), Delivery::Dropped);
        assert_eq!(sink.dropped(), 1);
        assert_eq!(woken.load(Ordering::Relaxed), 2);
        assert!(rx.try_recv().is_ok());
        drop(rx);
        assert_eq!(sink.send(upd()), Delivery::Closed);
    }

    #[test]
    fn errors_surface_for_the_error_log() {
        let id = SourceId::new("swarm", SourceKind::NexusWs, "x");
        let u = EventUpdate::Malformed {
            source: id.clone(),
            at: SystemTime::UNIX_EPOCH,
            error: EventError::malformed("x", b"y"),
        };
        assert_eq!(u.error().map(EventError::kind), Some("malformed"));
        let u = EventUpdate::Connection {
            source: id,
            state: ConnectionState::Connected {
                since: SystemTime::UNIX_EPOCH,
            },
        };
        assert!(u.error().is_none());
        let json = serde_json::to_string(&ConnectionState::Error {
            error: EventError::malformed("x", b"y"),
            next_retry_at: None,
        })
        .unwrap();
        assert!(
            json.contains(r#""state":"error""#) && json.contains(r#""next_retry_at":null"#),
            "{json}"
        );
    }
}
