//! Byte-level lexing of single exposition lines: names, label sets, quoted strings, numbers and
//! timestamps. Nothing here knows about families; [`super::parser`] does the grouping.
//!
//! Every function works on one line that is already valid UTF-8 and has its line ending removed.
//! Positions are byte offsets; all delimiters are ASCII, so slicing at them never splits a char.

use std::borrow::Cow;

use super::number::{parse_om_timestamp, parse_value, value_prefix};
use super::scan::{
    LABEL_CONT, LABEL_START, METRIC_CONT, at, find_byte, find_either, is_blank, scan_metric_name,
    scan_name, skip_blanks, sub,
};
use super::types::Label;

/// Error text of a rejected line. Static where possible so the happy path never allocates.
pub(super) type LexError = Cow<'static, str>;

/// How unknown backslash escapes inside a quoted string are treated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Escapes {
    /// Only `\\`, `\"` and `\n`; anything else is an error (Prometheus text, quoted names).
    Strict,
    /// Unknown escapes are kept verbatim (OpenMetrics label values, like the reference parser).
    Keep,
}

/// Read a double-quoted string whose opening quote is at `i`. Returns the unescaped text and the
/// index just past the closing quote.
fn quoted(line: &str, i: usize, esc: Escapes) -> Result<(Cow<'_, str>, usize), LexError> {
    let b = line.as_bytes();
    let start = i + 1;
    let tail = b.get(start..).unwrap_or_default();
    let Some(p) = find_either(tail, b'"', b'\\') else {
        return Err("unterminated quoted string".into());
    };
    let mut j = start + p;
    if at(b, j) == Some(b'"') {
        return Ok((Cow::Borrowed(sub(line, start, j)), j + 1));
    }
    // Slow path: at least one escape.
    let mut out = String::with_capacity(p + 16);
    out.push_str(sub(line, start, j));
    loop {
        // `j` is at a backslash.
        match at(b, j + 1) {
            Some(b'\\') => out.push('\\'),
            Some(b'"') => out.push('"'),
            Some(b'n') => out.push('\n'),
            Some(_) if esc == Escapes::Keep => {
                out.push('\\');
                j += 1;
                let seg = b.get(j..).unwrap_or_default();
                let Some(q) = find_either(seg, b'"', b'\\') else {
                    return Err("unterminated quoted string".into());
                };
                out.push_str(sub(line, j, j + q));
                j += q;
                if at(b, j) == Some(b'"') {
                    return Ok((Cow::Owned(out), j + 1));
                }
                continue;
            }
            Some(_) => {
                let shown = line
                    .get(j + 1..)
                    .and_then(|s| s.chars().next())
                    .unwrap_or('?');
                return Err(format!("invalid escape sequence '\\{shown}'").into());
            }
            None => return Err("unterminated quoted string".into()),
        }
        j += 2;
        let seg = b.get(j..).unwrap_or_default();
        let Some(q) = find_either(seg, b'"', b'\\') else {
            return Err("unterminated quoted string".into());
        };
        out.push_str(sub(line, j, j + q));
        j += q;
        if at(b, j) == Some(b'"') {
            return Ok((Cow::Owned(out), j + 1));
        }
    }
}

/// A parsed sample line (labels are returned separately, in a vector the caller provides).
#[derive(Debug)]
pub(super) struct SampleLine<'a> {
    /// Metric name, unescaped if it was quoted.
    pub name: Cow<'a, str>,
    /// Sample value.
    pub value: f64,
    /// Timestamp in milliseconds.
    pub ts_ms: Option<i64>,
    /// Timestamp as exact seconds (OpenMetrics only; used for ordering checks).
    pub ts_secs: Option<f64>,
    /// Whether the line carried a well-formed exemplar (OpenMetrics only).
    pub exemplar: bool,
    /// The name is a plain (unquoted) name at the start of the line.
    pub bare_name: bool,
    /// The name is the bare name given to [`sample_line_after`] as `prev`.
    pub same_name: bool,
}

/// Up to this many labels, duplicates are found by comparing each new name with the previous
/// ones; beyond it, by sorting once at the end (a hostile server cannot make this quadratic).
const PAIRWISE_LIMIT: usize = 32;

/// Parse a label set whose `{` is at `i - 1`. Quoted strings standing alone are metric names
/// (Prometheus 3 syntax) and go to `name`. Returns the index just past `}`.
fn label_set<'a>(
    line: &'a str,
    mut i: usize,
    om: bool,
    out: &mut Vec<Label<'a>>,
    mut name: Option<&mut Option<Cow<'a, str>>>,
) -> Result<usize, LexError> {
    let b = line.as_bytes();
    let mut after_comma = false;
    loop {
        if !om {
            i = skip_blanks(b, i);
        }
        let Some(c) = at(b, i) else {
            return Err("unterminated label set".into());
        };
        if c == b'}' {
            if om && after_comma {
                return Err("trailing comma in label set".into());
            }
            if out.len() > PAIRWISE_LIMIT {
                // Huge label sets: sort instead of the quadratic check below.
                let mut names: Vec<&str> = out.iter().map(|(k, _)| k.as_ref()).collect();
                names.sort_unstable();
                if let Some(w) = names.windows(2).find(|w| w.first() == w.last()) {
                    let dup = w.first().copied().unwrap_or_default();
                    return Err(format!("duplicate label name {dup:?}").into());
                }
            }
            return Ok(i + 1);
        }
        if let Some((lname, value, next)) = plain_label(line, i) {
            // Same checks, in the same order, as the general code below.
            if lname == "__name__" {
                return Err("label name \"__name__\" is reserved".into());
            }
            if out.len() <= PAIRWISE_LIMIT && out.iter().any(|(k, _)| k == lname) {
                return Err(format!("duplicate label name {lname:?}").into());
            }
            // Built in place: no label-sized temporary to copy.
            out.push((Cow::Borrowed(lname), Cow::Borrowed(value)));
            i = next;
            after_comma = at(b, i) == Some(b',');
            if after_comma {
                i += 1;
            }
            continue;
        }
        let (lname, was_quoted) = if c == b'"' {
            let (s, next) = quoted(line, i, Escapes::Strict)?;
            i = next;
            (s, true)
        } else {
            let end = scan_name(b, i, &LABEL_START, &LABEL_CONT);
            if end == i {
                return Err(format!("expected a label name at column {}", i + 1).into());
            }
            let s = Cow::Borrowed(sub(line, i, end));
            i = end;
            (s, false)
        };
        if !om {
            i = skip_blanks(b, i);
        }
        match at(b, i) {
            Some(b'=') => i += 1,
            Some(sep @ (b',' | b'}')) if was_quoted && name.is_some() => {
                if let Some(slot) = name.as_deref_mut() {
                    if slot.is_some() {
                        return Err("more than one metric name".into());
                    }
                    *slot = Some(lname);
                }
                after_comma = sep == b',';
                if after_comma {
                    i += 1;
                }
                continue;
            }
            _ => return Err(format!("expected '=' after label name {lname:?}").into()),
        }
        if !om {
            i = skip_blanks(b, i);
        }
        if at(b, i) != Some(b'"') {
            return Err(format!("expected '\"' to start the value of label {lname:?}").into());
        }
        let esc = if om { Escapes::Keep } else { Escapes::Strict };
        let (value, next) = quoted(line, i, esc)?;
        i = next;
        if lname == "__name__" {
            return Err("label name \"__name__\" is reserved".into());
        }
        if out.len() <= PAIRWISE_LIMIT && out.iter().any(|(k, _)| *k == lname) {
            return Err(format!("duplicate label name {lname:?}").into());
        }
        out.push((lname, value));
        if !om {
            i = skip_blanks(b, i);
        }
        match at(b, i) {
            Some(b',') => {
                i += 1;
                after_comma = true;
            }
            Some(b'}') => after_comma = false,
            // Prometheus tolerates a missing comma between labels (promparse does too).
            Some(c) if !om && (c == b'"' || LABEL_START[usize::from(c)]) => after_comma = false,
            Some(_) => return Err("expected ',' or '}' after a label value".into()),
            None => return Err("unterminated label set".into()),
        }
    }
}

/// The usual label, `name="value"` with no blanks and no escapes, directly followed by `,` or
/// `}`: its name, its value and the index of that delimiter. `None` for anything else, which the
/// general code in [`label_set`] then reads (and reports) from the same position.
#[inline]
fn plain_label(line: &str, i: usize) -> Option<(&str, &str, usize)> {
    let b = line.as_bytes();
    let end = scan_name(b, i, &LABEL_START, &LABEL_CONT);
    if end == i || b.get(end..end + 2) != Some(b"=\"".as_slice()) {
        return None;
    }
    let vstart = end + 2;
    let q = vstart + find_either(b.get(vstart..)?, b'"', b'\\')?;
    if at(b, q) != Some(b'"') || !matches!(at(b, q + 1), Some(b',' | b'}')) {
        return None;
    }
    Some((sub(line, i, end), sub(line, vstart, q), q + 1))
}

/// Parse one sample line on its own. Labels are appended to `labels` (cleared first). The parser
/// reads lines in sequence with [`sample_line_after`].
#[cfg(test)]
pub(super) fn sample_line<'a>(
    line: &'a str,
    om: bool,
    labels: &mut Vec<Label<'a>>,
) -> Result<SampleLine<'a>, LexError> {
    sample_line_after(line, om, "", labels)
}

/// [`sample_line`] for a line that follows a sample whose bare name was `prev` (`""` if none).
/// Consecutive samples mostly share their name (the buckets of a histogram), and comparing with
/// `prev` is cheaper than classifying every byte again; the result is the same.
#[inline]
pub(super) fn sample_line_after<'a>(
    line: &'a str,
    om: bool,
    prev: &str,
    labels: &mut Vec<Label<'a>>,
) -> Result<SampleLine<'a>, LexError> {
    labels.clear();
    let b = line.as_bytes();
    // `prev` was itself scanned as a bare name, so when the line starts with it and the next
    // byte cannot continue a name, the scan would stop at exactly the same place.
    let same_name = !prev.is_empty()
        && b.starts_with(prev.as_bytes())
        && !at(b, prev.len()).is_some_and(|c| METRIC_CONT[usize::from(c)]);
    let end = if same_name {
        prev.len()
    } else {
        scan_metric_name(b, 0)
    };
    let mut name = (end > 0).then(|| Cow::Borrowed(sub(line, 0, end)));
    let mut i = end;
    let after_name = i;
    if !om {
        i = skip_blanks(b, i);
    }
    let had_labels = at(b, i) == Some(b'{');
    if had_labels {
        i = label_set(line, i + 1, om, labels, Some(&mut name))?;
    } else if name.is_none() {
        return Err("invalid metric name".into());
    }
    let Some(name) = name else {
        return Err("no metric name".into());
    };
    // A quoted name inside the braces leaves `end` at 0.
    let bare_name = end > 0;
    // Separator between name/labels and value.
    if om {
        match at(b, i) {
            Some(b' ') => i += 1,
            None => return Err("missing value".into()),
            Some(_) if had_labels => return Err("expected a space after the label set".into()),
            Some(_) => return Err("invalid character in metric name".into()),
        }
    } else {
        if had_labels {
            i = skip_blanks(b, i);
        }
        if at(b, i).is_none() {
            return Err("missing value".into());
        }
        if !had_labels && i == after_name {
            return Err("invalid character after metric name".into());
        }
    }
    let ends: &[u8] = if om { b" " } else { b" \t" };
    let value = if let Some((v, len)) = value_prefix(b.get(i..).unwrap_or_default(), ends) {
        // The common case: a plain decimal, read in one pass.
        i += len;
        v
    } else {
        let vstart = i;
        while at(b, i).is_some_and(|c| !ends.contains(&c)) {
            i += 1;
        }
        if i == vstart {
            return Err("missing value".into());
        }
        let tok = sub(line, vstart, i);
        let Some(v) = parse_value(tok) else {
            return Err(format!("invalid value {tok:?}").into());
        };
        v
    };
    // Read the rest into a value and build the result once (not patched through a reference,
    // which would keep it in memory).
    let tail = if om {
        om_tail(line, i)?
    } else {
        prom_tail(line, i)?
    };
    Ok(SampleLine {
        name,
        value,
        ts_ms: tail.ts_ms,
        ts_secs: tail.ts_secs,
        exemplar: tail.exemplar,
        bare_name,
        same_name,
    })
}

/// What follows the value of a sample line.
#[derive(Default)]
struct Tail {
    ts_ms: Option<i64>,
    ts_secs: Option<f64>,
    exemplar: bool,
}

/// Prometheus text: the optional integer timestamp after the value, which ends at `i`.
#[inline]
fn prom_tail(line: &str, i: usize) -> Result<Tail, LexError> {
    let b = line.as_bytes();
    let mut i = skip_blanks(b, i);
    if i == b.len() {
        return Ok(Tail::default());
    }
    let tstart = i;
    while at(b, i).is_some_and(|c| !is_blank(c)) {
        i += 1;
    }
    let tok = sub(line, tstart, i);
    let Ok(ts) = tok.parse::<i64>() else {
        return Err(format!("expected an integer timestamp, got {tok:?}").into());
    };
    if skip_blanks(b, i) < b.len() {
        return Err("unexpected text after the timestamp".into());
    }
    Ok(Tail {
        ts_ms: Some(ts),
        ..Tail::default()
    })
}

/// OpenMetrics: everything after the value, which ends at `i`.
fn om_tail(line: &str, mut i: usize) -> Result<Tail, LexError> {
    let b = line.as_bytes();
    let mut tail = Tail::default();
    if i == b.len() {
        return Ok(tail);
    }
    i += 1; // the single space after the value
    if at(b, i) != Some(b'#') {
        let tstart = i;
        while at(b, i).is_some_and(|c| c != b' ') {
            i += 1;
        }
        let tok = sub(line, tstart, i);
        if tok.is_empty() {
            return Err("trailing whitespace after the value".into());
        }
        let Some((ms, secs)) = parse_om_timestamp(tok) else {
            return Err(format!("invalid timestamp {tok:?}").into());
        };
        tail.ts_ms = Some(ms);
        tail.ts_secs = Some(secs);
        if i == b.len() {
            return Ok(tail);
        }
        i += 1;
        if at(b, i) != Some(b'#') {
            return Err("unexpected text after the timestamp".into());
        }
    }
    // Exemplar: `# {labels} value [timestamp]`.
    if b.get(i..i + 3) != Some(b"# {".as_slice()) {
        return Err("malformed exemplar (expected \" # {\")".into());
    }
    let mut ex_labels = Vec::new();
    i = label_set(line, i + 3, true, &mut ex_labels, None)?;
    let runes: usize = ex_labels
        .iter()
        .map(|(k, v)| k.chars().count() + v.chars().count())
        .sum();
    if runes > 128 {
        return Err(format!("exemplar label set has {runes} characters (limit 128)").into());
    }
    if at(b, i) != Some(b' ') {
        return Err("expected a space after the exemplar labels".into());
    }
    i += 1;
    let vstart = i;
    while at(b, i).is_some_and(|c| c != b' ') {
        i += 1;
    }
    let tok = sub(line, vstart, i);
    if parse_value(tok).is_none() {
        return Err(format!("invalid exemplar value {tok:?}").into());
    }
    if i < b.len() {
        let tok = sub(line, i + 1, b.len());
        if tok.is_empty() || tok.contains(' ') || parse_om_timestamp(tok).is_none() {
            return Err(format!("invalid exemplar timestamp {tok:?}").into());
        }
    }
    tail.exemplar = true;
    Ok(tail)
}

/// A comment or metadata line.
#[derive(Debug, PartialEq)]
pub(super) enum Meta<'a> {
    /// `# HELP name [text]`; `None` when the line ends right after the name.
    Help(Cow<'a, str>, Option<Cow<'a, str>>),
    /// `# TYPE name word`.
    Type(Cow<'a, str>, &'a str),
    /// `# UNIT name unit` (OpenMetrics).
    Unit(Cow<'a, str>, &'a str),
    /// `# EOF` (OpenMetrics).
    Eof,
    /// Any other comment (Prometheus only).
    Comment,
}

/// Read a metric name (quoted or legacy) at `i`; returns it and the index after it.
fn meta_name<'a>(
    line: &'a str,
    i: usize,
    keyword: &str,
) -> Result<(Cow<'a, str>, usize), LexError> {
    let b = line.as_bytes();
    if at(b, i) == Some(b'"') {
        return quoted(line, i, Escapes::Strict);
    }
    let end = scan_metric_name(b, i);
    if end == i {
        return Err(format!("expected a metric name after {keyword}").into());
    }
    Ok((Cow::Borrowed(sub(line, i, end)), end))
}

/// Unescape HELP text: `\\` and `\n` (and `\"` in OpenMetrics); other escapes stay verbatim.
pub(super) fn unescape_help(text: &str, om: bool) -> Cow<'_, str> {
    if find_byte(text.as_bytes(), b'\\').is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if om => out.push('"'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// Prometheus comment line (leading blanks already removed; starts with `#`).
pub(super) fn prom_comment(line: &str) -> Result<Meta<'_>, LexError> {
    let b = line.as_bytes();
    let kstart = skip_blanks(b, 1);
    let mut i = kstart;
    while at(b, i).is_some_and(|c| !is_blank(c)) {
        i += 1;
    }
    let keyword = sub(line, kstart, i);
    let is_help = match keyword {
        "HELP" => true,
        "TYPE" => false,
        _ => return Ok(Meta::Comment),
    };
    i = skip_blanks(b, i);
    if i == b.len() {
        return Ok(Meta::Comment);
    }
    let (name, next) = meta_name(line, i, keyword)?;
    i = next;
    if i == b.len() {
        return Ok(if is_help {
            Meta::Help(name, None)
        } else {
            Meta::Comment
        });
    }
    if !at(b, i).is_some_and(is_blank) {
        return Err(format!("invalid metric name in {keyword} line").into());
    }
    i = skip_blanks(b, i);
    let rest = sub(line, i, b.len());
    if is_help {
        return Ok(Meta::Help(name, Some(unescape_help(rest, false))));
    }
    let word = rest.trim_end_matches([' ', '\t']);
    Ok(if word.is_empty() {
        Meta::Comment
    } else {
        Meta::Type(name, word)
    })
}

/// OpenMetrics metadata line (starts with `#`): strictly `# KEYWORD name text`.
pub(super) fn om_meta(line: &str) -> Result<Meta<'_>, LexError> {
    if line == "# EOF" {
        return Ok(Meta::Eof);
    }
    let Some(rest) = line.strip_prefix("# ") else {
        return Err(
            "comments are not allowed in OpenMetrics (expected \"# HELP|TYPE|UNIT\")".into(),
        );
    };
    let (keyword, off) = match rest.get(..5) {
        Some("HELP " | "TYPE " | "UNIT ") => (sub(rest, 0, 4), 7),
        _ if matches!(rest, "HELP" | "TYPE" | "UNIT") => {
            return Err(format!("{rest} line needs a metric name").into());
        }
        _ => {
            let word = rest.split(' ').next().unwrap_or_default();
            return Err(format!("invalid metadata keyword {word:?}").into());
        }
    };
    let (name, i) = meta_name(line, off, keyword)?;
    let b = line.as_bytes();
    if at(b, i) != Some(b' ') {
        return Err(format!("{keyword} line needs a single space and text after the name").into());
    }
    let text = sub(line, i + 1, b.len());
    Ok(match keyword {
        "HELP" => Meta::Help(name, Some(unescape_help(text, true))),
        "TYPE" => Meta::Type(name, text),
        _ => Meta::Unit(name, text),
    })
}

#[cfg(test)]
mod tests;
