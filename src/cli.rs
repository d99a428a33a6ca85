//! Command-line definitions (clap). Parsing only: `main.rs` dispatches.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Live sight of an AI-agent swarm and the GPU nodes that serve it.
#[derive(Debug, Parser)]
#[command(name = "swarmglass", version, about, long_about = None)]
pub struct Cli {
    /// What to run; without a command, the window opens on your config (or the defaults).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Sources for the window.
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Window options.
    #[command(flatten)]
    pub window: WindowArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a simulated cluster in this process and open the window on it.
    Demo {
        /// Simulation options.
        #[command(flatten)]
        sim: SimArgs,
        /// Window options.
        #[command(flatten)]
        window: WindowArgs,
    },
    /// Run the collector for a while and print what it saw (no window).
    Snapshot {
        /// Sources.
        #[command(flatten)]
        sources: SourceArgs,
        /// How long to collect; rates need at least two scrapes.
        #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
        duration: Duration,
        /// Print JSON (schema in README.md) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate alert rules and deliver desktop notifications and webhooks, without a window.
    /// Prints each alert transition; runs until interrupted (or for `--duration`).
    Watch {
        /// Sources.
        #[command(flatten)]
        sources: SourceArgs,
        /// Stop after this long (default: run until interrupted).
        #[arg(long, value_parser = humantime::parse_duration)]
        duration: Option<Duration>,
    },
    /// Tools for Prometheus expositions.
    Metrics {
        /// What to do.
        #[command(subcommand)]
        action: MetricsAction,
    },
    /// What history holds, and its series as JSON or CSV.
    History {
        /// What to do.
        #[command(subcommand)]
        action: HistoryAction,
    },
    /// Look for what runs on these hosts (default: this machine) — inference servers, GPU and
    /// host exporters, the agent, the smart proxy, Prometheus — identified by what each answers,
    /// and print a config file to start from.
    Discover {
        /// `host` (every well-known port) or `host:port` (that port); default localhost.
        #[arg(value_name = "HOST")]
        hosts: Vec<String>,
        /// How long to wait for each answer.
        #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
        timeout: Duration,
    },
    /// Serve this machine's GPUs (NVML), their processes and models, and host CPU, memory and
    /// disks on /metrics, for other windows and Prometheus to read.
    Agent {
        /// Address to serve on; 127.0.0.1 keeps it to this machine.
        #[arg(long, default_value = "127.0.0.1:9403", value_name = "ADDR:PORT")]
        listen: std::net::SocketAddr,
        /// How often the GPUs are read.
        #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
        interval: Duration,
        /// Require `Authorization: Bearer <token>`, the token read from this environment variable.
        #[arg(long, value_name = "VAR")]
        token_env: Option<String>,
        /// A mount point whose size and free space to report (repeatable; default /).
        #[arg(long = "disk", value_name = "PATH")]
        disks: Vec<PathBuf>,
        /// Do not fall back to `nvidia-smi -q -x` when NVML cannot be loaded.
        #[arg(long)]
        no_nvidia_smi: bool,
    },
    /// Serve a simulated cluster on 127.0.0.1 until interrupted.
    Sim {
        /// Simulation options.
        #[command(flatten)]
        sim: SimArgs,
        /// Write a Swarmglass config pointing at the simulated endpoints to this file.
        #[arg(long, value_name = "PATH")]
        write_config: Option<PathBuf>,
    },
    /// Write the man pages or shell completions from these very definitions (for packaging).
    #[command(hide = true)]
    Generate {
        /// What to write.
        #[command(subcommand)]
        what: GenerateAction,
    },
}

/// `generate` actions.
#[derive(Debug, Subcommand)]
pub enum GenerateAction {
    /// Man pages into DIR: swarmglass.1 and one swarmglass-COMMAND.1 per subcommand.
    Man {
        /// Folder to write into (made if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// The completion script for SHELL on standard output.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `metrics` actions.
#[derive(Debug, Subcommand)]
pub enum MetricsAction {
    /// Parse one exposition (file, URL or `-` for stdin) and report families, samples and every
    /// error with its line number. Exit status 1 when there are errors.
    Check {
        /// File path, http(s) URL, or `-`.
        input: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `history` actions. The store is read while no window or `watch` records into it.
#[derive(Debug, Subcommand)]
pub enum HistoryAction {
    /// Write recorded series: JSON (one object per series with its name, labels and
    /// `[unix_ms, value]` points) or CSV (`series,unix_ms,value`).
    Export {
        /// From this long ago.
        #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
        since: Duration,
        /// Until this time (RFC 3339, e.g. 2026-12-01T03:15:00Z; default: now).
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// One point per step (the mean over it), e.g. 1m; default: every point of the tier
        /// the range reads (1 s up to 6 h, 1 min beyond).
        #[arg(long, value_parser = humantime::parse_duration)]
        step: Option<Duration>,
        /// Only series whose `metric{label="value",…}` form this regular expression matches.
        #[arg(long = "match", value_name = "REGEX")]
        matcher: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
    },
    /// Where the store is, its size, tiers, oldest and newest point, and series count.
    Info {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `history export --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One object per series.
    Json,
    /// A header, then `series,unix_ms,value` rows.
    Csv,
}

/// Where to read from. Command-line sources replace the configured ones.
#[derive(Debug, Clone, Default, Args)]
pub struct SourceArgs {
    /// Config file (default: the platform config directory's swarmglass.toml, if present).
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    /// Where history is kept (default: the platform data directory, or `[history] dir`).
    #[arg(long, value_name = "DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Neither record nor load history.
    #[arg(long, global = true)]
    pub no_history: bool,
    /// A Prometheus /metrics URL (repeatable); replaces configured targets.
    #[arg(long = "prometheus", value_name = "URL")]
    pub prometheus: Vec<String>,
    /// A Prometheus-compatible server to read a fleet through, e.g. http://prometheus:9090
    /// (repeatable); replaces configured `[[prometheus_server]]` entries.
    #[arg(long = "prometheus-server", value_name = "URL")]
    pub prometheus_server: Vec<String>,
    /// An Ollama server, e.g. http://10.0.0.5:11434 (repeatable); replaces configured
    /// `[[ollama]]` entries.
    #[arg(long = "ollama", value_name = "URL")]
    pub ollama: Vec<String>,
    /// A cluster /status URL (repeatable); replaces configured status endpoints.
    #[arg(long = "status", value_name = "URL")]
    pub status: Vec<String>,
    /// Do not read local GPUs.
    #[arg(long)]
    pub no_nvml: bool,
    /// A Nexus monitor WebSocket server, e.g. ws://host:8000 (repeatable).
    #[arg(long = "nexus-ws", value_name = "URL")]
    pub nexus_ws: Vec<String>,
    /// A Nexus Redis, e.g. redis://host:6379 (repeatable): task events and worker heartbeats.
    #[arg(long = "nexus-redis", value_name = "URL")]
    pub nexus_redis: Vec<String>,
    /// An execution's log stream, ws://host:port/ws/executions/<id>/logs (repeatable).
    #[arg(long = "exec-logs", value_name = "URL")]
    pub exec_logs: Vec<String>,
    /// OpenClaw session stores: the state directory (e.g. ~/.openclaw), an
    /// agents/<id>/sessions directory, or a sessions.json file (repeatable).
    #[arg(long = "openclaw-sessions", value_name = "PATH")]
    pub openclaw_sessions: Vec<std::path::PathBuf>,
    /// An OpenClaw gateway, e.g. http://host:18789 (token from OPENCLAW_GATEWAY_TOKEN; repeatable).
    #[arg(long = "openclaw-gateway", value_name = "URL")]
    pub openclaw_gateway: Vec<String>,
    /// The vLLM tool proxy's log file, tailed like `tail -F` (repeatable).
    #[arg(long = "tool-proxy-log", value_name = "FILE")]
    pub tool_proxy_log: Vec<std::path::PathBuf>,
}

/// Window options.
#[derive(Debug, Clone, Default, Args)]
pub struct WindowArgs {
    /// Full screen, large type, no interactive chrome (F11 toggles).
    #[arg(long)]
    pub wall: bool,
    /// Light theme instead of dark (the same as `--theme light`).
    #[arg(long, conflicts_with = "theme")]
    pub light: bool,
    /// The theme for this run: dark, light, colour-blind (Okabe–Ito hues, never red against
    /// green) or high-contrast (white on black, WCAG AAA).
    #[arg(long, value_enum, value_name = "THEME")]
    pub theme: Option<crate::ui::ThemeChoice>,
    /// Write a PNG of the window once the first full round of data is in, then exit.
    #[arg(long, value_name = "PATH")]
    pub screenshot: Option<PathBuf>,
    /// Take the screenshot after this long instead of after the first full round.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub screenshot_after: Option<Duration>,
    /// Initial window size, e.g. 1600x1000.
    #[arg(long, value_name = "WxH")]
    pub size: Option<String>,
}

/// Simulated cluster options.
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Number of nodes.
    #[arg(long, default_value_t = 2)]
    pub nodes: usize,
    /// GPUs per node.
    #[arg(long, default_value_t = 1)]
    pub gpus_per_node: usize,
    /// Seed for deterministic output.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// First port to bind (default: ephemeral ports).
    #[arg(long)]
    pub base_port: Option<u16>,
    /// Also publish the simulated task events and worker heartbeats to this Redis.
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
    /// Leave out the simulated agent swarm (task events, execution logs, sessions).
    #[arg(long)]
    pub no_agents: bool,
    /// Hold every load steady (constant gauges and rates): for comparing two readers.
    #[arg(long)]
    pub steady: bool,
}
