//! Entry point: parse the command line, load config, and run the window or a headless command.
//! Errors reach the user here, once, as text that says what to do.

use std::process::ExitCode;

use clap::Parser;
use swarmglass::cli::{Cli, Command, MetricsAction, SimArgs, SourceArgs};
use swarmglass::config::{Base, process_env};
use swarmglass::{app, config, headless, sim};

fn sim_options(a: &SimArgs) -> sim::SimOptions {
    sim::SimOptions {
        nodes: a.nodes.max(1),
        gpus_per_node: a.gpus_per_node.max(1),
        seed: a.seed,
        base_port: a.base_port,
        agents: !a.no_agents,
        redis_url: a.redis.clone(),
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        None => {
            let cfg = config::resolve(Base::File, &cli.sources, &process_env)?;
            app::run(cfg, &cli.window, None)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Demo { sim, window }) => {
            let demo = app::DemoCluster::start(sim_options(&sim))?;
            let text = demo.config_toml();
            let cfg = config::resolve(Base::Text(&text), &SourceArgs::default(), &process_env)?;
            app::run(cfg, &window, Some(demo))?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Snapshot {
            sources,
            duration,
            json,
        }) => {
            let cfg = config::resolve(Base::File, &sources, &process_env)?;
            let (model, engine) = headless::collect(&cfg, duration)?;
            let snap = headless::snapshot_of(&model, &engine, std::time::SystemTime::now());
            if json {
                println!("{}", serde_json::to_string_pretty(&snap)?);
            } else {
                print!("{}", headless::render_text(&snap));
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Watch { sources, duration }) => {
            let cfg = config::resolve(Base::File, &sources, &process_env)?;
            headless::watch(&cfg, duration, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Metrics {
            action: MetricsAction::Check { input, json },
        }) => {
            let report = headless::check_input(&input)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", headless::render_check(&report));
            }
            Ok(if report.error_count() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Some(Command::Sim { sim, write_config }) => {
            sim::run_blocking(sim_options(&sim), write_config.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("swarmglass: {e:#}");
            ExitCode::from(2)
        }
    }
}
