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
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn full_config_parses() {
        let text = r#"
[nvml]
enabled = false
interval = "5s"

[[prometheus]]
url = "http://10.0.0.5:8000/metrics"
kind = "vllm"
interval = "1s"
timeout = "500ms"
bearer_token_env = "VLLM_TOKEN"

[[prometheus]]
url = "http://10.0.0.6:9400/metrics"
node = "gpu-b"

[[status]]
url = "http://10.0.0.5:9199/status"
"#;
        let env = |k: &str| (k == "VLLM_TOKEN").then(|| "s3cret".to_owned());
        let c = from_toml_str(text, &env).unwrap();
        assert!(!c.nvml.enabled);
        assert_eq!(c.nvml.interval, Duration::from_secs(5));
        assert_eq!(c.prometheus.len(), 2);
        let p = &c.prometheus[0];
        assert_eq!(
            (p.node.as_str(), p.kind, p.timeout),
            (
                "10.0.0.5",
                Some(ServerKind::Vllm),
                Duration::from_millis(500)
            )
        );
        assert_eq!(p.bearer_token.as_deref(), Some("s3cret"));
        assert_eq!(c.prometheus[1].node, "gpu-b");
        assert_eq!(c.prometheus[1].kind, None);
        assert_eq!(c.status[0].url, "http://10.0.0.5:9199/status");
    }

    #[test]
    fn every_problem_is_reported_with_key_and_hint() {
        let text = r#"
colour = "blue"
[nvml]
enabled = "yes"
[[prometheus]]
url = "not a url"
kind = "vlm"
interval = "soon"
bearer_token_env = "MISSING_TOKEN"
scrape_every = "1s"
[[status]]
interval = "1s"
"#;
        let problems = from_toml_str(text, &no_env).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        for k in [
            "colour",
            "nvml.enabled",
            "prometheus[0].url",
            "prometheus[0].kind",
            "prometheus[0].interval",
            "prometheus[0].bearer_token_env",
            "prometheus[0].scrape_every",
            "status[0].url",
        ] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
        assert_eq!(problems.len(), 8, "{problems:#?}");
        assert!(problems.iter().all(|p| !p.hint.is_empty()));
        let unknown = problems
            .iter()
            .find(|p| p.key == "prometheus[0].scrape_every")
            .unwrap();
        assert!(
            unknown.hint.contains("interval"),
            "hint lists the known keys"
        );
    }

    #[test]
    fn broken_toml_names_the_line() {
        let problems = from_toml_str("[nvml]\nenabled = \n", &no_env).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].key.starts_with("line 2"), "{:?}", problems[0]);
    }

    #[test]
    fn alerts_section_is_validated_with_the_rest() {
        let text = "[alerts]\ndesktop = false\n[alerts.rules.gpu_temp_high]\nthreshold = 90.0\n[alerts.rules.no_such_rule]\nenabled = false\n[nvml]\nenabled = 3\n";
        let problems = from_toml_str(text, &no_env).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert!(keys.contains(&"nvml.enabled"), "{keys:?}");
        assert!(keys.iter().any(|k| k.contains("no_such_rule")), "{keys:?}");
        let ok = from_toml_str("[alerts]\ndesktop = false\n", &no_env).unwrap();
        assert!(!ok.alerts.desktop);
    }

    #[test]
    fn shipped_example_config_is_valid() {
        let c = from_toml_str(
            include_str!("../../config/swarmglass.example.toml"),
            &no_env,
        )
        .unwrap();
        assert_eq!(c.prometheus.len(), 1);
        assert_eq!(c.status[0].interval, Duration::from_secs(5));
        assert_eq!(c.model.quantile_window, Duration::from_secs(60));
    }

    #[test]
    fn shipped_example_config_is_valid_with_every_commented_section_enabled() {
        // Uncomment every commented TOML line (`# [..]`, `# key = ..`), keep the prose comments.
        let text: String = include_str!("../../config/swarmglass.example.toml")
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if rest.starts_with('[')
                        || rest.split_once(" = ").is_some_and(|(k, _)| {
                            !k.is_empty()
                                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        }) =>
                {
                    rest.to_owned()
                }
                _ => l.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let env = |_: &str| Some("https://hooks.example.invalid/secret".to_owned());
        let c = from_toml_str(&text, &env).unwrap_or_else(|p| panic!("{p:#?}\n{text}"));
        assert_eq!(c.prometheus.len(), 2);
        assert_eq!(c.agents.nexus_ws.len(), 1);
        assert_eq!(c.agents.exec_logs.len(), 1);
        assert_eq!(c.agents.tool_proxy_logs.len(), 1);
        assert_eq!(c.alerts.webhooks.len(), 1);
    }

    #[test]
    fn defaults_monitor_this_machine() {
        let c = Config::default();
        assert!(c.nvml.enabled);
        assert_eq!(c.prometheus[0].url, "http://localhost:8000/metrics");
        assert_eq!(c.prometheus[0].node, "local");
        assert_eq!(c.status[0].url, "http://localhost:9199/status");
        let empty = from_toml_str("", &no_env).unwrap();
        assert!(
            empty.prometheus.is_empty(),
            "a config file lists exactly what it monitors"
        );
    }
}
