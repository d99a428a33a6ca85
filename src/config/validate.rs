//! The TOML walker: checks every key and value, collects every problem with its key path and a
//! hint, and builds the typed [`Config`] only when there are none.

use std::time::Duration;

use toml::{Table, Value};

use super::{Config, ConfigProblem, NvmlConfig, PrometheusTarget, StatusEndpoint, node_from_url};
use crate::alerts::config::AlertsConfig;
use crate::model::ModelSettings;
use crate::model::scrape::ServerKind;

/// Walks a TOML table, collecting every problem (shared with the section parsers).
pub(super) struct Walker {
    pub(super) problems: Vec<ConfigProblem>,
}

impl Walker {
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

    pub(super) fn unknown_keys(&mut self, table: &Table, prefix: &str, known: &[&str]) {
        for k in table.keys() {
            if !known.contains(&k.as_str()) {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                self.problem(
                    &key,
                    "unknown key",
                    format!("known keys here: {}", known.join(", ")),
                );
            }
        }
    }

    pub(super) fn string(&mut self, t: &Table, prefix: &str, k: &str) -> Option<String> {
        match t.get(k)? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.problem(
                    &format!("{prefix}.{k}"),
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
                    &format!("{prefix}.{k}"),
                    format!("expected true or false, found {}", other.type_str()),
                    "write true or false, unquoted",
                );
                None
            }
        }
    }

    pub(super) fn duration(&mut self, t: &Table, prefix: &str, k: &str) -> Option<Duration> {
        let key = format!("{prefix}.{k}");
        let s = self.string(t, prefix, k)?;
        match humantime::parse_duration(&s) {
            Ok(d) if d.is_zero() => {
                self.problem(&key, "must be more than zero", "e.g. \"2s\"");
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.problem(
                    &key,
                    format!("`{s}` is not a duration ({e})"),
                    "write e.g. \"500ms\", \"2s\" or \"1m\"",
                );
                None
            }
        }
    }

    pub(super) fn positive_int(&mut self, t: &Table, prefix: &str, k: &str) -> Option<u64> {
        match t.get(k)? {
            Value::Integer(i) if *i > 0 => u64::try_from(*i).ok(),
            other => {
                self.problem(
                    &format!("{prefix}.{k}"),
                    format!("expected a positive integer, found {other}"),
                    "e.g. 16777216",
                );
                None
            }
        }
    }

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
        let key = format!("{prefix}.url");
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
        match t.get(k)? {
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, v) in items.iter().enumerate() {
                    match v {
                        Value::String(s) => out.push(s.clone()),
                        other => self.problem(
                            &format!("{prefix}.{k}[{i}]"),
                            format!("expected a string, found {}", other.type_str()),
                            "quote each item",
                        ),
                    }
                }
                Some(out)
            }
            other => {
                self.problem(
                    &format!("{prefix}.{k}"),
                    format!("expected an array of strings, found {}", other.type_str()),
                    "e.g. [\"a\", \"b\"]",
                );
                None
            }
        }
    }

    pub(super) fn array_of_tables<'t>(
        &mut self,
        root: &'t Table,
        k: &str,
    ) -> Vec<(String, &'t Table)> {
        match root.get(k) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    let prefix = format!("{k}[{i}]");
                    match v {
                        Value::Table(t) => Some((prefix, t)),
                        other => {
                            self.problem(
                                &prefix,
                                format!("expected a table, found {}", other.type_str()),
                                format!("write [[{k}]] sections"),
                            );
                            None
                        }
                    }
                })
                .collect(),
            Some(other) => {
                self.problem(
                    k,
                    format!("expected an array of tables, found {}", other.type_str()),
                    format!("write [[{k}]] (double brackets)"),
                );
                Vec::new()
            }
        }
    }

    pub(super) fn table<'t>(&mut self, root: &'t Table, k: &str) -> Option<&'t Table> {
        match root.get(k)? {
            Value::Table(t) => Some(t),
            other => {
                self.problem(
                    k,
                    format!("expected a table, found {}", other.type_str()),
                    format!("write a [{k}] section"),
                );
                None
            }
        }
    }
}

const PROMETHEUS_KEYS: &[&str] = &[
    "url",
    "node",
    "kind",
    "interval",
    "timeout",
    "bearer_token_env",
    "max_body_bytes",
];
const STATUS_KEYS: &[&str] = &["url", "interval", "timeout", "max_body_bytes"];
const NVML_KEYS: &[&str] = &["enabled", "interval", "node", "nvidia_smi_fallback"];
const MODEL_KEYS: &[&str] = &[
    "quantile_window",
    "history_retention",
    "down_after_failures",
    "stale_after_intervals",
];
const ROOT_KEYS: &[&str] = &[
    "nvml",
    "prometheus",
    "status",
    "model",
    "alerts",
    "nexus_ws",
    "nexus_redis",
    "exec_logs",
    "openclaw_sessions",
    "openclaw_gateway",
    "tool_proxy_log",
];

fn prometheus_target(
    w: &mut Walker,
    prefix: &str,
    t: &Table,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<PrometheusTarget> {
    w.unknown_keys(t, prefix, PROMETHEUS_KEYS);
    let url = w.url(t, prefix);
    let mut target = PrometheusTarget::new(url.as_deref().unwrap_or(""));
    if let Some(node) = w.string(t, prefix, "node") {
        target.node = node;
        target.node_named = true;
    } else if let Some(u) = &url {
        target.node = node_from_url(u);
    }
    if let Some(kind) = w.string(t, prefix, "kind") {
        match ServerKind::from_name(&kind) {
            Some(k) => target.kind = Some(k),
            None if kind == "auto" => {}
            None => {
                let names: Vec<&str> = ServerKind::ALL.iter().map(|k| k.as_str()).collect();
                w.problem(
                    &format!("{prefix}.kind"),
                    format!("unknown server kind `{kind}`"),
                    format!("one of: auto, {}", names.join(", ")),
                );
            }
        }
    }
    if let Some(d) = w.duration(t, prefix, "interval") {
        target.interval = d;
    }
    if let Some(d) = w.duration(t, prefix, "timeout") {
        target.timeout = d;
    }
    if let Some(n) = w.positive_int(t, prefix, "max_body_bytes") {
        target.max_body_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(var) = w.string(t, prefix, "bearer_token_env") {
        match env(&var) {
            Some(token) if !token.is_empty() => target.bearer_token = Some(token),
            _ => w.problem(
                &format!("{prefix}.bearer_token_env"),
                format!("environment variable `{var}` is not set"),
                format!("export {var}=<token> before starting, or remove the key"),
            ),
        }
        target.bearer_token_env = Some(var);
    }
    url.map(|_| target)
}

fn status_endpoint(w: &mut Walker, prefix: &str, t: &Table) -> Option<StatusEndpoint> {
    w.unknown_keys(t, prefix, STATUS_KEYS);
    let url = w.url(t, prefix)?;
    let mut ep = StatusEndpoint::new(&url);
    if let Some(d) = w.duration(t, prefix, "interval") {
        ep.interval = d;
    }
    if let Some(d) = w.duration(t, prefix, "timeout") {
        ep.timeout = d;
    }
    if let Some(n) = w.positive_int(t, prefix, "max_body_bytes") {
        ep.max_body_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    Some(ep)
}

/// Parse and validate a config text. `env` looks up environment variables (bearer tokens).
///
/// # Errors
/// Every problem found, each with its key and a hint.
pub fn from_toml_str(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, Vec<ConfigProblem>> {
    let root: Table = match text.parse::<Table>() {
        Ok(t) => t,
        Err(e) => {
            let span = e.span().map(|s| {
                let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}")
            });
            return Err(vec![ConfigProblem {
                key: span.unwrap_or_else(|| "(file)".to_owned()),
                message: format!("not valid TOML: {}", e.message()),
                hint: "see config/swarmglass.example.toml".to_owned(),
            }]);
        }
    };
    let mut w = Walker {
        problems: Vec::new(),
    };
    w.unknown_keys(&root, "", ROOT_KEYS);

    let mut nvml = NvmlConfig::default();
    if let Some(t) = w.table(&root, "nvml") {
        nvml.implicit = false;
        w.unknown_keys(t, "nvml", NVML_KEYS);
        if let Some(b) = w.boolean(t, "nvml", "enabled") {
            nvml.enabled = b;
        }
        if let Some(b) = w.boolean(t, "nvml", "nvidia_smi_fallback") {
            nvml.nvidia_smi_fallback = b;
        }
        if let Some(d) = w.duration(t, "nvml", "interval") {
            nvml.interval = d;
        }
        if let Some(n) = w.string(t, "nvml", "node") {
            nvml.node = n;
            nvml.node_named = true;
        }
    }

    let mut model = ModelSettings::default();
    if let Some(t) = w.table(&root, "model") {
        w.unknown_keys(t, "model", MODEL_KEYS);
        if let Some(d) = w.duration(t, "model", "quantile_window") {
            model.quantile_window = d;
        }
        if let Some(d) = w.duration(t, "model", "history_retention") {
            model.history_retention = d;
        }
        if let Some(n) = w.positive_int(t, "model", "down_after_failures") {
            model.down_after_failures = u32::try_from(n).unwrap_or(u32::MAX);
        }
        if let Some(n) = w.positive_int(t, "model", "stale_after_intervals") {
            model.stale_after_intervals = u32::try_from(n).unwrap_or(u32::MAX);
        }
    }

    // With a config file, only what it lists is monitored (no implicit localhost targets).
    let prometheus = w
        .array_of_tables(&root, "prometheus")
        .into_iter()
        .filter_map(|(p, t)| prometheus_target(&mut w, &p, t, env))
        .collect();
    let status = w
        .array_of_tables(&root, "status")
        .into_iter()
        .filter_map(|(p, t)| status_endpoint(&mut w, &p, t))
        .collect();

    let alerts = match root.get("alerts") {
        None => Some(AlertsConfig::default()),
        Some(Value::Table(t)) => match crate::alerts::config::parse(Some(t), "alerts", env) {
            Ok(a) => Some(a),
            Err(problems) => {
                w.problems.extend(problems);
                None
            }
        },
        Some(other) => {
            w.problem(
                "alerts",
                format!("expected a table, found {}", other.type_str()),
                "write an [alerts] section",
            );
            None
        }
    };

    let agents = super::agents::parse(&mut w, &root);

    match alerts {
        Some(alerts) if w.problems.is_empty() => Ok(Config {
            nvml,
            prometheus,
            status,
            model,
            alerts,
            agents,
        }),
        _ => Err(w.problems),
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
