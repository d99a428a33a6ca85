//! A simulated vLLM tool-proxy log (`vllm-tool-proxy.log` in the sim's temp dir), so the demo
//! shows tool-proxy errors per hour. Lines follow the real proxy's format (DATA-SOURCES §8):
//! `2026-02-11 23:47:02,114 ERROR: Forward error: …`, with access-log continuation lines.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// The log's file name inside the sim's temp dir.
pub const FILE_NAME: &str = "vllm-tool-proxy.log";

const ERRORS: [&str; 5] = [
    "Forward error: upstream vLLM returned 503 Service Unavailable",
    "Tool call limit exceeded (8 calls) for session abc123, aborting tool loop",
    "Error in post-processing: invalid JSON in tool response",
    "SSE rewrap parse error: unexpected end of stream",
    "Stream error: connection reset by peer",
];

fn timestamp(t: SystemTime) -> String {
    // humantime gives `2026-02-11T23:47:02.114Z`; the proxy writes `2026-02-11 23:47:02,114`.
    let iso = humantime::format_rfc3339_millis(t).to_string();
    iso.trim_end_matches('Z')
        .replacen('T', " ", 1)
        .replacen('.', ",", 1)
}

/// The lines written at step `tick` (deterministic from `seed`): an access line every step, an
/// error on roughly one step in eight.
#[must_use]
pub fn lines(seed: u64, tick: u64, at: SystemTime) -> Vec<String> {
    let ts = timestamp(at);
    let mut out = vec![format!(
        "{ts} INFO: POST /v1/chat/completions 200 ({} ms)",
        200 + (seed + tick * 37) % 900
    )];
    let h = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(tick.wrapping_mul(1_442_695_040_888_963_407));
    if (h >> 33).is_multiple_of(40) {
        let msg = ERRORS[usize::try_from((h >> 40) % 5).unwrap_or(0)];
        out.push(format!("{ts} ERROR: {msg}"));
        out.push("Traceback (most recent call last):".to_owned());
        out.push("  File \"proxy.py\", line 212, in forward".to_owned());
    }
    out
}

/// Append step `tick`'s lines to the log in `dir`.
///
/// # Errors
/// When the file cannot be opened or written.
pub fn append(dir: &Path, seed: u64, tick: u64, at: SystemTime) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(FILE_NAME))?;
    for l in lines(seed, tick, at) {
        writeln!(f, "{l}")?;
    }
    Ok(())
}

/// Write a backlog covering the last `steps` steps `every` apart, ending at `now`.
///
/// # Errors
/// When the file cannot be written.
pub fn backfill(
    dir: &Path,
    seed: u64,
    steps: u64,
    every: Duration,
    now: SystemTime,
) -> std::io::Result<()> {
    for i in 0..steps {
        let back = every.saturating_mul(u32::try_from(steps - i).unwrap_or(u32::MAX));
        append(dir, seed, i, now.checked_sub(back).unwrap_or(now))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::events::tool_proxy::parse_header;

    #[test]
    fn lines_use_the_proxys_format_and_some_are_errors() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_770_853_622);
        let all: Vec<String> = (0..400).flat_map(|i| lines(42, i, at)).collect();
        assert!(
            all[0].starts_with("2026-02-11 23:47:02,000 INFO: "),
            "{}",
            all[0]
        );
        let errors = all.iter().filter(|l| l.contains(" ERROR: ")).count();
        assert!((3..=25).contains(&errors), "{errors} errors in 400 steps");
        assert!(
            all.iter()
                .filter(|l| l.contains(" ERROR: "))
                .all(|l| parse_header(l, 0).is_some())
        );
        assert_eq!(lines(42, 5, at), lines(42, 5, at), "deterministic");
    }
}
