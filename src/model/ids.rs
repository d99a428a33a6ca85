//! Identifiers of sources and nodes.

use serde::Serialize;

/// Identifies one configured source: its kind and URL (or `nvml`), plus the node it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SourceId {
    /// Node this source belongs to (shown on cards).
    pub node: String,
    /// `prometheus`, `status`, `nvml`, `nvidia_smi`.
    pub kind: String,
    /// URL or other locator (`local`).
    pub locator: String,
}

impl SourceId {
    /// Build an id.
    #[must_use]
    pub fn new(
        node: impl Into<String>,
        kind: impl Into<String>,
        locator: impl Into<String>,
    ) -> Self {
        Self {
            node: node.into(),
            kind: kind.into(),
            locator: locator.into(),
        }
    }
}

impl std::fmt::Display for SourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.kind, self.locator, self.node)
    }
}
