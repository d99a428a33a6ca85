//! Cluster status as reported by the smart proxy's `/status` (canonical shape, see
//! `docs/DATA-FORMATS.md`). Plain data.

use serde::Serialize;

/// One node as the proxy sees it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct StatusNode {
    /// Node name.
    pub name: String,
    /// Host or address, if given.
    pub host: Option<String>,
    /// Whether the proxy considers the node healthy; `None` when it does not say.
    pub healthy: Option<bool>,
    /// Model served, if given.
    pub model: Option<String>,
    /// GPU utilisation %, if given.
    pub gpu_util_pct: Option<f64>,
    /// VRAM used %, if given.
    pub vram_used_pct: Option<f64>,
    /// GPU temperature °C, if given.
    pub temp_c: Option<f64>,
}

/// The whole `/status` answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ClusterStatus {
    /// Overall health as the proxy reports it.
    pub healthy: Option<bool>,
    /// Whether the proxy can fail over (derived: more than one healthy node, when absent).
    pub failover_ready: Option<bool>,
    /// The node currently serving.
    pub active_node: Option<String>,
    /// Nodes, in the order given (a map is sorted by key).
    pub nodes: Vec<StatusNode>,
    /// Node entries that were not node objects and were skipped, one line each (at most 20):
    /// they make no node.
    pub problems: Vec<String>,
    /// How many node entries were skipped (may exceed the lines kept in `problems`).
    pub skipped: usize,
}

impl ClusterStatus {
    /// Number of nodes reported healthy.
    #[must_use]
    pub fn healthy_count(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| n.healthy == Some(true))
            .count()
    }

    /// The skipped node entries as one message for the error log; `None` when none was.
    #[must_use]
    pub fn problems_summary(&self) -> Option<String> {
        (self.skipped > 0).then(|| {
            let mut m = format!(
                "{} node entr{} of /status skipped (not a node object); the other {} node(s) were used. The proxy's `nodes` must hold one object per node",
                self.skipped,
                if self.skipped == 1 { "y" } else { "ies" },
                self.nodes.len()
            );
            for p in &self.problems {
                m.push('\n');
                m.push_str(p);
            }
            m
        })
    }
}
