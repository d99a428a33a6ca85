//! Read-only views over the model for the screen and `snapshot`: nodes with their worst health,
//! GPU cards with the model they serve, the cluster summary. Sorted, so nothing jumps.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::Serialize;

use super::gpu::{GpuOrigin, GpuSample};
use super::health::Health;
use super::{HostStats, Model};

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
    /// GPUs seen on it.
    pub gpus: usize,
    /// Host figures, if a node_exporter is configured.
    pub host: Option<HostStats>,
    /// Models served on it.
    pub models: Vec<String>,
}

/// One GPU card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuCard {
    /// Node it belongs to.
    pub node: String,
    /// Where the reading came from.
    pub origin: GpuOrigin,
    /// The reading.
    pub gpu: GpuSample,
    /// Model(s) served on that node, joined with ", ".
    pub model: Option<String>,
    /// Health of the source that reported it.
    pub health: Health,
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
    /// The proxy's active node.
    pub active_node: Option<String>,
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

impl Model {
    /// Nodes sorted by name.
    #[must_use]
    pub fn nodes(&self) -> Vec<NodeView> {
        let mut nodes: BTreeMap<String, NodeView> = BTreeMap::new();
        let blank = |name: &str| NodeView {
            name: name.to_owned(),
            health: Health::Unknown,
            worst_source: None,
            sources: 0,
            sources_up: 0,
            gpus: 0,
            host: None,
            models: Vec::new(),
        };
        let merge =
            |nodes: &mut BTreeMap<String, NodeView>, name: &str, h: &Health, who: String| {
                let n = nodes.entry(name.to_owned()).or_insert_with(|| blank(name));
                let first = n.sources == 0;
                n.sources += 1;
                if matches!(h, Health::Up { .. }) {
                    n.sources_up += 1;
                }
                if first || h.severity() > n.health.severity() {
                    n.health = h.clone();
                    n.worst_source = (!matches!(h, Health::Up { .. })).then_some(who);
                }
            };
        for s in self.sources.values() {
            if s.id.kind == "status" {
                continue;
            }
            merge(&mut nodes, &s.id.node, &s.health.health, s.id.to_string());
            let n = nodes
                .entry(s.id.node.clone())
                .or_insert_with(|| blank(&s.id.node));
            n.gpus += s.gpus.len();
            if s.host.is_some() {
                n.host = s.host;
            }
            for m in s.inference.iter().filter_map(|i| i.model.clone()) {
                if !n.models.contains(&m) {
                    n.models.push(m);
                }
            }
        }
        for s in self.sources.values().filter(|s| s.id.kind == "status") {
            let (Some(status), Some(at)) = (&s.status, s.health.last_ok) else {
                continue;
            };
            for sn in &status.nodes {
                let h = if matches!(s.health.health, Health::Up { .. }) {
                    status_health(sn.healthy, at)
                } else {
                    Health::Unknown
                };
                merge(&mut nodes, &sn.name, &h, format!("proxy {}", s.id.locator));
                let n = nodes
                    .entry(sn.name.clone())
                    .or_insert_with(|| blank(&sn.name));
                if let Some(m) = &sn.model
                    && !n.models.contains(m)
                {
                    n.models.push(m.clone());
                }
            }
        }
        nodes.into_values().collect()
    }

    /// GPU cards sorted by node, then index, then key.
    #[must_use]
    pub fn gpu_cards(&self) -> Vec<GpuCard> {
        let models: BTreeMap<String, Vec<String>> = self
            .nodes()
            .into_iter()
            .map(|n| (n.name, n.models))
            .collect();
        let mut cards: Vec<GpuCard> = self
            .sources
            .values()
            .flat_map(|s| {
                let model = models
                    .get(&s.id.node)
                    .filter(|m| !m.is_empty())
                    .map(|m| m.join(", "));
                s.gpus.iter().map(move |g| GpuCard {
                    node: s.id.node.clone(),
                    origin: s.gpu_origin.unwrap_or(GpuOrigin::Nvml),
                    gpu: g.clone(),
                    model: model.clone(),
                    health: s.health.health.clone(),
                })
            })
            .collect();
        cards.sort_by(|a, b| {
            a.node
                .cmp(&b.node)
                .then(a.gpu.index.cmp(&b.gpu.index))
                .then_with(|| a.gpu.key().cmp(&b.gpu.key()))
        });
        cards
    }

    /// The cluster summary.
    #[must_use]
    pub fn cluster(&self) -> ClusterView {
        let nodes = self.nodes();
        let up = nodes
            .iter()
            .filter(|n| matches!(n.health, Health::Up { .. }))
            .count();
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
        let status = self
            .sources
            .values()
            .filter(|s| s.id.kind == "status" && matches!(s.health.health, Health::Up { .. }))
            .find_map(|s| s.status.as_ref());
        ClusterView {
            overall,
            nodes_up: up,
            nodes_total: nodes.len(),
            failover_ready: status.and_then(|s| s.failover_ready),
            active_node: status.and_then(|s| s.active_node.clone()),
        }
    }
}
