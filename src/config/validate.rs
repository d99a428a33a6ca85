//! The whole file: the root keys and the `[nvml]`, `[model]`, `[[prometheus]]` and `[[status]]`
//! sections, with the agent (`agents.rs`) and alert (`alerts/`) sections read through the same
//! [`Walker`]. Builds the typed [`Config`] only when no problem was found.

use toml::Table;

use super::agents::expand_home;
use super::walker::{Env, Walker};
use super::{
    Config, ConfigProblem, NvmlConfig, OllamaServer, PrometheusTarget, StatusEndpoint,
    node_from_url,
};
use crate::history::HistorySettings;
use crate::model::ModelSettings;
use crate::model::scrape::ServerKind;
use crate::sources::http::TlsSettings;

const PROMETHEUS_KEYS: &[&str] = &[
    "url",
    "node",
    "kind",
    "interval",
    "timeout",
    "bearer_token_env",
    "max_body_bytes",
    "ca_file",
    "client_cert",
    "client_key",
    "tls_insecure_skip_verify",
];
const STATUS_KEYS: &[&str] = &[
    "url",
    "interval",
    "timeout",
    "max_body_bytes",
    "ca_file",
    "client_cert",
    "client_key",
    "tls_insecure_skip_verify",
];
const NVML_KEYS: &[&str] = &["enabled", "interval", "node", "nvidia_smi_fallback"];
const MODEL_KEYS: &[&str] = &[
    "quantile_window",
    "history_retention",
    "down_after_failures",
    "stale_after_intervals",
    "max_models_per_source",
    "max_gpus_per_source",
];
const HISTORY_KEYS: &[&str] = &[
    "enabled",
    "dir",
    "max_disk",
    "raw_retention",
    "minute_retention",
];
const ROOT_KEYS: &[&str] = &[
    "history",
    "nvml",
    "prometheus",
    "prometheus_server",
    "ollama",
    "status",
    "model",
    "alerts",
    "nexus_ws",
    "nexus_redis",
    "exec_logs",
    "openclaw_sessions",
    "openclaw_gateway",
    "tool_proxy_log",
    "wall",
];

fn prometheus_target(w: &mut Walker, prefix: &str, t: &Table) -> Option<PrometheusTarget> {
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
    if let Some(n) = w.positive_int(t, prefix, "max_body_bytes", 16 << 20) {
        target.max_body_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(var) = w.string(t, prefix, "bearer_token_env") {
        target.bearer_token = w.env_value(
            &format!("{prefix}.bearer_token_env"),
            &var,
            format!("export {var}=<token> before starting, or remove the key"),
        );
        target.bearer_token_env = Some(var);
    }
    target.tls = tls(w, prefix, t, url.as_deref());
    url.map(|_| target)
}

/// The TLS keys of a `[[prometheus]]` or `[[status]]` entry. Every file named is read and
/// checked now, so a wrong path is a config problem with its key, not a failing source.
pub(super) fn tls(w: &mut Walker, prefix: &str, t: &Table, url: Option<&str>) -> TlsSettings {
    let settings = TlsSettings {
        ca_file: w.string(t, prefix, "ca_file").map(|p| expand_home(&p)),
        client_cert: w.string(t, prefix, "client_cert").map(|p| expand_home(&p)),
        client_key: w.string(t, prefix, "client_key").map(|p| expand_home(&p)),
        insecure_skip_verify: w
            .boolean(t, prefix, "tls_insecure_skip_verify")
            .unwrap_or(false),
    };
    if settings.is_default() {
        return settings;
    }
    if let Some(u) = url
        && !u
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    {
        w.problem(
            &format!("{prefix}.url"),
            format!("`{u}` is not https://, so its TLS keys would do nothing"),
            "use an https:// URL, or remove `ca_file`, `client_cert`, `client_key` and `tls_insecure_skip_verify`",
        );
    }
    if settings.insecure_skip_verify && settings.ca_file.is_some() {
        w.problem(
            &format!("{prefix}.tls_insecure_skip_verify"),
            "`tls_insecure_skip_verify = true` ignores the `ca_file` given",
            "keep `ca_file` and remove `tls_insecure_skip_verify` (verification with your CA is what you want)",
        );
    }
    if let Err(e) = settings.check() {
        w.problem(&format!("{prefix}.{}", e.key), e.message, e.hint);
    }
    settings
}

const OLLAMA_KEYS: &[&str] = &["url", "node", "interval", "timeout"];

fn ollama_server(w: &mut Walker, prefix: &str, t: &Table) -> Option<OllamaServer> {
    w.unknown_keys(t, prefix, OLLAMA_KEYS);
    let url = w.url_with(t, prefix, &["http", "https"], "http://10.0.0.5:11434")?;
    let mut o = OllamaServer::new(&url);
    if let Some(node) = w.string(t, prefix, "node") {
        o.node = node;
        o.node_named = true;
    }
    if let Some(d) = w.duration(t, prefix, "interval") {
        o.interval = d;
    }
    if let Some(d) = w.duration(t, prefix, "timeout") {
        o.timeout = d;
    }
    Some(o)
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
    if let Some(n) = w.positive_int(t, prefix, "max_body_bytes", 1 << 20) {
        ep.max_body_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    ep.tls = tls(w, prefix, t, Some(&url));
    Some(ep)
}

/// A URL as compared for duplicates: parsed and written back (host case, default port and an
/// empty path no longer differ), or as written when it does not parse.
pub(super) fn same_url(url: &str) -> String {
    reqwest::Url::parse(url.trim()).map_or_else(|_| url.trim().to_owned(), |u| u.to_string())
}

fn same_path(path: &str) -> String {
    super::agents::expand_home(path.trim())
        .display()
        .to_string()
}

/// Sources listed twice (the same URL, directory or file in two sections of one kind; the same
/// execution twice on one server): each is an error at the copy's key.
fn duplicate_sources(w: &mut Walker, root: &Table) {
    for (k, field) in [
        ("prometheus", "url"),
        ("prometheus_server", "url"),
        ("ollama", "url"),
        ("status", "url"),
        ("nexus_ws", "url"),
        ("nexus_redis", "url"),
        ("openclaw_gateway", "url"),
    ] {
        w.duplicates(root, k, field, same_url);
    }
    w.duplicates(root, "openclaw_sessions", "dir", same_path);
    w.duplicates(root, "tool_proxy_log", "path", same_path);
    // Executions: (server, id) pairs across every [[exec_logs]] section.
    let Some(toml::Value::Array(items)) = root.get("exec_logs") else {
        return;
    };
    let pairs: Vec<(String, String)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let t = v.as_table()?;
            let url = same_url(t.get("url")?.as_str()?);
            let ids = t.get("executions")?.as_array()?;
            Some(ids.iter().enumerate().filter_map(move |(j, id)| {
                Some((
                    format!("exec_logs[{i}].executions[{j}]"),
                    format!("{url} execution {}", id.as_str()?),
                ))
            }))
        })
        .flatten()
        .collect();
    w.repeated(
        pairs.iter().map(|(k, v)| (k.clone(), v.as_str())),
        str::to_owned,
        "execution",
    );
}

/// Parse and validate a config text. `env` looks up environment variables (bearer tokens).
///
/// # Errors
/// Every problem found, each with its key and a hint.
pub fn from_toml_str(text: &str, env: Env<'_>) -> Result<Config, Vec<ConfigProblem>> {
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
    let mut w = Walker::new(env);
    w.unknown_keys(&root, "", ROOT_KEYS);

    let mut nvml = NvmlConfig::default();
    if let Some(t) = w.table(&root, "", "nvml") {
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
    if let Some(t) = w.table(&root, "", "model") {
        w.unknown_keys(t, "model", MODEL_KEYS);
        if let Some(d) = w.duration(t, "model", "quantile_window") {
            model.quantile_window = d;
        }
        if let Some(d) = w.duration(t, "model", "history_retention") {
            model.history_retention = d;
        }
        if let Some(n) = w.positive_int(t, "model", "down_after_failures", 2) {
            model.down_after_failures = u32::try_from(n).unwrap_or(u32::MAX);
        }
        if let Some(n) = w.positive_int(t, "model", "stale_after_intervals", 3) {
            model.stale_after_intervals = u32::try_from(n).unwrap_or(u32::MAX);
        }
        for (key, slot) in [
            ("max_models_per_source", &mut model.max_models_per_source),
            ("max_gpus_per_source", &mut model.max_gpus_per_source),
        ] {
            if let Some(n) = w.int_in(t, "model", key, 1..=100_000, "e.g. 64") {
                *slot = usize::try_from(n).unwrap_or(64);
            }
        }
    }

    let history = history_settings(&mut w, &root);

    // With a config file, only what it lists is monitored (no implicit localhost targets).
    let prometheus = w
        .array_of_tables(&root, "", "prometheus")
        .into_iter()
        .filter_map(|(p, t)| prometheus_target(&mut w, &p, t))
        .collect();
    let prometheus_servers = w
        .array_of_tables(&root, "", "prometheus_server")
        .into_iter()
        .filter_map(|(p, t)| super::promserver::parse(&mut w, &p, t))
        .collect();
    let ollama = w
        .array_of_tables(&root, "", "ollama")
        .into_iter()
        .filter_map(|(p, t)| ollama_server(&mut w, &p, t))
        .collect();
    let status = w
        .array_of_tables(&root, "", "status")
        .into_iter()
        .filter_map(|(p, t)| status_endpoint(&mut w, &p, t))
        .collect();

    let alerts = super::alerts::parse(&mut w, &root);
    let agents = super::agents::parse(&mut w, &root);
    let wall = super::wall::parse(&mut w, &root);
    duplicate_sources(&mut w, &root);

    if w.problems.is_empty() {
        Ok(Config {
            nvml,
            prometheus,
            prometheus_servers,
            ollama,
            status,
            model,
            alerts,
            agents,
            history,
            wall,
            notes: Vec::new(),
        })
    } else {
        Err(w.problems)
    }
}

/// `[history]`: on or off, where, how much.
fn history_settings(w: &mut Walker, root: &Table) -> HistorySettings {
    let mut h = HistorySettings::default();
    if let Some(t) = w.table(root, "", "history") {
        w.unknown_keys(t, "history", HISTORY_KEYS);
        if let Some(b) = w.boolean(t, "history", "enabled") {
            h.enabled = b;
        }
        if let Some(d) = w.string(t, "history", "dir") {
            h.dir = Some(super::agents::expand_home(&d));
        }
        if let Some(n) = w.size(t, "history", "max_disk") {
            h.retention.max_disk_bytes = n;
        }
        if let Some(d) = w.duration(t, "history", "raw_retention") {
            h.retention.raw = Some(d);
        }
        if let Some(d) = w.duration(t, "history", "minute_retention") {
            h.retention.minute = d;
        }
    }
    h
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
