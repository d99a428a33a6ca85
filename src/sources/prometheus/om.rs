//! OpenMetrics 1.0 semantic validation: name clashes, series grouping and ordering, timestamp
//! rules, counter-like value rules, exemplar placement, histogram and summary invariants.
//!
//! The checks follow the OpenMetrics specification as enforced by its reference parser (the
//! conformance suite in `tests/fixtures/prometheus/openmetrics-testsuite`). They only ever add
//! [`ParseError`]s; the samples themselves are kept.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::kind::Suffix;
use super::types::{Label, MetricType, ParseError};

/// One sample as the validator sees it.
pub(super) struct SampleCheck<'s, 'a> {
    /// Family name.
    pub family: &'s str,
    /// Family type.
    pub kind: MetricType,
    /// Which part of the family the sample is.
    pub suffix: Suffix,
    /// Labels of the sample.
    pub labels: &'s [Label<'a>],
    /// Sample value.
    pub value: f64,
    /// Timestamp in exact seconds.
    pub ts: Option<f64>,
    /// The line had an exemplar.
    pub exemplar: bool,
    /// Parsed `le` (buckets) or `quantile` (summary quantiles) label.
    pub bound: Option<f64>,
    /// Line number.
    pub line: usize,
}

/// Accumulated state of one histogram / gauge-histogram point (one label group, one timestamp).
#[derive(Default)]
struct Point {
    active: bool,
    last_le: Option<f64>,
    last_value: f64,
    inf: Option<f64>,
    count: Option<f64>,
    sum: bool,
    gsum: bool,
    negative_buckets: bool,
    negative_gsum: bool,
    line: usize,
}

impl Point {
    fn add(
        &mut self,
        suffix: Suffix,
        value: f64,
        bound: Option<f64>,
        line: usize,
        errs: &mut Errs,
    ) {
        self.active = true;
        self.line = line;
        match suffix {
            Suffix::Bucket => {
                let Some(le) = bound else { return };
                if self.last_le.is_some_and(|prev| le <= prev) {
                    errs.push(line, "histogram buckets must be in increasing order of le");
                }
                if value < self.last_value {
                    errs.push(line, "histogram bucket counts must be cumulative");
                }
                self.negative_buckets |= le < 0.0;
                if le == f64::INFINITY {
                    self.inf = Some(value);
                }
                self.last_le = Some(le);
                self.last_value = value;
            }
            Suffix::Count | Suffix::GCount => self.count = Some(value),
            Suffix::Sum => self.sum = true,
            Suffix::GSum => {
                self.gsum = true;
                self.negative_gsum |= value < 0.0;
            }
            _ => {}
        }
    }

    fn finish(&mut self, family: &str, errs: &mut Errs) {
        if !self.active {
            return;
        }
        let line = self.line;
        match self.inf {
            None => errs.push(
                line,
                format!("histogram {family} has no le=\"+Inf\" bucket"),
            ),
            Some(inf) if self.count.is_some_and(|c| c != inf) => errs.push(
                line,
                format!("histogram {family}: count does not match the +Inf bucket"),
            ),
            Some(_) => {}
        }
        if (self.sum || self.gsum) && self.count.is_none() {
            errs.push(line, format!("histogram {family} has a sum but no count"));
        }
        if !(self.sum || self.gsum) && self.count.is_some() {
            errs.push(line, format!("histogram {family} has a count but no sum"));
        }
        if self.negative_buckets && self.sum {
            errs.push(
                line,
                format!("histogram {family} has negative buckets, so it must not have _sum"),
            );
        }
        if self.negative_gsum && !self.negative_buckets {
            errs.push(
                line,
                format!("gauge histogram {family} has a negative _gsum but no negative buckets"),
            );
        }
        *self = Point::default();
    }
}

/// Thin wrapper so checks read as `errs.push(line, msg)`.
pub(super) struct Errs<'e>(pub &'e mut Vec<ParseError>);

impl Errs<'_> {
    fn push(&mut self, line: usize, message: impl Into<String>) {
        self.0.push(ParseError {
            line,
            message: message.into(),
        });
    }
}

/// Validation state carried across lines.
#[derive(Default)]
pub(super) struct Om {
    /// Sample names each family may use, to detect clashes between families.
    owned: HashMap<String, usize>,
    /// `# EOF` was seen.
    pub eof: bool,
    /// A line after `# EOF` was already reported.
    pub after_eof_reported: bool,
    /// Label groups already seen in the current family.
    groups: HashSet<String>,
    /// The group of the previous sample of the current family.
    group: Option<String>,
    /// Timestamp of the previous sample of the current group.
    group_ts: Option<f64>,
    /// Histogram point being accumulated.
    point: Point,
}

/// Sample-name suffixes a family of `kind` reserves.
fn reserved(kind: MetricType) -> &'static [&'static str] {
    match kind {
        MetricType::Counter => &["_total", "_created"],
        MetricType::Histogram => &["_bucket", "_sum", "_count", "_created"],
        MetricType::GaugeHistogram => &["_bucket", "_gsum", "_gcount"],
        MetricType::Summary => &["", "_sum", "_count", "_created"],
        MetricType::Info => &["_info"],
        _ => &[""],
    }
}

impl Om {
    /// Reserve the sample names of family `idx`; report those another family already uses.
    pub fn register(
        &mut self,
        idx: usize,
        name: &str,
        kind: MetricType,
        line: usize,
        errs: &mut Errs,
    ) {
        for suffix in std::iter::once(&"").chain(reserved(kind)) {
            let full = format!("{name}{suffix}");
            match self.owned.get(&full) {
                Some(&other) if other != idx => {
                    errs.push(
                        line,
                        format!("name {full} clashes with another metric family"),
                    );
                }
                Some(_) => {}
                None => {
                    self.owned.insert(full, idx);
                }
            }
        }
    }

    /// Close the current family: pending histogram checks, then reset per-family state.
    pub fn end_family(&mut self, family: &str, errs: &mut Errs) {
        self.point.finish(family, errs);
        self.groups.clear();
        self.group = None;
        self.group_ts = None;
    }

    /// Validate one sample of the current family.
    pub fn sample(&mut self, s: &SampleCheck<'_, '_>, errs: &mut Errs) {
        use MetricType as T;
        let line = s.line;
        let histogram_like = matches!(s.kind, T::Histogram | T::GaugeHistogram);
        if s.exemplar
            && !((histogram_like && s.suffix == Suffix::Bucket)
                || (s.kind == T::Counter && s.suffix == Suffix::Total))
        {
            errs.push(
                line,
                "exemplars are only allowed on histogram buckets and counter totals",
            );
        }
        let counter_like = match s.suffix {
            Suffix::Total | Suffix::Count | Suffix::GCount | Suffix::Bucket => true,
            Suffix::Sum => matches!(s.kind, T::Histogram | T::Summary),
            _ => false,
        };
        if (counter_like || s.suffix == Suffix::GSum) && s.value.is_nan() {
            errs.push(line, "counter-like values must not be NaN");
        }
        if counter_like && s.value < 0.0 {
            errs.push(line, "counter-like values must not be negative");
        }
        if matches!(s.suffix, Suffix::Count | Suffix::GCount | Suffix::Bucket)
            && s.value.is_finite()
            && s.value.fract() != 0.0
        {
            errs.push(line, "bucket and count values must be integers");
        }
        match s.kind {
            T::Summary if s.suffix == Suffix::Bare => {
                if s.value < 0.0 {
                    errs.push(line, "quantile values must not be negative");
                }
                if s.bound.is_some_and(|q| !(0.0..=1.0).contains(&q)) {
                    errs.push(line, "quantile label must be between 0 and 1");
                }
            }
            T::StateSet => {
                if !s.labels.iter().any(|(k, _)| k.as_ref() == s.family) {
                    errs.push(
                        line,
                        format!("stateset sample needs a label named {}", s.family),
                    );
                }
                if s.value != 0.0 && s.value != 1.0 {
                    errs.push(line, "stateset values must be 0 or 1");
                }
            }
            T::Info if s.value != 1.0 => errs.push(line, "info values must be 1"),
            _ => {}
        }
        self.grouping(s, errs);
        if histogram_like && s.suffix != Suffix::Created {
            self.point.add(s.suffix, s.value, s.bound, line, errs);
        }
    }

    /// Series of one label group must be contiguous, with consistent, non-decreasing timestamps.
    fn grouping(&mut self, s: &SampleCheck<'_, '_>, errs: &mut Errs) {
        let key = group_key(s);
        if self.group.as_deref() == Some(key.as_str()) {
            match (self.group_ts, s.ts) {
                (Some(prev), Some(now)) => {
                    if now < prev && s.kind != MetricType::Info {
                        errs.push(s.line, "timestamps went backwards within a series group");
                    }
                    if now != prev {
                        self.point.finish(s.family, errs);
                    }
                }
                (None, None) => {}
                _ => errs.push(
                    s.line,
                    "mix of samples with and without timestamps in a group",
                ),
            }
        } else {
            if self.groups.contains(&key) {
                errs.push(s.line, "samples of one label set are not contiguous");
            }
            self.point.finish(s.family, errs);
            self.groups.insert(key.clone());
            self.group = Some(key);
        }
        self.group_ts = s.ts;
    }
}

/// Canonical key of the label group a sample belongs to (sorted labels, minus the label that
/// distinguishes samples within one point).
fn group_key(s: &SampleCheck<'_, '_>) -> String {
    use MetricType as T;
    let skip = match (s.kind, s.suffix) {
        (T::Info, _) => return String::new(),
        (T::Histogram | T::GaugeHistogram, Suffix::Bucket) => Some("le"),
        (T::Summary, Suffix::Bare) => Some("quantile"),
        (T::StateSet, _) => Some(s.family),
        _ => None,
    };
    let mut pairs: Vec<&Label<'_>> = s
        .labels
        .iter()
        .filter(|(k, _)| Some(k.as_ref()) != skip)
        .collect();
    pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut key = String::new();
    for (k, v) in pairs {
        // Length-prefixed so that no label content can forge a separator.
        let _ = write!(key, "{}:{k}{}:{v}", k.len(), v.len());
    }
    key
}
