//! The systemd units in `packaging/systemd/` are valid as systemd reads them
//! (`systemd-analyze verify`, with `ExecStart` pointed at the binary just built).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

#[test]
fn the_agent_unit_verifies() {
    if !common::tools::require("systemd-analyze", "systemd") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/packaging/systemd/swarmglass-agent.service"
    ))
    .unwrap();
    assert!(
        text.contains("ExecStart=/usr/bin/swarmglass agent"),
        "{text}"
    );
    assert!(text.contains("Not enabled on install"), "{text}");
    let unit = dir.path().join("swarmglass-agent.service");
    std::fs::write(
        &unit,
        text.replace("/usr/bin/swarmglass", env!("CARGO_BIN_EXE_swarmglass")),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    let problems: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        // The man page arrives with the packages (issue 13's build); nothing else may be said.
        .filter(|l| !l.contains("man swarmglass(1)"))
        .map(str::to_owned)
        .collect();
    // Its exit code also counts the man page it cannot open: every other line must be absent.
    assert!(problems.is_empty(), "{problems:#?}");
}
