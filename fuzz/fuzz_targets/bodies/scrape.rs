//! The Prometheus and OpenMetrics targets' shared body: two scrapes of one target, parsed in the
//! given dialect, mapped as the kind chosen by the first byte (or detected), applied to a model
//! 2 s apart (so rates, resets and histogram deltas are derived) and shown.

use swarmglass::model::ids::SourceKind;
use swarmglass::model::input::SourceUpdate;
use swarmglass::model::scrape::ServerKind;
use swarmglass::sources::{mapping, prometheus};

use super::common;

pub fn run(data: &[u8], format: prometheus::Format) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    // 0..=6: a configured kind; anything else: detected from the metric names.
    let kind = ServerKind::ALL.get(usize::from(selector % 8)).copied();
    let (first, second) = common::two_parts(rest);
    let _ = prometheus::detect_format(None, first);
    let id = common::id(SourceKind::Prometheus);
    let mut model = common::model_with(&id);
    for (i, body) in [first, second].into_iter().enumerate() {
        let exp = prometheus::parse(body, format);
        let scraped = mapping::map(&exp, kind, body.len());
        let now = common::at(2 * i as u64);
        model.apply(
            SourceUpdate::Scrape {
                source: id.clone(),
                at: now,
                result: Ok(scraped),
            },
            now,
        );
    }
    common::observe(&mut model, common::at(3));
}
