//! Tool-proxy log text: header lines and the record assembler → model → snapshot.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use swarmglass::model::ids::SourceKind;
use swarmglass::model::input::EventUpdate;
use swarmglass::sources::events::tool_proxy::{TailOptions, assemble, parse_header};

fuzz_target!(|data: &[u8]| {
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
    let id = common::id(SourceKind::ToolProxyLog);
    let mut model = common::model_with(&id);
    let now = common::at(0);
    common::apply_agents(
        &mut model,
        EventUpdate::ProxyLog {
            source: id,
            at: now,
            result: Ok(records),
        },
        now,
    );
    common::observe(&mut model, common::at(1));
});
