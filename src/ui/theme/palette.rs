//! The four themes' colours, one table each: dark, light, colour-blind safe (Okabe–Ito hues on
//! dark: blue for good, yellow for a warning, vermillion for critical — no red/green pair
//! carries meaning) and high contrast (white on black, every text colour at WCAG AAA). The
//! visuals are built from the table, and every colour function finds its table again from the
//! visuals: each theme's panel fill is its own (see [`of`]).

use egui::{Color32, Visuals};

/// Every colour of one theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Palette {
    /// egui's dark or light base.
    pub dark: bool,
    /// Window background (and the theme's identity, see [`of`]).
    pub panel: Color32,
    /// Plot and bar-track background.
    pub extreme: Color32,
    /// Tiles and faint backgrounds.
    pub faint: Color32,
    /// Card fill and border.
    pub card: Color32,
    /// See [`Palette::card`].
    pub card_stroke: Color32,
    /// Text, where the base's is not enough.
    pub text: Option<Color32>,
    /// Weak text, where the base's (text at 60 % alpha) is not enough.
    pub weak_text: Option<Color32>,
    /// State colours for text: good, warning, critical, in progress.
    pub ok: Color32,
    /// See [`Palette::ok`].
    pub warn: Color32,
    /// See [`Palette::ok`].
    pub crit: Color32,
    /// See [`Palette::ok`].
    pub active: Color32,
    /// Bar fills at each level (calmer than the text colours).
    pub ok_fill: Color32,
    /// See [`Palette::ok_fill`].
    pub warn_fill: Color32,
    /// See [`Palette::ok_fill`].
    pub crit_fill: Color32,
    /// Plot lines: generation and prompt tokens/s.
    pub gen_line: Color32,
    /// See [`Palette::gen_line`].
    pub prompt_line: Color32,
    /// Two more plot lines, for detail views with more series.
    pub more_lines: [Color32; 2],
    /// The wall's critical band: fill and text.
    pub band: Color32,
    /// See [`Palette::band`].
    pub band_ink: Color32,
}

const fn rgb(r: u8, g: u8, b: u8) -> Color32 {
    Color32::from_rgb(r, g, b)
}

/// Light text on dark grey (the default).
pub const DARK: Palette = Palette {
    dark: true,
    panel: rgb(0x18, 0x1a, 0x1e),
    extreme: rgb(0x12, 0x14, 0x17),
    faint: rgb(0x2c, 0x30, 0x36),
    card: rgb(0x23, 0x26, 0x2b),
    card_stroke: rgb(0x3a, 0x3f, 0x47),
    text: Some(rgb(0xc0, 0xc4, 0xca)),
    weak_text: Some(rgb(0x9a, 0xa0, 0xa8)),
    ok: rgb(0x66, 0xbb, 0x6a),
    warn: rgb(0xff, 0xb7, 0x4d),
    crit: rgb(0xff, 0x6b, 0x68),
    active: rgb(0x64, 0xb5, 0xf6),
    ok_fill: rgb(0x2e, 0x7d, 0x4f),
    warn_fill: rgb(0xa0, 0x6a, 0x00),
    crit_fill: rgb(0xb0, 0x30, 0x30),
    gen_line: rgb(0x4f, 0xc3, 0xf7),
    prompt_line: rgb(0xce, 0x93, 0xd8),
    more_lines: [rgb(0xe0, 0x8a, 0x3c), rgb(0x9b, 0x6b, 0xd6)],
    band: rgb(0x8e, 0x0e, 0x0e),
    band_ink: Color32::WHITE,
};

/// Dark text on light grey.
pub const LIGHT: Palette = Palette {
    dark: false,
    panel: rgb(0xee, 0xf0, 0xf3),
    extreme: rgb(0xe4, 0xe7, 0xeb),
    faint: rgb(0xdd, 0xe1, 0xe6),
    card: rgb(0xfb, 0xfb, 0xfc),
    card_stroke: rgb(0xc8, 0xcc, 0xd2),
    text: None,
    weak_text: Some(rgb(0x5a, 0x60, 0x68)),
    ok: rgb(0x1b, 0x6e, 0x20),
    warn: rgb(0x8a, 0x50, 0x00),
    crit: rgb(0xb7, 0x1c, 0x1c),
    active: rgb(0x0d, 0x47, 0xa1),
    ok_fill: rgb(0x81, 0xc7, 0x84),
    warn_fill: rgb(0xff, 0xcc, 0x80),
    crit_fill: rgb(0xef, 0x9a, 0x9a),
    gen_line: rgb(0x01, 0x57, 0x9b),
    prompt_line: rgb(0x6a, 0x1b, 0x9a),
    more_lines: [rgb(0xa8, 0x4a, 0x00), rgb(0x5e, 0x35, 0xb1)],
    band: rgb(0x9a, 0x10, 0x10),
    band_ink: Color32::WHITE,
};

/// Okabe–Ito hues on dark grey: blue / yellow / vermillion, never red against green.
pub const COLOUR_BLIND: Palette = Palette {
    dark: true,
    panel: rgb(0x17, 0x19, 0x1d),
    extreme: rgb(0x11, 0x13, 0x16),
    faint: rgb(0x2b, 0x2f, 0x35),
    card: rgb(0x22, 0x25, 0x2a),
    card_stroke: rgb(0x3a, 0x3f, 0x47),
    text: Some(rgb(0xc0, 0xc4, 0xca)),
    weak_text: Some(rgb(0x9a, 0xa0, 0xa8)),
    ok: rgb(0x56, 0xb4, 0xe9),
    warn: rgb(0xf0, 0xe4, 0x42),
    crit: rgb(0xff, 0x85, 0x4d),
    active: rgb(0xdc, 0x8f, 0xbb),
    ok_fill: rgb(0x00, 0x72, 0xb2),
    warn_fill: rgb(0xe0, 0xd0, 0x30),
    crit_fill: rgb(0xd5, 0x5e, 0x00),
    gen_line: rgb(0x56, 0xb4, 0xe9),
    prompt_line: rgb(0xe6, 0x9f, 0x00),
    more_lines: [rgb(0x00, 0x9e, 0x73), rgb(0xcc, 0x79, 0xa7)],
    band: rgb(0x8f, 0x3a, 0x00),
    band_ink: Color32::WHITE,
};

/// White on black; every text colour at least 7:1 on every background.
pub const HIGH_CONTRAST: Palette = Palette {
    dark: true,
    panel: rgb(0x00, 0x00, 0x00),
    extreme: rgb(0x00, 0x00, 0x00),
    faint: rgb(0x1a, 0x1a, 0x1a),
    card: rgb(0x0a, 0x0a, 0x0a),
    card_stroke: rgb(0xff, 0xff, 0xff),
    text: Some(Color32::WHITE),
    weak_text: Some(rgb(0xd0, 0xd0, 0xd0)),
    ok: rgb(0x7d, 0xd3, 0xff),
    warn: rgb(0xff, 0xe0, 0x4d),
    crit: rgb(0xff, 0x8c, 0x8c),
    active: rgb(0xe0, 0xb0, 0xff),
    ok_fill: rgb(0x1f, 0x6f, 0xa8),
    warn_fill: rgb(0xa8, 0x8a, 0x00),
    crit_fill: rgb(0xc0, 0x30, 0x30),
    gen_line: rgb(0x7d, 0xd3, 0xff),
    prompt_line: rgb(0xff, 0xe0, 0x4d),
    more_lines: [rgb(0x80, 0xff, 0xc0), rgb(0xff, 0xa0, 0xe0)],
    band: rgb(0x7a, 0x00, 0x00),
    band_ink: Color32::WHITE,
};

/// Every theme's table.
pub const ALL: [&Palette; 4] = [&DARK, &LIGHT, &COLOUR_BLIND, &HIGH_CONTRAST];

/// The table the visuals were built from (by their panel fill, which each theme has its own
/// of); visuals from elsewhere get dark's or light's.
#[must_use]
pub fn of(v: &Visuals) -> &'static Palette {
    ALL.into_iter()
        .find(|p| p.panel == v.panel_fill)
        .unwrap_or(if v.dark_mode { &DARK } else { &LIGHT })
}

/// egui's visuals with this table's colours.
#[must_use]
pub fn visuals(p: &Palette) -> Visuals {
    let mut v = if p.dark {
        Visuals::dark()
    } else {
        Visuals::light()
    };
    v.panel_fill = p.panel;
    v.extreme_bg_color = p.extreme;
    v.faint_bg_color = p.faint;
    v.window_fill = p.card;
    v.override_text_color = p.text;
    v.weak_text_color = p.weak_text;
    if p.card_stroke == Color32::WHITE {
        // High contrast: widgets' own text and outlines in full white as well.
        for w in [
            &mut v.widgets.noninteractive,
            &mut v.widgets.inactive,
            &mut v.widgets.hovered,
            &mut v.widgets.active,
            &mut v.widgets.open,
        ] {
            w.fg_stroke.color = Color32::WHITE;
            w.bg_stroke.color = p.card_stroke;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG 2 relative luminance of an opaque colour.
    fn luminance(c: Color32) -> f64 {
        let lin = |u: u8| {
            let x = f64::from(u) / 255.0;
            if x <= 0.039_28 {
                x / 12.92
            } else {
                ((x + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(c.r()) + 0.7152 * lin(c.g()) + 0.0722 * lin(c.b())
    }

    /// `fg` (possibly translucent, premultiplied) drawn over the opaque `bg`.
    fn over(fg: Color32, bg: Color32) -> Color32 {
        let a = f32::from(fg.a()) / 255.0;
        let mix = |f: u8, b: u8| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let v = (f32::from(f) + f32::from(b) * (1.0 - a)).round().min(255.0) as u8;
            v
        };
        Color32::from_rgb(
            mix(fg.r(), bg.r()),
            mix(fg.g(), bg.g()),
            mix(fg.b(), bg.b()),
        )
    }

    /// WCAG 2 contrast ratio.
    fn contrast(fg: Color32, bg: Color32) -> f64 {
        let (a, b) = (luminance(over(fg, bg)), luminance(bg));
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    fn name(p: &Palette) -> &'static str {
        match p.panel {
            x if x == DARK.panel => "dark",
            x if x == LIGHT.panel => "light",
            x if x == COLOUR_BLIND.panel => "colour-blind",
            _ => "high contrast",
        }
    }

    #[test]
    fn every_text_colour_reads_on_every_background_of_its_theme() {
        let mut failures = Vec::new();
        for p in ALL {
            let v = visuals(p);
            // AAA (7:1) for the high-contrast theme, AA (4.5:1) for the others.
            let least = if p.panel == HIGH_CONTRAST.panel {
                7.0
            } else {
                4.5
            };
            let texts = [
                ("text", v.text_color()),
                ("strong text", v.strong_text_color()),
                ("weak text", v.weak_text_color()),
                ("ok", p.ok),
                ("warning", p.warn),
                ("critical", p.crit),
                ("in progress", p.active),
            ];
            let backgrounds = [
                ("panel", p.panel),
                ("card", p.card),
                ("tile", p.faint),
                ("plot", p.extreme),
            ];
            for (tn, t) in texts {
                for (bn, b) in backgrounds {
                    let r = contrast(t, b);
                    if r < least {
                        failures.push(format!(
                            "{}: {tn} {t:?} on {bn} {b:?} is {r:.2}:1, under {least}:1",
                            name(p)
                        ));
                    }
                }
            }
            let band = contrast(p.band_ink, p.band);
            if band < 7.0 {
                failures.push(format!(
                    "{}: the critical band's text is {band:.2}:1",
                    name(p)
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn each_theme_is_found_again_from_its_visuals() {
        for p in ALL {
            let v = visuals(p);
            assert_eq!(of(&v), p, "{}", name(p));
            // The plots and the level colours follow the theme.
            assert_eq!(
                super::super::series_lines(&v),
                [p.gen_line, p.prompt_line, p.more_lines[0], p.more_lines[1]]
            );
            assert_eq!(
                super::super::level_color(&v, super::super::Level::Crit),
                p.crit
            );
            assert_eq!(
                super::super::card_frame(&egui::Style {
                    visuals: v,
                    ..Default::default()
                })
                .fill,
                p.card
            );
        }
        let mut panels: Vec<Color32> = ALL.iter().map(|p| p.panel).collect();
        panels.dedup();
        assert_eq!(
            panels.len(),
            ALL.len(),
            "every theme has its own panel fill"
        );
    }

    /// A colour as a deuteranope sees it (Viénot, Brettel & Mollon 1999, in linear RGB).
    fn deuteranope(c: Color32) -> [f64; 3] {
        let lin = |u: u8| (f64::from(u) / 255.0).powf(2.2);
        let (r, g, b) = (lin(c.r()), lin(c.g()), lin(c.b()));
        let rg = 0.292_75 * r + 0.707_25 * g;
        [rg, rg, (-0.022_34 * r + 0.022_34 * g + b).clamp(0.0, 1.0)].map(|x| x.powf(1.0 / 2.2))
    }

    fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            .sqrt()
    }

    #[test]
    fn the_colour_blind_theme_keeps_its_states_apart_without_red_and_green() {
        let p = &COLOUR_BLIND;
        // Good is blue, not green: no red/green pair tells good from bad.
        for (what, c) in [("ok", p.ok), ("ok bar", p.ok_fill)] {
            assert!(c.b() > c.g() && c.b() > c.r(), "{what} {c:?} is not blue");
        }
        // Seen with deuteranopia, good, warning and critical still differ (text and bars).
        for set in [
            [p.ok, p.warn, p.crit],
            [p.ok_fill, p.warn_fill, p.crit_fill],
        ] {
            for i in 0..3 {
                for j in i + 1..3 {
                    let d = distance(deuteranope(set[i]), deuteranope(set[j]));
                    assert!(
                        d > 0.15,
                        "{:?} and {:?} look alike ({d:.3})",
                        set[i],
                        set[j]
                    );
                }
            }
        }
        // The default dark theme's green and red are the pair this theme avoids.
        let d = distance(deuteranope(DARK.ok), deuteranope(DARK.crit));
        let cb = distance(deuteranope(p.ok), deuteranope(p.crit));
        assert!(cb > d, "colour-blind {cb:.3} vs dark {d:.3}");
    }
}
