//! The eframe App: owns the [`Model`] and the [`UiState`], drains collector updates in
//! `logic` under a time budget, and draws in `ui` from `&Model` only. The window repaints when
//! data arrives (coalesced) and on a slow heartbeat for "updated 3 s ago" labels — never in a
//! loop, so an idle wall monitor costs next to nothing.

pub mod alerting;
mod demo;
pub mod first_run;
mod fleet_history;
mod history_view;
pub mod screenshot;
pub mod settings;
pub mod window_error;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::TryRecvError;
use std::time::{Duration, Instant, SystemTime};

pub use demo::DemoCluster;
pub use first_run::FirstRun;
use screenshot::ScreenshotJob;

use crate::cli::WindowArgs;
use crate::config::Config;
use crate::model::Model;
use crate::recording::Recording;
use crate::runtime::{self, Runtime, Updates};
use crate::signals::StopRequest;
use crate::ui::{self, ThemeChoice, UiState, theme};

/// Most time one frame spends applying updates before it yields to drawing.
pub const DRAIN_BUDGET: Duration = Duration::from_millis(5);
/// Alert rules are evaluated at most this often: their `for` durations are whole seconds, and
/// an evaluation over 64 nodes × 8 GPUs costs about a millisecond (docs/BENCHMARKS.md).
pub const ALERT_EVAL_INTERVAL: Duration = Duration::from_secs(1);
/// Repaint at least this often, for age labels and staleness.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// A wake from a collector repaints within this long; updates arriving meanwhile share the frame.
pub const COALESCE: Duration = Duration::from_millis(1000);
/// Capacity of the update channel.
pub const CHANNEL_CAPACITY: usize = 4096;
/// Queued updates that make the waker repaint at once instead of coalescing.
pub const URGENT_BACKLOG: usize = CHANNEL_CAPACITY / 4;
/// Window size when none is given or remembered.
pub const DEFAULT_SIZE: egui::Vec2 = egui::vec2(1400.0, 900.0);
/// Passes in wall mode before covering the monitor by hand when full screen was not granted.
const WALL_FALLBACK_PASSES: u32 = 3;
/// Passes before a screenshot may be taken.
const MIN_PASSES_BEFORE_SCREENSHOT: u64 = 5;
/// The eframe app id (names the folder window geometry and view choices persist in).
pub const APP_ID: &str = "swarmglass";

/// How long until the next heartbeat: just past the next whole second of the wall clock, so that
/// ages ("12s ago") tick over together and data arriving in between (coalesced to
/// [`COALESCE`]) shares that frame: an idle window paints once a second, not twice.
#[must_use]
pub fn until_next_tick(now: SystemTime) -> Duration {
    let into = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(Duration::ZERO, |d| {
            Duration::from_nanos(u64::from(d.subsec_nanos()))
        });
    HEARTBEAT.saturating_sub(into) + Duration::from_millis(5)
}

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

/// How wall mode covers the screen.
#[derive(Debug, Clone, Copy, PartialEq)]
enum WallFit {
    /// Not in wall mode.
    Off,
    /// Full screen asked for this many passes ago.
    Asked { passes: u32 },
    /// The window manager made it full screen.
    Covered,
    /// Resized by hand to the monitor this many passes ago; `restore_px` is the size before,
    /// in physical pixels (points change with the wall-mode zoom).
    Resized {
        passes: u32,
        restore_px: Option<egui::Vec2>,
    },
}

/// The app itself.
struct App<'o> {
    model: Model,
    /// Updates queued since the last drain (counted by the waker).
    backlog: Arc<AtomicUsize>,
    alerting: alerting::Alerting,
    /// When the alert rules were last evaluated (at most once per [`ALERT_EVAL_INTERVAL`]).
    last_alert_eval: Option<SystemTime>,
    state: UiState,
    rx: Updates,
    runtime: Runtime,
    applied_theme: Option<ThemeChoice>,
    applied_wall: Option<bool>,
    initial_size: Option<egui::Vec2>,
    /// Logic passes so far.
    passes: u64,
    /// How wall mode came to cover the screen.
    wall_fit: WallFit,
    screenshot: Option<ScreenshotJob>,
    skipped_while_paused: u64,
    /// The pointer was declared gone (wall mode or a screenshot ignore the mouse).
    pointer_dropped: bool,
    /// Theme remembered from the last session, and the one this session started with.
    theme_stored: ThemeChoice,
    theme_at_start: ThemeChoice,
    outcome: &'o mut Option<anyhow::Error>,
    /// SIGINT/SIGTERM: close the window the normal way (state saved, collectors stopped).
    stop: StopRequest,
    /// History being recorded (`None`: off, or the store failed — the error list says why).
    recording: Option<Recording>,
    /// Queries of it for the frames drawn.
    history_view: history_view::HistoryView,
    /// A fleet's history, from its Prometheus server (`[[prometheus_server]]`).
    fleet_history: Option<fleet_history::FleetHistory>,
    /// Wakes the window when data arrives (kept to start new collectors: [`App::switch_to`]).
    waker: runtime::Waker,
    /// A demo started from the first-run screen, kept alive while it is shown.
    demo: Option<DemoCluster>,
    /// A discovery asked for on the first-run screen, until it answers.
    discovery: Option<std::sync::mpsc::Receiver<first_run::Discovered>>,
    /// What the latest discovery found.
    found: Option<first_run::Discovered>,
    /// The config file the settings window edits (`None`: the demo's built-in text).
    config_path: Option<PathBuf>,
    /// The command line's source and history flags (see [`Start::args`]).
    args: crate::cli::SourceArgs,
    /// A settings test under way, until it answers.
    settings_test: Option<std::sync::mpsc::Receiver<(String, usize, String)>>,
}

impl App<'_> {
    /// Apply queued updates for at most [`DRAIN_BUDGET`]; ask for another pass if more remain.
    fn drain(&mut self, ctx: &egui::Context) {
        self.backlog.store(0, Ordering::Relaxed);
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

    /// Whether the window covers its monitor. (winit reports the full-screen state it asked
    /// for, not what it got, so sizes are compared.)
    fn wall_covered(ctx: &egui::Context) -> bool {
        ctx.input(|i| {
            let v = i.viewport();
            matches!((v.monitor_size, v.inner_rect), (Some(m), Some(r)) if r.width() >= m.x - 1.0 && r.height() >= m.y - 1.0)
        })
    }

    /// Full screen needs a window manager; without one (a bare X server, Xvfb) cover the
    /// monitor by hand when full screen has not come after a few passes.
    fn wall_fit(&mut self, ctx: &egui::Context) {
        self.wall_fit = match (self.state.wall, self.wall_fit) {
            (false, WallFit::Resized { restore_px, .. }) => {
                if let Some(px) = restore_px {
                    // In points of the zoom still in force this pass (wall mode's).
                    let size = px / ctx.pixels_per_point();
                    log::debug!(
                        "wall off: restoring {px:?} px as {size:?} points at {} px/pt",
                        ctx.pixels_per_point()
                    );
                    ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(size));
                }
                WallFit::Off
            }
            (false, _) => WallFit::Off,
            (true, WallFit::Off) => WallFit::Asked { passes: 0 },
            (true, WallFit::Asked { passes }) if passes >= 2 && Self::wall_covered(ctx) => {
                WallFit::Covered
            }
            (true, WallFit::Asked { passes }) if passes >= WALL_FALLBACK_PASSES => {
                let ppp = ctx.pixels_per_point();
                let (monitor, inner_px) = ctx.input(|i| {
                    (
                        i.viewport().monitor_size,
                        i.viewport().inner_rect.map(|r| r.size() * ppp),
                    )
                });
                log::debug!(
                    "wall on: window {inner_px:?} px at {ppp} px/pt, monitor {monitor:?} points"
                );
                if let Some(m) = monitor {
                    log::info!(
                        "no full screen from the window manager; covering the {}x{} monitor instead",
                        m.x,
                        m.y
                    );
                    ctx.send_viewport_cmd(egui::ViewportCommand::OuterPosition(egui::pos2(
                        0.0, 0.0,
                    )));
                    ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(m));
                }
                WallFit::Resized {
                    passes: 0,
                    restore_px: inner_px,
                }
            }
            (true, WallFit::Asked { passes }) => WallFit::Asked { passes: passes + 1 },
            (true, WallFit::Resized { passes, restore_px }) => WallFit::Resized {
                passes: passes.saturating_add(1),
                restore_px,
            },
            (true, WallFit::Covered) => WallFit::Covered,
        };
        if matches!(
            self.wall_fit,
            WallFit::Asked { .. } | WallFit::Resized { passes: 0..3, .. }
        ) {
            ctx.request_repaint_after(Duration::from_millis(50));
        }
    }

    /// Wall mode is off, or the window covers the screen by now.
    fn wall_ready(&self) -> bool {
        matches!(
            self.wall_fit,
            WallFit::Off | WallFit::Covered | WallFit::Resized { passes: 2.., .. }
        )
    }

    /// Monitor `cfg` from now on, without a restart: collectors, model, history and the fleet's
    /// history rebuilt from it (the old collectors stop, the old recording is finished); the
    /// alert engine and the view choices are kept. `demo` is kept alive while it is shown.
    ///
    /// # Errors
    /// The collectors cannot start (the message says why).
    fn switch_to(
        &mut self,
        cfg: Config,
        demo: Option<DemoCluster>,
        ctx: &egui::Context,
    ) -> Result<(), String> {
        let now = SystemTime::now();
        let (rx, rt) = runtime::start(&cfg, CHANNEL_CAPACITY, Arc::clone(&self.waker))
            .map_err(|e| format!("cannot start the collectors: {e}"))?;
        if let Some(r) = &mut self.recording {
            r.finish(&mut self.model, &self.alerting.engine, now);
        }
        let mut model = Model::new(cfg.model.clone());
        rt.declare_to(&mut model, &cfg.notes, now);
        self.runtime = rt;
        self.rx = rx;
        self.recording = Recording::start(&cfg.history, &mut model, &mut self.alerting.engine, now);
        self.model = model;
        self.fleet_history = fleet_history_of(&cfg, ctx);
        self.history_view = history_view::HistoryView::default();
        self.demo = demo;
        self.state.first_run = None;
        log::info!(
            "now monitoring the new config ({} source(s))",
            self.model.sources().len()
        );
        Ok(())
    }

    /// The config a text gives once merged with the command line's flags, as at start-up.
    ///
    /// # Errors
    /// Its problems, in the config check's words.
    fn config_from_text(&self, text: &str) -> Result<Config, String> {
        crate::config::resolve(
            crate::config::Base::Text(text),
            &self.args,
            &crate::config::process_env,
        )
        .map_err(|e| e.to_string())
    }

    fn apply_view(&mut self, ctx: &egui::Context) {
        if self.applied_theme != Some(self.state.theme) {
            theme::apply(ctx, self.state.theme.palette());
            self.applied_theme = Some(self.state.theme);
        }
        if self.applied_wall != Some(self.state.wall) {
            if self.applied_wall.is_some() {
                ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(self.state.wall));
            }
            self.applied_wall = Some(self.state.wall);
        }
        // The wall view sizes its type from the screen itself: no zoom.
    }
}

impl eframe::App for App<'_> {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.passes += 1;
        if self.stop.requested() {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if self.passes == 1
            && let Some(size) = self.initial_size
        {
            // A remembered geometry would otherwise win over an explicit --size.
            ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(size));
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
        // One line per pass at debug level: the idle benchmark counts frames with it.
        if log::log_enabled!(target: "swarmglass::frames", log::Level::Debug) {
            let causes: Vec<String> = ctx
                .repaint_causes()
                .iter()
                .map(ToString::to_string)
                .collect();
            log::debug!(target: "swarmglass::frames", "pass {} after {}", self.passes, causes.join(", "));
        }
        self.wall_fit(ctx);
        self.apply_view(ctx);
        self.poll_discovery();
        self.poll_settings_test();
        self.drain(ctx);
        let now = SystemTime::now();
        let due = self
            .last_alert_eval
            .is_none_or(|t| now.duration_since(t).unwrap_or_default() >= ALERT_EVAL_INTERVAL);
        if !self.state.paused && due {
            self.last_alert_eval = Some(now);
            let events = self.alerting.evaluate(&mut self.model, now);
            if self.screenshot.is_none() {
                self.state.toasts.push_all(&events, now);
            }
        }
        if !self.state.paused
            && let Some(r) = &mut self.recording
        {
            r.tick(&mut self.model, &self.alerting.engine, now);
        }
        match self.alerting.poll_tray(&mut self.model, now) {
            Some(alerting::WindowRequest::Show) => {
                ctx.send_viewport_cmd(egui::ViewportCommand::Visible(true));
                ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
                ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
            }
            Some(alerting::WindowRequest::Quit) => {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close)
            }
            None => {}
        }
        let settled = self.passes > MIN_PASSES_BEFORE_SCREENSHOT && self.wall_ready();
        if let Some(job) = &mut self.screenshot {
            // The first passes map the window and apply --size / wall mode; shoot after them.
            if !settled {
                ctx.request_repaint_after(Duration::from_millis(50));
            } else if let Some(result) = job.step(ctx, &self.model) {
                if let Err(e) = result {
                    *self.outcome = Some(e);
                }
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
        ctx.request_repaint_after(until_next_tick(SystemTime::now()));
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let now = SystemTime::now();
        let (model, frame, shown_now) = match &self.recording {
            Some(rec) => {
                let mut frame = self.history_view.frame(rec, &self.state.history, now);
                if let Some(fh) = &mut self.fleet_history
                    && self.state.history.rewind.is_none()
                {
                    frame = fh.overlay(frame, self.state.history.detail.as_ref());
                }
                match self.state.history.rewind {
                    Some(t) => (
                        self.history_view.model_at(rec, t, &self.model),
                        Some(frame),
                        crate::history::from_unix_ms(t),
                    ),
                    None => (&self.model, Some(frame), now),
                }
            }
            None => (&self.model, None, now),
        };
        if let Some(action) = ui::dashboard_ui(
            ui,
            model,
            &self.alerting.engine,
            &mut self.state,
            frame.as_deref(),
            shown_now,
        ) {
            match action {
                ui::actions::PanelAction::FirstRun(a) => self.first_run_action(a, ui.ctx()),
                ui::actions::PanelAction::Settings(a) => self.settings_action(a, ui.ctx()),
                other => self
                    .alerting
                    .apply(other, &self.runtime, &mut self.model, now),
            }
            ui.ctx().request_repaint();
        }
        // The header may have switched the theme.
        if self.applied_theme != Some(self.state.theme) {
            ui.ctx().request_repaint();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.screenshot.is_none() {
            let mut st = self.state.clone();
            // `--theme`/`--light` apply to this run; only a choice made in the window is remembered.
            if st.theme == self.theme_at_start {
                st.theme = self.theme_stored;
            }
            eframe::set_value(storage, eframe::APP_KEY, &st);
        }
    }

    fn persist_egui_memory(&self) -> bool {
        false
    }

    /// In wall mode and while taking a screenshot the mouse is ignored: a pointer parked over
    /// an unattended wall screen would otherwise keep a tooltip open for ever. Keys (F11, Esc)
    /// still work.
    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        if self.state.wall || self.screenshot.is_some() {
            raw_input.events.retain(|e| {
                !matches!(
                    e,
                    egui::Event::PointerMoved(_)
                        | egui::Event::MouseMoved(_)
                        | egui::Event::PointerButton { .. }
                        | egui::Event::MouseWheel { .. }
                        | egui::Event::Touch { .. }
                )
            });
            if !self.pointer_dropped {
                raw_input.events.push(egui::Event::PointerGone);
                self.pointer_dropped = true;
            }
        } else {
            self.pointer_dropped = false;
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let Some(r) = &mut self.recording {
            r.finish(&mut self.model, &self.alerting.engine, SystemTime::now());
        }
        if self.skipped_while_paused > 0 {
            log::info!(
                "{} update(s) were skipped while paused",
                self.skipped_while_paused
            );
        }
        log::debug!("collector: {} update(s) dropped", self.runtime.dropped());
    }
}

/// Open the window on `cfg` and run until it is closed, or `stop` is requested (a signal: the
/// window then closes as if its close button was pressed). `demo` is kept alive meanwhile.
///
/// # Errors
/// When the size is malformed, the window or the collector cannot start (a missing window
/// library is named, with its Debian package), or a requested screenshot could not be taken.
pub fn run(
    cfg: Config,
    w: &WindowArgs,
    demo: Option<DemoCluster>,
    start: Start,
    stop: &StopRequest,
) -> anyhow::Result<()> {
    // A missing keyboard library makes xkbcommon-dl panic; that becomes an error naming it.
    match window_error::catching_library_panics(|| run_window(cfg, w, demo, start, stop)) {
        Ok(result) => result,
        Err(panic) => anyhow::bail!(window_error::explain(&panic)),
    }
}

fn run_window(
    cfg: Config,
    w: &WindowArgs,
    demo: Option<DemoCluster>,
    start: Start,
    stop: &StopRequest,
) -> anyhow::Result<()> {
    let Start {
        config_path,
        args,
        first_run,
    } = start;
    let size = w.size.as_deref().map(parse_size).transpose()?;
    let screenshot = w
        .screenshot
        .clone()
        .map(|p| ScreenshotJob::new(p, w.screenshot_after));
    if let Some(after) = w.screenshot_after
        && w.screenshot.is_none()
    {
        anyhow::bail!("--screenshot-after {after:?} needs --screenshot PATH");
    }
    let throwaway_storage = screenshot.is_some().then(|| {
        std::env::temp_dir().join(format!("swarmglass-screenshot-{}.ron", std::process::id()))
    });
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Swarmglass")
        .with_icon(Arc::new(window_icon()))
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
    let theme_flag = w.theme.or(w.light.then_some(ThemeChoice::Light));
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
            let theme_stored = state.theme;
            if let Some(t) = theme_flag {
                state.theme = t;
            }
            state.wall = wall;
            state.wall_settings = cfg.wall.clone();
            state.first_run = first_run.as_ref().map(FirstRun::state);
            state.paused = false;
            let theme_at_start = state.theme;
            let stop_ctx = cc.egui_ctx.clone();
            stop.set_waker(Arc::new(move || stop_ctx.request_repaint()));
            let ctx = cc.egui_ctx.clone();
            // Data wakes the window at most once per COALESCE; a backlog (a flood of task events)
            // wakes it at once, so the bounded channel is drained before it overflows.
            let backlog = Arc::new(AtomicUsize::new(0));
            let queued = Arc::clone(&backlog);
            let waker: runtime::Waker = Arc::new(move || {
                if queued.fetch_add(1, Ordering::Relaxed) + 1 >= URGENT_BACKLOG {
                    ctx.request_repaint();
                } else {
                    ctx.request_repaint_after(COALESCE);
                }
            });
            let (rx, rt) = runtime::start(&cfg, CHANNEL_CAPACITY, Arc::clone(&waker))?;
            let mut model = Model::new(cfg.model.clone());
            rt.declare_to(&mut model, &cfg.notes, std::time::SystemTime::now());
            let fleet_history = fleet_history_of(&cfg, &cc.egui_ctx);
            let tray_ctx = cc.egui_ctx.clone();
            // A screenshot run is a one-shot: no tray icon, no desktop notifications.
            let mut alerts_cfg = cfg.alerts.clone();
            if screenshot.is_some() {
                alerts_cfg.desktop = false;
            }
            let mut alerting = alerting::Alerting::start(
                &alerts_cfg,
                screenshot.is_none(),
                Arc::new(move || tray_ctx.request_repaint()),
                &mut model,
                SystemTime::now(),
            );
            let recording = Recording::start(
                &cfg.history,
                &mut model,
                &mut alerting.engine,
                SystemTime::now(),
            );
            Ok(Box::new(App {
                model,
                backlog,
                alerting,
                last_alert_eval: None,
                state,
                rx,
                runtime: rt,
                applied_theme: None,
                applied_wall: None,
                initial_size: size,
                passes: 0,
                wall_fit: WallFit::Off,
                screenshot,
                skipped_while_paused: 0,
                theme_stored,
                theme_at_start,
                pointer_dropped: false,
                outcome: &mut outcome,
                stop: stop.clone(),
                recording,
                history_view: history_view::HistoryView::default(),
                fleet_history,
                waker,
                demo: None,
                discovery: None,
                found: None,
                config_path,
                args,
                settings_test: None,
            }))
        }),
    );
    if let Some(p) = throwaway_storage
        && p.exists()
        && std::fs::remove_file(&p).is_err()
    {
        log::debug!("could not remove {}", p.display());
    }
    drop(demo);
    if let Err(e) = result {
        anyhow::bail!(window_error::explain(&e.to_string()));
    }
    match outcome {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The application icon (title bar, taskbar, Alt-Tab): the 256 px PNG of `assets/`.
#[must_use]
pub fn window_icon() -> egui::IconData {
    const PNG: &[u8] = include_bytes!("../../assets/icons/hicolor/256x256/apps/swarmglass.png");
    eframe::icon_data::from_png_bytes(PNG).unwrap_or_else(|e| {
        log::warn!("the built-in icon does not decode ({e}); the window has none");
        egui::IconData::default()
    })
}

/// What the window knows of how it was started, beside its config.
#[derive(Debug, Clone, Default)]
pub struct Start {
    /// The config file the settings window edits (`None`: the demo's built-in text).
    pub config_path: Option<PathBuf>,
    /// The command line's source and history flags: a config made in the window (settings,
    /// first run) is merged with them as the start-up config was ([`crate::config::resolve`]).
    pub args: crate::cli::SourceArgs,
    /// Nothing configured and nothing found: open on the first-run screen.
    pub first_run: Option<FirstRun>,
}

/// A fleet's plots come from its Prometheus server's history (the first one named).
fn fleet_history_of(cfg: &Config, ctx: &egui::Context) -> Option<fleet_history::FleetHistory> {
    let server = cfg.prometheus_servers.first()?;
    let ctx = ctx.clone();
    fleet_history::FleetHistory::start(server.clone(), move || ctx.request_repaint())
        .map_err(|e| log::warn!("fleet history: {e}"))
        .ok()
}

/// Where view choices are stored (for the README).
#[must_use]
pub fn storage_dir() -> Option<PathBuf> {
    eframe::storage_dir(APP_ID)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_icon_is_the_256_px_one_with_transparent_corners() {
        let icon = window_icon();
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
        assert_eq!(icon.rgba[3], 0, "the corner is outside the rounded square");
        let centre = (128 * 256 + 128) * 4;
        assert_eq!(icon.rgba[centre + 3], 255);
    }

    #[test]
    fn the_heartbeat_lands_just_past_the_next_whole_second() {
        let second = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let ms = Duration::from_millis;
        assert_eq!(until_next_tick(second), HEARTBEAT + ms(5));
        assert_eq!(until_next_tick(second + ms(300)), ms(705));
        assert_eq!(until_next_tick(second + ms(999)), ms(6));
    }
}
