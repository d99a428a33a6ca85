//! Sizes and spacing: cards, plots, the panels' lists and table columns, text sizes. Numbers only; colours live beside this file.

use egui::Vec2;

/// Width of the cluster-health card.
pub const CLUSTER_CARD_WIDTH: f32 = 300.0;
/// Height of the summary row (cluster card and throughput plots).
pub const SUMMARY_HEIGHT: f32 = 236.0;
/// Height of one throughput plot.
pub const PLOT_HEIGHT: f32 = 170.0;
/// Size of a GPU card at comfortable density (outer, frame included).
pub const GPU_CARD: Vec2 = Vec2::new(262.0, 150.0);
/// Size of a GPU card at compact density (outer, frame included).
pub const GPU_CARD_COMPACT: Vec2 = Vec2::new(198.0, 86.0);
/// Size of an inference-server card (outer, frame included).
pub const SERVER_CARD: Vec2 = Vec2::new(330.0, 196.0);
/// Size of the "Active Sessions" and "Task Stats" cards (outer, frame included).
pub const AGENT_CARD: Vec2 = Vec2::new(470.0, 370.0);
/// Gap between cards.
pub const CARD_GAP: f32 = 8.0;
/// Inner margin of a card.
pub const CARD_MARGIN: i8 = 8;
/// Space before a section heading.
pub const SECTION_GAP: f32 = 10.0;

/// Text size of card titles ("Cluster health", "Throughput").
pub const CARD_TITLE_SIZE: f32 = 15.0;
/// Text size of the overall state in the header.
pub const OVERALL_SIZE: f32 = 17.0;
/// Text sizes on painted compact GPU cards: title, figures, health word.
pub const COMPACT_TITLE_SIZE: f32 = 13.5;
/// See [`COMPACT_TITLE_SIZE`].
pub const COMPACT_BODY_SIZE: f32 = 13.0;
/// See [`COMPACT_TITLE_SIZE`].
pub const COMPACT_SMALL_SIZE: f32 = 11.5;

/// Height of one row in the panels' tables (sessions, events, executions, logs, history).
pub const ROW_HEIGHT: f32 = 18.0;
/// Height of the event stream's list.
pub const EVENTS_HEIGHT: f32 = 320.0;
/// Height of the executions list above the selected execution's logs.
pub const EXECUTIONS_LIST_HEIGHT: f32 = 150.0;
/// Height of one execution's log pane.
pub const LOG_PANE_HEIGHT: f32 = 260.0;
/// Height of the alert history list.
pub const HISTORY_HEIGHT: f32 = 220.0;
/// Width of one toast.
pub const TOAST_WIDTH: f32 = 360.0;
/// Toasts' distance from the window's top-right corner (left, down), below the header bar.
pub const TOAST_OFFSET: Vec2 = Vec2::new(-12.0, 44.0);

/// Column widths of an event row: time, type, project, task, worker (the message takes the rest).
pub const EVENT_COLUMNS: [f32; 5] = [64.0, 124.0, 110.0, 170.0, 64.0];
/// Column widths of a log row: time, level, step, duration (the text takes the rest).
pub const LOG_COLUMNS: [f32; 4] = [104.0, 78.0, 150.0, 64.0];
/// Width of a stream's name in the task card's stream list.
pub const STREAM_NAME_WIDTH: f32 = 120.0;
/// Least width of a column of figures in a server card. Wide enough for the usual values, so
/// that a figure changing ("9.8s" → "10s") does not resize the grid: egui repaints at once when
/// a grid's columns change, which would double the frames of an idle window.
pub const FIGURE_COL_WIDTH: f32 = 68.0;
/// Least width of a column of figures in the agent panels (same reason).
pub const AGENT_FIGURE_COL_WIDTH: f32 = 96.0;
/// Column widths of a session row: session, model, age, idle, tokens in / out.
pub const SESSION_COLUMNS: [f32; 5] = [132.0, 104.0, 56.0, 56.0, 90.0];
