//! The config file: every problem reported, never a panic; a valid config renders its errors.
#![no_main]

#[path = "bodies/mod.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::config_toml::run(data));
