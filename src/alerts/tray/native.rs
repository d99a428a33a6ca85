//! The tray on Windows (notification area) and macOS (menu bar), through the `tray-icon`
//! crate. Both OSes tie the icon to the thread that runs the window's event loop, so [`start`]
//! is called there and [`TrayIcon::set_status`] applies the status at once on that same thread
//! (it is cheap: an icon of 22×22 pixels, a tooltip and a check mark). Menu choices and clicks
//! arrive through the crate's global event handlers, which forward them to the window's bounded
//! queue and wake it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;

use tray_icon::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};

use super::{
    ICON_SIZE, MENU_PAUSE, MENU_QUIT, MENU_SHOW, TITLE, TrayCommand, TrayError, TrayStatus, Wake,
};

/// Nothing to suggest: on these OSes the tray is always there unless the OS refused.
const HINT: &str = "";

/// A running tray icon. Dropping it removes the icon. Not `Send`: it stays on the event loop's
/// thread, where it was made.
pub struct TrayIcon {
    icon: tray_icon::TrayIcon,
    pause: CheckMenuItem,
    /// What the menu's check mark means now, shared with the menu handler so a click sends the
    /// opposite of what is shown.
    paused: Arc<AtomicBool>,
}

impl TrayIcon {
    /// Show `status` now (this is the event loop's thread). Returns `false` when the OS no longer
    /// takes it; the caller must not count it as shown then.
    #[must_use]
    pub fn set_status(&self, status: TrayStatus) -> bool {
        self.paused.store(status.paused, Ordering::Relaxed);
        self.pause.set_checked(status.paused);
        let icon = match picture(&status) {
            Ok(i) => i,
            Err(e) => {
                log::error!("tray: {e}");
                return false;
            }
        };
        let shown = self.icon.set_icon(Some(icon)).and_then(|()| {
            self.icon
                .set_tooltip(Some(format!("{TITLE}: {}", status.describe())))
        });
        match shown {
            Ok(()) => true,
            Err(e) => {
                log::warn!("tray: the status was not shown: {e}");
                false
            }
        }
    }

    /// Remove the icon.
    pub fn shutdown(self) {
        drop(self);
    }
}

fn picture(status: &TrayStatus) -> Result<Icon, tray_icon::BadIcon> {
    Icon::from_rgba(
        status.pixels(|[a, r, g, b]| [r, g, b, a]),
        ICON_SIZE,
        ICON_SIZE,
    )
}

/// Show the tray icon. Call on the thread that runs the window's event loop. Menu choices go to
/// `commands` (bounded; `wake` is called after each).
///
/// # Errors
/// [`TrayError::Unavailable`] when the OS refuses the icon.
pub fn start(
    initial: TrayStatus,
    commands: SyncSender<TrayCommand>,
    wake: Wake,
) -> Result<TrayIcon, TrayError> {
    let unavailable = |reason: String| TrayError::Unavailable { reason, hint: HINT };
    let show = MenuItem::new(MENU_SHOW, true, None);
    let pause = CheckMenuItem::new(MENU_PAUSE, true, initial.paused, None);
    let quit = MenuItem::new(MENU_QUIT, true, None);
    let menu = Menu::new();
    menu.append_items(&[&show, &pause, &PredefinedMenuItem::separator(), &quit])
        .map_err(|e| unavailable(format!("the menu: {e}")))?;

    let paused = Arc::new(AtomicBool::new(initial.paused));
    let (show_id, pause_id, quit_id) = (show.id().clone(), pause.id().clone(), quit.id().clone());
    let (menu_commands, menu_wake, menu_paused) =
        (commands.clone(), Arc::clone(&wake), Arc::clone(&paused));
    MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
        let c = if event.id == show_id {
            TrayCommand::ShowWindow
        } else if event.id == pause_id {
            TrayCommand::PauseNotifications(!menu_paused.load(Ordering::Relaxed))
        } else if event.id == quit_id {
            TrayCommand::Quit
        } else {
            return;
        };
        super::send(&menu_commands, &menu_wake, c);
    }));
    TrayIconEvent::set_event_handler(Some(move |event: TrayIconEvent| {
        if let TrayIconEvent::Click {
            button: MouseButton::Left,
            button_state: MouseButtonState::Up,
            ..
        } = event
        {
            super::send(&commands, &wake, TrayCommand::ShowWindow);
        }
    }));

    let icon = TrayIconBuilder::new()
        .with_id("swarmglass")
        .with_menu(Box::new(menu))
        .with_menu_on_left_click(false)
        .with_tooltip(format!("{TITLE}: {}", initial.describe()))
        .with_icon(picture(&initial).map_err(|e| unavailable(format!("the icon: {e}")))?)
        .build()
        .map_err(|e| unavailable(e.to_string()))?;
    Ok(TrayIcon {
        icon,
        pause,
        paused,
    })
}
