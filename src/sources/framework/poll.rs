//! The one poll loop. A polled source is a [`Poll`]: one call fetches, parses and maps into a
//! model update; [`poll_loop`] does the rest: first poll at once, then the interval (±
//! [`POLL_JITTER`](super::POLL_JITTER)) while polls succeed, the [`Backoff`] while they fail,
//! every update through the one [`Sink`], and a prompt end when `stop` flips or the consumer is
//! gone.

use std::future::Future;
use std::time::Duration;

use super::backoff::{Backoff, jittered};
use super::sink::{Delivery, Sink};
use super::task::{Stop, sleep_or_stop, stopped};
use crate::model::input::SourceUpdate;

/// Longest wait between two polls of a failing source (unless its interval is longer).
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A source that is read by asking it again and again.
pub trait Poll: Send {
    /// One poll: fetch, parse, map. `None` when there is nothing new to report and nothing went
    /// wrong (a log file that did not grow). A failed poll is an update whose result is an
    /// error ([`SourceUpdate::is_failure`]): the loop then backs off.
    fn poll(&mut self) -> impl Future<Output = Option<SourceUpdate>> + Send;

    /// True when polling again cannot help (no GPU driver on this machine): the loop ends after
    /// sending this poll's update.
    fn finished(&self) -> bool {
        false
    }
}

/// How often a source is polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollSchedule {
    /// Between two successful polls.
    pub interval: Duration,
    /// Longest wait while polls fail (raised to `interval` when shorter).
    pub max_backoff: Duration,
}

impl PollSchedule {
    /// Poll every `interval`, backing off up to [`MAX_BACKOFF`] while polls fail.
    #[must_use]
    pub fn every(interval: Duration) -> Self {
        Self {
            interval,
            max_backoff: MAX_BACKOFF,
        }
    }

    /// The backoff of a failing source: twice the interval after the first failure, doubling up
    /// to `max_backoff` (or the interval, when that is longer).
    #[must_use]
    pub fn backoff(&self) -> Backoff {
        let cap = self.max_backoff.max(self.interval);
        Backoff::new(self.interval.saturating_mul(2).min(cap), cap)
    }
}

/// Poll `source` until `stop` flips, the consumer goes away or the source is
/// [`finished`](Poll::finished).
pub async fn poll_loop(mut source: impl Poll, schedule: PollSchedule, sink: Sink, mut stop: Stop) {
    let mut backoff = schedule.backoff();
    let mut rng = fastrand::Rng::new();
    loop {
        if *stop.borrow() {
            return;
        }
        let polled = tokio::select! {
            u = source.poll() => u,
            () = stopped(&mut stop) => return,
        };
        let failed = polled.as_ref().is_some_and(SourceUpdate::is_failure);
        if let Some(update) = polled
            && sink.send(update) == Delivery::Closed
        {
            return;
        }
        if source.finished() {
            return;
        }
        let delay = if failed {
            backoff.next_delay(rng.f64())
        } else {
            backoff.reset();
            jittered(schedule.interval, rng.f64())
        };
        if !sleep_or_stop(delay, &mut stop).await {
            return;
        }
    }
}

/// Run a blocking `read` of the state in `slot` on tokio's blocking pool (file I/O must not stall
/// the runtime's workers); the state comes back into `slot` afterwards. When the read panicked,
/// `Err` says so and the state is rebuilt with `fresh` next time.
///
/// # Errors
/// The read panicked (or the runtime is shutting down).
pub async fn read_blocking<T, R>(
    slot: &mut Option<T>,
    fresh: impl FnOnce() -> T,
    read: fn(&mut T) -> R,
) -> Result<R, String>
where
    T: Send + 'static,
    R: Send + 'static,
{
    let mut state = slot.take().unwrap_or_else(fresh);
    let job = tokio::task::spawn_blocking(move || {
        let r = read(&mut state);
        (state, r)
    });
    match job.await {
        Ok((state, r)) => {
            *slot = Some(state);
            Ok(r)
        }
        Err(e) => Err(format!("the reader failed: {e}")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;
    use std::time::SystemTime;

    use super::*;
    use crate::model::ids::SourceId;
    use crate::model::input::SourceError;

    #[test]
    fn failing_source_backs_off_exponentially_up_to_the_cap() {
        let mut b = PollSchedule::every(Duration::from_secs(1)).backoff();
        assert_eq!(b.next_delay(0.5), Duration::from_secs(2));
        assert_eq!(b.next_delay(0.5), Duration::from_secs(4));
        assert_eq!(b.next_delay(0.5), Duration::from_secs(8));
        for _ in 0..40 {
            b.next_delay(0.5);
        }
        assert_eq!(b.next_delay(0.5), MAX_BACKOFF);
        // An interval longer than the cap is never shortened by backoff.
        let long = Duration::from_secs(60);
        let mut b = PollSchedule::every(long).backoff();
        assert_eq!(b.next_delay(0.5), long);
        assert_eq!(b.next_delay(0.5), long);
    }

    /// Fails `fail` times, then succeeds; gives up after `total` polls.
    struct Scripted {
        fail: u32,
        total: u32,
        polls: u32,
    }

    impl Poll for Scripted {
        async fn poll(&mut self) -> Option<SourceUpdate> {
            self.polls += 1;
            let result = if self.polls <= self.fail {
                Err(SourceError::Other("down".into()))
            } else {
                Ok(Vec::new())
            };
            Some(SourceUpdate::LocalGpus {
                source: SourceId::new("n", crate::model::ids::SourceKind::Nvml, "local"),
                at: SystemTime::UNIX_EPOCH,
                result,
            })
        }

        fn finished(&self) -> bool {
            self.polls >= self.total
        }
    }

    #[tokio::test(start_paused = true)]
    async fn polls_at_once_then_backs_off_while_failing_and_recovers() {
        let (sink, rx) = Sink::channel(16, Arc::new(|| {}));
        let (_stop_tx, stop) = tokio::sync::watch::channel(false);
        let start = tokio::time::Instant::now();
        let schedule = PollSchedule::every(Duration::from_secs(1));
        poll_loop(
            Scripted {
                fail: 2,
                total: 4,
                polls: 0,
            },
            schedule,
            sink,
            stop,
        )
        .await;
        let failures: Vec<bool> = rx.try_iter().map(|u| u.is_failure()).collect();
        assert_eq!(failures, [true, true, false, false]);
        // Waits: 2 s ±20 % after the first failure, 4 s ±20 % after the second, then 1 s ±10 %.
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(5_700) && took <= Duration::from_millis(8_300),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_gone_consumer_or_stop_ends_the_loop() {
        let (sink, rx) = Sink::channel(16, Arc::new(|| {}));
        drop(rx);
        let (_stop_tx, stop) = tokio::sync::watch::channel(false);
        let forever = Scripted {
            fail: 0,
            total: u32::MAX,
            polls: 0,
        };
        // Returns at the first send: nobody listens.
        poll_loop(
            forever,
            PollSchedule::every(Duration::from_secs(1)),
            sink,
            stop,
        )
        .await;

        let (sink, _rx) = Sink::channel(16, Arc::new(|| {}));
        let (stop_tx, stop) = tokio::sync::watch::channel(false);
        let forever = Scripted {
            fail: 0,
            total: u32::MAX,
            polls: 0,
        };
        let task = tokio::spawn(poll_loop(
            forever,
            PollSchedule::every(Duration::from_secs(1)),
            sink,
            stop,
        ));
        stop_tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(1), task)
            .await
            .unwrap()
            .unwrap();
    }
}
