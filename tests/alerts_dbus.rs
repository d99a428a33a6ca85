//! Desktop notifications and the tray icon against a REAL D-Bus bus: a private `dbus-daemon`
//! (package `dbus`) with fake `org.freedesktop.Notifications` and `org.kde.StatusNotifierWatcher`
//! servers written with zbus. The code under test finds the bus through
//! `DBUS_SESSION_BUS_ADDRESS`; rather than change this process's environment (unsafe), each
//! scenario runs in a child process (this test binary, `child` test) with that variable set.
//!
//! Without `dbus-daemon` the bus tests are skipped with a printed reason — except under CI,
//! where that is a failure (`common::tools::require`). Every wait is bounded; children and the daemon are killed
//! at the end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant, SystemTime};

use swarmglass::alerts::notify::{Notifier, NotifyConfig, NotifyError};
use swarmglass::alerts::tray::{self, TrayCommand, TrayError, TrayStatus};
use swarmglass::alerts::{AlertEvent, AlertState, Subject};
use swarmglass::config::alerts::Severity;
use zbus::zvariant::{OwnedValue, Value};

const CHILD_VAR: &str = "SWARMGLASS_DBUS_CHILD";
const WAIT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------- the bus and the children

/// A private bus; killed on drop.
struct Bus {
    daemon: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Drop for Bus {
    fn drop(&mut self) {
        // Already gone is fine; either way reap it.
        if self.daemon.kill().is_ok() {
            let _reaped = self.daemon.wait();
        }
    }
}

/// Start `dbus-daemon` on a private socket, or say why not (None: skip).
fn start_bus() -> Option<Bus> {
    if !common::tools::require("dbus-daemon", "dbus") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    // A session-like bus without service activation, so no real notification daemon that
    // happens to be installed can be started behind the test's back.
    let conf = dir.path().join("bus.conf");
    std::fs::write(
        &conf,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            dir.path().display()
        ),
    )
    .unwrap();
    let log = dir.path().join("dbus-daemon.log");
    let mut daemon = Command::new("dbus-daemon")
        .arg(format!("--config-file={}", conf.display()))
        .args(["--print-address", "--nofork"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let stdout = daemon.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("dbus-address".into())
        .spawn(move || {
            let mut line = String::new();
            let _n = BufReader::new(stdout).read_line(&mut line);
            let _sent = tx.send(line);
        })
        .unwrap();
    let mut bus = Bus {
        daemon,
        address: String::new(),
        _dir: dir,
    };
    bus.address = rx.recv_timeout(WAIT).unwrap_or_default().trim().to_owned();
    let why = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        bus.address.starts_with("unix:"),
        "dbus-daemon printed no address ({:?}); its log:\n{}",
        bus.address,
        why()
    );
    Some(bus)
}

/// Run one child scenario with `address` as the session bus; its combined output on success.
fn run_child(scenario: &str, address: &str) -> String {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "child",
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_VAR, scenario)
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _killed = child.kill();
            let _reaped = child.wait();
            panic!("child scenario `{scenario}` did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        status.success(),
        "child scenario `{scenario}` failed:\n{text}"
    );
    assert!(
        text.contains(&format!("SCENARIO {scenario} OK")),
        "child scenario `{scenario}` did not run:\n{text}"
    );
    text
}

// ---------------------------------------------------------------- fake servers

/// One captured `Notify` call.
#[derive(Debug)]
struct Notified {
    app_name: String,
    summary: String,
    body: String,
    urgency: Option<u8>,
}

struct FakeNotifications {
    tx: Sender<Notified>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl FakeNotifications {
    #[allow(clippy::too_many_arguments, clippy::needless_pass_by_value)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let urgency = hints.get("urgency").and_then(|v| u8::try_from(v).ok());
        let _sent = self.tx.send(Notified {
            app_name,
            summary,
            body,
            urgency,
        });
        7
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "fake".into(),
            "swarmglass-tests".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

struct FakeWatcher {
    tx: Sender<String>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl FakeWatcher {
    fn register_status_notifier_item(&self, service: String) {
        let _sent = self.tx.send(service);
    }

    fn register_status_notifier_host(&self, _service: String) {}

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        Vec::new()
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }
}

/// Serve both fakes on the bus; keep the connection alive while they are needed.
fn serve_fakes(address: &str) -> (zbus::Connection, Receiver<Notified>, Receiver<String>) {
    let (ntx, nrx) = channel();
    let (wtx, wrx) = channel();
    let conn = zbus::block_on(async {
        zbus::connection::Builder::address(address)?
            .serve_at(
                "/org/freedesktop/Notifications",
                FakeNotifications { tx: ntx },
            )?
            .serve_at("/StatusNotifierWatcher", FakeWatcher { tx: wtx })?
            .name("org.freedesktop.Notifications")?
            .name("org.kde.StatusNotifierWatcher")?
            .build()
            .await
    })
    .unwrap();
    (conn, nrx, wrx)
}

// ---------------------------------------------------------------- the tests

fn event(to: AlertState) -> AlertEvent {
    AlertEvent {
        rule: "gpu_temp_high".into(),
        subject: Subject::Gpu {
            node: "gpu-a".into(),
            gpu: "gpu0".into(),
        },
        severity: Severity::Critical,
        from: if to == AlertState::Firing {
            AlertState::Pending
        } else {
            AlertState::Firing
        },
        to,
        value: Some(91.5),
        threshold: Some(85.0),
        message: if to == AlertState::Firing {
            "GPU temperature 91.5 °C ≥ 85.0 °C for 30s".into()
        } else {
            "GPU temperature back to 70.0 °C (below 80.0 °C)".into()
        },
        at: SystemTime::now(),
        suppressed: None,
    }
}

#[test]
fn notifications_and_the_tray_on_a_real_bus() {
    let Some(bus) = start_bus() else { return };

    // No notification server and no tray watcher yet: one clear error each, nothing hangs.
    run_child("no-server", &bus.address);

    let (conn, notified, registered) = serve_fakes(&bus.address);
    run_child("deliver", &bus.address);
    let firing = notified
        .recv_timeout(WAIT)
        .expect("no Notify call reached the bus");
    assert_eq!(firing.app_name, "Swarmglass");
    assert_eq!(
        firing.summary,
        "[CRITICAL] gpu_temp_high firing: GPU gpu0 on gpu-a"
    );
    assert_eq!(firing.body, "GPU temperature 91.5 °C ≥ 85.0 °C for 30s");
    assert_eq!(firing.urgency, Some(2), "critical urgency");
    let resolved = notified
        .recv_timeout(WAIT)
        .expect("the resolution was not notified");
    assert_eq!(
        resolved.summary,
        "[CRITICAL] gpu_temp_high resolved: GPU gpu0 on gpu-a"
    );
    assert!(
        resolved.body.starts_with("GPU temperature back to 70.0 °C"),
        "{resolved:?}"
    );
    assert_eq!(resolved.urgency, Some(0), "a resolution is low urgency");
    assert!(notified.try_recv().is_err(), "exactly two notifications");

    // The tray: the scenario waits for three menu clicks, which this thread performs.
    let driver = std::thread::Builder::new()
        .name("tray-driver".into())
        .spawn(move || drive_tray(&conn, &registered))
        .unwrap();
    let out = run_child("tray", &bus.address);
    driver.join().unwrap();
    assert!(
        out.contains("commands [ShowWindow, PauseNotifications(true), Quit]"),
        "{out}"
    );
}

/// Act as the tray host: check the item's tooltip and status, then click the menu items.
fn drive_tray(conn: &zbus::Connection, registered: &Receiver<String>) {
    let service = registered
        .recv_timeout(WAIT)
        .expect("the tray never registered with the watcher");
    assert!(
        service.starts_with("org.kde.StatusNotifierItem-"),
        "{service}"
    );
    let get = |name: &str| -> Value<'static> {
        let reply = zbus::block_on(conn.call_method(
            Some(service.as_str()),
            "/StatusNotifierItem",
            Some("org.freedesktop.DBus.Properties"),
            "Get",
            &("org.kde.StatusNotifierItem", name),
        ))
        .unwrap();
        let mut v: Value<'static> = Value::from(reply.body().deserialize::<OwnedValue>().unwrap());
        while let Value::Value(inner) = v {
            v = *inner;
        }
        v
    };
    // The status update is applied asynchronously: poll, bounded.
    let deadline = Instant::now() + WAIT;
    loop {
        let tip = get("ToolTip");
        let Value::Structure(s) = &tip else {
            panic!("ToolTip is not a structure: {tip:?}")
        };
        let description = match s.fields().get(3) {
            Some(Value::Str(d)) => d.as_str().to_owned(),
            other => panic!("unexpected tooltip field {other:?}"),
        };
        if description == "2 alert(s) firing, worst: critical" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "tooltip never showed the status: {description}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(get("Status"), Value::from("NeedsAttention"));
    let Value::Array(pixmaps) = get("IconPixmap") else {
        panic!("IconPixmap is not an array")
    };
    assert_eq!(pixmaps.len(), 1);

    let props = |names: &[&str]| -> Vec<(i32, HashMap<String, OwnedValue>)> {
        let reply = zbus::block_on(conn.call_method(
            Some(service.as_str()),
            "/MenuBar",
            Some("com.canonical.dbusmenu"),
            "GetGroupProperties",
            &(Vec::<i32>::new(), names.to_vec()),
        ))
        .unwrap();
        reply.body().deserialize().unwrap()
    };
    let labels: HashMap<String, i32> = props(&["label"])
        .into_iter()
        .filter_map(|(id, p)| {
            p.get("label")
                .and_then(|v| String::try_from(v.try_clone().ok()?).ok())
                .map(|l| (l, id))
        })
        .collect();
    let click = |label: &str| {
        let id = *labels
            .get(label)
            .unwrap_or_else(|| panic!("no menu item `{label}` in {labels:?}"));
        zbus::block_on(conn.call_method(
            Some(service.as_str()),
            "/MenuBar",
            Some("com.canonical.dbusmenu"),
            "Event",
            &(id, "clicked", Value::from(0_i32), 0_u32),
        ))
        .unwrap();
    };
    click("Show window");
    click("Pause notifications");
    let pause = labels["Pause notifications"];
    let toggled = props(&["toggle-state"])
        .into_iter()
        .find(|(id, _)| *id == pause)
        .unwrap();
    assert_eq!(
        toggled
            .1
            .get("toggle-state")
            .map(|v| i32::try_from(v).unwrap()),
        Some(1),
        "pause is checked"
    );
    // Last: the child exits once it has seen three commands.
    click("Quit");
}

#[test]
fn without_a_session_bus_there_is_one_clear_error() {
    run_child("no-bus", "unix:path=/nonexistent/swarmglass-test-bus");
}

// ---------------------------------------------------------------- the child side

/// Not a test of its own: the scenarios above run it in a child process.
#[test]
#[ignore = "run by the D-Bus tests in a child process with its own DBUS_SESSION_BUS_ADDRESS"]
fn child() {
    let Ok(scenario) = std::env::var(CHILD_VAR) else {
        return;
    };
    match scenario.as_str() {
        "no-bus" => {
            let problems = notify_three_failing();
            assert!(
                problems[0].contains("cannot reach the D-Bus session bus"),
                "{problems:?}"
            );
            let err = tray::start(
                TrayStatus::default(),
                std::sync::mpsc::sync_channel(1).0,
                std::sync::Arc::new(|| {}),
            )
            .err()
            .expect("a tray without a bus");
            assert!(matches!(err, TrayError::Unavailable { .. }), "{err:?}");
            assert!(
                err.to_string()
                    .contains("cannot reach the D-Bus session bus"),
                "{err}"
            );
        }
        "no-server" => {
            let problems = notify_three_failing();
            assert!(
                problems[0].contains("no notification server"),
                "{problems:?}"
            );
            let err = tray::start(
                TrayStatus::default(),
                std::sync::mpsc::sync_channel(1).0,
                std::sync::Arc::new(|| {}),
            )
            .err()
            .expect("a tray without a watcher");
            assert!(
                err.to_string().contains("no StatusNotifierWatcher"),
                "{err}"
            );
        }
        "deliver" => {
            let (notifier, problems) = Notifier::start(NotifyConfig {
                desktop: true,
                ..NotifyConfig::default()
            })
            .unwrap();
            assert!(notifier.notify(&event(AlertState::Firing)));
            assert!(notifier.notify(&event(AlertState::Resolved)));
            let done = notifier.shutdown(WAIT);
            assert!(done.finished, "deliveries did not finish");
            assert_eq!(
                (done.stats.queued, done.stats.delivered, done.stats.failed),
                (2, 2, 0),
                "{done:?}"
            );
            assert!(problems.try_recv().is_err(), "no problem expected");
        }
        "tray" => {
            let (tx, rx) = std::sync::mpsc::sync_channel(8);
            let icon = tray::start(TrayStatus::default(), tx, std::sync::Arc::new(|| {})).unwrap();
            // A burst, faster than the tray applies it: the newest must win (the host
            // waits for the last one's tooltip), none may be reported as lost.
            for firing in 1..=20 {
                assert!(icon.set_status(TrayStatus {
                    worst: Some(Severity::Warning),
                    firing,
                    paused: false,
                }));
            }
            assert!(icon.set_status(TrayStatus {
                worst: Some(Severity::Critical),
                firing: 2,
                paused: false,
            }));
            let commands: Vec<TrayCommand> = (0..3)
                .map(|_| rx.recv_timeout(WAIT).expect("no menu click arrived"))
                .collect();
            println!("commands {commands:?}");
            icon.shutdown();
        }
        other => panic!("unknown scenario {other}"),
    }
    println!("SCENARIO {scenario} OK");
}

/// Send three events through a desktop-only notifier that cannot deliver; exactly one problem
/// comes back, and the notifier keeps running.
fn notify_three_failing() -> Vec<String> {
    let (notifier, problems) = Notifier::start(NotifyConfig {
        desktop: true,
        ..NotifyConfig::default()
    })
    .unwrap();
    for _ in 0..3 {
        assert!(notifier.notify(&event(AlertState::Firing)));
    }
    let done = notifier.shutdown(WAIT);
    assert!(done.finished, "failing deliveries must not hang");
    assert_eq!(
        (done.stats.delivered, done.stats.failed),
        (0, 3),
        "{done:?}"
    );
    let all: Vec<NotifyError> = problems.try_iter().collect();
    assert_eq!(all.len(), 1, "one clear error, not one per event: {all:?}");
    assert!(
        matches!(all[0], NotifyError::DesktopUnavailable { .. }),
        "{all:?}"
    );
    let text = all[0].to_string();
    assert!(text.contains("alerts.desktop = false"), "{text}");
    vec![text]
}
