//! An OpenClaw `sessions.json` store (and a transcript's first line) → model → snapshot.

use swarmglass::model::ids::SourceKind;
use swarmglass::model::input::{EventUpdate, SessionsOrigin, SessionsReport};
use swarmglass::sources::events::openclaw::{parse_sessions_store, parse_transcript_header};

pub fn run(data: &[u8]) {
    let (store, transcript) = super::common::two_parts(data);
    let _ = parse_transcript_header(transcript);
    let id = super::common::id(SourceKind::OpenclawFiles);
    let mut model = super::common::model_with(&id);
    let now = super::common::at(0);
    let result = parse_sessions_store(store, "main").map(|parsed| SessionsReport {
        origin: SessionsOrigin::Files {
            path: "/fuzz".into(),
            stores: vec!["/fuzz/agents/main/sessions/sessions.json".into()],
        },
        skipped: parsed.problems.len(),
        problems: parsed.problems,
        sessions: parsed.sessions,
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
