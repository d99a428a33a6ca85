//! The on-disk store: one redb file (`history.redb`) in the data directory, holding compressed
//! chunks in two tiers, plus a crash log and small state blobs.
//!
//! - **Full resolution** (`raw`): one chunk per series per [`WINDOW_MS`] (5 min), its values
//!   aligned to the window's tick times (`ticks`, stored once per window for every series).
//! - **Per minute** (`minute`): min/max/mean/last per series per minute, one chunk per series
//!   per hour, extended as each window closes.
//! - **Crash log** (`head`): what the open window holds, appended every few seconds (the
//!   caller's flush interval) and emptied when the window closes; read back on open, so a
//!   `kill -9` loses at most one flush interval.
//! - **State** (`state`): JSON blobs other parts keep across restarts (task buckets, alert
//!   history, the error list).
//! - **Sizes** (`sizes`): bytes per raw window and per minute hour, so the disk cap is enforced
//!   without walking the tree: the oldest raw window goes first, then the oldest minute hour.
//!
//! redb makes every commit atomic and durable; its file lock makes a second process get a clear
//! "in use" error instead of a corrupted store.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use redb::{Database, DatabaseError, ReadableDatabase, ReadableTable, TableDefinition};

use super::HistoryError;
use super::catalog::SeriesKey;
use super::codec::{self, GAP};

/// One chunk of full resolution per series covers this long.
pub const WINDOW_MS: i64 = 5 * 60 * 1000;
/// One chunk of the minute tier covers this long.
pub const HOUR_MS: i64 = 3600 * 1000;
const MINUTE_MS: i64 = 60 * 1000;

const SERIES: TableDefinition<u32, &str> = TableDefinition::new("series");
const TICKS: TableDefinition<i64, &[u8]> = TableDefinition::new("ticks");
// Keys start with the time, so a closing window appends at the end of each tree (a few pages
// touched) instead of inserting into every series' range (every page rewritten, copy-on-write),
// and retention drops a contiguous range.
const RAW: TableDefinition<(i64, u32), &[u8]> = TableDefinition::new("raw");
const MINUTE: TableDefinition<(i64, u32), &[u8]> = TableDefinition::new("minute");
const HEAD: TableDefinition<i64, &[u8]> = TableDefinition::new("head");
const STATE: TableDefinition<&str, &[u8]> = TableDefinition::new("state");
/// (tier, start) → bytes: tier 0 is a raw window, tier 1 a minute hour.
const SIZES: TableDefinition<(u8, i64), u64> = TableDefinition::new("sizes");

const TIER_RAW: u8 = 0;
const TIER_MINUTE: u8 = 1;

/// redb's page cache. Its default (1 GiB) let the window's memory grow with every page written
/// (the soak: +106 % over 24 h with 16 MiB still filling); reads are mostly of the newest windows
/// and the small minute tier, and the operating system caches the file besides.
const CACHE_BYTES: usize = 2 << 20;

/// The file name inside the data directory.
pub const FILE_NAME: &str = "history.redb";

/// How much the store keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Retention {
    /// All tiers together stay under this many bytes of stored data.
    pub max_disk_bytes: u64,
    /// Full-resolution data older than this goes (`None`: only the size cap bounds it).
    pub raw: Option<Duration>,
    /// Per-minute data older than this goes.
    pub minute: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            max_disk_bytes: 1 << 30,
            raw: None,
            minute: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// One row of the minute tier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinuteRow {
    /// Minute start, unix ms.
    pub t_ms: i64,
    /// Fixed-point minimum, maximum, mean, last.
    pub min: i64,
    /// Maximum.
    pub max: i64,
    /// Mean (rounded).
    pub mean: i64,
    /// Last value in the minute.
    pub last: i64,
}

/// The window being filled: tick times, and per series its values aligned to them.
#[derive(Debug, Default)]
pub(super) struct OpenWindow {
    pub start_ms: i64,
    pub ticks: Vec<i64>,
    pub columns: HashMap<u32, Vec<i64>>,
}

impl OpenWindow {
    fn new(start_ms: i64) -> Self {
        Self {
            start_ms,
            ..Self::default()
        }
    }

    /// Append `ticks` and, per series, its values for them; a series new to the window gets
    /// gaps before, a series absent from `rows` gets gaps for these ticks.
    fn append<'a>(&mut self, ticks: &[i64], rows: impl Iterator<Item = (u32, &'a [i64])>) {
        let before = self.ticks.len();
        self.ticks.extend_from_slice(ticks);
        for (id, values) in rows {
            let col = self.columns.entry(id).or_insert_with(|| vec![GAP; before]);
            col.resize(before, GAP);
            col.extend_from_slice(values);
        }
        let n = self.ticks.len();
        self.columns.values_mut().for_each(|c| c.resize(n, GAP));
    }
}

/// Sizes and extent, for `history info`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoreInfo {
    /// The file.
    pub path: PathBuf,
    /// Its length (redb grows it in steps; the part not yet used is not on disk).
    pub file_bytes: u64,
    /// What it takes on disk (allocated blocks).
    pub disk_bytes: u64,
    /// Stored chunk bytes of the full-resolution tier.
    pub raw_bytes: u64,
    /// Full-resolution windows held (5 min each).
    pub raw_windows: usize,
    /// Stored chunk bytes of the per-minute tier.
    pub minute_bytes: u64,
    /// Hours held in the per-minute tier.
    pub minute_hours: usize,
    /// Series known.
    pub series: usize,
    /// Oldest and newest point, unix ms.
    pub oldest_ms: Option<i64>,
    /// Newest point.
    pub newest_ms: Option<i64>,
}

/// The store itself.
pub struct Store {
    db: Database,
    path: PathBuf,
    retention: Retention,
    /// Series id → key; the id is the index.
    keys: Vec<SeriesKey>,
    ids: HashMap<SeriesKey, u32>,
    /// Ids not yet written to `series`.
    unsaved_series: usize,
    /// (tier, start) → bytes, mirrored from `sizes`.
    sizes: BTreeMap<(u8, i64), u64>,
    pub(super) open: OpenWindow,
    /// Ticks of the open window already in the crash log.
    flushed_ticks: usize,
}

fn db_error(path: &Path, e: impl std::fmt::Display) -> HistoryError {
    HistoryError::Store {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

/// Start of the window holding `t_ms`.
#[must_use]
pub fn window_of(t_ms: i64) -> i64 {
    t_ms.div_euclid(WINDOW_MS) * WINDOW_MS
}

impl Store {
    /// Open (or create) the store in `dir`.
    ///
    /// # Errors
    /// When the directory cannot be made, another process holds the store, or the file is not
    /// a store this version can read.
    pub fn open(dir: &Path, retention: Retention) -> Result<Self, HistoryError> {
        let dir_error = |reason: String| HistoryError::Dir {
            dir: dir.to_owned(),
            reason,
        };
        if dir.exists() && !dir.is_dir() {
            return Err(dir_error("it is a file, not a directory".into()));
        }
        std::fs::create_dir_all(dir).map_err(|e| dir_error(e.to_string()))?;
        let path = dir.join(FILE_NAME);
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(&path)
            .map_err(|e| match e {
                DatabaseError::DatabaseAlreadyOpen => HistoryError::InUse { path: path.clone() },
                other => db_error(&path, other),
            })?;
        let mut store = Self {
            db,
            path,
            retention,
            keys: Vec::new(),
            ids: HashMap::new(),
            unsaved_series: 0,
            sizes: BTreeMap::new(),
            open: OpenWindow::default(),
            flushed_ticks: 0,
        };
        store.load()?;
        Ok(store)
    }

    fn err(&self, e: impl std::fmt::Display) -> HistoryError {
        db_error(&self.path, e)
    }

    /// Read the catalog, the sizes and the crash log.
    fn load(&mut self) -> Result<(), HistoryError> {
        // Create every table, so readers never meet a missing one.
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            tx.open_table(SERIES).map_err(|e| self.err(e))?;
            tx.open_table(TICKS).map_err(|e| self.err(e))?;
            tx.open_table(RAW).map_err(|e| self.err(e))?;
            tx.open_table(MINUTE).map_err(|e| self.err(e))?;
            tx.open_table(HEAD).map_err(|e| self.err(e))?;
            tx.open_table(STATE).map_err(|e| self.err(e))?;
            tx.open_table(SIZES).map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))?;
        let rx = self.db.begin_read().map_err(|e| self.err(e))?;
        let series = rx.open_table(SERIES).map_err(|e| self.err(e))?;
        for row in series.iter().map_err(|e| self.err(e))? {
            let (id, key) = row.map_err(|e| self.err(e))?;
            let key: SeriesKey = serde_json::from_str(key.value())
                .map_err(|e| self.err(format!("series {}: {e}", id.value())))?;
            if id.value() as usize != self.keys.len() {
                return Err(self.err(format!("series ids are not contiguous at {}", id.value())));
            }
            self.ids.insert(key.clone(), id.value());
            self.keys.push(key);
        }
        let sizes = rx.open_table(SIZES).map_err(|e| self.err(e))?;
        for row in sizes.iter().map_err(|e| self.err(e))? {
            let (k, v) = row.map_err(|e| self.err(e))?;
            self.sizes.insert(k.value(), v.value());
        }
        // The crash log: the open window as last flushed.
        let head = rx.open_table(HEAD).map_err(|e| self.err(e))?;
        for row in head.iter().map_err(|e| self.err(e))? {
            let (_, blob) = row.map_err(|e| self.err(e))?;
            let cols = codec::decode(blob.value()).map_err(|e| self.err(e))?;
            let [ticks, ids, values] = cols.as_slice() else {
                return Err(self.err("a crash-log entry does not have 3 columns"));
            };
            if ticks.is_empty() || values.len() != ids.len() * ticks.len() {
                continue;
            }
            if self.open.ticks.is_empty() {
                self.open = OpenWindow::new(window_of(ticks[0]));
            }
            let rows = ids.iter().enumerate().filter_map(|(i, &id)| {
                let id = u32::try_from(id).ok()?;
                Some((id, &values[i * ticks.len()..(i + 1) * ticks.len()]))
            });
            self.open.append(ticks, rows);
        }
        self.flushed_ticks = self.open.ticks.len();
        Ok(())
    }

    /// The id of `key`, made when new (saved with the next flush).
    pub fn id_of(&mut self, key: SeriesKey) -> u32 {
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        self.ids.insert(key.clone(), id);
        self.keys.push(key);
        self.unsaved_series += 1;
        id
    }

    /// Every series known, by id.
    #[must_use]
    pub fn keys(&self) -> &[SeriesKey] {
        &self.keys
    }

    /// The id of a known series.
    #[must_use]
    pub fn id(&self, key: &SeriesKey) -> Option<u32> {
        self.ids.get(key).copied()
    }

    /// Add one tick of values (already in fixed point): the recorder's one write, public for
    /// benchmarks and tools that fill a store. A tick not after the last one is dropped (the
    /// clock went back); a tick in a later window closes the open one first.
    ///
    /// # Errors
    /// When closing the window fails to write.
    pub fn push_tick(&mut self, t_ms: i64, values: &[(u32, i64)]) -> Result<(), HistoryError> {
        if self.open.ticks.last().is_some_and(|&last| t_ms <= last) {
            return Ok(());
        }
        let w = window_of(t_ms);
        if self.open.ticks.is_empty() {
            self.open = OpenWindow::new(w);
        } else if w != self.open.start_ms {
            self.close_window()?;
            self.open = OpenWindow::new(w);
        }
        self.open.append(
            &[t_ms],
            values.iter().map(|(id, v)| (*id, std::slice::from_ref(v))),
        );
        Ok(())
    }

    /// Write new series names and the open window's unflushed ticks to the crash log.
    ///
    /// # Errors
    /// When the write fails (disk full, file gone).
    pub fn flush(&mut self) -> Result<(), HistoryError> {
        let from = self.flushed_ticks;
        if from >= self.open.ticks.len() && self.unsaved_series == 0 {
            return Ok(());
        }
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        self.save_series(&tx)?;
        if from < self.open.ticks.len() {
            let ticks = &self.open.ticks[from..];
            let mut ids = Vec::new();
            let mut values = Vec::new();
            let mut sorted: Vec<(&u32, &Vec<i64>)> = self.open.columns.iter().collect();
            sorted.sort_unstable_by_key(|(id, _)| **id);
            for (&id, col) in sorted {
                let part = &col[from..];
                if part.iter().any(|&v| v != GAP) {
                    ids.push(i64::from(id));
                    values.extend_from_slice(part);
                }
            }
            let blob = codec::encode(&[ticks, &ids, &values]);
            let mut head = tx.open_table(HEAD).map_err(|e| self.err(e))?;
            head.insert(ticks[0], blob.as_slice())
                .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))?;
        self.flushed_ticks = self.open.ticks.len();
        Ok(())
    }

    fn save_series(&mut self, tx: &redb::WriteTransaction) -> Result<(), HistoryError> {
        if self.unsaved_series == 0 {
            return Ok(());
        }
        let mut table = tx.open_table(SERIES).map_err(|e| self.err(e))?;
        let first = self.keys.len() - self.unsaved_series;
        for (i, key) in self.keys.iter().enumerate().skip(first) {
            let json = serde_json::to_string(key).map_err(|e| self.err(e))?;
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            table.insert(id, json.as_str()).map_err(|e| self.err(e))?;
        }
        drop(table);
        self.unsaved_series = 0;
        Ok(())
    }

    /// Close the open window: its chunks, its minute rows, an empty crash log, then the
    /// retention and the disk cap — one transaction, so a crash leaves either before or after.
    ///
    /// # Errors
    /// When the write fails.
    pub fn close_window(&mut self) -> Result<(), HistoryError> {
        if self.open.ticks.is_empty() {
            return Ok(());
        }
        let open = std::mem::take(&mut self.open);
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        self.save_series(&tx)?;
        let mut raw_bytes = 0u64;
        let mut minute_growth: BTreeMap<i64, u64> = BTreeMap::new();
        {
            let mut raw = tx.open_table(RAW).map_err(|e| self.err(e))?;
            let mut minute = tx.open_table(MINUTE).map_err(|e| self.err(e))?;
            let mut sorted: Vec<(&u32, &Vec<i64>)> = open.columns.iter().collect();
            sorted.sort_unstable_by_key(|(id, _)| **id);
            for (&id, col) in sorted {
                if col.iter().all(|&v| v == GAP) {
                    continue;
                }
                let blob = codec::encode(&[col]);
                raw_bytes += blob.len() as u64;
                raw.insert((open.start_ms, id), blob.as_slice())
                    .map_err(|e| self.err(e))?;
                let rows = minute_rows(&open.ticks, col);
                let hour = open.start_ms.div_euclid(HOUR_MS) * HOUR_MS;
                let (mut all, old_len) = match minute.get((hour, id)).map_err(|e| self.err(e))? {
                    Some(old) => (
                        decode_minutes(old.value()).map_err(|e| self.err(e))?,
                        old.value().len() as u64,
                    ),
                    None => (Vec::new(), 0),
                };
                all.retain(|r| rows.iter().all(|n| n.t_ms != r.t_ms));
                all.extend(rows);
                all.sort_unstable_by_key(|r| r.t_ms);
                let blob = encode_minutes(&all);
                *minute_growth.entry(hour).or_default() +=
                    (blob.len() as u64).saturating_sub(old_len);
                minute
                    .insert((hour, id), blob.as_slice())
                    .map_err(|e| self.err(e))?;
            }
            let mut ticks = tx.open_table(TICKS).map_err(|e| self.err(e))?;
            let blob = codec::encode(&[&open.ticks]);
            raw_bytes += blob.len() as u64;
            ticks
                .insert(open.start_ms, blob.as_slice())
                .map_err(|e| self.err(e))?;
            let mut head = tx.open_table(HEAD).map_err(|e| self.err(e))?;
            head.retain(|_, _| false).map_err(|e| self.err(e))?;
        }
        *self.sizes.entry((TIER_RAW, open.start_ms)).or_default() += raw_bytes;
        for (hour, grew) in minute_growth {
            *self.sizes.entry((TIER_MINUTE, hour)).or_default() += grew;
        }
        let evicted = self.evict(&tx, *open.ticks.last().unwrap_or(&open.start_ms))?;
        {
            let mut sizes = tx.open_table(SIZES).map_err(|e| self.err(e))?;
            sizes.retain(|_, _| false).map_err(|e| self.err(e))?;
            for (&k, &v) in &self.sizes {
                sizes.insert(k, v).map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))?;
        self.flushed_ticks = 0;
        if evicted > 0 {
            log::debug!("history: {evicted} chunk group(s) dropped for retention or the disk cap");
        }
        Ok(())
    }

    /// Drop what retention and the cap say must go; the number of windows and hours dropped.
    fn evict(&mut self, tx: &redb::WriteTransaction, now_ms: i64) -> Result<usize, HistoryError> {
        let age_ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let mut doomed: Vec<(u8, i64)> = Vec::new();
        let raw_cutoff = self.retention.raw.map(|d| now_ms.saturating_sub(age_ms(d)));
        let minute_cutoff = now_ms.saturating_sub(age_ms(self.retention.minute));
        let mut total: u64 = self.sizes.values().sum();
        for &(tier, start) in self.sizes.keys() {
            let old = match tier {
                TIER_RAW => raw_cutoff.is_some_and(|c| start + WINDOW_MS <= c),
                _ => start + HOUR_MS <= minute_cutoff,
            };
            if old {
                doomed.push((tier, start));
            }
        }
        // Over the cap: the oldest full-resolution windows first (keep the newest one), then
        // the oldest minute hours.
        total -= doomed
            .iter()
            .map(|k| self.sizes.get(k).copied().unwrap_or(0))
            .sum::<u64>();
        for tier in [TIER_RAW, TIER_MINUTE] {
            let candidates: Vec<(u8, i64)> = self
                .sizes
                .keys()
                .filter(|k| k.0 == tier && !doomed.contains(k))
                .copied()
                .collect();
            let keep = usize::from(tier == TIER_RAW);
            for k in candidates
                .iter()
                .take(candidates.len().saturating_sub(keep))
            {
                if total <= self.retention.max_disk_bytes {
                    break;
                }
                total -= self.sizes.get(k).copied().unwrap_or(0);
                doomed.push(*k);
            }
        }
        if total > self.retention.max_disk_bytes {
            // Even the newest window alone does not fit: nothing sensible can be kept.
            return Err(self.err(format!(
                "the disk cap ([history] max_disk = {} bytes) is smaller than one 5-minute window of this cluster ({total} bytes); raise max_disk (the default is 1 GiB)",
                self.retention.max_disk_bytes
            )));
        }
        if doomed.is_empty() {
            return Ok(0);
        }
        let ids: Vec<u32> = (0..u32::try_from(self.keys.len()).unwrap_or(u32::MAX)).collect();
        let mut raw = tx.open_table(RAW).map_err(|e| self.err(e))?;
        let mut minute = tx.open_table(MINUTE).map_err(|e| self.err(e))?;
        let mut ticks = tx.open_table(TICKS).map_err(|e| self.err(e))?;
        for &(tier, start) in &doomed {
            for &id in &ids {
                if tier == TIER_RAW {
                    raw.remove((start, id)).map_err(|e| self.err(e))?;
                } else {
                    minute.remove((start, id)).map_err(|e| self.err(e))?;
                }
            }
            if tier == TIER_RAW {
                ticks.remove(start).map_err(|e| self.err(e))?;
            }
            self.sizes.remove(&(tier, start));
        }
        Ok(doomed.len())
    }

    /// Full-resolution points of series `id` with `from_ms <= t < to_ms` (closed windows and
    /// the open one), gaps left out; and where that tier begins (its oldest tick).
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn raw_points(
        &self,
        id: u32,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(i64, i64)>, HistoryError> {
        let mut out = Vec::new();
        let rx = self.db.begin_read().map_err(|e| self.err(e))?;
        let raw = rx.open_table(RAW).map_err(|e| self.err(e))?;
        let ticks = rx.open_table(TICKS).map_err(|e| self.err(e))?;
        let first = window_of(from_ms);
        for w in ticks.range(first..to_ms).map_err(|e| self.err(e))? {
            let (start, tick_blob) = w.map_err(|e| self.err(e))?;
            let Some(chunk) = raw.get((start.value(), id)).map_err(|e| self.err(e))? else {
                continue;
            };
            let t = codec::decode(tick_blob.value()).map_err(|e| self.err(e))?;
            let v = codec::decode(chunk.value()).map_err(|e| self.err(e))?;
            let (Some(t), Some(v)) = (t.first(), v.first()) else {
                continue;
            };
            out.extend(
                t.iter()
                    .zip(v)
                    .filter(|(t, v)| **v != GAP && **t >= from_ms && **t < to_ms)
                    .map(|(t, v)| (*t, *v)),
            );
        }
        if let Some(col) = self.open.columns.get(&id) {
            out.extend(
                self.open
                    .ticks
                    .iter()
                    .zip(col)
                    .filter(|(t, v)| **v != GAP && **t >= from_ms && **t < to_ms)
                    .map(|(t, v)| (*t, *v)),
            );
        }
        Ok(out)
    }

    /// Minute rows of series `id` with `from_ms <= t < to_ms`, from closed windows only (the
    /// open window's minutes come from [`Self::raw_points`]).
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn minute_rows(
        &self,
        id: u32,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<MinuteRow>, HistoryError> {
        let rx = self.db.begin_read().map_err(|e| self.err(e))?;
        let minute = rx.open_table(MINUTE).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        let mut hour = from_ms.div_euclid(HOUR_MS) * HOUR_MS;
        while hour < to_ms {
            if let Some(blob) = minute.get((hour, id)).map_err(|e| self.err(e))? {
                let rows = decode_minutes(blob.value()).map_err(|e| self.err(e))?;
                out.extend(
                    rows.into_iter()
                        .filter(|r| r.t_ms >= from_ms && r.t_ms < to_ms),
                );
            }
            hour += HOUR_MS;
        }
        Ok(out)
    }

    /// The oldest tick the full-resolution tier still holds.
    #[must_use]
    pub fn raw_begins_ms(&self) -> Option<i64> {
        self.sizes
            .keys()
            .find(|k| k.0 == TIER_RAW)
            .map(|k| k.1)
            .or_else(|| self.open.ticks.first().copied())
    }

    /// Save a state blob (replacing the previous one).
    ///
    /// # Errors
    /// When the write fails.
    pub fn put_state(&self, name: &str, json: &[u8]) -> Result<(), HistoryError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        tx.open_table(STATE)
            .map_err(|e| self.err(e))?
            .insert(name, json)
            .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// A state blob saved before.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn state(&self, name: &str) -> Result<Option<Vec<u8>>, HistoryError> {
        let rx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = rx.open_table(STATE).map_err(|e| self.err(e))?;
        Ok(table
            .get(name)
            .map_err(|e| self.err(e))?
            .map(|v| v.value().to_vec()))
    }

    /// The oldest moment held: the oldest full-resolution window, the minute tier only where it
    /// reaches further back (a minute hour's key is the hour's start, earlier than its first
    /// row), else the open window's first tick. No I/O: cheap enough for every frame.
    #[must_use]
    pub fn oldest_ms(&self) -> Option<i64> {
        let first = |t: u8| self.sizes.keys().find(|k| k.0 == t).map(|k| k.1);
        match (first(TIER_RAW), first(TIER_MINUTE)) {
            (Some(r), Some(m)) if m + HOUR_MS <= r => Some(m),
            (Some(r), _) => Some(r),
            (None, m) => m,
        }
        .or_else(|| self.open.ticks.first().copied())
    }

    /// Sizes and extent.
    #[must_use]
    pub fn info(&self) -> StoreInfo {
        let tier = |t: u8| self.sizes.iter().filter(move |(k, _)| k.0 == t);
        let oldest = self.oldest_ms();
        let newest = self.open.ticks.last().copied().or_else(|| {
            self.sizes
                .keys()
                .filter(|k| k.0 == TIER_RAW)
                .map(|k| k.1 + WINDOW_MS)
                .max()
        });
        StoreInfo {
            path: self.path.clone(),
            file_bytes: std::fs::metadata(&self.path).map_or(0, |m| m.len()),
            disk_bytes: disk_bytes(&self.path),
            raw_bytes: tier(TIER_RAW).map(|(_, v)| v).sum(),
            raw_windows: tier(TIER_RAW).count(),
            minute_bytes: tier(TIER_MINUTE).map(|(_, v)| v).sum(),
            minute_hours: tier(TIER_MINUTE).count(),
            series: self.keys.len(),
            oldest_ms: oldest,
            newest_ms: newest,
        }
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Bytes `path` takes on disk: its allocated blocks where the platform says, else its length.
fn disk_bytes(path: &Path) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.blocks() * 512
    }
    #[cfg(not(unix))]
    {
        meta.len()
    }
}

/// Per-minute min/max/mean/last of one window's column.
#[must_use]
pub fn minute_rows(ticks: &[i64], col: &[i64]) -> Vec<MinuteRow> {
    let mut out: Vec<MinuteRow> = Vec::new();
    let mut acc: Option<(i64, i64, i64, i128, i64, i64)> = None; // minute, min, max, sum, n, last
    let mut finish = |acc: Option<(i64, i64, i64, i128, i64, i64)>| {
        if let Some((m, min, max, sum, n, last)) = acc {
            let mean =
                i64::try_from((sum + i128::from(n) / 2).div_euclid(i128::from(n))).unwrap_or(last);
            out.push(MinuteRow {
                t_ms: m,
                min,
                max,
                mean,
                last,
            });
        }
    };
    for (&t, &v) in ticks.iter().zip(col) {
        if v == GAP {
            continue;
        }
        let m = t.div_euclid(MINUTE_MS) * MINUTE_MS;
        acc = match acc {
            Some((am, min, max, sum, n, _)) if am == m => {
                Some((m, min.min(v), max.max(v), sum + i128::from(v), n + 1, v))
            }
            other => {
                finish(other);
                Some((m, v, v, i128::from(v), 1, v))
            }
        };
    }
    finish(acc);
    out
}

fn encode_minutes(rows: &[MinuteRow]) -> Vec<u8> {
    let col = |f: fn(&MinuteRow) -> i64| rows.iter().map(f).collect::<Vec<i64>>();
    codec::encode(&[
        &col(|r| r.t_ms),
        &col(|r| r.min),
        &col(|r| r.max),
        &col(|r| r.mean),
        &col(|r| r.last),
    ])
}

fn decode_minutes(blob: &[u8]) -> Result<Vec<MinuteRow>, codec::CodecError> {
    let cols = codec::decode(blob)?;
    let [t, min, max, mean, last] = cols.as_slice() else {
        return Ok(Vec::new());
    };
    Ok((0..t
        .len()
        .min(min.len())
        .min(max.len())
        .min(mean.len())
        .min(last.len()))
        .map(|i| MinuteRow {
            t_ms: t[i],
            min: min[i],
            max: max[i],
            mean: mean[i],
            last: last[i],
        })
        .collect())
}
