//! The agent cards of the wireframe: "Active Sessions" (active count, oldest session, idle
//! times, tokens in/out, queue depth, tool-proxy errors in the last hour, and a table of
//! sessions) and "Task Stats" (completed / failed / timed out over 1 h and 24 h, success rate,
//! mean and p95 completion time, queue depth by priority, workers online and stale by name,
//! every stream's connection state). Both draw one [`TasksSnapshot`] (taken once per frame at
//! `now`, which it carries as `as_of`); a figure no source reports reads "n/a", never 0.

use egui::RichText;

use super::theme::{self, Tone};
use super::widgets;
use crate::format;
use crate::model::ids::SourceKind;
use crate::model::tasks::{SessionView, StreamStatus, TaskStats, TasksSnapshot};

/// Stale workers named on the card; the rest are counted (all of them on hover).
const STALE_NAMED: usize = 6;

/// Picks one count out of a window's figures.
type CountOf = fn(&TaskStats) -> u64;

/// Both cards, side by side when the width allows, stacked otherwise.
pub fn agent_cards_ui(ui: &mut egui::Ui, snap: &TasksSnapshot) {
    if ui.available_width() >= 2.0 * theme::AGENT_CARD.x + theme::CARD_GAP {
        ui.horizontal_top(|ui| {
            sessions_card_ui(ui, snap);
            ui.add_space(theme::CARD_GAP);
            task_stats_card_ui(ui, snap);
        });
    } else {
        sessions_card_ui(ui, snap);
        ui.add_space(theme::CARD_GAP);
        task_stats_card_ui(ui, snap);
    }
}

/// A card of [`theme::AGENT_CARD`] size.
pub(super) fn fixed_card_ui(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui)) {
    let frame = theme::card_frame(ui.style());
    let inner = theme::AGENT_CARD - frame.total_margin().sum();
    frame.show(ui, |ui| {
        ui.set_min_size(inner);
        ui.set_max_size(inner);
        ui.vertical(add);
    });
}

/// A figure's name (weak) and its value (strong), the value in a cell at least `width` wide so
/// that a value changing width ("59s" → "1m 00s") does not resize the grid: egui repaints at
/// once when a grid's columns change, which would add frames to an idle window.
fn figure_ui(ui: &mut egui::Ui, name: &str, value: impl Into<String>) -> egui::Response {
    figure_wide_ui(ui, name, value, theme::AGENT_FIGURE_COL_WIDTH)
}

/// A strong value in a cell of the least figure width (see [`figure_ui`]).
fn value_cell_ui(ui: &mut egui::Ui, value: String) {
    ui.horizontal(|ui| {
        ui.set_min_width(theme::AGENT_FIGURE_COL_WIDTH);
        ui.label(RichText::new(value).strong());
    });
}

/// [`figure_ui`] for a value that needs a wider cell.
fn figure_wide_ui(
    ui: &mut egui::Ui,
    name: &str,
    value: impl Into<String>,
    width: f32,
) -> egui::Response {
    ui.label(RichText::new(name).weak());
    ui.horizontal(|ui| {
        ui.set_min_width(width);
        ui.label(RichText::new(value.into()).strong())
    })
    .inner
}

/// The "Active Sessions" card.
pub fn sessions_card_ui(ui: &mut egui::Ui, snap: &TasksSnapshot) {
    fixed_card_ui(ui, |ui| sessions_body_ui(ui, snap));
}

fn sessions_body_ui(ui: &mut egui::Ui, snap: &TasksSnapshot) {
    let s = &snap.sessions;
    widgets::card_title_ui(ui, "Active Sessions");
    // No session source has reported: every session figure is unknown, not zero.
    let known = s.as_of.is_some();
    let active: Vec<&SessionView> = s.sessions.iter().filter(|v| v.active).collect();
    let idle_min = active.iter().filter_map(|v| v.idle_ms).min();
    let idle_max = active.iter().filter_map(|v| v.idle_ms).max();
    let tokens_in = sum_known(s.sessions.iter().map(|v| v.info.input_tokens));
    let tokens_out = sum_known(s.sessions.iter().map(|v| v.info.output_tokens));
    let proxy_known = snap
        .streams
        .iter()
        .any(|st| st.source.kind == SourceKind::ToolProxyLog);
    egui::Grid::new("sessions_figures")
        .num_columns(4)
        .min_col_width(theme::AGENT_FIGURE_COL_WIDTH)
        .spacing([10.0, 3.0])
        .show(ui, |ui| {
            let active_text = if known {
                format!("{} of {}", s.active, s.total)
            } else {
                "n/a".to_owned()
            };
            figure_ui(ui, "Active", active_text).on_hover_text(format!(
                "sessions updated within the last {} min, of all sessions known",
                s.active_window_min
            ));
            figure_ui(ui, "Oldest", format::millis(s.oldest_active_age_ms))
                .on_hover_text("age of the oldest active session");
            ui.end_row();
            let idle = match (idle_min, idle_max) {
                (Some(a), Some(b)) => {
                    format!("{} / {}", format::millis(Some(a)), format::millis(Some(b)))
                }
                _ => "n/a".to_owned(),
            };
            figure_ui(ui, "Idle min/max", idle)
                .on_hover_text("shortest / longest idle time among active sessions");
            figure_wide_ui(
                ui,
                "Tokens",
                format!(
                    "{} in / {} out",
                    format::tokens(tokens_in),
                    format::tokens(tokens_out)
                ),
                theme::AGENT_FIGURE_COL_WIDTH + 34.0,
            )
            .on_hover_text("input / output tokens over the sessions that report them");
            ui.end_row();
            let queue = snap.queue.as_ref().map(|q| q.total);
            #[allow(clippy::cast_precision_loss)]
            figure_ui(ui, "Queue depth", format::count(queue.map(|q| q as f64)))
                .on_hover_text("tasks queued, all priorities, from the latest stats snapshot");
            let errors = proxy_known.then_some(f64::from(snap.tool_proxy.errors_last_hour));
            figure_ui(ui, "Errors (1h)", format::count(errors))
                .on_hover_text("ERROR and CRITICAL records in the tool proxy's log, last hour");
            ui.end_row();
        });
    ui.separator();
    if s.sessions.is_empty() {
        ui.label(
            RichText::new("No session seen yet: configure OpenClaw session stores or the gateway.")
                .weak(),
        );
        return;
    }
    let mut rows: Vec<&SessionView> = s.sessions.iter().collect();
    // Stable: active first, then agent and key in reading order (activity does not reorder).
    rows.sort_by(|a, b| {
        b.active
            .cmp(&a.active)
            .then_with(|| crate::model::text::natural_cmp(&a.info.agent_id, &b.info.agent_id))
            .then_with(|| crate::model::text::natural_cmp(&a.info.key, &b.info.key))
    });
    widgets::header_row_ui(
        ui,
        &theme::SESSION_COLUMNS,
        &["Session", "Model", "Age", "Idle", "Tokens in / out"],
    );
    egui::ScrollArea::vertical()
        .id_salt("sessions_rows")
        .auto_shrink(false)
        .show_rows(ui, theme::ROW_HEIGHT, rows.len(), |ui, range| {
            for v in rows.get(range).unwrap_or_default() {
                session_row_ui(ui, v);
            }
        });
}

fn session_row_ui(ui: &mut egui::Ui, v: &SessionView) {
    let [w_name, w_model, w_age, w_idle, w_tokens] = theme::SESSION_COLUMNS;
    let i = &v.info;
    ui.horizontal(|ui| {
        ui.set_height(theme::ROW_HEIGHT);
        ui.spacing_mut().item_spacing.x = 4.0;
        let (tone, word) = if v.active {
            (Tone::Ok, "active")
        } else {
            (Tone::Muted, "idle")
        };
        widgets::tone_icon_ui(ui, tone, 0.8).on_hover_text(word);
        let name = i.label.as_deref().unwrap_or(&i.key);
        let text = if v.active {
            RichText::new(name)
        } else {
            RichText::new(name).weak()
        };
        widgets::cell_ui(ui, w_name, text).on_hover_ui(|ui| {
            ui.label(RichText::new(&i.key).strong());
            ui.label(format!("{word} · agent {}", i.agent_id));
            for (k, val) in [
                ("session", &i.session_id),
                ("kind", &i.kind),
                ("status", &i.status),
                ("channel", &i.channel),
                ("spawned by", &i.spawned_by),
                ("provider", &i.model_provider),
            ] {
                if let Some(val) = val {
                    ui.label(format!("{k}: {val}"));
                }
            }
        });
        widgets::cell_ui(ui, w_model, i.model.as_deref().unwrap_or("n/a"));
        widgets::cell_ui(ui, w_age, format::millis(v.age_ms));
        widgets::cell_ui(ui, w_idle, format::millis(v.idle_ms));
        widgets::cell_ui(
            ui,
            w_tokens,
            format!(
                "{} / {}",
                format::tokens(i.input_tokens),
                format::tokens(i.output_tokens)
            ),
        );
    });
}

/// The "Task Stats" card.
pub fn task_stats_card_ui(ui: &mut egui::Ui, snap: &TasksSnapshot) {
    fixed_card_ui(ui, |ui| task_stats_body_ui(ui, snap));
}

fn task_stats_body_ui(ui: &mut egui::Ui, snap: &TasksSnapshot) {
    widgets::card_title_ui(ui, "Task Stats");
    // Without a task-event source, a count of 0 would be a guess: it reads n/a.
    let counted = snap.events_total > 0
        || snap
            .streams
            .iter()
            .any(|s| s.source.kind.delivers_task_events());
    let (h, d) = (&snap.last_hour, &snap.last_24h);
    let count = |n: u64| {
        if counted {
            n.to_string()
        } else {
            "n/a".to_owned()
        }
    };
    let secs = |ms: Option<f64>| format::seconds(ms.map(|m| m / 1000.0));
    egui::Grid::new("task_stats_figures")
        .num_columns(3)
        .min_col_width(theme::AGENT_FIGURE_COL_WIDTH)
        .spacing([18.0, 2.0])
        .show(ui, |ui| {
            ui.label("");
            ui.label(RichText::new("last 1 h").weak());
            ui.label(RichText::new("last 24 h").weak());
            ui.end_row();
            let rows: [(&str, CountOf); 4] = [
                ("Completed", |s| s.completed),
                ("Failed", |s| s.failed),
                ("Timed out", |s| s.timed_out),
                ("Retried", |s| s.retried),
            ];
            for (name, f) in rows {
                ui.label(RichText::new(name).weak());
                value_cell_ui(ui, count(f(h)));
                value_cell_ui(ui, count(f(d)));
                ui.end_row();
            }
            ui.label(RichText::new("Success").weak())
                .on_hover_text("completed / (completed + failed)");
            value_cell_ui(ui, format::fraction_pct(h.success_rate));
            value_cell_ui(ui, format::fraction_pct(d.success_rate));
            ui.end_row();
            ui.label(RichText::new("Avg time").weak());
            value_cell_ui(ui, secs(h.completion.avg_ms));
            value_cell_ui(ui, secs(d.completion.avg_ms));
            ui.end_row();
            ui.label(RichText::new("p95 time").weak());
            value_cell_ui(ui, secs(h.completion.p95_ms));
            value_cell_ui(ui, secs(d.completion.p95_ms));
            ui.end_row();
        });
    queue_ui(ui, snap);
    workers_ui(ui, snap);
    ui.separator();
    streams_ui(ui, snap);
}

fn queue_ui(ui: &mut egui::Ui, snap: &TasksSnapshot) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Queue").weak());
        let Some(q) = &snap.queue else {
            ui.label(RichText::new("n/a").strong());
            return;
        };
        let parts: Vec<String> = q
            .by_priority
            .iter()
            .map(|(k, v)| format!("{} {v}", k.strip_suffix("_priority").unwrap_or(k)))
            .collect();
        ui.label(RichText::new(q.total.to_string()).strong());
        ui.label(format!("({})", parts.join(" · ")))
            .on_hover_text(format!("as of {}", format::age(q.at, snap.as_of)));
    });
}

fn workers_ui(ui: &mut egui::Ui, snap: &TasksSnapshot) {
    let w = &snap.workers;
    ui.horizontal(|ui| {
        ui.label(RichText::new("Workers").weak());
        if w.online.is_empty()
            && w.stale.is_empty()
            && w.stopped.is_empty()
            && w.reported_online.is_none()
        {
            ui.label(RichText::new("n/a").strong());
            return;
        }
        let online_tone = if w.online.is_empty() {
            Tone::Muted
        } else {
            Tone::Ok
        };
        widgets::badge_ui(
            ui,
            online_tone,
            &format::workers_online(w.online.len(), w.stopped_counting_at),
        );
        let stale_tone = if w.stale.is_empty() {
            Tone::Muted
        } else {
            Tone::Warn
        };
        widgets::badge_ui(ui, stale_tone, &format!("{} stale", w.stale.len()));
        ui.label(RichText::new(format!("{} stopped", w.stopped.len())).weak());
        if let Some(n) = w.reported_online {
            ui.label(RichText::new(format!("(server reports {n} online)")).weak());
        }
    });
    if w.stale.is_empty() {
        return;
    }
    let mut stale: Vec<_> = w.stale.iter().collect();
    stale.sort_by(|a, b| crate::model::text::natural_cmp(&a.worker_id, &b.worker_id));
    let color = theme::tone_color(ui.visuals(), Tone::Warn);
    let line = ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Stale:").color(color));
        for v in stale.iter().take(STALE_NAMED) {
            ui.label(
                RichText::new(format!(
                    "{} (silent {})",
                    v.worker_id,
                    format::millis(Some(v.silent_for_ms))
                ))
                .color(color),
            );
        }
        if stale.len() > STALE_NAMED {
            ui.label(RichText::new(format!("+{} more", stale.len() - STALE_NAMED)).weak());
        }
    });
    if stale.len() > STALE_NAMED {
        line.response.on_hover_ui(|ui| {
            for v in &stale {
                ui.label(format!(
                    "{} (silent {})",
                    v.worker_id,
                    format::millis(Some(v.silent_for_ms))
                ));
            }
        });
    }
}

fn streams_ui(ui: &mut egui::Ui, snap: &TasksSnapshot) {
    let streams: Vec<&StreamStatus> = snap
        .streams
        .iter()
        // Execution-log streams are shown by the executions panel, not here.
        .filter(|s| s.source.kind != SourceKind::ExecLogs)
        .collect();
    ui.label(RichText::new(format!("Streams ({})", streams.len())).weak());
    if streams.is_empty() {
        ui.label(RichText::new("No agent source configured.").weak());
        return;
    }
    egui::ScrollArea::vertical()
        .id_salt("task_streams")
        .auto_shrink(false)
        .show_rows(ui, theme::ROW_HEIGHT, streams.len(), |ui, range| {
            for s in streams.get(range).unwrap_or_default() {
                stream_row_ui(ui, s, snap.as_of);
            }
        });
}

fn stream_row_ui(ui: &mut egui::Ui, s: &StreamStatus, now: std::time::SystemTime) {
    ui.horizontal(|ui| {
        ui.set_height(theme::ROW_HEIGHT);
        widgets::cell_ui(
            ui,
            theme::STREAM_NAME_WIDTH,
            RichText::new(s.source.kind.as_str()).strong(),
        )
        .on_hover_ui(|ui| {
            ui.label(s.source.to_string());
            ui.label(format!(
                "{} event(s), {} duplicate(s), {} malformed",
                s.events, s.duplicates, s.malformed
            ));
            if let Some(t) = s.last_update_at {
                ui.label(format!("last update {}", format::age(t, now)));
            }
            if let Some(e) = &s.last_error {
                ui.label(format!("last error: {e}"));
            }
        });
        match &s.state {
            Some(c) => widgets::connection_ui(ui, Some(c), "", now),
            None => {
                widgets::connection_ui(ui, None, "polled", now);
                let when = s
                    .last_update_at
                    .map_or_else(|| "never".to_owned(), |t| format::age(t, now));
                let text = match &s.last_error {
                    Some(e) => format!("— updated {when}; last error: {e}"),
                    None => format!("— updated {when}"),
                };
                ui.add(egui::Label::new(RichText::new(text).weak()).truncate());
            }
        }
    });
}

/// The sum of the values that are known; `None` when none is (so "n/a", never a made-up 0).
fn sum_known(values: impl IntoIterator<Item = Option<u64>>) -> Option<u64> {
    values
        .into_iter()
        .flatten()
        .fold(None, |acc, v| Some(acc.unwrap_or(0_u64).saturating_add(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_only_what_is_known() {
        assert_eq!(sum_known([None, None]), None);
        assert_eq!(sum_known([None, Some(3), Some(4)]), Some(7));
        assert_eq!(sum_known([Some(u64::MAX), Some(1)]), Some(u64::MAX));
    }
}
