//! What every fuzz target does after decoding: feed what it decoded into a model and read it
//! back the ways a user would (views, alert rules, `snapshot` text and JSON), so a value that
//! decodes but cannot be shown (a time before 1970, NaN, 1e308) is found too.

#![allow(dead_code, reason = "each target uses part of it")]

use std::time::{Duration, SystemTime};

use swarmglass::alerts::Engine;
use swarmglass::config::AlertsConfig;
use swarmglass::model::ids::{SourceId, SourceKind, SourceSpec};
use swarmglass::model::input::{EventUpdate, SourceUpdate};
use swarmglass::model::{Model, ModelSettings};

/// A fixed wall clock: second `s` after 2023-11-14.
pub fn at(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
}

/// A fresh model with `id` registered.
pub fn model_with(id: &SourceId) -> Model {
    let mut model = Model::new(ModelSettings::default());
    model.register_spec(SourceSpec::named(id.clone(), Duration::from_secs(2)));
    model
}

/// An id of kind `kind`.
pub fn id(kind: SourceKind) -> SourceId {
    SourceId::new("fuzz", kind, "http://fuzz.invalid/x")
}

/// Apply an agent update at `now`.
pub fn apply_agents(model: &mut Model, update: EventUpdate, now: SystemTime) {
    model.apply(SourceUpdate::agents(update), now);
}

/// Evaluate the default alert rules, build the snapshot and render it as text and JSON.
pub fn observe(model: &mut Model, now: SystemTime) {
    model.tick(now);
    let mut engine = Engine::new(AlertsConfig::default().rules);
    let _events = engine.evaluate(model, now);
    let snap = swarmglass::headless::snapshot_of(model, &engine, now);
    let _text = swarmglass::headless::render_text(&snap);
    let _json = serde_json::to_vec(&snap);
}

/// Split an input in two at the first 0xFF byte (the second part is the first when absent).
pub fn two_parts(data: &[u8]) -> (&[u8], &[u8]) {
    let mut parts = data.splitn(2, |&b| b == 0xFF);
    let first = parts.next().unwrap_or_default();
    (first, parts.next().unwrap_or(first))
}
