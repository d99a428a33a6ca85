//! The agent and task sources of the config: Nexus event streams over WebSocket and Redis,
//! execution logs, OpenClaw sessions (files and gateway) and the tool proxy's log file.
//! Each `[[section]]` becomes the source module's own config type.

use std::path::PathBuf;

use toml::Table;

use super::walker::Walker;
use crate::sources::events::exec_logs::ExecLogConfig;
use crate::sources::events::openclaw::{GatewayConfig, SessionsFilesConfig};
use crate::sources::events::redis::RedisConfig;
use crate::sources::events::tool_proxy::ToolProxyConfig;
use crate::sources::events::ws::{WsMonitorConfig, WsParamNames};

/// One execution-log server and the executions to follow on it.
#[derive(Debug, Clone)]
pub struct ExecLogSource {
    /// Server config.
    pub config: ExecLogConfig,
    /// Execution ids to follow.
    pub executions: Vec<String>,
}

/// Every agent and task source.
#[derive(Debug, Clone, Default)]
pub struct AgentSources {
    /// Nexus monitor WebSockets.
    pub nexus_ws: Vec<WsMonitorConfig>,
    /// Nexus Redis pub/sub (and worker heartbeat keys).
    pub nexus_redis: Vec<RedisConfig>,
    /// Execution-log streams.
    pub exec_logs: Vec<ExecLogSource>,
    /// OpenClaw session stores (state directories, sessions directories or sessions.json files).
    pub openclaw_sessions: Vec<SessionsFilesConfig>,
    /// OpenClaw gateways.
    pub openclaw_gateway: Vec<GatewayConfig>,
    /// vLLM tool-proxy log files.
    pub tool_proxy_logs: Vec<ToolProxyConfig>,
}

impl AgentSources {
    /// True when no agent source is configured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.nexus_ws.is_empty()
            && self.nexus_redis.is_empty()
            && self.exec_logs.is_empty()
            && self.openclaw_sessions.is_empty()
            && self.openclaw_gateway.is_empty()
            && self.tool_proxy_logs.is_empty()
    }
}

const WS_KEYS: &[&str] = &[
    "url",
    "path",
    "param_names",
    "types",
    "project_id",
    "task_id",
    "stats_only",
    "max_frame_bytes",
];
const REDIS_KEYS: &[&str] = &[
    "url",
    "channels",
    "project_id",
    "heartbeat_prefix",
    "max_message_bytes",
];
const EXEC_KEYS: &[&str] = &["url", "executions", "path_template", "max_frame_bytes"];
const SESSIONS_KEYS: &[&str] = &["dir", "interval"];
const GATEWAY_KEYS: &[&str] = &["url", "token_env", "active_minutes", "interval", "timeout"];
const TOOL_PROXY_KEYS: &[&str] = &["path", "interval"];

fn usize_of(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn nexus_ws(w: &mut Walker, prefix: &str, t: &Table) -> Option<WsMonitorConfig> {
    w.unknown_keys(t, prefix, WS_KEYS);
    let url = w.url_with(
        t,
        prefix,
        &["ws", "wss", "http", "https"],
        "ws://localhost:8000",
    );
    let mut c = WsMonitorConfig::new(url.clone().unwrap_or_default());
    if let Some(p) = w.string(t, prefix, "path") {
        c.path = p;
    }
    if let Some(style) = w.string(t, prefix, "param_names") {
        match style.as_str() {
            "code" => c.params = WsParamNames::default(),
            "readme" => c.params = WsParamNames::readme(),
            other => w.problem(
                &format!("{prefix}.param_names"),
                format!("unknown style `{other}`"),
                "\"code\" (types=…) or \"readme\" (event_types=…)",
            ),
        }
    }
    if let Some(types) = w.strings(t, prefix, "types") {
        c.types = types;
    }
    c.project_id = w.string(t, prefix, "project_id");
    c.task_id = w.string(t, prefix, "task_id");
    if let Some(b) = w.boolean(t, prefix, "stats_only") {
        c.stats_only = b;
    }
    if let Some(n) = w.positive_int(t, prefix, "max_frame_bytes", 1 << 20) {
        c.max_frame_bytes = usize_of(n);
    }
    url.map(|_| c)
}

fn nexus_redis(w: &mut Walker, prefix: &str, t: &Table) -> Option<RedisConfig> {
    w.unknown_keys(t, prefix, REDIS_KEYS);
    let url = w.url_with(t, prefix, &["redis", "rediss"], "redis://localhost:6379");
    let mut c = RedisConfig::new(url.clone().unwrap_or_default());
    if let Some(ch) = w.strings(t, prefix, "channels") {
        c.channels = ch;
    }
    if let Some(p) = w.string(t, prefix, "project_id") {
        c.channels.push(format!("nexus:events:project:{p}"));
    }
    if let Some(p) = w.string(t, prefix, "heartbeat_prefix") {
        c.heartbeat_prefix = p;
    }
    if let Some(n) = w.positive_int(t, prefix, "max_message_bytes", 1 << 20) {
        c.max_message_bytes = usize_of(n);
    }
    url.map(|_| c)
}

fn exec_logs(w: &mut Walker, prefix: &str, t: &Table) -> Option<ExecLogSource> {
    w.unknown_keys(t, prefix, EXEC_KEYS);
    let url = w.url_with(
        t,
        prefix,
        &["ws", "wss", "http", "https"],
        "ws://localhost:8000",
    );
    let mut c = ExecLogConfig::new(url.clone().unwrap_or_default());
    if let Some(p) = w.string(t, prefix, "path_template") {
        if !p.contains("{id}") {
            w.problem(
                &format!("{prefix}.path_template"),
                "has no {id} placeholder",
                "e.g. \"/ws/executions/{id}/logs\"",
            );
        }
        c.path_template = p;
    }
    if let Some(n) = w.positive_int(t, prefix, "max_frame_bytes", 1 << 20) {
        c.max_frame_bytes = usize_of(n);
    }
    let executions = w.strings(t, prefix, "executions").unwrap_or_default();
    if executions.is_empty() {
        w.problem(
            &format!("{prefix}.executions"),
            "no execution to follow",
            "list the execution ids, e.g. executions = [\"3f2c…\"]",
        );
    }
    url.map(|_| ExecLogSource {
        config: c,
        executions,
    })
}

fn openclaw_sessions(w: &mut Walker, prefix: &str, t: &Table) -> Option<SessionsFilesConfig> {
    w.unknown_keys(t, prefix, SESSIONS_KEYS);
    let Some(dir) = w.string(t, prefix, "dir") else {
        if !t.contains_key("dir") {
            w.problem(
                &format!("{prefix}.dir"),
                "missing",
                "the OpenClaw state directory, e.g. \"~/.openclaw\", an agents/<id>/sessions directory, or a sessions.json file",
            );
        }
        return None;
    };
    let mut c = SessionsFilesConfig::new(expand_home(&dir));
    if let Some(d) = w.duration(t, prefix, "interval") {
        c.interval = d;
    }
    Some(c)
}

fn openclaw_gateway(w: &mut Walker, prefix: &str, t: &Table) -> Option<GatewayConfig> {
    w.unknown_keys(t, prefix, GATEWAY_KEYS);
    let url = w.url_with(t, prefix, &["http", "https"], "http://localhost:18789");
    let mut c = GatewayConfig::new(url.clone().unwrap_or_default());
    if let Some(e) = w.string(t, prefix, "token_env") {
        c.token_env = e;
    }
    if let Some(n) = w.positive_int(t, prefix, "active_minutes", 60) {
        c.active_minutes = u32::try_from(n).unwrap_or(u32::MAX);
    }
    if let Some(d) = w.duration(t, prefix, "interval") {
        c.interval = d;
    }
    if let Some(d) = w.duration(t, prefix, "timeout") {
        c.timeout = d;
    }
    url.map(|_| c)
}

fn tool_proxy(w: &mut Walker, prefix: &str, t: &Table) -> Option<ToolProxyConfig> {
    w.unknown_keys(t, prefix, TOOL_PROXY_KEYS);
    let Some(path) = w.string(t, prefix, "path") else {
        if !t.contains_key("path") {
            w.problem(
                &format!("{prefix}.path"),
                "missing",
                "the proxy's log file, e.g. \"/var/log/vllm-tool-proxy.log\"",
            );
        }
        return None;
    };
    let mut c = ToolProxyConfig::new(expand_home(&path));
    if let Some(d) = w.duration(t, prefix, "interval") {
        c.interval = d;
    }
    Some(c)
}

/// `~/x` → the home directory's `x`.
#[must_use]
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(b)) => b.home_dir().join(rest),
        _ => PathBuf::from(path),
    }
}

/// Read every agent section of the root table.
pub(super) fn parse(w: &mut Walker, root: &Table) -> AgentSources {
    let mut out = AgentSources::default();
    for (p, t) in w.array_of_tables(root, "", "nexus_ws") {
        out.nexus_ws.extend(nexus_ws(w, &p, t));
    }
    for (p, t) in w.array_of_tables(root, "", "nexus_redis") {
        out.nexus_redis.extend(nexus_redis(w, &p, t));
    }
    for (p, t) in w.array_of_tables(root, "", "exec_logs") {
        out.exec_logs.extend(exec_logs(w, &p, t));
    }
    for (p, t) in w.array_of_tables(root, "", "openclaw_sessions") {
        out.openclaw_sessions.extend(openclaw_sessions(w, &p, t));
    }
    for (p, t) in w.array_of_tables(root, "", "openclaw_gateway") {
        out.openclaw_gateway.extend(openclaw_gateway(w, &p, t));
    }
    for (p, t) in w.array_of_tables(root, "", "tool_proxy_log") {
        out.tool_proxy_logs.extend(tool_proxy(w, &p, t));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::from_toml_str;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn agent_sections_parse() {
        let text = r#"
[[nexus_ws]]
url = "ws://10.0.0.9:8000"
param_names = "readme"
types = ["task_failed", "task_completed"]
project_id = "p1"
[[nexus_redis]]
url = "redis://10.0.0.9:6379"
project_id = "p1"
[[exec_logs]]
url = "ws://10.0.0.9:8001"
executions = ["6f1c2a8e-3b7d-4c55-9a1e-2f4b8c0d9e11"]
[[openclaw_sessions]]
dir = "/srv/openclaw"
[[openclaw_gateway]]
url = "http://10.0.0.9:18789"
[[tool_proxy_log]]
path = "/var/log/proxy.log"
"#;
        let c = from_toml_str(text, &no_env).unwrap();
        let a = &c.agents;
        assert_eq!(a.nexus_ws[0].params.types, "event_types");
        assert_eq!(a.nexus_ws[0].types, ["task_failed", "task_completed"]);
        assert_eq!(a.nexus_ws[0].project_id.as_deref(), Some("p1"));
        assert!(
            a.nexus_redis[0]
                .channels
                .contains(&"nexus:events:project:p1".to_owned())
        );
        assert_eq!(a.exec_logs[0].executions.len(), 1);
        assert_eq!(a.openclaw_sessions[0].path.to_str(), Some("/srv/openclaw"));
        assert_eq!(a.openclaw_gateway[0].token_env, "OPENCLAW_GATEWAY_TOKEN");
        assert_eq!(a.tool_proxy_logs.len(), 1);
    }

    #[test]
    fn agent_problems_have_keys() {
        let text = "[[nexus_ws]]\nurl = \"ftp://x\"\n[[exec_logs]]\nurl = \"ws://h:1\"\n[[nexus_redis]]\nurl = \"redis://h\"\nchanel = \"x\"\n[[openclaw_sessions]]\n";
        let problems = from_toml_str(text, &no_env).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        for k in [
            "nexus_ws[0].url",
            "exec_logs[0].executions",
            "nexus_redis[0].chanel",
            "openclaw_sessions[0].dir",
        ] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
    }
}
