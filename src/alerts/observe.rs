//! Reading the model for the rules: one [`Reading`] per subject a rule applies to. Pure: takes
//! the model's shared [`Views`] and builds every subject once per evaluation ([`Subjects`]);
//! each rule then reads its figure or condition off those subjects.

use super::Subject;
use crate::config::alerts::{Comparison, Metric, RuleKind, Scope};
use crate::model::health::Health;
use crate::model::inference::InferenceStats;
use crate::model::views::{GpuCard, NodeView, Views};
use crate::model::{Model, SourceState};

/// What a rule sees of one subject.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reading<'s> {
    /// A figure (`None`: the source does not give it: n/a).
    Figure(Option<f64>),
    /// A condition: `breach` is `None` when it cannot be known; `detail` describes the state.
    Condition {
        /// Whether the bad condition holds.
        breach: Option<bool>,
        /// The current state, put in words when an alert needs them.
        detail: Detail<'s>,
    },
}

/// A condition's state, put in words only when an alert needs them ([`Detail::words`]): each
/// evaluation reads every node and source of a fleet, and almost none of them breach.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Detail<'s> {
    /// Already in words.
    Text(String),
    /// A node's state.
    Node(&'s NodeView),
    /// A source's state.
    Source(&'s SourceState),
}

impl Detail<'_> {
    /// The state in words.
    pub(crate) fn words(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Node(n) => node_detail(n),
            Self::Source(s) => match s.health.health.reason() {
                Some(r) => format!("{} is {}: {r}", s.id, s.health.health.label()),
                None => format!("{} is {}", s.id, s.health.health.label()),
            },
        }
    }
}

/// Every subject of one evaluation, built once and read by every rule.
pub(crate) struct Subjects<'m> {
    views: &'m Views,
    cluster: Subject,
    /// One per [`Views::nodes`], same order.
    nodes: Vec<Subject>,
    /// One per [`Views::gpus`], same order.
    gpus: Vec<Subject>,
    /// One per [`Views::inference`], same order.
    servers: Vec<Subject>,
    /// Every source with its subject.
    sources: Vec<(Subject, &'m SourceState)>,
    /// Cluster-wide generation tokens/s.
    gen_tps: Option<f64>,
    /// Failed share of the tasks finished in the last hour, percent (`None`: none finished).
    task_failure_pct: Option<f64>,
    /// Workers gone stale, and whether any worker source reports at all.
    stale_workers: Vec<String>,
    workers_known: bool,
}

impl<'m> Subjects<'m> {
    /// The subjects of `model` at `now`.
    pub(crate) fn of(model: &'m Model, now: std::time::SystemTime) -> Self {
        let views = model.views();
        let stats = model
            .tasks
            .task_stats(std::time::Duration::from_secs(3600), now);
        let workers = model.tasks.workers.view(now);
        Self {
            views,
            cluster: Subject::Cluster,
            nodes: views
                .nodes
                .iter()
                .map(|n| Subject::Node {
                    node: n.name.clone(),
                })
                .collect(),
            gpus: views
                .gpus
                .iter()
                .map(|c| Subject::Gpu {
                    node: c.node.to_string(),
                    gpu: c.gpu.key(),
                })
                .collect(),
            servers: views
                .inference
                .iter()
                .map(|i| Subject::Server {
                    node: i.node.clone(),
                    url: i.source.locator.clone(),
                    model: i.stats.model.clone(),
                })
                .collect(),
            sources: model
                .sources()
                .values()
                .map(|s| {
                    (
                        Subject::Source {
                            source: s.id.clone(),
                        },
                        s,
                    )
                })
                .collect(),
            gen_tps: model.total_tps().0,
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

/// Keep the worse of two readings of one subject (two sources reporting a GPU by index alone):
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

/// Merge readings of one subject (adjacent: the views are sorted) into the worse one.
fn merge_duplicates<'s>(
    comparison: Comparison,
    readings: Vec<(&'s Subject, Reading<'s>)>,
) -> Vec<(&'s Subject, Reading<'s>)> {
    let mut out: Vec<(&Subject, Reading)> = Vec::with_capacity(readings.len());
    for (s, r) in readings {
        match (out.last_mut(), r) {
            (Some((last, Reading::Figure(a))), Reading::Figure(b)) if *last == s => {
                *a = worse(comparison, *a, b);
            }
            (_, r) => out.push((s, r)),
        }
    }
    out
}

/// A figure; NaN or ±Inf is no reading at all (the mapping refuses them; this keeps a rule
/// from firing on one that came another way).
fn figure(v: Option<f64>) -> Reading<'static> {
    Reading::Figure(v.filter(|x| x.is_finite()))
}

fn figures<'s>(subjects: &'s Subjects<'_>, metric: Metric) -> Vec<(&'s Subject, Reading<'s>)> {
    let v = subjects.views;
    match metric.scope() {
        Scope::Gpu => subjects
            .gpus
            .iter()
            .zip(&v.gpus)
            .map(|(s, card)| (s, figure(gpu_figure(metric, card))))
            .collect(),
        Scope::Server => subjects
            .servers
            .iter()
            .zip(&v.inference)
            .map(|(s, i)| (s, figure(server_figure(metric, &i.stats))))
            .collect(),
        Scope::Node => subjects
            .nodes
            .iter()
            .zip(&v.nodes)
            .filter_map(|(s, n)| {
                let h = n.host?;
                let x = if metric == Metric::HostMemPct {
                    h.mem_pct
                } else {
                    h.cpu_pct
                };
                Some((s, figure(x)))
            })
            .collect(),
        Scope::Cluster if metric == Metric::TaskFailurePct => {
            vec![(&subjects.cluster, figure(subjects.task_failure_pct))]
        }
        Scope::Cluster => vec![(&subjects.cluster, figure(subjects.gen_tps))],
    }
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

/// Every subject `kind` applies to, with what the rule sees of it.
pub(crate) fn readings<'s>(
    kind: &RuleKind,
    subjects: &'s Subjects<'_>,
) -> Vec<(&'s Subject, Reading<'s>)> {
    let views = subjects.views;
    let cluster = &subjects.cluster;
    match kind {
        RuleKind::Threshold {
            metric, comparison, ..
        } => merge_duplicates(*comparison, figures(subjects, *metric)),
        RuleKind::NodeDown => subjects
            .nodes
            .iter()
            .zip(&views.nodes)
            .map(|(s, n)| {
                let down = matches!(n.health, Health::Down { .. })
                    && (n.sources_up == 0 || views.proxy_unhealthy.contains(&n.name));
                let reading = Reading::Condition {
                    breach: Some(down),
                    detail: Detail::Node(n),
                };
                (s, reading)
            })
            .collect(),
        RuleKind::NodeStale => subjects
            .nodes
            .iter()
            .zip(&views.nodes)
            .map(|(s, n)| {
                let stale = matches!(n.health, Health::Stale { .. });
                let reading = Reading::Condition {
                    breach: Some(stale),
                    detail: Detail::Node(n),
                };
                (s, reading)
            })
            .collect(),
        RuleKind::WorkerStale => {
            let detail = if subjects.stale_workers.is_empty() {
                "every worker is sending heartbeats".to_owned()
            } else {
                format!(
                    "{} worker(s) stopped sending heartbeats: {}",
                    subjects.stale_workers.len(),
                    subjects.stale_workers.join(", ")
                )
            };
            let reading = Reading::Condition {
                breach: subjects
                    .workers_known
                    .then_some(!subjects.stale_workers.is_empty()),
                detail: Detail::Text(detail),
            };
            vec![(cluster, reading)]
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
                detail: Detail::Text(detail),
            };
            vec![(cluster, reading)]
        }
        RuleKind::SourceUnreachable => subjects
            .sources
            .iter()
            .map(|(subject, s)| {
                // Only a configured source (or a default that was found) can be down: a
                // default that never answered is "not found", never a breach.
                let down = matches!(s.health.health, Health::Down { .. });
                (
                    subject,
                    Reading::Condition {
                        breach: Some(down),
                        detail: Detail::Source(s),
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

    #[test]
    fn duplicate_subjects_merge_into_the_worse_reading() {
        let a = Subject::Gpu {
            node: "n".into(),
            gpu: "gpu0".into(),
        };
        let b = a.clone();
        let c = Subject::Cluster;
        let merged = merge_duplicates(
            Comparison::Above,
            vec![
                (&a, Reading::Figure(Some(70.0))),
                (&b, Reading::Figure(Some(90.0))),
                (&c, Reading::Figure(None)),
            ],
        );
        assert_eq!(
            merged,
            vec![
                (&a, Reading::Figure(Some(90.0))),
                (&c, Reading::Figure(None))
            ]
        );
    }
}
