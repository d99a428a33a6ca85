//! `swarmglass history export`: series from the store as JSON (an array with one object per
//! series: its metric name, labels, unit and `[unix_ms, value]` points) or CSV (a header, then
//! `series,unix_ms,value` rows). Gaps are absent points, never zeros.

use std::io::Write;
use std::time::Duration;

use serde::Serialize;

use super::query::{Tier, plot, tier_for};
use super::{HistoryError, Store};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One object per series.
    Json,
    /// `series,unix_ms,value` with a header.
    Csv,
}

/// What to export.
#[derive(Debug, Clone)]
pub struct Request {
    /// From (unix ms, inclusive).
    pub from_ms: i64,
    /// Until (unix ms, exclusive).
    pub to_ms: i64,
    /// One point per step (the mean over it); `None`: every point of the tier the range uses.
    pub step: Option<Duration>,
    /// Only series whose text form (`metric{label="v",…}`) this matches.
    pub matcher: Option<regex::Regex>,
    /// JSON or CSV.
    pub format: Format,
}

#[derive(Serialize)]
struct SeriesOut<'a> {
    name: &'a str,
    labels: &'a std::collections::BTreeMap<String, String>,
    unit: &'a str,
    points: Vec<(i64, f64)>,
}

/// Write the series `req` asks for to `out`; the number of series written.
///
/// # Errors
/// When the store cannot be read or `out` cannot be written.
pub fn export(store: &Store, req: &Request, out: &mut dyn Write) -> anyhow::Result<usize> {
    let span = (req.to_ms - req.from_ms).max(1);
    let native_ms = match tier_for(span) {
        Tier::Raw => 1_000,
        Tier::Minute => 60_000,
    };
    let step_ms = req.step.map_or(native_ms, |s| {
        i64::try_from(s.as_millis()).unwrap_or(i64::MAX).max(1)
    });
    let max_points = usize::try_from(span / step_ms).unwrap_or(usize::MAX).max(1);
    let mut written = 0;
    if req.format == Format::Csv {
        writeln!(out, "series,unix_ms,value")?;
    } else {
        writeln!(out, "[")?;
    }
    for (id, key) in store.keys().iter().enumerate() {
        let text = key.to_string();
        if req.matcher.as_ref().is_some_and(|m| !m.is_match(&text)) {
            continue;
        }
        let id = u32::try_from(id).unwrap_or(u32::MAX);
        let points: Vec<(i64, f64)> = plot(
            store,
            id,
            req.from_ms,
            req.to_ms,
            max_points,
            Duration::from_secs(1),
        )
        .map_err(|e: HistoryError| anyhow::anyhow!(e))?
        .into_iter()
        .filter_map(|(t, v)| v.map(|v| (t, v)))
        .collect();
        if points.is_empty() {
            continue;
        }
        match req.format {
            Format::Csv => {
                let quoted = format!("\"{}\"", text.replace('"', "\"\""));
                for (t, v) in &points {
                    writeln!(out, "{quoted},{t},{v}")?;
                }
            }
            Format::Json => {
                let obj = SeriesOut {
                    name: &key.metric,
                    labels: &key.labels,
                    unit: key.def().map_or("", |m| m.unit),
                    points,
                };
                if written > 0 {
                    writeln!(out, ",")?;
                }
                serde_json::to_writer(&mut *out, &obj)?;
            }
        }
        written += 1;
    }
    if req.format == Format::Json {
        if written > 0 {
            writeln!(out)?;
        }
        writeln!(out, "]")?;
    }
    Ok(written)
}
