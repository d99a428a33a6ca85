//! Headless commands: `snapshot` (run the real collector for a while and print the model) and
//! `metrics check` (a tolerant `promtool check metrics`). Output is built as data first, so the
//! JSON shape is one serde struct documented in README.md.

use std::io::{Read, Write};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::alerts::notify::Notifier;
use crate::alerts::{AlertsSnapshot, Engine};
use crate::cli::SourceArgs;
use crate::config::{self, Config, PrometheusTarget, StatusEndpoint};
use crate::model::errors::ErrorEntry;
use crate::model::health::Health;
use crate::model::inference::InferenceStats;
use crate::model::views::{ClusterView, GpuCard, NodeView};
use crate::model::{HostStats, Model};
use crate::runtime;
use crate::sources::prometheus::{self, MetricType, ParseError};
use crate::sources::{SourceError, http};

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
        model.sources.len()
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
    for (id, interval) in &rt.sources {
        model.register(id.clone(), *interval);
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
    /// Node.
    pub node: String,
    /// `prometheus`, `status`, `nvml`, `nvidia_smi`.
    pub kind: String,
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

/// Build the snapshot document from a model.
#[must_use]
pub fn snapshot_of(model: &Model, engine: &Engine, now: SystemTime) -> Snapshot {
    let (gen_tps, prompt_tps) = model.total_tps();
    Snapshot {
        schema: 1,
        taken_at: now,
        cluster: model.cluster(),
        totals: Totals {
            gen_tokens_per_s: gen_tps,
            prompt_tokens_per_s: prompt_tps,
        },
        nodes: model.nodes(),
        gpus: model.gpu_cards(),
        inference: model
            .inference_stats()
            .map(|(s, i)| InferenceEntry {
                node: s.id.node.clone(),
                url: s.id.locator.clone(),
                kind: s.kind,
                stats: i.clone(),
            })
            .collect(),
        sources: model
            .sources
            .values()
            .map(|s| SourceEntry {
                node: s.id.node.clone(),
                kind: s.id.kind.clone(),
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

/// Format a figure, `n/a` when missing.
#[must_use]
pub fn fmt_opt(v: Option<f64>, unit: &str, decimals: usize) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.decimals$}{unit}"))
}

fn fmt_ms(v: Option<f64>) -> String {
    fmt_opt(v.map(|s| s * 1000.0), " ms", 0)
}

/// Human-readable snapshot.
#[must_use]
pub fn render_text(s: &Snapshot) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let c = &s.cluster;
    let _ = writeln!(
        o,
        "Cluster: {} — {}/{} nodes up, failover {}, active node {}",
        c.overall.label(),
        c.nodes_up,
        c.nodes_total,
        c.failover_ready
            .map_or("n/a", |r| if r { "ready" } else { "NOT ready" }),
        c.active_node.as_deref().unwrap_or("n/a"),
    );
    let _ = writeln!(
        o,
        "Throughput: {} generated, {} prompt",
        fmt_opt(s.totals.gen_tokens_per_s, " tok/s", 1),
        fmt_opt(s.totals.prompt_tokens_per_s, " tok/s", 1)
    );
    let _ = writeln!(o, "\nNodes:");
    for n in &s.nodes {
        let why = n
            .health
            .reason()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "  {:<24} {:<8} {}/{} sources up, {} GPU(s){why}",
            n.name,
            n.health.label(),
            n.sources_up,
            n.sources,
            n.gpus
        );
    }
    let _ = writeln!(o, "\nGPUs:");
    if s.gpus.is_empty() {
        let _ = writeln!(o, "  none seen");
    }
    for g in &s.gpus {
        let gpu = &g.gpu;
        let _ = writeln!(
            o,
            "  {} #{} {:<26} util {:>6}  vram {:>6} ({} / {})  temp {:>6}  power {:>7}  model {}",
            g.node,
            gpu.index.map_or_else(|| "?".to_owned(), |i| i.to_string()),
            gpu.name.as_deref().unwrap_or("n/a"),
            fmt_opt(gpu.util_pct, "%", 0),
            fmt_opt(gpu.mem_used_pct(), "%", 1),
            fmt_opt(gpu.mem_used_bytes.map(gib), " GiB", 1),
            fmt_opt(gpu.mem_total_bytes.map(gib), " GiB", 1),
            fmt_opt(gpu.temp_c, " °C", 0),
            fmt_opt(gpu.power_w, " W", 0),
            g.model.as_deref().unwrap_or("n/a"),
        );
    }
    let _ = writeln!(o, "\nInference:");
    if s.inference.is_empty() {
        let _ = writeln!(o, "  none seen");
    }
    for i in &s.inference {
        let st = &i.stats;
        let _ = writeln!(
            o,
            "  {} {} [{}]\n    gen {}  prompt {}  running {}  waiting {}  KV {}  req/s {}  errors {}\n    TTFT p50 {} p95 {}  e2e p50 {} p95 {}  ITL p50 {}",
            i.node,
            st.model.as_deref().unwrap_or("(model n/a)"),
            i.kind.map_or("?", |k| k.as_str()),
            fmt_opt(st.gen_tps, " tok/s", 1),
            fmt_opt(st.prompt_tps, " tok/s", 1),
            fmt_opt(st.running, "", 0),
            fmt_opt(st.waiting, "", 0),
            fmt_opt(st.kv_cache_pct, "%", 1),
            fmt_opt(st.requests_per_s, "", 2),
            fmt_opt(st.error_pct, "%", 1),
            fmt_ms(st.ttft.p50_s),
            fmt_ms(st.ttft.p95_s),
            fmt_ms(st.e2e.p50_s),
            fmt_ms(st.e2e.p95_s),
            fmt_ms(st.itl.p50_s),
        );
    }
    let _ = writeln!(o, "\nSources:");
    for src in &s.sources {
        let missing = if src.missing.is_empty() {
            String::new()
        } else {
            format!(", missing: {}", src.missing.join(", "))
        };
        let _ = writeln!(
            o,
            "  {:<6} {:<10} {} — {} samples, {} parse error(s){missing}",
            src.health.label(),
            src.kind,
            src.url,
            src.samples,
            src.parse_errors
        );
    }
    render_tasks(&mut o, &s.tasks);
    let _ = writeln!(
        o,
        "\nAlerts ({} firing, {} pending):",
        s.alerts.firing.len(),
        s.alerts.pending.len()
    );
    for a in s.alerts.firing.iter().chain(&s.alerts.pending) {
        let _ = writeln!(
            o,
            "  {:<8} {:<8} {}",
            a.severity.as_str(),
            a.state.label(),
            a.message
        );
    }
    let _ = writeln!(o, "\nErrors ({}):", s.errors.len());
    for e in &s.errors {
        let _ = writeln!(
            o,
            "  [{}] ×{} {} — {} (first {}, last {})",
            e.kind,
            e.count,
            e.source,
            e.last_message,
            humantime::format_rfc3339_seconds(e.first_seen),
            humantime::format_rfc3339_seconds(e.last_seen)
        );
    }
    o
}

fn render_tasks(o: &mut String, t: &crate::model::tasks::TasksSnapshot) {
    use std::fmt::Write as _;
    if t.events_total == 0 && t.streams.is_empty() && t.sessions.total == 0 {
        return;
    }
    let _ = writeln!(o, "\nAgents and tasks:");
    for (label, st) in [("last hour", &t.last_hour), ("last 24 h", &t.last_24h)] {
        let _ = writeln!(
            o,
            "  {label:<9}  completed {}  failed {}  timed out {}  retried {}  success {}  avg {}  p95 {}",
            st.completed,
            st.failed,
            st.timed_out,
            st.retried,
            fmt_opt(st.success_rate.map(|r| r * 100.0), "%", 1),
            fmt_opt(st.completion.avg_ms.map(|m| m / 1000.0), " s", 1),
            fmt_opt(st.completion.p95_ms.map(|m| m / 1000.0), " s", 1),
        );
    }
    if let Some(q) = &t.queue {
        let parts: Vec<String> = q
            .by_priority
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(o, "  queue      {} ({})", q.total, parts.join(", "));
    }
    let _ = writeln!(
        o,
        "  workers    {} online, {} stale{}",
        t.workers.online.len(),
        t.workers.stale.len(),
        t.workers
            .reported_online
            .map(|n| format!(" ({n} reported)"))
            .unwrap_or_default()
    );
    let s = &t.sessions;
    let _ = writeln!(
        o,
        "  sessions   {} active of {} (oldest {}), tokens in {} out {}",
        s.active,
        s.total,
        s.oldest_active_age_ms.map_or_else(
            || "n/a".to_owned(),
            |ms| humantime::format_duration(Duration::from_secs(ms / 1000)).to_string()
        ),
        s.input_tokens,
        s.output_tokens
    );
    let _ = writeln!(
        o,
        "  tool proxy {} error(s) in the last hour",
        t.tool_proxy.errors_last_hour
    );
    let _ = writeln!(
        o,
        "  events     {} received, {} malformed, {} duplicate(s) dropped",
        t.events_total, t.malformed_total, t.duplicates_dropped
    );
}

#[allow(clippy::cast_precision_loss)]
fn gib(b: u64) -> f64 {
    b as f64 / 1_073_741_824.0
}

/// One family in a `metrics check` report.
#[derive(Debug, Serialize)]
pub struct CheckedFamily {
    /// Family name.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: MetricType,
    /// Samples.
    pub samples: usize,
}

/// `metrics check` report.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// What was read.
    pub input: String,
    /// `prometheus` or `openmetrics`.
    pub format: &'static str,
    /// Bytes read.
    pub bytes: usize,
    /// Families.
    pub families: Vec<CheckedFamily>,
    /// Total samples.
    pub samples: usize,
    /// Every error with its line.
    pub errors: Vec<ParseError>,
}

/// Read the input of `metrics check`: a file, `-` (stdin) or an http(s) URL.
///
/// # Errors
/// Unreadable file or stdin, or a failed fetch; each names the input.
pub fn read_input(input: &str) -> anyhow::Result<(Vec<u8>, Option<String>)> {
    if input == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        return Ok((buf, None));
    }
    if input.starts_with("http://") || input.starts_with("https://") {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let fetched: Result<http::Fetched, SourceError> = rt.block_on(async {
            let client = http::client()?;
            http::get(
                &client,
                http::Request {
                    url: input,
                    timeout: Duration::from_secs(10),
                    max_body_bytes: http::DEFAULT_MAX_BODY_BYTES,
                    bearer: None,
                },
            )
            .await
        });
        let f = fetched?;
        return Ok((f.body, f.content_type));
    }
    let body = std::fs::read(input).map_err(|e| anyhow::anyhow!("cannot read {input}: {e}"))?;
    Ok((body, None))
}

/// Check one exposition.
#[must_use]
pub fn check(input: &str, body: &[u8], content_type: Option<&str>) -> CheckReport {
    let format = prometheus::detect_format(content_type, body);
    let exp = prometheus::parse(body, format);
    CheckReport {
        input: input.to_owned(),
        format: match format {
            prometheus::Format::Prometheus => "prometheus",
            prometheus::Format::OpenMetrics => "openmetrics",
        },
        bytes: body.len(),
        families: exp
            .families
            .iter()
            .map(|f| CheckedFamily {
                name: f.name.to_string(),
                kind: f.kind,
                samples: f.samples.len(),
            })
            .collect(),
        samples: exp.sample_count(),
        errors: exp.errors.clone(),
    }
}

/// Human-readable `metrics check` report.
#[must_use]
pub fn render_check(r: &CheckReport) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    for f in &r.families {
        let _ = writeln!(
            o,
            "{:<60} {:<15} {:>6} samples",
            f.name,
            format!("{:?}", f.kind).to_lowercase(),
            f.samples
        );
    }
    for e in &r.errors {
        let _ = writeln!(o, "{}:{}: {}", r.input, e.line, e.message);
    }
    let _ = writeln!(
        o,
        "{}: {} format, {} bytes, {} families, {} samples, {} error(s)",
        r.input,
        r.format,
        r.bytes,
        r.families.len(),
        r.samples,
        r.errors.len()
    );
    o
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
