//! GPU cards, local and remote alike: VRAM bar (used/total GiB and %), utilisation,
//! temperature, power against its limit, the model served, node, origin and health. Two
//! densities; the compact one keeps the key figures and shows the rest on hover.

use std::time::SystemTime;

use egui::{ProgressBar, RichText};

use super::icons::{self, Icon};
use super::{format, grid, theme};
use crate::model::gpu::GpuOrigin;
use crate::model::health::Health;
use crate::model::views::GpuCard;

/// VRAM % from which the bar turns to warning / critical.
const VRAM_WARN_PCT: f64 = 90.0;
const VRAM_CRIT_PCT: f64 = 97.0;
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
    }
}

/// Title of a card: "GPU 3" or the key when the index is unknown.
#[must_use]
pub fn gpu_title(c: &GpuCard) -> String {
    match (c.gpu.index, &c.gpu.mig) {
        (Some(i), Some(m)) => format!("GPU {i} · MIG {m}"),
        (Some(i), None) => format!("GPU {i}"),
        (None, _) => c.gpu.key(),
    }
}

/// Draw every card in a grid.
pub fn gpu_grid_ui(ui: &mut egui::Ui, cards: &[GpuCard], compact: bool, now: SystemTime) {
    let cell = if compact {
        theme::GPU_CARD_COMPACT
    } else {
        theme::GPU_CARD
    };
    grid::card_grid_ui(ui, "gpu_card", cards.len(), cell, |ui, i| {
        if let Some(c) = cards.get(i) {
            let frame = theme::card_frame_for(ui.style(), theme::health_level(&c.health));
            grid::card_ui(ui, frame, |ui| {
                if compact {
                    compact_card_ui(ui, c);
                    // One hover area over the whole small card: the details it has no room for.
                    ui.interact(
                        ui.max_rect(),
                        ui.scope_id().with("details"),
                        egui::Sense::hover(),
                    )
                    .on_hover_ui(|ui| details_ui(ui, c, now));
                } else {
                    full_card_ui(ui, c);
                }
            });
        }
    });
}

fn health_badge_ui(ui: &mut egui::Ui, h: &Health) {
    icons::state_ui(ui, theme::health_level(h), h.label(), false).on_hover_text(
        h.reason()
            .unwrap_or("the source reporting this GPU answers normally"),
    );
}

fn vram_bar_ui(ui: &mut egui::Ui, c: &GpuCard, compact: bool) {
    let g = &c.gpu;
    let pct = g.mem_used_pct();
    let level = theme::level(pct, VRAM_WARN_PCT, VRAM_CRIT_PCT);
    #[allow(clippy::cast_possible_truncation)]
    let frac = pct.map_or(0.0, |p| (p / 100.0).clamp(0.0, 1.0) as f32);
    let text = if compact {
        format!("VRAM {}", format::pct(pct, 0))
    } else {
        format!(
            "VRAM {}",
            format::vram(g.mem_used_bytes, g.mem_total_bytes, pct)
        )
    };
    let text_color = ui.visuals().strong_text_color();
    ui.add(
        ProgressBar::new(frac)
            .text(RichText::new(text).color(text_color))
            .fill(theme::bar_fill(ui.visuals(), level))
            .desired_height(if compact { 16.0 } else { 20.0 }),
    );
}

fn temp_ui(ui: &mut egui::Ui, temp_c: Option<f64>) {
    let level = theme::level(temp_c, TEMP_WARN_C, TEMP_CRIT_C);
    let word = match level {
        theme::Level::Warn => " hot",
        theme::Level::Crit => " too hot",
        theme::Level::Ok | theme::Level::Unknown => "",
    };
    let text = format!("{}{word}", crate::headless::fmt_opt(temp_c, " °C", 0));
    let color = match level {
        theme::Level::Ok | theme::Level::Unknown => ui.visuals().text_color(),
        l => theme::level_color(ui.visuals(), l),
    };
    ui.label(RichText::new(text).color(color))
        .on_hover_text("GPU core temperature");
}

fn full_card_ui(ui: &mut egui::Ui, c: &GpuCard) {
    let g = &c.gpu;
    ui.horizontal(|ui| {
        ui.label(RichText::new(gpu_title(c)).strong());
        ui.label(RichText::new(&c.node).weak());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            health_badge_ui(ui, &c.health)
        });
    });
    ui.add(egui::Label::new(g.name.as_deref().unwrap_or("model name n/a")).truncate());
    vram_bar_ui(ui, c, false);
    ui.horizontal(|ui| {
        ui.label(format!("util {}", format::pct(g.util_pct, 0)))
            .on_hover_text("Compute utilisation");
        ui.separator();
        temp_ui(ui, g.temp_c);
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

fn compact_card_ui(ui: &mut egui::Ui, c: &GpuCard) {
    let g = &c.gpu;
    ui.horizontal(|ui| {
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "{} #{}",
                    c.node,
                    g.index.map_or_else(|| "?".to_owned(), |i| i.to_string())
                ))
                .strong(),
            )
            .truncate(),
        );
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let color = theme::level_color(ui.visuals(), theme::health_level(&c.health));
            ui.label(RichText::new(c.health.label()).small().color(color));
            icons::icon_ui(ui, Icon::of_health(&c.health), color, 0.8);
        });
    });
    vram_bar_ui(ui, c, true);
    ui.horizontal(|ui| {
        ui.label(format!("util {}", format::pct(g.util_pct, 0)));
        temp_ui(ui, g.temp_c);
        ui.label(crate::headless::fmt_opt(g.power_w, " W", 0));
    });
}

/// Everything about one GPU (the compact card's hover).
fn details_ui(ui: &mut egui::Ui, c: &GpuCard, now: SystemTime) {
    let g = &c.gpu;
    ui.label(RichText::new(format!("{} on {}", gpu_title(c), c.node)).strong());
    ui.label(g.name.as_deref().unwrap_or("model name n/a"));
    ui.label(format!(
        "VRAM {}",
        format::vram(g.mem_used_bytes, g.mem_total_bytes, g.mem_used_pct())
    ));
    ui.label(format!("util {}", format::pct(g.util_pct, 0)));
    ui.label(format!(
        "temperature {}",
        crate::headless::fmt_opt(g.temp_c, " °C", 0)
    ));
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
        Health::Unknown => String::new(),
    };
    ui.label(format!("{}{since}", c.health.label()));
    if let Some(r) = c.health.reason() {
        ui.label(r);
    }
    if let Some(u) = &g.uuid {
        ui.label(RichText::new(u).weak().small());
    }
}
