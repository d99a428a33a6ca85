//! Prometheus exposition in the Prometheus dialect: parse → map → model → views, alerts, snapshot.
#![no_main]

#[path = "bodies/mod.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::prometheus_text::run(data));
