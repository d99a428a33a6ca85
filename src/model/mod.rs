//! The model: plain data and pure state transitions. The UI thread (or a headless command) is
//! its single owner; collectors send [`SourceUpdate`]s that [`Model::apply`] folds in at an
//! explicit `now`. Nothing here does I/O or knows about egui. [`Model::views`] is the one read
//! of it that the window, `snapshot`, `watch` and the alert rules share, built once per change.

pub mod derive;
pub mod errors;
pub mod gpu;
pub mod health;
pub mod identity;
pub mod ids;
pub mod inference;
pub mod input;
pub mod redact;
pub mod scrape;
pub mod series;
pub mod status;
pub mod tasks;
pub mod text;
pub mod time_fmt;
pub mod views;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use errors::ErrorLog;
use gpu::{GpuOrigin, GpuSample};
use health::SourceHealth;
use ids::{SourceId, SourceKind, SourceSpec};
use inference::{InferenceStats, derive_stats};
use input::{FleetTarget, SourceError, SourceUpdate};
use scrape::{ScrapeData, ServerKind};
use series::TimeSeries;
use status::ClusterStatus;
use views::Views;

/// How the model derives and keeps figures.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSettings {
    /// Window for latency quantiles and error shares (PromQL's `[1m]`).
    pub quantile_window: Duration,
    /// How much plot history to keep.
    pub history_retention: Duration,
    /// One plot point per this much time at most.
    pub history_resolution: Duration,
    /// Consecutive failures before a source that answered before is down.
    pub down_after_failures: u32,
    /// A source is stale after this many of its intervals without data.
    pub stale_after_intervals: u32,
    /// Models kept per Prometheus source; a server listing more keeps the first ones (in name
    /// order) with a problem, so memory follows the config, not what a server sends.
    pub max_models_per_source: usize,
    /// GPUs kept per Prometheus source, likewise.
    pub max_gpus_per_source: usize,
}

impl Default for ModelSettings {
    fn default() -> Self {
        Self {
            quantile_window: Duration::from_secs(60),
            history_retention: Duration::from_secs(3600),
            history_resolution: Duration::from_secs(1),
            down_after_failures: 2,
            stale_after_intervals: 3,
            max_models_per_source: 64,
            max_gpus_per_source: 64,
        }
    }
}

/// Host figures derived from node_exporter.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct HostStats {
    /// CPU busy %, all CPUs, over the last interval.
    pub cpu_pct: Option<f64>,
    /// Memory used % (1 − available/total).
    pub mem_pct: Option<f64>,
}

/// Everything known about one configured source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceState {
    /// Which source.
    pub id: SourceId,
    /// The config gave its node name (see [`identity`]).
    pub node_named: bool,
    /// A built-in default nobody configured: "not found" rather than "down" until it answers.
    pub implicit: bool,
    /// Its HTTPS certificate is not verified (`tls_insecure_skip_verify = true`).
    pub tls_unverified: bool,
    /// The host name the source reports for its machine (the latest one it gave).
    pub host_name: Option<String>,
    /// Health state machine.
    pub health: SourceHealth,
    /// Poll interval (for staleness).
    pub interval: Duration,
    /// Server kind in use (Prometheus targets).
    pub kind: Option<ServerKind>,
    /// Derived inference stats, one per model.
    pub inference: Vec<InferenceStats>,
    /// GPUs this source describes, each shared with the GPU cards of the views that show it
    /// (a card is a reference, not a copy, unless several sources' readings fill it).
    pub gpus: Vec<Arc<GpuSample>>,
    /// Where those GPUs were read.
    pub gpu_origin: Option<GpuOrigin>,
    /// Host stats (node_exporter).
    pub host: Option<HostStats>,
    /// Latest cluster status (status endpoints).
    pub status: Option<ClusterStatus>,
    /// Canonical metrics the server should expose but did not.
    pub missing: Vec<String>,
    /// Values of the latest scrape refused as out of range (shown as n/a) and series over the
    /// caps, in words.
    pub problems: Vec<String>,
    /// Parse errors in the latest scrape.
    pub parse_errors: usize,
    /// Samples in the latest scrape.
    pub samples: usize,
    /// Recent raw scrapes within the quantile window (oldest first).
    pub raw: VecDeque<(SystemTime, ScrapeData)>,
}

impl SourceState {
    fn new(spec: SourceSpec, settings: &ModelSettings) -> Self {
        let SourceSpec {
            id,
            interval,
            node_named,
            implicit,
            tls_unverified,
        } = spec;
        let stale_after = interval.saturating_mul(settings.stale_after_intervals.max(1));
        Self {
            id,
            node_named,
            implicit,
            tls_unverified,
            host_name: None,
            health: SourceHealth::new(stale_after, settings.down_after_failures),
            interval,
            kind: None,
            inference: Vec::new(),
            gpus: Vec::new(),
            gpu_origin: None,
            host: None,
            status: None,
            missing: Vec::new(),
            problems: Vec::new(),
            parse_errors: 0,
            samples: 0,
            raw: VecDeque::new(),
        }
    }

    /// Whether it counts in the views: every source does, except a built-in default that has
    /// not answered yet (or was not found).
    #[must_use]
    pub fn in_views(&self) -> bool {
        !(self.implicit && self.health.last_ok.is_none())
    }
}

/// The whole model.
#[derive(Debug, Clone)]
pub struct Model {
    /// Settings in force.
    pub settings: ModelSettings,
    /// Every source, sorted by id (node, kind, locator). Private so that every change goes
    /// through a method that drops the cached views.
    sources: BTreeMap<SourceId, SourceState>,
    /// The views of the current state, built on first use after a change.
    views: OnceLock<Views>,
    /// The last views, kept when a change drops them, with the sources changed since: the
    /// next build starts from them (`views::Views::build`).
    views_memo: MemoSlot,
    /// Deduplicated errors.
    pub errors: ErrorLog,
    /// Cluster-wide generation tokens/s.
    pub gen_tps_history: TimeSeries,
    /// Cluster-wide prompt tokens/s.
    pub prompt_tps_history: TimeSeries,
    /// When the newest successful data arrived.
    pub last_data_at: Option<SystemTime>,
    /// An inference figure changed at this time since the throughput plots' last point: the
    /// next [`Model::tick`] adds one (summing every server once per tick, not once per update).
    history_due: Option<SystemTime>,
    /// Updates the collectors had to drop because the channel was full.
    pub dropped_updates: u64,
    /// Agents, tasks, workers, sessions and execution logs.
    pub tasks: tasks::TaskModel,
}

/// The last views and what changed since: taken by the next build (through `&Model`, hence
/// the lock, never contended). A clone of the model starts without; it is only a shortcut.
#[derive(Debug, Default)]
struct MemoSlot(Mutex<Option<views::Changes>>);

impl MemoSlot {
    fn take(&self) -> Option<views::Changes> {
        self.0.lock().ok().and_then(|mut m| m.take())
    }
}

impl Clone for MemoSlot {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl Model {
    /// An empty model.
    #[must_use]
    pub fn new(settings: ModelSettings) -> Self {
        Self {
            gen_tps_history: TimeSeries::new(
                settings.history_retention,
                settings.history_resolution,
            ),
            prompt_tps_history: TimeSeries::new(
                settings.history_retention,
                settings.history_resolution,
            ),
            settings,
            sources: BTreeMap::new(),
            views: OnceLock::new(),
            views_memo: MemoSlot::default(),
            errors: ErrorLog::default(),
            last_data_at: None,
            history_due: None,
            dropped_updates: 0,
            tasks: tasks::TaskModel::new(tasks::TaskSettings::default()),
        }
    }

    /// Declare a source whose node name was given before it reports, so it shows as "unknown"
    /// rather than not at all.
    pub fn register(&mut self, id: SourceId, interval: Duration) {
        self.register_spec(SourceSpec::named(id, interval));
    }

    /// Declare a source as the collector describes it (node named or not, implicit or not).
    pub fn register_spec(&mut self, spec: SourceSpec) {
        self.changing(&spec.id);
        let settings = &self.settings;
        self.sources
            .entry(spec.id.clone())
            .or_insert_with(|| SourceState::new(spec, settings));
    }

    /// Every source, sorted by id.
    #[must_use]
    pub fn sources(&self) -> &BTreeMap<SourceId, SourceState> {
        &self.sources
    }

    /// One source, to change it by hand (tests, tools); the views are rebuilt after.
    pub fn source_state_mut(&mut self, id: &SourceId) -> Option<&mut SourceState> {
        self.changing(id);
        self.sources.get_mut(id)
    }

    /// The views of the current state: built on the first call after a change, then shared by
    /// every reader until the next change.
    pub fn views(&self) -> &Views {
        self.views
            .get_or_init(|| Views::build(self, self.views_memo.take()))
    }

    /// Source `id` is about to change: drop the views, keeping them (and which sources changed
    /// since) for the next build to start from.
    fn changing(&mut self, id: &SourceId) {
        let slot = self
            .views_memo
            .0
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(v) = self.views.take() {
            *slot = Some(views::Changes::since(v));
        }
        if let Some(changes) = slot {
            changes.mark(id, self.sources.get(id));
        }
    }

    fn source_mut(&mut self, id: &SourceId) -> &mut SourceState {
        self.changing(id);
        let settings = &self.settings;
        self.sources.entry(id.clone()).or_insert_with(|| {
            SourceState::new(
                SourceSpec::named(id.clone(), Duration::from_secs(2)),
                settings,
            )
        })
    }

    /// Fold one update in at `now`. What follows from time passing (other sources going stale,
    /// the throughput plots' point) waits for the next [`Model::tick`]: a fleet sends thousands
    /// of updates a second, and both read every source.
    pub fn apply(&mut self, update: SourceUpdate, now: SystemTime) {
        let id = update.source().clone();
        if update.is_success() {
            // The source works again: its earlier errors are history. What this answer had to
            // leave out is current.
            let name = id.to_string();
            self.errors.resolve(&name, now);
            if let Some((kind, message)) = update.problems() {
                self.errors.record(&name, kind, &message, now);
            }
        }
        let failure = match update {
            SourceUpdate::Agents(u) => {
                if let Some(e) = u.error() {
                    self.errors
                        .record(&id.to_string(), e.kind(), &e.to_string(), now);
                }
                self.tasks.apply(*u, now);
                for (source, what) in self.tasks.take_problems() {
                    self.errors
                        .record(&source.to_string(), "bad_value", &what, now);
                }
                return;
            }
            SourceUpdate::Scrape { at, result, .. } => match result {
                Ok(data) => {
                    self.apply_scrape(&id, at, data, None);
                    None
                }
                Err(e) => Some(e),
            },
            SourceUpdate::Fleet { at, result, .. } => match result {
                Ok(targets) => {
                    self.apply_fleet(&id, at, targets);
                    None
                }
                Err(e) => Some(e),
            },
            SourceUpdate::Status { at, result, .. } => match result {
                Ok(status) => {
                    let s = self.source_mut(&id);
                    s.status = Some(status);
                    s.health.on_success(at);
                    self.last_data_at = Some(at);
                    None
                }
                Err(e) => Some(e),
            },
            SourceUpdate::LocalGpus { at, result, .. } => match result {
                Ok(gpus) => {
                    let s = self.source_mut(&id);
                    s.gpus = gpus.into_iter().map(Arc::new).collect();
                    s.gpu_origin = Some(if id.kind == SourceKind::NvidiaSmi {
                        GpuOrigin::NvidiaSmiXml
                    } else {
                        GpuOrigin::Nvml
                    });
                    s.health.on_success(at);
                    self.last_data_at = Some(at);
                    None
                }
                Err(e) => Some(e),
            },
        };
        if let Some(e) = failure {
            self.on_failure(&id, &e, now);
        }
    }

    /// A poll of `id` failed: its health, its error-log entry, and a gap in the plot.
    fn on_failure(&mut self, id: &SourceId, e: &SourceError, now: SystemTime) {
        let msg = e.to_string();
        let s = self.source_mut(id);
        // A default nobody configured that has never answered: said once, quietly.
        let note = if s.implicit && s.health.last_ok.is_none() {
            s.health.on_failure_implicit(now, &msg).then(|| {
                (
                    "not_found",
                    format!(
                        "not found: a built-in default that no one configured, and nothing answers there ({msg}); it counts in no node and raises no alert"
                    ),
                )
            })
        } else {
            s.health.on_failure(now, &msg);
            Some((e.kind(), msg))
        };
        if let Some((kind, text)) = note {
            self.errors.record(&id.to_string(), kind, &text, now);
        }
        let s = self.source_mut(id);
        if s.kind.is_some_and(ServerKind::is_inference) {
            // A failed poll is a gap in the plot, never a drop to 0.
            s.inference.iter_mut().for_each(|i| {
                i.gen_tps = None;
                i.prompt_tps = None;
            });
            self.push_history(now);
        }
    }

    /// Every target a Prometheus server reported: each is a source of its own (declared on
    /// first sight), filled with what the server derived; the plot gets one point.
    fn apply_fleet(&mut self, server: &SourceId, at: SystemTime, targets: Vec<FleetTarget>) {
        let interval = self
            .sources
            .get(server)
            .map_or(Duration::from_secs(5), |s| s.interval);
        let s = self.source_mut(server);
        s.samples = targets.len();
        s.health.on_success(at);
        for t in targets {
            self.register_spec(SourceSpec {
                id: t.id.clone(),
                interval,
                node_named: false,
                implicit: false,
                tls_unverified: false,
            });
            match t.result {
                Ok(d) => {
                    self.errors.resolve(&t.id.to_string(), at);
                    self.apply_scrape(&t.id, at, d.scrape, Some((d.inference, d.host)));
                }
                Err(e) => self.on_failure(&t.id, &e, at),
            }
        }
        self.last_data_at = Some(at);
        self.push_history(at);
    }

    /// Fold in one scrape. `given` holds the figures a Prometheus server derived (then nothing
    /// is derived here and the caller draws the plot's point); `None` derives them from this
    /// scrape and the ones before.
    fn apply_scrape(
        &mut self,
        id: &SourceId,
        at: SystemTime,
        mut data: ScrapeData,
        given: Option<(Vec<InferenceStats>, Option<HostStats>)>,
    ) {
        let window = self.settings.quantile_window;
        let src_name = id.to_string();
        if !data.parse_errors.is_empty() {
            let first = &data.parse_errors[0];
            let msg = format!(
                "{} line(s) could not be parsed (the rest of the scrape was used); first: {first}",
                data.parse_errors.len()
            );
            self.errors.record(&src_name, "parse", &msg, at);
        }
        if let Some(msg) = self.cap_series(&src_name, &mut data) {
            self.errors.record(&src_name, "series_cap", &msg, at);
            data.problems.insert(0, msg);
        }
        if let Some(first) = data.problems.first() {
            let msg = format!(
                "{} value(s) out of range, shown as n/a (never as figures); first: {first}",
                data.problems.len()
            );
            self.errors.record(&src_name, "bad_value", &msg, at);
        }
        let s = self.source_mut(id);
        if data.host_name.is_some() {
            s.host_name.clone_from(&data.host_name);
        }
        s.kind = data.kind;
        s.parse_errors = data.parse_errors.len();
        s.samples = data.samples;
        s.missing = std::mem::take(&mut data.missing);
        s.problems = std::mem::take(&mut data.problems);
        s.gpus = std::mem::take(&mut data.gpus)
            .into_iter()
            .map(Arc::new)
            .collect();
        s.gpu_origin = match data.kind {
            Some(ServerKind::Dcgm) => Some(GpuOrigin::Dcgm),
            Some(ServerKind::NvidiaGpuExporter) => Some(GpuOrigin::NvidiaGpuExporter),
            Some(ServerKind::Agent) => Some(GpuOrigin::Agent),
            _ => None,
        };
        let prev_host = s
            .raw
            .back()
            .and_then(|(t, d)| d.host.clone().map(|h| (*t, h)));
        s.host = data
            .host
            .as_ref()
            .map(|h| host_stats(prev_host.as_ref(), at, h));
        if let Some((inference, host)) = given {
            s.inference = inference;
            s.host = host.or(s.host);
            s.health.on_success(at);
            return;
        }
        // The window keeps only what derivations read: the parse errors were counted above.
        data.parse_errors = Vec::new();
        s.raw.push_back((at, data));
        // Keep one scrape older than the window so the window is always covered.
        while s.raw.len() > 2
            && s.raw
                .get(1)
                .is_some_and(|(t, _)| at.duration_since(*t).unwrap_or_default() > window)
        {
            s.raw.pop_front();
        }
        s.inference = derive_stats(&s.raw, window);
        s.health.on_success(at);
        self.last_data_at = Some(at);
        if self
            .sources
            .get(id)
            .is_some_and(|s| s.kind.is_some_and(ServerKind::is_inference))
        {
            self.push_history(at);
        }
    }

    /// Keep at most the configured models and GPUs of one scrape (the first ones: models in
    /// name order, GPUs in the exporter's order), and say so when some were left out.
    fn cap_series(&self, source: &str, data: &mut ScrapeData) -> Option<String> {
        let caps = [
            (
                "models",
                data.inference.len(),
                self.settings.max_models_per_source,
                "max_models_per_source",
            ),
            (
                "GPUs",
                data.gpus.len(),
                self.settings.max_gpus_per_source,
                "max_gpus_per_source",
            ),
        ];
        let over: Vec<String> = caps
            .iter()
            .filter(|(_, n, cap, _)| n > cap)
            .map(|(what, n, cap, key)| {
                format!(
                    "{n} {what}, more than [model] {key} = {cap}: only the first {cap} are kept"
                )
            })
            .collect();
        // Truncated and shrunk: the window must not keep the room the whole list took.
        data.inference.truncate(self.settings.max_models_per_source);
        data.inference.shrink_to_fit();
        data.gpus.truncate(self.settings.max_gpus_per_source);
        data.gpus.shrink_to_fit();
        (!over.is_empty()).then(|| {
            format!(
                "{source} reports {}; raise the cap in the config if the server really has that many",
                over.join("; ")
            )
        })
    }

    /// The throughput plots need a point at `at` (added by the next tick).
    fn push_history(&mut self, at: SystemTime) {
        self.history_due = Some(self.history_due.map_or(at, |due| due.max(at)));
    }

    /// Cluster-wide (generation, prompt) tokens/s: the sum over servers that report it, `None`
    /// when none does.
    #[must_use]
    pub fn total_tps(&self) -> (Option<f64>, Option<f64>) {
        let sum = |f: fn(&InferenceStats) -> Option<f64>| {
            self.inference_stats()
                .filter_map(|(_, i)| f(i))
                .fold(None, |acc: Option<f64>, v| Some(acc.unwrap_or(0.0) + v))
        };
        (sum(|i| i.gen_tps), sum(|i| i.prompt_tps))
    }

    /// Every inference stat with its source, in stable order.
    pub fn inference_stats(&self) -> impl Iterator<Item = (&SourceState, &InferenceStats)> {
        self.sources
            .values()
            .flat_map(|s| s.inference.iter().map(move |i| (s, i)))
    }

    /// Let time pass: the throughput plots get their point for what was applied since the last
    /// tick, and sources that stopped answering go stale (the views are rebuilt only when a
    /// health changed).
    pub fn tick(&mut self, now: SystemTime) {
        if let Some(at) = self.history_due.take() {
            let (gen_tps, prompt_tps) = self.total_tps();
            self.gen_tps_history.push(at, gen_tps);
            self.prompt_tps_history.push(at, prompt_tps);
        }
        let mut changed = Vec::new();
        for s in self.sources.values_mut() {
            if s.health.tick(now) {
                changed.push(s.id.clone());
            }
        }
        // Marked after the change: a tick changes only the health, which the naming does not
        // read (see `views::Changes::mark`).
        for id in &changed {
            self.changing(id);
        }
    }
}

fn host_stats(
    prev: Option<&(SystemTime, scrape::HostRaw)>,
    _at: SystemTime,
    cur: &scrape::HostRaw,
) -> HostStats {
    let mem_pct = match (cur.mem_total_bytes, cur.mem_available_bytes) {
        (Some(t), Some(a)) if t > 0.0 => Some((1.0 - a / t) * 100.0),
        _ => None,
    };
    let cpu_pct = prev.and_then(|(_, p)| {
        let (mut idle, mut total) = (0.0, 0.0);
        for (cpu, &(ci, ct)) in &cur.cpu_idle_total_s {
            let &(pi, pt) = p.cpu_idle_total_s.get(cpu)?;
            idle += derive::counter_increase(pi, ci);
            total += derive::counter_increase(pt, ct);
        }
        (total > 0.0).then(|| (1.0 - idle / total) * 100.0)
    });
    HostStats { cpu_pct, mem_pct }
}

#[cfg(test)]
mod tests;
