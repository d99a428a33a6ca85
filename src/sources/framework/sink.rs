//! The one producer handle: every source, the NVML thread included, `try_send`s its updates into
//! one bounded channel owned by the consumer (the window or a headless command), counts what
//! it had to drop, and wakes the consumer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};

use crate::model::input::{EventUpdate, SourceUpdate};

/// Called after each update is queued, to wake an idle consumer (e.g. `ctx.request_repaint()`).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// What became of one update handed to [`Sink::send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Queued.
    Queued,
    /// The consumer is behind and the channel is full: dropped and counted.
    Dropped,
    /// The consumer is gone: the source should stop.
    Closed,
}

/// The producer side of the update channel. Cheap to clone; all clones share one drop counter.
#[derive(Clone)]
pub struct Sink {
    tx: SyncSender<SourceUpdate>,
    wake: Waker,
    dropped: Arc<AtomicU64>,
}

impl Sink {
    /// A bounded channel of `capacity` updates (at least 1) and its consumer end.
    #[must_use]
    pub fn channel(capacity: usize, wake: Waker) -> (Self, Receiver<SourceUpdate>) {
        let (tx, rx) = std::sync::mpsc::sync_channel(capacity.max(1));
        (
            Self {
                tx,
                wake,
                dropped: Arc::new(AtomicU64::new(0)),
            },
            rx,
        )
    }

    /// Queue an update without blocking; count it as dropped when the channel is full. The
    /// consumer is woken either way (a full channel is exactly when it must run).
    pub fn send(&self, update: SourceUpdate) -> Delivery {
        let delivery = match self.tx.try_send(update) {
            Ok(()) => Delivery::Queued,
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                Delivery::Dropped
            }
            Err(TrySendError::Disconnected(_)) => return Delivery::Closed,
        };
        (self.wake)();
        delivery
    }

    /// [`Self::send`] for an agent/task source's update.
    pub fn send_event(&self, update: EventUpdate) -> Delivery {
        self.send(SourceUpdate::agents(update))
    }

    /// Updates dropped so far (all clones of this sink together).
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::model::ids::SourceId;
    use crate::model::input::ConnectionState;

    #[test]
    fn sink_counts_drops_wakes_and_reports_a_gone_consumer() {
        let woken = Arc::new(AtomicU64::new(0));
        let w = Arc::clone(&woken);
        let (sink, rx) = Sink::channel(
            1,
            Arc::new(move || {
                w.fetch_add(1, Ordering::Relaxed);
            }),
        );
        let id = SourceId::new("swarm", crate::model::ids::SourceKind::NexusWs, "x");
        let upd = || EventUpdate::Connection {
            source: id.clone(),
            state: ConnectionState::Connected {
                since: SystemTime::UNIX_EPOCH,
            },
        };
        assert_eq!(sink.send_event(upd()), Delivery::Queued);
        assert_eq!(sink.clone().send_event(upd()), Delivery::Dropped);
        assert_eq!(sink.dropped(), 1);
        assert_eq!(woken.load(Ordering::Relaxed), 2);
        assert!(rx.try_recv().unwrap().into_agents().is_some());
        drop(rx);
        assert_eq!(sink.send_event(upd()), Delivery::Closed);
        assert_eq!(
            woken.load(Ordering::Relaxed),
            2,
            "no wake-up for a gone consumer"
        );
    }
}
