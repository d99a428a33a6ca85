//! The collector runtime: which sources run, and where. Tokio on its own named thread ("rt",
//! a current-thread runtime: at 256 targets a second, a multi-thread runtime's cross-thread
//! wake-ups cost more than the parsing — docs/BENCHMARKS.md "Direct scraping")
//! runs one task per source (`polled.rs`: Prometheus targets and status endpoints; `agents.rs`:
//! the agent and task sources); the GPU backend runs on its own named thread (`gpu.rs`). Every
//! producer sends through the one [`Sink`] into one bounded channel owned by the consumer (the
//! window or a headless command). How a source polls, backs off and reconnects is the source
//! framework's business (`crate::sources::framework`), not this module's.

mod agents;
mod gpu;
mod polled;

use std::thread::JoinHandle;

use tokio::sync::watch;

use crate::config::Config;
use crate::model::ids::SourceSpec;
use crate::sources::framework::{PollSchedule, Sink, poll_loop};
use crate::sources::http;

pub use crate::sources::framework::{Updates, Waker};
pub use gpu::opener as gpu_opener;
pub use polled::{
    exposition_body, ollama_id, prometheus_id, promserver_id, read_scrape, scrape_once, status_id,
    status_once,
};

/// A running collector. Dropping it stops every task and thread.
pub struct Runtime {
    stop: watch::Sender<bool>,
    commands: tokio::sync::mpsc::Sender<Command>,
    threads: Vec<JoinHandle<()>>,
    sink: Sink,
    /// Every source that will report, for [`crate::model::Model::register_spec`].
    pub sources: Vec<SourceSpec>,
}

/// A request from the consumer to the collectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Drop and reopen one execution's log stream.
    ReconnectExecution(String),
}

impl Runtime {
    /// Ask the collectors to do something; `false` when the request could not be queued.
    pub fn command(&self, cmd: Command) -> bool {
        self.commands.try_send(cmd).is_ok()
    }

    /// Updates dropped so far because the consumer fell behind.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.sink.dropped()
    }

    /// Declare every source to `model` before the first update (so one that never answers still
    /// shows), and put start-up's notes (what discovery found and did not) in its error list.
    pub fn declare_to(
        &self,
        model: &mut crate::model::Model,
        notes: &[String],
        now: std::time::SystemTime,
    ) {
        for spec in &self.sources {
            model.register_spec(spec.clone());
        }
        for n in notes {
            model.errors.record("discovery", "not_found", n, now);
        }
    }

    /// Stop everything and wait for the threads.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        // A send error means every task is already gone: nothing left to stop.
        if self.stop.send(true).is_err() {
            log::debug!("collector tasks already stopped");
        }
        for t in self.threads.drain(..) {
            if t.join().is_err() {
                log::error!("a collector thread panicked");
            }
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Start collecting. Returns the consumer end of the channel (capacity `capacity`) and the
/// runtime handle.
///
/// # Errors
/// When a thread cannot be spawned or the HTTP client cannot be built.
pub fn start(config: &Config, capacity: usize, wake: Waker) -> std::io::Result<(Updates, Runtime)> {
    let (sink, rx) = Sink::channel(capacity, wake);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut threads = Vec::new();
    let mut sources = Vec::new();

    let client = http::client().map_err(|e| std::io::Error::other(e.to_string()))?;
    let targets = config.prometheus.clone();
    let statuses = config.status.clone();
    let servers = config.prometheus_servers.clone();
    let ollamas = config.ollama.clone();
    for o in &ollamas {
        sources.push(SourceSpec {
            id: ollama_id(o),
            interval: o.interval,
            node_named: o.node_named,
            implicit: false,
            tls_unverified: false,
        });
    }
    for p in &servers {
        sources.push(SourceSpec {
            id: promserver_id(p),
            interval: p.interval,
            node_named: false,
            implicit: false,
            tls_unverified: p.tls.insecure_skip_verify,
        });
    }
    for t in &targets {
        sources.push(SourceSpec {
            id: prometheus_id(t),
            interval: t.interval,
            node_named: t.node_named,
            implicit: t.implicit,
            tls_unverified: t.tls.insecure_skip_verify,
        });
    }
    for s in &statuses {
        sources.push(SourceSpec {
            id: status_id(s),
            interval: s.interval,
            node_named: false,
            implicit: s.implicit,
            tls_unverified: s.tls.insecure_skip_verify,
        });
    }
    let (cmd_tx, mut cmd_rx) = tokio::sync::mpsc::channel::<Command>(16);
    let agent_sources = config.agents.clone();
    let rt_sink = sink.clone();
    let rt_stop = stop_rx.clone();
    threads.push(
        std::thread::Builder::new()
            .name("rt".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        log::error!("cannot start the collector runtime: {e}");
                        return;
                    }
                };
                rt.block_on(async move {
                    let (sink, stop) = (rt_sink, rt_stop);
                    let mut tasks = tokio::task::JoinSet::new();
                    for target in targets {
                        let schedule = PollSchedule::every(target.interval);
                        let source = polled::PrometheusPoll {
                            id: prometheus_id(&target),
                            client: polled::client_for(&client, &target.tls, &target.url),
                            target,
                        };
                        tasks.spawn(poll_loop(source, schedule, sink.for_source(), stop.clone()));
                    }
                    for server in ollamas {
                        let schedule = PollSchedule::every(server.interval);
                        let source = polled::OllamaPoll {
                            id: ollama_id(&server),
                            client: client.clone(),
                            server,
                        };
                        tasks.spawn(poll_loop(source, schedule, sink.for_source(), stop.clone()));
                    }
                    for server in servers {
                        let schedule = PollSchedule::every(server.interval);
                        let source = polled::PromServerPoll {
                            id: promserver_id(&server),
                            client: polled::client_for(&client, &server.tls, &server.url),
                            server,
                        };
                        tasks.spawn(poll_loop(source, schedule, sink.for_source(), stop.clone()));
                    }
                    for endpoint in statuses {
                        let schedule = PollSchedule::every(endpoint.interval);
                        let source = polled::StatusPoll {
                            id: status_id(&endpoint),
                            client: polled::client_for(&client, &endpoint.tls, &endpoint.url),
                            endpoint,
                        };
                        tasks.spawn(poll_loop(source, schedule, sink.for_source(), stop.clone()));
                    }
                    let mut execs =
                        agents::spawn_agent_sources(&mut tasks, agent_sources, &client, &sink, &stop);
                    loop {
                        tokio::select! {
                            res = tasks.join_next() => match res {
                                None => break,
                                Some(Err(e)) if !e.is_cancelled() => log::error!("a collector task failed: {e}"),
                                Some(_) => {}
                            },
                            Some(cmd) = cmd_rx.recv() => match cmd {
                                Command::ReconnectExecution(id) => {
                                    agents::reconnect_execution(&mut tasks, &mut execs, &id, &stop);
                                }
                            },
                        }
                    }
                });
            })?,
    );

    if config.nvml.enabled {
        let (id, handle) = gpu::start(&config.nvml, sink.for_source(), stop_rx)?;
        sources.push(SourceSpec {
            id,
            interval: config.nvml.interval,
            node_named: config.nvml.node_named,
            implicit: config.nvml.implicit,
            tls_unverified: false,
        });
        threads.push(handle);
    }
    Ok((
        rx,
        Runtime {
            commands: cmd_tx,
            stop: stop_tx,
            threads,
            sink,
            sources,
        },
    ))
}
