//! The one producer handle: every source, the NVML thread included, sends its updates through a
//! [`Sink`] into one bounded channel owned by the consumer (the window or a headless command),
//! which reads them through [`Updates`]. The sink never blocks, counts what it drops, wakes the
//! consumer, and is fair:
//!
//! - Each source has its own slot ([`Sink::for_source`]). A quarter of the channel is reserved,
//!   split evenly between the slots; the other three quarters are shared, first come. A source
//!   that has used its reserve and finds the shared part full loses its own update — never
//!   another source's: the reserves of the others stay free, so the channel itself never fills.
//! - A malformed frame never takes a queue slot of its own: while one `Malformed` report of a
//!   source and an error kind is queued, further ones of that kind are only counted, and the
//!   consumer receives them folded into that report's `count`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{
    Receiver, RecvError, RecvTimeoutError, SyncSender, TryRecvError, TrySendError,
};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::model::input::{EventUpdate, SourceUpdate};

/// Called after each update is queued, to wake an idle consumer (e.g. `ctx.request_repaint()`).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// What became of one update handed to [`Sink::send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Queued (or, for a malformed-frame report, folded into the one already queued).
    Queued,
    /// This source's share of the channel is full: dropped and counted.
    Dropped,
    /// The consumer is gone: the source should stop.
    Closed,
}

/// Who may use how much of the channel, and what is queued per source.
#[derive(Debug)]
struct Ledger {
    /// Channel capacity.
    capacity: usize,
    /// Queued updates per slot.
    queued: Vec<usize>,
    /// Queued updates beyond their slot's reserve: Σ max(0, queued − reserve).
    shared_used: usize,
    /// Per slot: the error kinds of its queued `Malformed` reports, with the frames of that
    /// kind counted (folded) while the report was queued.
    malformed: Vec<Vec<(&'static str, u64)>>,
    /// Updates dropped per slot.
    dropped: Vec<u64>,
}

impl Ledger {
    fn reserve(&self) -> usize {
        (self.capacity / 4) / self.queued.len().max(1)
    }

    fn shared_cap(&self) -> usize {
        self.capacity - self.capacity / 4
    }

    /// Recount the shared part (after the reserve changed).
    fn recount_shared(&mut self) {
        let reserve = self.reserve();
        self.shared_used = self.queued.iter().map(|q| q.saturating_sub(reserve)).sum();
    }
}

/// Shared between every [`Sink`] of one channel and its [`Updates`].
#[derive(Debug)]
struct Shared {
    ledger: Mutex<Ledger>,
    dropped: AtomicU64,
    /// The consumer is gone.
    closed: AtomicBool,
}

impl Shared {
    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        // A panic while the ledger was held leaves counts, never broken invariants: go on.
        self.ledger
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One queued update and the slot it counts against.
#[derive(Debug)]
struct Envelope {
    update: SourceUpdate,
    slot: usize,
}

/// The producer side of the update channel. Cheap to clone; clones share the slot.
#[derive(Clone)]
pub struct Sink {
    tx: SyncSender<Envelope>,
    wake: Waker,
    shared: Arc<Shared>,
    slot: usize,
}

impl Sink {
    /// A bounded channel of `capacity` updates (at least 4) and its consumer end. The sink
    /// returned has the first slot; give every other source its own with [`Self::for_source`].
    #[must_use]
    pub fn channel(capacity: usize, wake: Waker) -> (Self, Updates) {
        let capacity = capacity.max(4);
        let (tx, rx) = std::sync::mpsc::sync_channel(capacity);
        let shared = Arc::new(Shared {
            ledger: Mutex::new(Ledger {
                capacity,
                queued: vec![0],
                shared_used: 0,
                malformed: vec![Vec::new()],
                dropped: vec![0],
            }),
            dropped: AtomicU64::new(0),
            closed: AtomicBool::new(false),
        });
        (
            Self {
                tx,
                wake,
                shared: Arc::clone(&shared),
                slot: 0,
            },
            Updates { rx, shared },
        )
    }

    /// A sink on the same channel with a slot of its own: one per source, so that a flooding
    /// source loses only its own surplus.
    #[must_use]
    pub fn for_source(&self) -> Self {
        let mut l = self.shared.ledger();
        let slot = l.queued.len();
        l.queued.push(0);
        l.malformed.push(Vec::new());
        l.dropped.push(0);
        l.recount_shared();
        drop(l);
        Self {
            tx: self.tx.clone(),
            wake: Arc::clone(&self.wake),
            shared: Arc::clone(&self.shared),
            slot,
        }
    }

    /// Queue an update without blocking. Dropped (and counted) when this source's share is
    /// full; the consumer is woken either way (a full share is exactly when it must run).
    pub fn send(&self, update: SourceUpdate) -> Delivery {
        if self.shared.closed.load(Ordering::Relaxed) {
            return Delivery::Closed;
        }
        let malformed = malformed_kind(&update);
        {
            let mut l = self.shared.ledger();
            if let Some(kind) = malformed
                && let Some(entry) = l.malformed[self.slot].iter_mut().find(|(k, _)| *k == kind)
            {
                entry.1 += 1;
                drop(l);
                (self.wake)();
                return Delivery::Queued;
            }
            let in_shared = l.queued[self.slot] >= l.reserve();
            if in_shared && l.shared_used >= l.shared_cap() {
                l.dropped[self.slot] += 1;
                drop(l);
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                (self.wake)();
                return Delivery::Dropped;
            }
            l.queued[self.slot] += 1;
            l.shared_used += usize::from(in_shared);
            if let Some(kind) = malformed {
                l.malformed[self.slot].push((kind, 0));
            }
        }
        let envelope = Envelope {
            update,
            slot: self.slot,
        };
        match self.tx.try_send(envelope) {
            Ok(()) => {
                (self.wake)();
                Delivery::Queued
            }
            // The ledger keeps the channel from filling; should it fill anyway, count the loss.
            Err(TrySendError::Full(e)) => {
                self.shared.release(&e);
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                (self.wake)();
                Delivery::Dropped
            }
            Err(TrySendError::Disconnected(e)) => {
                self.shared.release(&e);
                Delivery::Closed
            }
        }
    }

    /// [`Self::send`] for an agent/task source's update.
    pub fn send_event(&self, update: EventUpdate) -> Delivery {
        self.send(SourceUpdate::agents(update))
    }

    /// Updates dropped so far, all sources of this channel together.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Updates this sink's source has dropped so far.
    #[must_use]
    pub fn dropped_here(&self) -> u64 {
        self.shared.ledger().dropped[self.slot]
    }
}

impl Shared {
    /// An envelope left the channel (or never entered it): free its place in the ledger.
    fn release(&self, e: &Envelope) -> u64 {
        let mut l = self.ledger();
        if l.queued[e.slot] > l.reserve() {
            l.shared_used = l.shared_used.saturating_sub(1);
        }
        l.queued[e.slot] = l.queued[e.slot].saturating_sub(1);
        let Some(kind) = malformed_kind(&e.update) else {
            return 0;
        };
        let queued = &mut l.malformed[e.slot];
        queued
            .iter()
            .position(|(k, _)| *k == kind)
            .map_or(0, |i| queued.swap_remove(i).1)
    }
}

/// The error kind of a malformed-frame report; `None` for any other update.
fn malformed_kind(update: &SourceUpdate) -> Option<&'static str> {
    match update {
        SourceUpdate::Agents(u) => match u.as_ref() {
            EventUpdate::Malformed { error, .. } => Some(error.kind()),
            _ => None,
        },
        _ => None,
    }
}

/// The consumer side of the update channel.
pub struct Updates {
    rx: Receiver<Envelope>,
    shared: Arc<Shared>,
}

impl Drop for Updates {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Relaxed);
    }
}

impl Updates {
    fn open(&self, mut e: Envelope) -> SourceUpdate {
        let folded = self.shared.release(&e);
        if folded > 0
            && let SourceUpdate::Agents(u) = &mut e.update
            && let EventUpdate::Malformed { count, .. } = u.as_mut()
        {
            *count = count.saturating_add(folded);
        }
        e.update
    }

    /// The next update, if one is queued.
    ///
    /// # Errors
    /// Nothing queued, or every sink is gone.
    pub fn try_recv(&self) -> Result<SourceUpdate, TryRecvError> {
        self.rx.try_recv().map(|e| self.open(e))
    }

    /// The next update, waiting for it.
    ///
    /// # Errors
    /// Every sink is gone.
    pub fn recv(&self) -> Result<SourceUpdate, RecvError> {
        self.rx.recv().map(|e| self.open(e))
    }

    /// The next update, waiting at most `timeout`.
    ///
    /// # Errors
    /// Nothing arrived in time, or every sink is gone.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<SourceUpdate, RecvTimeoutError> {
        self.rx.recv_timeout(timeout).map(|e| self.open(e))
    }

    /// Every update queued now, without waiting.
    pub fn try_iter(&self) -> impl Iterator<Item = SourceUpdate> + '_ {
        self.rx.try_iter().map(|e| self.open(e))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::model::ids::{SourceId, SourceKind};
    use crate::model::input::{ConnectionState, EventError};

    fn connected(locator: &str) -> EventUpdate {
        EventUpdate::Connection {
            source: SourceId::new("swarm", SourceKind::NexusWs, locator),
            state: ConnectionState::Connected {
                since: SystemTime::UNIX_EPOCH,
            },
        }
    }

    fn malformed(locator: &str) -> EventUpdate {
        EventUpdate::Malformed {
            source: SourceId::new("swarm", SourceKind::NexusRedis, locator),
            at: SystemTime::UNIX_EPOCH,
            error: EventError::malformed("not JSON", b"{"),
            count: 1,
        }
    }

    #[test]
    fn sink_counts_drops_wakes_and_reports_a_gone_consumer() {
        let woken = Arc::new(AtomicU64::new(0));
        let w = Arc::clone(&woken);
        let (sink, rx) = Sink::channel(
            4,
            Arc::new(move || {
                w.fetch_add(1, Ordering::Relaxed);
            }),
        );
        // One source alone: its reserve (1) plus the shared part (3).
        for _ in 0..4 {
            assert_eq!(sink.send_event(connected("a")), Delivery::Queued);
        }
        assert_eq!(sink.clone().send_event(connected("a")), Delivery::Dropped);
        assert_eq!((sink.dropped(), sink.dropped_here()), (1, 1));
        assert_eq!(woken.load(Ordering::Relaxed), 5);
        assert!(rx.try_recv().unwrap().into_agents().is_some());
        assert_eq!(
            sink.send_event(connected("a")),
            Delivery::Queued,
            "a slot came free"
        );
        drop(rx);
        assert_eq!(sink.send_event(connected("a")), Delivery::Closed);
        assert_eq!(
            woken.load(Ordering::Relaxed),
            6,
            "no wake-up for a gone consumer"
        );
    }

    #[test]
    fn a_flooding_source_loses_its_own_surplus_never_another_sources_updates() {
        let (root, rx) = Sink::channel(64, Arc::new(|| {}));
        let flood = root.for_source();
        let healthy: Vec<Sink> = (0..7).map(|_| root.for_source()).collect();
        // Nobody drains: the flood takes its reserve and the whole shared part, then drops.
        let sent = (0..10_000)
            .filter(|_| flood.send_event(connected("flood")) == Delivery::Queued)
            .count();
        assert!(sent < 64 && flood.dropped_here() as usize == 10_000 - sent);
        // Every other source still gets its reserved updates through, none dropped.
        for (i, s) in healthy.iter().enumerate() {
            assert_eq!(
                s.send_event(connected(&format!("ok-{i}"))),
                Delivery::Queued
            );
            assert_eq!(s.dropped_here(), 0);
        }
        let got: Vec<SourceUpdate> = rx.try_iter().collect();
        assert_eq!(got.len(), sent + healthy.len());
        let healthy_got = got
            .iter()
            .filter(|u| u.source().locator.starts_with("ok-"))
            .count();
        assert_eq!(healthy_got, 7);
    }

    #[test]
    fn malformed_frames_take_one_slot_and_arrive_counted() {
        let (root, rx) = Sink::channel(64, Arc::new(|| {}));
        let bad = root.for_source();
        let good = root.for_source();
        for _ in 0..50_000 {
            assert_eq!(bad.send_event(malformed("r")), Delivery::Queued);
        }
        assert_eq!(good.send_event(connected("w")), Delivery::Queued);
        assert_eq!(root.dropped(), 0, "nothing was lost");
        let got: Vec<SourceUpdate> = rx.try_iter().collect();
        assert_eq!(got.len(), 2, "one folded report and the healthy update");
        let Some(EventUpdate::Malformed { count, .. }) = got[0].clone().into_agents() else {
            panic!("{:?}", got[0]);
        };
        assert_eq!(count, 50_000);
        // Once the report was taken, the next malformed frame is a new report.
        assert_eq!(bad.send_event(malformed("r")), Delivery::Queued);
        let Some(EventUpdate::Malformed { count, .. }) = rx.try_recv().unwrap().into_agents()
        else {
            panic!("expected a malformed report");
        };
        assert_eq!(count, 1);
    }
}
