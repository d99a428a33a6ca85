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
                    timeout: URL_TIMEOUT,
                    max_body_bytes: http::DEFAULT_MAX_BODY_BYTES,
                    bearer: None,
                },
            )
            .await
        });
        let f = fetched.map_err(|e| anyhow::anyhow!(fetch_hint(&e)))?;
        return Ok((f.body, f.content_type));
    }
    let body = std::fs::read(input).map_err(|e| anyhow::anyhow!("cannot read {input}: {e}"))?;
    Ok((body, None))
}

/// How long `metrics check` waits for a URL, and the most it reads from one.
const URL_TIMEOUT: Duration = Duration::from_secs(10);

/// A failed fetch said with what `metrics check` itself offers: it takes no token, timeout or
/// size option (those are config keys of `[[prometheus]]`), so its hints point at fetching the
/// body another way and checking the file or stdin.
fn fetch_hint(e: &SourceError) -> String {
    const ELSEWHERE: &str = "fetch it another way and check the file or stdin, e.g. `curl -s URL | swarmglass metrics check -`";
    match e {
        SourceError::Timeout { url, timeout_ms } => format!(
            "timed out after {timeout_ms} ms waiting for {url} (metrics check waits {} s); {ELSEWHERE}",
            URL_TIMEOUT.as_secs()
        ),
        SourceError::HttpStatus {
            url,
            status: status @ (401 | 403),
            ..
        } => format!(
            "{url} answered HTTP {status}: it wants a token, and metrics check sends none; fetch it with the token and check stdin, e.g. `curl -s -H \"Authorization: Bearer $TOKEN\" URL | swarmglass metrics check -`"
        ),
        SourceError::HttpStatus {
            url, status: 404, ..
        } => {
            format!("{url} answered HTTP 404; check the path in the URL (usually /metrics)")
        }
        SourceError::HttpStatus { url, status, .. } => format!("{url} answered HTTP {status}"),
        SourceError::BodyTooLarge { url, cap_bytes } => format!(
            "{url}: body larger than metrics check's {cap_bytes}-byte cap on a URL, cut off; save it to a file (`curl -so metrics.txt URL`) and check the file"
        ),
        other => other.to_string(),
    }
}

/// Check one exposition.
#[must_use]
pub fn check(input: &str, body: &[u8], content_type: Option<&str>) -> CheckReport {
    let bytes = body.len();
    let body = crate::runtime::exposition_body(body);
    let format = prometheus::detect_format(content_type, body);
    let exp = prometheus::parse(body, format);
    CheckReport {
        input: input.to_owned(),
        format: match format {
            prometheus::Format::Prometheus => "prometheus",
            prometheus::Format::OpenMetrics => "openmetrics",
        },
        bytes,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Timeouts and caps cannot be changed on the command line: the hints say what to do
    /// instead, and never name a config key.
    #[test]
    fn hints_name_only_what_the_command_offers() {
        let timeout = fetch_hint(&SourceError::Timeout {
            url: "http://h/metrics".into(),
            timeout_ms: 10_000,
        });
        assert!(
            timeout.contains("metrics check waits 10 s") && timeout.contains("metrics check -"),
            "{timeout}"
        );
        let big = fetch_hint(&SourceError::BodyTooLarge {
            url: "http://h/metrics".into(),
            cap_bytes: http::DEFAULT_MAX_BODY_BYTES,
        });
        assert!(big.contains("save it to a file"), "{big}");
        for m in [&timeout, &big] {
            for key in ["`timeout`", "max_body_bytes", "bearer_token_env"] {
                assert!(!m.contains(key), "{m}");
            }
        }
    }
}
