//! The swarm's work, beside Task Stats: "Queue" (queued and running by task type from the task
//! events, depth by priority from the latest stats snapshot), "Phases" (the workflow phases in
//! progress with their tasks, progress and time, and the last ones finished) and "Workers" (each
//! worker busy on which task, idle, stale or stopped, and how long since it was heard from).
//! Each draws one [`TasksSnapshot`]; what no source reports reads "n/a" or says so.

use egui::RichText;

use super::theme::{self, Tone};
use super::{agents, widgets};
use crate::format;
use crate::model::tasks::{PhaseView, TasksSnapshot, WorkerStatus, WorkerView};

/// Column widths of a queue row: type, queued, running.
const TYPE_COLUMNS: [f32; 3] = [200.0, 90.0, 90.0];
/// Column widths of a worker row: worker, state, task, heard from.
const WORKER_COLUMNS: [f32; 4] = [120.0, 70.0, 150.0, 80.0];

/// The three cards, wrapped to the width.
pub fn work_cards_ui(ui: &mut egui::Ui, snap: &TasksSnapshot) {
    ui.horizontal_wrapped(|ui| {
        agents::fixed_card_ui(ui, |ui| queue_body_ui(ui, snap));
        agents::fixed_card_ui(ui, |ui| phases_body_ui(ui, snap));
        agents::fixed_card_ui(ui, |ui| workers_body_ui(ui, snap));
    });
}

#[allow(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
fn queue_body_ui(ui: &mut egui::Ui, snap: &TasksSnapshot) {
    widgets::card_title_ui(ui, "Queue");
    let b = &snap.board;
    let counted = snap.events_total > 0;
    let count = |n: u64| {
        if counted {
            format::count(Some(n as f64))
        } else {
            "n/a".to_owned()
        }
    };
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!(
                "In flight: {} queued · {} running",
                count(b.queued),
                count(b.running)
            ))
            .strong(),
        );
        if b.truncated {
            ui.label(RichText::new("(at least)").weak())
                .on_hover_text("more tasks than are tracked: the oldest were forgotten");
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("By priority").weak());
        match &snap.queue {
            Some(q) => {
                for (name, n) in &q.by_priority {
                    let name = name.trim_end_matches("_priority");
                    ui.label(format!("{name} {n}"));
                }
                ui.label(RichText::new(format!("(stats of {})", format::clock(q.at))).weak());
            }
            None => {
                ui.label("n/a")
                    .on_hover_text("no stats_snapshot with a queue has arrived");
            }
        }
    });
    ui.separator();
    if b.by_type.is_empty() {
        ui.label(RichText::new("Nothing queued or running.").weak());
        return;
    }
    widgets::header_row_ui(ui, &TYPE_COLUMNS, &["Task type", "Queued", "Running"]);
    egui::ScrollArea::vertical()
        .id_salt("queue_types")
        .auto_shrink(false)
        .show_rows(ui, theme::ROW_HEIGHT, b.by_type.len(), |ui, range| {
            for c in b.by_type.get(range).unwrap_or_default() {
                ui.horizontal(|ui| {
                    ui.set_height(theme::ROW_HEIGHT);
                    widgets::cell_ui(ui, TYPE_COLUMNS[0], c.task_type.as_str());
                    widgets::cell_ui(ui, TYPE_COLUMNS[1], c.queued.to_string());
                    widgets::cell_ui(ui, TYPE_COLUMNS[2], c.running.to_string());
                });
            }
        });
}

fn phases_body_ui(ui: &mut egui::Ui, snap: &TasksSnapshot) {
    widgets::card_title_ui(ui, "Phases");
    let b = &snap.board;
    if b.phases.is_empty() && b.finished.is_empty() {
        ui.label(RichText::new("No phase_started or phase_completed event yet.").weak());
        return;
    }
    egui::ScrollArea::vertical()
        .id_salt("phases")
        .auto_shrink(false)
        .show(ui, |ui| {
            ui.label(RichText::new(format!("In progress ({})", b.phases.len())).weak());
            for p in &b.phases {
                phase_row_ui(ui, p, true);
            }
            if !b.finished.is_empty() {
                ui.add_space(4.0);
                ui.label(RichText::new("Finished").weak());
                for p in &b.finished {
                    phase_row_ui(ui, p, false);
                }
            }
        });
}

/// "research-1 · search" with a progress bar and "3 / 8 tasks · 1 failed · 2m 10s".
fn phase_row_ui(ui: &mut egui::Ui, p: &PhaseView, open: bool) {
    let tone = if open { Tone::Active } else { Tone::Ok };
    ui.horizontal(|ui| {
        widgets::badge_ui(ui, tone, if open { "running" } else { "done" });
        ui.label(RichText::new(format!("{} · {}", p.parent_task_id, p.phase)).strong())
            .on_hover_text(
                p.project
                    .as_deref()
                    .map_or_else(|| "no project_id".to_owned(), |pr| format!("project {pr}")),
            );
    });
    let ended = p.completed + p.failed;
    let mut words = format!("{ended} / {} tasks", p.tasks);
    if p.failed > 0 {
        words.push_str(&format!(" · {} failed", p.failed));
    }
    words.push_str(&format!(
        " · {}",
        format::duration(std::time::Duration::from_millis(p.duration_ms))
    ));
    #[allow(clippy::cast_possible_truncation, reason = "a fraction in 0..=1")]
    let fraction = p.progress.unwrap_or(0.0) as f32;
    ui.add(
        egui::ProgressBar::new(fraction)
            .desired_width(ui.available_width().min(420.0))
            .text(words),
    );
}

fn workers_body_ui(ui: &mut egui::Ui, snap: &TasksSnapshot) {
    let w = &snap.workers;
    widgets::card_title_ui(ui, "Workers");
    let mut rows: Vec<&WorkerView> = w.online.iter().chain(&w.stale).chain(&w.stopped).collect();
    if rows.is_empty() {
        ui.label(
            RichText::new("No worker heard from yet (events naming a worker, heartbeats).").weak(),
        );
        return;
    }
    rows.sort_by(|a, b| crate::model::text::natural_cmp(&a.worker_id, &b.worker_id));
    let busy = w.online.iter().filter(|v| v.current_task.is_some()).count();
    ui.label(format!(
        "{} online ({busy} busy, {} idle) · {} stale · {} stopped",
        w.online.len(),
        w.online.len() - busy,
        w.stale.len(),
        w.stopped.len()
    ));
    widgets::header_row_ui(ui, &WORKER_COLUMNS, &["Worker", "State", "Task", "Heard"]);
    egui::ScrollArea::vertical()
        .id_salt("workers_rows")
        .auto_shrink(false)
        .show_rows(ui, theme::ROW_HEIGHT, rows.len(), |ui, range| {
            for v in rows.get(range).unwrap_or_default() {
                worker_row_ui(ui, v);
            }
        });
}

/// A worker's state in a word: busy, idle, stale or stopped.
#[must_use]
pub fn worker_state(v: &WorkerView) -> (Tone, &'static str) {
    match (v.status, &v.current_task) {
        (WorkerStatus::Online, Some(_)) => (Tone::Active, "busy"),
        (WorkerStatus::Online, None) => (Tone::Ok, "idle"),
        (WorkerStatus::Stale, _) => (Tone::Warn, "stale"),
        (WorkerStatus::Stopped, _) => (Tone::Muted, "stopped"),
    }
}

fn worker_row_ui(ui: &mut egui::Ui, v: &WorkerView) {
    let (tone, word) = worker_state(v);
    ui.horizontal(|ui| {
        ui.set_height(theme::ROW_HEIGHT);
        ui.spacing_mut().item_spacing.x = 4.0;
        widgets::cell_ui(ui, WORKER_COLUMNS[0], v.worker_id.as_str()).on_hover_text(format!(
            "{} completed, {} failed (seen here)",
            v.tasks_completed, v.tasks_failed
        ));
        ui.horizontal(|ui| {
            ui.set_width(WORKER_COLUMNS[1]);
            widgets::badge_ui(ui, tone, word);
        });
        let task = match (v.status, &v.current_task) {
            (WorkerStatus::Online, Some(t)) => t.as_str(),
            _ => "",
        };
        widgets::cell_ui(ui, WORKER_COLUMNS[2], task);
        widgets::cell_ui(
            ui,
            WORKER_COLUMNS[3],
            format::ago(std::time::Duration::from_millis(v.silent_for_ms)),
        );
    });
}
