//! `metrics check`: read one exposition (file, URL or stdin), parse it with our parser and
//! report families, samples and every error with its line number.

use std::io::Read;
use std::time::Duration;

use serde::Serialize;

use crate::model::input::SourceError;
use crate::sources::http;
use crate::sources::prometheus::{self, MetricType, ParseError};

/// One family in a `metrics check` report.
#[derive(Debug, Serialize)]
pub struct CheckedFamily {
    /// Family name.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: MetricType,
    /// Samples.
    pub samples: usize,
}

/// `metrics check` report.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// What was read.
    pub input: String,
    /// `prometheus` or `openmetrics`.
    pub format: &'static str,
    /// Bytes read.
    pub bytes: usize,
    /// Families.
    pub families: Vec<CheckedFamily>,
    /// Total samples.
    pub samples: usize,
    /// Every error with its line.
    pub errors: Vec<ParseError>,
}

/// Read the input of `metrics check`: a file, `-` (stdin) or an http(s) URL.
///
/// # Errors
/// Unreadable file or stdin, or a failed fetch; each names the input.
pub fn read_input(input: &str) -> anyhow::Result<(Vec<u8>, Option<String>)> {
    if input == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        return Ok((buf, None));
    }
    if input.starts_with("http://") || input.starts_with("https://") {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let fetched: Result<http::Fetched, SourceError> = rt.block_on(async {
            let client = http::client()?;
            http::get(
                &client,
                http::Request {
                    url: input,
                    timeout: Duration::from_secs(10),
                    max_body_bytes: http::DEFAULT_MAX_BODY_BYTES,
                    bearer: None,
                },
            )
            .await
        });
        let f = fetched?;
        return Ok((f.body, f.content_type));
    }
    let body = std::fs::read(input).map_err(|e| anyhow::anyhow!("cannot read {input}: {e}"))?;
    Ok((body, None))
}

/// Check one exposition.
#[must_use]
pub fn check(input: &str, body: &[u8], content_type: Option<&str>) -> CheckReport {
    let format = prometheus::detect_format(content_type, body);
    let exp = prometheus::parse(body, format);
    CheckReport {
        input: input.to_owned(),
        format: match format {
            prometheus::Format::Prometheus => "prometheus",
            prometheus::Format::OpenMetrics => "openmetrics",
        },
        bytes: body.len(),
        families: exp
            .families
            .iter()
            .map(|f| CheckedFamily {
                name: f.name.to_string(),
                kind: f.kind,
                samples: f.samples.len(),
            })
            .collect(),
        samples: exp.sample_count(),
        errors: exp.errors.clone(),
    }
}

/// Human-readable `metrics check` report.
#[must_use]
pub fn render_check(r: &CheckReport) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    for f in &r.families {
        let _ = writeln!(
            o,
            "{:<60} {:<15} {:>6} samples",
            f.name,
            format!("{:?}", f.kind).to_lowercase(),
            f.samples
        );
    }
    for e in &r.errors {
        let _ = writeln!(o, "{}:{}: {}", r.input, e.line, e.message);
    }
    let _ = writeln!(
        o,
        "{}: {} format, {} bytes, {} families, {} samples, {} error(s)",
        r.input,
        r.format,
        r.bytes,
        r.families.len(),
        r.samples,
        r.errors.len()
    );
    o
}
