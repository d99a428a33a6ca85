//! Inference-server cards, one per model per server: running and waiting requests, KV cache,
//! TTFT and end-to-end latency (p50/p95), requests/s, error share and token rates; for a server
//! that loads models on demand (Ollama), the model's VRAM, size, context, parameters and when it
//! unloads; for llama.cpp read from `/slots`, its busy slots.

use std::time::{Duration, SystemTime};

use egui::RichText;

use super::icons::{self, Icon};
use super::{grid, theme};
use crate::format;
use crate::model::scrape::LoadedModel;
use crate::model::views::InferenceCard;

/// Error share (%) from which the figure reads as a warning / critical.
const ERROR_WARN_PCT: f64 = 5.0;
const ERROR_CRIT_PCT: f64 = 20.0;
/// KV-cache use (%) from which the figure reads as a warning / critical.
const KV_WARN_PCT: f64 = 90.0;
const KV_CRIT_PCT: f64 = 98.0;

/// Draw every server card in a grid.
/// Returns the card clicked (`clickable` where a detail view can open).
pub fn servers_grid_ui(
    ui: &mut egui::Ui,
    servers: &[InferenceCard],
    clickable: bool,
    now: SystemTime,
) -> Option<usize> {
    let copy = |i: usize| {
        servers
            .get(i)
            .map(InferenceCard::summary)
            .unwrap_or_default()
    };
    grid::card_grid_ui(
        ui,
        "server_card",
        servers.len(),
        theme::SERVER_CARD,
        clickable,
        &copy,
        |ui, i| {
            if let Some(card) = servers.get(i) {
                let frame = theme::card_frame_for(ui.style(), theme::health_level(&card.health));
                grid::card_ui(ui, frame, |ui| server_card_ui(ui, i, card, now));
            }
        },
    )
}

/// A figure's name (weak) and value; a warning or critical value gets its colour and an icon.
fn figure_ui(ui: &mut egui::Ui, name: &str, value: String, level: theme::Level) {
    ui.label(RichText::new(name).weak());
    let color = match level {
        theme::Level::Ok | theme::Level::Unknown => ui.visuals().strong_text_color(),
        l => theme::level_color(ui.visuals(), l),
    };
    ui.horizontal(|ui| {
        // A value that changes width must not resize the grid (see FIGURE_COL_WIDTH).
        ui.set_min_width(theme::FIGURE_COL_WIDTH);
        ui.spacing_mut().item_spacing.x = 3.0;
        ui.label(RichText::new(value).color(color));
        match level {
            theme::Level::Warn => {
                icons::icon_ui(ui, Icon::Warn, color, 0.9).on_hover_text("high");
            }
            theme::Level::Crit => {
                icons::icon_ui(ui, Icon::Crit, color, 0.9).on_hover_text("critical");
            }
            theme::Level::Ok | theme::Level::Unknown => {}
        }
    });
}

/// The figures of a model an on-demand server (Ollama) has loaded.
fn loaded_figures_ui(ui: &mut egui::Ui, l: &LoadedModel, now: SystemTime) {
    let ok = theme::Level::Ok;
    figure_ui(ui, "VRAM", format::size(l.vram_bytes), ok);
    figure_ui(ui, "Size", format::size(l.size_bytes), ok);
    ui.end_row();
    let params = match (&l.parameter_size, &l.quantization) {
        (Some(p), Some(q)) => format!("{p} {q}"),
        (Some(p), None) => p.clone(),
        (None, Some(q)) => q.clone(),
        (None, None) => format::NA.to_owned(),
    };
    figure_ui(ui, "Params", params, ok);
    #[allow(clippy::cast_precision_loss)]
    figure_ui(
        ui,
        "Context",
        format::count(l.context_length.map(|c| c as f64)),
        ok,
    );
    ui.end_row();
    let unloads = l
        .expires_at_ms
        .and_then(|ms| u64::try_from(ms).ok())
        .map_or_else(
            || format::NA.to_owned(),
            |ms| format::until(SystemTime::UNIX_EPOCH + Duration::from_millis(ms), now),
        );
    figure_ui(ui, "Unloads", unloads, ok);
    #[allow(clippy::cast_precision_loss)]
    figure_ui(
        ui,
        "Installed",
        format::count(l.installed_models.map(|n| n as f64)),
        ok,
    );
    ui.end_row();
}

fn server_card_ui(ui: &mut egui::Ui, i: usize, card: &InferenceCard, now: SystemTime) {
    let (h, s) = (&card.health, &card.stats);
    ui.horizontal(|ui| {
        ui.add(
            egui::Label::new(RichText::new(s.model.as_deref().unwrap_or("model n/a")).strong())
                .truncate(),
        );
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            icons::state_ui(ui, theme::health_level(h), h.label(), false)
                .on_hover_text(h.reason().unwrap_or("answering normally"));
        });
    });
    let kind = card.kind.map_or("unknown server", |k| k.as_str());
    let engines = if s.engines > 1 {
        format!(" · {} engines", s.engines)
    } else {
        String::new()
    };
    ui.add(
        egui::Label::new(RichText::new(format!("{kind} · {}{engines}", card.node)).weak())
            .truncate(),
    )
    .on_hover_text(&card.source.locator);
    let ok = theme::Level::Ok;
    let kv = theme::level(s.kv_cache_pct, KV_WARN_PCT, KV_CRIT_PCT);
    let err = theme::level(s.error_pct, ERROR_WARN_PCT, ERROR_CRIT_PCT);
    egui::Grid::new(("server_figures", i))
        .num_columns(4)
        .min_col_width(theme::FIGURE_COL_WIDTH)
        .spacing([8.0, 3.0])
        .show(ui, |ui| {
            if let Some(l) = &s.loaded {
                loaded_figures_ui(ui, l, now);
                return;
            }
            if let Some(slots) = s.slots {
                figure_ui(
                    ui,
                    "Slots busy",
                    format!("{} / {}", slots.busy, slots.total),
                    ok,
                );
                figure_ui(ui, "Metrics", "off".to_owned(), theme::Level::Warn);
                ui.end_row();
            }
            figure_ui(ui, "Running", format::count(s.running), ok);
            figure_ui(ui, "Waiting", format::count(s.waiting), ok);
            ui.end_row();
            figure_ui(ui, "KV cache", format::pct(s.kv_cache_pct, 1), kv);
            figure_ui(ui, "Errors", format::pct(s.error_pct, 1), err);
            ui.end_row();
            figure_ui(ui, "TTFT p50", format::seconds(s.ttft.p50_s), ok);
            figure_ui(ui, "p95", format::seconds(s.ttft.p95_s), ok);
            ui.end_row();
            figure_ui(ui, "E2E p50", format::seconds(s.e2e.p50_s), ok);
            figure_ui(ui, "p95", format::seconds(s.e2e.p95_s), ok);
            ui.end_row();
            figure_ui(ui, "Req/s", format::rate(s.requests_per_s, ""), ok);
            ui.end_row();
            figure_ui(ui, "Gen", format::tps(s.gen_tps), ok);
            figure_ui(ui, "Prompt", format::tps(s.prompt_tps), ok);
            ui.end_row();
        });
}
