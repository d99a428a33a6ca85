//! GPU cards, local and remote alike: VRAM bar (used/total GiB and %), utilisation,
//! temperature, power against its limit, the model served, node, origin and health.
//!
//! Cards are the model's shared [`GpuCard`] views (built once per change, one card per GPU, in
//! natural order), drawn here without copying. Two densities: comfortable cards are ordinary widgets; compact cards (hundreds of GPUs) are
//! painted directly — three lines of text and a bar — with one hover area each for the details
//! and one accessible label, which keeps a 512-GPU frame cheap.

use std::time::SystemTime;

use egui::text::{LayoutJob, TextWrapping};
use egui::{Align2, FontId, ProgressBar, Rect, RichText, TextFormat, vec2};

use super::icons::{self, Icon};
use super::{grid, theme};
use crate::format;
use crate::model::gpu::{GpuOrigin, GpuSample};
use crate::model::health::Health;
use crate::model::views::GpuCard;

/// VRAM % from which the bar turns to warning / critical. (vLLM reserves 90% by default, so
/// 90% is normal on an inference node.)
const VRAM_WARN_PCT: f64 = 95.0;
const VRAM_CRIT_PCT: f64 = 99.0;
/// Temperature °C from which it reads "hot" / "too hot".
const TEMP_WARN_C: f64 = 83.0;
const TEMP_CRIT_C: f64 = 90.0;

/// Where a reading came from, in words.
#[must_use]
pub fn origin_label(o: GpuOrigin) -> &'static str {
    match o {
        GpuOrigin::Nvml => "NVML (local)",
        GpuOrigin::NvidiaSmiXml => "nvidia-smi (local)",
        GpuOrigin::Dcgm => "dcgm-exporter",
        GpuOrigin::NvidiaGpuExporter => "nvidia_gpu_exporter",
        GpuOrigin::Agent => "swarmglass agent",
    }
}

/// Title of a card: "GPU 3" or the key when the index is unknown.
#[must_use]
pub fn gpu_title(g: &GpuSample) -> String {
    match (g.index, &g.mig) {
        (Some(i), Some(m)) => format!("GPU {i} · MIG {m}"),
        (Some(i), None) => format!("GPU {i}"),
        (None, _) => g.key(),
    }
}

/// Title of a compact card: "node-3 #2".
#[must_use]
pub fn compact_title(c: &GpuCard) -> String {
    match c.gpu.index {
        Some(i) => format!("{} #{i}", c.node),
        None => format!("{} {}", c.node, c.gpu.key()),
    }
}

/// Draw every card in a grid.
/// Returns the card clicked (`clickable` where a detail view can open).
pub fn gpu_grid_ui(
    ui: &mut egui::Ui,
    cards: &[GpuCard],
    compact: bool,
    clickable: bool,
    now: SystemTime,
) -> Option<usize> {
    let cell = if compact {
        theme::GPU_CARD_COMPACT
    } else {
        theme::GPU_CARD
    };
    let copy = |i: usize| cards.get(i).map(GpuCard::summary).unwrap_or_default();
    grid::card_grid_ui(
        ui,
        "gpu_card",
        cards.len(),
        cell,
        clickable,
        &copy,
        |ui, i| {
            if let Some(c) = cards.get(i) {
                if compact {
                    compact_card_ui(ui, c, now);
                } else {
                    let frame = theme::card_frame_for(ui.style(), theme::health_level(&c.health));
                    grid::card_ui(ui, frame, |ui| full_card_ui(ui, c));
                }
            }
        },
    )
}

fn health_badge_ui(ui: &mut egui::Ui, h: &Health) {
    icons::state_ui(ui, theme::health_level(h), h.label(), false).on_hover_text(
        h.reason()
            .unwrap_or("the source reporting this GPU answers normally"),
    );
}

fn temp_text(temp_c: Option<f64>) -> (String, theme::Level) {
    let level = theme::level(temp_c, TEMP_WARN_C, TEMP_CRIT_C);
    let word = match level {
        theme::Level::Warn => " hot",
        theme::Level::Crit => " too hot",
        theme::Level::Ok | theme::Level::Unknown => "",
    };
    (format!("{}{word}", format::temp(temp_c, 0)), level)
}

fn full_card_ui(ui: &mut egui::Ui, c: &GpuCard) {
    let g = &c.gpu;
    ui.horizontal(|ui| {
        ui.label(RichText::new(gpu_title(g)).strong());
        ui.label(RichText::new(&*c.node).weak());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            health_badge_ui(ui, &c.health)
        });
    });
    ui.add(egui::Label::new(g.name.as_deref().unwrap_or("model name n/a")).truncate());
    let pct = g.mem_used_pct();
    let level = theme::level(pct, VRAM_WARN_PCT, VRAM_CRIT_PCT);
    #[allow(clippy::cast_possible_truncation)]
    let frac = pct.map_or(0.0, |p| (p / 100.0).clamp(0.0, 1.0) as f32);
    let text = format!(
        "VRAM {}",
        format::vram(g.mem_used_bytes, g.mem_total_bytes, pct)
    );
    let text_color = ui.visuals().strong_text_color();
    ui.add(
        ProgressBar::new(frac)
            .text(RichText::new(text).color(text_color))
            .fill(theme::bar_fill(ui.visuals(), level))
            .corner_radius(2)
            .desired_height(20.0),
    );
    ui.horizontal(|ui| {
        ui.label(format!("util {}", format::pct(g.util_pct, 0)))
            .on_hover_text("Compute utilisation");
        ui.separator();
        let (temp, level) = temp_text(g.temp_c);
        let color = match level {
            theme::Level::Ok | theme::Level::Unknown => ui.visuals().text_color(),
            l => theme::level_color(ui.visuals(), l),
        };
        ui.label(RichText::new(temp).color(color))
            .on_hover_text("GPU core temperature");
        ui.separator();
        ui.label(format::power(g.power_w, g.power_limit_w))
            .on_hover_text("Power draw / limit");
    });
    ui.add(egui::Label::new(format!("model {}", c.model.as_deref().unwrap_or("n/a"))).truncate());
    ui.add(
        egui::Label::new(RichText::new(format!("{} · {}", origin_label(c.origin), c.node)).weak())
            .truncate(),
    );
}

/// A compact card, painted: title and health, VRAM bar, "util · temperature · power".
fn compact_card_ui(ui: &mut egui::Ui, c: &GpuCard, now: SystemTime) {
    let rect = ui.max_rect();
    let visuals = ui.visuals().clone();
    let level = theme::health_level(&c.health);
    let frame = theme::card_frame_for(ui.style(), level);
    let painter = ui.painter();
    painter.rect(
        rect,
        frame.corner_radius,
        frame.fill,
        frame.stroke,
        egui::StrokeKind::Inside,
    );
    let inner = rect.shrink(f32::from(theme::CARD_MARGIN));
    let body = FontId::proportional(theme::COMPACT_BODY_SIZE);
    let small = FontId::proportional(theme::COMPACT_SMALL_SIZE);
    let g = &c.gpu;

    // Line 1: health (icon + word) at the right, the title truncated to what is left.
    let health_color = theme::level_color(&visuals, level);
    let word = painter.layout_no_wrap(c.health.label().to_owned(), small, health_color);
    let icon_size = 12.0;
    let line_h = 16.0;
    let word_rect = Align2::RIGHT_CENTER.anchor_size(
        egui::pos2(inner.right(), inner.top() + line_h / 2.0),
        word.size(),
    );
    let icon_rect = Rect::from_center_size(
        egui::pos2(
            word_rect.left() - 3.0 - icon_size / 2.0,
            word_rect.center().y,
        ),
        vec2(icon_size, icon_size),
    );
    painter.galley(word_rect.min, word, health_color);
    icons::paint(
        painter,
        icon_rect,
        Icon::of_health(&c.health),
        health_color,
        frame.fill,
    );
    let title_w = (icon_rect.left() - 4.0 - inner.left()).max(10.0);
    let mut job = LayoutJob::single_section(
        compact_title(c),
        TextFormat::simple(
            FontId::proportional(theme::COMPACT_TITLE_SIZE),
            visuals.strong_text_color(),
        ),
    );
    job.wrap = TextWrapping::truncate_at_width(title_w);
    let title = painter.layout_job(job);
    painter.galley(
        egui::pos2(inner.left(), inner.top() + (line_h - title.size().y) / 2.0),
        title,
        visuals.strong_text_color(),
    );

    // Line 2: the VRAM bar with its percentage.
    let pct = g.mem_used_pct();
    let bar = Rect::from_min_size(
        egui::pos2(inner.left(), inner.top() + line_h + 6.0),
        vec2(inner.width(), 17.0),
    );
    painter.rect_filled(bar, 0.0, visuals.extreme_bg_color);
    if let Some(p) = pct {
        #[allow(clippy::cast_possible_truncation)]
        let w = bar.width() * (p / 100.0).clamp(0.0, 1.0) as f32;
        let fill = theme::bar_fill(&visuals, theme::level(pct, VRAM_WARN_PCT, VRAM_CRIT_PCT));
        painter.rect_filled(
            Rect::from_min_size(bar.min, vec2(w, bar.height())),
            0.0,
            fill,
        );
    }
    painter.text(
        egui::pos2(bar.left() + 6.0, bar.center().y),
        Align2::LEFT_CENTER,
        format!("VRAM {}", format::pct(pct, 0)),
        body.clone(),
        visuals.strong_text_color(),
    );

    // Line 3: util · temperature (coloured, with a word when hot) · power.
    let text_color = visuals.text_color();
    let (temp, t_level) = temp_text(g.temp_c);
    let t_color = match t_level {
        theme::Level::Ok | theme::Level::Unknown => text_color,
        l => theme::level_color(&visuals, l),
    };
    let mut job = LayoutJob::default();
    job.append(
        &format!("util {} · ", format::pct(g.util_pct, 0)),
        0.0,
        TextFormat::simple(body.clone(), text_color),
    );
    job.append(&temp, 0.0, TextFormat::simple(body.clone(), t_color));
    job.append(
        &format!(" · {}", format::watts(g.power_w)),
        0.0,
        TextFormat::simple(body, text_color),
    );
    job.wrap = TextWrapping::truncate_at_width(inner.width());
    let stats = painter.layout_job(job);
    painter.galley(
        egui::pos2(inner.left(), bar.bottom() + 6.0),
        stats,
        text_color,
    );

    // One hover area: the details a small card has no room for; one accessible label.
    let resp = ui.interact(rect, ui.scope_id().with("details"), egui::Sense::hover());
    resp.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::accesskit::Role::Group,
            true,
            format!(
                "{}: {}, VRAM {}, util {}, {}, {}",
                compact_title(c),
                c.health.label(),
                format::pct(pct, 0),
                format::pct(g.util_pct, 0),
                temp_text(g.temp_c).0,
                format::watts(g.power_w)
            ),
        )
    });
    resp.on_hover_ui(|ui| details_ui(ui, c, now));
}

/// Everything about one GPU (the compact card's hover).
fn details_ui(ui: &mut egui::Ui, c: &GpuCard, now: SystemTime) {
    let g = &c.gpu;
    ui.label(RichText::new(format!("{} on {}", gpu_title(g), c.node)).strong());
    ui.label(g.name.as_deref().unwrap_or("model name n/a"));
    ui.label(format!(
        "VRAM {}",
        format::vram(g.mem_used_bytes, g.mem_total_bytes, g.mem_used_pct())
    ));
    ui.label(format!("util {}", format::pct(g.util_pct, 0)));
    ui.label(format!("temperature {}", temp_text(g.temp_c).0));
    ui.label(format!(
        "power {}",
        format::power(g.power_w, g.power_limit_w)
    ));
    ui.label(format!("model {}", c.model.as_deref().unwrap_or("n/a")));
    ui.label(format!("origin {}", origin_label(c.origin)));
    let since = match &c.health {
        Health::Up { since } | Health::Stale { since, .. } | Health::Down { since, .. } => {
            format!(" since {}", format::age(*since, now))
        }
        Health::Unknown | Health::NotFound { .. } => String::new(),
    };
    ui.label(format!("{}{since}", c.health.label()));
    if let Some(r) = c.health.reason() {
        ui.label(r);
    }
    if let Some(u) = &g.uuid {
        ui.label(RichText::new(u).weak().small());
    }
}
