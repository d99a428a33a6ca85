//! The one way the window, `watch` and `snapshot` keep history: open the store the config
//! names, put back what the last run saved (plots, task statistics, alert history, the error
//! list), record every tick, save state as often as the crash log is written, and flush on
//! exit. A store that cannot be opened or written is one entry in the error list; the command
//! runs on without history.

use std::time::SystemTime;

use crate::alerts::{AlertEvent, Engine};
use crate::history::query::plot;
use crate::history::{
    History, HistoryError, HistorySettings, SeriesKey, catalog, from_unix_ms, unix_ms,
};
use crate::model::Model;
use crate::model::errors::ErrorEntry;
use crate::model::series::TimeSeries;
use crate::model::tasks::TaskBuckets;

/// The error list's source name for history's own problems.
pub const ERROR_SOURCE: &str = "history";

const STATE_TASKS: &str = "tasks";
const STATE_ALERTS: &str = "alerts";
const STATE_ERRORS: &str = "errors";

/// An open history, recording one model.
pub struct Recording {
    history: History,
    last_state_save: Option<SystemTime>,
}

fn report(model: &mut Model, e: &HistoryError, now: SystemTime) {
    model
        .errors
        .record(ERROR_SOURCE, "history", &e.to_string(), now);
}

impl Recording {
    /// Open history as `settings` say (`None` when it is off, or failed: then the error list
    /// says why) and put back what the last run saved into `model` and `engine`.
    pub fn start(
        settings: &HistorySettings,
        model: &mut Model,
        engine: &mut Engine,
        now: SystemTime,
    ) -> Option<Self> {
        if !settings.enabled {
            return None;
        }
        let history = match History::open(settings) {
            Ok(h) => h,
            Err(e) => {
                log::warn!("{e}");
                report(model, &e, now);
                return None;
            }
        };
        log::info!(
            "history: recording into {}",
            history.store().path().display()
        );
        let rec = Self {
            history,
            last_state_save: None,
        };
        rec.restore(model, engine, now);
        Some(rec)
    }

    fn restore(&self, model: &mut Model, engine: &mut Engine, now: SystemTime) {
        if let Some(saved) = self.history.load_state::<Vec<ErrorEntry>>(STATE_ERRORS) {
            model.errors.restore(saved);
        }
        if let Some(saved) = self.history.load_state::<TaskBuckets>(STATE_TASKS)
            && !model.tasks.restore_buckets(saved)
        {
            log::info!("history: saved task statistics have another bucket shape; not loaded");
        }
        if let Some(saved) = self.history.load_state::<Vec<AlertEvent>>(STATE_ALERTS) {
            engine.restore_history(saved);
        }
        // The throughput plot starts with what the store holds for its span.
        let span = model.settings.history_retention;
        let res = model.settings.history_resolution;
        for (metric, series) in [
            (&catalog::CLUSTER_GEN_TPS, &mut model.gen_tps_history),
            (&catalog::CLUSTER_PROMPT_TPS, &mut model.prompt_tps_history),
        ] {
            let Some(id) = self.history.store().id(&SeriesKey::new(metric, &[])) else {
                continue;
            };
            let to = unix_ms(now);
            let from = to - i64::try_from(span.as_millis()).unwrap_or(0);
            let points = usize::try_from(span.as_secs() / res.as_secs().max(1)).unwrap_or(3600);
            match plot(self.history.store(), id, from, to, points, res) {
                Ok(pts) => {
                    let mut ts = TimeSeries::new(span, res);
                    for (t, v) in pts {
                        ts.push(from_unix_ms(t), v);
                    }
                    // The time the program was not running is a gap, not a line across it.
                    ts.push(now, None);
                    *series = ts;
                }
                Err(e) => log::warn!("{e}"),
            }
        }
    }

    /// Record the model at `now`; save state when it is due. A failure is put in the error list
    /// once, and recording stops.
    pub fn tick(&mut self, model: &mut Model, engine: &Engine, now: SystemTime) {
        if self.history.failed().is_some() {
            return;
        }
        if let Some(e) = self.history.record(model, now) {
            report(model, &e, now);
            return;
        }
        let due = self.last_state_save.is_none_or(|t| {
            now.duration_since(t).unwrap_or_default() >= self.history.settings().flush_every
        });
        if due {
            self.save_state(model, engine, now);
        }
    }

    fn save_state(&mut self, model: &mut Model, engine: &Engine, now: SystemTime) {
        if self.history.failed().is_some() {
            return;
        }
        self.last_state_save = Some(now);
        self.history
            .save_state(STATE_ERRORS, &model.errors.entries().to_vec());
        self.history.save_state(STATE_TASKS, &model.tasks.buckets());
        let alerts: Vec<&AlertEvent> = engine.history().collect();
        self.history.save_state(STATE_ALERTS, &alerts);
        if let Some(e) = self.history.failed().cloned() {
            report(model, &e, now);
        }
    }

    /// Save everything before exit.
    pub fn finish(&mut self, model: &mut Model, engine: &Engine, now: SystemTime) {
        self.save_state(model, engine, now);
        if let Err(e) = self.history.flush() {
            report(model, &e, now);
        }
    }

    /// The history, for queries.
    #[must_use]
    pub fn history(&self) -> &History {
        &self.history
    }
}
