//! WebSocket plumbing shared by the monitor and execution-log clients: connect with a timeout
//! and a frame cap that tungstenite enforces from the frame header (an oversized frame is
//! refused before its payload is read), keep the connection alive (text `ping` on a timer,
//! protocol pings answered by tungstenite, a read-idle timeout), and supervise it: report every
//! state change and reconnect with backoff and jitter after any drop. What a payload means is
//! the caller's business ([`WsHooks`]).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::model::input::{ConnectionState, EventError};
use crate::sources::framework::{
    Delivery, Ended, Stop, Stream, StreamSchedule, stopped, stream_loop,
};

type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How one WebSocket stream connects, stays alive and reconnects.
#[derive(Debug, Clone)]
pub(crate) struct WsOptions {
    /// Largest frame or message accepted, bytes.
    pub max_frame_bytes: usize,
    /// Limit on TCP connect + upgrade.
    pub connect_timeout: Duration,
    /// How often to send a text `ping`.
    pub ping_interval: Duration,
    /// Reconnect when nothing at all arrived for this long.
    pub idle_timeout: Duration,
    /// First reconnect delay.
    pub backoff_base: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// A connection up this long resets the backoff.
    pub stable_after: Duration,
}

/// Whether the stream should go on after a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Keep reading.
    Continue,
    /// The consumer is gone: stop the source.
    Stop,
}

/// What a client does with its stream.
pub(crate) trait WsHooks {
    /// Report a connection state change.
    fn state(&mut self, state: ConnectionState) -> Delivery;
    /// Handle one text or binary payload.
    fn payload(&mut self, bytes: &[u8]) -> Flow;
    /// Called about once a second while connected (e.g. to send a count held back).
    fn tick(&mut self) -> Flow {
        Flow::Continue
    }
    /// Turn a close frame into an error (e.g. 1008 → unknown execution); `None` for a plain
    /// disconnect.
    fn close_error(&self, _code: u16) -> Option<EventError> {
        None
    }
    /// Refine a failed upgrade (e.g. a 404 hint about the path).
    fn handshake_error(&self, e: EventError) -> EventError {
        e
    }
}

/// How one connection ended, before a close frame is judged by the hooks.
enum Pumped {
    Ended(Ended),
    Closed { code: Option<u16>, reason: String },
}

impl From<Ended> for Pumped {
    fn from(e: Ended) -> Self {
        Self::Ended(e)
    }
}

fn ws_config(max_frame_bytes: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(max_frame_bytes))
        .max_frame_size(Some(max_frame_bytes))
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

async fn connect(url: &str, opts: &WsOptions) -> Result<WsStream, EventError> {
    let fut = tokio_tungstenite::connect_async_with_config(
        url,
        Some(ws_config(opts.max_frame_bytes)),
        false,
    );
    match tokio::time::timeout(opts.connect_timeout, fut).await {
        Err(_) => Err(EventError::Timeout {
            url: url.to_owned(),
            timeout_ms: millis(opts.connect_timeout),
        }),
        Ok(Ok((ws, _response))) => Ok(ws),
        Ok(Err(e)) => Err(match e {
            WsError::Http(resp) => EventError::HttpStatus {
                url: url.to_owned(),
                status: resp.status().as_u16(),
                hint: String::new(),
            },
            WsError::Url(e) => EventError::BadUrl {
                url: url.to_owned(),
                reason: e.to_string(),
            },
            // rustls reports a failed handshake as an I/O error of kind InvalidData.
            WsError::Io(e)
                if url.starts_with("wss://") && e.kind() == std::io::ErrorKind::InvalidData =>
            {
                EventError::Connect {
                    url: url.to_owned(),
                    reason: format!("TLS handshake failed: {e}"),
                }
            }
            WsError::Io(e) => EventError::Connect {
                url: url.to_owned(),
                reason: e.to_string(),
            },
            WsError::Tls(e) => EventError::Connect {
                url: url.to_owned(),
                reason: format!("TLS handshake failed: {e}"),
            },
            other => EventError::Protocol {
                url: url.to_owned(),
                reason: other.to_string(),
            },
        }),
    }
}

fn classify(url: &str, e: WsError) -> Ended {
    match e {
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
            Ended::Failed(EventError::FrameTooLarge {
                size: Some(size),
                limit: max_size,
            })
        }
        WsError::ConnectionClosed | WsError::AlreadyClosed => {
            Ended::Dropped("the connection closed".to_owned())
        }
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            Ended::Dropped("the server dropped the connection without a close frame".to_owned())
        }
        WsError::Io(e) => Ended::Dropped(format!("connection lost: {e}")),
        other => Ended::Failed(EventError::Protocol {
            url: url.to_owned(),
            reason: other.to_string(),
        }),
    }
}

/// Read until the connection ends, sending a text `ping` every `ping_interval`.
async fn pump(
    ws: &mut WsStream,
    url: &str,
    opts: &WsOptions,
    stop: &mut Stop,
    hooks: &mut impl WsHooks,
) -> Pumped {
    let mut ping =
        tokio::time::interval_at(Instant::now() + opts.ping_interval, opts.ping_interval);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut second = tokio::time::interval_at(
        Instant::now() + Duration::from_secs(1),
        Duration::from_secs(1),
    );
    second.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_rx = Instant::now();
    loop {
        let idle_deadline = last_rx + opts.idle_timeout;
        tokio::select! {
            () = stopped(stop) => {
                // Best effort: a server that does not answer the close in a second is left.
                if tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await.is_err() {
                    log::debug!(
                        "{}: no answer to our close frame",
                        crate::model::redact::redact_urls(url)
                    );
                }
                return Ended::Stopped.into();
            }
            _ = ping.tick() => {
                match tokio::time::timeout(opts.connect_timeout, ws.send(Message::text("ping"))).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => return classify(url, e).into(),
                    Err(_) => return Ended::Dropped(format!("could not send a ping within {} ms", millis(opts.connect_timeout))).into(),
                }
            }
            _ = second.tick() => {
                if hooks.tick() == Flow::Stop {
                    return Ended::ConsumerGone.into();
                }
            }
            () = tokio::time::sleep_until(idle_deadline) => {
                return Ended::Dropped(format!("nothing received for {} s (keepalives included)", opts.idle_timeout.as_secs())).into();
            }
            msg = ws.next() => {
                let Some(msg) = msg else { return Ended::Dropped("the connection ended".to_owned()).into() };
                last_rx = Instant::now();
                let flow = match msg {
                    Ok(Message::Text(t)) => hooks.payload(t.as_bytes()),
                    Ok(Message::Binary(b)) => hooks.payload(&b),
                    // Protocol pings are answered by tungstenite itself.
                    Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => Flow::Continue,
                    Ok(Message::Close(frame)) => {
                        return Pumped::Closed {
                            code: frame.as_ref().map(|f| u16::from(f.code)),
                            reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                        };
                    }
                    Err(e) => return classify(url, e).into(),
                };
                if flow == Flow::Stop {
                    return Ended::ConsumerGone.into();
                }
            }
        }
    }
}

/// One WebSocket URL as a [`Stream`]: the hooks handle payloads and judge close frames.
struct WsConn<'a, H> {
    url: &'a str,
    opts: &'a WsOptions,
    hooks: &'a mut H,
}

impl<H: WsHooks + Send> Stream for WsConn<'_, H> {
    type Conn = WsStream;

    async fn connect(&mut self) -> Result<WsStream, EventError> {
        connect(self.url, self.opts)
            .await
            .map_err(|e| self.hooks.handshake_error(e))
    }

    async fn pump(&mut self, mut ws: WsStream, stop: &mut Stop) -> Ended {
        match pump(&mut ws, self.url, self.opts, stop, self.hooks).await {
            Pumped::Ended(e) => e,
            Pumped::Closed { code, reason } => {
                if let Some(e) = code.and_then(|c| self.hooks.close_error(c)) {
                    return Ended::Failed(e);
                }
                Ended::Dropped(match code {
                    Some(c) if reason.is_empty() => {
                        format!("the server closed the connection (code {c})")
                    }
                    Some(c) => format!("the server closed the connection (code {c}: {reason})"),
                    None => "the server closed the connection".to_owned(),
                })
            }
        }
    }

    fn state(&mut self, state: ConnectionState) -> Delivery {
        self.hooks.state(state)
    }
}

/// Connect to `url` and keep a connection open until `stop` flips, the consumer goes away or a
/// permanent error (bad URL, a close code the hooks call permanent) ends it.
pub(crate) async fn supervise(
    url: &str,
    opts: &WsOptions,
    stop: Stop,
    hooks: &mut (impl WsHooks + Send),
) {
    let schedule = StreamSchedule {
        backoff_base: opts.backoff_base,
        backoff_max: opts.backoff_max,
        stable_after: opts.stable_after,
    };
    stream_loop(WsConn { url, opts, hooks }, schedule, stop).await;
}

/// Percent-encode a query-string value (RFC 3986 unreserved characters and `,` pass through).
pub(crate) fn encode_query_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b',') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `base` (`ws://`, `wss://`, `http://` or `https://`, any trailing `/` dropped) joined with
/// `path` and the query `pairs` (values encoded; pairs with empty values left out).
pub(crate) fn build_url(base: &str, path: &str, pairs: &[(&str, String)]) -> String {
    let base = base.trim().trim_end_matches('/');
    let base = if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else {
        base.to_owned()
    };
    let mut url = base;
    if !path.is_empty() && !path.starts_with('/') {
        url.push('/');
    }
    url.push_str(path);
    let mut sep = if url.contains('?') { '&' } else { '?' };
    for (k, v) in pairs {
        if v.is_empty() {
            continue;
        }
        url.push(sep);
        url.push_str(&encode_query_value(k));
        url.push('=');
        url.push_str(&encode_query_value(v));
        sep = '&';
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_joined_and_encoded() {
        assert_eq!(
            build_url(
                "http://h:8000/",
                "/ws/monitor",
                &[("types", "a,b".into()), ("project_id", String::new())]
            ),
            "ws://h:8000/ws/monitor?types=a,b"
        );
        assert_eq!(
            build_url("wss://h", "ws/x", &[("q", "a b&c".into())]),
            "wss://h/ws/x?q=a%20b%26c"
        );
        assert_eq!(
            build_url("ws://h/p?token=1", "", &[("k", "v".into())]),
            "ws://h/p?token=1&k=v"
        );
    }
}
