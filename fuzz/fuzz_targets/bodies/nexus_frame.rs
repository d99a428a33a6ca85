//! Nexus monitor frames (WebSocket or Redis): decode under the default cap → model → snapshot.

use swarmglass::model::ids::SourceKind;
use swarmglass::model::input::EventUpdate;
use swarmglass::sources::events::{DEFAULT_MAX_FRAME_BYTES, Frame, parse_frame_limited};

pub fn run(data: &[u8]) {
    let id = super::common::id(SourceKind::NexusWs);
    let mut model = super::common::model_with(&id);
    let now = super::common::at(0);
    // Several frames in one input, one per line, as a stream delivers them.
    for frame in data.split(|&b| b == b'\n') {
        let update = match parse_frame_limited(frame, DEFAULT_MAX_FRAME_BYTES) {
            Ok(Frame::Event(event)) => {
                let _json = serde_json::to_vec(&event);
                EventUpdate::Event {
                    source: id.clone(),
                    received_at: now,
                    event,
                }
            }
            Ok(_) => continue,
            Err(error) => EventUpdate::Malformed {
                source: id.clone(),
                at: now,
                error,
                count: 1,
            },
        };
        super::common::apply_agents(&mut model, update, now);
    }
    super::common::observe(&mut model, super::common::at(1));
}
