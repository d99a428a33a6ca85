//! What a metric type means for the grammar: the words a TYPE line may use, the name we print
//! for each type, and which sample-name suffixes (`_bucket`, `_total`, ...) a family of each type
//! owns. Shared by the parser (grouping samples into families) and the OpenMetrics validator
//! (`om.rs`); it depends on nothing but [`MetricType`].

use super::types::MetricType;

/// Which part of a family a sample is, from its name suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Suffix {
    /// The family name itself (gauges, summary quantiles, untyped, stateset).
    Bare,
    /// `_total` (counters).
    Total,
    /// `_created` (counters, histograms, summaries).
    Created,
    /// `_bucket` (histograms).
    Bucket,
    /// `_sum`.
    Sum,
    /// `_count`.
    Count,
    /// `_gsum` (gauge histograms).
    GSum,
    /// `_gcount` (gauge histograms).
    GCount,
    /// `_info` (info).
    Info,
}

/// Every suffix with its spelling, most frequent first.
pub(super) const SUFFIXES: [(&str, Suffix); 8] = [
    ("_bucket", Suffix::Bucket),
    ("_count", Suffix::Count),
    ("_sum", Suffix::Sum),
    ("_total", Suffix::Total),
    ("_created", Suffix::Created),
    ("_info", Suffix::Info),
    ("_gsum", Suffix::GSum),
    ("_gcount", Suffix::GCount),
];

/// The suffix spelled `rest` (what follows the family name in a sample name), if any.
pub(super) fn suffix_from(rest: &str) -> Option<Suffix> {
    if rest.is_empty() {
        return Some(Suffix::Bare);
    }
    SUFFIXES.iter().find(|(s, _)| *s == rest).map(|&(_, s)| s)
}

/// May a family of `kind` hold a sample with this suffix?
pub(super) fn suffix_allowed(kind: MetricType, suffix: Suffix, om: bool) -> bool {
    use MetricType as T;
    match suffix {
        // Prometheus: an exact name match always belongs (e.g. counters without `_total`).
        Suffix::Bare => !om || matches!(kind, T::Gauge | T::Summary | T::StateSet | T::Untyped),
        Suffix::Total => kind == T::Counter,
        Suffix::Created => matches!(kind, T::Counter | T::Histogram | T::Summary),
        Suffix::Bucket => matches!(kind, T::Histogram | T::GaugeHistogram),
        Suffix::Sum | Suffix::Count => {
            matches!(kind, T::Histogram | T::Summary) || (!om && kind == T::GaugeHistogram)
        }
        Suffix::GSum | Suffix::GCount => kind == T::GaugeHistogram,
        Suffix::Info => kind == T::Info,
    }
}

/// The type a TYPE line's word declares (`None` for an unknown word).
pub(super) fn type_word(word: &str, om: bool) -> Option<MetricType> {
    Some(match word {
        "counter" => MetricType::Counter,
        "gauge" => MetricType::Gauge,
        "histogram" => MetricType::Histogram,
        "gaugehistogram" => MetricType::GaugeHistogram,
        "summary" => MetricType::Summary,
        "info" => MetricType::Info,
        "stateset" => MetricType::StateSet,
        "unknown" => MetricType::Untyped,
        "untyped" if !om => MetricType::Untyped,
        "gauge_histogram" if !om => MetricType::GaugeHistogram,
        _ => return None,
    })
}

/// The OpenMetrics word for `kind`, for messages.
pub(super) fn kind_name(kind: MetricType) -> &'static str {
    match kind {
        MetricType::Counter => "counter",
        MetricType::Gauge => "gauge",
        MetricType::Histogram => "histogram",
        MetricType::GaugeHistogram => "gaugehistogram",
        MetricType::Summary => "summary",
        MetricType::Info => "info",
        MetricType::StateSet => "stateset",
        MetricType::Untyped => "unknown",
    }
}
