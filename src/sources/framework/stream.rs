//! The one reconnecting-stream loop. A long-lived stream (the Nexus WebSocket, an execution's
//! log WebSocket, Redis pub/sub) is a [`Stream`]: it knows how to connect and how to read one
//! connection until it ends. [`stream_loop`] does the rest: reports every
//! [`ConnectionState`], reconnects after any drop with the one [`Backoff`] (reset once a
//! connection stayed up `stable_after`), gives up on a permanent error (bad URL, unknown
//! execution), and ends promptly when `stop` flips or the consumer is gone.

use std::future::Future;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::backoff::Backoff;
use super::sink::Delivery;
use super::task::{Stop, sleep_or_stop, stopped};
use crate::model::input::{ConnectionState, EventError};

/// How one connection ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    /// `stop` flipped (the connection was closed politely).
    Stopped,
    /// The consumer is gone: the source stops.
    ConsumerGone,
    /// The connection ended without an error of ours (closed, reset, silent too long): why.
    Dropped(String),
    /// The connection was ended because of an error.
    Failed(EventError),
}

/// A source read over a long-lived connection.
pub trait Stream: Send {
    /// One open connection.
    type Conn: Send;

    /// Open a connection (connect, upgrade or subscribe), within the source's own timeout.
    fn connect(&mut self) -> impl Future<Output = Result<Self::Conn, EventError>> + Send;

    /// Read `conn` until it ends, handing every payload to the sink.
    fn pump(&mut self, conn: Self::Conn, stop: &mut Stop) -> impl Future<Output = Ended> + Send;

    /// Report a connection state change (through the sink).
    fn state(&mut self, state: ConnectionState) -> Delivery;
}

/// When a stream reconnects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSchedule {
    /// First reconnect delay.
    pub backoff_base: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// A connection up this long resets the backoff.
    pub stable_after: Duration,
}

/// Keep `stream` connected until `stop` flips, the consumer goes away or a permanent error ends
/// it.
pub async fn stream_loop(mut stream: impl Stream, schedule: StreamSchedule, mut stop: Stop) {
    let mut backoff = Backoff::new(schedule.backoff_base, schedule.backoff_max);
    let mut rng = fastrand::Rng::new();
    let mut attempt = 0_u32;
    loop {
        if *stop.borrow() {
            return;
        }
        attempt = attempt.saturating_add(1);
        if stream.state(ConnectionState::Connecting {
            since: SystemTime::now(),
            attempt,
        }) == Delivery::Closed
        {
            return;
        }
        let connected = tokio::select! {
            r = stream.connect() => r,
            () = stopped(&mut stop) => return,
        };
        let failure = match connected {
            Err(e) => e,
            Ok(conn) => {
                if stream.state(ConnectionState::Connected {
                    since: SystemTime::now(),
                }) == Delivery::Closed
                {
                    return;
                }
                let up_since = Instant::now();
                let ended = stream.pump(conn, &mut stop).await;
                if up_since.elapsed() >= schedule.stable_after {
                    backoff.reset();
                    attempt = 0;
                }
                match ended {
                    Ended::Stopped | Ended::ConsumerGone => return,
                    Ended::Failed(e) => e,
                    Ended::Dropped(reason) => {
                        let delay = backoff.next_delay(rng.f64());
                        if stream.state(ConnectionState::Disconnected {
                            reason,
                            next_retry_at: SystemTime::now() + delay,
                        }) == Delivery::Closed
                            || !sleep_or_stop(delay, &mut stop).await
                        {
                            return;
                        }
                        continue;
                    }
                }
            }
        };
        if failure.is_permanent() {
            stream.state(ConnectionState::Error {
                error: failure,
                next_retry_at: None,
            });
            return;
        }
        let delay = backoff.next_delay(rng.f64());
        if stream.state(ConnectionState::Error {
            error: failure,
            next_retry_at: Some(SystemTime::now() + delay),
        }) == Delivery::Closed
            || !sleep_or_stop(delay, &mut stop).await
        {
            return;
        }
    }
}
