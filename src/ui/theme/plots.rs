//! Plot line colours (the throughput plots), readable on either background.

use egui::{Color32, Visuals};

/// Line colour of the generation tokens/s plot.
#[must_use]
pub fn gen_line(v: &Visuals) -> Color32 {
    if v.dark_mode {
        Color32::from_rgb(0x4f, 0xc3, 0xf7)
    } else {
        Color32::from_rgb(0x01, 0x57, 0x9b)
    }
}

/// Line colour of the prompt tokens/s plot.
#[must_use]
pub fn prompt_line(v: &Visuals) -> Color32 {
    if v.dark_mode {
        Color32::from_rgb(0xce, 0x93, 0xd8)
    } else {
        Color32::from_rgb(0x6a, 0x1b, 0x9a)
    }
}
