//! What the packages install besides the binary is valid as the tools that read it say: the
//! systemd units (`systemd-analyze verify`, with `ExecStart` pointed at the binary just built
//! and the man pages it generates on `MANPATH`), the desktop entry (`desktop-file-validate`) and
//! the AppStream metainfo (`appstreamcli validate`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(rel)).unwrap()
}

/// `systemd-analyze verify` (with `--user` for a user unit) says nothing about `rel`.
fn verify_unit(rel: &str, user: bool) {
    let dir = tempfile::tempdir().unwrap();
    // The man pages the units point at, generated from the binary's own definitions.
    let man = dir.path().join("man").join("man1");
    let out = Command::new(env!("CARGO_BIN_EXE_swarmglass"))
        .args(["generate", "man", "--out"])
        .arg(&man)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = read(rel);
    let name = Path::new(rel).file_name().unwrap();
    let unit = dir.path().join(name);
    std::fs::write(
        &unit,
        text.replace("/usr/bin/swarmglass", env!("CARGO_BIN_EXE_swarmglass")),
    )
    .unwrap();
    let mut cmd = Command::new("systemd-analyze");
    if user {
        // A user manager needs a runtime directory; a test has none of its own.
        let run = dir.path().join("run");
        std::fs::create_dir_all(&run).unwrap();
        cmd.arg("--user").env("XDG_RUNTIME_DIR", &run);
    }
    let out = cmd
        .arg("verify")
        .arg(&unit)
        .env("MANPATH", dir.path().join("man"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    // A user manager may be absent in a container: that line is about the machine, not the unit.
    let problems: Vec<&str> = said
        .lines()
        .filter(|l| !l.contains("Failed to connect to") && !l.trim().is_empty())
        .collect();
    assert!(problems.is_empty(), "{rel}: {problems:#?}");
}

#[test]
fn the_agent_unit_verifies() {
    if !common::tools::require("systemd-analyze", "systemd") {
        return;
    }
    let text = read("packaging/systemd/swarmglass-agent.service");
    assert!(
        text.contains("ExecStart=/usr/bin/swarmglass agent"),
        "{text}"
    );
    assert!(text.contains("Not enabled on install"), "{text}");
    verify_unit("packaging/systemd/swarmglass-agent.service", false);
}

#[test]
fn the_watch_user_unit_verifies() {
    if !common::tools::require("systemd-analyze", "systemd") {
        return;
    }
    let text = read("packaging/systemd/swarmglass-watch.service");
    assert!(
        text.contains("ExecStart=/usr/bin/swarmglass watch"),
        "{text}"
    );
    assert!(
        text.contains("WantedBy=default.target"),
        "a user unit: {text}"
    );
    verify_unit("packaging/systemd/swarmglass-watch.service", true);
}

#[test]
fn the_desktop_entry_is_valid_and_starts_the_window() {
    if !common::tools::require("desktop-file-validate", "desktop-file-utils") {
        return;
    }
    let path = Path::new(ROOT).join("packaging/linux/swarmglass.desktop");
    let out = Command::new("desktop-file-validate")
        .arg(&path)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
    let text = read("packaging/linux/swarmglass.desktop");
    assert!(text.contains("\nExec=swarmglass\n") && text.contains("\nIcon=swarmglass\n"));
    // The window's app id (Wayland) and class (X11) match the entry, so the taskbar finds it.
    assert!(text.contains(&format!("StartupWMClass={}", swarmglass::app::APP_ID)));
}

#[test]
fn the_metainfo_is_valid_and_names_the_desktop_entry() {
    if !common::tools::require("appstreamcli", "appstream") {
        return;
    }
    let path = Path::new(ROOT).join("packaging/linux/io.github.swarmglass.Swarmglass.metainfo.xml");
    let out = Command::new("appstreamcli")
        .args(["validate", "--no-net"])
        .arg(&path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    // Errors and warnings fail; infos (a tag newer than this appstream) do not.
    assert!(
        !said
            .lines()
            .any(|l| l.starts_with("E:") || l.starts_with("W:")),
        "{said}"
    );
    let text = read("packaging/linux/io.github.swarmglass.Swarmglass.metainfo.xml");
    assert!(text.contains("<launchable type=\"desktop-id\">swarmglass.desktop</launchable>"));
}

/// The metainfo's screenshots are the repository's own pictures (assets/screenshots), so the URL
/// a software centre fetches names a file that exists, the same one the README shows.
#[test]
fn the_metainfo_screenshots_are_files_in_assets() {
    let text = read("packaging/linux/io.github.swarmglass.Swarmglass.metainfo.xml");
    let readme = read("README.md");
    let images: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("<image>"))
        .filter_map(|l| l.strip_suffix("</image>"))
        .collect();
    assert!(!images.is_empty(), "the metainfo has no screenshot");
    for url in images {
        let (_, file) = url
            .split_once("/main/")
            .unwrap_or_else(|| panic!("{url}: not a file of the main branch"));
        assert!(file.starts_with("assets/screenshots/"), "{url}");
        assert!(
            Path::new(ROOT).join(file).is_file(),
            "{file} does not exist"
        );
        assert!(readme.contains(file), "the README does not show {file}");
    }
}
