//! The smart proxy's `/status` JSON: parse → model → views, alerts, snapshot.
#![no_main]

#[path = "bodies/mod.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::status_json::run(data));
