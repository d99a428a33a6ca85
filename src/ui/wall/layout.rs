//! The wall view's geometry, pure: a screen rectangle and the sections to show in, a rectangle
//! per section and the type sizes out. Landscape screens get the wireframe's three bands
//! (cluster; GPUs beside throughput; sessions, tasks, alerts and errors), portrait ones a
//! column. A section left out gives its room to its row, an empty row to the others. Type is
//! sized from the screen's shorter side so that it reads the same from across a room on any
//! screen, portrait included.

use egui::{Rect, pos2, vec2};

use crate::config::wall::WallSection;

/// Text sizes of the wall, in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TypeScale {
    /// State words and key numbers.
    pub key: f32,
    /// Titles and figures' names.
    pub body: f32,
    /// The least size anything is written in.
    pub small: f32,
}

impl TypeScale {
    /// Key text, as a share of the screen's shorter side (4.5 %: 48.6 pt on a 1080p screen).
    pub const KEY: f32 = 0.045;
    /// Body text (2.6 %).
    pub const BODY: f32 = 0.026;
    /// The least text (2.0 %; nothing is written smaller).
    pub const SMALL: f32 = 0.020;

    /// The sizes for a screen of `size` points.
    #[must_use]
    pub fn for_screen(size: egui::Vec2) -> Self {
        let side = size.x.min(size.y).max(1.0);
        Self {
            key: side * Self::KEY,
            body: side * Self::BODY,
            small: side * Self::SMALL,
        }
    }

    /// These sizes times `k` (for things given more room than the least).
    #[must_use]
    pub fn scaled(self, k: f32) -> Self {
        Self {
            key: self.key * k,
            body: self.body * k,
            small: self.small * k,
        }
    }

    /// Height of one line of text of `size` (the font's row height, with some air).
    #[must_use]
    pub fn line(size: f32) -> f32 {
        size * 1.3
    }
}

/// Where everything goes.
#[derive(Debug, Clone, PartialEq)]
pub struct WallLayout {
    /// The critical band across the top, when a critical alert fires.
    pub band: Option<Rect>,
    /// Each section shown and its rectangle, in reading order.
    pub sections: Vec<(WallSection, Rect)>,
    /// Type sizes.
    pub type_scale: TypeScale,
    /// Space between sections.
    pub gap: f32,
}

impl WallLayout {
    /// The rectangle of `s`, if shown.
    #[must_use]
    pub fn rect_of(&self, s: WallSection) -> Option<Rect> {
        self.sections.iter().find(|(x, _)| *x == s).map(|(_, r)| *r)
    }
}

/// Share of the screen's height the critical band takes.
pub const BAND_SHARE: f32 = 0.11;

/// Rows of (section, width weight) with each row's height weight.
type Rows = &'static [(f32, &'static [(WallSection, f32)])];

const LANDSCAPE: Rows = &[
    (0.14, &[(WallSection::Cluster, 1.0)]),
    (
        0.50,
        &[(WallSection::Gpus, 0.65), (WallSection::Throughput, 0.35)],
    ),
    (
        0.36,
        &[
            (WallSection::Sessions, 1.0),
            (WallSection::Tasks, 1.0),
            (WallSection::Alerts, 1.4),
            (WallSection::Errors, 1.6),
        ],
    ),
];

const PORTRAIT: Rows = &[
    (0.10, &[(WallSection::Cluster, 1.0)]),
    (0.34, &[(WallSection::Gpus, 1.0)]),
    (0.17, &[(WallSection::Throughput, 1.0)]),
    (
        0.17,
        &[(WallSection::Sessions, 1.0), (WallSection::Tasks, 1.0)],
    ),
    (0.11, &[(WallSection::Alerts, 1.0)]),
    (0.11, &[(WallSection::Errors, 1.0)]),
];

/// Lay out `shown` sections on `screen`, with the critical band when `band`.
#[must_use]
pub fn layout(screen: Rect, shown: &[WallSection], band: bool) -> WallLayout {
    let type_scale = TypeScale::for_screen(screen.size());
    let gap = (screen.width().min(screen.height()) * 0.008).max(4.0);
    let mut top = screen.top();
    let band = band.then(|| {
        let h = screen.height() * BAND_SHARE;
        let r = Rect::from_min_size(screen.min, vec2(screen.width(), h));
        top += h + gap;
        r
    });
    let rows_of = if screen.width() >= screen.height() {
        LANDSCAPE
    } else {
        PORTRAIT
    };
    let rows: Vec<(f32, Vec<(WallSection, f32)>)> = rows_of
        .iter()
        .map(|(h, cells)| {
            let shown_cells: Vec<(WallSection, f32)> = cells
                .iter()
                .filter(|(s, _)| shown.contains(s))
                .copied()
                .collect();
            (*h, shown_cells)
        })
        .filter(|(_, cells)| !cells.is_empty())
        .collect();
    let total_h: f32 = rows.iter().map(|(h, _)| h).sum();
    let gaps_h = gap * rows.len().saturating_sub(1) as f32;
    let room = (screen.bottom() - top - gaps_h).max(0.0);
    let mut sections = Vec::new();
    for (h, cells) in rows {
        let row_h = room * h / total_h;
        let total_w: f32 = cells.iter().map(|(_, w)| w).sum();
        let room_w = screen.width() - gap * cells.len().saturating_sub(1) as f32;
        let mut left = screen.left();
        for (s, w) in cells {
            let width = room_w * w / total_w;
            sections.push((s, Rect::from_min_size(pos2(left, top), vec2(width, row_h))));
            left += width + gap;
        }
        top += row_h + gap;
    }
    WallLayout {
        band,
        sections,
        type_scale,
        gap,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCREENS: [(f32, f32); 5] = [
        (1280.0, 720.0),
        (1920.0, 1080.0),
        (3840.0, 2160.0),
        (1080.0, 1920.0),
        (2560.0, 1080.0),
    ];

    #[test]
    fn every_section_is_on_screen_and_none_overlaps() {
        for (w, h) in SCREENS {
            let screen = Rect::from_min_size(pos2(0.0, 0.0), vec2(w, h));
            for band in [false, true] {
                let l = layout(screen, &WallSection::ALL, band);
                assert_eq!(l.sections.len(), WallSection::ALL.len(), "{w}x{h}");
                let mut all: Vec<Rect> = l.sections.iter().map(|(_, r)| *r).collect();
                all.extend(l.band);
                for (i, a) in all.iter().enumerate() {
                    assert!(
                        screen.expand(0.01).contains_rect(*a),
                        "{w}x{h}: {a:?} off screen"
                    );
                    // Room for a title and a key figure at least.
                    assert!(
                        a.height()
                            >= TypeScale::line(l.type_scale.body)
                                + TypeScale::line(l.type_scale.key),
                        "{w}x{h}: {a:?} too low for its text"
                    );
                    for b in &all[i + 1..] {
                        assert!(
                            !a.shrink(0.01).intersects(b.shrink(0.01)),
                            "{w}x{h}: {a:?} overlaps {b:?}"
                        );
                    }
                }
                // The sections fill the screen to its bottom: no room wasted below.
                let bottom = all.iter().map(|r| r.bottom()).fold(0.0, f32::max);
                assert!((bottom - h).abs() < 0.5, "{w}x{h}: ends at {bottom}");
            }
        }
    }

    #[test]
    fn a_section_left_out_gives_its_room_to_its_row() {
        let screen = Rect::from_min_size(pos2(0.0, 0.0), vec2(1920.0, 1080.0));
        let shown = [WallSection::Cluster, WallSection::Gpus, WallSection::Errors];
        let l = layout(screen, &shown, false);
        assert_eq!(l.sections.len(), 3);
        let gpus = l.rect_of(WallSection::Gpus).unwrap();
        assert!(
            (gpus.width() - 1920.0).abs() < 0.5,
            "GPUs take the whole row"
        );
        let errors = l.rect_of(WallSection::Errors).unwrap();
        assert!((errors.width() - 1920.0).abs() < 0.5);
        assert_eq!(l.rect_of(WallSection::Throughput), None);
    }

    #[test]
    fn type_reads_from_across_a_room_on_every_screen() {
        let s = TypeScale::for_screen(vec2(1920.0, 1080.0));
        assert!(s.key >= 0.04 * 1080.0, "key text ≥ 4 % of a 1080p screen");
        assert!(s.small >= 0.018 * 1080.0, "nothing below 1.8 %");
        let portrait = TypeScale::for_screen(vec2(1080.0, 1920.0));
        assert_eq!(portrait, s, "portrait reads like landscape");
    }
}
