//! The PromQL asked of a Prometheus-compatible server on each refresh: a fixed set of queries
//! whose number does not grow with the fleet (each covers every target at once, grouped by
//! `instance` and `job`), built from the mapping's own name tables so that reading through a
//! server and scraping directly read the same metrics. Rates and latency quantiles are derived
//! by the server (`rate`, `histogram_quantile` over `sum by (le)`) over the configured window.

use std::fmt::Write as _;
use std::time::Duration;

use crate::sources::mapping;

/// The labels every refresh query groups by: one target of the server.
pub const TARGET_LABELS: &str = "instance, job";

/// A latency histogram of an inference server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(usize)]
pub enum Histo {
    /// Time to first token.
    Ttft,
    /// Inter-token latency.
    Itl,
    /// End-to-end request latency.
    E2e,
}

/// The labels the mapping reads (every other label is aggregated away in the gauge query,
/// which keeps its answer small: a dcgm-exporter series carries a dozen labels).
const GAUGE_LABELS: &str = "__name__, instance, job, gpu, UUID, uuid, GPU_I_ID, GPU_I_PROFILE, \
     Hostname, hostname, modelName, name, index, model_name, engine, tp_rank, nodename, pid, \
     process, server, model";

/// The GPU fields asked of a server, each as dcgm-exporter, nvidia_gpu_exporter and our agent
/// name it: what cards, the fleet matrix and the alert rules show (utilisation, memory,
/// temperature, power). Clocks, fan and power limit stay with direct scraping: at a thousand
/// nodes each field is 8,000 more series per refresh. Each field is a query of its own (a
/// fifth of the GPU series each), so the server evaluates them side by side on its cores
/// rather than one long query on one.
const FLEET_GPU_FIELDS: &[[&str; 3]] = &[
    [
        "DCGM_FI_DEV_GPU_UTIL",
        "nvidia_smi_utilization_gpu_ratio",
        "swarmglass_gpu_utilization_ratio",
    ],
    [
        "DCGM_FI_DEV_FB_USED",
        "nvidia_smi_memory_used_bytes",
        "swarmglass_gpu_memory_used_bytes",
    ],
    [
        "DCGM_FI_DEV_FB_FREE",
        "nvidia_smi_memory_total_bytes",
        "swarmglass_gpu_memory_total_bytes",
    ],
    [
        "DCGM_FI_DEV_GPU_TEMP",
        "nvidia_smi_temperature_gpu",
        "swarmglass_gpu_temperature_celsius",
    ],
    [
        "DCGM_FI_DEV_POWER_USAGE",
        "nvidia_smi_power_draw_watts",
        "swarmglass_gpu_power_watts",
    ],
];

/// Whether a gauge the mapping reads is a per-GPU field (asked in [`FLEET_GPU_FIELDS`]'s
/// queries, or not at all).
fn gpu_field(name: &str) -> bool {
    name.starts_with("DCGM_FI_DEV_")
        || (name.starts_with("nvidia_smi_") && name != "nvidia_smi_gpu_info")
        || name.starts_with("swarmglass_gpu_")
}

/// A latency statistic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    /// The bucket rates (`sum by (le, …) (rate(…_bucket[w]))`): p50, p90, p95 and p99 follow
    /// from them by PromQL's own interpolation (`model::derive::histogram_quantile`), one query
    /// instead of four.
    Buckets,
    /// The mean (rate of the sum over rate of the count).
    Mean,
}

/// What a query's answer fills in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Role {
    /// `up`: which targets the server scrapes, and whether their last scrape worked.
    Up,
    /// Gauges as they are (inference gauges, GPU fields, host memory and name).
    Gauges,
    /// Generation tokens/s.
    GenTps,
    /// Prompt tokens/s.
    PromptTps,
    /// Finished requests/s by `finished_reason`.
    Finished,
    /// Failed requests/s.
    Failed,
    /// Preemptions/s.
    Preemptions,
    /// Prefix-cache queries/s.
    PrefixQueries,
    /// Prefix-cache hits/s.
    PrefixHits,
    /// Host CPU busy, percent.
    CpuBusy,
    /// One latency statistic of one histogram.
    Latency(Histo, Stat),
}

/// One query of a refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// What its answer fills in.
    pub role: Role,
    /// The PromQL.
    pub promql: String,
}

/// A PromQL duration (`90s`) for a window, at least one second.
#[must_use]
pub fn promql_duration(d: Duration) -> String {
    format!("{}s", d.as_secs().max(1))
}

/// A selector for any of `names`, with the configured label matchers (`job="dcgm"`, …).
#[must_use]
pub fn selector(names: &[impl AsRef<str>], matchers: &[String]) -> String {
    let mut alternatives = String::new();
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            alternatives.push('|');
        }
        for c in n.as_ref().chars() {
            // Metric names hold [a-zA-Z0-9_:] only; escape anything else for RE2.
            if !(c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                alternatives.push('\\');
            }
            alternatives.push(c);
        }
    }
    let mut s = format!("{{__name__=~\"{alternatives}\"");
    for m in matchers {
        let _ = write!(s, ", {m}");
    }
    s.push('}');
    s
}

fn suffixed(names: &[String], suffix: &str) -> Vec<String> {
    names.iter().map(|n| format!("{n}{suffix}")).collect()
}

/// The queries of one refresh: always the same number, whatever the fleet's size.
#[must_use]
pub fn refresh(window: Duration, matchers: &[String]) -> Vec<Query> {
    let n = mapping::names();
    let w = promql_duration(window);
    let by_model = format!("{TARGET_LABELS}, model_name");
    let rate = |names: &[String], by: &str| {
        format!("sum by ({by}) (rate({}[{w}]))", selector(names, matchers))
    };
    let up_matchers = if matchers.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", matchers.join(", "))
    };
    let mut q = vec![
        Query {
            role: Role::Up,
            promql: format!("up{up_matchers}"),
        },
        Query {
            role: Role::Gauges,
            promql: {
                let gauges: Vec<&String> = n.gauges.iter().filter(|g| !gpu_field(g)).collect();
                format!("max by ({GAUGE_LABELS}) ({})", selector(&gauges, matchers))
            },
        },
        Query {
            role: Role::CpuBusy,
            // node_exporter's per-CPU idle seconds, or the agent's totals.
            promql: format!(
                "100 * (1 - avg by ({TARGET_LABELS}) (rate({}[{w}]))) or 100 * (1 - sum by ({TARGET_LABELS}) (rate({}[{w}])) / sum by ({TARGET_LABELS}) (rate({}[{w}])))",
                selector(
                    &["node_cpu_seconds_total"],
                    &with(matchers, "mode=\"idle\"")
                ),
                selector(&["swarmglass_host_cpu_idle_seconds_total"], matchers),
                selector(&["swarmglass_host_cpu_seconds_total"], matchers),
            ),
        },
    ];
    for field in FLEET_GPU_FIELDS {
        q.push(Query {
            role: Role::Gauges,
            promql: format!("max by ({GAUGE_LABELS}) ({})", selector(field, matchers)),
        });
    }
    let finished_by = format!("{by_model}, finished_reason");
    for (role, names, by) in [
        (Role::GenTps, &n.generation_tokens, &by_model),
        (Role::PromptTps, &n.prompt_tokens, &by_model),
        (Role::Finished, &n.finished, &finished_by),
        (Role::Failed, &n.failed, &by_model),
        (Role::Preemptions, &n.preemptions, &by_model),
        (Role::PrefixQueries, &n.prefix_queries, &by_model),
        (Role::PrefixHits, &n.prefix_hits, &by_model),
    ] {
        q.push(Query {
            role,
            promql: rate(names, by),
        });
    }
    for (h, names) in [
        (Histo::Ttft, &n.ttft),
        (Histo::Itl, &n.itl),
        (Histo::E2e, &n.e2e),
    ] {
        let buckets = selector(&suffixed(names, "_bucket"), matchers);
        q.push(Query {
            role: Role::Latency(h, Stat::Buckets),
            promql: format!("sum by (le, {by_model}) (rate({buckets}[{w}]))"),
        });
        q.push(Query {
            role: Role::Latency(h, Stat::Mean),
            promql: format!(
                "{} / {}",
                rate(&suffixed(names, "_sum"), &by_model),
                rate(&suffixed(names, "_count"), &by_model)
            ),
        });
    }
    q
}

/// Whose history a plot shows, in the server's terms.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RangeSubject {
    /// The whole fleet (the throughput plot).
    Cluster,
    /// One GPU, by UUID (dcgm-exporter's `UUID`, nvidia_gpu_exporter's and the agent's `uuid`).
    Gpu {
        /// The GPU's UUID.
        uuid: String,
    },
    /// One model on one target.
    Server {
        /// The target's `instance`.
        instance: String,
        /// Its `job`.
        job: String,
        /// The model (`model_name`), when the server names one.
        model: Option<String>,
    },
}

/// One plot of a range: title, unit, and (legend, PromQL) per line.
#[derive(Debug, Clone, PartialEq)]
pub struct RangePlot {
    /// Title, as the window's own history titles it.
    pub title: &'static str,
    /// Unit of the values, as the history catalogue writes it.
    pub unit: &'static str,
    /// (legend, query) per line.
    pub lines: Vec<(&'static str, String)>,
}

/// The range queries that draw `subject`'s plots from the server's own history, with the
/// same titles, units and figures as the window's recorded history (tokens/s by `rate`,
/// percentiles by `histogram_quantile` over `sum by (le)`, VRAM in bytes).
#[must_use]
pub fn history(subject: &RangeSubject, window: Duration, matchers: &[String]) -> Vec<RangePlot> {
    let n = mapping::names();
    let w = promql_duration(window);
    match subject {
        RangeSubject::Cluster => vec![RangePlot {
            title: "Tokens/s",
            unit: "tok/s",
            lines: vec![
                (
                    "generation",
                    format!(
                        "sum(rate({}[{w}]))",
                        selector(&n.generation_tokens, matchers)
                    ),
                ),
                (
                    "prompt",
                    format!("sum(rate({}[{w}]))", selector(&n.prompt_tokens, matchers)),
                ),
            ],
        }],
        RangeSubject::Gpu { uuid } => {
            let uuid = uuid.replace('\\', "\\\\").replace('"', "\\\"");
            let gpu = |dcgm: &str, smi: &str, agent: &str, scale: &str| {
                let m = |extra: String| with(matchers, &extra);
                format!(
                    "max({}){scale} or max({}){scale} or max({})",
                    selector(&[smi], &m(format!("uuid=\"{uuid}\""))),
                    selector(&[agent], &m(format!("uuid=\"{uuid}\""))),
                    selector(&[dcgm], &m(format!("UUID=\"{uuid}\""))),
                )
            };
            vec![
                RangePlot {
                    title: "Utilisation",
                    unit: "%",
                    lines: vec![(
                        "GPU utilisation",
                        gpu(
                            "DCGM_FI_DEV_GPU_UTIL",
                            "nvidia_smi_utilization_gpu_ratio",
                            "swarmglass_gpu_utilization_ratio",
                            " * 100",
                        ),
                    )],
                },
                RangePlot {
                    title: "VRAM",
                    unit: "B",
                    lines: vec![(
                        "VRAM used",
                        gpu(
                            "DCGM_FI_DEV_FB_USED",
                            "nvidia_smi_memory_used_bytes",
                            "swarmglass_gpu_memory_used_bytes",
                            "",
                        )
                        .replacen(
                            "max({__name__=~\"DCGM_FI_DEV_FB_USED\"",
                            "1048576 * max({__name__=~\"DCGM_FI_DEV_FB_USED\"",
                            1,
                        ),
                    )],
                },
                RangePlot {
                    title: "Temperature",
                    unit: "°C",
                    lines: vec![(
                        "GPU temperature",
                        gpu(
                            "DCGM_FI_DEV_GPU_TEMP",
                            "nvidia_smi_temperature_gpu",
                            "swarmglass_gpu_temperature_celsius",
                            "",
                        ),
                    )],
                },
                RangePlot {
                    title: "Power",
                    unit: "W",
                    lines: vec![(
                        "GPU power",
                        gpu(
                            "DCGM_FI_DEV_POWER_USAGE",
                            "nvidia_smi_power_draw_watts",
                            "swarmglass_gpu_power_watts",
                            "",
                        ),
                    )],
                },
            ]
        }
        RangeSubject::Server {
            instance,
            job,
            model,
        } => {
            let esc = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
            let mut m = with(matchers, &format!("instance=\"{}\"", esc(instance)));
            m.push(format!("job=\"{}\"", esc(job)));
            if let Some(model) = model {
                m.push(format!("model_name=\"{}\"", esc(model)));
            }
            let rate = |names: &[String]| format!("sum(rate({}[{w}]))", selector(names, &m));
            let gauge = |names: &[String]| format!("sum({})", selector(names, &m));
            let quantile = |q: f64, names: &[String]| {
                format!(
                    "histogram_quantile({q}, sum by (le) (rate({}[{w}])))",
                    selector(&suffixed(names, "_bucket"), &m)
                )
            };
            let running: Vec<String> = n
                .gauges
                .iter()
                .filter(|g| {
                    g.contains("running")
                        || g.ends_with("requests_processing")
                        || g.ends_with("batch_current_size")
                })
                .cloned()
                .collect();
            let waiting: Vec<String> = n
                .gauges
                .iter()
                .filter(|g| {
                    g.contains("waiting") || g.contains("queue") || g.ends_with("requests_deferred")
                })
                .cloned()
                .collect();
            vec![
                RangePlot {
                    title: "Tokens/s",
                    unit: "tok/s",
                    lines: vec![
                        ("generation", rate(&n.generation_tokens)),
                        ("prompt", rate(&n.prompt_tokens)),
                    ],
                },
                RangePlot {
                    title: "Running / waiting",
                    unit: "",
                    lines: vec![("running", gauge(&running)), ("waiting", gauge(&waiting))],
                },
                RangePlot {
                    title: "TTFT",
                    unit: "s",
                    lines: vec![
                        ("p50", quantile(0.5, &n.ttft)),
                        ("p95", quantile(0.95, &n.ttft)),
                        ("p99", quantile(0.99, &n.ttft)),
                    ],
                },
                RangePlot {
                    title: "E2E latency",
                    unit: "s",
                    lines: vec![
                        ("p50", quantile(0.5, &n.e2e)),
                        ("p95", quantile(0.95, &n.e2e)),
                        ("p99", quantile(0.99, &n.e2e)),
                    ],
                },
            ]
        }
    }
}

fn with(matchers: &[String], extra: &str) -> Vec<String> {
    let mut v = matchers.to_vec();
    v.push(extra.to_owned());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_count_is_fixed_and_every_query_carries_the_matchers() {
        let m = vec!["job=~\"gpu|vllm\"".to_owned(), "cluster=\"a\"".to_owned()];
        let q = refresh(Duration::from_secs(60), &m);
        assert_eq!(q.len(), refresh(Duration::from_secs(5), &[]).len());
        // up, gauges, CPU, five GPU fields, seven counter rates, three bucket rates and three
        // means.
        let roles: Vec<Role> = q.iter().map(|x| x.role).collect();
        assert_eq!(roles.len(), 21, "{roles:?}");
        for role in [
            Role::GenTps,
            Role::PromptTps,
            Role::Finished,
            Role::Failed,
            Role::PrefixHits,
        ] {
            assert!(roles.contains(&role), "{role:?} missing from {roles:?}");
        }
        for query in &q {
            assert!(query.promql.contains("cluster=\"a\""), "{}", query.promql);
        }
        let ttft = q
            .iter()
            .find(|x| x.role == Role::Latency(Histo::Ttft, Stat::Buckets))
            .map(|x| x.promql.clone())
            .unwrap_or_default();
        assert!(
            ttft.starts_with("sum by (le, instance, job, model_name) (rate({__name__=~\"vllm:time_to_first_token_seconds_bucket|"),
            "{ttft}"
        );
        assert!(
            ttft.contains("sglang_time_to_first_token_seconds_bucket"),
            "{ttft}"
        );
        assert!(ttft.ends_with("[60s]))"), "{ttft}");
        let gauges: Vec<&str> = q
            .iter()
            .filter(|x| x.role == Role::Gauges)
            .map(|x| x.promql.as_str())
            .collect();
        assert_eq!(
            gauges.len(),
            6,
            "the rest, then one per GPU field: {gauges:?}"
        );
        for g in &gauges {
            assert!(
                g.starts_with("max by (__name__, instance, job, gpu, UUID"),
                "{g}"
            );
            assert!(
                g.contains("engine, tp_rank"),
                "engines are summed by the mapping, not maxed: {g}"
            );
            assert!(!g.contains("DCGM_FI_DEV_SM_CLOCK"), "{g}");
        }
        assert!(
            gauges[0].contains("swarmglass_agent_info")
                && gauges[0].contains("vllm:num_requests_running")
                && !gauges[0].contains("DCGM_FI_DEV_"),
            "{}",
            gauges[0]
        );
        assert!(
            gauges[4].contains("\"DCGM_FI_DEV_GPU_TEMP|nvidia_smi_temperature_gpu|swarmglass_gpu_temperature_celsius\""),
            "{}",
            gauges[4]
        );
        let cpu = q
            .iter()
            .find(|x| x.role == Role::CpuBusy)
            .map(|x| x.promql.clone())
            .unwrap_or_default();
        assert!(
            cpu.contains("node_cpu_seconds_total")
                && cpu.contains(" or 100 * (1 - sum by (instance, job) (rate({__name__=~\"swarmglass_host_cpu_idle_seconds_total\""),
            "node_exporter's CPU, or the agent's: {cpu}"
        );
    }

    #[test]
    fn history_plots_ask_for_one_gpu_or_one_server_only() {
        let gpu = history(
            &RangeSubject::Gpu {
                uuid: "GPU-1".into(),
            },
            Duration::from_secs(60),
            &[],
        );
        assert_eq!(gpu.len(), 4);
        let util = &gpu[0].lines[0].1;
        assert!(
            util.contains("UUID=\"GPU-1\"") && util.contains("uuid=\"GPU-1\""),
            "{util}"
        );
        assert!(
            gpu[1].lines[0]
                .1
                .starts_with("max({__name__=~\"nvidia_smi_memory_used_bytes\""),
            "{:?}",
            gpu[1]
        );
        assert!(
            gpu[1].lines[0]
                .1
                .contains("1048576 * max({__name__=~\"DCGM_FI_DEV_FB_USED\""),
            "{:?}",
            gpu[1]
        );
        let server = history(
            &RangeSubject::Server {
                instance: "10.0.0.5:8000".into(),
                job: "vllm".into(),
                model: Some("m\"x".into()),
            },
            Duration::from_secs(60),
            &[],
        );
        let ttft = &server[2].lines[1].1;
        assert!(
            ttft.starts_with("histogram_quantile(0.95, sum by (le) (rate("),
            "{ttft}"
        );
        assert!(
            ttft.contains("instance=\"10.0.0.5:8000\", job=\"vllm\", model_name=\"m\\\"x\""),
            "{ttft}"
        );
    }

    #[test]
    fn selectors_escape_what_is_not_a_name_character() {
        assert_eq!(selector(&["a:b", "c.d"], &[]), "{__name__=~\"a:b|c\\.d\"}");
    }
}
