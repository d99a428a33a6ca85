//! History: every figure the window shows, recorded once a second into an embedded store in the
//! platform data directory and read back for plots over any range, detail views, rewind and
//! `history export`. It reads the model (never the reverse): the window, `watch` and `snapshot`
//! call [`History::record`] with their model and keep running without history if the store
//! fails (one message in the error list).
//!
//! - [`catalog`]: what is recorded (metric names, labels, precision).
//! - [`sample`]: one tick's values from the model's views.
//! - [`codec`]: how a chunk's columns become bytes (pco).
//! - [`store`]: the redb file, its tiers, crash log, retention and disk cap.
//! - [`query`]: points for a range at screen resolution, the right tier picked, gaps kept.
//! - [`rewind`]: a model as it was at a past moment, for the whole dashboard.
//! - [`export`]: JSON and CSV for `history export`.

pub mod catalog;
pub mod codec;
pub mod detail;
pub mod export;
pub mod query;
pub mod rewind;
pub mod sample;
pub mod store;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model::Model;
pub use catalog::SeriesKey;
pub use store::{Retention, Store, StoreInfo};

/// How history is kept (`[history]` in the config, `--data-dir`, `--no-history`).
#[derive(Debug, Clone, PartialEq)]
pub struct HistorySettings {
    /// Record and load history at all.
    pub enabled: bool,
    /// The data directory (default: the platform's, see [`default_dir`]).
    pub dir: Option<PathBuf>,
    /// Tiers and the disk cap.
    pub retention: Retention,
    /// One recorded tick per this much time.
    pub resolution: Duration,
    /// The crash log is written this often: a `kill -9` loses at most this much.
    pub flush_every: Duration,
}

impl Default for HistorySettings {
    fn default() -> Self {
        Self {
            enabled: true,
            dir: None,
            retention: Retention::default(),
            resolution: Duration::from_secs(1),
            flush_every: Duration::from_secs(5),
        }
    }
}

impl HistorySettings {
    /// The directory in force: the configured one, else the platform default.
    #[must_use]
    pub fn dir(&self) -> Option<PathBuf> {
        self.dir.clone().or_else(default_dir)
    }
}

/// The platform data directory (`~/.local/share/swarmglass` on Linux).
#[must_use]
pub fn default_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "swarmglass").map(|d| d.data_dir().to_path_buf())
}

/// Why history is not available.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// The data directory cannot be made or used.
    #[error(
        "history: cannot use the data directory {dir}: {reason}; give a writable one with --data-dir DIR, or run with --no-history"
    )]
    Dir {
        /// Directory.
        dir: PathBuf,
        /// Why.
        reason: String,
    },
    /// Another process records into this store.
    #[error(
        "history: {path} is in use by another Swarmglass process (a window or `watch` records into it); stop that one, or give this one its own --data-dir DIR, or run with --no-history"
    )]
    InUse {
        /// The store file.
        path: PathBuf,
    },
    /// Reading or writing the store failed.
    #[error(
        "history: {path}: {reason}; recording stopped (the window runs on without history); free disk space or give --data-dir DIR, then restart"
    )]
    Store {
        /// The store file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No data directory is known (no home directory).
    #[error("history: no data directory is known on this system; give one with --data-dir DIR")]
    NoDir,
}

/// The recorder and reader the window and headless commands hold.
pub struct History {
    store: Store,
    settings: HistorySettings,
    last_flush: Option<SystemTime>,
    /// Set on the first write failure: nothing more is recorded.
    failed: Option<HistoryError>,
    /// Bumped on every recorded tick: plot caches compare it.
    generation: u64,
}

/// Unix milliseconds of `t` (0 before 1970).
#[must_use]
pub fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The time of unix milliseconds `ms`.
#[must_use]
pub fn from_unix_ms(ms: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

impl History {
    /// Open the store `settings` name.
    ///
    /// # Errors
    /// When no directory is known, it cannot be used, or another process holds the store.
    pub fn open(settings: &HistorySettings) -> Result<Self, HistoryError> {
        let dir = settings.dir().ok_or(HistoryError::NoDir)?;
        Self::open_in(&dir, settings)
    }

    /// Open the store in `dir`.
    ///
    /// # Errors
    /// As [`Self::open`].
    pub fn open_in(dir: &Path, settings: &HistorySettings) -> Result<Self, HistoryError> {
        let store = Store::open(dir, settings.retention.clone())?;
        Ok(Self {
            store,
            settings: settings.clone(),
            last_flush: None,
            failed: None,
            generation: 0,
        })
    }

    /// Record the model's figures at `now` (at most one tick per resolution), and write the
    /// crash log when it is due. Returns the error the first time recording fails; after that
    /// nothing more is recorded.
    pub fn record(&mut self, model: &Model, now: SystemTime) -> Option<HistoryError> {
        if self.failed.is_some() {
            return None;
        }
        let t_ms = unix_ms(now);
        let res_ms = i64::try_from(self.settings.resolution.as_millis()).unwrap_or(1000);
        // A tick per resolution, on whole multiples, so restarts line up.
        let t_ms = t_ms - t_ms.rem_euclid(res_ms.max(1));
        if self.store.open.ticks.last().is_some_and(|&l| t_ms <= l) {
            return None;
        }
        let values: Vec<(u32, i64)> = sample::samples(model)
            .into_iter()
            .filter_map(|(key, v)| {
                let scale = key.def()?.scale;
                let fixed = codec::to_fixed(v, scale);
                (fixed != codec::GAP).then(|| (self.store.id_of(key), fixed))
            })
            .collect();
        let mut result = self.store.push_tick(t_ms, &values);
        self.generation += 1;
        let due = self
            .last_flush
            .is_none_or(|l| now.duration_since(l).unwrap_or_default() >= self.settings.flush_every);
        if result.is_ok() && due {
            self.last_flush = Some(now);
            result = self.store.flush();
        }
        result.err().map(|e| self.fail(e))
    }

    fn fail(&mut self, e: HistoryError) -> HistoryError {
        log::warn!("{e}");
        self.failed = Some(e.clone());
        e
    }

    /// Write what is held (the crash log), e.g. before exit.
    ///
    /// # Errors
    /// When the write fails.
    pub fn flush(&mut self) -> Result<(), HistoryError> {
        if self.failed.is_some() {
            return Ok(());
        }
        self.store.flush().map_err(|e| self.fail(e))
    }

    /// Save a piece of state other parts keep across restarts (as JSON).
    pub fn save_state<T: Serialize>(&mut self, name: &str, value: &T) {
        if self.failed.is_some() {
            return;
        }
        match serde_json::to_vec(value) {
            Ok(json) => {
                if let Err(e) = self.store.put_state(name, &json) {
                    self.fail(e);
                }
            }
            Err(e) => log::warn!("history: cannot save {name}: {e}"),
        }
    }

    /// A piece of state saved before; `None` when absent or unreadable (said in the log).
    #[must_use]
    pub fn load_state<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        let bytes = self.store.state(name).ok()??;
        serde_json::from_slice(&bytes)
            .map_err(|e| log::warn!("history: saved {name} is not readable ({e}); starting afresh"))
            .ok()
    }

    /// Why recording stopped, if it did.
    #[must_use]
    pub fn failed(&self) -> Option<&HistoryError> {
        self.failed.as_ref()
    }

    /// Changes with every recorded tick.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The store, for queries.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The settings in force.
    #[must_use]
    pub fn settings(&self) -> &HistorySettings {
        &self.settings
    }
}

impl Drop for History {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            log::warn!("{e}");
        }
    }
}

#[cfg(test)]
mod tests;
