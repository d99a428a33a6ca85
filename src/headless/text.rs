//! Text rendering of a [`Snapshot`] for people: one section per part of the model, "n/a"
//! wherever a figure is unknown.

use std::time::Duration;

use super::Snapshot;

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
    if !s.read_from.is_empty() {
        let _ = writeln!(o, "             from {}", s.read_from.join(", "));
    }
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
