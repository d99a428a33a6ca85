//! The eframe App: owns the [`Model`] and the [`UiState`], drains collector updates in
//! `logic` under a time budget, and draws in `ui` from `&Model` only. The window repaints when
//! data arrives (coalesced) and on a slow heartbeat for "updated 3 s ago" labels — never in a
//! loop, so an idle wall monitor costs next to nothing.

mod demo;
pub mod screenshot;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;

pub use demo::DemoCluster;
use screenshot::ScreenshotJob;

use crate::cli::WindowArgs;
use crate::config::Config;
use crate::model::Model;
use crate::runtime::{self, Runtime};
use crate::sources::SourceUpdate;
use crate::ui::{self, ThemeChoice, UiState, theme};

/// Most time one frame spends applying updates before it yields to drawing.
pub const DRAIN_BUDGET: Duration = Duration::from_millis(5);
/// Repaint at least this often, for age labels and staleness.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// A wake from a collector repaints within this long; updates arriving meanwhile share the frame.
pub const COALESCE: Duration = Duration::from_millis(250);
/// Capacity of the update channel.
pub const CHANNEL_CAPACITY: usize = 4096;
/// Window size when none is given or remembered.
pub const DEFAULT_SIZE: egui::Vec2 = egui::vec2(1400.0, 900.0);
/// Passes in wall mode before covering the monitor by hand when full screen was not granted.
const WALL_FALLBACK_PASSES: u32 = 3;
/// Passes before a screenshot may be taken.
const MIN_PASSES_BEFORE_SCREENSHOT: u64 = 5;
/// The eframe app id (names the folder window geometry and view choices persist in).
pub const APP_ID: &str = "swarmglass";

/// Parse `WxH` (e.g. `1600x1000`).
///
/// # Errors
/// When the text is not two positive numbers joined by `x`.
pub fn parse_size(s: &str) -> anyhow::Result<egui::Vec2> {
    let bad = || anyhow::anyhow!("--size `{s}` is not WIDTHxHEIGHT, e.g. 1600x1000");
    let (w, h) = s.trim().split_once(['x', 'X']).ok_or_else(bad)?;
    let w: u16 = w.trim().parse().map_err(|_| bad())?;
    let h: u16 = h.trim().parse().map_err(|_| bad())?;
    if w < 200 || h < 150 {
        anyhow::bail!("--size `{s}` is too small; at least 200x150");
    }
    Ok(egui::vec2(f32::from(w), f32::from(h)))
}

/// The app itself.
struct App<'o> {
    model: Model,
    state: UiState,
    rx: Receiver<SourceUpdate>,
    runtime: Runtime,
    applied_theme: Option<ThemeChoice>,
    applied_wall: Option<bool>,
    initial_size: Option<egui::Vec2>,
    /// Logic passes so far.
    passes: u64,
    /// Passes in wall mode without the window manager granting full screen.
    wall_passes: u32,
    /// Window size before wall mode resized it by hand (no window manager to go full screen).
    pre_wall_size: Option<egui::Vec2>,
    screenshot: Option<ScreenshotJob>,
    skipped_while_paused: u64,
    outcome: &'o mut Option<anyhow::Error>,
}

impl App<'_> {
    /// Apply queued updates for at most [`DRAIN_BUDGET`]; ask for another pass if more remain.
    fn drain(&mut self, ctx: &egui::Context) {
        let start = Instant::now();
        loop {
            if start.elapsed() >= DRAIN_BUDGET {
                ctx.request_repaint();
                break;
            }
            match self.rx.try_recv() {
                Ok(u) if self.state.paused => {
                    drop(u);
                    self.skipped_while_paused += 1;
                }
                Ok(u) => self.model.apply(u, SystemTime::now()),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    log::warn!("every collector has stopped; the data will go stale");
                    break;
                }
            }
        }
        self.model.dropped_updates = self.runtime.dropped();
        if !self.state.paused {
            self.model.tick(SystemTime::now());
        }
    }

    /// Full screen needs a window manager; without one (a bare X server, Xvfb), cover the
    /// monitor by hand a few passes after asking.
    fn wall_fallback(&mut self, ctx: &egui::Context) {
        let (monitor, inner) = ctx.input(|i| {
            let v = i.viewport();
            (v.monitor_size, v.inner_rect.map(|r| r.size()))
        });
        if !self.state.wall {
            self.wall_passes = 0;
            if let Some(size) = self.pre_wall_size.take() {
                ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(size));
            }
            return;
        }
        // winit reports the full-screen state it asked for, not what it got: compare sizes.
        let covers = matches!((monitor, inner), (Some(m), Some(i)) if i.x >= m.x - 1.0 && i.y >= m.y - 1.0);
        if covers && self.wall_passes == 0 {
            return;
        }
        self.wall_passes = self.wall_passes.saturating_add(1);
        if self.wall_passes == WALL_FALLBACK_PASSES {
            if let Some(m) = monitor {
                log::info!("no full screen from the window manager; covering the {}x{} monitor instead", m.x, m.y);
                self.pre_wall_size = inner;
                ctx.send_viewport_cmd(egui::ViewportCommand::OuterPosition(egui::pos2(0.0, 0.0)));
                ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(m));
            }
        }
        if self.wall_passes <= WALL_FALLBACK_PASSES {
            ctx.request_repaint_after(Duration::from_millis(50));
        }
    }

    fn apply_view(&mut self, ctx: &egui::Context) {
        if self.applied_theme != Some(self.state.theme) {
            theme::apply(ctx, self.state.theme.is_dark());
            self.applied_theme = Some(self.state.theme);
        }
        if self.applied_wall != Some(self.state.wall) {
            ctx.set_zoom_factor(if self.state.wall {
                theme::WALL_ZOOM
            } else {
                1.0
            });
            if self.applied_wall.is_some() {
                ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(self.state.wall));
            }
            self.applied_wall = Some(self.state.wall);
        }
    }
}

impl eframe::App for App<'_> {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.passes += 1;
        if self.passes == 1 {
            if let Some(size) = self.initial_size {
                // A remembered geometry would otherwise win over an explicit --size.
                ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(size));
            }
        }
        let (f11, esc) = ctx.input(|i| {
            (
                i.key_pressed(egui::Key::F11),
                i.key_pressed(egui::Key::Escape),
            )
        });
        if f11 || (esc && self.state.wall) {
            self.state.wall = !self.state.wall;
        }
        self.apply_view(ctx);
        self.wall_fallback(ctx);
        self.drain(ctx);
        if let Some(job) = &mut self.screenshot {
            // The first passes map the window and apply --size / wall mode; shoot after them.
            let settled = self.passes > MIN_PASSES_BEFORE_SCREENSHOT
                && (!self.state.wall || self.wall_passes == 0 || self.wall_passes > WALL_FALLBACK_PASSES + 2);
            if !settled {
                ctx.request_repaint_after(Duration::from_millis(50));
            } else if let Some(result) = job.step(ctx, &self.model) {
                if let Err(e) = result {
                    *self.outcome = Some(e);
                }
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
        ctx.request_repaint_after(HEARTBEAT);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        ui::dashboard_ui(ui, &self.model, &mut self.state, SystemTime::now());
        // The header may have switched the theme.
        if self.applied_theme != Some(self.state.theme) {
            ui.ctx().request_repaint();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.screenshot.is_none() {
            eframe::set_value(storage, eframe::APP_KEY, &self.state);
        }
    }

    fn persist_egui_memory(&self) -> bool {
        false
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if self.skipped_while_paused > 0 {
            log::info!(
                "{} update(s) were skipped while paused",
                self.skipped_while_paused
            );
        }
        log::debug!("collector: {} update(s) dropped", self.runtime.dropped());
    }
}

/// Open the window on `cfg` and run until it is closed. `demo` is kept alive meanwhile.
///
/// # Errors
/// When the size is malformed, the window or the collector cannot start, or a requested
/// screenshot could not be taken.
pub fn run(cfg: Config, w: &WindowArgs, demo: Option<DemoCluster>) -> anyhow::Result<()> {
    let size = w.size.as_deref().map(parse_size).transpose()?;
    let screenshot = w
        .screenshot
        .clone()
        .map(|p| ScreenshotJob::new(p, w.screenshot_after));
    if let Some(after) = w.screenshot_after {
        if w.screenshot.is_none() {
            anyhow::bail!("--screenshot-after {after:?} needs --screenshot PATH");
        }
    }
    let throwaway_storage = screenshot.is_some().then(|| {
        std::env::temp_dir().join(format!("swarmglass-screenshot-{}.ron", std::process::id()))
    });
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Swarmglass")
        .with_app_id(APP_ID)
        .with_inner_size(size.unwrap_or(DEFAULT_SIZE))
        .with_min_inner_size([480.0, 320.0])
        .with_fullscreen(w.wall);
    if w.wall {
        viewport = viewport.with_decorations(false);
    }
    let options = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        // A screenshot run neither reads nor overwrites the user's remembered window and view.
        persist_window: screenshot.is_none(),
        persistence_path: throwaway_storage.clone(),
        ..eframe::NativeOptions::default()
    };
    let mut outcome: Option<anyhow::Error> = None;
    let light = w.light;
    let wall = w.wall;
    let result = eframe::run_native(
        APP_ID,
        options,
        Box::new(|cc| {
            let stored: Option<UiState> = if screenshot.is_some() {
                None
            } else {
                cc.storage
                    .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            };
            let mut state = stored.unwrap_or_default();
            if light {
                state.theme = ThemeChoice::Light;
            }
            state.wall = wall;
            state.paused = false;
            let ctx = cc.egui_ctx.clone();
            let waker: runtime::Waker = Arc::new(move || ctx.request_repaint_after(COALESCE));
            let (rx, rt) = runtime::start(&cfg, CHANNEL_CAPACITY, waker)?;
            let mut model = Model::new(cfg.model.clone());
            for (id, interval) in &rt.sources {
                model.register(id.clone(), *interval);
            }
            Ok(Box::new(App {
                model,
                state,
                rx,
                runtime: rt,
                applied_theme: None,
                applied_wall: None,
                initial_size: size,
                passes: 0,
                wall_passes: 0,
                pre_wall_size: None,
                screenshot,
                skipped_while_paused: 0,
                outcome: &mut outcome,
            }))
        }),
    );
    if let Some(p) = throwaway_storage {
        if p.exists() && std::fs::remove_file(&p).is_err() {
            log::debug!("could not remove {}", p.display());
        }
    }
    drop(demo);
    result
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("the window could not run (is there a display? DISPLAY / WAYLAND_DISPLAY)")?;
    match outcome {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Where view choices are stored (for the README).
#[must_use]
pub fn storage_dir() -> Option<PathBuf> {
    eframe::storage_dir(APP_ID)
}
