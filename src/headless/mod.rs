//! Headless commands: `snapshot` (run the real collector for a while and print the model),
//! `watch` (alerts without a window) and `metrics check` (a tolerant `promtool check metrics`).
//! Output is built as data first, so the JSON shape is one serde struct documented in README.md;
//! `text.rs` renders it for people, `check.rs` owns `metrics check`, `output.rs` writes it all
//! (passwords in URLs redacted; a closed stdout ends the command quietly). A stop request
//! (SIGINT, SIGTERM) ends the collection early: `snapshot` prints what it gathered, `watch`
//! lets its last deliveries finish within one try's timeout.

mod check;
mod history_cmd;
mod output;
mod text;

use std::io::Write;
use std::ops::ControlFlow;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::alerts::notify::Notifier;
use crate::alerts::{AlertsSnapshot, Engine};
use crate::config::Config;
use crate::model::errors::ErrorEntry;
use crate::model::health::Health;
use crate::model::ids::SourceKind;
use crate::model::inference::InferenceStats;
use crate::model::views::{ClusterView, GpuCard, NodeView};
use crate::model::{HostStats, Model};
use crate::recording::Recording;
use crate::runtime;
use crate::signals::StopRequest;

pub use check::{CheckReport, CheckedFamily, check, check_input, render_check};
pub use history_cmd::history_command;
pub use output::{Output, emit, print};
pub use text::render_text;

/// Run the collector for `duration` (or until `stop` is requested: a signal) and return the
/// model it built, with the alert engine evaluated after every update (so `for` durations count
/// real time). Stopped early, the model holds what was gathered so far.
///
/// # Errors
/// When the runtime cannot start.
pub fn collect(
    cfg: &Config,
    duration: Duration,
    stop: &StopRequest,
) -> anyhow::Result<(Model, Engine)> {
    let mut engine = Engine::new(cfg.alerts.rules.clone());
    let model = run_collector(
        cfg,
        Some(duration),
        stop,
        &mut engine,
        |model, engine, now| {
            engine.evaluate(model, now);
            ControlFlow::Continue(())
        },
    )?;
    Ok((model, engine))
}

/// `swarmglass watch`: evaluate the rules as data arrives, deliver notifications and webhooks,
/// and print each transition to `out`. Runs for `duration` (`None`: for ever), until `stop` is
/// requested (a signal), or until nobody reads `out` any more (a closed pipe); then gives the
/// deliveries still under way at most one try's timeout ([`crate::alerts::notify::NotifyConfig::longest_try`]).
///
/// # Errors
/// When the runtime or the notifier cannot start, or `out` fails other than by being closed.
pub fn watch(
    cfg: &Config,
    duration: Option<Duration>,
    stop: &StopRequest,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let notify = cfg.alerts.notify_config();
    let grace = notify.longest_try();
    let (notifier, problems) = Notifier::start(notify)?;
    let mut engine = Engine::new(cfg.alerts.rules.clone());
    let mut write_failed = None;
    let model = run_collector(cfg, duration, stop, &mut engine, |model, engine, now| {
        let mut lines = String::new();
        for ev in engine.evaluate(model, now) {
            notifier.notify(&ev);
            lines.push_str(&format!(
                "{} {} — {}\n",
                crate::format::timestamp(ev.at),
                ev.summary(),
                ev.message
            ));
        }
        while let Ok(p) = problems.try_recv() {
            model.errors.record("alerts", "notify", &p.to_string(), now);
            lines.push_str(&format!(
                "{} notification problem: {p}\n",
                crate::format::timestamp(now)
            ));
        }
        if lines.is_empty() {
            return ControlFlow::Continue(());
        }
        match output::emit(out, &lines) {
            Ok(Output::Written) => ControlFlow::Continue(()),
            Ok(Output::Closed) => ControlFlow::Break(()),
            Err(e) => {
                write_failed = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    let ended = notifier.shutdown(grace);
    log::debug!(
        "notifier stopped ({}): {:?}; {} source(s) watched",
        if ended.finished {
            "every delivery done"
        } else {
            "deliveries cut short"
        },
        ended.stats,
        model.sources().len()
    );
    match write_failed {
        Some(e) => Err(anyhow::anyhow!(
            "cannot write alert transitions to standard output: {e}"
        )),
        None => Ok(()),
    }
}

/// How often the collector loop takes the updates that arrived and looks at the stop request.
/// Taken in batches: a fleet's hundreds of updates a second would otherwise each wake this
/// thread (and make the collector's thread wake it: a system call per update).
const BATCH: Duration = Duration::from_millis(50);
/// The most updates one batch takes (the channel's size): a flood cannot starve the tick.
const BATCH_MAX: usize = 4096;
/// How often the model is ticked (and `each` called).
const TICK: Duration = Duration::from_secs(1);

/// Apply at most `max` of the updates that already arrived; `false` once every collector is
/// gone.
fn drain(rx: &runtime::Updates, model: &mut Model, max: usize) -> bool {
    for _ in 0..max {
        match rx.try_recv() {
            Ok(u) => model.apply(u, SystemTime::now()),
            Err(std::sync::mpsc::TryRecvError::Empty) => break,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => return false,
        }
    }
    true
}

/// Run the collector, applying every update to a fresh model and calling
/// `each(model, engine, now)` once a second, until `duration` has passed (`None`: forever),
/// `stop` is requested, or `each` breaks. History is recorded (and
/// what the last run saved put back first) unless the config turns it off.
fn run_collector(
    cfg: &Config,
    duration: Option<Duration>,
    stop: &StopRequest,
    engine: &mut Engine,
    mut each: impl FnMut(&mut Model, &mut Engine, SystemTime) -> ControlFlow<()>,
) -> anyhow::Result<Model> {
    let mut model = Model::new(cfg.model.clone());
    // History first: what it puts back is there before the first update.
    let mut recording = Recording::start(&cfg.history, &mut model, engine, SystemTime::now());
    let (rx, rt) = runtime::start(cfg, BATCH_MAX, std::sync::Arc::new(|| {}))?;
    rt.declare_to(&mut model, &cfg.notes, SystemTime::now());
    let deadline = duration.map(|d| Instant::now() + d);
    let mut next_tick = Instant::now() + TICK;
    while !stop.requested() {
        let now_i = Instant::now();
        if deadline.is_some_and(|d| now_i >= d) {
            break;
        }
        let wait = deadline
            .map_or(BATCH, |d| d.saturating_duration_since(now_i))
            .min(next_tick.saturating_duration_since(now_i))
            .min(BATCH);
        std::thread::sleep(wait);
        if !drain(&rx, &mut model, BATCH_MAX) {
            break;
        }
        // Rules, history and staleness once a TICK, as the window does: not once per update
        // (a fleet sends hundreds a second, and each evaluation reads freshly built views).
        if Instant::now() < next_tick {
            continue;
        }
        next_tick = Instant::now() + TICK;
        let now = SystemTime::now();
        model.tick(now);
        let flow = each(&mut model, engine, now);
        if let Some(r) = &mut recording {
            r.tick(&mut model, engine, now);
        }
        if flow.is_break() {
            break;
        }
    }
    // What already arrived counts (a stop request may come between an answer and its turn).
    drain(&rx, &mut model, usize::MAX);
    model.dropped_updates = rt.dropped();
    rt.shutdown();
    let now = SystemTime::now();
    model.tick(now);
    if let Some(r) = &mut recording {
        r.finish(&mut model, engine, now);
    }
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
    /// Values refused as out of range (n/a, never figures) and series over the caps.
    pub problems: Vec<String>,
    /// Host figures (node_exporter).
    pub host: Option<HostStats>,
    /// Its HTTPS certificate is not verified (`tls_insecure_skip_verify = true`).
    pub tls_unverified: bool,
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
                problems: s.problems.clone(),
                host: s.host,
                tls_unverified: s.tls_unverified,
            })
            .collect(),
        errors: model.errors.recent().into_iter().cloned().collect(),
        alerts: engine.snapshot(),
        tasks: model.tasks.snapshot(now),
        dropped_updates: model.dropped_updates,
    }
}
