//! History in the window: the range bar (5 m … 30 d, a custom range, reset), plots drawn from
//! recorded points with zoom and pan by drag and scroll, the rewind bar (a time slider, a
//! date/time entry, "Live") with its banner, and the detail view of one GPU, server or node.
//! It draws what the app queried ([`HistoryFrame`]); it never reads the store itself.

use std::time::SystemTime;

use egui::{Color32, RichText};
use egui_plot::{GridMark, HoverPosition, Legend, Line, Plot, PlotPoints, Points as PlotDots};
use serde::{Deserialize, Serialize};

use super::theme;
use crate::alerts::AlertEvent;
use crate::format;
use crate::history::detail::{DetailPlot, Target};
use crate::history::query::Points;
use crate::history::{from_unix_ms, unix_ms};
use crate::model::errors::ErrorEntry;

/// The preset ranges: label and length.
pub const PRESETS: [(&str, u64); 7] = [
    ("5m", 300),
    ("15m", 900),
    ("1h", 3600),
    ("6h", 6 * 3600),
    ("24h", 86_400),
    ("7d", 7 * 86_400),
    ("30d", 30 * 86_400),
];

/// What the plots span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeRange {
    /// The last this many seconds, up to now (or the rewind moment).
    Last(u64),
    /// A fixed range, unix ms.
    Custom {
        /// Start.
        from_ms: i64,
        /// End.
        to_ms: i64,
    },
}

impl Default for TimeRange {
    fn default() -> Self {
        Self::Last(900)
    }
}

impl TimeRange {
    /// `(from, to)` in unix ms, a preset ending at `end_ms`.
    #[must_use]
    pub fn bounds(self, end_ms: i64) -> (i64, i64) {
        match self {
            Self::Last(s) => (
                end_ms - i64::try_from(s).unwrap_or(0).saturating_mul(1000),
                end_ms,
            ),
            Self::Custom { from_ms, to_ms } => (from_ms, to_ms.max(from_ms + 1000)),
        }
    }
}

/// The window's history choices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HistoryUiState {
    /// What the plots span.
    pub range: TimeRange,
    /// The moment the dashboard shows (unix ms); `None` is live.
    #[serde(skip)]
    pub rewind: Option<i64>,
    /// The open detail view.
    #[serde(skip)]
    pub detail: Option<Target>,
    /// The date/time being typed into the rewind entry.
    #[serde(skip)]
    pub rewind_text: String,
    /// A problem with what was typed.
    #[serde(skip)]
    pub rewind_error: Option<String>,
    /// A custom range being typed: from, to (empty: the end of the current range).
    #[serde(skip)]
    pub custom_text: (String, String),
    /// A problem with the custom range typed.
    #[serde(skip)]
    pub custom_error: Option<String>,
}

impl HistoryUiState {
    /// Apply the custom range typed (`to` empty: `end_ms`).
    pub fn apply_custom(&mut self, end_ms: i64) {
        let from = parse_moment(&self.custom_text.0);
        let to = if self.custom_text.1.trim().is_empty() {
            Ok(end_ms)
        } else {
            parse_moment(&self.custom_text.1)
        };
        match (from, to) {
            (Ok(from_ms), Ok(to_ms)) if from_ms < to_ms => {
                self.range = TimeRange::Custom { from_ms, to_ms };
                self.custom_error = None;
            }
            (Ok(_), Ok(_)) => self.custom_error = Some("the range must end after it starts".into()),
            (Err(e), _) | (_, Err(e)) => self.custom_error = Some(e),
        }
    }
}

/// What the app queried from history for this frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryFrame {
    /// The range drawn, unix ms.
    pub from_ms: i64,
    /// End of the range.
    pub to_ms: i64,
    /// The oldest moment history holds.
    pub oldest_ms: Option<i64>,
    /// Cluster generation and prompt tokens/s over the range.
    pub throughput: [Points; 2],
    /// The open detail view's plots.
    pub detail: Vec<DetailPlot>,
    /// Why history is not recording, if it is not.
    pub problem: Option<String>,
}

/// Time-axis marks between `min_x` and `max_x` (seconds relative to unix second `base_s`): 4–8
/// marks at a round step, on whole multiples of it in absolute time.
#[must_use]
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
pub fn time_marks(min_x: f64, max_x: f64, base_s: i64) -> Vec<GridMark> {
    const STEPS: [f64; 13] = [
        30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 10_800.0, 21_600.0, 43_200.0,
        86_400.0, 604_800.0,
    ];
    let span = (max_x - min_x).max(1.0);
    let step = STEPS
        .into_iter()
        .find(|s| span / s <= 8.0)
        .unwrap_or(2_592_000.0);
    // Marks on whole multiples of the step in absolute time.
    let base = base_s as f64;
    let first = ((min_x + base) / step).ceil() * step - base;
    (0..)
        .map(|k| first + f64::from(k) * step)
        .take_while(|x| *x <= max_x)
        .take(64)
        .map(|value| GridMark {
            value,
            step_size: step,
        })
        .collect()
}

/// A time-axis label: the UTC clock with seconds for spans up to 10 minutes ("14:05:30"), without
/// up to two days ("14:05"), else the date ("12-01 14:00").
#[must_use]
pub fn time_label(t: SystemTime, span_s: f64) -> String {
    let stamp = format::timestamp(t); // 2026-12-01T14:05:00Z
    if stamp.len() < 19 {
        return stamp;
    }
    if span_s <= 600.0 {
        stamp[11..19].to_owned()
    } else if span_s <= 2.0 * 86_400.0 {
        stamp[11..16].to_owned()
    } else {
        format!("{} {}", &stamp[5..10], &stamp[11..16])
    }
}

/// Draw `lines` over `[from_ms, to_ms)`: gaps are breaks, the x axis is UTC time, drag pans
/// and scroll zooms the time axis. Returns the new range when the user zoomed or panned.
#[allow(clippy::cast_precision_loss, clippy::too_many_arguments)]
pub fn history_plot_ui(
    ui: &mut egui::Ui,
    id: &str,
    lines: &[(String, Points)],
    colors: &[Color32],
    unit: &'static str,
    (from_ms, to_ms): (i64, i64),
    width: f32,
    height: f32,
    interactive: bool,
) -> Option<TimeRange> {
    let base_s = to_ms / 1000;
    let span_s = (to_ms - from_ms) as f64 / 1000.0;
    let x = |t: i64| (t as f64 / 1000.0) - base_s as f64;
    let (min_x, max_x) = (x(from_ms), x(to_ms));
    // Room right of the end, so its label is not clipped.
    let margin = (max_x - min_x) * 0.025;
    let empty = lines
        .iter()
        .all(|(_, p)| p.iter().all(|(_, v)| v.is_none()));
    // One id per plot, whatever the range: egui keeps each id's memory, so an id per range
    // (a new one every second while live) would pile up for as long as the window runs.
    let mut plot = Plot::new(id);
    if lines.len() > 1 {
        plot = plot.legend(Legend::default());
    }
    let resp = plot
        .width(width)
        .height(height)
        .allow_zoom([interactive, false])
        .allow_drag([interactive, false])
        .allow_scroll([interactive, false])
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .default_x_bounds(min_x, max_x + margin)
        .auto_bounds([false, true])
        .include_y(0.0)
        .y_axis_min_width(40.0)
        .x_grid_spacer(move |g| time_marks(g.bounds.0, g.bounds.1, base_s))
        .x_axis_formatter(move |m, _| {
            let t = from_unix_ms((base_s as f64 + m.value).round() as i64 * 1000);
            time_label(t, span_s)
        })
        .y_axis_formatter(move |m, _| format::compact(m.value))
        .label_formatter(move |pos| match pos {
            HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => {
                let t = from_unix_ms(((base_s as f64 + position.x) * 1000.0).round() as i64);
                Some(format!(
                    "{plot_name}\n{} {unit}\n{}",
                    format::compact(position.y),
                    format::timestamp(t)
                ))
            }
            HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |p| {
            // The range is ours: set every frame; a drag or scroll this frame moves it after,
            // and that is read back below as the new range.
            p.set_plot_bounds_x(min_x..=max_x + margin);
            for (i, (name, points)) in lines.iter().enumerate() {
                let color = colors[i % colors.len().max(1)];
                for (k, seg) in segments(points, x).into_iter().enumerate() {
                    if seg.len() == 1 {
                        p.points(
                            PlotDots::new(name.clone(), PlotPoints::from(seg))
                                .id((id, i, "dot", k))
                                .color(color)
                                .radius(2.0),
                        );
                    } else {
                        p.line(
                            Line::new(name.clone(), PlotPoints::from(seg))
                                .id((id, i, k))
                                .color(color)
                                .width(1.5),
                        );
                    }
                }
            }
        });
    if empty {
        ui.label(RichText::new("no data recorded in this range").weak());
    }
    let b = resp.transform.bounds();
    let (nmin, nmax) = (b.min()[0], b.max()[0]);
    let moved = ((nmin - min_x).abs() + (nmax - max_x - margin).abs()) > span_s * 0.005;
    (interactive && moved && nmax > nmin).then(|| {
        let ms = |v: f64| ((base_s as f64 + v) * 1000.0).round() as i64;
        TimeRange::Custom {
            from_ms: ms(nmin),
            to_ms: ms(nmax - margin),
        }
    })
}

/// Points as line segments of `[x, y]`, split at gaps.
fn segments(points: &Points, x: impl Fn(i64) -> f64) -> Vec<Vec<[f64; 2]>> {
    let mut out = Vec::new();
    let mut seg = Vec::new();
    for &(t, v) in points {
        match v {
            Some(v) => seg.push([x(t), v]),
            None if !seg.is_empty() => out.push(std::mem::take(&mut seg)),
            None => {}
        }
    }
    if !seg.is_empty() {
        out.push(seg);
    }
    out
}

/// The range bar: presets, a reset after zoom or pan, and what is shown.
pub fn range_bar_ui(ui: &mut egui::Ui, state: &mut HistoryUiState, frame: &HistoryFrame) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Range").weak());
        for (label, secs) in PRESETS {
            let on = state.range == TimeRange::Last(secs);
            if ui.selectable_label(on, label).clicked() {
                state.range = TimeRange::Last(secs);
            }
        }
        if let TimeRange::Custom { from_ms, to_ms } = state.range {
            ui.label(
                RichText::new(format!(
                    "{} – {}",
                    format::timestamp(from_unix_ms(from_ms)),
                    format::timestamp(from_unix_ms(to_ms))
                ))
                .strong(),
            );
            if ui
                .button("Reset")
                .on_hover_text("back to the last 15 minutes")
                .clicked()
            {
                state.range = TimeRange::default();
            }
        } else {
            ui.label(RichText::new("drag to pan, scroll to zoom").weak().small());
        }
        ui.add(
            egui::TextEdit::singleline(&mut state.custom_text.0)
                .hint_text("from 2026-12-01 03:00")
                .desired_width(130.0),
        );
        ui.add(
            egui::TextEdit::singleline(&mut state.custom_text.1)
                .hint_text("to (empty: now)")
                .desired_width(110.0),
        );
        if ui
            .button("Show")
            .on_hover_text("a custom range, UTC")
            .clicked()
        {
            state.apply_custom(frame.to_ms);
        }
        if let Some(e) = &state.custom_error {
            ui.label(RichText::new(e).color(theme::level_color(ui.visuals(), theme::Level::Warn)));
        }
        if let Some(p) = &frame.problem {
            ui.label(RichText::new(p).color(theme::level_color(ui.visuals(), theme::Level::Warn)));
        }
    });
}

/// Parse a rewind moment: RFC 3339 (`2026-12-01T03:12:00Z`), or a date and time read as UTC
/// (`2026-12-01 03:12`).
///
/// # Errors
/// When it is neither, in words for the entry.
pub fn parse_moment(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let normalised = if t.len() == 16 && t.as_bytes().get(10) == Some(&b' ') {
        format!("{}T{}:00Z", &t[..10], &t[11..])
    } else {
        t.replace(' ', "T")
    };
    crate::model::time_fmt::parse_iso8601(&normalised)
        .map(unix_ms)
        .ok_or_else(|| format!("`{t}` is not a time: write e.g. 2026-12-01 03:12 (UTC)"))
}

/// The rewind bar: a slider over what history holds, a date/time entry, and "Live". Returns
/// true when the user changed the moment.
#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
pub fn rewind_bar_ui(
    ui: &mut egui::Ui,
    state: &mut HistoryUiState,
    frame: &HistoryFrame,
    now: SystemTime,
) -> bool {
    let now_ms = unix_ms(now);
    let Some(oldest) = frame.oldest_ms.filter(|o| *o < now_ms) else {
        ui.label(RichText::new("Rewind: nothing recorded yet").weak());
        return false;
    };
    let before = state.rewind;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Rewind").weak());
        let mut secs_back = state.rewind.map_or(0.0, |t| (now_ms - t) as f64 / 1000.0);
        let max_back = (now_ms - oldest) as f64 / 1000.0;
        let slider = egui::Slider::new(&mut secs_back, max_back..=0.0)
            .show_value(false)
            .logarithmic(max_back > 7200.0);
        if ui
            .add_sized([220.0, 18.0], slider)
            .on_hover_text("drag left to go back in time")
            .changed()
        {
            state.rewind = (secs_back >= 1.0).then(|| now_ms - (secs_back * 1000.0) as i64);
        }
        let entry = ui.add(
            egui::TextEdit::singleline(&mut state.rewind_text)
                .hint_text("2026-12-01 03:12")
                .desired_width(130.0),
        );
        let go = ui.button("Go").clicked()
            || (entry.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)));
        if go {
            match parse_moment(&state.rewind_text) {
                Ok(t) => {
                    state.rewind = Some(t.clamp(oldest, now_ms));
                    state.rewind_error = None;
                }
                Err(e) => state.rewind_error = Some(e),
            }
        }
        if let Some(e) = &state.rewind_error {
            ui.label(RichText::new(e).color(theme::level_color(ui.visuals(), theme::Level::Warn)));
        }
        if state.rewind.is_some() && ui.button("Live").clicked() {
            state.rewind = None;
        }
    });
    state.rewind != before
}

/// The banner shown while not live.
pub fn rewind_banner_ui(ui: &mut egui::Ui, state: &mut HistoryUiState, now: SystemTime) {
    let Some(t) = state.rewind else { return };
    let at = from_unix_ms(t);
    let fill = theme::level_color(ui.visuals(), theme::Level::Warn);
    egui::Frame::new()
        .fill(fill.gamma_multiply(0.25))
        .inner_margin(egui::Margin::symmetric(10, 4))
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(format!(
                        "Not live: the dashboard as it was at {} ({} before now)",
                        format::timestamp(at),
                        format::duration(now.duration_since(at).unwrap_or_default())
                    ))
                    .strong(),
                );
                if ui.button("Live").clicked() {
                    state.rewind = None;
                }
            });
        });
}

/// The detail view, as a window over the dashboard: its plots over the range, then the alert
/// and error history of its subject.
pub fn detail_ui(
    ui: &mut egui::Ui,
    state: &mut HistoryUiState,
    frame: &HistoryFrame,
    alerts: &[&AlertEvent],
    errors: &[&ErrorEntry],
) -> Option<TimeRange> {
    let target = state.detail.clone()?;
    let mut open = true;
    let mut new_range = None;
    let palette = theme::series_lines(ui.visuals());
    egui::Window::new(target.title())
        .id(egui::Id::unique("swarmglass_detail_view"))
        .open(&mut open)
        .default_size([760.0, 620.0])
        .collapsible(false)
        .show(ui.ctx(), |ui| {
            range_bar_ui(ui, state, frame);
            egui::ScrollArea::vertical().show(ui, |ui| {
                let w = ui.available_width();
                if frame.detail.is_empty() {
                    ui.label("Nothing recorded for it yet.");
                }
                for (i, plot) in frame.detail.iter().enumerate() {
                    ui.label(RichText::new(&plot.title).strong());
                    let id = format!("detail_{i}");
                    if let Some(r) = history_plot_ui(
                        ui,
                        &id,
                        &plot.lines,
                        &palette,
                        plot.unit,
                        (frame.from_ms, frame.to_ms),
                        w,
                        150.0,
                        true,
                    ) {
                        new_range = Some(r);
                    }
                }
                ui.separator();
                ui.label(RichText::new(format!("Alerts ({})", alerts.len())).strong());
                if alerts.is_empty() {
                    ui.label(RichText::new("none recorded").weak());
                }
                for ev in alerts.iter().rev().take(50) {
                    ui.label(format!(
                        "{}  {} — {}",
                        format::timestamp(ev.at),
                        ev.summary(),
                        ev.message
                    ));
                }
                ui.label(RichText::new(format!("Errors ({})", errors.len())).strong());
                if errors.is_empty() {
                    ui.label(RichText::new("none recorded").weak());
                }
                for e in errors.iter().take(50) {
                    ui.label(format!(
                        "{}  {} ×{} — {}",
                        format::timestamp(e.last_seen),
                        e.kind,
                        e.count,
                        e.last_message
                    ));
                }
                if !matches!(target, Target::Node { .. })
                    && ui.button(format!("Node {}", target.node())).clicked()
                {
                    state.detail = Some(Target::Node {
                        node: target.node().to_owned(),
                    });
                }
            });
        });
    if !open {
        state.detail = None;
    }
    new_range
}

/// What a range shows, in words: "last 15 minutes", "last 24 hours", "custom range".
#[must_use]
pub fn range_label(range: TimeRange) -> String {
    match range {
        TimeRange::Last(s) if s % 86_400 == 0 && s > 86_400 => format!("last {} days", s / 86_400),
        TimeRange::Last(s) if s % 3600 == 0 && s > 3600 => format!("last {} hours", s / 3600),
        TimeRange::Last(3600) => "last hour".to_owned(),
        TimeRange::Last(s) => format!("last {} minutes", s / 60),
        TimeRange::Custom { .. } => "custom range".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_and_custom_ranges_are_read_as_utc_with_clear_errors() {
        let t = parse_moment("2026-12-01 03:12").unwrap();
        assert_eq!(t, parse_moment("2026-12-01T03:12:00Z").unwrap());
        assert!(
            parse_moment("yesterday")
                .unwrap_err()
                .contains("2026-12-01 03:12")
        );
        let mut s = HistoryUiState {
            custom_text: ("2026-12-01 03:00".into(), String::new()),
            ..HistoryUiState::default()
        };
        s.apply_custom(t);
        assert_eq!(
            s.range,
            TimeRange::Custom {
                from_ms: t - 12 * 60_000,
                to_ms: t
            }
        );
        s.custom_text = ("2026-12-01 04:00".into(), "2026-12-01 03:00".into());
        s.apply_custom(t);
        assert!(s.custom_error.is_some());
    }

    #[test]
    fn time_marks_fall_on_round_times_and_labels_read_as_clocks_or_dates() {
        // A 1 h span ending at 14:05:00 UTC: marks every 10 minutes on the hour's tens.
        let base = 1_764_597_900; // 2025-12-01T14:05:00Z
        let marks = time_marks(-3600.0, 0.0, base);
        assert!((4..=8).contains(&marks.len()), "{marks:?}");
        assert!(marks.iter().all(|m| (base as f64 + m.value) % 600.0 == 0.0));
        let t = from_unix_ms(base * 1000);
        assert_eq!(time_label(t, 3600.0), "14:05");
        assert_eq!(time_label(t, 300.0), "14:05:00");
        assert_eq!(time_label(t, 7.0 * 86_400.0), "12-01 14:05");
    }
}
