//! Reading the model for the rules: one [`Reading`] per subject a rule applies to. Pure: takes
//! `&Model` (and the views computed from it once per evaluation), returns plain values.

use std::collections::{BTreeMap, BTreeSet};

use super::Subject;
use crate::config::alerts::{Comparison, Metric, RuleKind, Scope};
use crate::model::Model;
use crate::model::health::Health;
use crate::model::inference::InferenceStats;
use crate::model::views::{ClusterView, GpuCard, NodeView};

/// What a rule sees of one subject.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reading {
    /// A figure (`None`: the source does not give it: n/a).
    Figure(Option<f64>),
    /// A condition: `breach` is `None` when it cannot be known; `detail` describes the state.
    Condition {
        /// Whether the bad condition holds.
        breach: Option<bool>,
        /// The current state in words.
        detail: String,
    },
}

/// The views one evaluation needs, computed once.
pub(crate) struct Views {
    nodes: Vec<NodeView>,
    gpus: Vec<GpuCard>,
    cluster: ClusterView,
    /// Nodes an up proxy reports unhealthy.
    proxy_unhealthy: BTreeSet<String>,
    /// Failed share of the tasks finished in the last hour, percent (`None`: none finished).
    task_failure_pct: Option<f64>,
    /// Workers gone stale, and whether any worker source reports at all.
    stale_workers: Vec<String>,
    workers_known: bool,
}

impl Views {
    /// Compute the views of `model`.
    pub(crate) fn of(model: &Model, now: std::time::SystemTime) -> Self {
        let stats = model
            .tasks
            .task_stats(std::time::Duration::from_secs(3600), now);
        let workers = model.tasks.workers.view(now);
        let proxy_unhealthy = model
            .sources
            .values()
            .filter(|s| s.id.kind == "status" && matches!(s.health.health, Health::Up { .. }))
            .filter_map(|s| s.status.as_ref())
            .flat_map(|st| {
                st.nodes
                    .iter()
                    .filter(|n| n.healthy == Some(false))
                    .map(|n| n.name.clone())
            })
            .collect();
        Self {
            nodes: model.nodes(),
            gpus: model.gpu_cards(),
            cluster: model.cluster(),
            proxy_unhealthy,
            task_failure_pct: stats.success_rate.map(|r| (1.0 - r) * 100.0),
            workers_known: !(workers.online.is_empty() && workers.stale.is_empty()),
            stale_workers: workers.stale.iter().map(|w| w.worker_id.clone()).collect(),
        }
    }
}

fn server_figure(metric: Metric, i: &InferenceStats) -> Option<f64> {
    match metric {
        Metric::KvCachePct => i.kv_cache_pct,
        Metric::QueueWaiting => i.waiting,
        Metric::ErrorPct => i.error_pct,
        Metric::TtftP95S => i.ttft.p95_s,
        Metric::E2eP95S => i.e2e.p95_s,
        Metric::ItlP95S => i.itl.p95_s,
        _ => None,
    }
}

fn gpu_figure(metric: Metric, card: &GpuCard) -> Option<f64> {
    match metric {
        Metric::GpuTempC => card.gpu.temp_c,
        Metric::GpuVramPct => card.gpu.mem_used_pct(),
        Metric::GpuUtilPct => card.gpu.util_pct,
        _ => None,
    }
}

/// Keep the worse of two readings of one subject (the same GPU reported by two sources):
/// a figure beats n/a; between figures the one further on the bad side wins.
fn worse(comparison: Comparison, a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(match comparison {
            Comparison::Above => x.max(y),
            Comparison::Below => x.min(y),
        }),
        (x, y) => x.or(y),
    }
}

fn figures(
    model: &Model,
    views: &Views,
    metric: Metric,
    comparison: Comparison,
) -> BTreeMap<Subject, Reading> {
    let mut out: BTreeMap<Subject, Option<f64>> = BTreeMap::new();
    let mut put = |subject: Subject, v: Option<f64>| {
        // NaN is no reading at all.
        let v = v.filter(|x| !x.is_nan());
        let slot = out.entry(subject).or_insert(None);
        *slot = worse(comparison, *slot, v);
    };
    match metric.scope() {
        Scope::Gpu => {
            for card in &views.gpus {
                put(
                    Subject::Gpu {
                        node: card.node.clone(),
                        gpu: card.gpu.key(),
                    },
                    gpu_figure(metric, card),
                );
            }
        }
        Scope::Server => {
            for (s, i) in model.inference_stats() {
                let subject = Subject::Server {
                    node: s.id.node.clone(),
                    url: s.id.locator.clone(),
                    model: i.model.clone(),
                };
                put(subject, server_figure(metric, i));
            }
        }
        Scope::Node => {
            for s in model.sources.values() {
                if let Some(h) = s.host {
                    let v = if metric == Metric::HostMemPct {
                        h.mem_pct
                    } else {
                        h.cpu_pct
                    };
                    put(
                        Subject::Node {
                            node: s.id.node.clone(),
                        },
                        v,
                    );
                }
            }
        }
        Scope::Cluster if metric == Metric::TaskFailurePct => {
            put(Subject::Cluster, views.task_failure_pct);
        }
        Scope::Cluster => put(Subject::Cluster, model.total_tps().0),
    }
    out.into_iter()
        .map(|(s, v)| (s, Reading::Figure(v)))
        .collect()
}

fn node_detail(n: &NodeView) -> String {
    let mut s = format!("node {} is {}", n.name, n.health.label());
    if let Some(r) = n.health.reason() {
        s.push_str(&format!(": {r}"));
    }
    if let Some(w) = &n.worst_source {
        s.push_str(&format!(" (worst: {w})"));
    }
    s.push_str(&format!("; {}/{} sources up", n.sources_up, n.sources));
    s
}

/// Every subject `kind` applies to in `model`, with what the rule sees of it.
pub(crate) fn readings(
    kind: &RuleKind,
    model: &Model,
    views: &Views,
) -> BTreeMap<Subject, Reading> {
    match kind {
        RuleKind::Threshold {
            metric, comparison, ..
        } => figures(model, views, *metric, *comparison),
        RuleKind::NodeDown => views
            .nodes
            .iter()
            .map(|n| {
                let down = matches!(n.health, Health::Down { .. })
                    && (n.sources_up == 0 || views.proxy_unhealthy.contains(&n.name));
                let reading = Reading::Condition {
                    breach: Some(down),
                    detail: node_detail(n),
                };
                (
                    Subject::Node {
                        node: n.name.clone(),
                    },
                    reading,
                )
            })
            .collect(),
        RuleKind::NodeStale => views
            .nodes
            .iter()
            .map(|n| {
                let stale = matches!(n.health, Health::Stale { .. });
                let reading = Reading::Condition {
                    breach: Some(stale),
                    detail: node_detail(n),
                };
                (
                    Subject::Node {
                        node: n.name.clone(),
                    },
                    reading,
                )
            })
            .collect(),
        RuleKind::WorkerStale => {
            let detail = if views.stale_workers.is_empty() {
                "every worker is sending heartbeats".to_owned()
            } else {
                format!(
                    "{} worker(s) stopped sending heartbeats: {}",
                    views.stale_workers.len(),
                    views.stale_workers.join(", ")
                )
            };
            let reading = Reading::Condition {
                breach: views
                    .workers_known
                    .then_some(!views.stale_workers.is_empty()),
                detail,
            };
            BTreeMap::from([(Subject::Cluster, reading)])
        }
        RuleKind::FailoverNotReady => {
            let c = &views.cluster;
            let active = c.active_node.as_deref().unwrap_or("unknown");
            let detail = match c.failover_ready {
                Some(false) => format!(
                    "the proxy cannot fail over (active node: {active}); a second healthy node is needed"
                ),
                Some(true) => format!("the proxy can fail over again (active node: {active})"),
                None => "failover readiness unknown (no proxy answering)".to_owned(),
            };
            let reading = Reading::Condition {
                breach: c.failover_ready.map(|r| !r),
                detail,
            };
            BTreeMap::from([(Subject::Cluster, reading)])
        }
        RuleKind::SourceUnreachable => model
            .sources
            .values()
            .map(|s| {
                let down = matches!(s.health.health, Health::Down { .. });
                let detail = match s.health.health.reason() {
                    Some(r) => format!("{} is {}: {r}", s.id, s.health.health.label()),
                    None => format!("{} is {}", s.id, s.health.health.label()),
                };
                (
                    Subject::Source {
                        source: s.id.clone(),
                    },
                    Reading::Condition {
                        breach: Some(down),
                        detail,
                    },
                )
            })
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn worse_prefers_figures_and_the_bad_side() {
        assert_eq!(worse(Comparison::Above, Some(80.0), Some(90.0)), Some(90.0));
        assert_eq!(worse(Comparison::Below, Some(80.0), Some(90.0)), Some(80.0));
        assert_eq!(worse(Comparison::Above, None, Some(1.0)), Some(1.0));
        assert_eq!(worse(Comparison::Above, None, None), None);
    }
}
