//! A Prometheus server's query answers: decode → targets → model → views, alerts, snapshot.
#![no_main]

#[path = "bodies/mod.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::promql_answer::run(data));
