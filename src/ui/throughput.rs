//! Throughput plots: cluster-wide generation and prompt tokens/s over the last 15 minutes, with
//! peak, average and current, values on hover. Gaps (`None` points: a failed poll) split the
//! line into separate segments, so a gap is a break, never a dive to 0. Points are decimated
//! to about one per two pixels (keeping each bucket's min and max, so peaks survive). With no
//! data a plot says so and its rate axis carries no numbers.

use std::time::{Duration, SystemTime};

use egui::{Color32, RichText};
use egui_plot::{GridMark, HoverPosition, Line, Plot, PlotPoint, PlotPoints, Points, Text};

use super::history::{self, HistoryFrame, TimeRange};
use super::theme;
use crate::format;
use crate::history::query::Points as Recorded;
use crate::model::Model;
use crate::model::series::TimeSeries;

/// Room right of "now", as a fraction of the span, so the last label is not clipped.
const RIGHT_MARGIN: f64 = 0.025;

/// How much history the plots show at most.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// The span the plots show: the history held, rounded up to whole minutes, between one minute
/// and [`WINDOW`], so a fresh start does not squeeze its first points against the right edge.
#[must_use]
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn shown_window(series: &TimeSeries, now: SystemTime) -> Duration {
    let held = series.iter().next().map_or(Duration::ZERO, |(t, _)| {
        now.duration_since(*t).unwrap_or_default()
    });
    let minutes = held.as_secs().div_ceil(60).clamp(1, WINDOW.as_secs() / 60);
    Duration::from_secs(minutes * 60)
}

/// Grid marks for a time axis `window_s` wide: every 30 s up to 2 min, then every 1, 2 or 3 min.
#[must_use]
#[allow(clippy::cast_possible_truncation)]
pub fn time_marks(window_s: f64) -> Vec<GridMark> {
    let step = if window_s <= 120.0 {
        30.0
    } else if window_s <= 300.0 {
        60.0
    } else if window_s <= 600.0 {
        120.0
    } else {
        180.0
    };
    let n = (window_s / step).floor() as i64;
    (0..=n)
        .map(|k| GridMark {
            value: -(k as f64) * step,
            step_size: step,
        })
        .collect()
}

/// Grid marks for a rate axis from 0 to `top`: a 1, 2 or 5 × 10ⁿ step giving three to six
/// labelled lines (egui_plot's own spacer only uses powers of ten, which leaves a plot from 0
/// to 900 with no label but 0).
#[must_use]
#[allow(clippy::cast_possible_truncation)]
pub fn rate_marks(top: f64) -> Vec<GridMark> {
    if !(top > 0.0 && top.is_finite()) {
        return vec![GridMark {
            value: 0.0,
            step_size: 1.0,
        }];
    }
    let raw = top / 5.0;
    let mag = 10_f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let n = (top / step).floor() as i64;
    (0..=n)
        .map(|k| GridMark {
            value: k as f64 * step,
            step_size: step,
        })
        .collect()
}

/// Label of a rate mark `step` apart from the next: whole numbers (as [`format::compact`])
/// when the step is 1 or more, else as many decimals as the step needs — a plot from 0 to 0.5
/// reads 0.0, 0.2, 0.4, not 0 0 0.
#[must_use]
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn rate_label(value: f64, step: f64) -> String {
    if step >= 1.0 - 1e-9 || !(step > 0.0 && step.is_finite()) {
        return format::compact(value);
    }
    // 0.2 → 1 decimal, 0.05 → 2; the epsilon keeps 0.1 (log10 ≈ −0.99999…) at one.
    let decimals = (-step.log10() - 1e-9).ceil().max(0.0) as usize;
    format!("{value:.decimals$}")
}

/// Label of a time mark, in [`format`]'s units: "now", "−30s", "−5m".
#[must_use]
pub fn time_label(x: f64) -> String {
    let s = (-x).round();
    if s <= 0.0 {
        "now".to_owned()
    } else if s < 60.0 || s % 60.0 != 0.0 {
        format!("−{s:.0}s")
    } else {
        format!("−{:.0}m", s / 60.0)
    }
}

/// The series as line segments of `[seconds relative to now (≤ 0), value]`, split at gaps,
/// limited to `window`, and decimated to at most about `max_points` points: the window is cut
/// into `max_points / 2` buckets and each keeps its lowest and highest point (in time order), so
/// peaks survive; the newest point always ends the line.
#[must_use]
#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
pub fn plot_segments(
    series: &TimeSeries,
    now: SystemTime,
    window: Duration,
    max_points: usize,
) -> Vec<Vec<[f64; 2]>> {
    let win = window.as_secs_f64();
    let bucket_w = win / (max_points / 2).max(1) as f64;
    let mut segments: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut seg: Vec<[f64; 2]> = Vec::new();
    // The open bucket: (index, lowest point, highest point).
    let mut bucket: Option<(i64, [f64; 2], [f64; 2])> = None;
    let mut newest: Option<[f64; 2]> = None;
    let flush = |seg: &mut Vec<[f64; 2]>, b: &mut Option<(i64, [f64; 2], [f64; 2])>| {
        if let Some((_, lo, hi)) = b.take() {
            let (a, c) = if lo[0] <= hi[0] { (lo, hi) } else { (hi, lo) };
            seg.push(a);
            if c[0] > a[0] {
                seg.push(c);
            }
        }
    };
    for &(t, v) in series.iter() {
        // A point stamped a little after `now` (clock skew) is drawn at now.
        let age = now.duration_since(t).map_or(0.0, |d| d.as_secs_f64());
        if age > win {
            continue;
        }
        let Some(y) = v else {
            flush(&mut seg, &mut bucket);
            if !seg.is_empty() {
                segments.push(std::mem::take(&mut seg));
            }
            newest = None;
            continue;
        };
        let p = [-age, y];
        newest = Some(p);
        let idx = ((win - age) / bucket_w).floor() as i64;
        match &mut bucket {
            Some((i, lo, hi)) if *i == idx => {
                if y < lo[1] {
                    *lo = p;
                }
                if y > hi[1] {
                    *hi = p;
                }
            }
            _ => {
                flush(&mut seg, &mut bucket);
                bucket = Some((idx, p, p));
            }
        }
    }
    flush(&mut seg, &mut bucket);
    if let Some(n) = newest
        && seg.last().is_some_and(|p| p[0] < n[0])
    {
        seg.push(n);
    }
    if !seg.is_empty() {
        segments.push(seg);
    }
    segments
}

/// The throughput card's frame and title row (`span` on the right); `body` draws the plots.
fn card_ui(ui: &mut egui::Ui, span: &str, body: impl FnOnce(&mut egui::Ui)) {
    let frame = theme::card_frame(ui.style());
    let width = ui.available_width();
    let inner = egui::vec2(width, theme::SUMMARY_HEIGHT) - frame.total_margin().sum();
    frame.show(ui, |ui| {
        ui.set_min_size(inner);
        ui.set_max_width(inner.x);
        ui.horizontal(|ui| {
            ui.label(
                RichText::new("Throughput (tokens/s)")
                    .strong()
                    .size(theme::CARD_TITLE_SIZE),
            );
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.label(RichText::new(span).weak());
            });
        });
        body(ui);
    });
}

/// Draw the throughput card: both plots side by side when there is room.
pub fn throughput_ui(ui: &mut egui::Ui, model: &Model, now: SystemTime) {
    let minutes = shown_window(&model.gen_tps_history, now).as_secs() / 60;
    let span = if minutes == 1 {
        "last minute".to_owned()
    } else {
        format!("last {minutes} minutes")
    };
    card_ui(ui, &span, |ui| {
        let gen_color = theme::gen_line(ui.visuals());
        let prompt_color = theme::prompt_line(ui.visuals());
        let w = ui.available_width();
        if w >= 560.0 {
            let half = (w - theme::CARD_GAP) / 2.0;
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    ui.set_width(half);
                    series_ui(
                        ui,
                        "Generation",
                        &model.gen_tps_history,
                        now,
                        gen_color,
                        half,
                    );
                });
                ui.add_space(theme::CARD_GAP);
                ui.vertical(|ui| {
                    ui.set_width(half);
                    series_ui(
                        ui,
                        "Prompt",
                        &model.prompt_tps_history,
                        now,
                        prompt_color,
                        half,
                    );
                });
            });
        } else {
            let h = theme::PLOT_HEIGHT / 2.0;
            series_plot_ui(
                ui,
                "Generation",
                &model.gen_tps_history,
                now,
                gen_color,
                w,
                h,
            );
            stats_ui(ui, "Generation", &model.gen_tps_history, now);
            series_plot_ui(
                ui,
                "Prompt",
                &model.prompt_tps_history,
                now,
                prompt_color,
                w,
                h,
            );
            stats_ui(ui, "Prompt", &model.prompt_tps_history, now);
        }
    });
}

/// The throughput card drawn from recorded history over the chosen range (zoom and pan when
/// `interactive`); returns the new range when the user zoomed or panned.
pub fn recorded_throughput_ui(
    ui: &mut egui::Ui,
    frame: &HistoryFrame,
    range: TimeRange,
    interactive: bool,
) -> Option<TimeRange> {
    let mut new_range = None;
    card_ui(ui, &history::range_label(range), |ui| {
        let colors = [
            theme::gen_line(ui.visuals()),
            theme::prompt_line(ui.visuals()),
        ];
        let w = ui.available_width();
        let (cols, plot_w, h) = if w >= 560.0 {
            (2, (w - theme::CARD_GAP) / 2.0, theme::PLOT_HEIGHT)
        } else {
            (1, w, theme::PLOT_HEIGHT / 2.0)
        };
        let names = ["Generation", "Prompt"];
        let mut draw = |ui: &mut egui::Ui, i: usize| {
            let lines = [(names[i].to_owned(), frame.throughput[i].clone())];
            if let Some(r) = history::history_plot_ui(
                ui,
                names[i],
                &lines,
                &colors[i..=i],
                "tok/s",
                (frame.from_ms, frame.to_ms),
                plot_w,
                h,
                interactive,
            ) {
                new_range = Some(r);
            }
            recorded_stats_ui(ui, names[i], &frame.throughput[i]);
        };
        if cols == 2 {
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    ui.set_width(plot_w);
                    draw(ui, 0);
                });
                ui.add_space(theme::CARD_GAP);
                ui.vertical(|ui| {
                    ui.set_width(plot_w);
                    draw(ui, 1);
                });
            });
        } else {
            draw(ui, 0);
            draw(ui, 1);
        }
    });
    new_range
}

/// "Generation — peak 142 · avg 87 · last 91 tok/s" over recorded points.
fn recorded_stats_ui(ui: &mut egui::Ui, name: &str, points: &Recorded) {
    let values: Vec<f64> = points.iter().filter_map(|p| p.1).collect();
    #[allow(clippy::cast_precision_loss, reason = "point counts are small")]
    let avg = (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
    let peak = values.iter().copied().reduce(f64::max);
    let last = points.last().and_then(|p| p.1);
    stats_row_ui(ui, name, peak, avg, ("last", last));
}

/// One stats line: the series' name, its peak and average, and its newest value (`now` live,
/// `last` over a recorded range).
fn stats_row_ui(
    ui: &mut egui::Ui,
    name: &str,
    peak: Option<f64>,
    avg: Option<f64>,
    (newest_word, newest): (&str, Option<f64>),
) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(name).strong());
        ui.label(format!("peak {}", format::tps(peak)));
        ui.label("·");
        ui.label(format!("avg {}", format::tps(avg)));
        ui.label("·");
        ui.label(RichText::new(format!("{newest_word} {}", format::tps(newest))).strong());
    });
}

fn series_ui(
    ui: &mut egui::Ui,
    name: &str,
    series: &TimeSeries,
    now: SystemTime,
    color: Color32,
    width: f32,
) {
    series_plot_ui(ui, name, series, now, color, width, theme::PLOT_HEIGHT);
    stats_ui(ui, name, series, now);
}

/// "Generation — peak 142 · avg 87 · now 91 tok/s".
fn stats_ui(ui: &mut egui::Ui, name: &str, series: &TimeSeries, now: SystemTime) {
    let since = now
        .checked_sub(shown_window(series, now))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let (peak, avg) = series
        .peak_avg(since)
        .map_or((None, None), |(p, a)| (Some(p), Some(a)));
    stats_row_ui(ui, name, peak, avg, ("now", series.current()));
}

/// One live series' plot, `width` × `height`, the newest point at the right.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub(crate) fn series_plot_ui(
    ui: &mut egui::Ui,
    name: &str,
    series: &TimeSeries,
    now: SystemTime,
    color: Color32,
    width: f32,
    height: f32,
) {
    let max_points = (width.max(64.0) / 2.0) as usize;
    let window = shown_window(series, now);
    let window_s = window.as_secs_f64();
    let segments = plot_segments(series, now, window, max_points);
    let peak = segments
        .iter()
        .flatten()
        .map(|p| p[1])
        .fold(0.0_f64, f64::max);
    let y_top = if peak > 0.0 { peak * 1.1 } else { 1.0 };
    let empty = segments.is_empty();
    let label_name = name.to_owned();
    Plot::new(("throughput", name))
        .width(width)
        .height(height)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .default_x_bounds(-window_s, window_s * RIGHT_MARGIN)
        .auto_bounds(egui::Vec2b::new(false, false))
        .y_axis_min_width(36.0)
        .x_grid_spacer(move |_| time_marks(window_s))
        // No data: no rate is known, so the y axis has no numbers (the note says why).
        .y_grid_spacer(move |_| if empty { Vec::new() } else { rate_marks(y_top) })
        .x_axis_formatter(|mark, _| time_label(mark.value))
        .y_axis_formatter(|mark, _| rate_label(mark.value, mark.step_size))
        .label_formatter(move |pos| match pos {
            HoverPosition::NearDataPoint { position, .. } => Some(format!(
                "{label_name}: {}\n{}",
                format::tps(Some(position.y)),
                ago_text(position.x)
            )),
            HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |p| {
            // The plot remembers bounds between frames; the span follows the data.
            p.set_plot_bounds_x(-window_s..=window_s * RIGHT_MARGIN);
            // Rates are never negative: the y axis starts at 0 and leaves 10% above the peak.
            p.set_plot_bounds_y(0.0..=y_top);
            if empty {
                p.text(Text::new(
                    "no data",
                    PlotPoint::new(-window_s / 2.0, y_top / 2.0),
                    "no data yet",
                ));
            }
            for (i, seg) in segments.into_iter().enumerate() {
                if seg.len() == 1 {
                    p.points(
                        Points::new(name.to_owned(), PlotPoints::from(seg))
                            .id((name, "pt", i))
                            .color(color)
                            .radius(2.0),
                    );
                } else {
                    p.line(
                        Line::new(name.to_owned(), PlotPoints::from(seg))
                            .id((name, i))
                            .color(color)
                            .width(1.5),
                    );
                }
            }
        });
}

/// When a point at `x` (seconds relative to now, ≤ 0) was: "just now", "12s ago", "2m 34s ago".
fn ago_text(x: f64) -> String {
    format::ago(Duration::try_from_secs_f64(-x).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + s)
    }

    #[test]
    fn gaps_split_segments() {
        let mut s = TimeSeries::new(Duration::from_secs(3600), Duration::from_secs(1));
        s.push(t(0), Some(1.0));
        s.push(t(1), Some(2.0));
        s.push(t(2), None);
        s.push(t(3), Some(3.0));
        s.push(t(4), Some(4.0));
        let segs = plot_segments(&s, t(4), WINDOW, 1000);
        assert_eq!(
            segs,
            vec![
                vec![[-4.0, 1.0], [-3.0, 2.0]],
                vec![[-1.0, 3.0], [0.0, 4.0]]
            ]
        );
    }

    #[test]
    fn decimation_keeps_peaks_and_the_newest_point() {
        let mut s = TimeSeries::new(Duration::from_secs(3600), Duration::from_secs(1));
        for i in 0..900_u64 {
            let v = if i == 450 { 1000.0 } else { (i % 7) as f64 };
            s.push(t(i), Some(v));
        }
        let segs = plot_segments(&s, t(899), WINDOW, 200);
        assert_eq!(segs.len(), 1);
        let seg = &segs[0];
        assert!(seg.len() <= 201, "{} points", seg.len());
        assert!(seg.iter().any(|p| (p[1] - 1000.0).abs() < f64::EPSILON));
        assert_eq!(seg.last().map(|p| p[0]), Some(0.0));
        assert!(seg.windows(2).all(|w| w[0][0] < w[1][0]), "x must increase");
    }

    #[test]
    fn window_follows_the_history_held() {
        let mut s = TimeSeries::new(Duration::from_secs(3600), Duration::from_secs(1));
        assert_eq!(shown_window(&s, t(0)), Duration::from_secs(60));
        s.push(t(0), Some(1.0));
        assert_eq!(shown_window(&s, t(25)), Duration::from_secs(60));
        assert_eq!(shown_window(&s, t(61)), Duration::from_secs(120));
        assert_eq!(shown_window(&s, t(3000)), WINDOW);
        assert_eq!(time_label(0.0), "now");
        assert_eq!(time_label(-30.0), "−30s");
        assert_eq!(time_label(-300.0), "−5m");
        assert_eq!(time_marks(900.0).len(), 6);
        let marks: Vec<f64> = rate_marks(985.0).iter().map(|m| m.value).collect();
        assert_eq!(marks, [0.0, 200.0, 400.0, 600.0, 800.0]);
        let marks: Vec<f64> = rate_marks(1100.0).iter().map(|m| m.value).collect();
        assert_eq!(marks, [0.0, 500.0, 1000.0]);
        assert_eq!(rate_marks(0.0).len(), 1);
    }

    /// Marks below one apart get decimals, so no two labels of one axis read the same.
    #[test]
    fn rate_labels_are_distinct_for_small_tops() {
        for top in [0.05, 0.55, 1.0, 3.0, 7.5, 985.0, 25_000.0] {
            let labels: Vec<String> = rate_marks(top)
                .iter()
                .map(|m| rate_label(m.value, m.step_size))
                .collect();
            let mut unique = labels.clone();
            unique.dedup();
            assert_eq!(unique, labels, "top {top}");
        }
        assert_eq!(rate_label(0.2, 0.2), "0.2");
        assert_eq!(rate_label(0.3, 0.1), "0.3");
        assert_eq!(rate_label(0.05, 0.05), "0.05");
        assert_eq!(rate_label(400.0, 200.0), "400");
        assert_eq!(rate_label(20_000.0, 5_000.0), "20k");
    }

    #[test]
    fn old_points_are_outside_the_window() {
        let mut s = TimeSeries::new(Duration::from_secs(3600), Duration::from_secs(1));
        s.push(t(0), Some(5.0));
        s.push(t(2000), Some(6.0));
        let segs = plot_segments(&s, t(2000), WINDOW, 100);
        assert_eq!(segs, vec![vec![[0.0, 6.0]]]);
    }
}
