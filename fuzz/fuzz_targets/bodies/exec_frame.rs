//! Execution-log frames: decode under a 1 MiB cap → model → snapshot.

use swarmglass::model::ids::SourceKind;
use swarmglass::model::input::EventUpdate;
use swarmglass::sources::events::exec_logs::{ExecFrame, parse_exec_frame};

pub fn run(data: &[u8]) {
    let id = super::common::id(SourceKind::ExecLogs);
    let mut model = super::common::model_with(&id);
    let now = super::common::at(0);
    for frame in data.split(|&b| b == b'\n') {
        let update = match parse_exec_frame(frame, "exec-fuzz", 1 << 20) {
            Ok(ExecFrame::Log(log)) => {
                let _json = serde_json::to_vec(&log);
                EventUpdate::ExecLog {
                    source: id.clone(),
                    received_at: now,
                    log,
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
