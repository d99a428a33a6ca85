//! Ollama (`:11434`), which has no `/metrics`: its loaded models from `GET /api/ps` (name, VRAM,
//! size, when it unloads them, context length, parameter size, quantisation) and the installed
//! ones from `GET /api/tags`, as one scrape of kind `ollama` (a model row per loaded model).
//! `parse_ps`/`parse_tags` are pure; `fetch` reads both, and a failing `/api/tags` costs only
//! the installed count (a problem line), never the loaded models.

use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::model::input::SourceError;
use crate::model::scrape::{InferenceRaw, LoadedModel, ScrapeData, ServerKind};
use crate::model::time_fmt::parse_iso8601;
use crate::sources::http;

#[derive(Deserialize)]
struct Ps {
    #[serde(default)]
    models: Vec<PsModel>,
}

#[derive(Deserialize, Default)]
struct Details {
    #[serde(default)]
    parameter_size: Option<String>,
    #[serde(default)]
    quantization_level: Option<String>,
}

#[derive(Deserialize)]
struct PsModel {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    size_vram: Option<u64>,
    #[serde(default)]
    expires_at: Option<String>,
    #[serde(default)]
    context_length: Option<u64>,
    #[serde(default)]
    details: Option<Details>,
}

#[derive(Deserialize)]
struct Tags {
    #[serde(default)]
    models: Vec<serde::de::IgnoredAny>,
}

fn ms(t: SystemTime) -> Option<i64> {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_millis()).ok()
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|x| !x.trim().is_empty())
}

/// The loaded models of an `/api/ps` answer, one row each (in the server's order).
///
/// # Errors
/// Not the JSON `/api/ps` answers, in words.
pub fn parse_ps(body: &[u8]) -> Result<Vec<InferenceRaw>, String> {
    let ps: Ps = serde_json::from_slice(body)
        .map_err(|e| format!("not an Ollama /api/ps answer ({e}); is this Ollama's base URL?"))?;
    Ok(ps
        .models
        .into_iter()
        .map(|m| {
            let details = m.details.unwrap_or_default();
            InferenceRaw {
                model: nonempty(m.name).or_else(|| nonempty(m.model)),
                engines: 1,
                loaded: Some(LoadedModel {
                    vram_bytes: m.size_vram,
                    size_bytes: m.size,
                    expires_at_ms: m.expires_at.as_deref().and_then(parse_iso8601).and_then(ms),
                    context_length: m.context_length,
                    parameter_size: nonempty(details.parameter_size),
                    quantization: nonempty(details.quantization_level),
                    installed_models: None,
                }),
                ..InferenceRaw::default()
            }
        })
        .collect())
}

/// How many models an `/api/tags` answer lists.
///
/// # Errors
/// Not the JSON `/api/tags` answers, in words.
pub fn parse_tags(body: &[u8]) -> Result<usize, String> {
    serde_json::from_slice::<Tags>(body)
        .map(|t| t.models.len())
        .map_err(|e| format!("not an Ollama /api/tags answer ({e})"))
}

/// Read one Ollama server: `/api/ps`, then `/api/tags`.
///
/// # Errors
/// `/api/ps` could not be read or is not Ollama's answer.
pub async fn fetch(
    client: &reqwest::Client,
    base: &str,
    timeout: Duration,
) -> Result<ScrapeData, SourceError> {
    let base = base.trim_end_matches('/');
    let get = |path: &'static str| {
        let url = format!("{base}{path}");
        async move {
            let r = http::get(
                client,
                http::Request {
                    url: &url,
                    timeout,
                    max_body_bytes: 4 << 20,
                    bearer: None,
                    basic: None,
                    explain_errors: false,
                    compress: true,
                },
            )
            .await;
            (url, r)
        }
    };
    let (ps_url, ps) = get("/api/ps").await;
    let ps = ps?;
    let mut rows = parse_ps(&ps.body).map_err(|reason| SourceError::Decode {
        url: ps_url,
        reason,
    })?;
    let mut data = ScrapeData {
        kind: Some(ServerKind::Ollama),
        body_bytes: ps.body.len(),
        samples: rows.len(),
        ..ScrapeData::default()
    };
    let (tags_url, tags) = get("/api/tags").await;
    let installed = match tags {
        Ok(f) => parse_tags(&f.body).map_err(|e| format!("{tags_url}: {e}")),
        Err(e) => Err(e.to_string()),
    };
    match installed {
        Ok(n) => {
            for r in &mut rows {
                if let Some(l) = r.loaded.as_mut() {
                    l.installed_models = Some(n);
                }
            }
        }
        Err(why) => data
            .problems
            .push(format!("installed models unknown: {why}")),
    }
    data.inference = rows;
    Ok(data)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/ollama/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn loaded_models_with_vram_expiry_and_details() {
        let rows = parse_ps(&fixture("ps.json")).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].model.as_deref(), Some("llama3.1:8b"));
        let l = rows[1].loaded.as_ref().unwrap();
        assert_eq!(l.vram_bytes, Some(20_199_768_064));
        assert_eq!(l.size_bytes, Some(23_815_987_200));
        assert_eq!(l.context_length, Some(32768));
        assert_eq!(l.parameter_size.as_deref(), Some("32.8B"));
        assert_eq!(l.quantization.as_deref(), Some("Q4_K_M"));
        // 2026-12-01T20:35:44.002Z
        assert_eq!(l.expires_at_ms, Some(1_796_157_344_002));
    }

    #[test]
    fn installed_models_are_counted() {
        assert_eq!(parse_tags(&fixture("tags.json")).unwrap(), 3);
        assert_eq!(parse_tags(br#"{"models":[]}"#).unwrap(), 0);
    }

    #[test]
    fn nothing_loaded_is_no_model_and_not_an_error() {
        assert!(parse_ps(br#"{"models":[]}"#).unwrap().is_empty());
        assert!(parse_ps(br#"{}"#).unwrap().is_empty());
    }

    #[test]
    fn odd_answers_are_said_plainly() {
        let e = parse_ps(b"<html>").unwrap_err();
        assert!(e.contains("not an Ollama /api/ps answer"), "{e}");
        // A bad expiry or a missing size is n/a, the model is still listed.
        let rows = parse_ps(br#"{"models":[{"name":"m","expires_at":"soon","size_vram":-1}]}"#);
        assert!(rows.is_err(), "a negative size is not a size");
        let rows = parse_ps(br#"{"models":[{"name":"m","expires_at":"soon"}]}"#).unwrap();
        assert_eq!(rows[0].loaded.as_ref().unwrap().expires_at_ms, None);
    }
}
