//! `--screenshot PATH`: wait for the first full round of data (every registered source has
//! reported once, success or failure) or for `--screenshot-after`, let the layout settle for two
//! frames, ask eframe for the rendered frame, write it as PNG, and let the app close the window.
//! Every wait is bounded, so a run with a screenshot always ends.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::model::Model;
use crate::model::health::Health;

/// Without a full round by then, take the screenshot anyway.
pub const ROUND_TIMEOUT: Duration = Duration::from_secs(30);
/// Give up when no frame came this long after asking for it.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(30);
/// Frames drawn between "ready" and the request, so first-frame sizing passes are over.
const SETTLE_FRAMES: u8 = 2;

enum Phase {
    Waiting,
    Settling(u8),
    Requested {
        since: Instant,
        rx: Receiver<Arc<egui::ColorImage>>,
    },
    Done,
}

/// One pending screenshot.
pub struct ScreenshotJob {
    path: PathBuf,
    after: Option<Duration>,
    started: Instant,
    phase: Phase,
}

/// True once every registered source has reported at least once.
#[must_use]
pub fn round_complete(model: &Model) -> bool {
    model
        .sources()
        .values()
        .all(|s| !matches!(s.health.health, Health::Unknown))
}

impl ScreenshotJob {
    /// A job writing to `path`, after `after` if given, else after the first full round.
    #[must_use]
    pub fn new(path: PathBuf, after: Option<Duration>) -> Self {
        Self {
            path,
            after,
            started: Instant::now(),
            phase: Phase::Waiting,
        }
    }

    /// Advance the job; call once per `logic` pass. Returns the outcome once it is finished.
    pub fn step(&mut self, ctx: &egui::Context, model: &Model) -> Option<anyhow::Result<()>> {
        match &mut self.phase {
            Phase::Waiting => {
                let waited = self.started.elapsed();
                let ready = match self.after {
                    Some(after) => waited >= after,
                    None if round_complete(model) => true,
                    None if waited >= ROUND_TIMEOUT => {
                        log::warn!(
                            "screenshot: not every source reported within {}s; taking it anyway",
                            ROUND_TIMEOUT.as_secs()
                        );
                        true
                    }
                    None => false,
                };
                if ready {
                    self.phase = Phase::Settling(SETTLE_FRAMES);
                    ctx.request_repaint();
                } else if let Some(after) = self.after {
                    // A timed shot leaves the window idle until then (the idle benchmark uses it).
                    ctx.request_repaint_after(after.saturating_sub(waited));
                } else {
                    ctx.request_repaint_after(Duration::from_millis(200));
                }
                None
            }
            Phase::Settling(left) => {
                if *left == 0 {
                    let (tx, rx) = std::sync::mpsc::sync_channel(1);
                    let waker = ctx.clone();
                    ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(
                        egui::ScreenshotCallback::new(move |image| {
                            if tx.send(image).is_err() {
                                log::warn!("screenshot: the window was gone before the frame came");
                            }
                            waker.request_repaint();
                        }),
                    ));
                    self.phase = Phase::Requested {
                        since: Instant::now(),
                        rx,
                    };
                } else {
                    *left -= 1;
                }
                ctx.request_repaint();
                None
            }
            Phase::Requested { since, rx } => match rx.try_recv() {
                Ok(image) => {
                    self.phase = Phase::Done;
                    Some(write_png(&self.path, &image))
                }
                Err(TryRecvError::Empty) if since.elapsed() < FRAME_TIMEOUT => {
                    ctx.request_repaint_after(Duration::from_millis(100));
                    None
                }
                Err(_) => {
                    self.phase = Phase::Done;
                    Some(Err(anyhow::anyhow!(
                        "no frame was rendered within {}s of asking for the screenshot; is the display working (DISPLAY, LIBGL_ALWAYS_SOFTWARE=1)?",
                        FRAME_TIMEOUT.as_secs()
                    )))
                }
            },
            Phase::Done => None,
        }
    }
}

/// Write an egui image as an RGB PNG.
///
/// # Errors
/// When the file cannot be written.
pub fn write_png(path: &Path, image: &egui::ColorImage) -> anyhow::Result<()> {
    let [w, h] = image.size;
    let mut rgb = Vec::with_capacity(w * h * 3);
    for p in &image.pixels {
        rgb.extend_from_slice(&[p.r(), p.g(), p.b()]);
    }
    let (w32, h32) = (u32::try_from(w)?, u32::try_from(h)?);
    let buf =
        image::RgbImage::from_raw(w32, h32, rgb).context("screenshot buffer has the wrong size")?;
    buf.save_with_format(path, image::ImageFormat::Png)
        .with_context(|| format!("cannot write the screenshot to {}", path.display()))?;
    Ok(())
}
