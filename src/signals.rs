//! SIGINT and SIGTERM as a request to stop: [`StopRequest::on_signals`] catches both (tokio's
//! `signal` feature, on a named "signals" thread with its own small runtime), so `snapshot`
//! prints what it gathered, `watch` delivers what it owes and the window closes and saves its
//! state, each at its own pace, instead of being killed. A second signal while that happens
//! ends the process at once with the shell's code for it (130 for SIGINT, 143 for SIGTERM):
//! Ctrl-C twice always works.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Called when a stop is requested (e.g. to repaint a window that waits for input).
pub type StopWaker = Arc<dyn Fn() + Send + Sync>;

/// A stop asked for by a signal (or by [`StopRequest::request`]). Cheap to clone; every clone
/// sees the same request.
#[derive(Clone, Default)]
pub struct StopRequest {
    requested: Arc<AtomicBool>,
    waker: Arc<Mutex<Option<StopWaker>>>,
}

impl std::fmt::Debug for StopRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StopRequest")
            .field("requested", &self.requested())
            .finish_non_exhaustive()
    }
}

impl StopRequest {
    /// A request nothing but [`StopRequest::request`] sets: for callers that handle no signals.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Catch SIGINT and SIGTERM from now on: the first one sets the request (and calls the
    /// waker); a second one exits the process at once with 128 + the signal's number.
    ///
    /// # Errors
    /// When the signal handlers or the "signals" thread cannot be set up; the signals then keep
    /// their default action (the process is killed).
    pub fn on_signals() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()?;
        // Registered here, before this returns, so a signal right after start is caught.
        let mut signals = {
            let _in_runtime = runtime.enter();
            Signals::new()?
        };
        let stop = Self::default();
        let seen = stop.clone();
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some((name, code)) = signals.next().await {
                        if seen.requested() {
                            log::warn!("{name} again: stopping at once");
                            std::process::exit(code);
                        }
                        log::info!("{name}: stopping (send it again to stop at once)");
                        seen.request();
                    }
                });
            })?;
        Ok(stop)
    }

    /// Ask to stop (what a signal does), and call the waker.
    pub fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
        let waker = self
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(wake) = waker {
            wake();
        }
    }

    /// Whether a stop was asked for.
    #[must_use]
    pub fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Call `wake` when a stop is asked for (at once when it already was).
    pub fn set_waker(&self, wake: StopWaker) {
        *self.waker.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&wake));
        if self.requested() {
            wake();
        }
    }
}

/// The stop signals this OS has, as one stream.
#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    /// Register SIGINT and SIGTERM; call inside a runtime.
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// The next signal's name and the shell's exit code for it; `None` when none can come.
    async fn next(&mut self) -> Option<(&'static str, i32)> {
        tokio::select! {
            Some(()) = self.interrupt.recv() => Some(("SIGINT", 130)),
            Some(()) = self.terminate.recv() => Some(("SIGTERM", 143)),
            else => None,
        }
    }
}

/// The stop signals this OS has, as one stream.
#[cfg(windows)]
struct Signals {
    ctrl_c: tokio::signal::windows::CtrlC,
    ctrl_break: tokio::signal::windows::CtrlBreak,
}

#[cfg(windows)]
impl Signals {
    /// Register Ctrl-C and Ctrl-Break; call inside a runtime.
    fn new() -> std::io::Result<Self> {
        Ok(Self {
            ctrl_c: tokio::signal::windows::ctrl_c()?,
            ctrl_break: tokio::signal::windows::ctrl_break()?,
        })
    }

    /// The next signal's name and the exit code for it (as a shell reports Ctrl-C); `None`
    /// when none can come.
    async fn next(&mut self) -> Option<(&'static str, i32)> {
        tokio::select! {
            Some(()) = self.ctrl_c.recv() => Some(("Ctrl-C", 130)),
            Some(()) = self.ctrl_break.recv() => Some(("Ctrl-Break", 130)),
            else => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn a_request_is_seen_by_every_clone_and_wakes_once() {
        let stop = StopRequest::none();
        let other = stop.clone();
        let woken = Arc::new(AtomicUsize::new(0));
        let w = Arc::clone(&woken);
        stop.set_waker(Arc::new(move || {
            w.fetch_add(1, Ordering::SeqCst);
        }));
        assert!(!other.requested());
        other.request();
        assert!(stop.requested());
        assert_eq!(woken.load(Ordering::SeqCst), 1);
        // A waker set after the request is called at once.
        let late = Arc::new(AtomicUsize::new(0));
        let l = Arc::clone(&late);
        stop.set_waker(Arc::new(move || {
            l.fetch_add(1, Ordering::SeqCst);
        }));
        assert_eq!(late.load(Ordering::SeqCst), 1);
    }
}
