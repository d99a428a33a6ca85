//! An OpenClaw `sessions.json` store (and a transcript's first line) → model → snapshot.
#![no_main]

#[path = "bodies/mod.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::openclaw_store::run(data));
