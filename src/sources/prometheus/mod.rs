//! Prometheus text exposition: our tolerant parser and the mapping of each server kind onto the
//! canonical model. Pure code: no I/O happens here.

mod lex;
mod number;
mod om;
pub mod parser;
mod scan;
pub mod types;

pub use parser::{detect_format, parse};
pub use types::{Exposition, Family, Format, MetricType, ParseError, Sample};
