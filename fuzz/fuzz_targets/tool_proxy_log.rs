//! Tool-proxy log text: header lines and the record assembler → model → snapshot.
#![no_main]

#[path = "bodies/mod.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::tool_proxy_log::run(data));
