//! Prometheus exposition in the Prometheus dialect: parse → map → model → views, alerts, snapshot.

pub fn run(data: &[u8]) {
    super::scrape::run(data, swarmglass::sources::prometheus::Format::Prometheus);
}
