//! Recent errors, newest first, one row per (source, kind) with ×count, first and last seen and
//! the source named; a click opens the full message (selectable, so it can be copied). An error
//! whose source has worked since reads "resolved …" and is muted.

use std::time::SystemTime;

use egui::RichText;

use super::{icons, theme};
use crate::format;
use crate::model::errors::{ErrorEntry, ErrorLog};

/// At most this many rows are drawn; the rest are counted.
pub const MAX_ROWS: usize = 50;

/// Draw the list.
pub fn errors_ui(ui: &mut egui::Ui, log: &ErrorLog, now: SystemTime) {
    if log.is_empty() {
        icons::state_ui(ui, theme::Level::Ok, "No errors", false);
        return;
    }
    let recent = log.recent();
    for e in recent.iter().take(MAX_ROWS) {
        error_row_ui(ui, e, now);
    }
    if recent.len() > MAX_ROWS {
        ui.label(RichText::new(format!("… and {} older", recent.len() - MAX_ROWS)).weak());
    }
}

/// The one-line summary of an entry.
#[must_use]
pub fn summary(e: &ErrorEntry, now: SystemTime) -> String {
    let first_line = e.last_message.lines().next().unwrap_or_default();
    let resolved = e
        .resolved_at
        .map(|t| format!("resolved {} · ", format::age(t, now)))
        .unwrap_or_default();
    format!(
        "{resolved}×{}  {}  {} · last {}, first {} — {}",
        e.count,
        e.kind,
        e.source,
        format::age(e.last_seen, now),
        format::age(e.first_seen, now),
        first_line
    )
}

fn error_row_ui(ui: &mut egui::Ui, e: &ErrorEntry, now: SystemTime) {
    let level = if e.is_current() {
        theme::Level::Crit
    } else {
        theme::Level::Unknown
    };
    let color = theme::level_color(ui.visuals(), level);
    let title = RichText::new(summary(e, now)).color(color);
    egui::CollapsingHeader::new(title)
        .id_salt(("error", &e.source, &e.kind))
        .default_open(false)
        .show(ui, |ui| {
            ui.add(
                egui::Label::new(RichText::new(&e.last_message).monospace())
                    .selectable(true)
                    .wrap(),
            );
            ui.label(
                RichText::new(format!(
                    "{} time(s) · first seen {} ({}) · last seen {} ({}) · source {}",
                    e.count,
                    format::timestamp(e.first_seen),
                    format::age(e.first_seen, now),
                    format::timestamp(e.last_seen),
                    format::age(e.last_seen, now),
                    e.source
                ))
                .weak(),
            );
        });
}
