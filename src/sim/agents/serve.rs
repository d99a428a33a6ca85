//! The agent layer's WebSocket listener (tokio-tungstenite accept): the Nexus monitor on
//! `/ws/monitor` and `/ws/monitoring` (filters `types`/`event_types`, `project_id`, `task_id`,
//! `stats_only`; the synthetic snapshot first; `{"type":"ping"}` keepalives; text `ping` →
//! `{"type":"pong"}`) and execution logs on `/ws/executions/{id}/logs` (replay, then live, with
//! the last replayed line sent again as upstream's race does; heartbeat after silence; close 1003
//! for a non-UUID id, 1008 for an unknown one; text `ping` → `pong`). Other paths get HTTP 404.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::Hub;
use super::wire::{NexusEvent, is_uuid};

type Ws = WebSocketStream<TcpStream>;

/// Limit on a client's upgrade request.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Which endpoint a request asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Route {
    /// The monitor, with its filters.
    Monitor(MonitorFilter),
    /// One execution's logs (the id as given, not yet checked).
    ExecLogs(String),
}

/// The monitor's filters, from the query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct MonitorFilter {
    /// Event types wanted (lowercase); `None` = all.
    pub types: Option<HashSet<String>>,
    /// Only this project's events.
    pub project_id: Option<String>,
    /// Only events whose `parent_task_id` is this.
    pub task_id: Option<String>,
    /// Only `stats_snapshot` / `queue_depth_update`.
    pub stats_only: bool,
}

impl MonitorFilter {
    /// True when `e` passes every filter.
    pub fn matches(&self, e: &NexusEvent) -> bool {
        (!self.stats_only || e.is_stats())
            && self.types.as_ref().is_none_or(|t| t.contains(e.event_type))
            && self
                .project_id
                .as_ref()
                .is_none_or(|p| e.project_id.as_ref() == Some(p))
            && self
                .task_id
                .as_ref()
                .is_none_or(|t| e.parent_task_id.as_ref() == Some(t))
    }
}

/// Decode `%XX` escapes and `+` in a query-string component.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The route of a request URI (`/path?query`); `None` for anything else.
pub(super) fn route(uri: &str) -> Option<Route> {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let path = path.trim_end_matches('/');
    if path == "/ws/monitor" || path == "/ws/monitoring" {
        let mut f = MonitorFilter::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v);
            let some = |v: String| (!v.is_empty()).then_some(v);
            match percent_decode(k).as_str() {
                "types" | "event_types" => {
                    let set: HashSet<String> = v
                        .split(',')
                        .map(|t| t.trim().to_ascii_lowercase())
                        .filter(|t| !t.is_empty())
                        .collect();
                    f.types = (!set.is_empty()).then_some(set);
                }
                "project_id" => f.project_id = some(v),
                "task_id" => f.task_id = some(v),
                "stats_only" => {
                    f.stats_only = matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes")
                }
                _ => {}
            }
        }
        return Some(Route::Monitor(f));
    }
    let id = path
        .strip_prefix("/ws/executions/")?
        .strip_suffix("/logs")?;
    (!id.is_empty() && !id.contains('/')).then(|| Route::ExecLogs(percent_decode(id)))
}

/// Accept connections until shutdown; each one runs on its own task.
pub(super) async fn accept_loop(listener: TcpListener, hub: Arc<Hub>) {
    loop {
        tokio::select! {
            () = hub.wait_shutdown() => return,
            r = listener.accept() => match r {
                Ok((sock, _)) => {
                    tokio::spawn(connection(sock, Arc::clone(&hub)));
                }
                Err(e) => {
                    log::warn!("sim agents: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}

async fn connection(sock: TcpStream, hub: Arc<Hub>) {
    let found = Arc::new(std::sync::Mutex::new(None));
    let slot = Arc::clone(&found);
    // The callback's signature is tungstenite's; its error type is what it is.
    #[allow(clippy::result_large_err)]
    let cb = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let uri = req
            .uri()
            .path_and_query()
            .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
        match route(&uri) {
            Some(r) => {
                *slot
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(r);
                Ok(resp)
            }
            None => {
                let mut refusal = http::Response::new(Some(format!(
                    "no such endpoint: {uri} (try /ws/monitor or /ws/executions/{{id}}/logs)"
                )));
                *refusal.status_mut() = http::StatusCode::NOT_FOUND;
                Err(refusal)
            }
        }
    };
    let ws = match tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        tokio_tungstenite::accept_hdr_async(sock, cb),
    )
    .await
    {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) => {
            log::debug!("sim agents: upgrade refused or failed: {e}");
            return;
        }
        Err(_) => return,
    };
    let route = found
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    match route {
        Some(Route::Monitor(filter)) => monitor(ws, &filter, &hub).await,
        Some(Route::ExecLogs(id)) => exec_logs(ws, &id, &hub).await,
        None => {}
    }
}

/// What to do with one client frame.
enum Incoming {
    Nothing,
    TextPing,
    Gone,
}

fn incoming(msg: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) -> Incoming {
    match msg {
        None | Some(Err(_) | Ok(Message::Close(_))) => Incoming::Gone,
        Some(Ok(Message::Text(t))) if t.trim().eq_ignore_ascii_case("ping") => Incoming::TextPing,
        Some(Ok(_)) => Incoming::Nothing,
    }
}

async fn close(ws: &mut Ws, code: CloseCode, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    if tokio::time::timeout(Duration::from_secs(1), ws.close(Some(frame)))
        .await
        .is_err()
    {
        log::debug!("sim agents: a client did not take our close frame");
    }
}

async fn monitor(mut ws: Ws, filter: &MonitorFilter, hub: &Hub) {
    let (snapshot, mut rx) = hub.snapshot_and_subscribe();
    if ws.send(Message::text(snapshot)).await.is_err() {
        return;
    }
    let every = hub.timing.ping_every;
    let mut ping = tokio::time::interval_at(Instant::now() + every, every);
    loop {
        let out = tokio::select! {
            () = hub.wait_shutdown() => {
                close(&mut ws, CloseCode::Away, "simulator shutting down").await;
                return;
            }
            _ = ping.tick() => r#"{"type":"ping"}"#.to_owned(),
            r = rx.recv() => match r {
                Ok(p) if filter.matches(&p.event) => p.json.clone(),
                Ok(_) => continue,
                Err(RecvError::Lagged(n)) => {
                    log::debug!("sim agents: a slow monitor client skipped {n} events");
                    continue;
                }
                Err(RecvError::Closed) => return,
            },
            m = ws.next() => match incoming(m) {
                Incoming::TextPing => r#"{"type":"pong"}"#.to_owned(),
                Incoming::Nothing => continue,
                Incoming::Gone => return,
            },
        };
        if ws.send(Message::text(out)).await.is_err() {
            return;
        }
    }
}

async fn exec_logs(mut ws: Ws, id: &str, hub: &Hub) {
    if !is_uuid(id) {
        close(
            &mut ws,
            CloseCode::Unsupported,
            "execution_id must be a UUID",
        )
        .await;
        return;
    }
    let Some(exec) = hub.execs.iter().find(|e| e.id.eq_ignore_ascii_case(id)) else {
        close(&mut ws, CloseCode::Policy, "unknown execution").await;
        return;
    };
    let now = i64::try_from(hub.sim_ms()).unwrap_or(i64::MAX);
    let due = exec.lines.partition_point(|l| l.at_ms <= now);
    for l in &exec.lines[..due] {
        if ws.send(Message::text(l.json.clone())).await.is_err() {
            return;
        }
    }
    // Replayed and live logs overlap upstream: the last stored line comes again.
    let mut next = due.saturating_sub(1);
    let mut last_tx = Instant::now();
    let far = Instant::now() + Duration::from_secs(86_400 * 365);
    loop {
        let line = exec.lines.get(next);
        let line_at = line.map_or(far, |l| hub.instant_of(l.at_ms));
        let quiet_until = last_tx + hub.timing.exec_heartbeat_after;
        let out = tokio::select! {
            () = hub.wait_shutdown() => {
                close(&mut ws, CloseCode::Away, "simulator shutting down").await;
                return;
            }
            () = tokio::time::sleep_until(line_at), if line.is_some() => {
                next += 1;
                line.map(|l| l.json.clone()).unwrap_or_default()
            }
            () = tokio::time::sleep_until(quiet_until) => {
                format!(r#"{{"type":"heartbeat","timestamp":{:.3}}}"#, hub.started.elapsed().as_secs_f64())
            }
            m = ws.next() => match incoming(m) {
                Incoming::TextPing => "pong".to_owned(),
                Incoming::Nothing => continue,
                Incoming::Gone => return,
            },
        };
        if ws.send(Message::text(out)).await.is_err() {
            return;
        }
        last_tx = Instant::now();
    }
}
