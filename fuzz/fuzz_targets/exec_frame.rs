//! Execution-log frames: decode under a 1 MiB cap → model → snapshot.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use swarmglass::model::ids::SourceKind;
use swarmglass::model::input::EventUpdate;
use swarmglass::sources::events::exec_logs::{ExecFrame, parse_exec_frame};

fuzz_target!(|data: &[u8]| {
    let id = common::id(SourceKind::ExecLogs);
    let mut model = common::model_with(&id);
    let now = common::at(0);
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
            },
        };
        common::apply_agents(&mut model, update, now);
    }
    common::observe(&mut model, common::at(1));
});
