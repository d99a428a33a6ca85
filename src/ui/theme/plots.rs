//! Plot line colours (the throughput plots), from the current theme's table.

use egui::{Color32, Visuals};

use super::palette;

/// Line colour of the generation tokens/s plot.
#[must_use]
pub fn gen_line(v: &Visuals) -> Color32 {
    palette::of(v).gen_line
}

/// Line colour of the prompt tokens/s plot.
#[must_use]
pub fn prompt_line(v: &Visuals) -> Color32 {
    palette::of(v).prompt_line
}

/// Line colours for a plot of several series, in order: the two above, then two more.
#[must_use]
pub fn series_lines(v: &Visuals) -> [Color32; 4] {
    let p = palette::of(v);
    [p.gen_line, p.prompt_line, p.more_lines[0], p.more_lines[1]]
}
