//! The real window: `swarmglass demo --screenshot` under X (the running display when `DISPLAY`
//! is set, else an `Xvfb` started here on a free display number) with Mesa's software GL. The
//! PNG must exist, have the window's size, and show a dashboard rather than a blank frame; wall
//! mode must fill the screen. Every child is killed after a deadline, so nothing can hang.
//!
//! Without `Xvfb` installed the test is skipped with a message, unless `CI` is set: there a
//! missing Xvfb fails. Debian packages: see docs/BENCHMARKS.md ("Idle CPU") and the report.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Kill a child after this long.
const CHILD_TIMEOUT: Duration = Duration::from_secs(90);
/// Screen of the Xvfb started here.
const SCREEN: (u32, u32) = (1920, 1200);

/// Held by each test while it uses a display: two tests starting an Xvfb at once could pick
/// the same free display number, and one's Xvfb would then vanish under the other.
static ONE_DISPLAY_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A display to run on; stops the Xvfb it started when dropped, then lets the next test in.
struct Display {
    name: String,
    xvfb: Option<Child>,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(mut x) = self.xvfb.take() {
            // SIGTERM, so Xvfb removes its lock file and socket (SIGKILL left one stale lock per
            // run, and a machine that ran the suite a hundred times had no display left).
            let asked = Command::new("kill")
                .args(["-s", "TERM", &x.id().to_string()])
                .status()
                .is_ok_and(|s| s.success());
            let ended = asked
                && common::tools::wait_until_blocking(Duration::from_secs(5), || {
                    matches!(x.try_wait(), Ok(Some(_)))
                });
            if !ended && let Err(e) = x.kill() {
                eprintln!("could not stop Xvfb: {e}");
            }
            if let Err(e) = x.wait() {
                eprintln!("could not reap Xvfb: {e}");
            }
        }
    }
}

/// Whether display `n`'s lock names a process that is gone (a killed Xvfb); then its lock and
/// socket are removed so the number can be used again.
fn reclaim_stale(n: u32, lock: &std::path::Path, socket: &std::path::Path) -> bool {
    let pid = std::fs::read_to_string(lock)
        .ok()
        .and_then(|p| p.trim().parse::<u32>().ok());
    let stale = pid.is_some_and(|pid| !PathBuf::from(format!("/proc/{pid}")).exists());
    if stale {
        eprintln!("display :{n}: removing the lock of a server that is gone");
        let _ = std::fs::remove_file(lock);
        let _ = std::fs::remove_file(socket);
    }
    stale
}

/// The display to use, or `None` (with the reason printed) when the test must be skipped.
fn display() -> Option<Display> {
    // A test that failed while holding its turn leaves nothing behind that matters here.
    let turn = ONE_DISPLAY_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Ok(name) = std::env::var("DISPLAY")
        && !name.is_empty()
    {
        return Some(Display {
            name,
            xvfb: None,
            _turn: turn,
        });
    }
    if !common::tools::require("Xvfb", "xvfb") {
        return None;
    }
    for n in 90..190 {
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
        let lock = PathBuf::from(format!("/tmp/.X{n}-lock"));
        if (socket.exists() || lock.exists()) && !reclaim_stale(n, &lock, &socket) {
            continue;
        }
        let name = format!(":{n}");
        let mut child = Command::new("Xvfb")
            .args([
                &name,
                "-screen",
                "0",
                &format!("{}x{}x24", SCREEN.0, SCREEN.1),
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start Xvfb: {e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                eprintln!("Xvfb on :{n} exited with {status}; trying the next display");
                break;
            }
            if socket.exists() {
                return Some(Display {
                    name,
                    xvfb: Some(child),
                    _turn: turn,
                });
            }
            if Instant::now() >= deadline {
                eprintln!("Xvfb on :{n} made no socket within 10 s; trying the next display");
                if let Err(e) = child.kill() {
                    eprintln!("could not stop Xvfb: {e}");
                }
                let _reaped = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("could not start Xvfb on any display :90 to :189");
}

/// Run the binary with `args` on `display`, killing it after [`CHILD_TIMEOUT`].
fn run_app(display: &Display, home: &Path, args: &[&str]) -> Output {
    run_app_with(display, home, args, &[])
}

/// [`run_app`] with extra environment variables.
fn run_app_with(display: &Display, home: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_swarmglass"))
        .args(args)
        .envs(env.iter().copied())
        .env("DISPLAY", &display.name)
        .env_remove("WAYLAND_DISPLAY")
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        // Keep remembered window geometry and view choices out of the test.
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run swarmglass: {e}"));
    let deadline = Instant::now() + CHILD_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Ok(None) => {
                let _killed = child.kill();
                let out = child
                    .wait_with_output()
                    .unwrap_or_else(|e| panic!("cannot reap swarmglass: {e}"));
                panic!(
                    "swarmglass {args:?} did not exit within {}s; stderr:\n{}",
                    CHILD_TIMEOUT.as_secs(),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            Err(e) => panic!("cannot wait for swarmglass: {e}"),
        }
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("cannot collect swarmglass output: {e}"))
}

/// Decode the PNG, check its size, and that it is a drawn dashboard: many distinct colours, no
/// colour covering nearly everything.
fn check_png(path: &Path, expect: Option<(u32, u32)>) -> (u32, u32) {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .to_rgb8();
    let (w, h) = img.dimensions();
    if let Some(size) = expect {
        assert_eq!((w, h), size, "screenshot size of {}", path.display());
    }
    let mut colours = HashSet::new();
    let mut counts = std::collections::HashMap::<[u8; 3], u64>::new();
    for p in img.pixels() {
        colours.insert(p.0);
        *counts.entry(p.0).or_default() += 1;
    }
    let top = counts.values().max().copied().unwrap_or(0);
    let total = u64::from(w) * u64::from(h);
    assert!(
        colours.len() > 50,
        "{} has only {} colours: blank or broken frame",
        path.display(),
        colours.len()
    );
    assert!(
        top * 100 < total * 95,
        "one colour covers {}% of {}",
        top * 100 / total.max(1),
        path.display()
    );
    (w, h)
}

#[test]
fn demo_window_screenshots_under_x() {
    let Some(display) = display() else { return };
    let started_here = display.xvfb.is_some();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));

    let png = dir.path().join("demo.png");
    let png_s = png.to_string_lossy().into_owned();
    let out = run_app(
        &display,
        dir.path(),
        &["demo", "--screenshot", &png_s, "--size", "1280x800"],
    );
    assert!(
        out.status.success(),
        "demo --screenshot failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    check_png(&png, Some((1280, 800)));
    // The window recorded what it showed, in the demo's own history directory, and closed it
    // cleanly (the store opens, with series in it; how many depends on how soon the shot came).
    let history = dir.path().join("data/swarmglass/demo");
    let store =
        swarmglass::history::Store::open(&history, swarmglass::history::Retention::default())
            .unwrap_or_else(|e| panic!("the window's history: {e}"));
    let info = store.info();
    assert!(info.series > 0, "{info:?}");
    assert!(info.newest_ms.is_some(), "{info:?}");
    drop(store);

    let wall = dir.path().join("wall.png");
    let wall_s = wall.to_string_lossy().into_owned();
    let out = run_app(
        &display,
        dir.path(),
        &["demo", "--wall", "--screenshot", &wall_s],
    );
    assert!(
        out.status.success(),
        "demo --wall --screenshot failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let (w, h) = check_png(&wall, None);
    if started_here {
        assert_eq!((w, h), SCREEN, "wall mode fills the screen");
    }
}

#[test]
fn no_display_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let png = dir.path().join("x.png");
    let mut child = Command::new(env!("CARGO_BIN_EXE_swarmglass"))
        .args(["demo", "--screenshot", &png.to_string_lossy()])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_DATA_HOME", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run swarmglass: {e}"));
    let deadline = Instant::now() + CHILD_TIMEOUT;
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _killed = child.kill();
            panic!("swarmglass without a display did not exit");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("output: {e}"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("display"),
        "the error names the missing display: {err}"
    );
    assert!(!png.exists());
}

/// A window library that cannot be loaded (here: an empty file in its place, first on
/// LD_LIBRARY_PATH) is named, with the Debian package that provides it, instead of the display
/// being blamed. One library winit loads through xkbcommon-dl (which panics) and one through
/// Xlib (which only says "one of xlib's shared libraries").
#[test]
fn a_missing_window_library_is_named_with_its_package() {
    let Some(display) = display() else { return };
    for (files, library, package) in [
        (
            ["libxkbcommon-x11.so.0", "libxkbcommon-x11.so"],
            "libxkbcommon-x11.so.0",
            "libxkbcommon-x11-0",
        ),
        (
            ["libXcursor.so.1", "libXcursor.so"],
            "libXcursor.so.1",
            "libxcursor1",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let libs = dir.path().join("libs");
        std::fs::create_dir(&libs).unwrap_or_else(|e| panic!("mkdir: {e}"));
        for f in files {
            std::fs::write(libs.join(f), b"").unwrap_or_else(|e| panic!("stub {f}: {e}"));
        }
        let png = dir.path().join("x.png");
        let out = run_app_with(
            &display,
            dir.path(),
            &["demo", "--screenshot", &png.to_string_lossy()],
            &[("LD_LIBRARY_PATH", &libs)],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{library} broken, yet it ran: {err}");
        assert_eq!(out.status.code(), Some(2), "an error, not a crash: {err}");
        assert!(
            err.contains(&format!("{library} could not be loaded")),
            "{err}"
        );
        assert!(err.contains(&format!("apt-get install {package}")), "{err}");
        assert!(!err.contains("is there a display"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!png.exists());
    }
}

#[test]
fn malformed_size_is_rejected() {
    let out = Command::new(env!("CARGO_BIN_EXE_swarmglass"))
        .args(["--size", "huge", "--no-nvml"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap_or_else(|e| panic!("cannot run swarmglass: {e}"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--size `huge`"), "{err}");
}

/// True once `pid` has a thread named `name` (from /proc/PID/task/*/comm).
fn has_thread(pid: u32, name: &str) -> bool {
    std::fs::read_dir(format!("/proc/{pid}/task")).is_ok_and(|tasks| {
        tasks
            .flatten()
            .any(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name))
    })
}

/// SIGTERM and SIGINT close the window the way its close button does: exit 0, nothing
/// panics, and the window's state is saved (the view choices file exists afterwards).
#[test]
fn the_window_closes_cleanly_on_a_signal() {
    let Some(display) = display() else { return };
    for signal in ["TERM", "INT"] {
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let dead = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap_or_else(|e| panic!("port: {e}"))
            .port();
        let url = format!("http://127.0.0.1:{dead}/metrics");
        let mut child = Command::new(env!("CARGO_BIN_EXE_swarmglass"))
            .args(["--no-nvml", "--prometheus", &url])
            .env("DISPLAY", &display.name)
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run swarmglass: {e}"));
        let pid = child.id();
        // The collector's "rt" thread starts when the window's app is built: the window is up.
        let deadline = Instant::now() + CHILD_TIMEOUT;
        while !has_thread(pid, "rt") {
            if let Ok(Some(status)) = child.try_wait() {
                let out = child.wait_with_output().ok();
                panic!(
                    "the window ended before it was up ({status}): {}",
                    out.map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                        .unwrap_or_default()
                );
            }
            if Instant::now() >= deadline {
                let _killed = child.kill();
                panic!("the window did not come up within {CHILD_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let kill = Command::new("kill")
            .args(["-s", signal, &pid.to_string()])
            .status()
            .unwrap_or_else(|e| panic!("kill: {e}"));
        assert!(kill.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        while child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _killed = child.kill();
                panic!("SIG{signal}: the window did not close within 20 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("output: {e}"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "SIG{signal}: {err}");
        assert!(!err.contains("panicked"), "SIG{signal}: {err}");
        let saved = home.path().join("data").join("swarmglass").join("app.ron");
        assert!(
            saved.exists(),
            "SIG{signal}: state not saved at {}",
            saved.display()
        );
    }
}
