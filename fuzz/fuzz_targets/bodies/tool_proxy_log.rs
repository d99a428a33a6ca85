//! Tool-proxy log text: header lines and the record assembler → model → snapshot.

use swarmglass::model::ids::SourceKind;
use swarmglass::model::input::EventUpdate;
use swarmglass::sources::events::tool_proxy::{TailOptions, assemble, parse_header};

pub fn run(data: &[u8]) {
    let Some((&offset, text)) = data.split_first() else {
        return;
    };
    // Offsets from −14 h to +14 h in 15-minute steps, as configs may give them.
    let opts = TailOptions {
        utc_offset_minutes: (i32::from(offset) - 128) * 15 % (14 * 60 + 1),
        ..TailOptions::default()
    };
    for line in String::from_utf8_lossy(text).lines() {
        let _ = parse_header(line, opts.utc_offset_minutes);
    }
    let (records, _orphans) = assemble(text, &opts);
    let _json = serde_json::to_vec(&records);
    let id = super::common::id(SourceKind::ToolProxyLog);
    let mut model = super::common::model_with(&id);
    let now = super::common::at(0);
    super::common::apply_agents(
        &mut model,
        EventUpdate::ProxyLog {
            source: id,
            at: now,
            result: Ok(records),
        },
        now,
    );
    super::common::observe(&mut model, super::common::at(1));
}
