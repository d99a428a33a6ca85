//! Headless commands: `snapshot` (run the real collector for a while and print the model),
//! `watch` (alerts without a window) and `metrics check` (a tolerant `promtool check metrics`).
//! Output is built as data first, so the JSON shape is one serde struct documented in README.md;
//! `text.rs` renders it for people, `check.rs` owns `metrics check`.

mod check;
mod text;

use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::alerts::notify::Notifier;
use crate::alerts::{AlertsSnapshot, Engine};
use crate::cli::SourceArgs;
use crate::config::{self, Config, PrometheusTarget, StatusEndpoint};
use crate::model::errors::ErrorEntry;
use crate::model::health::Health;
use crate::model::ids::SourceKind;
use crate::model::inference::InferenceStats;
use crate::model::views::{ClusterView, GpuCard, NodeView};
use crate::model::{HostStats, Model};
use crate::runtime;

pub use check::{CheckReport, CheckedFamily, check, read_input, render_check};
pub use text::{fmt_opt, render_text};

/// Load the config and apply command-line sources, which replace the configured ones.
///
/// # Errors
/// Config problems, or a command-line URL that is not http(s).
pub fn resolve_config(args: &SourceArgs) -> anyhow::Result<Config> {
    let (mut cfg, _) = config::load(args.config.as_deref())?;
    for url in args.prometheus.iter().chain(&args.status) {
        match reqwest::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => anyhow::bail!(
                "`{url}` is not an http(s) URL; pass e.g. --prometheus http://10.0.0.5:8000/metrics"
            ),
        }
    }
    let agents_only = args.prometheus.is_empty()
        && args.status.is_empty()
        && !(args.nexus_ws.is_empty()
            && args.nexus_redis.is_empty()
            && args.exec_logs.is_empty()
            && args.openclaw_sessions.is_empty()
            && args.openclaw_gateway.is_empty()
            && args.tool_proxy_log.is_empty());
    if agents_only {
        // Only agent sources asked for: the built-in inference and proxy defaults are not added.
        cfg.prometheus.retain(|t| !t.implicit);
        cfg.status.retain(|s| !s.implicit);
    }
    if !args.prometheus.is_empty() {
        cfg.prometheus = args
            .prometheus
            .iter()
            .map(|u| PrometheusTarget::new(u))
            .collect();
    }
    if !args.status.is_empty() {
        cfg.status = args.status.iter().map(|u| StatusEndpoint::new(u)).collect();
    }
    if args.no_nvml {
        cfg.nvml.enabled = false;
    }
    apply_agent_flags(args, &mut cfg.agents)?;
    Ok(cfg)
}

fn check_scheme(url: &str, schemes: &[&str], flag: &str, example: &str) -> anyhow::Result<()> {
    match reqwest::Url::parse(url) {
        Ok(u) if schemes.contains(&u.scheme()) && u.host_str().is_some() => Ok(()),
        _ => anyhow::bail!("`{url}` is not a valid {flag} URL; pass e.g. {flag} {example}"),
    }
}

/// Split `ws://host:port/ws/executions/<id>/logs` into the server base and the execution id.
///
/// # Errors
/// When the URL does not have that shape.
pub fn split_exec_logs_url(url: &str) -> anyhow::Result<(String, String)> {
    check_scheme(
        url,
        &["ws", "wss", "http", "https"],
        "--exec-logs",
        "ws://host:8000/ws/executions/<id>/logs",
    )?;
    let parsed = reqwest::Url::parse(url)?;
    let segments: Vec<&str> = parsed
        .path_segments()
        .map(Iterator::collect)
        .unwrap_or_default();
    match segments.as_slice() {
        [.., "executions", id, "logs"] if !id.is_empty() => {
            let mut base = parsed.clone();
            base.set_path("");
            base.set_query(None);
            Ok((
                base.as_str().trim_end_matches('/').to_owned(),
                (*id).to_owned(),
            ))
        }
        _ => anyhow::bail!(
            "`{url}` does not name an execution; pass --exec-logs ws://host:port/ws/executions/<id>/logs"
        ),
    }
}

/// Command-line agent sources replace the configured ones of the same kind.
fn apply_agent_flags(args: &SourceArgs, a: &mut config::AgentSources) -> anyhow::Result<()> {
    use crate::config::agents::ExecLogSource;
    use crate::sources::events::{exec_logs, openclaw, redis, tool_proxy, ws};
    if !args.nexus_ws.is_empty() {
        for u in &args.nexus_ws {
            check_scheme(
                u,
                &["ws", "wss", "http", "https"],
                "--nexus-ws",
                "ws://host:8000",
            )?;
        }
        a.nexus_ws = args
            .nexus_ws
            .iter()
            .map(|u| ws::WsMonitorConfig::new(u.clone()))
            .collect();
    }
    if !args.nexus_redis.is_empty() {
        for u in &args.nexus_redis {
            check_scheme(
                u,
                &["redis", "rediss"],
                "--nexus-redis",
                "redis://host:6379",
            )?;
        }
        a.nexus_redis = args
            .nexus_redis
            .iter()
            .map(|u| redis::RedisConfig::new(u.clone()))
            .collect();
    }
    if !args.exec_logs.is_empty() {
        a.exec_logs.clear();
        for u in &args.exec_logs {
            let (base, id) = split_exec_logs_url(u)?;
            match a.exec_logs.iter_mut().find(|s| s.config.url == base) {
                Some(s) => s.executions.push(id),
                None => a.exec_logs.push(ExecLogSource {
                    config: exec_logs::ExecLogConfig::new(base),
                    executions: vec![id],
                }),
            }
        }
    }
    if !args.openclaw_sessions.is_empty() {
        a.openclaw_sessions = args
            .openclaw_sessions
            .iter()
            .map(|d| openclaw::SessionsFilesConfig::new(d.clone()))
            .collect();
    }
    if !args.openclaw_gateway.is_empty() {
        for u in &args.openclaw_gateway {
            check_scheme(
                u,
                &["http", "https"],
                "--openclaw-gateway",
                "http://host:18789",
            )?;
        }
        a.openclaw_gateway = args
            .openclaw_gateway
            .iter()
            .map(|u| openclaw::GatewayConfig::new(u.clone()))
            .collect();
    }
    if !args.tool_proxy_log.is_empty() {
        a.tool_proxy_logs = args
            .tool_proxy_log
            .iter()
            .map(|p| tool_proxy::ToolProxyConfig::new(p.clone()))
            .collect();
    }
    Ok(())
}

/// Run the collector for `duration` and return the model it built, with the alert engine
/// evaluated after every update (so `for` durations count real time).
///
/// # Errors
/// When the runtime cannot start.
pub fn collect(cfg: &Config, duration: Duration) -> anyhow::Result<(Model, Engine)> {
    let mut engine = Engine::new(cfg.alerts.rules.clone());
    let model = run_collector(cfg, Some(duration), |model, now| {
        engine.evaluate(model, now);
    })?;
    Ok((model, engine))
}

/// `swarmglass watch`: evaluate the rules as data arrives, deliver notifications and webhooks,
/// and print each transition to `out`. Runs for `duration`, or until the process is stopped.
///
/// # Errors
/// When the runtime or the notifier cannot start.
pub fn watch(cfg: &Config, duration: Option<Duration>, out: &mut dyn Write) -> anyhow::Result<()> {
    let (notifier, problems) = Notifier::start(cfg.alerts.notify_config())?;
    let mut engine = Engine::new(cfg.alerts.rules.clone());
    let mut write_failed = None;
    let model = run_collector(cfg, duration, |model, now| {
        for ev in engine.evaluate(model, now) {
            notifier.notify(&ev);
            if let Err(e) = writeln!(
                out,
                "{} {} — {}",
                humantime::format_rfc3339_seconds(ev.at),
                ev.summary(),
                ev.message
            ) {
                write_failed = Some(e);
            }
        }
        while let Ok(p) = problems.try_recv() {
            model.errors.record("alerts", "notify", &p.to_string(), now);
            if let Err(e) = writeln!(
                out,
                "{} notification problem: {p}",
                humantime::format_rfc3339_seconds(now)
            ) {
                write_failed = Some(e);
            }
        }
    })?;
    let stats = notifier.shutdown(Duration::from_secs(5));
    log::debug!(
        "notifier stopped: {stats:?}; {} source(s) watched",
        model.sources().len()
    );
    match write_failed {
        Some(e) => Err(anyhow::anyhow!("cannot write alert transitions: {e}")),
        None => Ok(()),
    }
}

/// Run the collector, applying every update to a fresh model and calling `each(model, now)`
/// after each one (and at least once a second), until `duration` has passed (`None`: forever).
fn run_collector(
    cfg: &Config,
    duration: Option<Duration>,
    mut each: impl FnMut(&mut Model, SystemTime),
) -> anyhow::Result<Model> {
    let (rx, rt) = runtime::start(cfg, 4096, std::sync::Arc::new(|| {}))?;
    let mut model = Model::new(cfg.model.clone());
    for spec in &rt.sources {
        model.register_spec(spec.clone());
    }
    let deadline = duration.map(|d| Instant::now() + d);
    loop {
        let left = deadline.map_or(Duration::from_secs(1), |d| {
            d.saturating_duration_since(Instant::now())
                .min(Duration::from_secs(1))
        });
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        match rx.recv_timeout(left) {
            Ok(u) => {
                let now = SystemTime::now();
                model.apply(u, now);
                each(&mut model, now);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let now = SystemTime::now();
                model.tick(now);
                each(&mut model, now);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    model.dropped_updates = rt.dropped();
    rt.shutdown();
    model.tick(SystemTime::now());
    Ok(model)
}

/// One inference server in a snapshot.
#[derive(Debug, Serialize)]
pub struct InferenceEntry {
    /// Node.
    pub node: String,
    /// Source URL.
    pub url: String,
    /// Server kind.
    pub kind: Option<crate::model::scrape::ServerKind>,
    /// Figures (`null` = n/a).
    #[serde(flatten)]
    pub stats: InferenceStats,
}

/// One source in a snapshot.
#[derive(Debug, Serialize)]
pub struct SourceEntry {
    /// The node it is shown on (see README.md, "How nodes are named").
    pub node: String,
    /// `prometheus`, `status`, `nvml`, `nvidia_smi`.
    pub kind: SourceKind,
    /// URL or `local`.
    pub url: String,
    /// Detected or configured server kind.
    pub server_kind: Option<crate::model::scrape::ServerKind>,
    /// Health.
    pub health: Health,
    /// Samples in the last scrape.
    pub samples: usize,
    /// Parse errors in the last scrape.
    pub parse_errors: usize,
    /// Canonical metrics the server did not expose.
    pub missing: Vec<String>,
    /// Host figures (node_exporter).
    pub host: Option<HostStats>,
}

/// Totals.
#[derive(Debug, Serialize)]
pub struct Totals {
    /// Generation tokens/s over all servers.
    pub gen_tokens_per_s: Option<f64>,
    /// Prompt tokens/s over all servers.
    pub prompt_tokens_per_s: Option<f64>,
}

/// The `snapshot --json` document (schema version 1).
#[derive(Debug, Serialize)]
pub struct Snapshot {
    /// Schema version; bumped on incompatible changes.
    pub schema: u32,
    /// When it was taken.
    #[serde(with = "crate::model::time_fmt")]
    pub taken_at: SystemTime,
    /// Cluster summary.
    pub cluster: ClusterView,
    /// Totals.
    pub totals: Totals,
    /// Nodes.
    pub nodes: Vec<NodeView>,
    /// GPUs.
    pub gpus: Vec<GpuCard>,
    /// Inference servers, one entry per model.
    pub inference: Vec<InferenceEntry>,
    /// Every source.
    pub sources: Vec<SourceEntry>,
    /// Deduplicated errors, newest first.
    pub errors: Vec<ErrorEntry>,
    /// Alerts firing and pending, and silences in force.
    pub alerts: AlertsSnapshot,
    /// Agents and tasks: task statistics, queue, workers, sessions, streams, executions.
    pub tasks: crate::model::tasks::TasksSnapshot,
    /// Updates dropped because the consumer fell behind.
    pub dropped_updates: u64,
}

/// Build the snapshot document from a model: its shared views, every source, errors, alerts.
#[must_use]
pub fn snapshot_of(model: &Model, engine: &Engine, now: SystemTime) -> Snapshot {
    let views = model.views();
    let (gen_tps, prompt_tps) = model.total_tps();
    Snapshot {
        schema: 1,
        taken_at: now,
        cluster: views.cluster.clone(),
        totals: Totals {
            gen_tokens_per_s: gen_tps,
            prompt_tokens_per_s: prompt_tps,
        },
        nodes: views.nodes.clone(),
        gpus: views.gpus.clone(),
        inference: views
            .inference
            .iter()
            .map(|c| InferenceEntry {
                node: c.node.clone(),
                url: c.source.locator.clone(),
                kind: c.kind,
                stats: c.stats.clone(),
            })
            .collect(),
        sources: model
            .sources()
            .values()
            .map(|s| SourceEntry {
                node: views.node_of(&s.id).to_owned(),
                kind: s.id.kind,
                url: s.id.locator.clone(),
                server_kind: s.kind,
                health: s.health.health.clone(),
                samples: s.samples,
                parse_errors: s.parse_errors,
                missing: s.missing.clone(),
                host: s.host,
            })
            .collect(),
        errors: model.errors.recent().into_iter().cloned().collect(),
        alerts: engine.snapshot(),
        tasks: model.tasks.snapshot(now),
        dropped_updates: model.dropped_updates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_logs_url_is_split_into_base_and_id() {
        let (base, id) =
            split_exec_logs_url("ws://10.0.0.9:8000/ws/executions/6f1c2a8e/logs").unwrap();
        assert_eq!(
            (base.as_str(), id.as_str()),
            ("ws://10.0.0.9:8000", "6f1c2a8e")
        );
        let err = split_exec_logs_url("ws://10.0.0.9:8000/ws/monitor")
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not name an execution"), "{err}");
        assert!(split_exec_logs_url("ftp://x/ws/executions/1/logs").is_err());
    }

    #[test]
    fn command_line_agent_sources_replace_configured_ones() {
        let args = SourceArgs {
            config: Some(std::path::PathBuf::from("/nonexistent/swarmglass.toml")),
            ..SourceArgs::default()
        };
        assert!(
            resolve_config(&args).is_err(),
            "an explicit config path must exist"
        );
        let mut a = config::AgentSources::default();
        let args = SourceArgs {
            nexus_ws: vec!["ws://h:1".into()],
            exec_logs: vec![
                "ws://h:2/ws/executions/a/logs".into(),
                "ws://h:2/ws/executions/b/logs".into(),
            ],
            tool_proxy_log: vec!["/var/log/p.log".into()],
            ..SourceArgs::default()
        };
        apply_agent_flags(&args, &mut a).unwrap();
        assert_eq!(a.nexus_ws.len(), 1);
        assert_eq!(a.exec_logs.len(), 1, "one server, two executions");
        assert_eq!(a.exec_logs[0].executions, ["a", "b"]);
        assert_eq!(a.tool_proxy_logs.len(), 1);
        let bad = SourceArgs {
            nexus_redis: vec!["http://h:6379".into()],
            ..SourceArgs::default()
        };
        assert!(
            apply_agent_flags(&bad, &mut a)
                .unwrap_err()
                .to_string()
                .contains("--nexus-redis")
        );
    }
}
