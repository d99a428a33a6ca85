//! The event stream panel: the task model's recent events, newest event time first (arrival
//! order among equal times), filtered by project
//! (combo of the projects seen), task (text: part of a task or parent-task id) and event type
//! (combo of the types seen); routine events (worker heartbeats, stats snapshots) are hidden
//! unless asked for. A row is time (UTC), type (word in its colour), project, task, worker and
//! the message or error. Malformed frames and keepalives never reach the ring, so they are
//! never rows. At most [`MAX_ROWS`] rows, and only the visible ones are built.

use std::time::SystemTime;

use egui::RichText;
use serde::{Deserialize, Serialize};

use super::theme::{self, Tone};
use super::widgets;
use crate::format;
use crate::model::input::EventType;
use crate::model::tasks::{EventFilter, RecentEvent, TaskModel};

/// Rows listed at most (the ring holds more; the count says so).
pub const MAX_ROWS: usize = 500;

/// The event stream's filters: the user's choices, persisted with the rest of the view state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventStreamState {
    /// Only this project (`None`: every project).
    pub project: Option<String>,
    /// Only events whose task or parent-task id contains this text, ignoring case (empty: all).
    pub task: String,
    /// Only this event type, by wire name (`None`: every type).
    pub event_type: Option<String>,
    /// Also list routine events (worker heartbeats, stats snapshots, queue updates) when no
    /// type is chosen.
    pub show_routine: bool,
}

impl EventStreamState {
    /// The part of the filter the task model applies (project and type, exact).
    #[must_use]
    pub fn model_filter(&self) -> EventFilter {
        EventFilter {
            project_id: self.project.clone(),
            task_id: None,
            event_types: self
                .event_type
                .as_deref()
                .map(|t| vec![EventType::parse(t)])
                .unwrap_or_default(),
        }
    }

    /// True when `e` passes every filter.
    #[must_use]
    pub fn matches(&self, e: &RecentEvent) -> bool {
        self.model_filter().matches(e) && self.matches_rest(e, &self.task_needle())
    }

    /// The task text as matched: trimmed, lower case.
    fn task_needle(&self) -> String {
        self.task.trim().to_lowercase()
    }

    /// The filters the task model does not apply: task text and routine events.
    fn matches_rest(&self, e: &RecentEvent, needle: &str) -> bool {
        let task_ok = needle.is_empty()
            || [&e.task_id, &e.parent_task_id]
                .into_iter()
                .flatten()
                .any(|id| id.to_lowercase().contains(needle));
        let routine_ok = self.show_routine || self.event_type.is_some() || !is_routine(e);
        task_ok && routine_ok
    }

    /// True when any filter narrows the list.
    #[must_use]
    pub fn is_filtered(&self) -> bool {
        self.project.is_some() || !self.task.trim().is_empty() || self.event_type.is_some()
    }
}

/// Frequent events that say little on their own.
fn is_routine(e: &RecentEvent) -> bool {
    matches!(
        e.event_type,
        EventType::WorkerHeartbeat | EventType::StatsSnapshot | EventType::QueueDepthUpdate
    )
}

/// Draw the panel: filter bar, column titles, rows.
pub fn event_stream_ui(
    ui: &mut egui::Ui,
    tasks: &TaskModel,
    state: &mut EventStreamState,
    now: SystemTime,
) {
    filter_bar_ui(ui, tasks, state);
    let needle = state.task_needle();
    let mut matching: Vec<&RecentEvent> = tasks
        .recent_events(&state.model_filter(), usize::MAX)
        .into_iter()
        .filter(|e| state.matches_rest(e, &needle))
        .collect();
    // Newest event time first; a stable sort keeps arrival order (newest first) among equals,
    // so a late event lands where its time says and rows never shuffle.
    matching.sort_by_key(|e| std::cmp::Reverse(e.at));
    let held = tasks
        .recent_events(&EventFilter::default(), usize::MAX)
        .len();
    let shown = matching.len().min(MAX_ROWS);
    ui.label(
        RichText::new(format!(
            "{shown} shown of {} matching; {held} recent event(s) held",
            matching.len()
        ))
        .weak(),
    );
    if matching.is_empty() {
        let text = if held == 0 {
            "No event yet."
        } else {
            "No event matches the filters."
        };
        ui.label(RichText::new(text).weak());
        return;
    }
    let [w_time, w_type, w_project, w_task, w_worker] = theme::EVENT_COLUMNS;
    widgets::header_row_ui(
        ui,
        &[w_time, w_type, w_project, w_task, w_worker],
        &["Time (UTC)", "Type", "Project", "Task", "Worker", "Message"],
    );
    egui::ScrollArea::vertical()
        .id_salt("event_rows")
        .auto_shrink([false, true])
        .max_height(theme::EVENTS_HEIGHT)
        .show_rows(ui, theme::ROW_HEIGHT, shown, |ui, range| {
            for e in matching.get(range).unwrap_or_default() {
                event_row_ui(ui, e, now);
            }
        });
}

fn filter_bar_ui(ui: &mut egui::Ui, tasks: &TaskModel, state: &mut EventStreamState) {
    ui.horizontal_wrapped(|ui| {
        let all_projects = "all projects";
        egui::ComboBox::from_label("Project")
            .selected_text(state.project.as_deref().unwrap_or(all_projects))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.project, None, all_projects);
                let mut projects: Vec<&str> = tasks
                    .recent_events(&EventFilter::default(), usize::MAX)
                    .into_iter()
                    .filter_map(|e| e.project_id.as_deref())
                    .collect();
                projects.sort_by(|a, b| crate::model::text::natural_cmp(a, b));
                projects.dedup();
                for p in projects {
                    ui.selectable_value(&mut state.project, Some(p.to_owned()), p);
                }
            });
        ui.add_space(6.0);
        let label = ui.label("Task");
        ui.add(
            egui::TextEdit::singleline(&mut state.task)
                .hint_text("part of a task or parent id")
                .desired_width(170.0),
        )
        .labelled_by(label.id);
        ui.add_space(6.0);
        let all_types = "all types";
        egui::ComboBox::from_label("Type")
            .selected_text(state.event_type.as_deref().unwrap_or(all_types))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.event_type, None, all_types);
                // Every type seen since start, with its count, in name order.
                for (name, n) in tasks.event_totals() {
                    ui.selectable_value(
                        &mut state.event_type,
                        Some(name.clone()),
                        format!("{name} ({n})"),
                    );
                }
            });
        ui.checkbox(&mut state.show_routine, "routine events")
            .on_hover_text("Also list worker heartbeats, stats snapshots and queue updates");
        if state.is_filtered() && ui.button("Clear filters").clicked() {
            state.project = None;
            state.task.clear();
            state.event_type = None;
        }
    });
}

fn event_row_ui(ui: &mut egui::Ui, e: &RecentEvent, now: SystemTime) {
    let [w_time, w_type, w_project, w_task, w_worker] = theme::EVENT_COLUMNS;
    let dash = || RichText::new("—").weak();
    ui.horizontal(|ui| {
        ui.set_height(theme::ROW_HEIGHT);
        widgets::cell_ui(ui, w_time, RichText::new(format::clock(e.at)).monospace()).on_hover_ui(
            |ui| {
                ui.label(format::timestamp(e.at));
                ui.label(format::age(e.at, now));
                ui.label(format!("from {}", e.source));
                ui.label(format!("event {}", e.event_id));
            },
        );
        let tone = theme::event_type_tone(&e.event_type);
        let color = theme::tone_color(ui.visuals(), tone);
        widgets::cell_ui(
            ui,
            w_type,
            RichText::new(e.event_type.as_str()).color(color),
        );
        widgets::cell_ui(
            ui,
            w_project,
            e.project_id.as_deref().map_or_else(dash, RichText::new),
        );
        let task = e.task_id.as_deref().or(e.parent_task_id.as_deref());
        widgets::cell_ui(ui, w_task, task.map_or_else(dash, RichText::new)).on_hover_ui(|ui| {
            for (k, v) in [
                ("task", &e.task_id),
                ("parent task", &e.parent_task_id),
                ("phase", &e.phase),
                ("status", &e.status),
            ] {
                if let Some(v) = v {
                    ui.label(format!("{k}: {v}"));
                }
            }
        });
        widgets::cell_ui(
            ui,
            w_worker,
            e.worker_id.as_deref().map_or_else(dash, RichText::new),
        );
        message_ui(ui, e);
    });
}

/// The error (in the critical colour, after the word "error") or the message, with the
/// duration of a completed task and a mark when the publisher cut the event.
fn message_ui(ui: &mut egui::Ui, e: &RecentEvent) {
    let mut text = match (&e.error, &e.message) {
        (Some(err), _) => format!("error: {err}"),
        (None, Some(m)) => m.clone(),
        (None, None) => [&e.phase, &e.status]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" · "),
    };
    if let Some(ms) = e.duration_ms {
        if !text.is_empty() {
            text.push_str(" · ");
        }
        text.push_str(&format!("took {}", format::millis(Some(ms))));
    }
    if e.truncated {
        text.push_str(" (cut by the publisher)");
    }
    let rich = if e.error.is_some() {
        RichText::new(text).color(theme::tone_color(ui.visuals(), Tone::Crit))
    } else {
        RichText::new(text)
    };
    ui.add(egui::Label::new(rich).truncate());
}
