//! The wall view: the whole dashboard on one screen for an always-on monitor — no scrolling, no
//! chrome, type sized from the screen to be read from across a room. [`layout`] places the
//! sections `[wall]` names; this file draws each into its rectangle (the GPU section is
//! `gpus.rs`: cards, then the fleet matrix, then its pages). Every list is cut to the rows that
//! fit and the rest is counted ("+12 more"), never hidden silently. A firing critical alert
//! takes a band across the top.

mod gpus;
pub mod layout;

use std::time::SystemTime;

use egui::{Align, Color32, Layout, Rect, RichText, Sense, TextStyle, UiBuilder, Vec2, vec2};

use super::icons::{self, Icon};
use super::theme::{self, Level};
use crate::alerts::{ActiveAlert, Engine};
use crate::config::alerts::Severity;
use crate::config::wall::{WallSection, WallSettings};
use crate::format;
use crate::model::Model;
use crate::model::health::Health;
use crate::model::ids::SourceKind;
use crate::model::tasks::TasksSnapshot;
use crate::model::views::Views;
use layout::TypeScale;

/// Which sections have something to show: the agent sections only where an agent source
/// reports (a GPU-only cluster gets their room for its GPUs).
#[must_use]
pub fn sections_shown(settings: &WallSettings, snap: &TasksSnapshot) -> Vec<WallSection> {
    let agents = snap.events_total > 0 || !snap.streams.is_empty() || snap.sessions.total > 0;
    settings
        .show
        .iter()
        .copied()
        .filter(|s| agents || !matches!(s, WallSection::Sessions | WallSection::Tasks))
        .collect()
}

/// Draw the wall into `ui`'s whole rectangle.
pub fn wall_ui(
    ui: &mut egui::Ui,
    model: &Model,
    alerts: &Engine,
    settings: &WallSettings,
    now: SystemTime,
) {
    let screen = ui.max_rect();
    let snap = model.tasks.snapshot(now);
    let mut critical: Vec<&ActiveAlert> = alerts
        .firing()
        .filter(|a| a.severity == Severity::Critical)
        .collect();
    critical.sort_by_key(|a| a.firing_since);
    let shown = sections_shown(settings, &snap);
    let l = layout::layout(screen, &shown, !critical.is_empty());
    let ts = l.type_scale;
    style_for(ui.style_mut(), ts);
    if let Some(band) = l.band {
        band_ui(ui, band, &critical, ts);
    }
    let views = model.views();
    for &(section, rect) in &l.sections {
        section_ui(ui, rect, section, |ui| match section {
            WallSection::Cluster => cluster_ui(ui, views, model, ts, now),
            WallSection::Gpus => gpus::gpus_ui(ui, views, settings, ts, now),
            WallSection::Throughput => throughput_ui(ui, model, ts, now),
            WallSection::Sessions => sessions_ui(ui, &snap, ts),
            WallSection::Tasks => tasks_ui(ui, &snap, ts),
            WallSection::Alerts => alerts_ui(ui, alerts, ts),
            WallSection::Errors => errors_ui(ui, model, ts),
        });
    }
}

/// Every text style at least the wall's least size, so nothing drawn by egui or egui_plot
/// (axis labels, tooltips) is smaller; text that does not fit is cut with "…", never wrapped
/// out of its section.
fn style_for(style: &mut egui::Style, ts: TypeScale) {
    for (text_style, font) in &mut style.text_styles {
        font.size = match text_style {
            TextStyle::Heading => ts.key,
            TextStyle::Body | TextStyle::Button => ts.body,
            _ => ts.small,
        };
    }
    style.wrap_mode = Some(egui::TextWrapMode::Truncate);
    style.spacing.item_spacing = vec2(ts.small * 0.5, ts.small * 0.25);
    style.spacing.interact_size.y = ts.body;
}

/// A card filling `rect`, its content clipped to it.
fn section_ui(
    ui: &mut egui::Ui,
    rect: Rect,
    section: WallSection,
    add: impl FnOnce(&mut egui::Ui),
) {
    let mut child = ui.new_child(
        UiBuilder::new()
            .id_salt(("wall", section.key()))
            .max_rect(rect)
            .layout(Layout::top_down(Align::Min)),
    );
    child.set_clip_rect(rect.intersect(ui.clip_rect()));
    let frame = theme::card_frame(child.style());
    let inner = rect.size() - frame.total_margin().sum();
    frame.show(&mut child, |ui| {
        ui.set_min_size(inner);
        ui.set_max_size(inner);
        add(ui);
    });
}

fn text(s: impl Into<String>, size: f32) -> RichText {
    RichText::new(s).size(size)
}

/// A section's title with a count or a note beside it.
fn title_ui(ui: &mut egui::Ui, title: &str, note: &str, ts: TypeScale) {
    ui.horizontal(|ui| {
        ui.label(text(title, ts.body).strong());
        if !note.is_empty() {
            ui.label(text(note, ts.small).weak());
        }
    });
}

/// A figure: its name small above, its value in key type.
fn figure_ui(ui: &mut egui::Ui, name: &str, value: &str, color: Option<Color32>, ts: TypeScale) {
    ui.vertical(|ui| {
        ui.label(text(name, ts.small).weak());
        let v = text(value, ts.key).strong();
        ui.label(match color {
            Some(c) => v.color(c),
            None => v,
        });
    });
}

/// Figures in a grid of `cols` equal columns filling the width.
fn figures_ui(
    ui: &mut egui::Ui,
    figures: &[(&str, String, Option<Color32>)],
    cols: usize,
    ts: TypeScale,
) {
    let gap = ui.spacing().item_spacing.x;
    let w = (ui.available_width() - gap * (cols - 1) as f32) / cols as f32;
    let h = TypeScale::line(ts.small) + TypeScale::line(ts.key);
    for row in figures.chunks(cols) {
        ui.horizontal(|ui| {
            for (name, value, color) in row {
                ui.allocate_ui_with_layout(vec2(w, h), Layout::top_down(Align::Min), |ui| {
                    ui.set_min_size(vec2(w, h));
                    figure_ui(ui, name, value, *color, ts);
                });
            }
        });
    }
}

/// How many rows of `row_h` fit in what is left of `ui`, keeping one for the "+N more" line
/// when `n` do not all fit.
fn rows_that_fit(ui: &egui::Ui, row_h: f32, n: usize) -> usize {
    let fit = (ui.available_height() / row_h).floor().max(0.0) as usize;
    if n <= fit { n } else { fit.saturating_sub(1) }
}

fn more_ui(ui: &mut egui::Ui, words: String, ts: TypeScale) {
    ui.label(text(words, ts.small).weak());
}

fn band_ui(ui: &mut egui::Ui, rect: Rect, critical: &[&ActiveAlert], ts: TypeScale) {
    let (fill, ink) = theme::critical_band(ui.visuals());
    ui.painter().rect_filled(rect, 0.0, fill);
    let mut child = ui.new_child(
        UiBuilder::new()
            .id_salt("wall_band")
            .max_rect(rect.shrink2(vec2(ts.body, 0.0)))
            .layout(Layout::left_to_right(Align::Center)),
    );
    child.set_clip_rect(rect);
    let Some(first) = critical.first() else {
        return;
    };
    let (r, _) = child.allocate_exact_size(Vec2::splat(ts.key), Sense::hover());
    icons::paint(child.painter(), r, Icon::Crit, ink, fill);
    child.label(text("CRITICAL", ts.key).strong().color(ink));
    child.label(text(format!("{} — {}", first.rule, first.subject), ts.key).color(ink));
    if critical.len() > 1 {
        child.label(text(format!("+{} more critical", critical.len() - 1), ts.body).color(ink));
    }
}

fn cluster_ui(ui: &mut egui::Ui, views: &Views, model: &Model, ts: TypeScale, now: SystemTime) {
    let c = &views.cluster;
    ui.horizontal(|ui| {
        icons::state_sized_ui(
            ui,
            theme::overall_level(c.overall),
            c.overall.label(),
            ts.key,
        );
        ui.add_space(ts.key);
        let up_level = if c.nodes_total > 0 && c.nodes_up == c.nodes_total {
            Level::Ok
        } else if c.nodes_up == 0 {
            Level::Crit
        } else {
            Level::Warn
        };
        ui.label(
            text(format!("{} / {}", c.nodes_up, c.nodes_total), ts.key)
                .strong()
                .color(theme::level_color(ui.visuals(), up_level)),
        );
        ui.label(text("nodes up", ts.body));
        ui.add_space(ts.key);
        let (failover, level) = match c.failover_ready {
            Some(true) => ("ready", Level::Ok),
            Some(false) => ("NOT ready", Level::Crit),
            None => ("n/a", Level::Unknown),
        };
        ui.label(text("Failover", ts.body));
        icons::state_sized_ui(ui, level, failover, ts.body);
        if let Some(active) = &c.active_node {
            ui.add_space(ts.body);
            ui.label(text(format!("active {active}"), ts.body));
        }
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            ui.label(text(format::clock(now), ts.body).strong());
            if let Some(t) = model.last_data_at {
                ui.label(text(format!("updated {}", format::age(t, now)), ts.small).weak());
            }
        });
    });
    // Which nodes are not up, and why: the first that fit, the rest counted.
    let bad: Vec<_> = views
        .nodes
        .iter()
        .filter(|n| !matches!(n.health, Health::Up { .. }))
        .collect();
    if bad.is_empty() {
        return;
    }
    ui.horizontal(|ui| {
        let mut shown = 0;
        for n in &bad {
            let word = match n.health.reason() {
                Some(r) => format!("{} {}: {r}", n.name, n.health.label()),
                None => format!("{} {}", n.name, n.health.label()),
            };
            let color = theme::level_color(ui.visuals(), theme::health_level(&n.health));
            let galley_w = ui.fonts_mut(|f| {
                f.layout_no_wrap(word.clone(), egui::FontId::proportional(ts.body), color)
                    .size()
                    .x
            });
            if galley_w > ui.available_width() - ts.body * 8.0 && shown > 0 {
                break;
            }
            ui.label(text(word, ts.body).color(color));
            shown += 1;
        }
        if shown < bad.len() {
            more_ui(ui, format!("+{} more nodes not up", bad.len() - shown), ts);
        }
    });
}

fn throughput_ui(ui: &mut egui::Ui, model: &Model, ts: TypeScale, now: SystemTime) {
    let series = &model.gen_tps_history;
    let window = super::throughput::shown_window(series, now);
    let since = now.checked_sub(window).unwrap_or(SystemTime::UNIX_EPOCH);
    let (peak, avg) = series
        .peak_avg(since)
        .map_or((None, None), |(p, a)| (Some(p), Some(a)));
    title_ui(
        ui,
        "Throughput, tokens/s",
        &format!("last {}", format::duration(window)),
        ts,
    );
    figures_ui(
        ui,
        &[
            ("now", format::rate(series.current(), ""), None),
            ("peak", format::rate(peak, ""), None),
            ("avg", format::rate(avg, ""), None),
        ],
        3,
        ts,
    );
    let (w, h) = (ui.available_width(), ui.available_height());
    if h >= ts.small * 4.0 {
        let color = theme::gen_line(ui.visuals());
        super::throughput::series_plot_ui(ui, "Generation", series, now, color, w, h);
    }
}

fn sessions_ui(ui: &mut egui::Ui, snap: &TasksSnapshot, ts: TypeScale) {
    let s = &snap.sessions;
    let known = s.as_of.is_some();
    title_ui(ui, "Active sessions", "", ts);
    let proxy_known = snap
        .streams
        .iter()
        .any(|st| st.source.kind == SourceKind::ToolProxyLog);
    #[allow(clippy::cast_precision_loss)]
    let queue = snap.queue.as_ref().map(|q| q.total as f64);
    figures_ui(
        ui,
        &[
            (
                "active",
                if known {
                    s.active.to_string()
                } else {
                    "n/a".into()
                },
                None,
            ),
            ("oldest", format::millis(s.oldest_active_age_ms), None),
            ("queue", format::count(queue), None),
            (
                "errors (1h)",
                format::count(proxy_known.then_some(f64::from(snap.tool_proxy.errors_last_hour))),
                None,
            ),
        ],
        2,
        ts,
    );
}

fn tasks_ui(ui: &mut egui::Ui, snap: &TasksSnapshot, ts: TypeScale) {
    let d = &snap.last_24h;
    title_ui(ui, "Task stats", "24 h", ts);
    let reported = d.enqueued + d.started + d.completed + d.failed > 0;
    let success_level = theme::level(d.success_rate.map(|r| 1.0 - r), 0.1, 0.25);
    #[allow(clippy::cast_precision_loss)]
    let count = |n: u64| {
        if reported {
            format::count(Some(n as f64))
        } else {
            "n/a".into()
        }
    };
    figures_ui(
        ui,
        &[
            ("completed", count(d.completed), None),
            (
                "success",
                format::fraction_pct(d.success_rate),
                Some(theme::level_color(ui.visuals(), success_level)),
            ),
            (
                "avg time",
                format::millis(d.completion.avg_ms.map(|m| m.round() as u64)),
                None,
            ),
            ("failed", count(d.failed), None),
        ],
        2,
        ts,
    );
    // Work in flight, in a line: queued and running, the phases under way.
    let b = &snap.board;
    if reported || b.queued + b.running > 0 {
        let mut line = format!("{} queued · {} running", b.queued, b.running);
        if let Some(p) = b.phases.first() {
            line.push_str(&format!(
                " · {} {}/{}",
                p.phase,
                p.completed + p.failed,
                p.tasks
            ));
            if b.phases.len() > 1 {
                line.push_str(&format!(" +{} phases", b.phases.len() - 1));
            }
        }
        ui.label(text(line, ts.small));
    }
}

fn alerts_ui(ui: &mut egui::Ui, engine: &Engine, ts: TypeScale) {
    let mut firing: Vec<&ActiveAlert> = engine.firing().collect();
    firing.sort_by_key(|a| (std::cmp::Reverse(a.severity), a.firing_since));
    title_ui(ui, "Firing", &firing.len().to_string(), ts);
    if firing.is_empty() {
        icons::state_sized_ui(ui, Level::Ok, "No alert firing", ts.body);
        return;
    }
    // Many of one rule are one row, as on the desk (a thousand stale nodes are one line).
    let rows = super::alerts::rows(&firing);
    let row_h = TypeScale::line(ts.body);
    let n = rows_that_fit(ui, row_h, rows.len());
    for row in &rows[..n] {
        let (a, what) = match row {
            super::alerts::Row::One(a) => {
                let node = a.subject.node().unwrap_or("cluster");
                let what = super::alerts::value_vs_threshold(engine, a);
                (*a, format!("{} · {node} · {what}", a.rule))
            }
            super::alerts::Row::Group(all) => {
                let Some(a) = all.first() else { continue };
                (*a, format!("{} · {} subjects", a.rule, all.len()))
            }
        };
        let level = match a.severity {
            Severity::Critical => Level::Crit,
            Severity::Warning => Level::Warn,
        };
        ui.horizontal(|ui| {
            icons::state_sized_ui(ui, level, super::alerts::severity_word(a.severity), ts.body);
            ui.label(text(what, ts.small));
        });
    }
    let hidden: usize = rows[n..]
        .iter()
        .map(|r| match r {
            super::alerts::Row::One(_) => 1,
            super::alerts::Row::Group(all) => all.len(),
        })
        .sum();
    if hidden > 0 {
        more_ui(ui, format!("+{hidden} more firing"), ts);
    }
}

fn errors_ui(ui: &mut egui::Ui, model: &Model, ts: TypeScale) {
    let recent = model.errors.recent();
    title_ui(ui, "Recent errors", &recent.len().to_string(), ts);
    if recent.is_empty() {
        icons::state_sized_ui(ui, Level::Ok, "No errors", ts.body);
        return;
    }
    let row_h = TypeScale::line(ts.small);
    let n = rows_that_fit(ui, row_h, recent.len());
    for e in &recent[..n] {
        let level = if e.is_current() {
            Level::Crit
        } else {
            Level::Unknown
        };
        let first_line = e.last_message.lines().next().unwrap_or_default();
        ui.label(
            text(
                format!(
                    "{}  ×{} {first_line} — {}",
                    format::clock(e.last_seen),
                    e.count,
                    e.source
                ),
                ts.small,
            )
            .color(theme::level_color(ui.visuals(), level)),
        );
    }
    if n < recent.len() {
        more_ui(ui, format!("+{} more", recent.len() - n), ts);
    }
}
