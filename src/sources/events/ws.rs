//! The Nexus monitor WebSocket client (DATA-SOURCES §5): connect to `/ws/monitor` with the
//! event filters in the query string, forward every event (the synthetic first
//! `stats_snapshot` included) and drop keepalives, count and report malformed frames, refuse
//! oversized frames from their header, reconnect with backoff and jitter after any drop, and
//! never forward an event twice (a replaying server after a reconnect is deduplicated by
//! `event_id`). Path and parameter names are configurable: the upstream code serves
//! `/ws/monitor?types=`, its README says `/ws/monitoring?event_types=`.

use std::time::{Duration, Instant, SystemTime};

use super::nexus::{DEFAULT_MAX_FRAME_BYTES, Frame, parse_frame_limited};
use super::wsconn::{Flow, WsHooks, WsOptions, build_url, supervise};
use crate::model::ids::{SourceId, SourceKind};
use crate::model::input::{ConnectionState, EventError, EventUpdate};
use crate::model::tasks::{DedupeWindow, DuplicateReport};
use crate::sources::framework::{Delivery, Sink, SourceTask, Stop};

/// Query-parameter names of the monitor endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsParamNames {
    /// Comma-separated event types (`types` in the code, `event_types` in the README).
    pub types: String,
    /// Project filter.
    pub project_id: String,
    /// Parent-task filter (matches `parent_task_id`).
    pub task_id: String,
    /// Stats-only switch.
    pub stats_only: String,
}

impl Default for WsParamNames {
    /// The names the upstream code reads (`src/api/monitoring_ws.py`).
    fn default() -> Self {
        Self {
            types: "types".into(),
            project_id: "project_id".into(),
            task_id: "task_id".into(),
            stats_only: "stats_only".into(),
        }
    }
}

impl WsParamNames {
    /// The names the upstream README documents (`event_types` instead of `types`).
    #[must_use]
    pub fn readme() -> Self {
        Self {
            types: "event_types".into(),
            ..Self::default()
        }
    }
}

/// Everything the monitor client needs.
#[derive(Debug, Clone)]
pub struct WsMonitorConfig {
    /// Id of this stream in updates and the error log.
    pub id: SourceId,
    /// Server base URL: `ws://host:8000` (`http://` is turned into `ws://`).
    pub url: String,
    /// Endpoint path: `/ws/monitor` (code) or `/ws/monitoring` (README).
    pub path: String,
    /// Query-parameter names.
    pub params: WsParamNames,
    /// Event types to receive; empty = all.
    pub types: Vec<String>,
    /// Only this project's events.
    pub project_id: Option<String>,
    /// Only this parent task's events.
    pub task_id: Option<String>,
    /// Only `stats_snapshot` / `queue_depth_update`.
    pub stats_only: bool,
    /// Largest frame accepted, bytes; larger ones are refused from the frame header and the
    /// connection is reopened.
    pub max_frame_bytes: usize,
    /// Limit on TCP connect + upgrade (and on sending a ping).
    pub connect_timeout: Duration,
    /// How often to send a text `ping` (the server answers `{"type":"pong"}`).
    pub ping_interval: Duration,
    /// Reconnect when nothing arrived for this long (the server pings every 30 s).
    pub idle_timeout: Duration,
    /// First reconnect delay.
    pub backoff_base: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// A connection up this long resets the backoff.
    pub stable_after: Duration,
    /// How many recent event ids are remembered to drop replayed events.
    pub dedupe_capacity: usize,
}

impl WsMonitorConfig {
    /// Defaults for the server at `url`: the code's path and names, no filter, 1 MiB frames,
    /// ping every 25 s, reconnect after 75 s of silence, backoff 1 s → 30 s.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        Self {
            id: SourceId::new("swarm", SourceKind::NexusWs, url.clone()),
            url,
            path: "/ws/monitor".into(),
            params: WsParamNames::default(),
            types: Vec::new(),
            project_id: None,
            task_id: None,
            stats_only: false,
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            connect_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(25),
            idle_timeout: Duration::from_secs(75),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            stable_after: Duration::from_secs(30),
            dedupe_capacity: 65_536,
        }
    }

    /// The full URL with the filters in its query string.
    #[must_use]
    pub fn monitor_url(&self) -> String {
        let p = &self.params;
        build_url(
            &self.url,
            &self.path,
            &[
                (p.types.as_str(), self.types.join(",")),
                (
                    p.project_id.as_str(),
                    self.project_id.clone().unwrap_or_default(),
                ),
                (p.task_id.as_str(), self.task_id.clone().unwrap_or_default()),
                (
                    p.stats_only.as_str(),
                    if self.stats_only {
                        "true".into()
                    } else {
                        String::new()
                    },
                ),
            ],
        )
    }

    fn options(&self) -> WsOptions {
        WsOptions {
            max_frame_bytes: self.max_frame_bytes,
            connect_timeout: self.connect_timeout,
            ping_interval: self.ping_interval,
            idle_timeout: self.idle_timeout,
            backoff_base: self.backoff_base,
            backoff_max: self.backoff_max,
            stable_after: self.stable_after,
        }
    }
}

struct MonitorHooks<'a> {
    cfg: &'a WsMonitorConfig,
    sink: &'a Sink,
    seen: DedupeWindow,
    report: DuplicateReport,
}

/// Tell the model how many duplicates `seen` has dropped, when [`DuplicateReport`] says it is
/// time (at once for the first, then at most once a second: the stream's tick sends the rest).
pub(crate) fn report_duplicates(
    sink: &Sink,
    source: &SourceId,
    execution_id: Option<&str>,
    seen: &DedupeWindow,
    report: &mut DuplicateReport,
) -> Delivery {
    let now = Instant::now();
    let Some(total) = report.due(seen.dropped(), now) else {
        return Delivery::Queued;
    };
    let delivery = sink.send_event(EventUpdate::Duplicates {
        source: source.clone(),
        execution_id: execution_id.map(str::to_owned),
        total,
    });
    if delivery == Delivery::Queued {
        report.sent(total, now);
    }
    delivery
}

impl WsHooks for MonitorHooks<'_> {
    fn state(&mut self, state: ConnectionState) -> Delivery {
        self.sink.send_event(EventUpdate::Connection {
            source: self.cfg.id.clone(),
            state,
        })
    }

    fn payload(&mut self, bytes: &[u8]) -> Flow {
        let at = SystemTime::now();
        let update = match parse_frame_limited(bytes, self.cfg.max_frame_bytes) {
            Ok(Frame::Event(event)) => {
                if !event.is_synthetic() && !self.seen.insert(&event.event_id) {
                    return self.tick();
                }
                EventUpdate::Event {
                    source: self.cfg.id.clone(),
                    received_at: at,
                    event,
                }
            }
            Ok(Frame::Keepalive(_) | Frame::Control { .. }) => return Flow::Continue,
            Err(error) => EventUpdate::Malformed {
                source: self.cfg.id.clone(),
                at,
                error,
                count: 1,
            },
        };
        if self.sink.send_event(update) == Delivery::Closed {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    fn tick(&mut self) -> Flow {
        let d = report_duplicates(self.sink, &self.cfg.id, None, &self.seen, &mut self.report);
        if d == Delivery::Closed {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    fn handshake_error(&self, e: EventError) -> EventError {
        match e {
            EventError::HttpStatus { url, status: 404, .. } => EventError::HttpStatus {
                url,
                status: 404,
                hint: "; no monitor endpoint at this path: set `path` (the code serves /ws/monitor, its README says /ws/monitoring)".into(),
            },
            EventError::HttpStatus { url, status, hint } if hint.is_empty() && (status == 401 || status == 403) => {
                EventError::HttpStatus { url, status, hint: "; the server refused the upgrade: check the URL and any proxy's auth".into() }
            }
            other => other,
        }
    }
}

/// Run the monitor client until `stop` flips or the consumer goes away. Sends
/// [`EventUpdate::Connection`] on every state change, [`EventUpdate::Event`] per new event and
/// [`EventUpdate::Malformed`] per refused frame.
pub async fn run(cfg: WsMonitorConfig, sink: Sink, stop: Stop) {
    let url = cfg.monitor_url();
    let opts = cfg.options();
    let mut hooks = MonitorHooks {
        seen: DedupeWindow::new(cfg.dedupe_capacity),
        report: DuplicateReport::default(),
        cfg: &cfg,
        sink: &sink,
    };
    supervise(&url, &opts, stop, &mut hooks).await;
}

/// [`run`] on the current tokio runtime; drop or [`SourceTask::shutdown`] the handle to stop.
#[must_use]
pub fn spawn(cfg: WsMonitorConfig, sink: Sink) -> SourceTask {
    SourceTask::spawn(move |stop| run(cfg, sink, stop))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_go_into_the_query_string() {
        let mut c = WsMonitorConfig::new("ws://127.0.0.1:8000");
        assert_eq!(c.monitor_url(), "ws://127.0.0.1:8000/ws/monitor");
        c.types = vec!["task_started".into(), "task_completed".into()];
        c.project_id = Some("proj 7".into());
        c.task_id = Some("research-42".into());
        c.stats_only = true;
        assert_eq!(
            c.monitor_url(),
            "ws://127.0.0.1:8000/ws/monitor?types=task_started,task_completed&project_id=proj%207&task_id=research-42&stats_only=true"
        );
        c.path = "/ws/monitoring".into();
        c.params = WsParamNames::readme();
        assert!(c.monitor_url().starts_with(
            "ws://127.0.0.1:8000/ws/monitoring?event_types=task_started,task_completed&"
        ));
    }
}
