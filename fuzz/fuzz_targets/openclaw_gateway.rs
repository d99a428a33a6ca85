//! The OpenClaw gateway's `sessions_list` answer → model → snapshot.
#![no_main]

#[path = "bodies/mod.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::openclaw_gateway::run(data));
