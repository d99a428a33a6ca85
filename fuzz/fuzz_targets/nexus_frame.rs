//! Nexus monitor frames (WebSocket or Redis): decode under the default cap → model → snapshot.
#![no_main]

#[path = "bodies/mod.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::nexus_frame::run(data));
