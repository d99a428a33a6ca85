//! Value types produced by the Prometheus / OpenMetrics text parser.
//!
//! They borrow from the scraped body wherever no unescaping was needed, so a parse allocates
//! little. Nothing here performs I/O or knows about server kinds.

use std::borrow::Cow;

/// Which dialect of the text exposition a body is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text format 0.0.4 (and Prometheus 3 quoted UTF-8 names), parsed leniently.
    Prometheus,
    /// OpenMetrics 1.0 text: `# EOF` required, stricter grammar checks reported as errors.
    OpenMetrics,
}

/// The declared (or inferred) type of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricType {
    /// Monotonic counter.
    Counter,
    /// Gauge.
    Gauge,
    /// Classic histogram (`_bucket{le}`, `_sum`, `_count`).
    Histogram,
    /// OpenMetrics gauge histogram (`_bucket`, `_gsum`, `_gcount`).
    GaugeHistogram,
    /// Summary (`{quantile}`, `_sum`, `_count`).
    Summary,
    /// OpenMetrics info metric (`_info`, value 1).
    Info,
    /// OpenMetrics state set.
    StateSet,
    /// Declared `untyped`/`unknown`, or a sample with no TYPE line.
    Untyped,
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    /// Full sample name, suffix included (`vllm:e2e_request_latency_seconds_bucket`).
    pub name: Cow<'a, str>,
    /// Labels in the order they appeared, values unescaped.
    pub labels: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// The value; `NaN` for every NaN spelling (`NaN`, `nan`, `-nan`, `-nan(ind)`).
    pub value: f64,
    /// Timestamp in milliseconds since the epoch, if the line had one.
    pub timestamp_ms: Option<i64>,
    /// 1-based line number in the body, for error messages.
    pub line: usize,
}

impl Sample<'_> {
    /// The value of label `name`, if present.
    #[must_use]
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k.as_ref() == name)
            .map(|(_, v)| v.as_ref())
    }
}

/// A metric family: its metadata and the samples that belong to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Family<'a> {
    /// Family name as declared by TYPE/HELP, or the sample name when there was no metadata.
    pub name: Cow<'a, str>,
    /// Declared type (`Untyped` when none).
    pub kind: MetricType,
    /// HELP text, unescaped.
    pub help: Option<Cow<'a, str>>,
    /// OpenMetrics UNIT.
    pub unit: Option<Cow<'a, str>>,
    /// Samples in body order. OpenMetrics `_created` samples are skipped.
    pub samples: Vec<Sample<'a>>,
}

pub use crate::model::scrape::ParseError;

/// Result of parsing one body: every family that could be read, and every error met.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposition<'a> {
    /// Families in order of first appearance.
    pub families: Vec<Family<'a>>,
    /// Errors in line order.
    pub errors: Vec<ParseError>,
}

impl Exposition<'_> {
    /// Total number of samples over all families.
    #[must_use]
    pub fn sample_count(&self) -> usize {
        self.families.iter().map(|f| f.samples.len()).sum()
    }
}
