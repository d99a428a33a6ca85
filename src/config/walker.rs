//! The one TOML walker every config section reads through: typed getters for "the value at this
//! key path" that record a [`ConfigProblem`] (key path, what is wrong, what to do) instead of
//! stopping, so a file's every problem is reported at once. Unknown keys are problems too.
//! Sections (`validate.rs`, `agents.rs`, `alerts/`) own their keys and defaults; this owns how a
//! value is read and how a wrong one is reported.

use std::ops::RangeInclusive;
use std::time::Duration;

use toml::{Table, Value};

use super::ConfigProblem;

/// Looks up an environment variable (tokens and webhook URLs are named in the file, never
/// written there).
pub type Env<'e> = &'e dyn Fn(&str) -> Option<String>;

/// Walks a TOML document, collecting every problem.
pub(super) struct Walker<'e> {
    pub(super) problems: Vec<ConfigProblem>,
    env: Env<'e>,
}

/// `prefix.k`, or `k` at the root.
pub(super) fn join(prefix: &str, k: &str) -> String {
    if prefix.is_empty() {
        k.to_owned()
    } else {
        format!("{prefix}.{k}")
    }
}

impl<'e> Walker<'e> {
    pub(super) fn new(env: Env<'e>) -> Self {
        Self {
            problems: Vec::new(),
            env,
        }
    }

    /// Record a problem at `key`.
    pub(super) fn problem(
        &mut self,
        key: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.problems.push(ConfigProblem {
            key: key.to_owned(),
            message: message.into(),
            hint: hint.into(),
        });
    }

    /// Every key of `table` not in `known` is a problem whose hint lists the known ones (or, for
    /// a `url` where `url_env` is expected, says why URLs with tokens stay out of the file).
    pub(super) fn unknown_keys(&mut self, table: &Table, prefix: &str, known: &[&str]) {
        for k in table.keys().filter(|k| !known.contains(&k.as_str())) {
            let hint = if k == "url" && known.contains(&"url_env") {
                "webhook URLs hold tokens: put the URL in an environment variable and name it in `url_env`".to_owned()
            } else {
                format!("known keys here: {}", known.join(", "))
            };
            self.problem(&join(prefix, k), "unknown key", hint);
        }
    }

    pub(super) fn string(&mut self, t: &Table, prefix: &str, k: &str) -> Option<String> {
        match t.get(k)? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.problem(
                    &join(prefix, k),
                    format!("expected a string, found {}", other.type_str()),
                    "quote the value",
                );
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, t: &Table, prefix: &str, k: &str) -> Option<bool> {
        match t.get(k)? {
            Value::Boolean(b) => Some(*b),
            other => {
                self.problem(
                    &join(prefix, k),
                    format!("expected true or false, found {}", other.type_str()),
                    "write true or false, unquoted",
                );
                None
            }
        }
    }

    /// An integer or a finite float.
    pub(super) fn number(&mut self, t: &Table, prefix: &str, k: &str) -> Option<f64> {
        match t.get(k)? {
            #[allow(clippy::cast_precision_loss)]
            Value::Integer(i) => Some(*i as f64),
            Value::Float(f) if f.is_finite() => Some(*f),
            other => {
                self.problem(
                    &join(prefix, k),
                    format!("expected a number, found {other}"),
                    "write a plain number, e.g. 90 or 0.5",
                );
                None
            }
        }
    }

    /// A positive integer; `example` is a sensible value for this key, shown in the hint.
    pub(super) fn positive_int(
        &mut self,
        t: &Table,
        prefix: &str,
        k: &str,
        example: u64,
    ) -> Option<u64> {
        match t.get(k)? {
            Value::Integer(i) if *i > 0 => u64::try_from(*i).ok(),
            other => {
                self.problem(
                    &join(prefix, k),
                    format!("expected a positive integer, found {other}"),
                    format!("e.g. {example}"),
                );
                None
            }
        }
    }

    /// An integer within `range`; `hint` gives an example.
    pub(super) fn int_in(
        &mut self,
        t: &Table,
        prefix: &str,
        k: &str,
        range: RangeInclusive<i64>,
        hint: &str,
    ) -> Option<i64> {
        match t.get(k)? {
            Value::Integer(i) if range.contains(i) => Some(*i),
            other => {
                self.problem(
                    &join(prefix, k),
                    format!(
                        "expected {} to {}, found {other}",
                        range.start(),
                        range.end()
                    ),
                    hint,
                );
                None
            }
        }
    }

    /// A size in bytes: an integer, or a string such as `"500 MiB"`, `"2GB"` (B, kB/KB, MB,
    /// GB, TB powers of 1000; KiB, MiB, GiB, TiB powers of 1024), more than zero.
    pub(super) fn size(&mut self, t: &Table, prefix: &str, k: &str) -> Option<u64> {
        let parsed = match t.get(k)? {
            Value::Integer(i) if *i > 0 => u64::try_from(*i).ok(),
            Value::String(s) => parse_size(s),
            _ => None,
        };
        if parsed.is_none() {
            let found = t.get(k).map(ToString::to_string).unwrap_or_default();
            self.problem(
                &join(prefix, k),
                format!("expected a size such as \"1 GiB\" or a number of bytes, found {found}"),
                "e.g. \"1 GiB\", \"500 MB\"",
            );
        }
        parsed
    }

    /// A duration such as `"2s"`, more than zero.
    pub(super) fn duration(&mut self, t: &Table, prefix: &str, k: &str) -> Option<Duration> {
        self.duration_from(t, prefix, k, false)
    }

    /// A duration such as `"30s"`, where `"0s"` is allowed (e.g. a rule that fires at once).
    pub(super) fn duration_or_zero(
        &mut self,
        t: &Table,
        prefix: &str,
        k: &str,
    ) -> Option<Duration> {
        self.duration_from(t, prefix, k, true)
    }

    fn duration_from(
        &mut self,
        t: &Table,
        prefix: &str,
        k: &str,
        allow_zero: bool,
    ) -> Option<Duration> {
        let key = join(prefix, k);
        let s = self.string(t, prefix, k)?;
        match humantime::parse_duration(&s) {
            Ok(d) if d.is_zero() && !allow_zero => {
                self.problem(&key, "must be more than zero", "e.g. \"2s\"");
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                let examples = if allow_zero {
                    "write e.g. \"0s\", \"30s\" or \"5m\""
                } else {
                    "write e.g. \"500ms\", \"2s\" or \"1m\""
                };
                self.problem(&key, format!("`{s}` is not a duration ({e})"), examples);
                None
            }
        }
    }

    /// The value of environment variable `var`, named at `key`; unset or blank is a problem
    /// with `hint` (which says what to export).
    pub(super) fn env_value(&mut self, key: &str, var: &str, hint: String) -> Option<String> {
        let value = (self.env)(var).filter(|v| !v.trim().is_empty());
        if value.is_none() {
            self.problem(
                key,
                format!("environment variable `{var}` is not set"),
                hint,
            );
        }
        value
    }

    /// An http(s) `url` key.
    pub(super) fn url(&mut self, t: &Table, prefix: &str) -> Option<String> {
        self.url_with(
            t,
            prefix,
            &["http", "https"],
            "http://localhost:8000/metrics",
        )
    }

    /// A `url` key whose scheme is one of `schemes`; `example` goes into the hints.
    pub(super) fn url_with(
        &mut self,
        t: &Table,
        prefix: &str,
        schemes: &[&str],
        example: &str,
    ) -> Option<String> {
        let key = join(prefix, "url");
        let Some(url) = self.string(t, prefix, "url") else {
            if !t.contains_key("url") {
                self.problem(
                    &key,
                    "missing",
                    format!("every source needs a url, e.g. \"{example}\""),
                );
            }
            return None;
        };
        match reqwest::Url::parse(&url) {
            Ok(u) if schemes.contains(&u.scheme()) && u.host_str().is_some() => Some(url),
            Ok(u) => {
                self.problem(
                    &key,
                    format!("`{url}` has scheme `{}` or no host", u.scheme()),
                    format!(
                        "use {} with a host, e.g. \"{example}\"",
                        schemes.join(":// or ") + "://"
                    ),
                );
                None
            }
            Err(e) => {
                self.problem(
                    &key,
                    format!("`{url}` is not a URL ({e})"),
                    format!("e.g. \"{example}\""),
                );
                None
            }
        }
    }

    /// An array of strings.
    pub(super) fn strings(&mut self, t: &Table, prefix: &str, k: &str) -> Option<Vec<String>> {
        let key = join(prefix, k);
        match t.get(k)? {
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, v) in items.iter().enumerate() {
                    match v {
                        Value::String(s) => out.push(s.clone()),
                        other => self.problem(
                            &format!("{key}[{i}]"),
                            format!("expected a string, found {}", other.type_str()),
                            "quote each item",
                        ),
                    }
                }
                Some(out)
            }
            other => {
                self.problem(
                    &key,
                    format!("expected an array of strings, found {}", other.type_str()),
                    "e.g. [\"a\", \"b\"]",
                );
                None
            }
        }
    }

    /// `[[prefix.k]]` sections, each with its key path (`prefix.k[i]`); absent means none.
    pub(super) fn array_of_tables<'t>(
        &mut self,
        t: &'t Table,
        prefix: &str,
        k: &str,
    ) -> Vec<(String, &'t Table)> {
        let key = join(prefix, k);
        match t.get(k) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    let item = format!("{key}[{i}]");
                    match v {
                        Value::Table(t) => Some((item, t)),
                        other => {
                            self.problem(
                                &item,
                                format!("expected a table, found {}", other.type_str()),
                                format!("write [[{key}]] sections"),
                            );
                            None
                        }
                    }
                })
                .collect(),
            Some(other) => {
                self.problem(
                    &key,
                    format!("expected an array of tables, found {}", other.type_str()),
                    format!("write [[{key}]] (double brackets)"),
                );
                Vec::new()
            }
        }
    }

    /// Every value of `field` written more than once across the `[[k]]` sections (compared by
    /// `same`, e.g. a normalised URL): one problem per repeated value, at its first copy's key,
    /// naming the section it repeats and how many copies there are. A source listed twice would
    /// be polled twice and shown as one, so it is an error, not a silent merge.
    pub(super) fn duplicates(
        &mut self,
        root: &Table,
        k: &str,
        field: &str,
        same: fn(&str) -> String,
    ) {
        let Some(Value::Array(items)) = root.get(k) else {
            return;
        };
        let values = items.iter().enumerate().filter_map(|(i, v)| {
            let s = v.as_table()?.get(field)?.as_str()?;
            Some((format!("{k}[{i}].{field}"), s))
        });
        self.repeated(values, same, "section");
    }

    /// One problem per value of `values` (key path, value) seen before (by `same`), at the key
    /// of its first repeat; `what` names the things repeated in the hint.
    pub(super) fn repeated<'v>(
        &mut self,
        values: impl Iterator<Item = (String, &'v str)>,
        same: fn(&str) -> String,
        what: &str,
    ) {
        // value → (first key, first repeat's key, copies)
        let mut seen: std::collections::HashMap<String, (String, Option<String>, usize)> =
            std::collections::HashMap::new();
        let mut order: Vec<String> = Vec::new();
        for (key, v) in values {
            let norm = same(v);
            match seen.get_mut(&norm) {
                Some((_, repeat, n)) => {
                    *n += 1;
                    if repeat.is_none() {
                        *repeat = Some(key);
                        order.push(norm);
                    }
                }
                None => {
                    seen.insert(norm, (key, None, 1));
                }
            }
        }
        for norm in order {
            if let Some((first, Some(repeat), n)) = seen.remove(&norm) {
                let copies = if n == 2 {
                    "a second time".to_owned()
                } else {
                    format!("{n} times in all")
                };
                self.problem(
                    &repeat,
                    format!("`{norm}` is already listed at {first}; it is listed {copies}"),
                    format!("list each {what} once: remove the copies"),
                );
            }
        }
    }

    /// A `[prefix.k]` section; absent means `None`.
    pub(super) fn table<'t>(&mut self, t: &'t Table, prefix: &str, k: &str) -> Option<&'t Table> {
        let hint = format!("write a [{}] section", join(prefix, k));
        self.table_with(t, prefix, k, hint)
    }

    /// A `[prefix.k]` section whose shape `hint` describes when it is not a table.
    pub(super) fn table_with<'t>(
        &mut self,
        t: &'t Table,
        prefix: &str,
        k: &str,
        hint: String,
    ) -> Option<&'t Table> {
        match t.get(k)? {
            Value::Table(t) => Some(t),
            other => {
                self.problem(
                    &join(prefix, k),
                    format!("expected a table, found {}", other.type_str()),
                    hint,
                );
                None
            }
        }
    }
}

/// `"500 MiB"` → bytes; `None` for anything else (or zero).
#[must_use]
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let bytes = (num * mult).round();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "range checked"
    )]
    (1.0..1.8e19).contains(&bytes).then_some(bytes as u64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn nested_keys_get_their_full_path_and_every_problem_is_kept() {
        let root: Table = "[a.b]\nn = \"x\"\nd = \"0s\"\nz = \"0s\"\nk = 11\nextra = 1\nlist = 3\n"
            .parse()
            .unwrap();
        let mut w = Walker::new(&no_env);
        let a = w.table(&root, "", "a").unwrap();
        let b = w.table(a, "a", "b").unwrap();
        w.unknown_keys(b, "a.b", &["n", "d", "z", "k", "list"]);
        assert_eq!(w.number(b, "a.b", "n"), None);
        assert_eq!(w.duration(b, "a.b", "d"), None);
        assert_eq!(w.duration_or_zero(b, "a.b", "z"), Some(Duration::ZERO));
        assert_eq!(w.int_in(b, "a.b", "k", 1..=10, "e.g. 3"), None);
        assert!(w.array_of_tables(b, "a.b", "list").is_empty());
        assert_eq!(w.env_value("a.b.token_env", "T", "export T".into()), None);
        let keys: Vec<&str> = w.problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "a.b.extra",
                "a.b.n",
                "a.b.d",
                "a.b.k",
                "a.b.list",
                "a.b.token_env"
            ]
        );
        assert!(w.problems[3].message.contains("expected 1 to 10"));
        assert_eq!(w.problems[4].hint, "write [[a.b.list]] (double brackets)");
    }
}
