//! The one shared HTTP client: a timeout on every request, a cap on every body (decompressed
//! bodies included), bearer tokens, TLS settings per target (a CA file, a client certificate,
//! or, loudly, no verification at all), and transport failures told apart — a redirect loop, a
//! server that does not speak HTTP, a body cut short, a reset, TLS to a plain-HTTP port, an
//! untrusted certificate — each with what to do. Fetching only: callers parse what comes back.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use crate::model::input::SourceError;

/// Default cap on a response body (16 MiB): a large node_exporter is ~400 kB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 10;

/// Largest certificate or key file read (a CA bundle of every public root is ~250 kB).
const MAX_PEM_BYTES: u64 = 4 * 1024 * 1024;

/// A fetched body and its content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The body, at most the cap (decompressed, when the server compressed it).
    pub body: Vec<u8>,
    /// `Content-Type` header, if any.
    pub content_type: Option<String>,
}

/// How one target's HTTPS is checked: the config keys `ca_file`, `client_cert`, `client_key`
/// and `tls_insecure_skip_verify`. The default trusts this machine's CA certificates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TlsSettings {
    /// PEM file of CA certificates trusted besides the system's (e.g. a cluster's own CA).
    pub ca_file: Option<PathBuf>,
    /// PEM file of the client certificate (chain) to present.
    pub client_cert: Option<PathBuf>,
    /// PEM file of the client certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub client_key: Option<PathBuf>,
    /// Accept any certificate: no verification at all. For lab clusters only; warned about.
    pub insecure_skip_verify: bool,
}

/// A TLS file that cannot be used, with the config key that names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TlsFileError {
    /// `ca_file`, `client_cert` or `client_key`.
    pub key: &'static str,
    /// What is wrong, naming the file.
    pub message: String,
    /// What to do.
    pub hint: String,
}

/// The TLS files of a [`TlsSettings`], read and checked.
struct LoadedTls {
    roots: Vec<reqwest::Certificate>,
    identity: Option<reqwest::Identity>,
}

impl TlsSettings {
    /// Nothing set: the system's CA certificates, no client certificate.
    #[must_use]
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Read every file the settings name and check it holds what it should, so a config with a
    /// missing or wrong file is refused at load time with the key that names it.
    ///
    /// # Errors
    /// The first file that cannot be read or holds no certificate (or key).
    pub fn check(&self) -> Result<(), TlsFileError> {
        self.load().map(drop)
    }

    fn load(&self) -> Result<LoadedTls, TlsFileError> {
        let mut roots = Vec::new();
        if let Some(path) = &self.ca_file {
            let pem = read_pem("ca_file", path)?;
            roots = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|certs| !certs.is_empty())
                .ok_or_else(|| TlsFileError {
                    key: "ca_file",
                    message: format!("{} holds no PEM certificate", path.display()),
                    hint: "give a PEM file with `-----BEGIN CERTIFICATE-----` blocks (convert DER with `openssl x509 -inform der`)".into(),
                })?;
        }
        let identity = match (&self.client_cert, &self.client_key) {
            (Some(cert), Some(key)) => {
                let mut pem = read_pem("client_cert", cert)?;
                pem.push(b'\n');
                pem.extend(read_pem("client_key", key)?);
                Some(reqwest::Identity::from_pem(&pem).map_err(|e| TlsFileError {
                    key: "client_cert",
                    message: format!(
                        "{} and {} are not a PEM certificate and its private key: {}",
                        cert.display(),
                        key.display(),
                        innermost(&e)
                    ),
                    hint: "give the certificate in `client_cert` and its unencrypted PKCS#8, RSA or EC key in `client_key`, both PEM".into(),
                })?)
            }
            (None, None) => None,
            (Some(_), None) | (None, Some(_)) => {
                let (key, other) = if self.client_cert.is_some() {
                    ("client_key", "client_cert")
                } else {
                    ("client_cert", "client_key")
                };
                return Err(TlsFileError {
                    key,
                    message: format!("`{other}` is set but `{key}` is not"),
                    hint: "a client certificate needs both `client_cert` and `client_key`".into(),
                });
            }
        };
        Ok(LoadedTls { roots, identity })
    }
}

fn read_pem(key: &'static str, path: &Path) -> Result<Vec<u8>, TlsFileError> {
    use std::io::Read as _;
    let fail = |reason: String| TlsFileError {
        key,
        message: format!("cannot read {}: {reason}", path.display()),
        hint: format!("point `{key}` at a readable PEM file"),
    };
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut pem = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut pem)
        .map_err(|e| fail(e.to_string()))?;
    if pem.len() as u64 > MAX_PEM_BYTES {
        return Err(fail(format!(
            "larger than {} MiB, not a certificate file",
            MAX_PEM_BYTES >> 20
        )));
    }
    Ok(pem)
}

/// Why this machine's CA certificates could not be loaded, once a client found out: `https://`
/// requests without a `ca_file` then fail, and say this.
static NO_SYSTEM_ROOTS: OnceLock<String> = OnceLock::new();

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(concat!("swarmglass/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(5))
        .pool_idle_timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::custom(redirect_policy))
}

/// Follow up to [`MAX_REDIRECTS`] redirects, but stop at once at a loop.
fn redirect_policy(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    if attempt.previous().contains(attempt.url()) {
        let chain: Vec<&str> = attempt
            .previous()
            .iter()
            .map(reqwest::Url::as_str)
            .collect();
        let message = format!(
            "redirects in a loop: {} → back to {}",
            chain.join(" → "),
            attempt.url()
        );
        return attempt.error(RedirectError(message));
    }
    if attempt.previous().len() > MAX_REDIRECTS {
        let message = format!(
            "redirects more than {MAX_REDIRECTS} times (the last to {})",
            attempt.url()
        );
        return attempt.error(RedirectError(message));
    }
    attempt.follow()
}

/// Why a redirect chain was not followed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct RedirectError(String);

/// Build the shared client with this machine's CA certificates. Connect timeout is bounded
/// separately from the per-request one. A machine without any CA certificate still gets a
/// client: plain `http://` works, and `https://` requests fail saying why.
///
/// # Errors
/// When the TLS backend cannot be initialised at all.
pub fn client() -> Result<reqwest::Client, SourceError> {
    client_with(&TlsSettings::default())
}

/// Build a client for one target's TLS settings (see [`TlsSettings`]).
///
/// # Errors
/// A TLS file that cannot be read or used (the config checks them at load time too), or a
/// TLS backend that cannot be initialised.
pub fn client_with(tls: &TlsSettings) -> Result<reqwest::Client, SourceError> {
    let loaded = tls.load().map_err(|e| {
        SourceError::Other(format!(
            "cannot set up TLS: `{}`: {}; {}",
            e.key, e.message, e.hint
        ))
    })?;
    let mut b = builder();
    if tls.insecure_skip_verify {
        b = b.tls_danger_accept_invalid_certs(true);
    } else if !loaded.roots.is_empty() {
        b = b.tls_certs_merge(loaded.roots);
    }
    if let Some(identity) = loaded.identity {
        b = b.identity(identity);
    }
    let needs_system_roots = !tls.insecure_skip_verify && tls.ca_file.is_none();
    match b.build() {
        Ok(c) => Ok(c),
        Err(e) if needs_system_roots => {
            // Most likely no CA bundle on this machine (a minimal container): keep plain HTTP
            // working; `https://` fails the certificate check, and `classify` says why.
            let reason = innermost(&e);
            if NO_SYSTEM_ROOTS.set(reason.clone()).is_ok() {
                log::warn!(
                    "cannot load this machine's CA certificates ({reason}); https:// targets \
                     without `ca_file` will fail — install the ca-certificates package or set \
                     SSL_CERT_FILE"
                );
            }
            let mut b = builder().tls_certs_only(Vec::new());
            if let Ok(loaded) = tls.load()
                && let Some(identity) = loaded.identity
            {
                b = b.identity(identity);
            }
            b.build().map_err(|e| {
                SourceError::Other(format!("cannot build the HTTP client: {}", innermost(&e)))
            })
        }
        Err(e) => Err(SourceError::Other(format!(
            "cannot build the HTTP client: {}",
            innermost(&e)
        ))),
    }
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
    /// Basic-auth user and password, if any.
    pub basic: Option<(&'a str, &'a str)>,
    /// On an error status, read the start of the body and say what the server said (a query
    /// API explains a refused query there).
    pub explain_errors: bool,
    /// Ask for a gzip-compressed answer (`false`: `Accept-Encoding: identity`). Compressing
    /// costs the server CPU that only pays off over a network; see [`is_loopback`].
    pub compress: bool,
}

/// Whether `url` names this machine (`localhost`, `127.0.0.0/8`, `::1`): no network to spare
/// by compressing an answer, only the server's CPU to spend on it.
#[must_use]
pub fn is_loopback(url: &str) -> bool {
    let Some(host) = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
    else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The innermost cause of an error: reqwest wraps it several times ("error sending request for
/// url (…): client error (Connect): tcp connect error: Connection refused").
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut reason = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        reason = s.to_string();
        src = s.source();
    }
    reason
}

/// The `std::io::ErrorKind` somewhere in an error's chain, if any.
fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = err.source();
    }
    None
}

/// Every message in an error's chain, outermost first, joined.
fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

fn transport(url: &str, problem: impl Into<String>, hint: impl Into<String>) -> SourceError {
    SourceError::Transport {
        url: url.to_owned(),
        problem: problem.into(),
        hint: hint.into(),
    }
}

/// What a transport failure means, in words a user can act on.
fn classify(url: &str, timeout: Duration, e: &reqwest::Error) -> SourceError {
    use std::io::ErrorKind;

    if e.is_timeout() {
        return SourceError::Timeout {
            url: url.to_owned(),
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        };
    }
    let reason = innermost(e);
    let text = chain_text(e);
    if e.is_redirect() {
        return transport(
            url,
            reason,
            "point `url` at the address that answers, not at one that redirects",
        );
    }
    let https = url
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
    if https && text.contains("InvalidContentType") {
        return transport(
            url,
            format!("answered the TLS handshake with something else ({reason})"),
            "this port speaks plain HTTP; use http:// in `url`",
        );
    }
    if https && (text.contains("invalid peer certificate") || text.contains("certificate verify")) {
        let hint = if text.contains("NotValidForName") {
            "the certificate is for another name: use a host name it names in `url`".to_owned()
        } else if text.contains("Expired") || text.contains("NotValidYet") {
            "the server's certificate is outside its validity dates (check its clock and renew it)"
                .to_owned()
        } else {
            match NO_SYSTEM_ROOTS.get() {
                Some(why) => format!(
                    "this machine has no CA certificates ({why}): install the ca-certificates package, or set `ca_file` to the CA that signed the server's certificate"
                ),
                None => "set `ca_file` to the CA that signed the server's certificate (for a lab cluster only: `tls_insecure_skip_verify = true`)".to_owned(),
            }
        };
        return transport(
            url,
            format!("the server's certificate is not trusted ({reason})"),
            hint,
        );
    }
    if https && text.contains("CertificateRequired") {
        return transport(
            url,
            format!("the server wants a client certificate ({reason})"),
            "set `client_cert` and `client_key`",
        );
    }
    if https && (text.contains("received fatal alert") || text.contains("peer is incompatible")) {
        return transport(
            url,
            format!("the TLS handshake failed ({reason})"),
            "check the server's TLS settings, and `client_cert`/`client_key` if it wants a client certificate",
        );
    }
    match io_kind(e) {
        Some(ErrorKind::ConnectionReset) if !e.is_connect() => {
            return transport(
                url,
                format!("reset the connection ({reason})"),
                "the server (or a firewall or proxy in between) dropped it; check the server's log",
            );
        }
        Some(ErrorKind::UnexpectedEof) if e.is_body() || text.contains("message length") => {
            return transport(
                url,
                format!("closed the connection before the whole body was sent ({reason})"),
                "the server or a proxy in between cut the answer short; check the server's log",
            );
        }
        _ => {}
    }
    // Body errors pass through the decompression layer, so a reset or a short body is a
    // "decode" error too: those were told apart above.
    if e.is_decode() {
        return SourceError::Decode {
            url: url.to_owned(),
            reason: format!(
                "the body does not decompress ({reason}); the server's `Content-Encoding` does not match what it sent"
            ),
        };
    }
    if text.contains("connection closed before message completed") {
        return transport(
            url,
            "closed the connection without answering",
            "the server accepted the request and hung up; check the server's log",
        );
    }
    if e.is_body() {
        return transport(
            url,
            format!("the body could not be read to its end ({reason})"),
            "the server or a proxy in between broke the answer off; check the server's log",
        );
    }
    if text.contains("invalid HTTP")
        || text.contains("received unexpected message")
        || text.contains("invalid URI")
        || text.contains("message head is too large")
    {
        return transport(
            url,
            format!("did not answer in HTTP ({reason})"),
            "is this the right port? Something else (SSH, Redis, a database) listens there",
        );
    }
    SourceError::Connect {
        url: url.to_owned(),
        reason,
    }
}

/// The start of an error answer's body, on one line (at most 300 characters).
async fn said_by_server(resp: &mut reqwest::Response) -> String {
    let mut body = Vec::new();
    while body.len() < 4096 {
        match resp.chunk().await {
            Ok(Some(c)) => body.extend_from_slice(&c),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(300).collect()
}

/// GET `req.url`, reading at most `req.max_body_bytes` (after decompression).
///
/// # Errors
/// Timeout, connection or TLS failure, a broken answer, non-2xx status, a body over the cap or
/// a compressed body the server did not say was compressed — each a [`SourceError`] that names
/// the URL.
pub async fn get(client: &reqwest::Client, req: Request<'_>) -> Result<Fetched, SourceError> {
    let Request {
        url,
        timeout,
        max_body_bytes,
        bearer,
        basic,
        explain_errors,
        compress,
    } = req;
    let work = async {
        let mut rb = client.get(url);
        if !compress {
            rb = rb.header(reqwest::header::ACCEPT_ENCODING, "identity");
        }
        if let Some(token) = bearer {
            rb = rb.bearer_auth(token);
        }
        if let Some((user, password)) = basic {
            rb = rb.basic_auth(user, Some(password));
        }
        let mut resp = rb.send().await.map_err(|e| classify(url, timeout, &e))?;
        let status = resp.status();
        if !status.is_success() {
            let hint = match status.as_u16() {
                401 | 403 if basic.is_some() => {
                    "; the user name or password was rejected: check `basic_user` and the variable `basic_password_env` names"
                }
                401 | 403 if bearer.is_some() => {
                    "; the token was rejected: check the value of the variable `bearer_token_env` names (expired, or for another server?)"
                }
                401 | 403 => {
                    "; no token was sent: set `bearer_token_env` to the variable that holds the token"
                }
                404 => "; check the path in `url`",
                _ => "",
            };
            let mut hint = hint.to_owned();
            if explain_errors {
                let said = said_by_server(&mut resp).await;
                if !said.is_empty() {
                    hint = format!("; the server said: {said}{hint}");
                }
            }
            return Err(SourceError::HttpStatus {
                url: url.to_owned(),
                status: status.as_u16(),
                hint,
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
        // Chunks come decompressed (gzip), so the cap bounds what is held in memory. Room for
        // the announced length up front: one allocation instead of a doubling series.
        let announced = resp
            .content_length()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0);
        let mut body = Vec::with_capacity(announced.min(max_body_bytes));
        while let Some(chunk) = resp.chunk().await.map_err(|e| classify(url, timeout, &e))? {
            if body.len() + chunk.len() > max_body_bytes {
                return Err(SourceError::BodyTooLarge {
                    url: url.to_owned(),
                    cap_bytes: max_body_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        if body.starts_with(&[0x1f, 0x8b]) {
            return Err(SourceError::Decode {
                url: url.to_owned(),
                reason: "the body is gzip-compressed but the server did not say so (no `Content-Encoding: gzip`); fix the server or the proxy in front of it".into(),
            });
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

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_urls_are_told_from_the_rest() {
        for url in [
            "http://localhost:9090",
            "http://LOCALHOST:9090/",
            "http://prom.localhost",
            "http://127.0.0.1:9090",
            "http://127.1.2.3",
            "https://[::1]:9090/api",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "http://prometheus:9090",
            "http://10.0.0.5:9090",
            "http://[2001:db8::1]:9090",
            "http://localhost.example.com",
            "not a url",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }
}
