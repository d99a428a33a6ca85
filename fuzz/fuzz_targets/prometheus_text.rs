//! Prometheus exposition in the Prometheus dialect: parse → map → model → views, alerts, snapshot.
#![no_main]

mod common;
mod scrape;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    scrape::run(data, swarmglass::sources::prometheus::Format::Prometheus);
});
