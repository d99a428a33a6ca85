//! History chunks as read back from the store file: decode → per-minute roll-up → encode.
#![no_main]

#[path = "bodies/mod.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::history_chunk::run(data));
