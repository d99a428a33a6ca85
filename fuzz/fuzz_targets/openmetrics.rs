//! Prometheus exposition in the OpenMetrics dialect: parse → map → model → views, alerts, snapshot.
#![no_main]

#[path = "bodies/mod.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::openmetrics::run(data));
