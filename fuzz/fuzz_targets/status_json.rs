//! The smart proxy's `/status` JSON: parse → model → views, alerts, snapshot.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use swarmglass::model::ids::SourceKind;
use swarmglass::model::input::SourceUpdate;

fuzz_target!(|data: &[u8]| {
    let Ok(status) = swarmglass::sources::status::parse(data) else {
        return;
    };
    let id = common::id(SourceKind::Status);
    let mut model = common::model_with(&id);
    let now = common::at(0);
    model.apply(
        SourceUpdate::Status {
            source: id,
            at: now,
            result: Ok(status),
        },
        now,
    );
    common::observe(&mut model, common::at(1));
});
