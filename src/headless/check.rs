//! `metrics check`: read one exposition (file, URL or stdin), parse it with our parser and
//! report families, samples and every error with its line number, plus what a scrape would
//! trip over: a series written twice (same name and label set) and histogram buckets out of
//! order, with negative or falling counts.
//!
//! The input is streamed: read and parsed in chunks of about [`CHUNK_BYTES`] that end at a line
//! end (before a `# HELP`/`# TYPE` group where one is near, so a family is rarely split), so
//! memory stays bounded whatever the input's size; errors keep their line numbers in the whole
//! input. What is kept across chunks is bounded too: the errors listed, the families listed and
//! the series remembered for the duplicate check each have a cap, past which they are counted.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

use serde::Serialize;

use crate::model::input::SourceError;
use crate::sources::http;
use crate::sources::prometheus::{self, Format, MetricType, ParseError, Sample};

/// Bytes parsed at a time (a chunk ends at a line end).
const CHUNK_BYTES: usize = 256 * 1024;

/// A line longer than this (no newline in 16 MiB) is reported and skipped, not held.
const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Errors listed; the rest are counted.
const MAX_ERRORS_LISTED: usize = 10_000;

/// Families listed; the rest are counted.
const MAX_FAMILIES_LISTED: usize = 10_000;

/// Distinct series remembered for the duplicate check (about 40 MiB at most).
const MAX_SERIES_TRACKED: usize = 1_000_000;

/// Histogram series followed at once for the bucket-order check.
const MAX_BUCKET_SERIES: usize = 100_000;

/// Metadata lines carried into the next chunk when one family spans chunks.
const MAX_CARRY_BYTES: usize = 64 * 1024;

/// Sample-name suffixes by which a typed family is resumed later in a Prometheus body.
const RESUMED_SUFFIXES: [&str; 7] = [
    "_bucket", "_sum", "_count", "_total", "_gsum", "_gcount", "_info",
];

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
    pub bytes: u64,
    /// Lines read.
    pub lines: usize,
    /// Families, in order of first appearance (at most 10,000; see `families_not_listed`).
    pub families: Vec<CheckedFamily>,
    /// Families past the listed ones.
    pub families_not_listed: usize,
    /// Total samples.
    pub samples: usize,
    /// Errors with their lines, in line order (at most 10,000; see `errors_not_listed`).
    pub errors: Vec<ParseError>,
    /// Errors past the listed ones.
    pub errors_not_listed: usize,
    /// What the check could not do in full (a limit reached, a format it had to assume).
    pub notes: Vec<String>,
}

impl CheckReport {
    /// Every error, listed or not.
    #[must_use]
    pub fn error_count(&self) -> usize {
        self.errors.len() + self.errors_not_listed
    }
}

/// Check the input of `metrics check`: a file, `-` (stdin) or an http(s) URL, read in chunks.
///
/// # Errors
/// Unreadable file or stdin, or a failed fetch; each names the input.
pub fn check_input(input: &str) -> anyhow::Result<CheckReport> {
    let cannot = |e: std::io::Error| anyhow::anyhow!("cannot read {input}: {e}");
    if input == "-" {
        let mut chunks = Chunks::new(std::io::stdin().lock());
        chunks.fill(CHUNK_BYTES + 1).map_err(cannot)?;
        // Only what is whole can be looked at for OpenMetrics' closing `# EOF`.
        let format = if chunks.eof {
            prometheus::detect_format(None, &chunks.buf)
        } else {
            Format::Prometheus
        };
        let mut c = Checker::new(input, format, !chunks.eof);
        return c.run(chunks).map_err(cannot);
    }
    if input.starts_with("http://") || input.starts_with("https://") {
        let f = fetch(input)?;
        let format = prometheus::detect_format(f.content_type.as_deref(), &f.body);
        let mut c = Checker::new(input, format, false);
        return c
            .run(Chunks::new(std::io::Cursor::new(f.body)))
            .map_err(cannot);
    }
    let mut file = std::fs::File::open(input).map_err(cannot)?;
    // The format is in the last line (`# EOF`): read the tail, then start from the top.
    let len = file.metadata().map_err(cannot)?.len();
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(len.saturating_sub(4096)))
        .and_then(|_| file.by_ref().take(4096).read_to_end(&mut tail))
        .and_then(|_| file.rewind())
        .map_err(cannot)?;
    let mut c = Checker::new(input, prometheus::detect_format(None, &tail), false);
    c.run(Chunks::new(file)).map_err(cannot)
}

/// A body fetched for `metrics check URL` (capped at the default body size).
fn fetch(url: &str) -> anyhow::Result<http::Fetched> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let fetched: Result<http::Fetched, SourceError> = rt.block_on(async {
        let client = http::client()?;
        http::get(
            &client,
            http::Request {
                url,
                timeout: URL_TIMEOUT,
                max_body_bytes: http::DEFAULT_MAX_BODY_BYTES,
                bearer: None,
                basic: None,
                explain_errors: false,
                compress: true,
            },
        )
        .await
    });
    fetched.map_err(|e| anyhow::anyhow!(fetch_hint(&e)))
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

/// Check one exposition held in memory (as [`check_input`] does, chunk by chunk).
#[must_use]
pub fn check(input: &str, body: &[u8], content_type: Option<&str>) -> CheckReport {
    let format = prometheus::detect_format(content_type, body);
    let mut c = Checker::new(input, format, false);
    match c.run(Chunks::new(body)) {
        Ok(report) => report,
        // Reading a slice cannot fail.
        Err(e) => c.finish(Some(format!("reading stopped: {e}"))),
    }
}

/// One piece of the input.
enum Piece {
    /// Whole lines (the last one may lack its newline at the very end), and whether it is the
    /// last piece.
    Lines(Vec<u8>, bool),
    /// One line longer than [`MAX_LINE_BYTES`], skipped.
    LongLine,
}

/// The input in pieces that end at line ends.
struct Chunks<R> {
    r: R,
    buf: Vec<u8>,
    eof: bool,
}

impl<R: Read> Chunks<R> {
    fn new(r: R) -> Self {
        Self {
            r,
            buf: Vec::with_capacity(CHUNK_BYTES * 2),
            eof: false,
        }
    }

    /// Read until `want` bytes are held or the input ends.
    fn fill(&mut self, want: usize) -> std::io::Result<()> {
        let mut tmp = [0_u8; 64 * 1024];
        while !self.eof && self.buf.len() < want {
            match self.r.read(&mut tmp) {
                Ok(0) => self.eof = true,
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn next(&mut self) -> std::io::Result<Option<Piece>> {
        self.fill(CHUNK_BYTES)?;
        if self.buf.is_empty() {
            return Ok(None);
        }
        let cut = if self.eof && self.buf.len() <= CHUNK_BYTES {
            self.buf.len()
        } else if let Some(cut) = cut_point(&self.buf[..self.buf.len().min(CHUNK_BYTES)]) {
            cut
        } else {
            // The first line is longer than a chunk: read on to its end, within reason.
            let mut scanned = 0;
            loop {
                let newline = self.buf[scanned..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map(|p| scanned + p);
                let end = newline.map_or(self.buf.len(), |p| p + 1);
                if end > MAX_LINE_BYTES {
                    self.skip_line()?;
                    return Ok(Some(Piece::LongLine));
                }
                if newline.is_some() || self.eof {
                    break end;
                }
                scanned = self.buf.len();
                let want = self.buf.len() + CHUNK_BYTES;
                self.fill(want)?;
            }
        };
        let piece: Vec<u8> = self.buf.drain(..cut).collect();
        if self.buf.is_empty() {
            self.fill(1)?;
        }
        let last = self.eof && self.buf.is_empty();
        Ok(Some(Piece::Lines(piece, last)))
    }

    /// Drop the held bytes and the rest of the current line.
    fn skip_line(&mut self) -> std::io::Result<()> {
        loop {
            if let Some(p) = self.buf.iter().position(|&b| b == b'\n') {
                self.buf.drain(..=p);
                return Ok(());
            }
            self.buf.clear();
            if self.eof {
                return Ok(());
            }
            self.fill(CHUNK_BYTES)?;
        }
    }
}

/// Where to end a chunk taken from `window`: before its last group of comment lines (the
/// metadata that starts a family) when that is not at the very start, else after its last
/// newline; `None` when it holds no newline at all.
fn cut_point(window: &[u8]) -> Option<usize> {
    let line_starts = |end: usize| {
        window[..end]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
    };
    // The last comment line, then back over the comment lines right before it.
    let mut group = window.windows(2).rposition(|w| w == b"\n#").map(|p| p + 1);
    while let Some(start) = group.filter(|&s| s > 0) {
        let prev = line_starts(start - 1);
        if window.get(prev) == Some(&b'#') && prev < start {
            group = Some(prev);
        } else {
            break;
        }
    }
    match group {
        Some(start) if start > 0 => Some(start),
        _ => window.iter().rposition(|&b| b == b'\n').map(|p| p + 1),
    }
}

/// Lines in `bytes` (a last line without its newline counts).
fn line_count(bytes: &[u8]) -> usize {
    let n = bytes.iter().filter(|&&b| b == b'\n').count();
    n + usize::from(bytes.last().is_some_and(|&b| b != b'\n'))
}

/// The comment lines `bytes` starts with (a family's `# HELP`/`# TYPE`/`# UNIT`), but not an
/// OpenMetrics `# EOF`.
fn leading_metadata(bytes: &[u8]) -> &[u8] {
    let mut end = 0;
    while bytes.get(end) == Some(&b'#') && !bytes[end..].starts_with(b"# EOF") {
        match bytes[end..].iter().position(|&b| b == b'\n') {
            Some(p) => end += p + 1,
            None => break,
        }
    }
    &bytes[..end]
}

/// A series' identity: its name and label set, whatever order the labels are written in
/// (`skip` leaves one label out, e.g. `le`).
fn series_key(name: &str, s: &Sample<'_>, skip: Option<&str>) -> u64 {
    let mut labels = 0_u64;
    for (k, v) in &s.labels {
        if skip == Some(k.as_ref()) {
            continue;
        }
        let mut h = DefaultHasher::new();
        (k.as_ref(), v.as_ref()).hash(&mut h);
        labels = labels.wrapping_add(h.finish());
    }
    let mut h = DefaultHasher::new();
    (name, labels).hash(&mut h);
    h.finish()
}

/// `name{a="1",b="2"}`, cut to a readable length.
fn series_text(s: &Sample<'_>) -> String {
    let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    let mut text = if labels.is_empty() {
        s.name.to_string()
    } else {
        format!("{}{{{}}}", s.name, labels.join(","))
    };
    if text.len() > 200 {
        let mut cut = 200;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// The last bucket seen of one histogram series.
struct LastBucket {
    le: f64,
    count: f64,
    line: usize,
}

/// The check, carried from chunk to chunk.
struct Checker {
    input: String,
    format: Format,
    /// Standard input too long to see its end: a `# EOF` met later is worth a note.
    format_assumed: bool,
    bytes: u64,
    /// Absolute number of the next chunk's first line.
    next_line: usize,
    /// Metadata of the family open at the end of the last chunk, for a chunk that goes on
    /// with its samples.
    carry: Vec<u8>,
    families: Vec<CheckedFamily>,
    family_index: HashMap<String, usize>,
    families_not_listed: usize,
    samples: usize,
    errors: Vec<ParseError>,
    errors_not_listed: usize,
    series: HashMap<u64, usize>,
    series_full: bool,
    bucket_family: String,
    buckets: HashMap<u64, LastBucket>,
    notes: Vec<String>,
}

impl Checker {
    fn new(input: &str, format: Format, format_assumed: bool) -> Self {
        Self {
            input: input.to_owned(),
            format,
            format_assumed,
            bytes: 0,
            next_line: 1,
            carry: Vec::new(),
            families: Vec::new(),
            family_index: HashMap::new(),
            families_not_listed: 0,
            samples: 0,
            errors: Vec::new(),
            errors_not_listed: 0,
            series: HashMap::new(),
            series_full: false,
            bucket_family: String::new(),
            buckets: HashMap::new(),
            notes: Vec::new(),
        }
    }

    fn error(&mut self, line: usize, message: String) {
        if self.errors.len() < MAX_ERRORS_LISTED {
            self.errors.push(ParseError { line, message });
        } else {
            self.errors_not_listed += 1;
        }
    }

    fn run<R: Read>(&mut self, mut chunks: Chunks<R>) -> std::io::Result<CheckReport> {
        while let Some(piece) = chunks.next()? {
            match piece {
                Piece::Lines(bytes, last) => self.chunk(&bytes, last),
                Piece::LongLine => {
                    self.error(
                        self.next_line,
                        format!("line longer than {} MiB: not checked", MAX_LINE_BYTES >> 20),
                    );
                    self.next_line += 1;
                }
            }
        }
        Ok(self.finish(None))
    }

    fn chunk(&mut self, bytes: &[u8], last: bool) {
        let first_chunk = self.bytes == 0;
        self.bytes += bytes.len() as u64;
        // A leading UTF-8 byte-order mark is no part of the first metric name.
        let bytes = if first_chunk {
            crate::runtime::exposition_body(bytes)
        } else {
            bytes
        };
        let lines = line_count(bytes);
        let lead = leading_metadata(bytes);
        let mut text: Vec<u8> = Vec::with_capacity(bytes.len() + self.carry.len() + 8);
        let carried = if lead.is_empty() {
            // The family of the last chunk goes on: give the parser its metadata again.
            text.extend_from_slice(&self.carry);
            line_count(&self.carry)
        } else {
            self.carry = if lead.len() <= MAX_CARRY_BYTES {
                lead.to_vec()
            } else {
                Vec::new()
            };
            0
        };
        text.extend_from_slice(bytes);
        if self.format == Format::OpenMetrics && !last {
            // The real `# EOF` is at the very end; each earlier chunk is closed for the parser.
            if text.last().is_some_and(|&b| b != b'\n') {
                text.push(b'\n');
            }
            text.extend_from_slice(b"# EOF\n");
        }
        if self.format_assumed && (bytes.starts_with(b"# EOF") || contains(bytes, b"\n# EOF")) {
            self.format_assumed = false;
            self.notes.push(
                "the input ends like OpenMetrics (`# EOF`) but was checked as Prometheus text: \
                 standard input longer than 256 KiB cannot be looked at whole; give the file's \
                 path to check it as OpenMetrics"
                    .to_owned(),
            );
        }
        let first = self.next_line;
        let abs = |rel: usize| {
            (rel > carried && rel <= carried + lines).then(|| first + rel - carried - 1)
        };
        let exp = prometheus::parse(&text, self.format);
        for e in &exp.errors {
            if let Some(line) = abs(e.line) {
                self.error(line, e.message.clone());
            }
        }
        for f in &exp.families {
            self.samples += f.samples.len();
            // A family resumed in a later chunk arrives without its metadata, as an untyped
            // `name_sum`, `name_bucket`, …: it is counted under the family a whole read gives.
            let resumed = (f.kind == MetricType::Untyped)
                .then(|| {
                    RESUMED_SUFFIXES.iter().find_map(|suffix| {
                        let base = f.name.strip_suffix(suffix)?;
                        let &i = self.family_index.get(base)?;
                        (self.families[i].kind != MetricType::Untyped).then_some(i)
                    })
                })
                .flatten();
            match resumed.or_else(|| self.family_index.get(f.name.as_ref()).copied()) {
                Some(i) => self.families[i].samples += f.samples.len(),
                None if self.families.len() < MAX_FAMILIES_LISTED => {
                    self.family_index
                        .insert(f.name.to_string(), self.families.len());
                    self.families.push(CheckedFamily {
                        name: f.name.to_string(),
                        kind: f.kind,
                        samples: f.samples.len(),
                    });
                }
                None => self.families_not_listed += 1,
            }
            let histogram = matches!(f.kind, MetricType::Histogram | MetricType::GaugeHistogram);
            // OpenMetrics bodies have their buckets checked by the parser itself.
            let buckets = histogram && self.format == Format::Prometheus;
            if buckets && self.bucket_family != f.name {
                self.bucket_family = f.name.to_string();
                self.buckets.clear();
            }
            for s in &f.samples {
                let Some(line) = abs(s.line) else { continue };
                self.duplicate(s, line);
                if buckets && s.name.ends_with("_bucket") {
                    self.bucket(s, line);
                }
            }
        }
        self.next_line += lines;
    }

    /// A series written twice is an error at its second line.
    fn duplicate(&mut self, s: &Sample<'_>, line: usize) {
        let key = series_key(&s.name, s, None);
        if let Some(&first) = self.series.get(&key) {
            self.error(
                line,
                format!(
                    "duplicate series {} (first at line {first})",
                    series_text(s)
                ),
            );
        } else if self.series.len() < MAX_SERIES_TRACKED {
            self.series.insert(key, line);
        } else if !self.series_full {
            self.series_full = true;
            self.notes.push(format!(
                "duplicate series were looked for among the first {MAX_SERIES_TRACKED} series only"
            ));
        }
    }

    /// Buckets of one series must come in increasing `le` with counts that never go down (a
    /// negative count the parser reports itself).
    fn bucket(&mut self, s: &Sample<'_>, line: usize) {
        let Some(le) = s.label("le").and_then(|l| match l {
            "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
            _ => l.parse::<f64>().ok(),
        }) else {
            return;
        };
        let key = series_key(&s.name, s, Some("le"));
        let text = crate::format::raw_value;
        let problem = match self.buckets.get(&key) {
            // An equal bound is the duplicate series already reported.
            Some(prev) if le < prev.le => Some(format!(
                "histogram buckets out of order: le=\"{}\" after le=\"{}\" (line {}); sort them by le",
                text(le),
                text(prev.le),
                prev.line
            )),
            Some(prev) if le > prev.le && s.value < prev.count => Some(format!(
                "histogram bucket count goes down: {} at le=\"{}\" after {} at le=\"{}\" (line {}); bucket counts are cumulative",
                text(s.value),
                text(le),
                text(prev.count),
                text(prev.le),
                prev.line
            )),
            _ => None,
        };
        if let Some(p) = problem {
            self.error(line, p);
        }
        if self.buckets.len() < MAX_BUCKET_SERIES || self.buckets.contains_key(&key) {
            self.buckets.insert(
                key,
                LastBucket {
                    le,
                    count: s.value,
                    line,
                },
            );
        }
    }

    fn finish(&mut self, note: Option<String>) -> CheckReport {
        let mut errors = std::mem::take(&mut self.errors);
        errors.sort_by_key(|e| e.line);
        let mut notes = std::mem::take(&mut self.notes);
        notes.extend(note);
        CheckReport {
            input: self.input.clone(),
            format: match self.format {
                Format::Prometheus => "prometheus",
                Format::OpenMetrics => "openmetrics",
            },
            bytes: self.bytes,
            lines: self.next_line - 1,
            families: std::mem::take(&mut self.families),
            families_not_listed: self.families_not_listed,
            samples: self.samples,
            errors,
            errors_not_listed: self.errors_not_listed,
            notes,
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
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
    if r.families_not_listed > 0 {
        let _ = writeln!(o, "… and {} more families", r.families_not_listed);
    }
    for e in &r.errors {
        let _ = writeln!(o, "{}:{}: {}", r.input, e.line, e.message);
    }
    if r.errors_not_listed > 0 {
        let _ = writeln!(o, "… and {} more error(s)", r.errors_not_listed);
    }
    for n in &r.notes {
        let _ = writeln!(o, "note: {n}");
    }
    let _ = writeln!(
        o,
        "{}: {} format, {} bytes, {} families, {} samples, {} error(s)",
        r.input,
        r.format,
        r.bytes,
        r.families.len() + r.families_not_listed,
        r.samples,
        r.error_count()
    );
    o
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
