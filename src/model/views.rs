//! The view layer: the one read of the model that the window, `snapshot`, `watch` and the alert
//! rules share. [`Views::build`] names every source's node ([`super::identity`]), gathers nodes
//! with their worst health, one GPU card per GPU (by UUID, whichever sources see it), one card
//! per model per inference server and the cluster summary, each list in natural order
//! (`node-2` before `node-10`, [`natural_cmp`]) so nothing jumps. [`super::Model::views`] builds
//! it once per change and hands out references.
//!
//! A fleet changes a source at a time, so a build reuses what did not change ([`ViewsMemo`]):
//! the node naming is taken over from the last views when the rule's inputs hash the same
//! ([`identity::fingerprint`]), a node's GPU cards are moved over from the last views when
//! every reading they were made from is the same one (the same shared sample, origin and health)
//! and the node's models are too, and a server's cards when they equal what its source gives
//! now — only the nodes whose sources changed are built again. The cards and that memo are in
//! `views_cards.rs`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;

use super::gpu::{GpuOrigin, GpuSample};
use super::health::Health;
use super::identity::{self, Member, Naming, ProxyEntry};

use super::ids::{SourceId, SourceKind};
use super::inference::InferenceStats;
use super::scrape::ServerKind;
use super::text::natural_cmp;
use super::{HostStats, Model, SourceState};
use crate::format;
pub use cards::ViewsMemo;
use cards::{NodeGpus, gpu_cards, inference_cards, source_key};

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
    /// What each node's GPU cards were made from, and where they are in `gpus`.
    gpu_memo: HashMap<String, NodeGpus>,
    /// This build's number (unique in the process), see [`Views::build_id`].
    build_id: u64,
}

/// Numbers the builds of views: what a painter caches from one build is keyed by it.
static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn status_health(healthy: Option<bool>, at: SystemTime) -> Health {
    match healthy {
        Some(true) => Health::Up { since: at },
        Some(false) => Health::Down {
            since: at,
            reason: "the proxy reports it unhealthy".into(),
        },
        None => Health::Unknown,
    }
}

fn is_up(h: &Health) -> bool {
    matches!(h, Health::Up { .. })
}

fn blank_node(name: &str) -> NodeView {
    NodeView {
        name: name.to_owned(),
        health: Health::Unknown,
        worst_source: None,
        sources: 0,
        sources_up: 0,
        gpus: 0,
        host: None,
        models: Vec::new(),
    }
}

/// Count one source (or proxy verdict) of health `h` into its node.
fn merge_health(n: &mut NodeView, h: &Health, who: impl FnOnce() -> String) {
    let first = n.sources == 0;
    n.sources += 1;
    if is_up(h) {
        n.sources_up += 1;
    }
    if first || h.severity() > n.health.severity() {
        n.health = h.clone();
        n.worst_source = (!is_up(h)).then(who);
    }
}

fn add_model(models: &mut Vec<String>, m: &str) {
    if !models.iter().any(|x| x == m) {
        models.push(m.to_owned());
    }
}

/// The sources that count and describe a machine: not status endpoints, not the Prometheus
/// servers a fleet is read through (their targets are the machine sources).
fn machine_sources(model: &Model) -> impl Iterator<Item = &SourceState> {
    model.sources().values().filter(|s| {
        s.in_views() && !matches!(s.id.kind, SourceKind::Status | SourceKind::PrometheusServer)
    })
}

/// Status sources that count and have answered at least once.
fn status_sources(model: &Model) -> impl Iterator<Item = &SourceState> {
    model
        .sources()
        .values()
        .filter(|s| s.in_views() && s.id.kind == SourceKind::Status && s.status.is_some())
}

/// The node naming of `model`: `memo`'s when the rule's inputs are unchanged, else resolved.
fn naming(model: &Model, memo: Option<&ViewsMemo>) -> (u64, Arc<Naming>) {
    let members: Vec<Member<'_>> = machine_sources(model)
        .map(|s| Member {
            id: &s.id,
            named: s.node_named,
            reported: s.host_name.as_deref(),
            gpus: &s.gpus,
        })
        .collect();
    let proxy: Vec<ProxyEntry<'_>> = status_sources(model)
        .filter_map(|s| s.status.as_ref())
        .flat_map(|st| st.nodes.iter())
        .map(|n| ProxyEntry {
            name: &n.name,
            host: n.host.as_deref(),
        })
        .collect();
    let key = identity::fingerprint(&members, &proxy);
    match memo {
        Some(m) if m.key == key => (key, Arc::clone(&m.naming)),
        _ => (key, Arc::new(identity::resolve(&members, &proxy))),
    }
}

/// `items` in natural order of their `node` (by `rank`), then by `then`. The items are large
/// (cards), so their positions are sorted and each item is moved once, into its place.
fn by_node<T>(
    items: Vec<T>,
    rank: &NodeRank<'_>,
    node: impl for<'x> Fn(&'x T) -> &'x str,
    then: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> Vec<T> {
    let mut order: Vec<(usize, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (rank.of(node(item)), i))
        .collect();
    order.sort_by(|&(ra, ia), &(rb, ib)| ra.cmp(&rb).then_with(|| then(&items[ia], &items[ib])));
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|(_, i)| slots.get_mut(i).and_then(Option::take))
        .collect()
}

/// Each node's place in natural order of names (`node-2` before `node-10`), computed once per
/// build so the lists sort by a number instead of comparing names pair by pair.
struct NodeRank<'a>(HashMap<&'a str, usize>);

impl<'a> NodeRank<'a> {
    /// Rank `names` (each once) in natural order.
    fn new(names: impl Iterator<Item = &'a str>) -> (Self, Vec<&'a str>) {
        let mut sorted: Vec<&str> = names.collect();
        sorted.sort_by(|a, b| natural_cmp(a, b));
        Self::ordered(sorted.into_iter())
    }

    /// Rank `names`, already in natural order.
    fn ordered(names: impl Iterator<Item = &'a str>) -> (Self, Vec<&'a str>) {
        let sorted: Vec<&str> = names.collect();
        let rank = sorted.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        (Self(rank), sorted)
    }

    /// The place of `name` (unknown names last).
    fn of(&self, name: &str) -> usize {
        self.0.get(name).copied().unwrap_or(usize::MAX)
    }
}

/// The node named `name` in `nodes`, added blank when it is new.
fn node_entry<'n, 'a>(
    nodes: &'n mut HashMap<&'a str, NodeView>,
    name: &'a str,
) -> &'n mut NodeView {
    nodes.entry(name).or_insert_with(|| blank_node(name))
}

impl Views {
    /// Build every view of `model`, taking over from `memo` (the views before) the naming
    /// when its inputs are unchanged and each node's GPU cards when their readings are.
    #[must_use]
    pub fn build(model: &Model, mut memo: Option<ViewsMemo>) -> Self {
        let (naming_key, naming) = naming(model, memo.as_ref());
        if memo.as_ref().is_some_and(|m| m.key != naming_key) {
            // Another naming: nodes may have other names and sources; build every card.
            memo = None;
        }
        // By name while they are gathered; natural order comes from `NodeRank` after.
        let mut nodes: HashMap<&str, NodeView> = HashMap::default();
        // Every source that counts with its node, looked up once.
        // The model and the naming both keep sources in the order of their ids: one walk of the
        // naming alongside the sources finds each one's node (`Naming::node_of`, without a
        // lookup per source).
        let mut named = naming.sources.iter().peekable();
        let shown: Vec<(&SourceState, &str)> = machine_sources(model)
            .map(|s| {
                while named.next_if(|(id, _)| **id < s.id).is_some() {}
                let node = match named.peek() {
                    Some((id, node)) if **id == s.id => node.as_str(),
                    _ => naming.node_of(&s.id),
                };
                (s, node)
            })
            .collect();
        for &(s, name) in &shown {
            let n = node_entry(&mut nodes, name);
            merge_health(n, &s.health.health, || s.id.to_string());
            if s.host.is_some() {
                n.host = s.host;
            }
            for m in s.inference.iter().filter_map(|i| i.model.as_deref()) {
                add_model(&mut n.models, m);
            }
        }
        let mut proxy_unhealthy = BTreeSet::new();
        let mut proxy_view = None;
        for s in status_sources(model) {
            let (Some(status), Some(at)) = (&s.status, s.health.last_ok) else {
                continue;
            };
            let answering = is_up(&s.health.health);
            if answering && proxy_view.is_none() {
                proxy_view = Some(status);
            }
            for sn in &status.nodes {
                let name = naming.proxy_node(&sn.name);
                let h = if answering {
                    status_health(sn.healthy, at)
                } else {
                    Health::Unknown
                };
                if answering && sn.healthy == Some(false) {
                    proxy_unhealthy.insert(name.to_owned());
                }
                let n = node_entry(&mut nodes, name);
                merge_health(n, &h, || format!("proxy {}", s.id.locator));
                if let Some(m) = &sn.model {
                    add_model(&mut n.models, m);
                }
            }
        }
        // The natural order of the nodes before, when the nodes are the same ones.
        let order = memo
            .as_mut()
            .map(|m| std::mem::take(&mut m.order))
            .filter(|o| o.len() == nodes.len() && o.iter().all(|n| nodes.contains_key(n.as_str())));
        let (rank, names) = match &order {
            Some(o) => NodeRank::ordered(o.iter().map(String::as_str)),
            None => NodeRank::new(nodes.keys().copied()),
        };
        let (gpus, gpu_memo) = gpu_cards(&shown, &nodes, &rank, &names, memo.as_mut());
        for (name, m) in &gpu_memo {
            if let Some(n) = nodes.get_mut(name.as_str()) {
                n.gpus = m.len;
            }
        }
        let nodes: Vec<NodeView> = names.iter().filter_map(|n| nodes.remove(n)).collect();

        let inference = inference_cards(&shown, memo.as_mut());
        let inference = by_node(
            inference,
            &rank,
            |c| &c.node,
            |a, b| {
                natural_cmp(&a.source.locator, &b.source.locator)
                    .then_with(|| a.stats.model.cmp(&b.stats.model))
            },
        );

        let up = nodes.iter().filter(|n| is_up(&n.health)).count();
        let known = nodes
            .iter()
            .filter(|n| !matches!(n.health, Health::Unknown))
            .count();
        let overall = if known == 0 {
            Overall::Unknown
        } else if up == nodes.len() {
            Overall::AllUp
        } else if up == 0 {
            Overall::Down
        } else {
            Overall::Degraded
        };
        let cluster = ClusterView {
            overall,
            nodes_up: up,
            nodes_total: nodes.len(),
            failover_ready: proxy_view.and_then(|s| s.failover_ready),
            active_node: proxy_view
                .and_then(|s| s.active_node.as_deref())
                .map(|a| naming.proxy_node(a).to_owned()),
        };
        Self {
            cluster,
            nodes,
            gpus,
            inference,
            proxy_unhealthy,
            naming,
            naming_key,
            gpu_memo,
            build_id: BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// A number no other build of views in this process has: what is drawn from these views
    /// (the fleet matrix's mesh) can be kept while it stays the same. A clone keeps it.
    #[must_use]
    pub fn build_id(&self) -> u64 {
        self.build_id
    }

    /// What the next build may take over once these views are dropped.
    #[must_use]
    pub fn into_memo(self) -> ViewsMemo {
        ViewsMemo {
            key: self.naming_key,
            naming: self.naming,
            order: self.nodes.into_iter().map(|n| n.name).collect(),
            gpus: self.gpus.into_iter().map(Some).collect(),
            gpu_memo: self.gpu_memo,
            inference_memo: self
                .inference
                .into_iter()
                .map(|c| (source_key(&c.source), c))
                .collect(),
        }
    }

    /// The node `id` is shown on.
    #[must_use]
    pub fn node_of<'a>(&'a self, id: &'a SourceId) -> &'a str {
        self.naming.node_of(id)
    }
}

#[path = "views_cards.rs"]
mod cards;

#[cfg(test)]
#[path = "views_tests.rs"]
mod tests;
