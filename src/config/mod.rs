//! Configuration: everything that decides what Swarmglass watches. The TOML file is walked by
//! hand through one [`walker`] rather than through `#[serde(deny_unknown_fields)]` so that
//! *every* problem — unknown keys included — is reported at once, each with its TOML key and a
//! hint; each section reads its own keys (`validate.rs` the root, `[nvml]`, `[model]`,
//! `[[prometheus]]`, `[[status]]`; `agents.rs` the agent sources; `alerts/` the rules and
//! webhooks). [`resolve`] is the one way from the command line to a [`Config`]: defaults, file
//! (or the demo's text), then the command-line sources. Defaults monitor this machine.

pub mod agents;
pub mod alerts;
pub mod edit;
mod promserver;
mod resolve;
mod validate;
mod walker;
pub mod wall;

pub use agents::AgentSources;
pub use alerts::AlertsConfig;
pub use resolve::{Base, on_builtin_defaults, process_env, resolve, with_discovery};
pub use validate::from_toml_str;
pub use walker::Env;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::model::ModelSettings;
use crate::model::scrape::ServerKind;
use crate::sources::http::{DEFAULT_MAX_BODY_BYTES, TlsSettings};

/// Local GPUs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NvmlConfig {
    /// Read local GPUs at all.
    pub enabled: bool,
    /// How often.
    pub interval: Duration,
    /// Node name the local GPUs belong to.
    pub node: String,
    /// `node` was given in the config (else the node is named by `model::identity`).
    pub node_named: bool,
    /// On by default, not asked for in a config: no GPU here is "not found", not "down".
    pub implicit: bool,
    /// Fall back to `nvidia-smi -q -x` when NVML cannot be loaded.
    pub nvidia_smi_fallback: bool,
}

/// One Prometheus `/metrics` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrometheusTarget {
    /// URL to scrape.
    pub url: String,
    /// Node the target belongs to: the config's name, else the URL's host.
    pub node: String,
    /// `node` was given in the config (else the node is named by `model::identity`).
    pub node_named: bool,
    /// A built-in default nobody configured (`localhost:8000`): "not found", not "down".
    pub implicit: bool,
    /// Server kind; `None` = detect from the metric names.
    pub kind: Option<ServerKind>,
    /// Scrape interval.
    pub interval: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Name of the environment variable that held the bearer token.
    pub bearer_token_env: Option<String>,
    /// The token itself, read from that variable at load time (never printed).
    pub bearer_token: Option<String>,
    /// Body-size cap.
    pub max_body_bytes: usize,
    /// How its HTTPS is checked (`ca_file`, `client_cert`/`client_key`,
    /// `tls_insecure_skip_verify`).
    pub tls: TlsSettings,
}

/// One Ollama server (`[[ollama]]`, `--ollama`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OllamaServer {
    /// Base URL, e.g. `http://10.0.0.5:11434`.
    pub url: String,
    /// Node: the config's name, else the URL's host.
    pub node: String,
    /// `node` was given in the config.
    pub node_named: bool,
    /// Poll interval.
    pub interval: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
}

impl OllamaServer {
    /// A server with defaults: node from the URL's host.
    #[must_use]
    pub fn new(url: &str) -> Self {
        Self {
            url: url.trim_end_matches('/').to_owned(),
            node: node_from_url(url),
            node_named: false,
            interval: DEFAULT_INTERVAL,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// One cluster-status endpoint (the smart proxy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEndpoint {
    /// URL to GET.
    pub url: String,
    /// A built-in default nobody configured (`localhost:9199`): "not found", not "down".
    pub implicit: bool,
    /// Poll interval.
    pub interval: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Body-size cap.
    pub max_body_bytes: usize,
    /// How its HTTPS is checked.
    pub tls: TlsSettings,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Local GPUs.
    pub nvml: NvmlConfig,
    /// Prometheus targets.
    pub prometheus: Vec<PrometheusTarget>,
    /// Ollama servers.
    pub ollama: Vec<OllamaServer>,
    /// Prometheus-compatible servers to read fleets through.
    pub prometheus_servers: Vec<crate::sources::promserver::PromServer>,
    /// Status endpoints.
    pub status: Vec<StatusEndpoint>,
    /// Derivation and history settings.
    pub model: ModelSettings,
    /// Alert rules and where alerts go.
    pub alerts: AlertsConfig,
    /// Agent and task sources (event streams, sessions, logs).
    pub agents: AgentSources,
    /// Where and how much history is kept.
    pub history: crate::history::HistorySettings,
    /// What the wall view shows.
    pub wall: wall::WallSettings,
    /// What start-up has to say once, in the error list (what discovery found and did not).
    pub notes: Vec<String>,
}

/// Node name used for this machine's own sources.
pub const LOCAL_NODE: &str = crate::model::identity::LOCAL_NODE;

/// Default scrape interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);
/// Default request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

impl Default for Config {
    /// Monitor this machine: NVML, `localhost:8000/metrics`, `localhost:9199/status`.
    fn default() -> Self {
        Self {
            nvml: NvmlConfig::default(),
            prometheus: vec![PrometheusTarget {
                implicit: true,
                ..PrometheusTarget::new("http://localhost:8000/metrics")
            }],
            prometheus_servers: Vec::new(),
            ollama: Vec::new(),
            status: vec![StatusEndpoint {
                implicit: true,
                ..StatusEndpoint::new("http://localhost:9199/status")
            }],
            model: ModelSettings::default(),
            alerts: AlertsConfig::default(),
            agents: AgentSources::default(),
            history: crate::history::HistorySettings::default(),
            wall: wall::WallSettings::default(),
            notes: Vec::new(),
        }
    }
}

impl Default for NvmlConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            interval: DEFAULT_INTERVAL,
            node: LOCAL_NODE.to_owned(),
            node_named: false,
            implicit: true,
            nvidia_smi_fallback: true,
        }
    }
}

impl PrometheusTarget {
    /// A target with defaults: node from the URL's host, kind detected.
    #[must_use]
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            node: node_from_url(url),
            node_named: false,
            implicit: false,
            kind: None,
            interval: DEFAULT_INTERVAL,
            timeout: DEFAULT_TIMEOUT,
            bearer_token_env: None,
            bearer_token: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            tls: TlsSettings::default(),
        }
    }
}

impl StatusEndpoint {
    /// An endpoint with defaults.
    #[must_use]
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            implicit: false,
            interval: DEFAULT_INTERVAL,
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: 1024 * 1024,
            tls: TlsSettings::default(),
        }
    }
}

/// The node a URL belongs to by default: its host, with loopback names mapped to [`LOCAL_NODE`].
#[must_use]
pub fn node_from_url(url: &str) -> String {
    match reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
    {
        Some(h) if matches!(h.as_str(), "localhost" | "127.0.0.1" | "[::1]" | "::1") => {
            LOCAL_NODE.to_owned()
        }
        Some(h) => h,
        None => LOCAL_NODE.to_owned(),
    }
}

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// TOML key path, e.g. `prometheus[1].interval`.
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
}

/// Every problem found in a config, reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {reason}")]
    Read {
        /// File.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A command-line flag's value is wrong (checked after the file, which is read first).
    #[error("`{value}` {problem}; {hint}")]
    Flag {
        /// The flag, e.g. `--status`.
        flag: &'static str,
        /// What was passed.
        value: String,
        /// What is wrong with it.
        problem: String,
        /// What to pass instead.
        hint: String,
    },
    /// The TOML or its values are wrong.
    #[error("{}", render_problems(.path.as_deref(), .problems))]
    Invalid {
        /// File, if one was read.
        path: Option<PathBuf>,
        /// Every problem.
        problems: Vec<ConfigProblem>,
    },
}

fn render_problems(path: Option<&Path>, problems: &[ConfigProblem]) -> String {
    let mut s = match path {
        Some(p) => format!(
            "{} problem(s) in config file {}:",
            problems.len(),
            p.display()
        ),
        None => format!("{} problem(s) in config:", problems.len()),
    };
    for p in problems {
        s.push_str(&format!(
            "\n  - `{}`: {} (hint: {})",
            p.key, p.message, p.hint
        ));
    }
    s
}

/// Where the config file lives by default (`~/.config/swarmglass/swarmglass.toml` on Linux).
#[must_use]
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "swarmglass")
        .map(|d| d.config_dir().join("swarmglass.toml"))
}
