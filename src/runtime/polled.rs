//! Prometheus targets and status endpoints as polled sources: GET → parse → map into a model
//! update, run by the framework's `poll_loop`. They live here rather than under `sources/`
//! because their settings are the config's own types (`config::PrometheusTarget`,
//! `config::StatusEndpoint`); the parsing and mapping they call are in `sources/`.

use std::time::SystemTime;

use crate::config::{PrometheusTarget, StatusEndpoint};
use crate::model::ids::{SourceId, SourceKind};
use crate::model::input::{SourceError, SourceUpdate};
use crate::model::scrape::ScrapeData;
use crate::model::status::ClusterStatus;
use crate::sources::framework::Poll;
use crate::sources::http::TlsSettings;
use crate::sources::{http, mapping, prometheus, status};

/// Ids of the sources a config describes.
#[must_use]
pub fn prometheus_id(t: &PrometheusTarget) -> SourceId {
    SourceId::new(t.node.clone(), SourceKind::Prometheus, t.url.clone())
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
            "TLS certificate verification is OFF for {url} (`tls_insecure_skip_verify = true`): \
             anyone on the network path can read and change what it answers; outside a lab, \
             set `ca_file` to the cluster's CA instead"
        );
    }
    if tls.is_default() {
        Ok(shared.clone())
    } else {
        http::client_with(tls)
    }
}

/// Fetch, parse and map one Prometheus target.
///
/// # Errors
/// The request failed, or the body held no metric at all.
pub async fn scrape_once(
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
        },
    )
    .await?;
    let format = prometheus::detect_format(fetched.content_type.as_deref(), &fetched.body);
    let exp = prometheus::parse(&fetched.body, format);
    if exp.families.is_empty() && !exp.errors.is_empty() {
        let first = &exp.errors[0];
        return Err(SourceError::Decode {
            url: t.url.clone(),
            reason: format!(
                "no metric could be read ({} error(s), first: {first}); is this a Prometheus /metrics endpoint?",
                exp.errors.len()
            ),
        });
    }
    Ok(mapping::map(&exp, t.kind, fetched.body.len()))
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
        },
    )
    .await?;
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
