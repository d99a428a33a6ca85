//! Prometheus text exposition: our tolerant parser for the Prometheus text format and OpenMetrics
//! 1.0, and the value types it produces. Pure code: no I/O happens here.
//!
//! Layers, each module using only those below it (no cycles):
//! `parser` (lines → families) → `om` (OpenMetrics validation) → `kind` (metric types and their
//! suffixes), `lex` (one line → name, labels, value) → `number`, `scan` (bytes) → `types`.

mod kind;
mod lex;
mod number;
mod om;
pub mod parser;
mod scan;
pub mod types;

pub use parser::{detect_format, parse};
pub use types::{Exposition, Family, Format, Label, Labels, MetricType, ParseError, Sample};

/// An exposition body as the parser should see it: without a leading UTF-8 byte-order mark,
/// which some exporters (and files saved on Windows) put first and which is no part of a
/// metric name.
#[must_use]
pub fn exposition_body(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}
