//! llama.cpp's `GET /slots` (on by default): busy and idle slots, for a server whose `/metrics`
//! is off (`--metrics` not given). Pure parse; the Prometheus target of kind `llamacpp` falls
//! back to it (`runtime::polled`).

use serde::Deserialize;

use crate::model::scrape::{InferenceRaw, ScrapeData, ServerKind, Slots};

#[derive(Deserialize)]
struct Slot {
    #[serde(default)]
    is_processing: Option<bool>,
    /// Older builds: `state` 0 idle, 1 processing.
    #[serde(default)]
    state: Option<u8>,
}

/// Read a `/slots` answer: one model row (llama.cpp serves one model) with its slots, and
/// `running` = the busy ones.
///
/// # Errors
/// Not the JSON list `/slots` answers, in words.
pub fn parse(body: &[u8]) -> Result<ScrapeData, String> {
    let slots: Vec<Slot> = serde_json::from_slice(body).map_err(|e| {
        format!("not a llama.cpp /slots answer ({e}); is the server started without --no-slots?")
    })?;
    let busy = slots
        .iter()
        .filter(|s| s.is_processing.unwrap_or(s.state == Some(1)))
        .count();
    #[allow(clippy::cast_precision_loss)]
    let row = InferenceRaw {
        running: Some(busy as f64),
        engines: 1,
        slots: Some(Slots {
            busy,
            total: slots.len(),
        }),
        ..InferenceRaw::default()
    };
    Ok(ScrapeData {
        kind: Some(ServerKind::Llamacpp),
        inference: vec![row],
        samples: slots.len(),
        body_bytes: body.len(),
        missing: vec![
            "llamacpp:prompt_tokens_total".to_owned(),
            "llamacpp:tokens_predicted_total".to_owned(),
        ],
        ..ScrapeData::default()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn busy_and_idle_slots() {
        let body = std::fs::read(format!(
            "{}/tests/fixtures/llamacpp/slots.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let d = parse(&body).unwrap();
        let r = &d.inference[0];
        assert_eq!(r.slots, Some(Slots { busy: 2, total: 4 }));
        assert_eq!(r.running, Some(2.0));
        assert_eq!(d.kind, Some(ServerKind::Llamacpp));
    }

    #[test]
    fn older_builds_say_state_and_odd_answers_are_errors() {
        let d = parse(br#"[{"id":0,"state":1},{"id":1,"state":0}]"#).unwrap();
        assert_eq!(d.inference[0].slots, Some(Slots { busy: 1, total: 2 }));
        assert!(parse(br#"{"error":"This server does not support slots endpoint."}"#).is_err());
    }
}
