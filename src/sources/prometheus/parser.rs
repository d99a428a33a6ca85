//! Tolerant, line-oriented parser for the Prometheus text format (0.0.4, plus Prometheus 3 quoted
//! UTF-8 names) and OpenMetrics 1.0 text.
//!
//! One bad line never spoils a scrape: it becomes a [`ParseError`] and parsing goes on with the
//! next line. Names, label values and HELP text borrow from the body unless they had escapes.
//!
//! Speed (see docs/BENCHMARKS.md): a sample keeps up to two labels inline, so most samples cost no
//! allocation; a sample named like the one before it (the buckets of a histogram) reuses that
//! sample's name check and family lookup.
//!
//! Grouping: a sample joins the family whose declared type allows its suffix (`x_bucket` under
//! histogram `x`, `x_total` under counter `x`, ...). A sample without matching metadata forms an
//! untyped family named after itself. In Prometheus mode a family may be resumed later in the
//! body; in OpenMetrics mode that, and every other rule of the specification, is an error (see
//! `om.rs`). `_created` samples of counters, histograms and summaries are creation timestamps,
//! not data: they are validated (OpenMetrics) and then dropped, in both dialects.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::kind::{SUFFIXES, Suffix, kind_name, suffix_allowed, suffix_from, type_word};
use super::lex::{self, Meta};
use super::number;
use super::om::{Errs, Om, SampleCheck};
use super::scan::{self, NameHasher};
use super::types::{Exposition, Family, Format, Label, Labels, MetricType, ParseError, Sample};

/// Per-family bookkeeping that is not part of the public [`Family`].
#[derive(Default, Clone, Copy)]
struct FamState {
    typed: bool,
    help: bool,
    unit_line: usize,
    has_samples: bool,
}

struct Parser<'a> {
    families: Vec<Family<'a>>,
    state: Vec<FamState>,
    index: HashMap<Cow<'a, str>, usize, BuildHasherDefault<NameHasher>>,
    current: Option<usize>,
    errors: Vec<ParseError>,
    /// The labels of the sample being read; reused from line to line.
    labels: Vec<Label<'a>>,
    /// Bare name of the last sample whose family was resolved without complaint, and that
    /// resolution. Only samples and metadata change how a name resolves; metadata clears this.
    last_name: &'a str,
    last_resolved: (usize, Suffix),
    om: Option<Om>,
}

/// Parse a body in the given format. Never panics; every problem becomes a [`super::ParseError`].
#[must_use]
pub fn parse(body: &[u8], format: Format) -> Exposition<'_> {
    let mut p = Parser::new(format, body.len());
    let whole = std::str::from_utf8(body).ok();
    let mut start = 0;
    let mut line_no = 0;
    while start < body.len() {
        let rest = body.get(start..).unwrap_or_default();
        let (end, next) = match scan::find_byte(rest, b'\n') {
            Some(p) => (start + p, start + p + 1),
            None => (body.len(), body.len()),
        };
        line_no += 1;
        let mut stop = end;
        if stop > start && body.get(stop - 1) == Some(&b'\r') {
            stop -= 1;
        }
        let line = match whole {
            Some(s) => s.get(start..stop),
            None => body
                .get(start..stop)
                .and_then(|b| std::str::from_utf8(b).ok()),
        };
        match line {
            Some(l) => p.line(line_no, l),
            None => p.error(line_no, "line is not valid UTF-8"),
        }
        start = next;
    }
    p.finish(line_no)
}

/// Pick the dialect from the HTTP `Content-Type` and, failing that, the body (`# EOF` line).
#[must_use]
pub fn detect_format(content_type: Option<&str>, body: &[u8]) -> Format {
    const OM_TYPE: &str = "application/openmetrics-text";
    if let Some(ct) = content_type {
        let ct = ct.trim_start();
        if ct
            .get(..OM_TYPE.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(OM_TYPE))
        {
            return Format::OpenMetrics;
        }
    }
    let trimmed = body.trim_ascii_end();
    let last = trimmed
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(trimmed, |p| trimmed.get(p + 1..).unwrap_or_default());
    if last.trim_ascii() == b"# EOF" {
        Format::OpenMetrics
    } else {
        Format::Prometheus
    }
}

impl<'a> Parser<'a> {
    fn new(format: Format, len: usize) -> Self {
        // Rough guesses from real scrapes (~800 bytes per family), to avoid early regrowth.
        let families = (len / 800).clamp(4, 4096);
        Self {
            families: Vec::with_capacity(families),
            state: Vec::with_capacity(families),
            index: HashMap::with_capacity_and_hasher(families, BuildHasherDefault::default()),
            current: None,
            errors: Vec::new(),
            labels: Vec::new(),
            last_name: "",
            last_resolved: (0, Suffix::Bare),
            om: (format == Format::OpenMetrics).then(Om::default),
        }
    }

    fn error(&mut self, line: usize, message: impl Into<String>) {
        self.errors.push(ParseError {
            line,
            message: message.into(),
        });
    }

    fn line(&mut self, n: usize, line: &'a str) {
        let Some(om) = &mut self.om else {
            let t = scan::sub(line, scan::skip_blanks(line.as_bytes(), 0), line.len());
            match t.as_bytes().first() {
                None => {}
                Some(b'#') => match lex::prom_comment(t) {
                    Ok(meta) => self.meta(n, meta),
                    Err(e) => self.error(n, e),
                },
                Some(_) => self.sample(n, t),
            }
            return;
        };
        if om.eof {
            if !om.after_eof_reported {
                om.after_eof_reported = true;
                self.error(n, "content after # EOF");
            }
            return;
        }
        match line.as_bytes().first() {
            None => self.error(n, "blank lines are not allowed in OpenMetrics"),
            Some(b'#') => match lex::om_meta(line) {
                Ok(Meta::Eof) => om.eof = true,
                Ok(meta) => self.meta(n, meta),
                Err(e) => self.error(n, e),
            },
            Some(_) => self.sample(n, line),
        }
    }

    /// Make `fi` the current family, closing the previous one (OpenMetrics checks).
    fn switch_to(&mut self, fi: usize) {
        if self.current != Some(fi) {
            self.close_current();
            self.current = Some(fi);
        }
    }

    /// OpenMetrics: run the end-of-family checks of the current family.
    fn close_current(&mut self) {
        if let (Some(om), Some(prev)) = (&mut self.om, self.current.take())
            && let Some(f) = self.families.get(prev)
        {
            let mut errs = Errs(&mut self.errors);
            om.end_family(&f.name, &mut errs);
            if let (Some(unit), Some(st)) = (&f.unit, self.state.get(prev))
                && !unit.is_empty()
                && matches!(f.kind, MetricType::Info | MetricType::StateSet)
            {
                errs.0.push(ParseError {
                    line: st.unit_line,
                    message: format!("{} metrics must not have a unit", kind_name(f.kind)),
                });
            }
        }
    }

    fn new_family(&mut self, name: Cow<'a, str>, line: usize) -> usize {
        let fi = self.families.len();
        self.index.insert(name.clone(), fi);
        if let Some(om) = &mut self.om {
            om.register(
                fi,
                &name,
                MetricType::Untyped,
                line,
                &mut Errs(&mut self.errors),
            );
        }
        self.families.push(Family {
            name,
            kind: MetricType::Untyped,
            help: None,
            unit: None,
            samples: Vec::new(),
        });
        self.state.push(FamState::default());
        self.switch_to(fi);
        fi
    }

    /// The family a HELP/TYPE/UNIT line talks about (created if new).
    fn family_for_meta(&mut self, n: usize, name: Cow<'a, str>) -> usize {
        // HELP and TYPE of one family come in pairs: try the current family before hashing.
        let current = self
            .current
            .filter(|&c| self.families.get(c).is_some_and(|f| f.name == name));
        let Some(fi) = current.or_else(|| self.index.get(name.as_ref()).copied()) else {
            return self.new_family(name, n);
        };
        if self.om.is_some() {
            if self.current != Some(fi) {
                self.error(
                    n,
                    format!("metadata for {name} is separated from its family"),
                );
            } else if self.state.get(fi).is_some_and(|s| s.has_samples) {
                self.error(n, format!("metadata for {name} after its samples"));
            }
        }
        self.switch_to(fi);
        fi
    }

    fn meta(&mut self, n: usize, meta: Meta<'a>) {
        self.last_name = "";
        let om = self.om.is_some();
        let (fi, name) = match &meta {
            Meta::Comment | Meta::Eof => return,
            Meta::Type(_, word) if type_word(word, om).is_none() => {
                return self.error(n, format!("unknown metric type {word:?}"));
            }
            Meta::Help(name, _) | Meta::Type(name, _) | Meta::Unit(name, _) => {
                (self.family_for_meta(n, name.clone()), name.clone())
            }
        };
        let (Some(f), Some(st)) = (self.families.get_mut(fi), self.state.get_mut(fi)) else {
            return;
        };
        let problem = match meta {
            Meta::Comment | Meta::Eof => None,
            Meta::Help(_, None) => {
                // `# HELP name` without text: a no-op comment for expfmt; keep an empty help.
                f.help.get_or_insert(Cow::Borrowed(""));
                None
            }
            Meta::Help(_, Some(_)) if st.help => Some(format!("second HELP line for {name}")),
            Meta::Help(_, Some(text)) => {
                f.help = Some(text);
                st.help = true;
                None
            }
            Meta::Type(..) if st.typed => Some(format!("second TYPE line for {name}")),
            Meta::Type(..) if st.has_samples && !om => {
                Some(format!("TYPE line for {name} after its samples"))
            }
            Meta::Type(_, word) => {
                f.kind = type_word(word, om).unwrap_or(MetricType::Untyped);
                st.typed = true;
                if let Some(omv) = &mut self.om {
                    omv.register(fi, &f.name, f.kind, n, &mut Errs(&mut self.errors));
                }
                None
            }
            Meta::Unit(..) if st.unit_line != 0 => Some(format!("second UNIT line for {name}")),
            Meta::Unit(_, unit) => {
                st.unit_line = n;
                f.unit = Some(Cow::Borrowed(unit));
                let suffix_ok = f.name.strip_suffix(unit).is_some_and(|b| b.ends_with('_'));
                (!unit.is_empty() && !suffix_ok)
                    .then(|| format!("unit {unit:?} is not a suffix of the name {name}"))
            }
        };
        if let Some(message) = problem {
            self.error(n, message);
        }
    }

    /// Find (or create) the family a sample belongs to.
    #[allow(
        clippy::ptr_arg,
        reason = "a new family keeps the Cow, borrowed from the body"
    )]
    fn resolve(&mut self, n: usize, name: &Cow<'a, str>) -> (usize, Suffix) {
        let om = self.om.is_some();
        if let Some(c) = self.current
            && let Some(f) = self.families.get(c)
            && let Some(s) = name.strip_prefix(f.name.as_ref()).and_then(suffix_from)
            && suffix_allowed(f.kind, s, om)
        {
            return (c, s);
        }
        let exact = self.index.get(name.as_ref()).copied();
        let kind_of = |fi: usize| {
            self.families
                .get(fi)
                .map_or(MetricType::Untyped, |f| f.kind)
        };
        if let Some(fi) = exact
            && suffix_allowed(kind_of(fi), Suffix::Bare, om)
        {
            return (fi, Suffix::Bare);
        }
        for (text, s) in SUFFIXES {
            if let Some(&fi) = name.strip_suffix(text).and_then(|b| self.index.get(b))
                && suffix_allowed(kind_of(fi), s, om)
            {
                return (fi, s);
            }
        }
        if let Some(fi) = exact {
            let kind = kind_name(kind_of(fi));
            self.error(
                n,
                format!("sample name {name} is not valid for {kind} family {name}"),
            );
            return (fi, Suffix::Bare);
        }
        (self.new_family(name.clone(), n), Suffix::Bare)
    }

    fn sample(&mut self, n: usize, line: &'a str) {
        // The label vector is reused: a sample moves its labels out (inline when few).
        let mut labels = std::mem::take(&mut self.labels);
        self.sample_with(n, line, &mut labels);
        labels.clear();
        self.labels = labels;
    }

    fn sample_with(&mut self, n: usize, line: &'a str, labels: &mut Vec<Label<'a>>) {
        let om = self.om.is_some();
        let s = match lex::sample_line_after(line, om, self.last_name, labels) {
            Ok(s) => s,
            Err(e) => return self.error(n, e),
        };
        let (fi, suffix) = if s.same_name {
            self.last_resolved
        } else {
            let errors = self.errors.len();
            let resolved = self.resolve(n, &s.name);
            self.last_name = match &s.name {
                Cow::Borrowed(name) if s.bare_name && self.errors.len() == errors => name,
                _ => "",
            };
            self.last_resolved = resolved;
            resolved
        };
        if self.current != Some(fi) {
            if om {
                let fname = self.families.get(fi).map_or("", |f| f.name.as_ref());
                let msg = format!("samples of {fname} are not contiguous with the rest of it");
                self.error(n, msg);
            }
            self.switch_to(fi);
        }
        let kind = self
            .families
            .get(fi)
            .map_or(MetricType::Untyped, |f| f.kind);
        let histogram_like = matches!(kind, MetricType::Histogram | MetricType::GaugeHistogram);
        let bound_label = match suffix {
            Suffix::Bucket if histogram_like => Some("le"),
            Suffix::Bare if kind == MetricType::Summary => Some("quantile"),
            _ => None,
        };
        let mut bound = None;
        if let Some(lname) = bound_label {
            match labels.iter().find(|(k, _)| k == lname) {
                Some((_, v)) => match parse_bound(v, om) {
                    Some(b) => bound = Some(b),
                    None => {
                        return self.error(n, format!("{lname} label value {v:?} is not a number"));
                    }
                },
                None if om => return self.error(n, format!("{} needs a {lname} label", s.name)),
                None => {}
            }
        }
        if let Some(st) = self.state.get_mut(fi) {
            st.has_samples = true;
        }
        if let Some(omv) = &mut self.om {
            let check = SampleCheck {
                family: self.families.get(fi).map_or("", |f| f.name.as_ref()),
                kind,
                suffix,
                labels,
                value: s.value,
                ts: s.ts_secs,
                exemplar: s.exemplar,
                bound,
                line: n,
            };
            omv.sample(&check, &mut Errs(&mut self.errors));
        } else if histogram_like
            && matches!(suffix, Suffix::Bucket | Suffix::Count | Suffix::GCount)
            && s.value < 0.0
        {
            self.error(
                n,
                format!("negative bucket or count value in histogram {}", s.name),
            );
        }
        if suffix == Suffix::Created {
            return;
        }
        if let Some(f) = self.families.get_mut(fi) {
            f.samples.push(Sample {
                name: s.name,
                labels: Labels::take(labels),
                value: s.value,
                timestamp_ms: s.ts_ms,
                line: n,
            });
        }
    }

    fn finish(mut self, last_line: usize) -> Exposition<'a> {
        if self.om.is_some() {
            // Close the last family, then check for the terminator.
            self.close_current();
            if !self.om.as_ref().is_some_and(|o| o.eof) {
                self.error(last_line.max(1), "missing # EOF at the end");
            }
        }
        self.errors.sort_by_key(|e| e.line);
        Exposition {
            families: self.families,
            errors: self.errors,
        }
    }
}

/// `le` / `quantile` label value. OpenMetrics spells infinities exactly `+Inf`/`-Inf` here and
/// forbids NaN.
fn parse_bound(v: &str, om: bool) -> Option<f64> {
    let x = number::parse_value(v)?;
    if om && (x.is_nan() || (x.is_infinite() && v != "+Inf" && v != "-Inf")) {
        return None;
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_and_families(exp: &Exposition<'_>) -> Vec<(String, String)> {
        exp.families
            .iter()
            .flat_map(|f| {
                f.samples
                    .iter()
                    .map(|s| (s.name.to_string(), f.name.to_string()))
            })
            .collect()
    }

    #[test]
    fn a_repeated_name_resolves_again_after_metadata() {
        let body = b"x_count 1\nx_count 2\n# TYPE x summary\nx_count 3\nx_count 4\n";
        let exp = parse(body, Format::Prometheus);
        assert!(exp.errors.is_empty(), "{:?}", exp.errors);
        assert_eq!(
            names_and_families(&exp),
            [
                ("x_count", "x_count"),
                ("x_count", "x_count"),
                ("x_count", "x"),
                ("x_count", "x"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
    }

    #[test]
    fn a_repeated_name_is_checked_every_time_it_is_wrong() {
        let body = b"# TYPE a counter\na 1\na 2\n# EOF\n";
        let exp = parse(body, Format::OpenMetrics);
        let lines: Vec<usize> = exp
            .errors
            .iter()
            .filter(|e| e.message.contains("is not valid for counter family"))
            .map(|e| e.line)
            .collect();
        assert_eq!(lines, [2, 3], "{:?}", exp.errors);
    }

    #[test]
    fn a_name_that_extends_the_previous_one_is_its_own() {
        let body = b"ab 1\nabc 2\nab{x=\"1\"} 3\nab\t4\n\"ab\" 5\n";
        let exp = parse(body, Format::Prometheus);
        assert_eq!(
            names_and_families(&exp),
            [("ab", "ab"), ("ab", "ab"), ("ab", "ab"), ("abc", "abc")]
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        // The quoted name alone on a line is not a sample (it has no braces).
        assert_eq!(exp.errors.len(), 1, "{:?}", exp.errors);
        assert_eq!(exp.errors[0].line, 5);
    }

    #[test]
    fn labels_stay_inline_up_to_two_and_read_the_same_either_way() {
        let body = b"m 1\nm{a=\"1\"} 2\nm{a=\"1\",b=\"2\"} 3\nm{a=\"1\",b=\"2\",c=\"3\"} 4\n";
        let exp = parse(body, Format::Prometheus);
        let samples = &exp.families[0].samples;
        let counts: Vec<usize> = samples.iter().map(|s| s.labels.len()).collect();
        assert_eq!(counts, [0, 1, 2, 3]);
        assert_eq!(samples[3].label("c"), Some("3"));
        assert_eq!(
            samples[2].labels[1],
            (Cow::Borrowed("b"), Cow::Borrowed("2"))
        );
        let from_vec = Labels::from(samples[3].labels.to_vec());
        assert_eq!(from_vec, samples[3].labels);
        assert_eq!(Labels::from(samples[2].labels.to_vec()), samples[2].labels);
        assert_eq!(
            format!("{:?}", samples[1].labels),
            r#"[("a", "1")]"#,
            "Debug prints the labels like a list"
        );
    }
}
