//! The view layer: the one read of the model that the window, `snapshot`, `watch` and the alert
//! rules share. [`Views::build`] names every source's node ([`super::identity`]), gathers nodes
//! with their worst health, one GPU card per GPU (by UUID, whichever sources see it), one card
//! per model per inference server and the cluster summary, each list in natural order
//! (`node-2` before `node-10`, [`super::text::natural_cmp`]) so nothing jumps. [`super::Model::views`] builds
//! it once per change and hands out references.
//!
//! A fleet changes a source at a time, so a build starts from the views before and what changed
//! since ([`Changes`], kept by the model): when no changed source touches the node naming (its
//! inputs hash the same) and no proxy status changed, only the nodes of the changed sources are
//! built again and put in place of theirs — the cost of an update is its node's, not the
//! fleet's. Anything else (a new source, a new host name, a proxy's answer) builds everything,
//! reusing the naming while its inputs' fingerprint ([`super::identity::fingerprint`]) is the same.
//! Either way the views equal a build from scratch. The builds are in `views_build.rs`, how a
//! node's cards are made in `views_cards.rs`.

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

use super::gpu::{GpuOrigin, GpuSample};
use super::health::Health;
use super::identity::Naming;

use super::HostStats;
use super::ids::SourceId;
use super::inference::InferenceStats;
use super::scrape::ServerKind;
use crate::format;

/// Hash maps keyed by names and UUIDs, rebuilt on every build: foldhash (already in the tree
/// under hashbrown) instead of SipHash, which showed as a tenth of a build at 8,000 GPUs.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// One node: every source that belongs to it, and what the proxy says of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeView {
    /// Node name.
    pub name: String,
    /// Worst health of its sources (and of the proxy's verdict).
    pub health: Health,
    /// Which source is worst, when it is not up.
    pub worst_source: Option<String>,
    /// Sources configured for it.
    pub sources: usize,
    /// Sources up.
    pub sources_up: usize,
    /// GPUs seen on it (each GPU once, however many sources see it).
    pub gpus: usize,
    /// Host figures, if a node_exporter is configured.
    pub host: Option<HostStats>,
    /// Models served on it.
    pub models: Vec<String>,
}

/// One GPU card: one GPU, however many sources see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuCard {
    /// Node it belongs to (the name shared by the node's cards).
    pub node: Arc<str>,
    /// Where the reading came from (the first of the sources that see it: NVML before
    /// `nvidia-smi` before the exporters).
    pub origin: GpuOrigin,
    /// The reading: that source's figures, the gaps filled from the others (shared with the
    /// source when no other source fills a gap).
    pub gpu: Arc<GpuSample>,
    /// Model(s) served on that node, joined with ", " (shared by the node's cards).
    pub model: Option<Arc<str>>,
    /// Health of the source that reported it.
    pub health: Health,
}

/// One model on one inference server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InferenceCard {
    /// Node the server belongs to.
    pub node: String,
    /// The server's source.
    pub source: SourceId,
    /// Server kind (configured or detected).
    pub kind: Option<ServerKind>,
    /// Health of the source.
    pub health: Health,
    /// The figures.
    pub stats: InferenceStats,
}

impl GpuCard {
    /// The card's figures in one line, as `snapshot` prints them and the window copies them:
    /// "node #0 NVIDIA H100 … util 82%  vram 75.0% (60 GiB / 80 GiB)  temp 45 °C …".
    #[must_use]
    pub fn summary(&self) -> String {
        let gpu = &self.gpu;
        format!(
            "{} #{} {:<26} util {:>6}  vram {:>6} ({} / {})  temp {:>6}  power {:>7}  model {}",
            self.node,
            gpu.index.map_or_else(|| "?".to_owned(), |i| i.to_string()),
            gpu.name.as_deref().unwrap_or("n/a"),
            format::pct(gpu.util_pct, 0),
            format::pct(gpu.mem_used_pct(), 1),
            format::size(gpu.mem_used_bytes),
            format::size(gpu.mem_total_bytes),
            format::temp(gpu.temp_c, 0),
            format::watts(gpu.power_w),
            self.model.as_deref().unwrap_or("n/a"),
        )
    }
}

impl InferenceCard {
    /// The card's figures in three lines, as `snapshot` prints them and the window copies them.
    #[must_use]
    pub fn summary(&self) -> String {
        inference_summary(&self.node, self.kind, &self.stats)
    }
}

/// One model's figures on a server of `kind` on `node`, in three lines (see
/// [`InferenceCard::summary`]).
#[must_use]
pub fn inference_summary(node: &str, kind: Option<ServerKind>, st: &InferenceStats) -> String {
    format!(
        "{} {} [{}]\n  gen {}  prompt {}  running {}  waiting {}  KV {}  requests {}  errors {}\n  TTFT p50 {} p95 {}  e2e p50 {} p95 {}  ITL p50 {}",
        node,
        st.model.as_deref().unwrap_or("(model n/a)"),
        kind.map_or("?", |k| k.as_str()),
        format::tps(st.gen_tps),
        format::tps(st.prompt_tps),
        format::count(st.running),
        format::count(st.waiting),
        format::pct(st.kv_cache_pct, 1),
        format::rate(st.requests_per_s, "req/s"),
        format::pct(st.error_pct, 1),
        format::seconds(st.ttft.p50_s),
        format::seconds(st.ttft.p95_s),
        format::seconds(st.e2e.p50_s),
        format::seconds(st.e2e.p95_s),
        format::seconds(st.itl.p50_s),
    )
}

/// Overall state of the cluster, readable at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overall {
    /// No data yet.
    Unknown,
    /// Every node up.
    AllUp,
    /// Some nodes stale or down.
    Degraded,
    /// No node up.
    Down,
}

impl Overall {
    /// Words for the header.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Unknown => "waiting for data",
            Self::AllUp => "all up",
            Self::Degraded => "degraded",
            Self::Down => "down",
        }
    }
}

/// The cluster card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterView {
    /// At-a-glance state.
    pub overall: Overall,
    /// Nodes up.
    pub nodes_up: usize,
    /// Nodes known.
    pub nodes_total: usize,
    /// Failover readiness from the proxy (derived there when absent), `None` without a proxy.
    pub failover_ready: Option<bool>,
    /// The proxy's active node (by the node name shown here).
    pub active_node: Option<String>,
}

/// Every view of one state of the model.
#[derive(Debug, Clone)]
pub struct Views {
    /// The cluster summary.
    pub cluster: ClusterView,
    /// Nodes, in natural order of name.
    pub nodes: Vec<NodeView>,
    /// GPU cards, in natural order of node (each node's cards side by side, in the order of
    /// `nodes`), then by index and UUID.
    pub gpus: Vec<GpuCard>,
    /// Inference cards, in natural order of node, then server URL, then model.
    pub inference: Vec<InferenceCard>,
    /// Nodes an answering proxy reports unhealthy.
    pub proxy_unhealthy: BTreeSet<String>,
    /// The node of every source and proxy entry.
    pub naming: Arc<Naming>,
    /// The hash of the naming rule's inputs `naming` was made from.
    naming_key: u64,
    /// Each node's sources (in the model's order), by node name: what a node is built from
    /// again. Made with the naming, shared while it is reused.
    node_sources: Arc<HashMap<String, Vec<SourceId>>>,
    /// One per node, same order: where its cards are and what the proxy said of it.
    spans: Vec<Span>,
}

/// What the proxy says of one node: counted into its health and models like a source.
#[derive(Debug, Clone)]
struct ProxyPart {
    health: Health,
    /// Names the proxy when it is the node's worst: "proxy URL".
    who: Arc<str>,
    model: Option<String>,
}

/// A GPU at or above this temperature (°C) counts as hot in the summaries.
pub const HOT_C: f64 = 83.0;

/// How many of `cards` are hot ([`HOT_C`]).
fn hot(cards: &[GpuCard]) -> usize {
    cards
        .iter()
        .filter(|c| c.gpu.temp_c.is_some_and(|t| t >= HOT_C))
        .count()
}

/// One node's place in the views: its cards' ranges in [`Views::gpus`] and
/// [`Views::inference`], how many of its GPUs are hot, the proxy's word on it, and its
/// revision.
#[derive(Debug, Clone)]
struct Span {
    gpus: Range<usize>,
    inference: Range<usize>,
    hot: usize,
    proxy: Vec<ProxyPart>,
    /// A number given to this node's view and cards when they were made (unique in the
    /// process): the same number, the same node view and cards.
    revision: u64,
}

impl Views {
    /// Each node with its GPU cards and its revision: a number given to the node's view and
    /// cards when they were made, unique in the process — two views that show a node with the
    /// same revision show the same view and cards of it (what is drawn from them can be kept).
    pub fn nodes_with_gpus(&self) -> impl Iterator<Item = (&NodeView, &[GpuCard], u64)> {
        self.nodes.iter().zip(&self.spans).map(|(n, s)| {
            (
                n,
                self.gpus.get(s.gpus.clone()).unwrap_or_default(),
                s.revision,
            )
        })
    }

    /// How many GPUs are hot ([`HOT_C`]), counted as each node is built.
    #[must_use]
    pub fn hot_gpus(&self) -> usize {
        self.spans.iter().map(|s| s.hot).sum()
    }

    /// The node `id` is shown on.
    #[must_use]
    pub fn node_of<'a>(&'a self, id: &'a SourceId) -> &'a str {
        self.naming.node_of(id)
    }
}

#[path = "views_cards.rs"]
mod cards;

#[path = "views_build.rs"]
mod build;
pub use build::Changes;

#[cfg(test)]
#[path = "views_tests.rs"]
mod tests;
