//! The OpenClaw gateway's `sessions_list` answer → model → snapshot.

use swarmglass::model::ids::SourceKind;
use swarmglass::model::input::{EventUpdate, SessionsOrigin, SessionsReport};
use swarmglass::sources::events::openclaw::parse_gateway_response;

const URL: &str = "http://fuzz.invalid/tools/invoke";

pub fn run(data: &[u8]) {
    let id = super::common::id(SourceKind::OpenclawGateway);
    let mut model = super::common::model_with(&id);
    let now = super::common::at(0);
    let result = parse_gateway_response(data, URL).map(|sessions| SessionsReport {
        origin: SessionsOrigin::Gateway { url: URL.into() },
        sessions,
        skipped: 0,
        problems: Vec::new(),
    });
    super::common::apply_agents(
        &mut model,
        EventUpdate::Sessions {
            source: id,
            at: now,
            result,
        },
        now,
    );
    super::common::observe(&mut model, super::common::at(1));
}
