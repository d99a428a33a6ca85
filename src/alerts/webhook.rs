//! Webhooks: Discord (`{"content": …}`), Slack (`{"text": …}`) and generic JSON (the
//! [`AlertEvent`] itself), POSTed with a timeout and retried with backoff on 5xx, 429, timeouts
//! and connection errors. Webhook URLs carry tokens, so a URL is a [`SecretUrl`]: every message,
//! error and `Debug` shows `scheme://host/…` only. Nothing here logs or returns the full URL.

use std::fmt;
use std::time::Duration;

use super::AlertEvent;

/// A URL that holds a secret (a webhook token in its path or query). `Debug` and `Display`
/// show only `scheme://host[:port]/…`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    /// Wrap a URL.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// `scheme://host[:port]/…`, safe to show.
    #[must_use]
    pub fn redacted(&self) -> String {
        match reqwest::Url::parse(&self.0) {
            Ok(u) => {
                let host = u.host_str().unwrap_or("?");
                match u.port() {
                    Some(p) => format!("{}://{host}:{p}/…", u.scheme()),
                    None => format!("{}://{host}/…", u.scheme()),
                }
            }
            Err(_) => "<unparsable URL>".to_owned(),
        }
    }

    /// The URL itself — only to make the request.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every trace of this URL (whole, its path and query, long path segments)
    /// replaced by the redacted form.
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.replace(&self.0, &self.redacted());
        if let Ok(u) = reqwest::Url::parse(&self.0) {
            let mut secrets: Vec<String> = u
                .path_segments()
                .into_iter()
                .flatten()
                .filter(|s| s.len() >= 6)
                .map(str::to_owned)
                .collect();
            if let Some(q) = u.query().filter(|q| !q.is_empty()) {
                secrets.push(q.to_owned());
            }
            if u.path().len() > 1 {
                secrets.insert(0, u.path().to_owned());
            }
            for s in secrets {
                out = out.replace(&s, "…");
            }
        }
        out
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({})", self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Which payload a webhook takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    /// Discord: `{"content": "…"}`.
    Discord,
    /// Slack (incoming webhook): `{"text": "…"}`.
    Slack,
    /// Any receiver: the [`AlertEvent`] as JSON.
    Json,
}

impl WebhookKind {
    /// Every kind.
    pub const ALL: [Self; 3] = [Self::Discord, Self::Slack, Self::Json];

    /// Config name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Discord => "discord",
            Self::Slack => "slack",
            Self::Json => "json",
        }
    }

    /// Parse a config name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One configured webhook. `Debug` never shows the URL's secret part.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// Payload shape.
    pub kind: WebhookKind,
    /// Where to POST.
    pub url: SecretUrl,
    /// Environment variable the URL came from (named in error hints).
    pub url_env: Option<String>,
    /// Timeout of each try (connect, send, response headers).
    pub timeout: Duration,
    /// Tries in all before giving up (at least 1).
    pub max_tries: u32,
    /// Wait before the second try; doubled before each further one.
    pub backoff: Duration,
}

/// Default timeout of one try.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default number of tries.
pub const DEFAULT_TRIES: u32 = 3;
/// Default first backoff.
pub const DEFAULT_BACKOFF: Duration = Duration::from_secs(1);

impl Webhook {
    /// A webhook with the default timeout, tries and backoff.
    #[must_use]
    pub fn new(kind: WebhookKind, url: SecretUrl) -> Self {
        Self {
            kind,
            url,
            url_env: None,
            timeout: DEFAULT_TIMEOUT,
            max_tries: DEFAULT_TRIES,
            backoff: DEFAULT_BACKOFF,
        }
    }

    fn hint(&self) -> String {
        match &self.url_env {
            Some(v) => format!("check the URL in ${v}"),
            None => "check the webhook URL".to_owned(),
        }
    }
}

/// A webhook delivery that did not succeed. Messages carry the redacted URL only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Every try failed with a retryable error.
    #[error(
        "{kind} webhook {url}: gave up after {tries} tries; last error: {last}; is the receiver up and reachable? ({hint})"
    )]
    GaveUp {
        /// Webhook kind.
        kind: &'static str,
        /// Redacted URL.
        url: String,
        /// Tries made.
        tries: u32,
        /// The last error (scrubbed of the URL).
        last: String,
        /// What to check.
        hint: String,
    },
    /// The receiver refused the request (4xx other than 429): not retried.
    #[error(
        "{kind} webhook {url}: rejected with HTTP {status}, not retried; {hint} (a revoked or mistyped token gives 401/403/404)"
    )]
    Rejected {
        /// Webhook kind.
        kind: &'static str,
        /// Redacted URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// What to check.
        hint: String,
    },
    /// The request could not even be built (e.g. an invalid URL).
    #[error("{kind} webhook {url}: cannot send: {reason}; {hint}")]
    Invalid {
        /// Webhook kind.
        kind: &'static str,
        /// Redacted URL.
        url: String,
        /// Why (scrubbed of the URL).
        reason: String,
        /// What to check.
        hint: String,
    },
}

/// The text of a chat message for `event`: the summary line, then the explanation.
#[must_use]
pub fn message_text(event: &AlertEvent) -> String {
    format!(
        "{}\n{} (at {})",
        event.summary(),
        event.message,
        crate::format::timestamp(event.at)
    )
}

/// The JSON body `kind` takes for `event`.
#[must_use]
pub fn payload(kind: WebhookKind, event: &AlertEvent) -> serde_json::Value {
    match kind {
        // Discord caps `content` at 2000 characters.
        WebhookKind::Discord => {
            serde_json::json!({ "content": message_text(event).chars().take(2000).collect::<String>() })
        }
        WebhookKind::Slack => serde_json::json!({ "text": message_text(event) }),
        WebhookKind::Json => serde_json::to_value(event)
            .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() })),
    }
}

/// The innermost cause of a transport error, without the URL, scrubbed.
fn transport_reason(hook: &Webhook, e: reqwest::Error) -> String {
    let timeout = e.is_timeout();
    let e = e.without_url();
    let mut reason = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        reason = s.to_string();
        src = s.source();
    }
    if timeout {
        reason = format!("timed out after {} ms", hook.timeout.as_millis());
    }
    hook.url.scrub(&reason)
}

/// POST `event` to `hook`, retrying retryable failures with backoff. Returns the number of tries
/// it took.
///
/// # Errors
/// [`WebhookError::GaveUp`] after `max_tries` retryable failures, [`WebhookError::Rejected`] on a
/// 4xx, [`WebhookError::Invalid`] when the request cannot be built.
pub async fn send(
    client: &reqwest::Client,
    hook: &Webhook,
    event: &AlertEvent,
) -> Result<u32, WebhookError> {
    let kind = hook.kind.as_str();
    let url = hook.url.redacted();
    let body = payload(hook.kind, event);
    let tries = hook.max_tries.max(1);
    let mut wait = hook.backoff;
    let mut last = String::new();
    for attempt in 1..=tries {
        let request = client
            .post(hook.url.expose())
            .timeout(hook.timeout)
            .json(&body);
        let outcome = tokio::time::timeout(hook.timeout, request.send()).await;
        last = match outcome {
            Err(_) => format!("timed out after {} ms", hook.timeout.as_millis()),
            Ok(Ok(resp)) if resp.status().is_success() => return Ok(attempt),
            Ok(Ok(resp)) => {
                let status = resp.status();
                if !(status.is_server_error() || status.as_u16() == 429) {
                    return Err(WebhookError::Rejected {
                        kind,
                        url,
                        status: status.as_u16(),
                        hint: hook.hint(),
                    });
                }
                format!("HTTP {}", status.as_u16())
            }
            Ok(Err(e)) if e.is_builder() => {
                return Err(WebhookError::Invalid {
                    kind,
                    url,
                    reason: transport_reason(hook, e),
                    hint: hook.hint(),
                });
            }
            Ok(Err(e)) => transport_reason(hook, e),
        };
        if attempt < tries {
            log::warn!(
                "{kind} webhook {url}: try {attempt}/{tries} failed ({last}); retrying in {} ms",
                wait.as_millis()
            );
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
    }
    Err(WebhookError::GaveUp {
        kind,
        url,
        tries,
        last,
        hint: hook.hint(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::float_cmp)]
mod tests {
    use super::*;

    const URL: &str = "https://discord.example.com:8443/api/webhooks/1234567/s3cr3tT0k3n?wait=true";

    #[test]
    fn secret_urls_never_show_their_path() {
        let u = SecretUrl::new(URL);
        assert_eq!(u.redacted(), "https://discord.example.com:8443/…");
        assert_eq!(
            format!("{u:?}"),
            "SecretUrl(https://discord.example.com:8443/…)"
        );
        let hook = Webhook::new(WebhookKind::Discord, u.clone());
        let dbg = format!("{hook:?}");
        assert!(
            !dbg.contains("s3cr3tT0k3n") && !dbg.contains("1234567"),
            "{dbg}"
        );
        let scrubbed = u.scrub(&format!(
            "error for {URL}: bad path /api/webhooks/1234567/s3cr3tT0k3n, token s3cr3tT0k3n"
        ));
        assert!(
            !scrubbed.contains("s3cr3tT0k3n") && !scrubbed.contains("1234567"),
            "{scrubbed}"
        );
        assert_eq!(SecretUrl::new("not a url").redacted(), "<unparsable URL>");
    }

    #[test]
    fn kinds_parse() {
        assert_eq!(WebhookKind::from_name("slack"), Some(WebhookKind::Slack));
        assert_eq!(WebhookKind::from_name("teams"), None);
    }
}
