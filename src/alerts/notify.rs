//! Delivery of alert events to the operator: desktop notifications (through notify-rust: on
//! Linux and the BSDs freedesktop `org.freedesktop.Notifications.Notify` over the D-Bus session
//! bus, on Windows a toast, on macOS the Notification Center) and webhooks. A [`Notifier`] runs
//! on its own named thread ("alerts", a small tokio runtime) with one ordered queue per sink;
//! [`Notifier::notify`] never blocks (bounded channel, `try_send`, drops counted). Problems come
//! back once each on a bounded channel for the owner to record.
//!
//! Only notifiable events travel: firing and resolved, neither acknowledged nor silenced (the
//! engine marks those), and none while notifications are paused.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::mpsc;

use super::AlertEvent;
use super::webhook::{self, WebhookError};
use crate::config::alerts::AlertsConfig;
use crate::config::alerts::webhook::Webhook;

/// Events queued per sink before new ones are dropped.
pub const DEFAULT_QUEUE: usize = 64;
/// Problems held for the owner before new ones are dropped.
const PROBLEM_QUEUE: usize = 32;
/// Longest wait for the system to take one notification.
const DESKTOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Where notifications go.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyConfig {
    /// Desktop notifications over the D-Bus session bus.
    pub desktop: bool,
    /// Webhooks, each with its own ordered queue.
    pub webhooks: Vec<Webhook>,
    /// Events queued per sink before new ones are dropped.
    pub queue: usize,
}

impl AlertsConfig {
    /// What the [`Notifier`] needs from the `[alerts]` section.
    #[must_use]
    pub fn notify_config(&self) -> NotifyConfig {
        NotifyConfig {
            desktop: self.desktop,
            webhooks: self.webhooks.clone(),
            queue: DEFAULT_QUEUE,
        }
    }
}

impl NotifyConfig {
    /// The longest one try at one sink may take: what a last delivery is given at shutdown, so
    /// a hanging receiver delays the end by at most its own timeout.
    #[must_use]
    pub fn longest_try(&self) -> Duration {
        let desktop = if self.desktop {
            DESKTOP_TIMEOUT
        } else {
            Duration::ZERO
        };
        self.webhooks
            .iter()
            .map(|w| w.timeout)
            .fold(desktop, Duration::max)
    }
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            desktop: true,
            webhooks: Vec::new(),
            queue: DEFAULT_QUEUE,
        }
    }
}

/// A delivery problem, reported once per outage for the desktop and once per failed delivery
/// for webhooks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// The system did not take a notification (on Linux: no session bus, or no notification
    /// server on it). Reported once until it works again.
    #[error(
        "desktop notifications unavailable: {reason}; alerts still show in the window and go to webhooks — run inside a desktop session that shows notifications, or set `alerts.desktop = false`"
    )]
    DesktopUnavailable {
        /// What failed.
        reason: String,
    },
    /// A webhook delivery failed (its message never contains the URL's secret).
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    /// The notifier thread could not start.
    #[error("cannot start the alert notifier: {reason}")]
    Start {
        /// Why.
        reason: String,
    },
}

/// Counters, for the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotifierStats {
    /// Events accepted for delivery.
    pub queued: u64,
    /// Events dropped because a queue was full.
    pub dropped: u64,
    /// Deliveries that succeeded (one per sink).
    pub delivered: u64,
    /// Deliveries that failed (one per sink).
    pub failed: u64,
    /// Problems dropped because the owner did not drain them.
    pub problems_dropped: u64,
    /// Notifications paused.
    pub paused: bool,
}

#[derive(Debug, Default)]
struct Shared {
    paused: AtomicBool,
    queued: AtomicU64,
    dropped: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    problems_dropped: AtomicU64,
}

impl Shared {
    fn stats(&self) -> NotifierStats {
        NotifierStats {
            queued: self.queued.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            problems_dropped: self.problems_dropped.load(Ordering::Relaxed),
            paused: self.paused.load(Ordering::Relaxed),
        }
    }
}

#[derive(Clone)]
struct Reporter {
    tx: SyncSender<NotifyError>,
    shared: Arc<Shared>,
}

impl Reporter {
    fn report(&self, e: NotifyError) {
        log::warn!("{e}");
        if self.tx.try_send(e).is_err() {
            self.shared.problems_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn outcome(&self, ok: bool) {
        let c = if ok {
            &self.shared.delivered
        } else {
            &self.shared.failed
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// Sends alert events to the configured sinks without blocking the caller.
/// Dropping it lets queued deliveries finish in the background.
pub struct Notifier {
    tx: mpsc::Sender<AlertEvent>,
    shared: Arc<Shared>,
    done: Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl Notifier {
    /// Start the "alerts" thread. Returns the notifier and the receiving end of its problems
    /// (drain it and record them where the operator sees them).
    ///
    /// # Errors
    /// When the thread or its runtime cannot be created.
    pub fn start(config: NotifyConfig) -> Result<(Self, Receiver<NotifyError>), NotifyError> {
        let queue = config.queue.max(1);
        let (tx, rx) = mpsc::channel::<AlertEvent>(queue);
        let (problem_tx, problems) = std::sync::mpsc::sync_channel(PROBLEM_QUEUE);
        let (done_tx, done) = std::sync::mpsc::sync_channel(1);
        let shared = Arc::new(Shared::default());
        let reporter = Reporter {
            tx: problem_tx,
            shared: Arc::clone(&shared),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| NotifyError::Start {
                reason: format!("tokio runtime: {e}"),
            })?;
        let client = crate::sources::http::client().map_err(|e| NotifyError::Start {
            reason: e.to_string(),
        })?;
        let thread = std::thread::Builder::new()
            .name("alerts".into())
            .spawn(move || {
                runtime.block_on(dispatch(rx, config, queue, client, reporter));
                // The receiver may be gone (nobody waits for shutdown): nothing to tell then.
                if done_tx.try_send(()).is_err() {
                    log::debug!("alert notifier stopped; nobody was waiting");
                }
            })
            .map_err(|e| NotifyError::Start {
                reason: format!("thread: {e}"),
            })?;
        Ok((
            Self {
                tx,
                shared,
                done,
                thread: Some(thread),
            },
            problems,
        ))
    }

    /// Queue `event` if it is notifiable (firing or resolved, not acknowledged or silenced) and
    /// notifications are not paused. Never blocks; returns whether it was queued.
    pub fn notify(&self, event: &AlertEvent) -> bool {
        if !event.is_notifiable() || self.is_paused() {
            return false;
        }
        match self.tx.try_send(event.clone()) {
            Ok(()) => {
                self.shared.queued.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(_) => {
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// [`Notifier::notify`] each event; returns how many were queued.
    pub fn notify_all(&self, events: &[AlertEvent]) -> usize {
        events.iter().filter(|e| self.notify(e)).count()
    }

    /// Pause or resume notifications (the tray's "Pause notifications"). Alerts still evaluate
    /// and show while paused.
    pub fn set_paused(&self, paused: bool) {
        self.shared.paused.store(paused, Ordering::Relaxed);
    }

    /// Whether notifications are paused.
    #[must_use]
    pub fn is_paused(&self) -> bool {
        self.shared.paused.load(Ordering::Relaxed)
    }

    /// Counters so far.
    #[must_use]
    pub fn stats(&self) -> NotifierStats {
        self.shared.stats()
    }

    /// Stop taking events and let queued ones finish for at most `grace`.
    pub fn shutdown(self, grace: Duration) -> Shutdown {
        let Self {
            tx,
            shared,
            done,
            thread,
        } = self;
        drop(tx);
        let finished = done.recv_timeout(grace).is_ok();
        if finished
            && let Some(t) = thread
            && t.join().is_err()
        {
            log::error!("the alert notifier thread panicked");
        }
        Shutdown {
            finished,
            stats: shared.stats(),
        }
    }
}

/// How a [`Notifier::shutdown`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shutdown {
    /// Every queued delivery finished (delivered or given up) within the grace period.
    pub finished: bool,
    /// The final counters.
    pub stats: NotifierStats,
}

async fn dispatch(
    mut rx: mpsc::Receiver<AlertEvent>,
    config: NotifyConfig,
    queue: usize,
    client: reqwest::Client,
    reporter: Reporter,
) {
    let mut sinks: Vec<mpsc::Sender<AlertEvent>> = Vec::new();
    let mut tasks = Vec::new();
    if config.desktop {
        let (tx, rx) = mpsc::channel(queue);
        sinks.push(tx);
        tasks.push(tokio::spawn(desktop_sink(rx, reporter.clone())));
    }
    for hook in config.webhooks {
        let (tx, rx) = mpsc::channel(queue);
        sinks.push(tx);
        tasks.push(tokio::spawn(webhook_sink(
            rx,
            hook,
            client.clone(),
            reporter.clone(),
        )));
    }
    while let Some(event) = rx.recv().await {
        for sink in &sinks {
            if sink.try_send(event.clone()).is_err() {
                reporter.shared.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    drop(sinks);
    for t in tasks {
        if let Err(e) = t.await {
            log::error!("an alert delivery task failed: {e}");
        }
    }
}

async fn webhook_sink(
    mut rx: mpsc::Receiver<AlertEvent>,
    hook: Webhook,
    client: reqwest::Client,
    reporter: Reporter,
) {
    while let Some(event) = rx.recv().await {
        match webhook::send(&client, &hook, &event).await {
            Ok(_) => reporter.outcome(true),
            Err(e) => {
                reporter.outcome(false);
                reporter.report(NotifyError::Webhook(e));
            }
        }
    }
}

async fn desktop_sink(mut rx: mpsc::Receiver<AlertEvent>, reporter: Reporter) {
    // One report per outage: after a failure, stay quiet until a notification gets through.
    let mut reported = false;
    while let Some(event) = rx.recv().await {
        let result = match tokio::time::timeout(DESKTOP_TIMEOUT, show(&event)).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "the system did not take it within {} s",
                DESKTOP_TIMEOUT.as_secs()
            )),
        };
        match result {
            Ok(()) => {
                reporter.outcome(true);
                reported = false;
            }
            Err(reason) => {
                reporter.outcome(false);
                if !reported {
                    reported = true;
                    reporter.report(NotifyError::DesktopUnavailable { reason });
                }
            }
        }
    }
}

/// Application name shown by the notification server.
pub const APP_NAME: &str = "Swarmglass";

/// Show one notification; the reason in words when it fails.
async fn show(event: &AlertEvent) -> Result<(), String> {
    use notify_rust::{Notification, Timeout, Urgency};

    use super::{AlertState, Severity};

    let urgency = match (event.to, event.severity) {
        (AlertState::Resolved, _) => Urgency::Low,
        (_, Severity::Critical) => Urgency::Critical,
        (_, Severity::Warning) => Urgency::Normal,
    };
    let mut n = Notification::new();
    n.appname(APP_NAME)
        .summary(&event.summary())
        .body(&event.message);
    // macOS's Notification Center has no urgency (notify-rust offers none there).
    #[cfg(not(target_os = "macos"))]
    n.urgency(urgency);
    if urgency != Urgency::Critical {
        n.timeout(Timeout::Milliseconds(10_000));
    }
    deliver(n).await
}

#[cfg(all(unix, not(target_os = "macos")))]
async fn deliver(n: notify_rust::Notification) -> Result<(), String> {
    match n.show_async().await {
        Ok(_handle) => Ok(()),
        Err(e) => Err(describe_bus_error(&e.to_string())),
    }
}

/// Windows (a toast through WinRT) and macOS (the Notification Center) show a notification
/// synchronously: done on the runtime's blocking pool, so one slow call holds no other sink.
#[cfg(any(target_os = "windows", target_os = "macos"))]
async fn deliver(n: notify_rust::Notification) -> Result<(), String> {
    #[cfg(target_os = "macos")]
    macos_application();
    let shown = tokio::task::spawn_blocking(move || n.show().map(drop).map_err(|e| e.to_string()));
    match shown.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("the system did not take the notification: {e}")),
        Err(e) => Err(format!("the notification call failed: {e}")),
    }
}

/// The bundle identifier of the macOS `.app` (`identifier` in `packaging/packager.toml`).
#[cfg(target_os = "macos")]
const MACOS_BUNDLE_ID: &str = "io.github.swarmglass.Swarmglass";

/// On macOS a notification is sent in an application's name: ours when it runs from its `.app`
/// bundle (the installer's), else notify-rust's default (the Terminal). Asked once.
#[cfg(target_os = "macos")]
fn macos_application() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Err(e) = notify_rust::set_application(MACOS_BUNDLE_ID) {
            log::debug!("notifications in the Terminal's name: {e}");
        }
    });
}

/// Words for a failed `Notify` call: no bus at all, or a bus without a notification server.
#[cfg(all(unix, not(target_os = "macos")))]
fn describe_bus_error(err: &str) -> String {
    if err.contains("ServiceUnknown") || err.contains("not provided by any") {
        return format!(
            "no notification server on the D-Bus session bus (nobody owns org.freedesktop.Notifications; start your desktop's notification daemon, e.g. dunst): {err}"
        );
    }
    let addr = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_else(|_| "unset".to_owned());
    format!("cannot reach the D-Bus session bus (DBUS_SESSION_BUS_ADDRESS={addr}): {err}")
}
