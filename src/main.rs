//! Entry point: parse the command line, load config, and run the window or a headless command.
//! Errors reach the user here, once, as text that says what to do. Everything this process
//! writes (output, errors, log lines) shows URLs without their passwords. SIGINT and SIGTERM
//! stop the window, `demo`, `snapshot` and `watch` cleanly (exit 0; a second signal ends the
//! process at once); a closed stdout ends a command quietly with the exit code it would have had.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;
use swarmglass::cli::{Cli, Command, MetricsAction, SimArgs, SourceArgs};
use swarmglass::config::{Base, process_env};
use swarmglass::model::redact::redact_urls;
use swarmglass::signals::StopRequest;
use swarmglass::{app, config, headless, history, sim};

fn sim_options(a: &SimArgs) -> sim::SimOptions {
    sim::SimOptions {
        nodes: a.nodes.max(1),
        gpus_per_node: a.gpus_per_node.max(1),
        seed: a.seed,
        base_port: a.base_port,
        agents: !a.no_agents,
        redis_url: a.redis.clone(),
        steady: a.steady,
    }
}

/// The config for the window, `snapshot` and `watch`: the file and the command line, and where
/// neither names a source, what runs on this machine (auto-discovery).
/// The config, and — when the built-in defaults were used — what discovery found on this machine.
fn load_config_found(
    args: &SourceArgs,
) -> anyhow::Result<(
    config::Config,
    Option<swarmglass::sources::discover::Report>,
)> {
    let cfg = config::resolve(Base::File, args, &process_env)?;
    if !config::on_builtin_defaults(args) {
        return Ok((cfg, None));
    }
    let report = swarmglass::sources::discover::discover_blocking(
        &["localhost".to_owned()],
        std::time::Duration::from_millis(800),
    );
    log::info!("{}", report.summary());
    Ok((config::with_discovery(cfg, &report), Some(report)))
}

fn load_config(args: &SourceArgs) -> anyhow::Result<config::Config> {
    Ok(load_config_found(args)?.0)
}

fn run(cli: Cli, stop: &StopRequest) -> anyhow::Result<ExitCode> {
    match cli.command {
        None => {
            let (cfg, found) = load_config_found(&cli.sources)?;
            // No config file and nothing found here: the window opens on its first-run screen.
            let first_run = found.filter(|r| r.found.is_empty()).map(|r| app::FirstRun {
                config_path: config::default_path(),
                searched: r.summary(),
            });
            let start = app::Start {
                config_path: cli.sources.config.clone().or_else(config::default_path),
                args: SourceArgs {
                    config: None,
                    ..cli.sources.clone()
                },
                first_run,
            };
            app::run(cfg, &cli.window, None, start, stop)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Demo { sim, window }) => {
            let demo = app::DemoCluster::start(sim_options(&sim))?;
            let text = demo.config_toml();
            // The demo keeps its own history (beside the real one, never mixed with it).
            let args = SourceArgs {
                data_dir: cli
                    .sources
                    .data_dir
                    .clone()
                    .or_else(|| history::default_dir().map(|d| d.join("demo"))),
                no_history: cli.sources.no_history,
                ..SourceArgs::default()
            };
            let cfg = config::resolve(Base::Text(&text), &args, &process_env)?;
            app::run(cfg, &window, Some(demo), app::Start::default(), stop)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Snapshot {
            sources,
            duration,
            json,
        }) => {
            let cfg = load_config(&sources)?;
            let (model, engine) = headless::collect(&cfg, duration, stop)?;
            let snap = headless::snapshot_of(&model, &engine, std::time::SystemTime::now());
            let text = if json {
                serde_json::to_string_pretty(&snap)? + "\n"
            } else {
                headless::render_text(&snap)
            };
            // A closed stdout (`| head -1`) is not a failure: the reader has what it wanted.
            let _written_or_closed = headless::print(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Watch { sources, duration }) => {
            let cfg = load_config(&sources)?;
            headless::watch(&cfg, duration, stop, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Metrics {
            action: MetricsAction::Check { input, json },
        }) => {
            let report = headless::check_input(&input)?;
            let text = if json {
                serde_json::to_string_pretty(&report)? + "\n"
            } else {
                headless::render_check(&report)
            };
            let _written_or_closed = headless::print(&text)?;
            Ok(if report.error_count() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Some(Command::History { action }) => {
            let cfg = config::resolve(Base::File, &cli.sources, &process_env)?;
            headless::history_command(
                &cfg.history,
                &action,
                std::time::SystemTime::now(),
                &mut std::io::stdout().lock(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Discover { hosts, timeout }) => {
            let hosts = if hosts.is_empty() {
                vec!["localhost".to_owned()]
            } else {
                hosts
            };
            let report = swarmglass::sources::discover::discover_blocking(&hosts, timeout);
            let _written_or_closed =
                headless::print(&report.config_toml(&hosts, std::time::SystemTime::now()))?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Agent {
            listen,
            interval,
            token_env,
            disks,
            no_nvidia_smi,
        }) => {
            let token = match token_env {
                Some(var) => match std::env::var(&var) {
                    Ok(t) if !t.is_empty() => Some(t),
                    _ => {
                        anyhow::bail!(
                            "--token-env {var}: the variable is not set (export {var}=<token>, or leave out --token-env)"
                        )
                    }
                },
                None => None,
            };
            let opts = swarmglass::agent::AgentOptions {
                listen,
                interval,
                token,
                disks: if disks.is_empty() {
                    vec![std::path::PathBuf::from("/")]
                } else {
                    disks
                },
                nvidia_smi_fallback: !no_nvidia_smi,
            };
            swarmglass::agent::run(&opts, |addr| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "swarmglass agent serving http://{addr}/metrics");
                let _ = out.flush();
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Generate { what }) => {
            match what {
                swarmglass::cli::GenerateAction::Man { out } => {
                    let written: String = swarmglass::generate::man_pages(&out)?
                        .iter()
                        .map(|f| format!("{}\n", f.display()))
                        .collect();
                    let _written_or_closed = headless::print(&written)?;
                }
                swarmglass::cli::GenerateAction::Completions { shell } => {
                    let script = String::from_utf8_lossy(&swarmglass::generate::completions(shell))
                        .into_owned();
                    let _written_or_closed = headless::print(&script)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Sim { sim, write_config }) => {
            sim::run_blocking(sim_options(&sim), write_config.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Log lines as env_logger writes them by default, with every URL's password taken out.
fn init_logging() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format(|buf, record| {
            let level = buf.default_level_style(record.level());
            writeln!(
                buf,
                "[{} {level}{:<5}{level:#} {}] {}",
                buf.timestamp(),
                record.level(),
                record.target(),
                redact_urls(&record.args().to_string())
            )
        })
        .init();
}

/// Whether `command` stops cleanly on SIGINT/SIGTERM. `metrics check` and `sim` keep the
/// default (the process is killed): they hold nothing to print or save.
fn handles_signals(command: Option<&Command>) -> bool {
    matches!(
        command,
        None | Some(Command::Demo { .. } | Command::Snapshot { .. } | Command::Watch { .. })
    )
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let stop = if handles_signals(cli.command.as_ref()) {
        StopRequest::on_signals().unwrap_or_else(|e| {
            log::warn!("cannot catch SIGINT/SIGTERM ({e}); they will end the process at once");
            StopRequest::none()
        })
    } else {
        StopRequest::none()
    };
    match run(cli, &stop) {
        Ok(code) => code,
        Err(e) => {
            // Nowhere to report a closed stderr: the exit code says it.
            let _ = writeln!(
                std::io::stderr(),
                "swarmglass: {}",
                redact_urls(&format!("{e:#}"))
            );
            ExitCode::from(2)
        }
    }
}
