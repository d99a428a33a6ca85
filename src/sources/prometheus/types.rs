//! Value types produced by the Prometheus / OpenMetrics text parser.
//!
//! They borrow from the scraped body wherever no unescaping was needed, and a sample keeps its
//! first labels inline, so a parse allocates little. Nothing here performs I/O or knows about
//! server kinds.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

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

/// One label: name and unescaped value.
pub type Label<'a> = (Cow<'a, str>, Cow<'a, str>);

/// How many labels a [`Labels`] holds without a heap allocation. Most samples of real scrapes
/// carry one or two (`{le}`, `{model_name,le}`, `{handler,code}`); a parse then allocates per
/// family, not per sample.
const INLINE: usize = 2;

/// The labels of one sample, in the order they appeared. Reads as a slice of [`Label`]s
/// (`labels.len()`, `labels[0]`, `labels.iter()`); up to two are stored in the sample itself,
/// more in one exactly sized heap block.
#[derive(Clone)]
pub struct Labels<'a>(Repr<'a>);

#[derive(Clone)]
enum Repr<'a> {
    /// No labels.
    None,
    /// One label.
    One(Label<'a>),
    /// Two labels.
    Two([Label<'a>; 2]),
    /// More than [`INLINE`] labels, in a block of exactly their number.
    Heap(Vec<Label<'a>>),
}

impl<'a> Labels<'a> {
    /// No labels.
    #[must_use]
    pub const fn new() -> Self {
        Labels(Repr::None)
    }

    /// Move every label out of `from` (left empty, its capacity kept for reuse).
    #[inline]
    pub(super) fn take(from: &mut Vec<Label<'a>>) -> Self {
        Labels(match from.len() {
            0 => Repr::None,
            1 => from.pop().map_or(Repr::None, Repr::One),
            // Popped last first. (The lengths make `None` impossible here.)
            2 => match (from.pop(), from.pop()) {
                (Some(second), Some(first)) => Repr::Two([first, second]),
                _ => Repr::None,
            },
            n => {
                let mut heap = Vec::with_capacity(n);
                heap.append(from);
                Repr::Heap(heap)
            }
        })
    }

    /// The labels as a slice.
    #[must_use]
    pub fn as_slice(&self) -> &[Label<'a>] {
        match &self.0 {
            Repr::None => &[],
            Repr::One(label) => std::slice::from_ref(label),
            Repr::Two(pair) => pair,
            Repr::Heap(v) => v,
        }
    }
}

impl Default for Labels<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Deref for Labels<'a> {
    type Target = [Label<'a>];

    fn deref(&self) -> &Self::Target {
        self.as_slice()
    }
}

impl<'a> From<Vec<Label<'a>>> for Labels<'a> {
    fn from(mut v: Vec<Label<'a>>) -> Self {
        if v.len() > INLINE {
            Labels(Repr::Heap(v))
        } else {
            Self::take(&mut v)
        }
    }
}

impl<'s, 'a> IntoIterator for &'s Labels<'a> {
    type Item = &'s Label<'a>;
    type IntoIter = std::slice::Iter<'s, Label<'a>>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl PartialEq for Labels<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl fmt::Debug for Labels<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    /// Full sample name, suffix included (`vllm:e2e_request_latency_seconds_bucket`).
    pub name: Cow<'a, str>,
    /// Labels in the order they appeared, values unescaped.
    pub labels: Labels<'a>,
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
