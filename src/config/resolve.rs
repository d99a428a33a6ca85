//! The one way to a [`Config`] for the window and every headless command: the built-in defaults,
//! or the config file (or a text this program wrote, for `demo`), then the command-line sources,
//! which replace the configured ones of the same kind. Command-line URLs are checked here, each
//! problem naming its flag and an example.

use std::path::{Path, PathBuf};

use super::agents::{AgentSources, ExecLogSource};
use super::walker::Env;
use super::{Config, ConfigError, PrometheusTarget, StatusEndpoint, default_path, from_toml_str};
use crate::cli::SourceArgs;
use crate::sources::events::{exec_logs, openclaw, redis, tool_proxy, ws};

/// What the command-line sources are merged onto.
#[derive(Debug, Clone, Copy)]
pub enum Base<'a> {
    /// The file `--config` names (it must exist), else the default file if it exists, else the
    /// built-in defaults (this machine).
    File,
    /// A config text this program wrote (the demo's simulated cluster); no file is read.
    Text(&'a str),
}

/// `std::env`, for [`resolve`] outside tests.
#[must_use]
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Build the config: `base` (file, text or defaults), then `args`' sources, which replace the
/// configured ones of the same kind, and `--no-nvml`. `env` looks up the environment variables
/// the file names (bearer tokens, webhook URLs).
///
/// # Errors
/// An unreadable file, every problem in it, or the first command-line source that is malformed.
pub fn resolve(base: Base<'_>, args: &SourceArgs, env: Env<'_>) -> Result<Config, ConfigError> {
    let mut cfg = match base {
        Base::File => load(args.config.as_deref(), env)?,
        Base::Text(text) => from_toml_str(text, env).map_err(|problems| ConfigError::Invalid {
            path: None,
            problems,
        })?,
    };
    if let Some(dir) = &args.data_dir {
        cfg.history.dir = Some(dir.clone());
    }
    if args.no_history {
        cfg.history.enabled = false;
    }
    let prometheus = from_urls(
        &args.prometheus,
        &["http", "https"],
        "--prometheus",
        "http://10.0.0.5:8000/metrics",
        |u| PrometheusTarget::new(&u),
    )?;
    let prometheus_servers = from_urls(
        &args.prometheus_server,
        &["http", "https"],
        "--prometheus-server",
        "http://prometheus:9090",
        |u| crate::sources::promserver::PromServer::new(&u),
    )?;
    let ollama = from_urls(
        &args.ollama,
        &["http", "https"],
        "--ollama",
        "http://10.0.0.5:11434",
        |u| super::OllamaServer::new(&u),
    )?;
    let status = from_urls(
        &args.status,
        &["http", "https"],
        "--status",
        "http://10.0.0.5:9199/status",
        |u| StatusEndpoint::new(&u),
    )?;
    given_once(&args.prometheus, "--prometheus")?;
    given_once(&args.status, "--status")?;
    given_once(&args.prometheus_server, "--prometheus-server")?;
    given_once(&args.ollama, "--ollama")?;
    given_once(&args.nexus_ws, "--nexus-ws")?;
    given_once(&args.nexus_redis, "--nexus-redis")?;
    given_once(&args.exec_logs, "--exec-logs")?;
    given_once(&args.openclaw_gateway, "--openclaw-gateway")?;
    if prometheus_servers.is_some() {
        // A fleet read through its Prometheus: this machine's built-in defaults are not added.
        cfg.prometheus.retain(|t| !t.implicit);
        cfg.status.retain(|s| !s.implicit);
    }
    let agents_only = args.prometheus.is_empty()
        && args.status.is_empty()
        && args.prometheus_server.is_empty()
        && args.ollama.is_empty()
        && !(args.nexus_ws.is_empty()
            && args.nexus_redis.is_empty()
            && args.exec_logs.is_empty()
            && args.openclaw_sessions.is_empty()
            && args.openclaw_gateway.is_empty()
            && args.tool_proxy_log.is_empty());
    if agents_only {
        // Only agent sources asked for: the built-in inference and proxy defaults are not added.
        cfg.prometheus.retain(|t| !t.implicit);
        cfg.status.retain(|s| !s.implicit);
    }
    if let Some(v) = prometheus {
        cfg.prometheus = v;
    }
    if let Some(v) = status {
        cfg.status = v;
    }
    if let Some(v) = ollama {
        cfg.ollama = v;
    }
    if let Some(v) = prometheus_servers {
        cfg.prometheus_servers = v;
    }
    if args.no_nvml {
        cfg.nvml.enabled = false;
    }
    apply_agent_flags(args, &mut cfg.agents)?;
    Ok(cfg)
}

/// Whether `args` leave Swarmglass on its built-in defaults: no `--config`, no default config
/// file, no source on the command line. Then this machine is searched ([`with_discovery`]).
#[must_use]
pub fn on_builtin_defaults(args: &SourceArgs) -> bool {
    args.config.is_none()
        && !default_path().is_some_and(|p| p.exists())
        && args.prometheus.is_empty()
        && args.prometheus_server.is_empty()
        && args.ollama.is_empty()
        && args.status.is_empty()
        && args.nexus_ws.is_empty()
        && args.nexus_redis.is_empty()
        && args.exec_logs.is_empty()
        && args.openclaw_sessions.is_empty()
        && args.openclaw_gateway.is_empty()
        && args.tool_proxy_log.is_empty()
}

/// The built-in defaults' guesses (`localhost:8000`, `localhost:9199`) replaced by what
/// discovery found on this machine, and a note saying what was found and not found. A
/// Prometheus server found is named in the note, not read: it may scrape the servers found
/// here too, and they would count twice.
#[must_use]
pub fn with_discovery(mut cfg: Config, report: &crate::sources::discover::Report) -> Config {
    use crate::sources::discover::Service;
    cfg.prometheus.retain(|t| !t.implicit);
    cfg.status.retain(|s| !s.implicit);
    for f in &report.found {
        let url = f.url();
        match &f.service {
            Service::Metrics(kind) => cfg.prometheus.push(PrometheusTarget {
                kind: Some(*kind),
                ..PrometheusTarget::new(&url)
            }),
            Service::LlamacppSlots => cfg.prometheus.push(PrometheusTarget {
                kind: Some(crate::model::scrape::ServerKind::Llamacpp),
                ..PrometheusTarget::new(&url)
            }),
            Service::Ollama => cfg.ollama.push(super::OllamaServer::new(&url)),
            Service::Status => cfg.status.push(StatusEndpoint::new(&url)),
            Service::PrometheusServer => {}
        }
    }
    cfg.notes.push(report.summary());
    cfg
}

/// `path` if given (it must exist), else the default path if it exists, else the defaults.
fn load(path: Option<&Path>, env: Env<'_>) -> Result<Config, ConfigError> {
    let path: Option<PathBuf> = match path {
        Some(p) => Some(p.to_path_buf()),
        None => default_path().filter(|p| p.exists()),
    };
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Read {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    from_toml_str(&text, env).map_err(|problems| ConfigError::Invalid {
        path: Some(path),
        problems,
    })
}

/// Each URL of a repeated flag at most once: a target given twice would be polled twice and
/// shown as one.
fn given_once(urls: &[String], flag: &'static str) -> Result<(), ConfigError> {
    let same: Vec<String> = urls.iter().map(|u| super::validate::same_url(u)).collect();
    let mut seen = std::collections::HashSet::new();
    match same.iter().position(|u| !seen.insert(u)) {
        Some(i) => Err(ConfigError::Flag {
            flag,
            value: urls[i].clone(),
            problem: format!(
                "is given {} times",
                same.iter().filter(|u| **u == same[i]).count()
            ),
            hint: format!("give each {flag} URL once"),
        }),
        None => Ok(()),
    }
}

/// `url` must parse with one of `schemes` and a host.
fn check_scheme(
    url: &str,
    schemes: &[&str],
    flag: &'static str,
    example: &str,
) -> Result<(), ConfigError> {
    match reqwest::Url::parse(url) {
        Ok(u) if schemes.contains(&u.scheme()) && u.host_str().is_some() => Ok(()),
        _ => Err(ConfigError::Flag {
            flag,
            value: url.to_owned(),
            problem: format!("is not a valid {flag} URL"),
            hint: format!("pass e.g. {flag} {example}"),
        }),
    }
}

/// Split `ws://host:port/ws/executions/<id>/logs` into the server base and the execution id.
fn split_exec_logs_url(url: &str) -> Result<(String, String), ConfigError> {
    const FLAG: &str = "--exec-logs";
    check_scheme(
        url,
        &["ws", "wss", "http", "https"],
        FLAG,
        "ws://host:8000/ws/executions/<id>/logs",
    )?;
    let not_an_execution = || ConfigError::Flag {
        flag: FLAG,
        value: url.to_owned(),
        problem: "does not name an execution".to_owned(),
        hint: format!("pass {FLAG} ws://host:port/ws/executions/<id>/logs"),
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| not_an_execution())?;
    let segments: Vec<&str> = parsed
        .path_segments()
        .map(Iterator::collect)
        .unwrap_or_default();
    match segments.as_slice() {
        [.., "executions", id, "logs"] if !id.is_empty() => {
            let mut base = parsed.clone();
            base.set_path("");
            base.set_query(None);
            Ok((
                base.as_str().trim_end_matches('/').to_owned(),
                (*id).to_owned(),
            ))
        }
        _ => Err(not_an_execution()),
    }
}

/// Command-line agent sources replace the configured ones of the same kind.
/// The sources of one URL flag, each URL checked against `schemes`; `None` when the flag was not
/// given (the configured sources stay).
fn from_urls<T>(
    urls: &[String],
    schemes: &[&str],
    flag: &'static str,
    example: &str,
    make: impl Fn(String) -> T,
) -> Result<Option<Vec<T>>, ConfigError> {
    if urls.is_empty() {
        return Ok(None);
    }
    for u in urls {
        check_scheme(u, schemes, flag, example)?;
    }
    Ok(Some(urls.iter().cloned().map(make).collect()))
}

fn apply_agent_flags(args: &SourceArgs, a: &mut AgentSources) -> Result<(), ConfigError> {
    if let Some(v) = from_urls(
        &args.nexus_ws,
        &["ws", "wss", "http", "https"],
        "--nexus-ws",
        "ws://host:8000",
        ws::WsMonitorConfig::new,
    )? {
        a.nexus_ws = v;
    }
    if let Some(v) = from_urls(
        &args.nexus_redis,
        &["redis", "rediss"],
        "--nexus-redis",
        "redis://host:6379",
        redis::RedisConfig::new,
    )? {
        a.nexus_redis = v;
    }
    if !args.exec_logs.is_empty() {
        a.exec_logs.clear();
        for u in &args.exec_logs {
            let (base, id) = split_exec_logs_url(u)?;
            match a.exec_logs.iter_mut().find(|s| s.config.url == base) {
                Some(s) => s.executions.push(id),
                None => a.exec_logs.push(ExecLogSource {
                    config: exec_logs::ExecLogConfig::new(base),
                    executions: vec![id],
                }),
            }
        }
    }
    if !args.openclaw_sessions.is_empty() {
        a.openclaw_sessions = args
            .openclaw_sessions
            .iter()
            .map(|d| openclaw::SessionsFilesConfig::new(d.clone()))
            .collect();
    }
    if let Some(v) = from_urls(
        &args.openclaw_gateway,
        &["http", "https"],
        "--openclaw-gateway",
        "http://host:18789",
        openclaw::GatewayConfig::new,
    )? {
        a.openclaw_gateway = v;
    }
    if !args.tool_proxy_log.is_empty() {
        a.tool_proxy_logs = args
            .tool_proxy_log
            .iter()
            .map(|p| tool_proxy::ToolProxyConfig::new(p.clone()))
            .collect();
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn exec_logs_url_is_split_into_base_and_id() {
        let (base, id) =
            split_exec_logs_url("ws://10.0.0.9:8000/ws/executions/6f1c2a8e/logs").unwrap();
        assert_eq!(
            (base.as_str(), id.as_str()),
            ("ws://10.0.0.9:8000", "6f1c2a8e")
        );
        let err = split_exec_logs_url("ws://10.0.0.9:8000/ws/monitor")
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not name an execution"), "{err}");
        assert!(split_exec_logs_url("ftp://x/ws/executions/1/logs").is_err());
    }

    #[test]
    fn command_line_agent_sources_replace_configured_ones() {
        let args = SourceArgs {
            config: Some(PathBuf::from("/nonexistent/swarmglass.toml")),
            ..SourceArgs::default()
        };
        assert!(
            matches!(
                resolve(Base::File, &args, &no_env),
                Err(ConfigError::Read { .. })
            ),
            "an explicit config path must exist"
        );
        let mut a = AgentSources::default();
        let args = SourceArgs {
            nexus_ws: vec!["ws://h:1".into()],
            exec_logs: vec![
                "ws://h:2/ws/executions/a/logs".into(),
                "ws://h:2/ws/executions/b/logs".into(),
            ],
            tool_proxy_log: vec!["/var/log/p.log".into()],
            ..SourceArgs::default()
        };
        apply_agent_flags(&args, &mut a).unwrap();
        assert_eq!(a.nexus_ws.len(), 1);
        assert_eq!(a.exec_logs.len(), 1, "one server, two executions");
        assert_eq!(a.exec_logs[0].executions, ["a", "b"]);
        assert_eq!(a.tool_proxy_logs.len(), 1);
        let bad = SourceArgs {
            nexus_redis: vec!["http://h:6379".into()],
            ..SourceArgs::default()
        };
        assert!(
            apply_agent_flags(&bad, &mut a)
                .unwrap_err()
                .to_string()
                .contains("--nexus-redis")
        );
    }

    #[test]
    fn command_line_sources_replace_the_texts_and_no_nvml_turns_gpus_off() {
        let text = "[[prometheus]]\nurl = \"http://a:8000/metrics\"\n[[prometheus]]\nurl = \"http://b:8000/metrics\"\n[[status]]\nurl = \"http://a:9199/status\"\n";
        let kept = resolve(Base::Text(text), &SourceArgs::default(), &no_env).unwrap();
        assert_eq!(kept.prometheus.len(), 2);
        assert!(kept.nvml.enabled);
        let args = SourceArgs {
            prometheus: vec!["http://c:8000/metrics".into()],
            no_nvml: true,
            ..SourceArgs::default()
        };
        let c = resolve(Base::Text(text), &args, &no_env).unwrap();
        let urls: Vec<&str> = c.prometheus.iter().map(|p| p.url.as_str()).collect();
        assert_eq!(urls, ["http://c:8000/metrics"]);
        assert_eq!(c.prometheus[0].node, "c");
        assert_eq!(c.status.len(), 1, "status flags absent: the text's stay");
        assert!(!c.nvml.enabled);
    }

    #[test]
    fn a_bad_command_line_url_names_its_flag_and_an_example() {
        let args = SourceArgs {
            status: vec!["ftp://x/status".into()],
            ..SourceArgs::default()
        };
        let err = resolve(Base::Text(""), &args, &no_env)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`ftp://x/status` is not a valid --status URL; pass e.g. --status http://10.0.0.5:9199/status"
        );
        let bad_text = resolve(Base::Text("colour = 1"), &SourceArgs::default(), &no_env);
        assert!(
            matches!(bad_text, Err(ConfigError::Invalid { path: None, ref problems }) if problems.len() == 1),
            "{bad_text:?}"
        );
    }

    #[test]
    fn a_command_line_url_given_twice_is_an_error() {
        let args = SourceArgs {
            prometheus: vec![
                "http://a:8000/metrics".into(),
                "http://b:8000/metrics".into(),
                "http://A:8000/metrics".into(),
                "http://a:8000/metrics".into(),
            ],
            ..SourceArgs::default()
        };
        let err = resolve(Base::Text(""), &args, &no_env)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`http://A:8000/metrics` is given 3 times; give each --prometheus URL once"
        );
    }
}
