//! The vLLM tool proxy's log file (DATA-SOURCES §8), tailed like `tail -F` (appends, rotation,
//! truncation: [`super::tail`]): header lines start records, other lines (tracebacks, access
//! logs) continue the record before them. A record is handed out once the next record starts,
//! its file ends or a poll finds nothing new, so it is complete. Records are classified into
//! error kinds (**ours**). Blocking file I/O in [`LogTail::poll`], run on the blocking pool by
//! [`run`]; the errors-per-hour figure is computed by the model at an explicit `now`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::tail::{FileFollower, TailLine};
pub use super::tail::{TailStart, TailStats};
use crate::model::ids::{SourceId, SourceKind};
use crate::model::input::{
    EventError, EventUpdate, ProxyErrorKind, ProxyLevel, ProxyRecord, SourceUpdate,
};
use crate::model::text::truncate_str;
use crate::sources::framework::{
    Poll, PollSchedule, Sink, SourceTask, Stop, poll_loop, read_blocking,
};

/// Longest record message kept, bytes.
pub const MAX_MESSAGE_BYTES: usize = 2048;

/// The kind of a record's message, `None` when it matches no known pattern.
#[must_use]
pub fn classify(message: &str) -> Option<ProxyErrorKind> {
    let m = message.to_ascii_lowercase();
    if m.contains("tool call limit exceeded") {
        Some(ProxyErrorKind::ToolLoopAbort)
    } else if m.contains("error in post-processing") {
        Some(ProxyErrorKind::ToolParseError)
    } else if m.contains("error cleaning response") {
        Some(ProxyErrorKind::CleanResponseError)
    } else if m.contains("sse rewrap parse error") {
        Some(ProxyErrorKind::SseParseError)
    } else if m.contains("forward error") || m.contains("stream error") {
        Some(ProxyErrorKind::UpstreamError)
    } else {
        None
    }
}

/// Read a header line `2026-02-11 23:47:02,114 ERROR: message`; the time is read at
/// `utc_offset_minutes` (Python logging writes local time without an offset). `None` for a
/// continuation line.
#[must_use]
pub fn parse_header(line: &str, utc_offset_minutes: i32) -> Option<(SystemTime, ProxyLevel, &str)> {
    let b = line.as_bytes();
    if b.len() < 25 {
        return None;
    }
    let shape = b"dddd-dd-dd dd:dd:dd,ddd ";
    for (i, &c) in shape.iter().enumerate() {
        let ok = if c == b'd' {
            b[i].is_ascii_digit()
        } else {
            b[i] == c
        };
        if !ok {
            return None;
        }
    }
    let num = |r: std::ops::Range<usize>| line[r].parse::<i32>().ok();
    let (level_txt, message) = line[24..].split_once(": ")?;
    let level = ProxyLevel::parse(level_txt)?;
    let dt = jiff::civil::DateTime::new(
        i16::try_from(num(0..4)?).ok()?,
        i8::try_from(num(5..7)?).ok()?,
        i8::try_from(num(8..10)?).ok()?,
        i8::try_from(num(11..13)?).ok()?,
        i8::try_from(num(14..16)?).ok()?,
        i8::try_from(num(17..19)?).ok()?,
        num(20..23)? * 1_000_000,
    )
    .ok()?;
    let offset = jiff::tz::Offset::from_seconds(utc_offset_minutes.saturating_mul(60)).ok()?;
    let ts = offset.to_timestamp(dt).ok()?;
    Some((SystemTime::try_from(ts).ok()?, level, message))
}

/// How the tail reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailOptions {
    /// Offset of the proxy's clock from UTC, minutes (its container usually runs in UTC: 0).
    pub utc_offset_minutes: i32,
    /// Where the first read starts (after a rotation, the new file is read from its start).
    pub start: TailStart,
    /// Most bytes read per poll; the rest waits for the next poll.
    pub max_read_per_poll: usize,
    /// Longest line kept; longer lines are cut.
    pub max_line_bytes: usize,
    /// Most continuation lines kept per record.
    pub max_continuation_lines: usize,
}

impl Default for TailOptions {
    fn default() -> Self {
        Self {
            utc_offset_minutes: 0,
            start: TailStart::LastBytes(1 << 20),
            max_read_per_poll: 4 << 20,
            max_line_bytes: 16 << 10,
            max_continuation_lines: 50,
        }
    }
}

/// Turns lines into records: a header line opens one, other lines continue it.
#[derive(Debug, Default)]
struct Assembler {
    utc_offset_minutes: i32,
    max_continuation_lines: usize,
    pending: Option<ProxyRecord>,
    orphans: u64,
}

impl Assembler {
    fn line(&mut self, bytes: &[u8], out: &mut Vec<ProxyRecord>) {
        let text = String::from_utf8_lossy(bytes);
        if text.trim().is_empty() {
            return;
        }
        if let Some((at, level, message)) = parse_header(&text, self.utc_offset_minutes) {
            out.extend(self.pending.take());
            self.pending = Some(ProxyRecord {
                at,
                level,
                kind: classify(message),
                message: truncate_str(message, MAX_MESSAGE_BYTES),
                continuation: Vec::new(),
                continuation_cut: 0,
            });
        } else if let Some(p) = self.pending.as_mut() {
            if p.continuation.len() < self.max_continuation_lines {
                p.continuation.push(truncate_str(&text, 512));
            } else {
                p.continuation_cut += 1;
            }
        } else {
            self.orphans += 1;
        }
    }
}

/// Assemble records from a whole log text at once, as [`LogTail`] does line by line (lines split
/// on `\n`, each cut at `opts.max_line_bytes`); returns the records and the orphan-line count.
/// For tests and the fuzz target (`fuzz/`): the tail itself reads through [`LogTail::poll`].
#[must_use]
pub fn assemble(text: &[u8], opts: &TailOptions) -> (Vec<ProxyRecord>, u64) {
    let mut asm = Assembler {
        utc_offset_minutes: opts.utc_offset_minutes,
        max_continuation_lines: opts.max_continuation_lines,
        ..Assembler::default()
    };
    let mut out = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let line = line.get(..opts.max_line_bytes).unwrap_or(line);
        asm.line(line, &mut out);
    }
    out.extend(asm.pending.take());
    (out, asm.orphans)
}

/// A `tail -F` of the proxy log, handing out complete records. Call [`LogTail::poll`] as often
/// as you like.
#[derive(Debug)]
pub struct LogTail {
    follower: FileFollower,
    asm: Assembler,
}

impl LogTail {
    /// A tail of `path`; nothing is read until the first poll.
    #[must_use]
    pub fn new(path: impl Into<PathBuf>, opts: TailOptions) -> Self {
        Self {
            follower: FileFollower::new(
                path,
                opts.start,
                opts.max_read_per_poll,
                opts.max_line_bytes,
            ),
            asm: Assembler {
                utc_offset_minutes: opts.utc_offset_minutes,
                max_continuation_lines: opts.max_continuation_lines,
                ..Assembler::default()
            },
        }
    }

    /// What the tail has seen so far.
    #[must_use]
    pub fn stats(&self) -> TailStats {
        TailStats {
            orphan_lines: self.asm.orphans,
            ..self.follower.stats
        }
    }

    /// Read what is new and return the records completed since the last poll, in file order.
    /// A record is complete when the next one starts, when its file ends (rotation,
    /// truncation), or when a poll finds nothing new.
    ///
    /// # Errors
    /// [`EventError::Io`] while the file does not exist (and none was open) or cannot be read;
    /// the tail keeps trying on later polls.
    pub fn poll(&mut self) -> Result<Vec<ProxyRecord>, EventError> {
        let mut out = Vec::new();
        let Self { follower, asm } = self;
        let read = follower.poll(&mut |l| match l {
            TailLine::Line(bytes) => asm.line(bytes, &mut out),
            TailLine::FileEnded => out.extend(asm.pending.take()),
        })?;
        if read == 0 {
            // Nothing new: the record being collected is complete.
            out.extend(self.asm.pending.take());
        }
        Ok(out)
    }
}

/// The tool-proxy tail's settings.
#[derive(Debug, Clone)]
pub struct ToolProxyConfig {
    /// Id of this source.
    pub id: SourceId,
    /// The log file.
    pub path: PathBuf,
    /// How often the file is read.
    pub interval: Duration,
    /// How it is read.
    pub tail: TailOptions,
}

impl ToolProxyConfig {
    /// Tail `path` every 2 s, starting with its last MiB.
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Self {
            id: SourceId::new(
                "swarm",
                SourceKind::ToolProxyLog,
                path.display().to_string(),
            ),
            path,
            interval: Duration::from_secs(2),
            tail: TailOptions::default(),
        }
    }
}

/// The log as a polled source: each poll reads what was appended, on the blocking pool.
struct TailPoll {
    cfg: ToolProxyConfig,
    tail: Option<LogTail>,
}

impl Poll for TailPoll {
    async fn poll(&mut self) -> Option<SourceUpdate> {
        let (path, options) = (self.cfg.path.clone(), self.cfg.tail.clone());
        let result = read_blocking(
            &mut self.tail,
            || LogTail::new(path, options),
            LogTail::poll,
        )
        .await
        .unwrap_or_else(|reason| {
            Err(EventError::Io {
                path: self.cfg.path.display().to_string(),
                reason,
            })
        });
        // Nothing new and nothing wrong: nothing to say.
        if result.as_ref().is_ok_and(Vec::is_empty) {
            return None;
        }
        Some(SourceUpdate::agents(EventUpdate::ProxyLog {
            source: self.cfg.id.clone(),
            at: SystemTime::now(),
            result,
        }))
    }
}

/// Poll the file every `interval` until `stop` flips. Sends an [`EventUpdate::ProxyLog`] when
/// records completed or the file cannot be read.
pub async fn run(cfg: ToolProxyConfig, sink: Sink, stop: Stop) {
    let schedule = PollSchedule::every(cfg.interval);
    poll_loop(TailPoll { cfg, tail: None }, schedule, sink, stop).await;
}

/// [`run`] on the current tokio runtime.
#[must_use]
pub fn spawn(cfg: ToolProxyConfig, sink: Sink) -> SourceTask {
    SourceTask::spawn(move |stop| run(cfg, sink, stop))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::time_fmt::epoch_secs;

    #[test]
    fn headers_are_recognised_and_continuations_are_not() {
        let (at, level, msg) = parse_header(
            "2026-02-11 23:47:02,114 ERROR: Forward error: connection refused",
            0,
        )
        .unwrap();
        assert_eq!(epoch_secs(at), 1_770_853_622);
        assert_eq!(level, ProxyLevel::Error);
        assert_eq!(msg, "Forward error: connection refused");
        let (at2, ..) = parse_header("2026-02-12 00:47:02,114 INFO: x", 60).unwrap();
        assert_eq!(at, at2);
        assert!(parse_header("Traceback (most recent call last):", 0).is_none());
        assert!(parse_header("2026-02-11 23:47:02,114 NOTICE: x", 0).is_none());
        assert!(
            parse_header(
                "127.0.0.1 - - [11/Feb/2026 23:47:02] \"POST /v1/chat/completions HTTP/1.1\" 200 -",
                0
            )
            .is_none()
        );
    }

    #[test]
    fn assemble_reads_a_whole_text_like_the_tail() {
        let text = b"stray line\n2026-02-11 23:47:02,114 ERROR: Forward error: refused\nTraceback\n  line 2\n2026-02-11 23:47:03,000 INFO: request done\n";
        let (records, orphans) = assemble(text, &TailOptions::default());
        assert_eq!(orphans, 1);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].kind, Some(ProxyErrorKind::UpstreamError));
        assert_eq!(records[0].continuation, ["Traceback", "  line 2"]);
        assert_eq!(records[1].message, "request done");
    }

    #[test]
    fn kinds_follow_the_documented_messages() {
        assert_eq!(
            classify("Tool call limit exceeded (8 calls), aborting"),
            Some(ProxyErrorKind::ToolLoopAbort)
        );
        assert_eq!(
            classify("Error in post-processing: bad JSON"),
            Some(ProxyErrorKind::ToolParseError)
        );
        assert_eq!(
            classify("Error cleaning response: x"),
            Some(ProxyErrorKind::CleanResponseError)
        );
        assert_eq!(
            classify("SSE rewrap parse error: x"),
            Some(ProxyErrorKind::SseParseError)
        );
        assert_eq!(
            classify("SSE rewrap forward error: x"),
            Some(ProxyErrorKind::UpstreamError)
        );
        assert_eq!(
            classify("Stream error: reset"),
            Some(ProxyErrorKind::UpstreamError)
        );
        assert_eq!(
            classify("Forward error: refused"),
            Some(ProxyErrorKind::UpstreamError)
        );
        assert_eq!(classify("request done"), None);
        assert!(ProxyLevel::Critical.is_error() && !ProxyLevel::Warning.is_error());
    }
}
