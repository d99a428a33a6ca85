//! `nvidia-smi -q -x` XML → model → snapshot.

use swarmglass::model::ids::SourceKind;
use swarmglass::model::input::SourceUpdate;

pub fn run(data: &[u8]) {
    let result = swarmglass::sources::nvidia_smi::parse(data);
    let id = super::common::id(SourceKind::NvidiaSmi);
    let mut model = super::common::model_with(&id);
    let now = super::common::at(0);
    model.apply(
        SourceUpdate::LocalGpus {
            source: id,
            at: now,
            result,
        },
        now,
    );
    super::common::observe(&mut model, super::common::at(1));
}
