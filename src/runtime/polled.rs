//! Prometheus targets, Prometheus servers and status endpoints as polled sources: GET → parse → map into a model
//! update, run by the framework's `poll_loop`. They live here rather than under `sources/`
//! because their settings are the config's own types (`config::PrometheusTarget`,
//! `config::StatusEndpoint`); the parsing and mapping they call are in `sources/`.

use std::time::SystemTime;

use crate::config::{OllamaServer, PrometheusTarget, StatusEndpoint};
use crate::model::ids::{SourceId, SourceKind};
use crate::model::input::{SourceError, SourceUpdate};
use crate::model::redact::redact_urls;
use crate::model::scrape::{ScrapeData, ServerKind};
use crate::model::status::ClusterStatus;
use crate::sources::framework::Poll;
use crate::sources::http::TlsSettings;
pub use crate::sources::prometheus::exposition_body;
use crate::sources::promserver::PromServer;
use crate::sources::{http, mapping, prometheus, status};

/// Ids of the sources a config describes.
#[must_use]
pub fn prometheus_id(t: &PrometheusTarget) -> SourceId {
    SourceId::new(t.node.clone(), SourceKind::Prometheus, t.url.clone())
}

/// Id of a Prometheus server (the node of its targets is each target's own).
#[must_use]
pub fn promserver_id(s: &PromServer) -> SourceId {
    SourceId::new("fleet", SourceKind::PrometheusServer, s.url.clone())
}

/// Id of an Ollama server.
#[must_use]
pub fn ollama_id(o: &OllamaServer) -> SourceId {
    SourceId::new(o.node.clone(), SourceKind::Ollama, o.url.clone())
}

/// Id of a status endpoint.
#[must_use]
pub fn status_id(s: &StatusEndpoint) -> SourceId {
    SourceId::new("cluster", SourceKind::Status, s.url.clone())
}

/// The client of one target: the shared one, or its own when the config gives it TLS settings
/// (a CA file, a client certificate, no verification). Turning verification off is warned
/// about here, once per target, and shown per source in the snapshot.
///
/// # Errors
/// The target's TLS files cannot be used (the config checked them at load time).
pub(super) fn client_for(
    shared: &reqwest::Client,
    tls: &TlsSettings,
    url: &str,
) -> Result<reqwest::Client, SourceError> {
    if tls.insecure_skip_verify {
        log::warn!(
            "TLS certificate verification is OFF for {} (`tls_insecure_skip_verify = true`): \
             anyone on the network path can read and change what it answers; outside a lab, \
             set `ca_file` to the cluster's CA instead",
            redact_urls(url)
        );
    }
    if tls.is_default() {
        Ok(shared.clone())
    } else {
        http::client_with(tls)
    }
}

/// Fetch, parse and map one Prometheus target. A llama.cpp target whose `/metrics` is off
/// (HTTP 501 or 404: started without `--metrics`) is read from its `/slots` instead.
///
/// # Errors
/// The request failed, the body was empty, or it held no metric at all.
pub async fn scrape_once(
    client: &reqwest::Client,
    t: &PrometheusTarget,
) -> Result<ScrapeData, SourceError> {
    match metrics_once(client, t).await {
        Err(SourceError::HttpStatus {
            status: 404 | 501, ..
        }) if t.kind == Some(ServerKind::Llamacpp) => slots_once(client, t).await,
        other => other,
    }
}

/// llama.cpp's `/slots` beside the target's `/metrics` path.
async fn slots_once(
    client: &reqwest::Client,
    t: &PrometheusTarget,
) -> Result<ScrapeData, SourceError> {
    let base = t.url.trim_end_matches('/');
    let url = format!("{}/slots", base.strip_suffix("/metrics").unwrap_or(base));
    let fetched = http::get(
        client,
        http::Request {
            url: &url,
            timeout: t.timeout,
            max_body_bytes: t.max_body_bytes,
            bearer: t.bearer_token.as_deref(),
            basic: None,
            explain_errors: false,
            compress: true,
        },
    )
    .await
    .map_err(|e| match e {
        SourceError::HttpStatus { url, status, .. } => SourceError::HttpStatus {
            url,
            status,
            hint:
                "; /metrics is off too: start llama-server with --metrics (or without --no-slots)"
                    .to_owned(),
        },
        other => other,
    })?;
    crate::sources::slots::parse(&fetched.body)
        .map_err(|reason| SourceError::Decode { url, reason })
}

async fn metrics_once(
    client: &reqwest::Client,
    t: &PrometheusTarget,
) -> Result<ScrapeData, SourceError> {
    let fetched = http::get(
        client,
        http::Request {
            url: &t.url,
            timeout: t.timeout,
            max_body_bytes: t.max_body_bytes,
            bearer: t.bearer_token.as_deref(),
            basic: None,
            explain_errors: false,
            compress: true,
        },
    )
    .await?;
    read_scrape(
        &t.url,
        &fetched.body,
        fetched.content_type.as_deref(),
        t.kind,
    )
}

/// Parse and map one scrape's body (the pure half of [`scrape_once`]; the soak benchmark drives
/// it with a simulated clock).
///
/// # Errors
/// The body was empty, or it held no metric at all.
pub fn read_scrape(
    url: &str,
    raw: &[u8],
    content_type: Option<&str>,
    kind: Option<ServerKind>,
) -> Result<ScrapeData, SourceError> {
    let body = exposition_body(raw);
    if body.trim_ascii().is_empty() {
        return Err(SourceError::Decode {
            url: url.to_owned(),
            reason: "empty body: the server answered 200 with nothing; is this its /metrics path, and is the exporter up and serving?".to_owned(),
        });
    }
    let format = prometheus::detect_format(content_type, body);
    let exp = prometheus::parse(body, format);
    if exp.families.is_empty() && !exp.errors.is_empty() {
        let first = &exp.errors[0];
        return Err(SourceError::Decode {
            url: url.to_owned(),
            reason: format!(
                "no metric could be read ({} error(s), first: {first}); is this a Prometheus /metrics endpoint?",
                exp.errors.len()
            ),
        });
    }
    Ok(mapping::map(&exp, kind, raw.len()))
}

/// A Prometheus target as a polled source.
pub(super) struct PrometheusPoll {
    pub(super) id: SourceId,
    pub(super) target: PrometheusTarget,
    /// Its client, or why it has none (see [`client_for`]).
    pub(super) client: Result<reqwest::Client, SourceError>,
}

impl Poll for PrometheusPoll {
    async fn poll(&mut self) -> Option<SourceUpdate> {
        let result = match &self.client {
            Ok(client) => scrape_once(client, &self.target).await,
            Err(e) => Err(e.clone()),
        };
        Some(SourceUpdate::Scrape {
            source: self.id.clone(),
            at: SystemTime::now(),
            result,
        })
    }
}

/// Fetch and read one status endpoint.
///
/// # Errors
/// The request failed, or the body is not a status document.
pub async fn status_once(
    client: &reqwest::Client,
    s: &StatusEndpoint,
) -> Result<ClusterStatus, SourceError> {
    let fetched = http::get(
        client,
        http::Request {
            url: &s.url,
            timeout: s.timeout,
            max_body_bytes: s.max_body_bytes,
            bearer: None,
            basic: None,
            explain_errors: false,
            compress: true,
        },
    )
    .await
    .map_err(|e| match e {
        // A [[status]] endpoint has no token setting: say so rather than name a key it lacks.
        SourceError::HttpStatus {
            url,
            status: status @ (401 | 403),
            ..
        } => SourceError::HttpStatus {
            url,
            status,
            hint: "; [[status]] endpoints are read without a token: give the proxy's /status URL that needs none".to_owned(),
        },
        other => other,
    })?;
    status::parse(&fetched.body).map_err(|e| SourceError::Decode {
        url: s.url.clone(),
        reason: e.to_string(),
    })
}

/// A status endpoint as a polled source.
pub(super) struct StatusPoll {
    pub(super) id: SourceId,
    pub(super) endpoint: StatusEndpoint,
    /// Its client, or why it has none (see [`client_for`]).
    pub(super) client: Result<reqwest::Client, SourceError>,
}

impl Poll for StatusPoll {
    async fn poll(&mut self) -> Option<SourceUpdate> {
        let result = match &self.client {
            Ok(client) => status_once(client, &self.endpoint).await,
            Err(e) => Err(e.clone()),
        };
        Some(SourceUpdate::Status {
            source: self.id.clone(),
            at: SystemTime::now(),
            result,
        })
    }
}

/// A Prometheus server as a polled source: one refresh of every target it scrapes.
pub(super) struct PromServerPoll {
    pub(super) id: SourceId,
    pub(super) server: PromServer,
    /// Its client, or why it has none (see [`client_for`]).
    pub(super) client: Result<reqwest::Client, SourceError>,
}

impl Poll for PromServerPoll {
    async fn poll(&mut self) -> Option<SourceUpdate> {
        let result = match &self.client {
            Ok(client) => self.server.refresh(client).await,
            Err(e) => Err(e.clone()),
        };
        Some(SourceUpdate::Fleet {
            source: self.id.clone(),
            at: SystemTime::now(),
            result,
        })
    }
}

/// An Ollama server as a polled source.
pub(super) struct OllamaPoll {
    pub(super) id: SourceId,
    pub(super) server: OllamaServer,
    pub(super) client: reqwest::Client,
}

impl Poll for OllamaPoll {
    async fn poll(&mut self) -> Option<SourceUpdate> {
        let result =
            crate::sources::ollama::fetch(&self.client, &self.server.url, self.server.timeout)
                .await;
        Some(SourceUpdate::Scrape {
            source: self.id.clone(),
            at: SystemTime::now(),
            result,
        })
    }
}
