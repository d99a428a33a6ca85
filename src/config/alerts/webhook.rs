//! Webhook settings: which payload a webhook takes ([`WebhookKind`]), where it posts (a
//! [`SecretUrl`], since webhook URLs carry tokens: `Debug`, `Display` and every message show
//! `scheme://host/…` only) and how hard it tries. Plain data; delivery lives in
//! `src/alerts/webhook.rs`.

use std::fmt;
use std::time::Duration;

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
    /// Any receiver: the alert event as JSON.
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
