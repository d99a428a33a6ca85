//! The OpenClaw gateway's `POST /tools/invoke` with `{"tool":"sessions_list",
//! "args":{"activeMinutes":N}}` (DATA-SOURCES §7), bearer token from an environment variable
//! (`OPENCLAW_GATEWAY_TOKEN` by default). 401/404/429 become errors that say what to do. The
//! answer is `{ok, result}`; the tool's result is `{count, sessions}`, which the gateway may wrap
//! as `{content:[{type:"text",text:"<json>"}], details:{…}}` — every shape is read.

use std::time::{Duration, SystemTime};

use super::openclaw::RawEntry;
use crate::model::ids::{SourceId, SourceKind};
use crate::model::input::{
    EventError, EventUpdate, SessionInfo, SessionsOrigin, SessionsReport, SourceUpdate,
};
use crate::sources::framework::{Poll, PollSchedule, Sink, SourceTask, Stop, poll_loop};

/// The gateway source's settings.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Id of this source.
    pub id: SourceId,
    /// Gateway base URL, e.g. `http://127.0.0.1:18789`.
    pub url: String,
    /// Environment variable holding the bearer token.
    pub token_env: String,
    /// `activeMinutes` asked for: sessions updated within this many minutes.
    pub active_minutes: u32,
    /// How often to ask.
    pub interval: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Body-size cap, bytes.
    pub max_body_bytes: usize,
}

impl GatewayConfig {
    /// Defaults for the gateway at `url`: token from `OPENCLAW_GATEWAY_TOKEN`, sessions active
    /// in the last 60 minutes, every 15 s.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        Self {
            id: SourceId::new("swarm", SourceKind::OpenclawGateway, url.clone()),
            url,
            token_env: "OPENCLAW_GATEWAY_TOKEN".into(),
            active_minutes: 60,
            interval: Duration::from_secs(15),
            timeout: Duration::from_secs(5),
            max_body_bytes: 8 << 20,
        }
    }

    /// `<url>/tools/invoke`.
    #[must_use]
    pub fn invoke_url(&self) -> String {
        format!("{}/tools/invoke", self.url.trim_end_matches('/'))
    }

    /// The token from `token_env`, if set and not empty.
    #[must_use]
    pub fn token_from_env(&self) -> Option<String> {
        std::env::var(&self.token_env)
            .ok()
            .filter(|t| !t.trim().is_empty())
    }
}

fn rows_of(v: &serde_json::Value) -> Option<&Vec<serde_json::Value>> {
    v.as_array()
        .or_else(|| v.get("sessions").and_then(serde_json::Value::as_array))
}

fn agent_of(key: &str) -> String {
    // Keys look like `agent:<agentId>:<rest>`.
    key.strip_prefix("agent:")
        .and_then(|r| r.split(':').next())
        .filter(|a| !a.is_empty())
        .unwrap_or("unknown")
        .to_owned()
}

/// Read the gateway's answer to `sessions_list`.
///
/// # Errors
/// [`EventError::Gateway`] for `{"ok": false}`; [`EventError::Malformed`] when no session list
/// can be found in the answer.
pub fn parse_gateway_response(body: &[u8], url: &str) -> Result<Vec<SessionInfo>, EventError> {
    let v: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| EventError::malformed(format!("gateway answer is not JSON: {e}"), body))?;
    if v.get("ok").and_then(serde_json::Value::as_bool) == Some(false) {
        let reason = match v.get("error") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(e) => e
                .get("message")
                .and_then(serde_json::Value::as_str)
                .map_or_else(|| e.to_string(), str::to_owned),
            None => "no reason given".to_owned(),
        };
        return Err(EventError::Gateway {
            url: url.to_owned(),
            tool: "sessions_list".into(),
            reason,
        });
    }
    let result = v.get("result").unwrap_or(&v);
    // The tool's JSON may sit in `details`, directly in `result`, or as text in `content`.
    let from_text: Option<serde_json::Value> = result
        .get("content")
        .and_then(serde_json::Value::as_array)
        .and_then(|parts| {
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(serde_json::Value::as_str))
                .find_map(|t| {
                    serde_json::from_str::<serde_json::Value>(t)
                        .ok()
                        .filter(|j| rows_of(j).is_some())
                })
        });
    let rows = result
        .get("details")
        .and_then(rows_of)
        .or_else(|| rows_of(result))
        .or_else(|| from_text.as_ref().and_then(rows_of))
        .ok_or_else(|| EventError::malformed("no `sessions` list in the gateway's answer", body))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Ok(raw) = serde_json::from_value::<RawEntry>(row.clone()) else {
            continue;
        };
        let Some(key) = raw.key.0.clone().or_else(|| raw.session_id.0.clone()) else {
            continue;
        };
        let agent = agent_of(&key);
        out.push(raw.into_info(&agent, key));
    }
    out.sort_by(|a, b| (&a.agent_id, &a.key).cmp(&(&b.agent_id, &b.key)));
    Ok(out)
}

fn status_error(
    cfg: &GatewayConfig,
    status: u16,
    had_token: bool,
    retry_after: Option<&str>,
) -> EventError {
    let env = &cfg.token_env;
    let hint = match status {
        401 | 403 if !had_token => format!("; no token sent: set {env} (config `token_env`) to the gateway's token"),
        401 | 403 => format!("; the gateway refused the token: set {env} to gateway.auth.token (or the gateway password)"),
        404 => "; no `sessions_list` here: the tool is denied by the gateway's tool policy, or the gateway predates /tools/invoke — check `url`".into(),
        429 => format!(
            "; rate limited after too many failed logins: check {env}, then wait{}",
            retry_after.map(|s| format!(" (Retry-After: {s} s)")).unwrap_or_default()
        ),
        _ => String::new(),
    };
    EventError::HttpStatus {
        url: cfg.invoke_url(),
        status,
        hint,
    }
}

/// Ask the gateway for its sessions once.
///
/// # Errors
/// Timeout, connection failure, 401/404/429 (each with what to do), a body over the cap, or an
/// answer without a session list.
pub async fn invoke_sessions_list(
    client: &reqwest::Client,
    cfg: &GatewayConfig,
    token: Option<&str>,
) -> Result<SessionsReport, EventError> {
    let url = cfg.invoke_url();
    let body =
        serde_json::json!({"tool": "sessions_list", "args": {"activeMinutes": cfg.active_minutes}});
    let work = async {
        let mut rb = client.post(&url).json(&body);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        let mut resp = rb.send().await.map_err(|e| EventError::Connect {
            url: url.clone(),
            reason: innermost(&e),
        })?;
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            return Err(status_error(
                cfg,
                status,
                token.is_some(),
                retry_after.as_deref(),
            ));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| EventError::Connect {
            url: url.clone(),
            reason: innermost(&e),
        })? {
            if bytes.len() + chunk.len() > cfg.max_body_bytes {
                return Err(EventError::BodyTooLarge {
                    url: url.clone(),
                    cap_bytes: cfg.max_body_bytes,
                    what_to_do:
                        "ask for fewer sessions: lower `active_minutes` in [[openclaw_gateway]]"
                            .into(),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        let sessions = parse_gateway_response(&bytes, &url)?;
        Ok(SessionsReport {
            origin: SessionsOrigin::Gateway { url: url.clone() },
            sessions,
            skipped: 0,
            problems: Vec::new(),
        })
    };
    match tokio::time::timeout(cfg.timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(EventError::Timeout {
            url: url.clone(),
            timeout_ms: u64::try_from(cfg.timeout.as_millis()).unwrap_or(u64::MAX),
        }),
    }
}

fn innermost(e: &reqwest::Error) -> String {
    let mut reason = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        reason = s.to_string();
        src = s.source();
    }
    reason
}

/// The gateway as a polled source.
struct GatewayPoll {
    cfg: GatewayConfig,
    client: reqwest::Client,
}

impl Poll for GatewayPoll {
    async fn poll(&mut self) -> Option<SourceUpdate> {
        // The token is read each time, so setting it takes effect without a restart.
        let token = self.cfg.token_from_env();
        let result = invoke_sessions_list(&self.client, &self.cfg, token.as_deref()).await;
        Some(SourceUpdate::agents(EventUpdate::Sessions {
            source: self.cfg.id.clone(),
            at: SystemTime::now(),
            result,
        }))
    }
}

/// Ask every `interval` (backing off while the gateway fails) until `stop` flips; each poll
/// sends one [`EventUpdate::Sessions`].
pub async fn run_gateway(cfg: GatewayConfig, client: reqwest::Client, sink: Sink, stop: Stop) {
    let schedule = PollSchedule::every(cfg.interval);
    poll_loop(GatewayPoll { cfg, client }, schedule, sink, stop).await;
}

/// [`run_gateway`] on the current tokio runtime.
#[must_use]
pub fn spawn_gateway(cfg: GatewayConfig, client: reqwest::Client, sink: Sink) -> SourceTask {
    SourceTask::spawn(move |stop| run_gateway(cfg, client, sink, stop))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_shape_is_read() {
        let fixture = std::fs::read(format!(
            "{}/tests/fixtures/events/gateway/sessions_list.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let s = parse_gateway_response(&fixture, "u").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].agent_id, "main");
        assert!(s[0].started_at.is_some());
        let direct = br#"{"ok":true,"result":{"count":1,"sessions":[{"key":"agent:ops:x","totalTokens":9}]}}"#;
        let s = parse_gateway_response(direct, "u").unwrap();
        assert_eq!(
            (s[0].agent_id.as_str(), s[0].total_tokens),
            ("ops", Some(9))
        );
        let text = br#"{"ok":true,"result":{"content":[{"type":"text","text":"{\"count\":1,\"sessions\":[{\"key\":\"k\"}]}"}]}}"#;
        assert_eq!(
            parse_gateway_response(text, "u").unwrap()[0].agent_id,
            "unknown"
        );
        let refused = br#"{"ok":false,"error":{"type":"forbidden","message":"tool not allowed"}}"#;
        let e = parse_gateway_response(refused, "u").unwrap_err();
        assert!(e.to_string().contains("tool not allowed"), "{e}");
        assert_eq!(
            parse_gateway_response(br#"{"ok":true,"result":{}}"#, "u")
                .unwrap_err()
                .kind(),
            "malformed"
        );
    }
}
