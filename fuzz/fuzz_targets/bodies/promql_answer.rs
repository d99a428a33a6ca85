//! A Prometheus server's query answers: each `0xFF`-separated part is the answer to the next
//! query of a refresh (gauges, rates, quantiles, …) → decode → targets → model → views, alerts,
//! snapshot.

use std::time::Duration;

use swarmglass::model::ids::SourceKind;
use swarmglass::model::input::SourceUpdate;
use swarmglass::sources::promserver::{api, assemble, queries};

pub fn run(data: &[u8]) {
    let roles: Vec<queries::Role> = queries::refresh(Duration::from_secs(60), &[])
        .into_iter()
        .map(|q| q.role)
        .collect();
    let answers: Vec<(queries::Role, Vec<api::InstantSeries>)> = data
        .split(|b| *b == 0xFF)
        .zip(roles.iter().cycle())
        .filter_map(|(part, role)| api::decode_vector(part, 10_000).ok().map(|v| (*role, v)))
        .collect();
    let _ = api::decode_matrix(data, 10_000);
    let targets = assemble::assemble("http://prometheus:9090", &answers);
    let id = super::common::id(SourceKind::PrometheusServer);
    let mut model = super::common::model_with(&id);
    let now = super::common::at(0);
    model.apply(
        SourceUpdate::Fleet {
            source: id,
            at: now,
            result: Ok(targets),
        },
        now,
    );
    super::common::observe(&mut model, super::common::at(1));
}
