//! The one shared HTTP client: a timeout on every request, a cap on every body, bearer tokens.
//! Fetching only: callers parse what comes back.

use std::time::Duration;

use crate::model::input::SourceError;

/// Default cap on a response body (16 MiB): a large node_exporter is ~400 kB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// A fetched body and its content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The body, at most the cap.
    pub body: Vec<u8>,
    /// `Content-Type` header, if any.
    pub content_type: Option<String>,
}

/// Build the shared client. Connect timeout is bounded separately from the per-request one.
///
/// # Errors
/// When the TLS backend cannot be initialised.
pub fn client() -> Result<reqwest::Client, SourceError> {
    reqwest::Client::builder()
        .user_agent(concat!("swarmglass/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(5))
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| SourceError::Other(format!("cannot build the HTTP client: {e}")))
}

/// One request to fetch.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// URL to GET.
    pub url: &'a str,
    /// Whole-request timeout (connect, headers and body).
    pub timeout: Duration,
    /// Body-size cap.
    pub max_body_bytes: usize,
    /// Bearer token, if any.
    pub bearer: Option<&'a str>,
}

fn classify(url: &str, timeout: Duration, e: &reqwest::Error) -> SourceError {
    if e.is_timeout() {
        return SourceError::Timeout {
            url: url.to_owned(),
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        };
    }
    // reqwest wraps the cause several times ("error sending request for url (…): client error
    // (Connect): tcp connect error: Connection refused"); the innermost cause is the useful part.
    let mut reason = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        reason = s.to_string();
        src = s.source();
    }
    SourceError::Connect {
        url: url.to_owned(),
        reason,
    }
}

/// GET `req.url`, reading at most `req.max_body_bytes`.
///
/// # Errors
/// Timeout, connection failure, non-2xx status, or a body over the cap — each a [`SourceError`]
/// that names the URL.
pub async fn get(client: &reqwest::Client, req: Request<'_>) -> Result<Fetched, SourceError> {
    let Request {
        url,
        timeout,
        max_body_bytes,
        bearer,
    } = req;
    let work = async {
        let mut rb = client.get(url);
        if let Some(token) = bearer {
            rb = rb.bearer_auth(token);
        }
        let mut resp = rb.send().await.map_err(|e| classify(url, timeout, &e))?;
        let status = resp.status();
        if !status.is_success() {
            let hint = match status.as_u16() {
                401 | 403 if bearer.is_some() => {
                    "; the token was rejected: check the value of the variable `bearer_token_env` names (expired, or for another server?)"
                }
                401 | 403 => {
                    "; no token was sent: set `bearer_token_env` to the variable that holds the token"
                }
                404 => "; check the path in `url`",
                _ => "",
            };
            return Err(SourceError::HttpStatus {
                url: url.to_owned(),
                status: status.as_u16(),
                hint: hint.to_owned(),
            });
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if resp
            .content_length()
            .is_some_and(|n| n > max_body_bytes as u64)
        {
            return Err(SourceError::BodyTooLarge {
                url: url.to_owned(),
                cap_bytes: max_body_bytes,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| classify(url, timeout, &e))? {
            if body.len() + chunk.len() > max_body_bytes {
                return Err(SourceError::BodyTooLarge {
                    url: url.to_owned(),
                    cap_bytes: max_body_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { body, content_type })
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(SourceError::Timeout {
            url: url.to_owned(),
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        }),
    }
}
