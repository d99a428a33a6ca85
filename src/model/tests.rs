//! Unit tests of `mod.rs`: what an update does at once and what it leaves to the next tick.

use std::time::{Duration, SystemTime};

use super::*;
use crate::testdata::{apply_node, vllm_id};

fn t(s: f64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_secs_f64(s)
}

/// Updates leave the throughput plots' point to the next tick — one point per tick, at the
/// newest update's time, holding the sum over every server as it is then; a tick with no
/// update adds none; a server whose poll failed counts as having no figure, not 0.
#[test]
fn the_throughput_plots_get_one_point_per_tick_with_the_cluster_sum() {
    let mut m = Model::new(ModelSettings::default());
    let points = |m: &Model| m.gen_tps_history.iter().copied().collect::<Vec<_>>();
    for i in 0..2 {
        apply_node(&mut m, i, 1, t(0.0), 0.0);
    }
    assert!(points(&m).is_empty(), "not before a tick");
    m.tick(t(0.5));
    assert_eq!(points(&m), [(t(0.0), None)], "one scrape each: no rate yet");

    for i in 0..2 {
        apply_node(&mut m, i, 1, t(0.0), 2.0);
    }
    assert_eq!(points(&m).len(), 1, "still one until the tick");
    m.tick(t(2.5));
    let each: Vec<f64> = m.inference_stats().filter_map(|(_, s)| s.gen_tps).collect();
    assert_eq!(each.len(), 2);
    assert_eq!(points(&m)[1], (t(2.0), Some(each[0] + each[1])));
    m.tick(t(3.0));
    assert_eq!(points(&m).len(), 2, "no update, no point");

    m.apply(
        SourceUpdate::Scrape {
            source: vllm_id(0),
            at: t(4.0),
            result: Err(input::SourceError::Connect {
                url: vllm_id(0).locator,
                reason: "connection refused".into(),
            }),
        },
        t(4.0),
    );
    m.tick(t(4.5));
    let left = m.sources()[&vllm_id(1)].inference[0].gen_tps;
    assert_eq!(
        points(&m)[2],
        (t(4.0), left),
        "the server that answers, alone"
    );
}
