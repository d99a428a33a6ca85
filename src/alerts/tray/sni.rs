//! The tray on Linux and the BSDs: a freedesktop StatusNotifierItem over the D-Bus session bus
//! (the `ksni` crate; no GTK), on its own named thread ("tray"). [`TrayIcon::set_status`] never
//! blocks and the newest status always wins: the handle and the thread share one latest-value
//! slot (a tokio `watch` channel), so a burst of updates is applied as its last one, never
//! dropped. Where there is no bus or no StatusNotifierWatcher, [`start`] returns one clear error.

use std::sync::mpsc::SyncSender;
use std::thread::JoinHandle;
use std::time::Duration;

use ksni::TrayMethods;
use ksni::menu::{CheckmarkItem, MenuItem, StandardItem};
use tokio::sync::watch;

use super::{
    ICON_SIZE, MENU_PAUSE, MENU_QUIT, MENU_SHOW, TITLE, TrayCommand, TrayError, TrayStatus, Wake,
};
use crate::alerts::Severity;

/// Longest wait for the tray to register with the session bus.
const START_TIMEOUT: Duration = Duration::from_secs(5);
/// What to do where there is no StatusNotifierItem host.
const HINT: &str = " — use a desktop with a StatusNotifierItem tray (KDE, or GNOME with the AppIndicator extension)";

struct Item {
    status: TrayStatus,
    commands: SyncSender<TrayCommand>,
    wake: Wake,
}

impl Item {
    fn send(&self, c: TrayCommand) {
        super::send(&self.commands, &self.wake, c);
    }
}

fn icon(status: &TrayStatus) -> ksni::Icon {
    // The StatusNotifierItem pixmap is ARGB32 in network byte order.
    let side = i32::try_from(ICON_SIZE).unwrap_or(22);
    ksni::Icon {
        width: side,
        height: side,
        data: status.pixels(|argb| argb),
    }
}

impl ksni::Tray for Item {
    fn id(&self) -> String {
        "swarmglass".into()
    }

    fn title(&self) -> String {
        TITLE.into()
    }

    fn status(&self) -> ksni::Status {
        if self.status.worst == Some(Severity::Critical) {
            ksni::Status::NeedsAttention
        } else {
            ksni::Status::Active
        }
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        vec![icon(&self.status)]
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip {
            title: TITLE.into(),
            description: self.status.describe(),
            ..Default::default()
        }
    }

    fn activate(&mut self, _x: i32, _y: i32) {
        self.send(TrayCommand::ShowWindow);
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        vec![
            StandardItem {
                label: MENU_SHOW.into(),
                activate: Box::new(|t: &mut Self| t.send(TrayCommand::ShowWindow)),
                ..Default::default()
            }
            .into(),
            CheckmarkItem {
                label: MENU_PAUSE.into(),
                checked: self.status.paused,
                activate: Box::new(|t: &mut Self| {
                    t.status.paused = !t.status.paused;
                    t.send(TrayCommand::PauseNotifications(t.status.paused));
                }),
                ..Default::default()
            }
            .into(),
            MenuItem::Separator,
            StandardItem {
                label: MENU_QUIT.into(),
                activate: Box::new(|t: &mut Self| t.send(TrayCommand::Quit)),
                ..Default::default()
            }
            .into(),
        ]
    }
}

/// A running tray icon. Dropping it removes the icon.
pub struct TrayIcon {
    /// The latest status; the tray thread applies whatever is newest when it wakes.
    tx: watch::Sender<TrayStatus>,
    thread: Option<JoinHandle<()>>,
}

impl TrayIcon {
    /// Show `status`. Never blocks: the status replaces any the tray has not applied yet, so the
    /// newest always wins. Returns `false` when the tray thread has ended (the icon is gone and
    /// the status will never be shown); the caller must not count it as shown then.
    #[must_use]
    pub fn set_status(&self, status: TrayStatus) -> bool {
        self.tx.send_replace(status);
        !self.tx.is_closed()
    }

    /// Remove the icon and wait (briefly) for its thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        // Dropping the only sender ends the tray thread's wait for changes.
        self.tx = watch::channel(TrayStatus::default()).0;
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            log::error!("the tray thread panicked");
        }
    }
}

/// A handle with no tray thread behind it, and the slot's receiving end, for the tests of the
/// handle's callers: drop the receiver to play a tray that has gone.
#[cfg(test)]
pub(crate) fn detached() -> (TrayIcon, watch::Receiver<TrayStatus>) {
    let (tx, rx) = watch::channel(TrayStatus::default());
    (TrayIcon { tx, thread: None }, rx)
}

impl Drop for TrayIcon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Show the tray icon. Menu choices go to `commands` (bounded; `wake` is called after each).
///
/// # Errors
/// [`TrayError::Unavailable`] without a session bus or a StatusNotifierWatcher — one message,
/// the rest of the program runs on; [`TrayError::Start`] when the thread cannot start.
pub fn start(
    initial: TrayStatus,
    commands: SyncSender<TrayCommand>,
    wake: Wake,
) -> Result<TrayIcon, TrayError> {
    let (tx, mut rx) = watch::channel(initial);
    let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel::<Result<(), TrayError>>(1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| TrayError::Start {
            reason: format!("tokio runtime: {e}"),
        })?;
    let item = Item {
        status: initial,
        commands,
        wake,
    };
    let thread = std::thread::Builder::new()
        .name("tray".into())
        .spawn(move || {
            runtime.block_on(async move {
                let handle = match item.spawn().await {
                    Ok(h) => h,
                    Err(e) => {
                        let reason = match &e {
                            ksni::Error::Dbus(_) => {
                                format!("cannot reach the D-Bus session bus ({e})")
                            }
                            _ => format!("no StatusNotifierWatcher on the session bus ({e})"),
                        };
                        // The starter may have timed out and left: nobody to tell then.
                        if ready_tx
                            .try_send(Err(TrayError::Unavailable { reason, hint: HINT }))
                            .is_err()
                        {
                            log::debug!("tray: start result not delivered");
                        }
                        return;
                    }
                };
                if ready_tx.try_send(Ok(())).is_err() {
                    log::debug!("tray: start result not delivered");
                }
                // Wakes once per burst of updates and applies the newest; ends when the
                // handle is dropped or the tray service has gone.
                while rx.changed().await.is_ok() {
                    let status = *rx.borrow_and_update();
                    if handle.update(|t| t.status = status).await.is_none() {
                        break;
                    }
                }
                // Dropping the receiver tells `set_status` that nothing is shown any more.
                drop(rx);
                handle.shutdown().await;
            });
        })
        .map_err(|e| TrayError::Start {
            reason: format!("thread: {e}"),
        })?;
    let mut icon = TrayIcon {
        tx,
        thread: Some(thread),
    };
    match ready_rx.recv_timeout(START_TIMEOUT) {
        Ok(Ok(())) => Ok(icon),
        Ok(Err(e)) => Err(e),
        Err(_) => {
            // Do not join a thread that may still be stuck on the bus.
            icon.thread = None;
            Err(TrayError::Unavailable {
                reason: format!(
                    "the session bus did not answer within {} s",
                    START_TIMEOUT.as_secs()
                ),
                hint: HINT,
            })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::float_cmp)]
mod tests {
    use super::*;

    fn status(firing: usize) -> TrayStatus {
        TrayStatus {
            worst: Some(Severity::Warning),
            firing,
            paused: false,
        }
    }

    /// A burst of updates the tray thread has not taken yet: it finds the newest, not the first
    /// few (the old bounded queue kept the first four and dropped the rest).
    #[test]
    fn the_newest_status_wins_when_updates_pile_up() {
        let (icon, mut rx) = detached();
        for n in 1..=10 {
            assert!(icon.set_status(status(n)), "the tray is still listening");
        }
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), status(10));
        assert!(
            !rx.has_changed().unwrap(),
            "one wake-up for the whole burst"
        );
    }

    /// Once the tray thread has ended, a status is reported as not shown.
    #[test]
    fn a_status_after_the_tray_ended_is_not_reported_as_shown() {
        let (icon, rx) = detached();
        drop(rx);
        assert!(!icon.set_status(status(1)));
    }
}
