//! How the views are built ([`Views::build`]): every node from scratch, or — from the views
//! before and what changed since ([`Changes`]) — only the nodes of the changed sources, spliced
//! in place of theirs. Part of [`super`]; kept apart to keep that file to the views themselves.

use std::collections::BTreeSet;
use std::hash::{BuildHasher as _, Hash as _, Hasher as _};
use std::sync::Arc;
use std::time::SystemTime;

use super::super::health::Health;
use super::super::identity::{self, Member, ProxyEntry};
use super::super::ids::{SourceId, SourceKind};
use super::super::text::natural_cmp;
use super::super::{Model, SourceState};
use super::cards::{inference_cards, node_cards};
use super::{
    ClusterView, GpuCard, HashMap, InferenceCard, NodeView, Overall, ProxyPart, Span, Views, hot,
};

/// What changed since `before` was built: the sources changed, each with what it was before its
/// first change ([`Before`]). The model keeps it and hands it to the next build.
#[derive(Debug)]
pub struct Changes {
    before: Views,
    sources: HashMap<SourceId, Before>,
}

/// What the views read of a source before it changed: a hash of its naming inputs
/// ([`naming_inputs`]), and whether it was a proxy status the views count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Before {
    naming: u64,
    proxy: bool,
}

impl Before {
    fn of(state: Option<&SourceState>) -> Self {
        Self {
            naming: naming_inputs(state),
            proxy: state.is_some_and(counts_as_proxy),
        }
    }
}

impl Changes {
    /// Nothing changed yet since `before`.
    #[must_use]
    pub fn since(before: Views) -> Self {
        Self {
            before,
            sources: HashMap::default(),
        }
    }

    /// Source `id` is about to change; `state` is what it is now (`None` when it is new).
    /// Call before every change of a source, of any field: the first call since `before` keeps
    /// what the naming rule read of it.
    pub fn mark(&mut self, id: &SourceId, state: Option<&SourceState>) {
        if !self.sources.contains_key(id) {
            self.sources.insert(id.clone(), Before::of(state));
        }
    }
}

/// A hash of what the naming rule reads of one source (`None`: of its absence): whether it
/// counts, its configured name, its reported host name and its GPUs' UUIDs. A changed source
/// whose hash is the same cannot have changed the naming; when it differs the naming may have
/// changed, and the rule's whole fingerprint is taken again.
fn naming_inputs(state: Option<&SourceState>) -> u64 {
    let mut h = NAMING_INPUTS.build_hasher();
    if let Some(s) = state {
        (s.in_views(), s.node_named, s.host_name.as_deref()).hash(&mut h);
        for g in &s.gpus {
            g.uuid.hash(&mut h);
        }
    } else {
        u8::MAX.hash(&mut h);
    }
    h.finish()
}

/// One fixed hasher for [`naming_inputs`]: a hash taken before a change and one taken at the
/// build must agree.
static NAMING_INPUTS: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x5747);

/// Numbers the nodes the builds make ([`Span::revision`]): what a painter draws from a node is
/// kept while its number is the same.
static REVISIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_revision() -> u64 {
    REVISIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

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

/// Whether a source of kind `kind` counts and describes a machine: not a status endpoint, not a
/// Prometheus server a fleet is read through (its targets are the machine sources).
fn is_machine(kind: SourceKind) -> bool {
    !matches!(kind, SourceKind::Status | SourceKind::PrometheusServer)
}

/// The sources that count and describe a machine.
fn machine_sources(model: &Model) -> impl Iterator<Item = &SourceState> {
    model
        .sources()
        .values()
        .filter(|s| s.in_views() && is_machine(s.id.kind))
}

/// Whether `s` is a proxy status the views count: it counts and has answered at least once.
fn counts_as_proxy(s: &SourceState) -> bool {
    s.in_views() && s.id.kind == SourceKind::Status && s.status.is_some()
}

/// The proxy statuses the views count.
fn status_sources(model: &Model) -> impl Iterator<Item = &SourceState> {
    model.sources().values().filter(|s| counts_as_proxy(s))
}

/// The fingerprint of the naming rule's inputs in `model`, and the inputs.
fn naming_key(model: &Model) -> (u64, Vec<Member<'_>>, Vec<ProxyEntry<'_>>) {
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
    (identity::fingerprint(&members, &proxy), members, proxy)
}

/// What one node is made from: its sources (in the model's order) and the proxy's word on it.
#[derive(Default)]
struct Parts<'a> {
    sources: Vec<&'a SourceState>,
    proxy: Vec<ProxyPart>,
}

/// Build node `name` from its sources (the model's order) and the proxy's word on it: its view
/// (returned), its GPU cards and inference cards (appended).
fn build_node(
    name: &str,
    sources: &[&SourceState],
    proxy: &[ProxyPart],
    gpus: &mut Vec<GpuCard>,
    inference: &mut Vec<InferenceCard>,
) -> NodeView {
    let mut n = blank_node(name);
    for s in sources {
        merge_health(&mut n, &s.health.health, || s.id.to_string());
        if s.host.is_some() {
            n.host = s.host;
        }
        for m in s.inference.iter().filter_map(|i| i.model.as_deref()) {
            add_model(&mut n.models, m);
        }
    }
    for p in proxy {
        merge_health(&mut n, &p.health, || p.who.to_string());
        if let Some(m) = &p.model {
            add_model(&mut n.models, m);
        }
    }
    let start = gpus.len();
    node_cards(name, sources, &n.models, gpus);
    n.gpus = gpus.len() - start;
    inference_cards(name, sources, inference);
    n
}

/// The cluster card of `nodes`, with what the answering proxy says of failover.
fn cluster_view(
    nodes: &[NodeView],
    failover_ready: Option<bool>,
    active_node: Option<String>,
) -> ClusterView {
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
    ClusterView {
        overall,
        nodes_up: up,
        nodes_total: nodes.len(),
        failover_ready,
        active_node,
    }
}

impl Views {
    /// Build every view of `model`. With `changes` (the views before and what changed since),
    /// only the changed sources' nodes are built again when that is enough (see the module's
    /// header); otherwise everything is, reusing the naming and the nodes' order when they
    /// still hold.
    #[must_use]
    pub fn build(model: &Model, changes: Option<Changes>) -> Self {
        match changes {
            None => Self::build_all(model, None),
            Some(c) => Self::update(model, c).unwrap_or_else(|before| {
                let before = *before;
                Self::build_all(model, Some(before))
            }),
        }
    }

    /// The views before, with the nodes of the changed sources built again; the views before
    /// back when that is not enough.
    fn update(model: &Model, changes: Changes) -> Result<Self, Box<Self>> {
        let Changes {
            before: mut v,
            sources,
        } = changes;
        let mut naming_may_change = false;
        let mut touched: Vec<usize> = Vec::with_capacity(sources.len());
        for (id, was) in &sources {
            let now = model.sources().get(id);
            match id.kind {
                // A proxy's answer reaches every node it names: build them all — unless the
                // views did not count it before and do not now (a proxy that never answered).
                SourceKind::Status if was.proxy || now.is_some_and(counts_as_proxy) => {
                    return Err(Box::new(v));
                }
                SourceKind::Status | SourceKind::PrometheusServer => continue,
                _ => {}
            }
            naming_may_change |= naming_inputs(now) != was.naming;
            let Some(s) = now.filter(|s| s.in_views()) else {
                continue;
            };
            let name = v.naming.node_of(&s.id);
            match v.nodes.binary_search_by(|n| natural_cmp(&n.name, name)) {
                Ok(i) => touched.push(i),
                Err(_) => return Err(Box::new(v)),
            }
        }
        if naming_may_change && naming_key(model).0 != v.naming_key {
            return Err(Box::new(v));
        }
        touched.sort_unstable();
        touched.dedup();
        let mut resized = false;
        let (mut gpus, mut inference) = (Vec::new(), Vec::new());
        // From the last node back, so the ranges of the nodes before stay where they are.
        for &i in touched.iter().rev() {
            let name = v.nodes[i].name.as_str();
            let ids = v.node_sources.get(name).map_or(&[][..], Vec::as_slice);
            let srcs: Vec<&SourceState> = ids
                .iter()
                .filter_map(|id| model.sources().get(id))
                .filter(|s| s.in_views())
                .collect();
            if srcs.len() != ids.len() {
                return Err(Box::new(v));
            }
            gpus.clear();
            inference.clear();
            let node = build_node(name, &srcs, &v.spans[i].proxy, &mut gpus, &mut inference);
            let span = &mut v.spans[i];
            let (ng, ni) = (gpus.len(), inference.len());
            resized |= ng != span.gpus.len() || ni != span.inference.len();
            v.gpus.splice(span.gpus.clone(), gpus.drain(..));
            v.inference
                .splice(span.inference.clone(), inference.drain(..));
            // The lengths are right; the starts of the nodes after are put right below.
            span.gpus.end = span.gpus.start + ng;
            span.inference.end = span.inference.start + ni;
            span.hot = hot(&v.gpus[span.gpus.clone()]);
            span.revision = next_revision();
            v.nodes[i] = node;
        }
        if resized {
            v.place_spans();
        }
        v.cluster = cluster_view(
            &v.nodes,
            v.cluster.failover_ready,
            v.cluster.active_node.take(),
        );
        Ok(v)
    }

    /// Every node built from scratch; the naming and the nodes' order taken over from `before`
    /// while they still hold.
    fn build_all(model: &Model, before: Option<Self>) -> Self {
        let (key, members, proxy) = naming_key(model);
        let before = before.filter(|b| b.naming_key == key);
        let naming = match &before {
            Some(b) => Arc::clone(&b.naming),
            None => Arc::new(identity::resolve(&members, &proxy)),
        };
        drop((members, proxy));
        // Each node's parts, gathered by name; natural order after.
        let mut parts: HashMap<&str, Parts<'_>> = HashMap::default();
        // The model and the naming both keep sources in the order of their ids: one walk of the
        // naming alongside the sources finds each one's node (without a lookup per source).
        let mut named = naming.sources.iter().peekable();
        for s in machine_sources(model) {
            while named.next_if(|(id, _)| **id < s.id).is_some() {}
            let node = match named.peek() {
                Some((id, node)) if **id == s.id => node.as_str(),
                _ => naming.node_of(&s.id),
            };
            parts.entry(node).or_default().sources.push(s);
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
            let who: Arc<str> = Arc::from(format!("proxy {}", s.id.locator));
            for sn in &status.nodes {
                let name = naming.proxy_node(&sn.name);
                let health = if answering {
                    status_health(sn.healthy, at)
                } else {
                    Health::Unknown
                };
                if answering && sn.healthy == Some(false) {
                    proxy_unhealthy.insert(name.to_owned());
                }
                parts.entry(name).or_default().proxy.push(ProxyPart {
                    health,
                    who: Arc::clone(&who),
                    model: sn.model.clone(),
                });
            }
        }
        // The natural order of the nodes before, when the nodes are the same ones.
        let order: Vec<&str> = match &before {
            Some(b)
                if b.nodes.len() == parts.len()
                    && b.nodes.iter().all(|n| parts.contains_key(n.name.as_str())) =>
            {
                b.nodes.iter().map(|n| n.name.as_str()).collect()
            }
            _ => {
                let mut names: Vec<&str> = parts.keys().copied().collect();
                names.sort_by(|a, b| natural_cmp(a, b));
                names
            }
        };
        let node_sources = match &before {
            Some(b) => Arc::clone(&b.node_sources),
            None => Arc::new(
                parts
                    .iter()
                    .filter(|(_, p)| !p.sources.is_empty())
                    .map(|(name, p)| {
                        let ids = p.sources.iter().map(|s| s.id.clone()).collect();
                        ((*name).to_owned(), ids)
                    })
                    .collect(),
            ),
        };
        let mut nodes = Vec::with_capacity(order.len());
        let mut spans = Vec::with_capacity(order.len());
        let mut gpus = Vec::new();
        let mut inference = Vec::new();
        for name in order {
            let p = parts.remove(name).unwrap_or_default();
            let (g, i) = (gpus.len(), inference.len());
            nodes.push(build_node(
                name,
                &p.sources,
                &p.proxy,
                &mut gpus,
                &mut inference,
            ));
            spans.push(Span {
                gpus: g..gpus.len(),
                inference: i..inference.len(),
                hot: hot(&gpus[g..]),
                proxy: p.proxy,
                revision: next_revision(),
            });
        }
        let cluster = cluster_view(
            &nodes,
            proxy_view.and_then(|s| s.failover_ready),
            proxy_view
                .and_then(|s| s.active_node.as_deref())
                .map(|a| naming.proxy_node(a).to_owned()),
        );
        drop(parts);
        Self {
            cluster,
            nodes,
            gpus,
            inference,
            proxy_unhealthy,
            naming,
            naming_key: key,
            node_sources,
            spans,
        }
    }

    /// Lay the spans end to end again from their lengths (after a node's cards changed in
    /// number).
    fn place_spans(&mut self) {
        let (mut g, mut i) = (0, 0);
        for s in &mut self.spans {
            s.gpus = g..g + s.gpus.len();
            s.inference = i..i + s.inference.len();
            g = s.gpus.end;
            i = s.inference.end;
        }
    }
}
