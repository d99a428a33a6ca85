//! The window under a flood of task events: a producer thread sends 50 000 Nexus events a
//! second for 10 s through the runtime's bounded channel (4096 slots, `try_send`, drops
//! counted) while the consumer does what `App::logic`/`App::ui` do — wake on the coalesced
//! heartbeat or at once when the backlog passes a quarter of the channel, drain for at most
//! 5 ms, evaluate the alert rules at most once a second, then lay out and tessellate the whole
//! dashboard (agent panels included). No GPU: rasterising is not included.
//!
//! ```text
//! cargo bench --bench flood_window
//! ```
//!
//! Reports events ingested and dropped, frames drawn, frame cost (drain + layout +
//! tessellation), the longest gap between two frames, and peak memory.

#![allow(
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    reason = "a benchmark binary: a failure should stop it loudly"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{TryRecvError, TrySendError, sync_channel};
use std::time::{Duration, Instant, SystemTime};

use swarmglass::alerts::Engine;
use swarmglass::app::{
    ALERT_EVAL_INTERVAL, CHANNEL_CAPACITY, DRAIN_BUDGET, HEARTBEAT, URGENT_BACKLOG,
};
use swarmglass::config::alerts::RuleSet;
use swarmglass::model::ids::{SourceId, SourceKind};
use swarmglass::model::input::EventUpdate;
use swarmglass::model::input::SourceUpdate;
use swarmglass::model::{Model, ModelSettings};
use swarmglass::sources::events::{Frame, parse_frame};
use swarmglass::ui::{UiState, dashboard_ui, theme};

const RATE: u64 = 50_000;

fn event_json(n: u64, ts: &str) -> String {
    let ty = [
        "task_enqueued",
        "task_started",
        "task_completed",
        "task_failed",
        "worker_heartbeat",
    ][(n % 5) as usize];
    format!(
        r#"{{"event_id":"flood-{n}","ts":"{ts}","event_type":"{ty}","project_id":"proj-{}","task_id":"t{n}","worker_id":"w{}","duration_ms":{}}}"#,
        n % 8,
        n % 64,
        500 + n % 5000
    )
}

fn vm_hwm_mib() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |k| k / 1024.0)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() {
    let smoke = cfg!(debug_assertions);
    let run = if smoke {
        Duration::from_millis(300)
    } else {
        Duration::from_secs(10)
    };
    let (tx, rx) = sync_channel::<SourceUpdate>(CHANNEL_CAPACITY);
    let dropped = Arc::new(AtomicU64::new(0));
    let backlog = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let producer = {
        let (dropped, backlog, done) = (
            Arc::clone(&dropped),
            Arc::clone(&backlog),
            Arc::clone(&done),
        );
        std::thread::Builder::new()
            .name("flood".into())
            .spawn(move || {
                let start = Instant::now();
                let source = SourceId::new("swarm", SourceKind::NexusWs, "ws://flood");
                let mut sent = 0_u64;
                while start.elapsed() < run {
                    let due = (start.elapsed().as_secs_f64() * RATE as f64) as u64;
                    let ts = humantime::format_rfc3339_micros(SystemTime::now()).to_string();
                    while sent < due {
                        sent += 1;
                        let Ok(Frame::Event(event)) = parse_frame(event_json(sent, &ts).as_bytes())
                        else {
                            continue;
                        };
                        let u = EventUpdate::Event {
                            source: source.clone(),
                            received_at: SystemTime::now(),
                            event,
                        };
                        match tx.try_send(SourceUpdate::agents(u)) {
                            Ok(()) => {
                                backlog.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(TrySendError::Full(_)) => {
                                dropped.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(TrySendError::Disconnected(_)) => return sent,
                        }
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                done.store(1, Ordering::Relaxed);
                sent
            })
            .unwrap()
    };

    let mut model = Model::new(ModelSettings::default());
    let mut engine = Engine::new(RuleSet::defaults());
    let ctx = egui::Context::default();
    theme::apply(&ctx, &theme::palette::DARK);
    let mut state = UiState::default();
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1920.0, 1080.0));
    let (mut frames, mut gaps, mut applied) = (Vec::new(), Vec::new(), 0_u64);
    let started = Instant::now();
    let (mut last_frame, mut last_eval) = (Instant::now(), None::<Instant>);
    loop {
        // Wait like the window: the heartbeat, or at once on a backlog.
        let finished = done.load(Ordering::Relaxed) == 1;
        if !finished
            && backlog.load(Ordering::Relaxed) < URGENT_BACKLOG
            && last_frame.elapsed() < HEARTBEAT
        {
            std::thread::sleep(Duration::from_micros(200));
            continue;
        }
        gaps.push(last_frame.elapsed());
        let t0 = Instant::now();
        backlog.store(0, Ordering::Relaxed);
        let mut more = false;
        loop {
            if t0.elapsed() >= DRAIN_BUDGET {
                more = true;
                break;
            }
            match rx.try_recv() {
                Ok(u) => {
                    model.apply(u, SystemTime::now());
                    applied += 1;
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let now = SystemTime::now();
        if last_eval.is_none_or(|t| t.elapsed() >= ALERT_EVAL_INTERVAL) {
            last_eval = Some(Instant::now());
            engine.evaluate(&model, now);
        }
        let mut out = ctx.run_ui(
            egui::RawInput {
                screen_rect: Some(screen),
                ..Default::default()
            },
            |ui| {
                dashboard_ui(ui, &model, &engine, &mut state, None, now);
            },
        );
        out.textures_delta.clear();
        std::hint::black_box(ctx.tessellate(out.shapes, out.pixels_per_point));
        frames.push(t0.elapsed());
        last_frame = Instant::now();
        if finished && !more {
            break;
        }
        if more {
            backlog.store(URGENT_BACKLOG, Ordering::Relaxed); // drain again at once
        }
    }
    let sent = producer.join().unwrap();
    let secs = started.elapsed().as_secs_f64();
    frames.sort();
    gaps.sort();
    println!(
        "Window under a flood: {RATE} task events/s for {} s, channel {CHANNEL_CAPACITY}, drain ≤ {} ms{}\n",
        run.as_secs_f64(),
        DRAIN_BUDGET.as_millis(),
        if smoke {
            " (smoke run: unoptimised build)"
        } else {
            ""
        }
    );
    println!(
        "| events sent | applied | dropped | frames | frame median (ms) | frame p95 (ms) | frame max (ms) | longest gap between frames (ms) | peak memory (VmHWM, MiB) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {sent} | {applied} | {} | {} | {:.2} | {:.2} | {:.2} | {:.0} | {:.1} |",
        dropped.load(Ordering::Relaxed),
        frames.len(),
        pct(&frames, 0.5),
        pct(&frames, 0.95),
        pct(&frames, 1.0),
        pct(&gaps, 1.0),
        vm_hwm_mib()
    );
    println!(
        "\n{:.0} events/s applied over {secs:.1} s; the model holds {} events",
        applied as f64 / secs,
        model.tasks.snapshot(SystemTime::now()).events_total
    );
}
