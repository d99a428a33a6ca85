//! The execution monitor: every followed workflow execution in a list (status word + icon,
//! progress, duration, log lines, connection), and the selected one in detail: its figures, its
//! stream's connection state with a "Reconnect" button, and its log lines in a pane that
//! follows the newest line unless the user scrolled up (egui's `stick_to_bottom`: any manual
//! scroll unsticks it, scrolling back to the end sticks it again). Levels read as words in
//! their colour. Bounded by the task model (64 executions, 1000 lines each); only visible rows
//! are built. Returns [`PanelAction::ReconnectExecution`] instead of acting.

use std::time::SystemTime;

use egui::RichText;
use serde::{Deserialize, Serialize};

use super::actions::PanelAction;
use super::theme::{self, Tone};
use super::widgets;
use crate::format;
use crate::model::input::{ExecLog, ExecStatus, LogLevel};
use crate::model::tasks::{ExecutionView, TaskModel};

/// Least width of a changing value in the execution's figures.
const EXEC_VALUE_WIDTH: f32 = 300.0;
/// Width of the execution id in the list.
const ID_WIDTH: f32 = 270.0;

/// Which execution the panel shows in detail: the user's choice, persisted with the view state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExecutionsState {
    /// The execution whose logs are shown (`None`, or one no longer followed: the first listed).
    pub selected: Option<String>,
}

/// The word of an execution status.
#[must_use]
pub fn status_word(s: ExecStatus) -> &'static str {
    match s {
        ExecStatus::Pending => "pending",
        ExecStatus::Running => "running",
        ExecStatus::Completed => "completed",
        ExecStatus::Failed => "failed",
        ExecStatus::Cancelled => "cancelled",
    }
}

/// The word of a log level.
#[must_use]
pub fn level_word(l: LogLevel) -> &'static str {
    match l {
        LogLevel::Info => "info",
        LogLevel::Warning => "warning",
        LogLevel::Error => "error",
    }
}

/// Draw the panel; the user's request, if any.
pub fn executions_ui(
    ui: &mut egui::Ui,
    tasks: &TaskModel,
    state: &mut ExecutionsState,
    now: SystemTime,
) -> Option<PanelAction> {
    let views = tasks.executions.views(now);
    if views.is_empty() {
        ui.label(
            RichText::new(
                "No execution followed: name execution ids under the exec-logs source in the configuration.",
            )
            .weak(),
        );
        return None;
    }
    let selected = state
        .selected
        .as_deref()
        .and_then(|id| views.iter().position(|v| v.execution_id == id))
        .unwrap_or(0);
    egui::ScrollArea::vertical()
        .id_salt("executions_list")
        .auto_shrink([false, true])
        .max_height(theme::EXECUTIONS_LIST_HEIGHT)
        .show_rows(ui, theme::ROW_HEIGHT, views.len(), |ui, range| {
            for (i, v) in views.iter().enumerate().skip(range.start).take(range.len()) {
                if execution_row_ui(ui, v, i == selected) {
                    state.selected = Some(v.execution_id.clone());
                }
            }
        });
    ui.separator();
    let v = views.get(selected)?;
    execution_detail_ui(ui, tasks, v, now)
}

/// One execution in the list; true when clicked.
fn execution_row_ui(ui: &mut egui::Ui, v: &ExecutionView, selected: bool) -> bool {
    ui.horizontal(|ui| {
        ui.set_height(theme::ROW_HEIGHT);
        let clicked = ui
            .allocate_ui_with_layout(
                egui::vec2(ID_WIDTH, theme::ROW_HEIGHT),
                egui::Layout::left_to_right(egui::Align::Center),
                |ui| {
                    ui.set_max_width(ID_WIDTH);
                    ui.add(
                        egui::Button::selectable(
                            selected,
                            RichText::new(&v.execution_id).monospace(),
                        )
                        .truncate(),
                    )
                    .on_hover_text(format!("{}\nfrom {}", v.execution_id, v.source))
                    .clicked()
                },
            )
            .inner;
        status_badge_ui(ui, v);
        widgets::cell_ui(ui, 56.0, format::pct(v.progress_pct, 0));
        widgets::cell_ui(ui, 70.0, format::millis(v.duration_ms));
        widgets::cell_ui(ui, 90.0, format!("{} line(s)", v.lines));
        match &v.connection {
            Some(c) => widgets::badge_ui(ui, theme::connection_tone(c), c.label()),
            None => widgets::badge_ui(ui, Tone::Muted, "no stream yet"),
        };
        clicked
    })
    .inner
}

fn status_badge_ui(ui: &mut egui::Ui, v: &ExecutionView) -> egui::Response {
    let r = widgets::badge_ui(ui, theme::exec_status_tone(v.status), status_word(v.status));
    if v.status_reported {
        r
    } else {
        r.on_hover_text("not reported by the stream: derived from whether log lines arrived")
    }
}

fn execution_detail_ui(
    ui: &mut egui::Ui,
    tasks: &TaskModel,
    v: &ExecutionView,
    now: SystemTime,
) -> Option<PanelAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        ui.label(RichText::new("Execution").weak());
        ui.add(
            egui::Label::new(RichText::new(&v.execution_id).monospace().strong()).selectable(true),
        );
        status_badge_ui(ui, v);
        ui.add_space(12.0);
        if ui
            .button("Reconnect")
            .on_hover_text("Drop this execution's log stream and open it again")
            .clicked()
        {
            action = Some(PanelAction::ReconnectExecution(v.execution_id.clone()));
        }
    });
    egui::Grid::new(("execution_figures", &v.execution_id))
        .num_columns(4)
        .min_col_width(theme::AGENT_FIGURE_COL_WIDTH)
        .spacing([10.0, 3.0])
        .show(ui, |ui| {
            ui.label(RichText::new("Progress").weak());
            match v.progress_pct {
                #[allow(clippy::cast_possible_truncation)]
                Some(p) => ui.add(
                    egui::ProgressBar::new((p / 100.0).clamp(0.0, 1.0) as f32)
                        .text(format!("{p:.0}%"))
                        .desired_width(160.0),
                ),
                None => ui.label(RichText::new("n/a").strong()),
            };
            ui.label(RichText::new("Duration").weak());
            // Values that change width every second sit in cells wide enough for them, so the
            // grid keeps its size (a resized grid makes egui repaint at once).
            ui.horizontal(|ui| {
                ui.set_min_width(EXEC_VALUE_WIDTH);
                ui.label(RichText::new(format::millis(v.duration_ms)).strong());
            });
            ui.end_row();
            ui.label(RichText::new("Started").weak());
            ui.horizontal(|ui| {
                ui.set_min_width(EXEC_VALUE_WIDTH);
                ui.label(v.started_at.map_or_else(
                    || "n/a".to_owned(),
                    |t| format!("{} UTC ({})", format::clock(t), format::age(t, now)),
                ));
            });
            ui.label(RichText::new("Lines").weak());
            ui.horizontal(|ui| {
                ui.set_min_width(EXEC_VALUE_WIDTH);
                ui.label(format!(
                    "{} · {} error(s) · {} warning(s) · {} replayed",
                    v.lines, v.errors, v.warnings, v.duplicates_dropped
                ))
                .on_hover_text("replayed: lines sent again after a reconnect, dropped");
            });
            ui.end_row();
        });
    ui.horizontal(|ui| {
        ui.label(RichText::new("Stream").weak());
        widgets::connection_ui(ui, v.connection.as_ref(), "no stream yet", now);
    });
    logs_ui(ui, tasks, &v.execution_id);
    action
}

/// The log pane: follows the newest line unless the user scrolled up.
fn logs_ui(ui: &mut egui::Ui, tasks: &TaskModel, execution_id: &str) {
    let logs: Vec<&ExecLog> = tasks.executions.logs(execution_id).collect();
    if logs.is_empty() {
        ui.label(RichText::new("No log line yet.").weak());
        return;
    }
    widgets::header_row_ui(
        ui,
        &theme::LOG_COLUMNS,
        &["Time (UTC)", "Level", "Step", "Took", "Output or error"],
    );
    egui::ScrollArea::vertical()
        .id_salt(("exec_logs", execution_id))
        .stick_to_bottom(true)
        .auto_shrink([false, true])
        .max_height(theme::LOG_PANE_HEIGHT)
        .show_rows(ui, theme::ROW_HEIGHT, logs.len(), |ui, range| {
            for l in logs.get(range).unwrap_or_default() {
                log_row_ui(ui, l);
            }
        });
    ui.label(
        RichText::new("Scroll up to stop following; scroll to the end to follow again.")
            .weak()
            .small(),
    );
}

fn log_row_ui(ui: &mut egui::Ui, l: &ExecLog) {
    let [w_time, w_level, w_step, w_took] = theme::LOG_COLUMNS;
    ui.horizontal(|ui| {
        ui.set_height(theme::ROW_HEIGHT);
        let time = l
            .timestamp
            .map_or_else(|| "n/a".to_owned(), format::clock_ms);
        widgets::cell_ui(ui, w_time, RichText::new(time).monospace());
        ui.allocate_ui_with_layout(
            egui::vec2(w_level, theme::ROW_HEIGHT),
            egui::Layout::left_to_right(egui::Align::Center),
            |ui| {
                ui.set_min_width(w_level);
                widgets::badge_ui(ui, theme::log_level_tone(l.level), level_word(l.level));
            },
        );
        let step = match (&l.step_name, &l.step_type) {
            (Some(n), Some(t)) => format!("{n} ({t})"),
            (Some(n), None) => n.clone(),
            (None, Some(t)) => format!("({t})"),
            (None, None) => "—".to_owned(),
        };
        widgets::cell_ui(ui, w_step, step);
        widgets::cell_ui(ui, w_took, format::millis(l.duration_ms));
        let text = match &l.error_message {
            Some(e) => RichText::new(e).color(theme::tone_color(ui.visuals(), Tone::Crit)),
            None if !l.output_preview.is_empty() => RichText::new(&l.output_preview),
            None => RichText::new(&l.input_preview).weak(),
        };
        ui.add(egui::Label::new(text).truncate()).on_hover_ui(|ui| {
            ui.label(format!("line {}", l.id));
            if !l.input_preview.is_empty() {
                ui.label(format!("input: {}", l.input_preview));
            }
            if !l.output_preview.is_empty() {
                ui.label(format!("output: {}", l.output_preview));
            }
            if let Some(e) = &l.error_message {
                ui.label(format!("error: {e}"));
            }
        });
    });
}
