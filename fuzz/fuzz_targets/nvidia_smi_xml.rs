//! `nvidia-smi -q -x` XML → model → snapshot.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use swarmglass::model::ids::SourceKind;
use swarmglass::model::input::SourceUpdate;

fuzz_target!(|data: &[u8]| {
    let result = swarmglass::sources::nvidia_smi::parse(data);
    let id = common::id(SourceKind::NvidiaSmi);
    let mut model = common::model_with(&id);
    let now = common::at(0);
    model.apply(
        SourceUpdate::LocalGpus {
            source: id,
            at: now,
            result,
        },
        now,
    );
    common::observe(&mut model, common::at(1));
});
