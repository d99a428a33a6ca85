//! Frame cost without a GPU: logic (one node's fresh scrapes applied, staleness tick) + egui
//! layout of the whole dashboard + tessellation, at 1, 8, 64 and 1,000 nodes × 8 GPUs (the last
//! two in the fleet matrix, which `Auto` picks above 128 GPUs), with 15 minutes
//! of one-second history in both throughput plots. Every frame advances the clock by one second,
//! so every age, figure and plot point changes, as on a real once-a-second repaint. Then as
//! many frames where only the pointer moves (hover, no update): what the window costs at 60 fps
//! while an operator reads it.
//!
//! `cargo bench --bench frame` prints a markdown table (median and p95 per frame over 200
//! frames after 20 warm-up frames), including the once-a-second frame that also evaluates the
//! alert rules (`cargo test` runs it as a smoke test: 2 frames per size). Machines differ, so the same run also times a reference frame — one plot of 900
//! points and nothing else, laid out and tessellated the same way — and reports each frame as a
//! multiple of it. Method and results: docs/BENCHMARKS.md, "Frame cost".

use std::time::{Duration, Instant, SystemTime};

use swarmglass::alerts::Engine;
use swarmglass::config::alerts::RuleSet;
use swarmglass::testdata;
use swarmglass::ui::{UiState, dashboard_ui, theme};

const GPUS_PER_NODE: usize = 8;
const HISTORY_POINTS: usize = 900;
/// Warm-up frames and measured frames: full under `cargo bench`, two each as a smoke test.
fn frames() -> (usize, usize) {
    if std::env::args().any(|a| a == "--bench") {
        (20, 200)
    } else {
        (2, 2)
    }
}

struct Row {
    nodes: usize,
    logic: Vec<Duration>,
    alerts: Vec<Duration>,
    views: Vec<Duration>,
    layout: Vec<Duration>,
    tessellate: Vec<Duration>,
    total: Vec<Duration>,
    /// The once-a-second frame: the frame plus the alert-rule evaluation.
    with_rules: Vec<Duration>,
    /// A frame between updates (pointer moved, nothing new): layout and tessellation only.
    between: Vec<Duration>,
    primitives: usize,
    vertices: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn run(nodes: usize, size: egui::Vec2) -> Row {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut model = testdata::sample_model(nodes, GPUS_PER_NODE, HISTORY_POINTS, start);
    let ctx = egui::Context::default();
    theme::apply(&ctx, &theme::palette::DARK);
    let mut state = UiState::default();
    // The default alert rules, evaluated every frame as App::logic does.
    let mut engine = Engine::new(RuleSet::defaults());
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, size);
    let mut row = Row {
        nodes,
        logic: Vec::new(),
        alerts: Vec::new(),
        views: Vec::new(),
        layout: Vec::new(),
        tessellate: Vec::new(),
        total: Vec::new(),
        with_rules: Vec::new(),
        between: Vec::new(),
        primitives: 0,
        vertices: 0,
    };
    let (warmup, frames) = frames();
    for frame in 0..warmup + frames {
        let t_s = (frame + 1) as f64;
        let now = start + Duration::from_secs_f64(t_s);
        let t0 = Instant::now();
        // Logic: what App::logic does with one node's worth of updates.
        testdata::apply_node(&mut model, frame % nodes, GPUS_PER_NODE, start, t_s);
        model.tick(now);
        // The shared views, rebuilt once after the update (the rules and the dashboard read them).
        let v0 = Instant::now();
        std::hint::black_box(model.views());
        let views = v0.elapsed();
        let a0 = Instant::now();
        // The app evaluates the rules at most once a second, apart from the frames in between;
        // timed apart here and reported in its own column.
        std::hint::black_box(engine.evaluate(&model, now));
        let alerts = a0.elapsed();
        let input = egui::RawInput {
            screen_rect: Some(screen),
            time: Some(t_s),
            ..egui::RawInput::default()
        };
        let t1 = Instant::now();
        let mut out = ctx.run_ui(input, |ui| {
            dashboard_ui(ui, &model, &engine, &mut state, None, now);
        });
        let t2 = Instant::now();
        // No GPU here to upload font-atlas changes to: drop them on purpose.
        out.textures_delta.clear();
        let prims = ctx.tessellate(out.shapes, out.pixels_per_point);
        let t3 = Instant::now();
        if frame >= warmup {
            row.logic.push(t1 - t0 - alerts);
            row.alerts.push(alerts);
            row.views.push(views);
            row.layout.push(t2 - t1);
            row.tessellate.push(t3 - t2);
            row.total.push(t3 - t0 - alerts);
            row.with_rules.push(t3 - t0);
            row.primitives = prims.len();
            row.vertices = prims
                .iter()
                .map(|p| match &p.primitive {
                    egui::epaint::Primitive::Mesh(m) => m.vertices.len(),
                    egui::epaint::Primitive::Callback(_) => 0,
                })
                .sum();
        }
    }
    // Frames between updates: the pointer moves over the window (hover, as at 60 fps while an
    // operator reads it), the model and the clock stay.
    let t_s = (warmup + frames) as f64;
    let now = start + Duration::from_secs_f64(t_s);
    for frame in 0..warmup + frames {
        #[allow(clippy::cast_precision_loss)]
        let pos = egui::pos2(
            (frame % 100) as f32 * size.x / 100.0,
            size.y * 0.6 + (frame % 7) as f32,
        );
        let input = egui::RawInput {
            screen_rect: Some(screen),
            time: Some(t_s + frame as f64 / 60.0),
            events: vec![egui::Event::PointerMoved(pos)],
            ..egui::RawInput::default()
        };
        let t0 = Instant::now();
        let mut out = ctx.run_ui(input, |ui| {
            dashboard_ui(ui, &model, &engine, &mut state, None, now);
        });
        out.textures_delta.clear();
        std::hint::black_box(ctx.tessellate(out.shapes, out.pixels_per_point));
        if frame >= warmup {
            row.between.push(t0.elapsed());
        }
    }
    for v in [
        &mut row.between,
        &mut row.logic,
        &mut row.views,
        &mut row.layout,
        &mut row.tessellate,
        &mut row.total,
        &mut row.with_rules,
    ] {
        v.sort();
    }
    row
}

/// The reference frame: one egui_plot line of `HISTORY_POINTS` points on an otherwise empty
/// screen, laid out and tessellated like a dashboard frame. Sorted durations.
fn reference(size: egui::Vec2) -> Vec<Duration> {
    let ctx = egui::Context::default();
    theme::apply(&ctx, &theme::palette::DARK);
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, size);
    let mut times = Vec::new();
    let (warmup, frames) = frames();
    for frame in 0..warmup + frames {
        #[allow(clippy::cast_precision_loss)]
        let t_s = (frame + 1) as f64;
        let input = egui::RawInput {
            screen_rect: Some(screen),
            time: Some(t_s),
            ..egui::RawInput::default()
        };
        let t0 = Instant::now();
        let mut out = ctx.run_ui(input, |ui| {
            // The points are built each frame, as the dashboard builds its plots' points.
            let points: Vec<[f64; 2]> = (0..HISTORY_POINTS)
                .map(|i| {
                    #[allow(clippy::cast_precision_loss)]
                    let x = (i + frame) as f64;
                    [x, 500.0 + 100.0 * (x / 30.0).sin()]
                })
                .collect();
            egui_plot::Plot::new("reference").show(ui, |p| {
                p.line(egui_plot::Line::new(
                    "reference",
                    egui_plot::PlotPoints::from(points),
                ));
            });
        });
        out.textures_delta.clear();
        std::hint::black_box(ctx.tessellate(out.shapes, out.pixels_per_point));
        if frame >= warmup {
            times.push(t0.elapsed());
        }
    }
    times.sort();
    times
}

fn main() {
    let size = egui::vec2(1920.0, 1080.0);
    let reference = reference(size);
    let ref_med = percentile(&reference, 0.5);
    println!(
        "Frame cost, {}×{} points, {GPUS_PER_NODE} GPUs per node, {HISTORY_POINTS} s of history, {} frames\n",
        size.x,
        size.y,
        frames().1
    );
    println!(
        "| nodes | GPU cards | frame median (ms) | frame p95 (ms) | with rules, median (ms) | with rules ÷ reference | logic (incl. views) | layout | views | tessellation | alert rules (≤ 1/s) | between updates, median (ms) | meshes | vertices |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    // FRAME_NODES=1000 (comma-separated) runs only those sizes, e.g. under a profiler.
    let sizes: Vec<usize> = std::env::var("FRAME_NODES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| vec![1, 8, 64, 1000]);
    for nodes in sizes {
        let r = run(nodes, size);
        let med = |v: &[Duration]| ms(percentile(v, 0.5));
        let with_rules = percentile(&r.with_rules, 0.5);
        println!(
            "| {} | {} | {} | {} | {} | {:.2}× | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.nodes,
            r.nodes * GPUS_PER_NODE,
            med(&r.total),
            ms(percentile(&r.total, 0.95)),
            ms(with_rules),
            with_rules.as_secs_f64() / ref_med.as_secs_f64().max(1e-9),
            med(&r.logic),
            med(&r.layout),
            med(&r.views),
            med(&r.tessellate),
            med(&r.alerts),
            med(&r.between),
            r.primitives,
            r.vertices
        );
    }
    println!(
        "\nReference frame (one plot of {HISTORY_POINTS} points, nothing else): median {} ms, p95 {} ms",
        ms(ref_med),
        ms(percentile(&reference, 0.95))
    );
    println!(
        "\n(logic, layout, views, tessellation, alert rules: medians in ms; the frame excludes the alert-rule evaluation, which the window runs at most once a second; views = the model's shared views (cluster, nodes, GPU and inference cards) rebuilt once after the frame's update, part of logic; the rules and the dashboard read them without rebuilding; between updates = a frame where only the pointer moved: no update, the same clock)"
    );
}
