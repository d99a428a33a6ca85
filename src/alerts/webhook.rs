//! Webhooks: Discord (`{"content": …}`), Slack (`{"text": …}`) and generic JSON (the
//! [`AlertEvent`] itself), POSTed with a timeout and retried with backoff on 5xx, 429, timeouts
//! and connection errors. Webhook URLs carry tokens, so a URL is a [`SecretUrl`](crate::config::alerts::webhook::SecretUrl): every message,
//! error and `Debug` shows `scheme://host/…` only. Nothing here logs or returns the full URL.
//! A payload never holds a password from a source's URL either ([`payload`] redacts it).

use super::AlertEvent;
use crate::config::alerts::webhook::{Webhook, WebhookKind};
use crate::model::redact::redact_urls;

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

/// The JSON body `kind` takes for `event`, with every URL's password taken out of every text
/// in it ([`redact_urls`]): a payload leaves the machine.
#[must_use]
pub fn payload(kind: WebhookKind, event: &AlertEvent) -> serde_json::Value {
    redacted(match kind {
        // Discord caps `content` at 2000 characters.
        WebhookKind::Discord => {
            serde_json::json!({ "content": message_text(event).chars().take(2000).collect::<String>() })
        }
        WebhookKind::Slack => serde_json::json!({ "text": message_text(event) }),
        WebhookKind::Json => serde_json::to_value(event)
            .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() })),
    })
}

/// `value` with [`redact_urls`] applied to every string in it.
fn redacted(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => match redact_urls(&s) {
            std::borrow::Cow::Borrowed(_) => Value::String(s),
            std::borrow::Cow::Owned(r) => Value::String(r),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(redacted).collect()),
        Value::Object(fields) => {
            Value::Object(fields.into_iter().map(|(k, v)| (k, redacted(v))).collect())
        }
        other => other,
    }
}

/// What to check, naming the variable the URL came from.
fn hint(hook: &Webhook) -> String {
    match &hook.url_env {
        Some(v) => format!("check the URL in ${v}"),
        None => "check the webhook URL".to_owned(),
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
                        hint: hint(hook),
                    });
                }
                format!("HTTP {}", status.as_u16())
            }
            Ok(Err(e)) if e.is_builder() => {
                return Err(WebhookError::Invalid {
                    kind,
                    url,
                    reason: transport_reason(hook, e),
                    hint: hint(hook),
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
        hint: hint(hook),
    })
}
