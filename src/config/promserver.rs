//! `[[prometheus_server]]`: a Prometheus-compatible query API to read a fleet through (keys,
//! checks and hints); the settings type is the source's own
//! ([`crate::sources::promserver::PromServer`]).

use toml::Table;

use super::walker::Walker;
use crate::sources::promserver::PromServer;

/// The keys a `[[prometheus_server]]` entry may have.
pub(super) const KEYS: &[&str] = &[
    "url",
    "interval",
    "timeout",
    "window",
    "match",
    "jobs",
    "bearer_token_env",
    "basic_user",
    "basic_password_env",
    "max_series",
    "max_body_bytes",
    "ca_file",
    "client_cert",
    "client_key",
    "tls_insecure_skip_verify",
];

/// Whether `m` is one PromQL label matcher: `name`, an operator (`=`, `!=`, `=~`, `!~`) and a
/// double-quoted value.
#[must_use]
pub fn is_label_matcher(m: &str) -> bool {
    let m = m.trim();
    let name_len = m
        .char_indices()
        .take_while(|(i, c)| c.is_ascii_alphabetic() || *c == '_' || (*i > 0 && c.is_ascii_digit()))
        .count();
    if name_len == 0 {
        return false;
    }
    let rest = m[name_len..].trim_start();
    let Some(value) = ["=~", "!~", "!=", "="]
        .iter()
        .find_map(|op| rest.strip_prefix(op))
        .map(str::trim_start)
    else {
        return false;
    };
    value.len() >= 2
        && value.starts_with('"')
        && value.ends_with('"')
        && !value[1..value.len() - 1]
            .replace("\\\\", "")
            .replace("\\\"", "")
            .contains('"')
}

/// One `[[prometheus_server]]` entry.
pub(super) fn parse(w: &mut Walker, prefix: &str, t: &Table) -> Option<PromServer> {
    w.unknown_keys(t, prefix, KEYS);
    let url = w.url_with(t, prefix, &["http", "https"], "http://prometheus:9090");
    let mut s = PromServer::new(url.as_deref().unwrap_or(""));
    if let Some(d) = w.duration(t, prefix, "interval") {
        s.interval = d;
    }
    if let Some(d) = w.duration(t, prefix, "timeout") {
        s.timeout = d;
    }
    if let Some(d) = w.duration(t, prefix, "window") {
        if d.as_secs() < 1 {
            w.problem(
                &format!("{prefix}.window"),
                "shorter than one second",
                "give at least 4 scrape intervals of the server's targets, e.g. \"1m\"",
            );
        }
        s.window = d;
    }
    for m in w.strings(t, prefix, "match").unwrap_or_default() {
        if is_label_matcher(&m) {
            s.matchers.push(m.trim().to_owned());
        } else {
            w.problem(
                &format!("{prefix}.match"),
                format!("`{m}` is not a label matcher"),
                "write each as name, operator and a quoted value, e.g. \"cluster=\\\"a\\\"\" or \"job=~\\\"dcgm|vllm\\\"\"",
            );
        }
    }
    if let Some(jobs) = w.strings(t, prefix, "jobs")
        && !jobs.is_empty()
    {
        let alternatives: Vec<String> = jobs.iter().map(|j| regex::escape(j)).collect();
        s.matchers.push(format!(
            "job=~\"{}\"",
            alternatives.join("|").replace('\\', "\\\\")
        ));
    }
    if let Some(var) = w.string(t, prefix, "bearer_token_env") {
        s.bearer_token = w.env_value(
            &format!("{prefix}.bearer_token_env"),
            &var,
            format!("export {var}=<token> before starting, or remove the key"),
        );
        s.bearer_token_env = Some(var);
    }
    s.basic_user = w.string(t, prefix, "basic_user");
    if let Some(var) = w.string(t, prefix, "basic_password_env") {
        s.basic_password = w.env_value(
            &format!("{prefix}.basic_password_env"),
            &var,
            format!("export {var}=<password> before starting, or remove the key"),
        );
        s.basic_password_env = Some(var);
    }
    if s.basic_password_env.is_some() && s.basic_user.is_none() {
        w.problem(
            &format!("{prefix}.basic_password_env"),
            "a password without `basic_user`",
            "add `basic_user = \"…\"`",
        );
    }
    if s.basic_user.is_some() && s.bearer_token_env.is_some() {
        w.problem(
            &format!("{prefix}.basic_user"),
            "both basic auth and a bearer token",
            "keep the one the server expects",
        );
    }
    if let Some(n) = w.positive_int(t, prefix, "max_series", 100_000) {
        s.max_series = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(n) = w.positive_int(t, prefix, "max_body_bytes", 64 << 20) {
        s.max_body_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    s.tls = super::validate::tls(w, prefix, t, url.as_deref());
    url.map(|_| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_matchers_are_told_from_anything_else() {
        for ok in [
            "job=\"dcgm\"",
            "job=~\"dcgm|vllm\"",
            "cluster != \"b\"",
            "a_1!~\"x\\\"y\"",
        ] {
            assert!(is_label_matcher(ok), "{ok}");
        }
        for bad in [
            "job",
            "job=dcgm",
            "1a=\"x\"",
            "job=\"a\"} or vector(1) {\"",
            "=\"x\"",
        ] {
            assert!(!is_label_matcher(bad), "{bad}");
        }
    }
}
