//! Text rendering of a [`Snapshot`] for people: one section per part of the model, every
//! figure written by [`crate::format`] (the window's style), "n/a" wherever one is unknown.

use super::Snapshot;
use crate::format;

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
        format::tps(s.totals.gen_tokens_per_s),
        format::tps(s.totals.prompt_tokens_per_s)
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
        let _ = writeln!(o, "  {}", g.summary());
    }
    let _ = writeln!(o, "\nInference:");
    if s.inference.is_empty() {
        let _ = writeln!(o, "  none seen");
    }
    for i in &s.inference {
        let st = &i.stats;
        let lines = crate::model::views::inference_summary(&i.node, i.kind, st);
        let _ = writeln!(o, "  {}", lines.replace('\n', "\n  "));
        if let Some(l) = &st.loaded {
            #[allow(clippy::cast_precision_loss)]
            let _ = writeln!(
                o,
                "    loaded: VRAM {}  size {}  {} {}  context {}  unloads at {}  installed models {}",
                format::size(l.vram_bytes),
                format::size(l.size_bytes),
                l.parameter_size.as_deref().unwrap_or("n/a"),
                l.quantization.as_deref().unwrap_or(""),
                format::count(l.context_length.map(|c| c as f64)),
                l.expires_at_ms
                    .and_then(|ms| u64::try_from(ms).ok())
                    .map_or_else(
                        || "n/a".to_owned(),
                        |ms| format::timestamp(
                            std::time::SystemTime::UNIX_EPOCH
                                + std::time::Duration::from_millis(ms)
                        )
                    ),
                format::count(l.installed_models.map(|n| n as f64)),
            );
        }
        if let Some(slots) = st.slots {
            let _ = writeln!(
                o,
                "    slots: {} busy of {} (read from /slots: /metrics is off)",
                slots.busy, slots.total
            );
        }
    }
    let _ = writeln!(o, "\nSources:");
    for src in &s.sources {
        let missing = if src.missing.is_empty() {
            String::new()
        } else {
            format!(", missing: {}", src.missing.join(", "))
        };
        let tls = if src.tls_unverified {
            ", TLS CERTIFICATE NOT VERIFIED (tls_insecure_skip_verify)"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "  {:<6} {:<10} {} — {} samples, {} parse error(s){missing}{tls}",
            src.health.label(),
            src.kind,
            src.url,
            src.samples,
            src.parse_errors
        );
        for p in &src.problems {
            let _ = writeln!(o, "         refused: {p}");
        }
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
            "  [{}] ×{} {} — {} (first {}, last {}{})",
            e.kind,
            e.count,
            e.source,
            e.last_message.replace('\n', "\n      "),
            format::timestamp(e.first_seen),
            format::timestamp(e.last_seen),
            e.resolved_at
                .map(|t| format!(
                    "; resolved {}: the source works again",
                    format::timestamp(t)
                ))
                .unwrap_or_default()
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
            format::fraction_pct(st.success_rate),
            format::seconds(st.completion.avg_ms.map(|m| m / 1000.0)),
            format::seconds(st.completion.p95_ms.map(|m| m / 1000.0)),
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
        "  workers    {}, {} stale{}",
        format::workers_online(t.workers.online.len(), t.workers.stopped_counting_at),
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
        format::millis(s.oldest_active_age_ms),
        format::tokens(Some(s.input_tokens)),
        format::tokens(Some(s.output_tokens))
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
