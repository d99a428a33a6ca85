//! The tray icon: its colour and tooltip show the worst firing alert; its menu offers Show
//! window / Pause notifications / Quit, reported as [`TrayCommand`]s on a bounded channel
//! (`wake` is called after each, to wake an idle window). What it shows and the words it uses
//! live here, once; each OS's way of showing it is a backend with the same two calls —
//! [`start`] and [`TrayIcon::set_status`] (never blocks; the newest status wins):
//!
//! - Linux and the BSDs (`sni.rs`): a freedesktop StatusNotifierItem over the D-Bus session bus
//!   (the `ksni` crate, no GTK), on its own thread.
//! - Windows and macOS (`native.rs`): the system's notification-area / menu-bar item through the
//!   `tray-icon` crate. Both OSes require it to live on the thread that runs the window's event
//!   loop, so [`start`] must be called there (the window's creation closure) and the status is
//!   applied on that thread as it is offered.
//!
//! Where there is no tray, [`start`] returns one clear error and the rest runs on.
//!
//! The icon colours live here rather than in `ui/theme` because this module must not depend
//! on egui; they mirror the theme's ok / warning / critical / muted colours.

use std::sync::Arc;
use std::sync::mpsc::{SyncSender, TrySendError};

use super::Severity;

#[cfg(any(target_os = "windows", target_os = "macos"))]
mod native;
#[cfg(any(target_os = "windows", target_os = "macos"))]
pub use native::{TrayIcon, start};

#[cfg(not(any(target_os = "windows", target_os = "macos")))]
mod sni;
#[cfg(all(test, not(any(target_os = "windows", target_os = "macos"))))]
pub(crate) use sni::detached;
#[cfg(not(any(target_os = "windows", target_os = "macos")))]
pub use sni::{TrayIcon, start};

/// Called after a command is queued, to wake an idle window (e.g. `ctx.request_repaint()`).
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// A menu choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayCommand {
    /// "Show window" (or a click on the icon).
    ShowWindow,
    /// "Pause notifications" toggled: `true` pauses.
    PauseNotifications(bool),
    /// "Quit".
    Quit,
}

/// The menu's words, in its order (a separator before "Quit"); every backend builds this menu.
pub(crate) const MENU_SHOW: &str = "Show window";
pub(crate) const MENU_PAUSE: &str = "Pause notifications";
pub(crate) const MENU_QUIT: &str = "Quit";
/// The icon's title where the OS shows one.
pub(crate) const TITLE: &str = "Swarmglass";
/// Side of the drawn icon, in pixels.
pub(crate) const ICON_SIZE: u32 = 22;

/// What the icon shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrayStatus {
    /// Worst firing severity (`None`: nothing fires).
    pub worst: Option<Severity>,
    /// Alerts firing.
    pub firing: usize,
    /// Notifications paused.
    pub paused: bool,
}

impl TrayStatus {
    /// The tooltip text.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut s = match (self.firing, self.worst) {
            (0, _) | (_, None) => "no alerts firing".to_owned(),
            (n, Some(w)) => format!("{n} alert(s) firing, worst: {}", w.as_str()),
        };
        if self.paused {
            s.push_str("; notifications paused");
        }
        s
    }

    /// Colour of the icon as (alpha, red, green, blue).
    fn argb(&self) -> [u8; 4] {
        match (self.paused, self.worst) {
            (_, Some(Severity::Critical)) => [0xff, 0xd9, 0x3f, 0x3f],
            (_, Some(Severity::Warning)) => [0xff, 0xe0, 0xa0, 0x20],
            (true, None) => [0xff, 0x80, 0x80, 0x80],
            (false, None) => [0xff, 0x3f, 0xb9, 0x50],
        }
    }

    /// The icon: a filled disc of the status colour, `ICON_SIZE` square, each pixel's bytes in
    /// the order `order` gives them from (alpha, red, green, blue) — the backends differ.
    pub(crate) fn pixels(&self, order: impl Fn([u8; 4]) -> [u8; 4]) -> Vec<u8> {
        let px = order(self.argb());
        let c = f64::from(ICON_SIZE - 1) / 2.0;
        let mut data = Vec::with_capacity((ICON_SIZE * ICON_SIZE * 4) as usize);
        for y in 0..ICON_SIZE {
            for x in 0..ICON_SIZE {
                let d = (f64::from(x) - c).hypot(f64::from(y) - c);
                data.extend_from_slice(&if d <= c - 1.0 { px } else { [0; 4] });
            }
        }
        data
    }
}

/// Why the tray cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrayError {
    /// No tray on this desktop: on Linux no session bus, or no StatusNotifierWatcher on it
    /// (GNOME without the AppIndicator extension, a bare X session…); elsewhere the OS refused.
    #[error("no tray icon: {reason}; the window and notifications work without it{hint}")]
    Unavailable {
        /// What failed.
        reason: String,
        /// What to do, for the OS at hand (empty where there is nothing to say).
        hint: &'static str,
    },
    /// The tray thread could not start.
    #[error("cannot start the tray icon thread: {reason}")]
    Start {
        /// Why.
        reason: String,
    },
}

/// Queue a menu choice for the window and wake it; a full queue drops the choice (logged).
pub(crate) fn send(commands: &SyncSender<TrayCommand>, wake: &Wake, c: TrayCommand) {
    match commands.try_send(c) {
        Ok(()) => wake(),
        Err(TrySendError::Full(_)) => {
            log::warn!("tray: menu choice {c:?} dropped, the window is not draining its commands");
        }
        Err(TrySendError::Disconnected(_)) => {
            log::debug!("tray: menu choice {c:?} after the window closed");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn status_describes_worst_and_pause() {
        let s = TrayStatus {
            worst: Some(Severity::Critical),
            firing: 2,
            paused: true,
        };
        assert_eq!(
            s.describe(),
            "2 alert(s) firing, worst: critical; notifications paused"
        );
        assert_eq!(TrayStatus::default().describe(), "no alerts firing");
        assert_ne!(s.argb(), TrayStatus::default().argb());
    }

    /// The icon is a disc of the status colour in the byte order asked for, transparent corners.
    #[test]
    fn the_icon_is_a_disc_in_the_order_asked() {
        let s = TrayStatus {
            worst: Some(Severity::Critical),
            firing: 1,
            paused: false,
        };
        let rgba = s.pixels(|[a, r, g, b]| [r, g, b, a]);
        assert_eq!(rgba.len(), (ICON_SIZE * ICON_SIZE * 4) as usize);
        let at = |x: u32, y: u32| {
            let i = ((y * ICON_SIZE + x) * 4) as usize;
            &rgba[i..i + 4]
        };
        assert_eq!(at(ICON_SIZE / 2, ICON_SIZE / 2), [0xd9, 0x3f, 0x3f, 0xff]);
        assert_eq!(at(0, 0), [0, 0, 0, 0]);
        let argb = s.pixels(|p| p);
        let mid = (((ICON_SIZE / 2) * ICON_SIZE + ICON_SIZE / 2) * 4) as usize;
        assert_eq!(argb[mid..mid + 4], [0xff, 0xd9, 0x3f, 0x3f]);
    }

    /// A menu choice reaches the window and wakes it; a full queue drops without blocking.
    #[test]
    fn a_choice_is_queued_and_wakes_the_window() {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let woken = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let w = Arc::clone(&woken);
        let wake: Wake = Arc::new(move || {
            w.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        send(&tx, &wake, TrayCommand::Quit);
        send(&tx, &wake, TrayCommand::ShowWindow);
        assert_eq!(rx.try_recv().unwrap(), TrayCommand::Quit);
        assert!(rx.try_recv().is_err(), "the second choice did not fit");
        assert_eq!(woken.load(std::sync::atomic::Ordering::Relaxed), 1);
    }
}
