//! Stopping sources: the stop signal every source task watches, the waits that end early when
//! it flips, and [`SourceTask`], a handle that stops one task when dropped.

use std::time::Duration;

use tokio::sync::watch;

/// The stop signal a source task watches: it ends soon after this turns `true` (or its sender
/// is dropped).
pub type Stop = watch::Receiver<bool>;

/// Wait until `stop` flips to true (or its sender is gone); used inside `select!`.
pub async fn stopped(stop: &mut Stop) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// Sleep `d`, unless `stop` flips first. Returns false when stopped.
pub async fn sleep_or_stop(d: Duration, stop: &mut Stop) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => true,
        () = stopped(stop) => false,
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
    pub fn spawn<F>(make: impl FnOnce(Stop) -> F) -> Self
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
            log::debug!("source task already stopped");
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
            log::error!("a source task failed: {e}");
        }
    }
}

impl Drop for SourceTask {
    fn drop(&mut self) {
        self.stop();
    }
}
