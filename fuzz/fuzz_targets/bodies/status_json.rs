//! The smart proxy's `/status` JSON: parse → model → views, alerts, snapshot.

use swarmglass::model::ids::SourceKind;
use swarmglass::model::input::SourceUpdate;

pub fn run(data: &[u8]) {
    let Ok(status) = swarmglass::sources::status::parse(data) else {
        return;
    };
    let id = super::common::id(SourceKind::Status);
    let mut model = super::common::model_with(&id);
    let now = super::common::at(0);
    model.apply(
        SourceUpdate::Status {
            source: id,
            at: now,
            result: Ok(status),
        },
        now,
    );
    super::common::observe(&mut model, super::common::at(1));
}
