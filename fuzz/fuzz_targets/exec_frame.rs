//! Execution-log frames: decode under a 1 MiB cap → model → snapshot.
#![no_main]

#[path = "bodies/mod.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::exec_frame::run(data));
