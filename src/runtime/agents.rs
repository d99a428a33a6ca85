//! Agent and task sources in the collector runtime: one task per configured stream, store, gateway
//! and log, and the execution-log streams kept by id so that one can be reopened on request.

use std::collections::HashMap;

use tokio::task::JoinSet;

use crate::config::AgentSources;
use crate::sources::events::{self, exec_logs::ExecLogConfig};
use crate::sources::framework::{Sink, Stop};

/// The execution-log streams being followed, by execution id.
pub(super) type Executions = HashMap<String, ExecTask>;

/// A running execution-log task, so it can be restarted on request.
pub(super) struct ExecTask {
    config: ExecLogConfig,
    /// The stream's own sink slot, kept across reconnects.
    sink: Sink,
    handle: tokio::task::AbortHandle,
}

/// Abort an execution-log stream and start it again (the window's "Reconnect" button).
pub(super) fn reconnect_execution(
    tasks: &mut JoinSet<()>,
    execs: &mut Executions,
    id: &str,
    stop: &Stop,
) {
    let Some(task) = execs.get_mut(id) else {
        log::warn!("reconnect asked for execution {id}, which is not followed");
        return;
    };
    task.handle.abort();
    task.handle = tasks.spawn(events::exec_logs::run_execution(
        task.config.clone(),
        id.to_owned(),
        task.sink.clone(),
        stop.clone(),
    ));
}

/// One task per agent source (and per followed execution); returns the execution tasks.
pub(super) fn spawn_agent_sources(
    tasks: &mut JoinSet<()>,
    agents: AgentSources,
    client: &reqwest::Client,
    sink: &Sink,
    stop: &Stop,
) -> Executions {
    let mut execs = HashMap::new();
    for c in agents.nexus_ws {
        tasks.spawn(events::ws::run(c, sink.for_source(), stop.clone()));
    }
    for c in agents.nexus_redis {
        tasks.spawn(events::redis::run(c, sink.for_source(), stop.clone()));
    }
    for src in agents.exec_logs {
        for id in src.executions {
            let sink = sink.for_source();
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
                    sink,
                    handle,
                },
            );
        }
    }
    for c in agents.openclaw_sessions {
        tasks.spawn(events::openclaw::run_files(
            c,
            sink.for_source(),
            stop.clone(),
        ));
    }
    for c in agents.openclaw_gateway {
        tasks.spawn(events::openclaw::run_gateway(
            c,
            client.clone(),
            sink.for_source(),
            stop.clone(),
        ));
    }
    for c in agents.tool_proxy_logs {
        tasks.spawn(events::tool_proxy::run(c, sink.for_source(), stop.clone()));
    }
    execs
}
