//! How every source runs. One [`Sink`] carries every producer's [`SourceUpdate`]s to the single
//! owner of the model; one [`Backoff`] policy spaces retries; one [`poll_loop`] drives every
//! polled source (Prometheus targets, status endpoints, NVML, OpenClaw stores and gateway, the
//! tool-proxy log, Redis heartbeat keys); one [`stream_loop`] keeps every long-lived stream
//! (WebSocket, Redis pub/sub) connected. A source module supplies only what is its own: a
//! [`Poll`] (fetch → parse → map into a model update) or a [`Stream`] (connect, read until the
//! connection ends). `crate::runtime` decides which sources run and where.
//!
//! [`SourceUpdate`]: crate::model::input::SourceUpdate

mod backoff;
mod poll;
mod sink;
mod stream;
mod task;

pub use backoff::{Backoff, POLL_JITTER, RETRY_JITTER, jittered};
pub use poll::{MAX_BACKOFF, Poll, PollSchedule, poll_loop, read_blocking};
pub use sink::{Delivery, Sink, Updates, Waker};
pub use stream::{Ended, Stream, StreamSchedule, stream_loop};
pub use task::{SourceTask, Stop, sleep_or_stop, stopped};
