//! The collector runtime: tokio on its own named thread, one task per source, a dedicated
//! thread for NVML. Every producer `try_send`s into ONE bounded channel owned by the consumer
//! (the window or a headless command), counts what it had to drop, and wakes the consumer.

pub mod schedule;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use crate::config::{AgentSources, Config, PrometheusTarget, StatusEndpoint};
use crate::model::ids::{SourceId, SourceKind, SourceSpec};
use crate::model::input::{SourceError, SourceUpdate};
use crate::sources::events::exec_logs::ExecLogConfig;
use crate::sources::events::{self, Delivery, EventSink};
use crate::sources::{http, mapping, nvidia_smi, nvml, prometheus, status};

/// Called after each update is queued, to wake an idle consumer (e.g. `ctx.request_repaint()`).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// The producer side of the update channel.
#[derive(Clone)]
pub struct Sink {
    tx: SyncSender<SourceUpdate>,
    wake: Waker,
    dropped: Arc<AtomicU64>,
}

impl Sink {
    /// Queue an update without blocking; count it as dropped when the channel is full.
    pub fn send(&self, update: SourceUpdate) {
        match self.tx.try_send(update) {
            Ok(()) => (self.wake)(),
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                (self.wake)();
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

/// A running collector. Dropping it stops every task and thread.
pub struct Runtime {
    stop: watch::Sender<bool>,
    commands: tokio::sync::mpsc::Sender<Command>,
    nvml_stop: Option<SyncSender<()>>,
    threads: Vec<JoinHandle<()>>,
    dropped: Arc<AtomicU64>,
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
        self.dropped.load(Ordering::Relaxed)
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
        if let Some(tx) = self.nvml_stop.take()
            && tx.try_send(()).is_err()
        {
            log::debug!("GPU thread already stopped");
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

/// Ids of the sources a config describes.
#[must_use]
pub fn prometheus_id(t: &PrometheusTarget) -> SourceId {
    SourceId::new(t.node.clone(), SourceKind::Prometheus, t.url.clone())
}

/// Id of a status endpoint.
#[must_use]
pub fn status_id(s: &StatusEndpoint) -> SourceId {
    SourceId::new("cluster", SourceKind::Status, s.url.clone())
}

/// Start collecting. Returns the consumer end of the channel (capacity `capacity`) and the
/// runtime handle.
///
/// # Errors
/// When a thread cannot be spawned or the HTTP client cannot be built.
pub fn start(
    config: &Config,
    capacity: usize,
    wake: Waker,
) -> std::io::Result<(Receiver<SourceUpdate>, Runtime)> {
    let (tx, rx) = std::sync::mpsc::sync_channel(capacity.max(1));
    let dropped = Arc::new(AtomicU64::new(0));
    let sink = Sink {
        tx,
        wake,
        dropped: Arc::clone(&dropped),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut threads = Vec::new();
    let mut sources = Vec::new();

    let client = http::client().map_err(|e| std::io::Error::other(e.to_string()))?;
    let targets = config.prometheus.clone();
    let statuses = config.status.clone();
    for t in &targets {
        sources.push(SourceSpec {
            id: prometheus_id(t),
            interval: t.interval,
            node_named: t.node_named,
            implicit: t.implicit,
        });
    }
    for s in &statuses {
        sources.push(SourceSpec {
            id: status_id(s),
            interval: s.interval,
            node_named: false,
            implicit: s.implicit,
        });
    }
    let rt_sink = sink.clone();
    let (cmd_tx, mut cmd_rx) = tokio::sync::mpsc::channel::<Command>(16);
    let agents = config.agents.clone();
    let agent_sink = agent_sink(&sink);
    threads.push(
        std::thread::Builder::new()
            .name("rt".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("rt-worker")
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
                    let mut tasks = tokio::task::JoinSet::new();
                    for t in targets {
                        tasks.spawn(prometheus_task(
                            t,
                            client.clone(),
                            rt_sink.clone(),
                            stop_rx.clone(),
                        ));
                    }
                    for s in statuses {
                        tasks.spawn(status_task(
                            s,
                            client.clone(),
                            rt_sink.clone(),
                            stop_rx.clone(),
                        ));
                    }
                    let mut execs =
                        spawn_agent_sources(&mut tasks, agents, &client, &agent_sink, &stop_rx);
                    loop {
                        tokio::select! {
                            res = tasks.join_next() => match res {
                                None => break,
                                Some(Err(e)) if !e.is_cancelled() => log::error!("a collector task failed: {e}"),
                                Some(_) => {}
                            },
                            Some(cmd) = cmd_rx.recv() => match cmd {
                                Command::ReconnectExecution(id) => {
                                    reconnect_execution(&mut tasks, &mut execs, &id, &agent_sink, &stop_rx);
                                }
                            },
                        }
                    }
                });
            })?,
    );

    let mut nvml_stop = None;
    if config.nvml.enabled {
        let (stop_tx, stop_rx) = std::sync::mpsc::sync_channel(1);
        let id = SourceId::new(config.nvml.node.clone(), SourceKind::Nvml, "local");
        let fallback = config.nvml.nvidia_smi_fallback;
        let open: nvml::GpuOpener = Box::new(move || match nvml::NvmlReader::open_boxed() {
            Ok(r) => Ok(r),
            Err(nvml_err) if fallback => {
                nvidia_smi::NvidiaSmiReader::open_boxed().map_err(|smi_err| {
                    let inner = |e: &SourceError| match e {
                        SourceError::NvmlUnavailable(reason) => reason.clone(),
                        other => other.to_string(),
                    };
                    SourceError::NvmlUnavailable(format!(
                        "{}; nvidia-smi fallback: {}",
                        inner(&nvml_err),
                        inner(&smi_err)
                    ))
                })
            }
            Err(e) => Err(e),
        });
        let handle = nvml::spawn_gpu_thread(
            id.clone(),
            config.nvml.interval,
            open,
            sink.tx.clone(),
            Arc::clone(&sink.wake),
            stop_rx,
            Arc::clone(&dropped),
        )?;
        sources.push(SourceSpec {
            id,
            interval: config.nvml.interval,
            node_named: config.nvml.node_named,
            implicit: config.nvml.implicit,
        });
        nvml_stop = Some(stop_tx);
        threads.push(handle);
    }
    Ok((
        rx,
        Runtime {
            commands: cmd_tx,
            stop: stop_tx,
            nvml_stop,
            threads,
            dropped,
            sources,
        },
    ))
}

/// An [`EventSink`] that wraps agent updates into [`SourceUpdate::Agents`] on the one channel.
fn agent_sink(sink: &Sink) -> EventSink {
    let tx = sink.tx.clone();
    let dropped = Arc::clone(&sink.dropped);
    EventSink::from_fn(
        move |u| match tx.try_send(SourceUpdate::agents(u)) {
            Ok(()) => Delivery::Queued,
            Err(TrySendError::Full(_)) => {
                dropped.fetch_add(1, Ordering::Relaxed);
                Delivery::Dropped
            }
            Err(TrySendError::Disconnected(_)) => Delivery::Closed,
        },
        Arc::clone(&sink.wake),
    )
}

/// A running execution-log task, so it can be restarted on request.
struct ExecTask {
    config: ExecLogConfig,
    handle: tokio::task::AbortHandle,
}

/// Abort an execution-log stream and start it again (the window's "Reconnect" button).
fn reconnect_execution(
    tasks: &mut tokio::task::JoinSet<()>,
    execs: &mut HashMap<String, ExecTask>,
    id: &str,
    sink: &EventSink,
    stop: &watch::Receiver<bool>,
) {
    let Some(task) = execs.get_mut(id) else {
        log::warn!("reconnect asked for execution {id}, which is not followed");
        return;
    };
    task.handle.abort();
    task.handle = tasks.spawn(events::exec_logs::run_execution(
        task.config.clone(),
        id.to_owned(),
        sink.clone(),
        stop.clone(),
    ));
}

/// One task per agent source (and per followed execution); returns the execution tasks.
fn spawn_agent_sources(
    tasks: &mut tokio::task::JoinSet<()>,
    agents: AgentSources,
    client: &reqwest::Client,
    sink: &EventSink,
    stop: &watch::Receiver<bool>,
) -> HashMap<String, ExecTask> {
    let mut execs = HashMap::new();
    for c in agents.nexus_ws {
        tasks.spawn(events::ws::run(c, sink.clone(), stop.clone()));
    }
    for c in agents.nexus_redis {
        tasks.spawn(events::redis::run(c, sink.clone(), stop.clone()));
    }
    for src in agents.exec_logs {
        for id in src.executions {
            let handle = tasks.spawn(events::exec_logs::run_execution(
                src.config.clone(),
                id.clone(),
                sink.clone(),
                stop.clone(),
            ));
            execs.insert(
                id,
                ExecTask {
                    config: src.config.clone(),
                    handle,
                },
            );
        }
    }
    for c in agents.openclaw_sessions {
        tasks.spawn(events::openclaw::run_files(c, sink.clone(), stop.clone()));
    }
    for c in agents.openclaw_gateway {
        tasks.spawn(events::openclaw::run_gateway(
            c,
            client.clone(),
            sink.clone(),
            stop.clone(),
        ));
    }
    for c in agents.tool_proxy_logs {
        tasks.spawn(events::tool_proxy::run(c, sink.clone(), stop.clone()));
    }
    execs
}

/// Poll with `poll` until `stop` flips: first poll at once, then the interval (with jitter) or
/// the backoff while polls fail.
async fn poll_loop<F, Fut>(interval: Duration, mut stop: watch::Receiver<bool>, mut poll: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut rng = fastrand::Rng::new();
    let mut failures = 0_u32;
    loop {
        if *stop.borrow() {
            return;
        }
        let ok = tokio::select! {
            ok = poll() => ok,
            _ = stop.changed() => return,
        };
        failures = if ok { 0 } else { failures.saturating_add(1) };
        let delay = schedule::next_delay(interval, failures, rng.f64());
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Fetch, parse and map one Prometheus target.
pub async fn scrape_once(
    client: &reqwest::Client,
    t: &PrometheusTarget,
) -> Result<crate::model::scrape::ScrapeData, SourceError> {
    let fetched = http::get(
        client,
        http::Request {
            url: &t.url,
            timeout: t.timeout,
            max_body_bytes: t.max_body_bytes,
            bearer: t.bearer_token.as_deref(),
        },
    )
    .await?;
    let format = prometheus::detect_format(fetched.content_type.as_deref(), &fetched.body);
    let exp = prometheus::parse(&fetched.body, format);
    if exp.families.is_empty() && !exp.errors.is_empty() {
        let first = &exp.errors[0];
        return Err(SourceError::Decode {
            url: t.url.clone(),
            reason: format!(
                "no metric could be read ({} error(s), first: {first}); is this a Prometheus /metrics endpoint?",
                exp.errors.len()
            ),
        });
    }
    Ok(mapping::map(&exp, t.kind, fetched.body.len()))
}

async fn prometheus_task(
    t: PrometheusTarget,
    client: reqwest::Client,
    sink: Sink,
    stop: watch::Receiver<bool>,
) {
    let id = prometheus_id(&t);
    let interval = t.interval;
    poll_loop(interval, stop, || async {
        let result = scrape_once(&client, &t).await;
        let ok = result.is_ok();
        sink.send(SourceUpdate::Scrape {
            source: id.clone(),
            at: SystemTime::now(),
            result,
        });
        ok
    })
    .await;
}

/// Fetch and read one status endpoint.
pub async fn status_once(
    client: &reqwest::Client,
    s: &StatusEndpoint,
) -> Result<crate::model::status::ClusterStatus, SourceError> {
    let fetched = http::get(
        client,
        http::Request {
            url: &s.url,
            timeout: s.timeout,
            max_body_bytes: s.max_body_bytes,
            bearer: None,
        },
    )
    .await?;
    status::parse(&fetched.body).map_err(|e| SourceError::Decode {
        url: s.url.clone(),
        reason: e.to_string(),
    })
}

async fn status_task(
    s: StatusEndpoint,
    client: reqwest::Client,
    sink: Sink,
    stop: watch::Receiver<bool>,
) {
    let id = status_id(&s);
    poll_loop(s.interval, stop, || async {
        let result = status_once(&client, &s).await;
        let ok = result.is_ok();
        sink.send(SourceUpdate::Status {
            source: id.clone(),
            at: SystemTime::now(),
            result,
        });
        ok
    })
    .await;
}
