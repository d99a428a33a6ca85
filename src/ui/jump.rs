//! "Jump to" (Ctrl+K, or the header's button): type part of a node's, GPU's or model's name and
//! open its detail view — on a cluster of a thousand nodes, faster than scrolling. Every word
//! typed must appear (in any order, any case), and what holds the words as typed comes first;
//! arrows move, Enter opens, Esc closes.

use crate::history::detail::Target;
use crate::model::redact::redact_urls;
use crate::model::views::{GpuCard, InferenceCard, Views};

/// Matches listed at most.
pub const MAX_SHOWN: usize = 12;

/// The palette's state (this session only).
#[derive(Debug, Clone, Default)]
pub struct JumpState {
    /// Shown.
    pub open: bool,
    /// What was typed.
    pub query: String,
    /// The highlighted match.
    pub selected: usize,
}

/// The detail view a GPU card opens.
#[must_use]
pub fn gpu_target(c: &GpuCard) -> Target {
    Target::Gpu {
        node: c.node.to_string(),
        gpu: c.gpu.key(),
    }
}

/// The detail view a server card opens.
#[must_use]
pub fn server_target(c: &InferenceCard) -> Target {
    Target::Server {
        node: c.node.to_string(),
        source: redact_urls(&c.source.locator).into_owned(),
        model: c.stats.model.clone().unwrap_or_default(),
    }
}

/// Everything one can jump to, in the views' order: nodes, GPUs, models; each with the words it
/// is found by.
#[must_use]
pub fn targets(views: &Views) -> Vec<(String, Target)> {
    let nodes = views.nodes.iter().map(|n| {
        (
            format!("node {} · {}", n.name, n.health.label()),
            Target::Node {
                node: n.name.clone(),
            },
        )
    });
    let gpus = views.gpus.iter().map(|c| {
        (
            format!(
                "{} on {} · {} · {}",
                super::gpu_cards::gpu_title(&c.gpu),
                c.node,
                c.gpu.name.as_deref().unwrap_or("GPU"),
                c.gpu.uuid.as_deref().unwrap_or("")
            ),
            gpu_target(c),
        )
    });
    let servers = views.inference.iter().map(|c| {
        (
            format!(
                "model {} on {} · {}",
                c.stats.model.as_deref().unwrap_or("(unnamed)"),
                c.node,
                c.kind.map_or("server", |k| k.as_str())
            ),
            server_target(c),
        )
    });
    nodes.chain(gpus).chain(servers).collect()
}

/// Whether every word of `query` appears in `label` (case-insensitive); an empty query matches.
#[must_use]
pub fn matches(query: &str, label: &str) -> bool {
    let label = label.to_lowercase();
    query
        .split_whitespace()
        .all(|w| label.contains(&w.to_lowercase()))
}

/// Open on Ctrl+K (Cmd+K); draw the palette when open. Returns the target picked.
pub fn jump_ui(ctx: &egui::Context, st: &mut JumpState, views: &Views) -> Option<Target> {
    if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::K)) {
        st.open = true;
        st.query.clear();
        st.selected = 0;
    }
    if !st.open {
        return None;
    }
    let all = targets(views);
    let mut found: Vec<&(String, Target)> = all
        .iter()
        .filter(|(label, _)| matches(&st.query, label))
        .collect();
    // What holds the query as typed (a phrase) first; the views' order otherwise.
    let phrase = st.query.trim().to_lowercase();
    found.sort_by_key(|(label, _)| !label.to_lowercase().contains(&phrase));
    let more = found.len().saturating_sub(MAX_SHOWN);
    found.truncate(MAX_SHOWN);
    let (up, down, enter, esc) = ctx.input(|i| {
        (
            i.key_pressed(egui::Key::ArrowUp),
            i.key_pressed(egui::Key::ArrowDown),
            i.key_pressed(egui::Key::Enter),
            i.key_pressed(egui::Key::Escape),
        )
    });
    if down {
        st.selected = (st.selected + 1).min(found.len().saturating_sub(1));
    }
    if up {
        st.selected = st.selected.saturating_sub(1);
    }
    st.selected = st.selected.min(found.len().saturating_sub(1));
    let mut picked = None;
    egui::Window::new("Jump to")
        .id(egui::Id::unique("swarmglass_jump"))
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 80.0))
        .default_width(560.0)
        .show(ctx, |ui| {
            let edit = ui.add(
                egui::TextEdit::singleline(&mut st.query)
                    .hint_text("a node, GPU or model: e.g. node-12, H100, qwen")
                    .desired_width(540.0),
            );
            edit.request_focus();
            if edit.changed() {
                st.selected = 0;
            }
            if found.is_empty() {
                ui.label(egui::RichText::new("Nothing matches.").weak());
            }
            for (i, (label, target)) in found.iter().enumerate() {
                if ui.selectable_label(i == st.selected, label).clicked() {
                    picked = Some(target.clone());
                }
            }
            if more > 0 {
                ui.label(
                    egui::RichText::new(format!("… {more} more: type more of the name")).weak(),
                );
            }
        });
    if enter && picked.is_none() {
        picked = found.get(st.selected).map(|(_, t)| t.clone());
    }
    if picked.is_some() || esc {
        st.open = false;
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_must_appear_in_any_order_and_case() {
        let label = "GPU 3 on node-12 · NVIDIA H100 80GB HBM3 · GPU-abc";
        assert!(matches("", label));
        assert!(matches("h100 NODE-12", label));
        assert!(matches("gpu 3", label));
        assert!(!matches("h100 node-13", label));
    }
}
