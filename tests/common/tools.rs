//! External programs the integration tests need (`redis-server`, `dbus-daemon`, `Xvfb`) and
//! waiting for a condition. One rule for every program: missing outside CI, the test is skipped
//! with a visible `SKIPPED:` line on stderr; missing under CI (`CI` set to anything but "",
//! "0" or "false"), the test fails, because CI installs them and a silent skip there would be
//! a test that checks nothing.

use std::io::Write as _;
use std::time::Duration;

/// True when running under CI.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// True when `program` is an executable file on `PATH`.
pub fn in_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|d| {
            std::fs::metadata(d.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// True when `program` (from the Debian package `package`) is installed. When it is not:
/// under CI this panics (the test fails); otherwise it prints why the calling test is skipped
/// (uncaptured, so it shows in a plain `cargo test`) and returns false, and the test must
/// return at once.
pub fn require(program: &str, package: &str) -> bool {
    if in_path(program) {
        return true;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_owned();
    assert!(
        !under_ci(),
        "{program} is not installed and CI is set, so `{test}` cannot be skipped: apt-get install -y {package}"
    );
    // Straight to the stream, not through `eprintln!`, which the test harness captures and
    // shows only for failing tests: a skip must be seen.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {test}: {program} not installed (apt-get install -y {package} to run it)"
    );
    false
}

/// Poll `cond` every 10 ms until it holds (true) or `within` has passed (false). For async
/// tests; the condition is checked once more at the deadline.
pub async fn wait_until(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// [`wait_until`] for tests without a runtime: polls on the calling thread.
pub fn wait_until_blocking(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
