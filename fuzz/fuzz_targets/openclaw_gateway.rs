//! The OpenClaw gateway's `sessions_list` answer → model → snapshot.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use swarmglass::model::ids::SourceKind;
use swarmglass::model::input::{EventUpdate, SessionsOrigin, SessionsReport};
use swarmglass::sources::events::openclaw::parse_gateway_response;

const URL: &str = "http://fuzz.invalid/tools/invoke";

fuzz_target!(|data: &[u8]| {
    let id = common::id(SourceKind::OpenclawGateway);
    let mut model = common::model_with(&id);
    let now = common::at(0);
    let result = parse_gateway_response(data, URL).map(|sessions| SessionsReport {
        origin: SessionsOrigin::Gateway { url: URL.into() },
        sessions,
        skipped: 0,
        problems: Vec::new(),
    });
    common::apply_agents(
        &mut model,
        EventUpdate::Sessions {
            source: id,
            at: now,
            result,
        },
        now,
    );
    common::observe(&mut model, common::at(1));
});
