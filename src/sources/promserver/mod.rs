//! A Prometheus-compatible query API as a source: the scale-out way to read a fleet. One
//! refresh asks a fixed set of instant queries ([`queries::refresh`]) of the server — never one
//! per node — and turns the answers into one model source per target ([`assemble`]). Plots
//! read the server's history through `query_range` ([`range`]).
//!
//! `api` decodes the answers; `queries` writes the PromQL; `assemble` maps answers to
//! targets. This file holds the settings and the two network calls.

pub mod api;
pub mod assemble;
pub mod queries;

use std::time::{Duration, SystemTime};

use crate::model::input::{FleetTarget, SourceError};
use crate::sources::http::{self, TlsSettings};

use api::{ApiError, InstantSeries, RangeSeries};

/// One `[[prometheus_server]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromServer {
    /// Base URL, e.g. `http://prometheus:9090` (VictoriaMetrics cluster:
    /// `http://vmselect:8481/select/0/prometheus`).
    pub url: String,
    /// How often to refresh.
    pub interval: Duration,
    /// Whole-refresh timeout (every query of one refresh together); also sent to the server
    /// as each query's `timeout`.
    pub timeout: Duration,
    /// The window of `rate` and `histogram_quantile` (at least 4 scrape intervals of the
    /// server's targets).
    pub window: Duration,
    /// Label matchers added to every query, e.g. `job=~"dcgm|vllm"`, `cluster="a"`.
    pub matchers: Vec<String>,
    /// Name of the environment variable that held the bearer token.
    pub bearer_token_env: Option<String>,
    /// The token, read at load time (never printed).
    pub bearer_token: Option<String>,
    /// Basic-auth user.
    pub basic_user: Option<String>,
    /// Name of the environment variable that held the basic-auth password.
    pub basic_password_env: Option<String>,
    /// The password, read at load time (never printed).
    pub basic_password: Option<String>,
    /// Most series one query may return.
    pub max_series: usize,
    /// Most bytes one answer may have.
    pub max_body_bytes: usize,
    /// How its HTTPS is checked.
    pub tls: TlsSettings,
}

impl PromServer {
    /// A server with defaults: refresh every 5 s, 10 s timeout, 1 m window, 100,000 series
    /// and 64 MiB per answer.
    #[must_use]
    pub fn new(url: &str) -> Self {
        Self {
            url: url.trim_end_matches('/').to_owned(),
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            window: Duration::from_secs(60),
            matchers: Vec::new(),
            bearer_token_env: None,
            bearer_token: None,
            basic_user: None,
            basic_password_env: None,
            basic_password: None,
            max_series: 100_000,
            max_body_bytes: 64 << 20,
            tls: TlsSettings::default(),
        }
    }

    fn request<'a>(&'a self, url: &'a str, timeout: Duration) -> http::Request<'a> {
        http::Request {
            url,
            timeout,
            max_body_bytes: self.max_body_bytes,
            bearer: self.bearer_token.as_deref(),
            basic: self
                .basic_user
                .as_deref()
                .map(|u| (u, self.basic_password.as_deref().unwrap_or(""))),
            explain_errors: true,
            // A server on this machine: compressing 10 MB of JSON a refresh costs it a fifth of
            // its query time, and nothing crosses a network.
            compress: !http::is_loopback(&self.url),
        }
    }

    fn api_url(&self, path: &str, params: &[(&str, String)]) -> Result<String, SourceError> {
        reqwest::Url::parse_with_params(&format!("{}/api/v1/{path}", self.url), params)
            .map(String::from)
            .map_err(|e| SourceError::Other(format!("{}: not a URL ({e})", self.url)))
    }

    fn decode_error(&self, promql: &str, e: &ApiError) -> SourceError {
        let mut q = promql.to_owned();
        if q.len() > 120 {
            q.truncate(q.floor_char_boundary(117));
            q.push_str("...");
        }
        SourceError::Decode {
            url: self.url.clone(),
            reason: format!("query `{q}`: {e}"),
        }
    }

    /// One instant query, at `at` (the server's now when `None`).
    ///
    /// # Errors
    /// The request failed, or the server refused the query.
    pub async fn instant(
        &self,
        client: &reqwest::Client,
        promql: &str,
        at: Option<SystemTime>,
    ) -> Result<Vec<InstantSeries<'static>>, SourceError> {
        let body = self.instant_body(client, promql, at).await?;
        self.decode_instant(promql, &body)
            .map(|v| v.into_iter().map(InstantSeries::into_owned).collect())
    }

    /// An instant query's answer, decoded: its labels borrow from `body`.
    fn decode_instant<'b>(
        &self,
        promql: &str,
        body: &'b [u8],
    ) -> Result<Vec<InstantSeries<'b>>, SourceError> {
        api::decode_vector(body, self.max_series).map_err(|e| self.decode_error(promql, &e))
    }

    /// An instant query's answer as the server sent it.
    async fn instant_body(
        &self,
        client: &reqwest::Client,
        promql: &str,
        at: Option<SystemTime>,
    ) -> Result<Vec<u8>, SourceError> {
        let mut params = vec![
            ("query", promql.to_owned()),
            ("timeout", queries::promql_duration(self.timeout)),
        ];
        if let Some(t) = at {
            params.push(("time", unix_secs(t)));
        }
        let url = self.api_url("query", &params)?;
        Ok(http::get(client, self.request(&url, self.timeout))
            .await?
            .body)
    }

    /// One refresh: every query of [`queries::refresh`] at once (at most 8 in flight), each
    /// answer decoded as it arrives, then [`assemble::assemble`]. One query failing fails the
    /// refresh (a half-read fleet would show figures of different moments side by side).
    ///
    /// # Errors
    /// The first query that failed, with the server's own words.
    pub async fn refresh(&self, client: &reqwest::Client) -> Result<Vec<FleetTarget>, SourceError> {
        self.refresh_at(client, None).await
    }

    /// [`Self::refresh`] as the fleet was at `at` (the server's now when `None`): every query
    /// evaluated at that one moment.
    ///
    /// # Errors
    /// The first query that failed, with the server's own words.
    pub async fn refresh_at(
        &self,
        client: &reqwest::Client,
        at: Option<SystemTime>,
    ) -> Result<Vec<FleetTarget>, SourceError> {
        Ok(self.refresh_timed(client, at).await?.0)
    }

    /// [`Self::refresh_at`], and how long it took after the last answer arrived (decoding that
    /// answer and assembling the targets): with the server's queries run side by side, a
    /// refresh lasts its slowest query plus this.
    ///
    /// # Errors
    /// The first query that failed, with the server's own words.
    pub async fn refresh_timed(
        &self,
        client: &reqwest::Client,
        at: Option<SystemTime>,
    ) -> Result<(Vec<FleetTarget>, Duration), SourceError> {
        use futures_util::StreamExt as _;
        let qs = queries::refresh(self.window, &self.matchers);
        let sem = tokio::sync::Semaphore::new(8);
        let mut pending: futures_util::stream::FuturesUnordered<_> = qs
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let sem = &sem;
                async move {
                    let _permit = sem.acquire().await;
                    (i, self.instant_body(client, &q.promql, at).await)
                }
            })
            .collect();
        // Each answer is decoded as soon as it arrives, while the server still works on the
        // others. Its series borrow their labels from its body, kept in its slot (set once).
        let bodies: Vec<std::sync::OnceLock<Vec<u8>>> =
            qs.iter().map(|_| std::sync::OnceLock::new()).collect();
        let mut answers: Vec<(queries::Role, Vec<InstantSeries<'_>>)> =
            qs.iter().map(|q| (q.role, Vec::new())).collect();
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut last = std::time::Instant::now();
        loop {
            match tokio::time::timeout_at(deadline, pending.next()).await {
                Ok(Some((i, result))) => {
                    last = std::time::Instant::now();
                    let body = result?;
                    let body = bodies[i].get_or_init(move || body);
                    answers[i].1 = self.decode_instant(&qs[i].promql, body)?;
                }
                Ok(None) => break,
                Err(_) => {
                    return Err(SourceError::Timeout {
                        url: self.url.clone(),
                        timeout_ms: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
                    });
                }
            }
        }
        let targets = assemble::assemble(&self.url, &answers);
        Ok((targets, last.elapsed()))
    }

    /// A range query: `promql` from `start` to `end` every `step`.
    ///
    /// # Errors
    /// The request failed or the server refused the query.
    pub async fn range(
        &self,
        client: &reqwest::Client,
        promql: &str,
        start: SystemTime,
        end: SystemTime,
        step: Duration,
    ) -> Result<Vec<RangeSeries>, SourceError> {
        let url = self.api_url(
            "query_range",
            &[
                ("query", promql.to_owned()),
                ("start", unix_secs(start)),
                ("end", unix_secs(end)),
                ("step", format!("{}", step.as_secs_f64().max(0.001))),
                ("timeout", queries::promql_duration(self.timeout)),
            ],
        )?;
        let body = http::get(client, self.request(&url, self.timeout))
            .await?
            .body;
        api::decode_matrix(&body, self.max_series).map_err(|e| self.decode_error(promql, &e))
    }
}

/// A time as the query API takes it: Unix seconds with a fraction.
fn unix_secs(t: SystemTime) -> String {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        .to_string()
}
