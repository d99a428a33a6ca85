//! Local GPU sources: the `nvidia-smi -q -x` parser on hand-written fixtures, the
//! `nvidia-smi` reader on stand-in commands, and the "nvml" collector thread with fake readers.
//! No GPU, driver or network needed.

#![allow(clippy::unwrap_used, reason = "tests: a panic is the failure report")]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::time::Duration;

use swarmglass::model::gpu::{GpuProcess, GpuSample};
use swarmglass::model::ids::{SourceId, SourceKind};
use swarmglass::model::input::{SourceError, SourceUpdate};
use swarmglass::sources::framework::{Sink, Updates};
use swarmglass::sources::nvidia_smi::{self, NvidiaSmiReader};
use swarmglass::sources::nvml::{GpuReader, MIG_ENABLED_LABEL, spawn_gpu_thread};

const MIB: u64 = 1024 * 1024;
/// Upper bound on any wait for the thread; a pass takes milliseconds.
const PATIENCE: Duration = Duration::from_secs(10);

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/nvidia-smi")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap()
}

fn close(actual: Option<f64>, expected: f64) {
    let value = actual.unwrap_or_else(|| panic!("expected {expected}, got None"));
    assert!(
        (value - expected).abs() < 1e-9,
        "expected {expected}, got {value}"
    );
}

// ---- parse -------------------------------------------------------------------------------

#[test]
fn h100x2_busy_exact_values() {
    let gpus = nvidia_smi::parse(&fixture("h100x2_busy.xml")).unwrap();
    assert_eq!(gpus.len(), 2);

    let g0 = &gpus[0];
    assert_eq!(
        g0.index,
        Some(0),
        "index is the position in the report, not minor_number (2)"
    );
    assert_eq!(
        g0.uuid.as_deref(),
        Some("GPU-5c1f3d2a-8b7e-4c6d-9a0b-1e2f3a4b5c6d")
    );
    assert_eq!(g0.name.as_deref(), Some("NVIDIA H100 80GB HBM3"));
    assert_eq!(g0.mig, None);
    close(g0.util_pct, 82.0);
    assert_eq!(g0.mem_used_bytes, Some(74_411 * MIB));
    assert_eq!(g0.mem_total_bytes, Some(81_559 * MIB));
    close(g0.temp_c, 45.0);
    close(g0.power_w, 301.23);
    close(g0.power_limit_w, 700.0);
    close(g0.sm_clock_mhz, 1980.0);
    close(g0.mem_clock_mhz, 2619.0);
    assert_eq!(g0.fan_pct, None, "fan N/A is None, not 0");
    assert_eq!(
        g0.processes,
        vec![GpuProcess {
            pid: 4242,
            used_bytes: Some(73_840 * MIB),
            name: Some("/opt/venv/bin/python3 -m vllm.entrypoints.openai.api_server".to_owned()),
            server: None,
            model: None,
        }]
    );

    let g1 = &gpus[1];
    assert_eq!(g1.index, Some(1));
    assert_eq!(
        g1.uuid.as_deref(),
        Some("GPU-9e8d7c6b-5a49-4837-a625-14f3e2d1c0b9")
    );
    close(g1.util_pct, 0.0);
    assert_eq!(g1.mem_used_bytes, Some(4 * MIB));
    close(g1.temp_c, 31.0);
    close(g1.power_w, 69.87);
    close(g1.sm_clock_mhz, 345.0);
    assert_eq!(g1.fan_pct, None);
    assert!(g1.processes.is_empty());
}

#[test]
fn older_driver_rtx_exact_values() {
    let gpus = nvidia_smi::parse(&fixture("older_driver_rtx.xml")).unwrap();
    assert_eq!(
        gpus,
        vec![GpuSample {
            index: Some(0),
            uuid: Some("GPU-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d".to_owned()),
            name: Some("NVIDIA GeForce RTX 3090".to_owned()),
            mig: None,
            util_pct: Some(3.0),
            mem_used_bytes: Some(1024 * MIB),
            mem_total_bytes: Some(24_268 * MIB),
            temp_c: Some(38.0),
            power_w: Some(25.12),
            power_limit_w: Some(350.0),
            sm_clock_mhz: Some(210.0),
            mem_clock_mhz: Some(405.0),
            fan_pct: Some(30.0),
            processes: Vec::new(),
        }]
    );
}

/// Newest layout: no `power_draw`, only `average_power_draw`/`instant_power_draw`; MIG on;
/// every "not available" spelling; a graphics-only process; a process without a PID.
const NEWER_LAYOUT: &str = r#"<?xml version="1.0" ?>
<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">
<nvidia_smi_log>
  <attached_gpus>1</attached_gpus>
  <gpu id="00000000:01:00.0">
    <product_name>NVIDIA A100-SXM4-40GB</product_name>
    <uuid>GPU-mig</uuid>
    <mig_mode><current_mig>Enabled</current_mig><pending_mig>Enabled</pending_mig></mig_mode>
    <fan_speed>[N/A]</fan_speed>
    <fb_memory_usage><total>40960 MiB</total><used>[Not Supported]</used></fb_memory_usage>
    <utilization><gpu_util>N/A</gpu_util></utilization>
    <temperature><gpu_temp>[Unknown Error]</gpu_temp></temperature>
    <gpu_power_readings>
      <average_power_draw>88.50 W</average_power_draw>
      <instant_power_draw>90.10 W</instant_power_draw>
      <current_power_limit>400.00 W</current_power_limit>
    </gpu_power_readings>
    <clocks><sm_clock>N/A</sm_clock></clocks>
    <processes>
      <process_info><pid>10</pid><type>G</type><process_name>Xorg</process_name><used_memory>8 MiB</used_memory></process_info>
      <process_info><pid>11</pid><type>C+G</type><process_name>python3</process_name><used_memory>N/A</used_memory></process_info>
      <process_info><pid>N/A</pid><type>C</type><process_name>ghost</process_name></process_info>
    </processes>
  </gpu>
</nvidia_smi_log>"#;

#[test]
fn not_available_markers_are_none() {
    let gpus = nvidia_smi::parse(NEWER_LAYOUT.as_bytes()).unwrap();
    let g = &gpus[0];
    assert_eq!(g.mig.as_deref(), Some(MIG_ENABLED_LABEL));
    assert_eq!(g.fan_pct, None);
    assert_eq!(g.mem_used_bytes, None);
    assert_eq!(g.mem_total_bytes, Some(40_960 * MIB));
    assert_eq!(g.util_pct, None);
    assert_eq!(g.temp_c, None);
    assert_eq!(g.sm_clock_mhz, None);
    assert_eq!(g.mem_clock_mhz, None, "absent element is None too");
    close(g.power_w, 88.5);
    close(g.power_limit_w, 400.0);
    assert_eq!(
        g.processes,
        vec![GpuProcess {
            pid: 11,
            used_bytes: None,
            name: Some("python3".to_owned()),
            server: None,
            model: None,
        }]
    );
}

#[test]
fn malformed_xml_is_a_clear_decode_error() {
    let err = nvidia_smi::parse(b"<nvidia_smi_log><gpu><uuid>GPU-x</gpu>").unwrap_err();
    assert_eq!(err.kind(), "decode");
    let msg = err.to_string();
    assert!(
        msg.contains("nvidia-smi -q -x") && msg.contains("malformed XML"),
        "{msg}"
    );

    let err = nvidia_smi::parse(b"<html><body>hi</body></html>").unwrap_err();
    assert!(
        err.to_string().contains("expected <nvidia_smi_log>"),
        "{err}"
    );

    let err = nvidia_smi::parse(&[0xff, 0xfe, b'<']).unwrap_err();
    assert!(err.to_string().contains("not UTF-8"), "{err}");

    assert_eq!(nvidia_smi::parse(b"").unwrap_err().kind(), "decode");
}

#[test]
fn empty_gpu_list_is_ok() {
    let xml = b"<?xml version=\"1.0\" ?><nvidia_smi_log><attached_gpus>0</attached_gpus></nvidia_smi_log>";
    assert_eq!(nvidia_smi::parse(xml).unwrap(), Vec::<GpuSample>::new());
}

// ---- NvidiaSmiReader (stand-in commands) -----------------------------------------------

#[test]
fn missing_nvidia_smi_is_nvml_unavailable() {
    let reader =
        NvidiaSmiReader::with_command("swarmglass-no-such-nvidia-smi", ["-q", "-x"], PATIENCE);
    let err = reader.open().unwrap_err();
    assert_eq!(err.kind(), "nvml_unavailable");
    assert!(err.to_string().contains("not found on PATH"), "{err}");
}

#[cfg(unix)]
#[test]
fn reader_runs_the_command_and_parses() {
    let path = fixture_path("h100x2_busy.xml");
    let mut reader = NvidiaSmiReader::with_command("cat", [path.as_os_str()], PATIENCE)
        .open()
        .unwrap();
    assert_eq!(
        reader.read().unwrap().len(),
        2,
        "first read: the result of open"
    );
    assert_eq!(reader.read().unwrap().len(), 2, "second read: a fresh run");
}

#[cfg(unix)]
#[test]
fn failing_command_says_why() {
    let reader = NvidiaSmiReader::with_command(
        "sh",
        [
            "-c",
            "echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.'; exit 9",
        ],
        PATIENCE,
    );
    let err = reader.open().unwrap_err();
    assert_eq!(err.kind(), "nvml_unavailable");
    assert!(err.to_string().contains("NVIDIA-SMI has failed"), "{err}");
}

#[cfg(unix)]
#[test]
fn hung_command_is_killed_at_the_timeout() {
    let mut reader = NvidiaSmiReader::with_command("sleep", ["30"], Duration::from_millis(100))
        .open()
        .unwrap();
    let err = reader.read().unwrap_err();
    assert_eq!(err.kind(), "other");
    assert!(
        err.to_string()
            .contains("no answer within 100 ms and was killed"),
        "{err}"
    );
}

// ---- the "nvml" thread -------------------------------------------------------------------

/// Returns one sample per read, naming the read number in `name`.
struct CountingReader(u32);

impl GpuReader for CountingReader {
    fn read(&mut self) -> Result<Vec<GpuSample>, SourceError> {
        self.0 += 1;
        Ok(vec![GpuSample {
            index: Some(0),
            name: Some(format!("read {}", self.0)),
            ..GpuSample::default()
        }])
    }
}

struct Harness {
    updates: Updates,
    wakes: Receiver<()>,
    stop: tokio::sync::watch::Sender<bool>,
    /// A clone of the thread's sink, for its drop counter; taken (dropped) before waiting for
    /// the channel to close.
    sink: Option<Sink>,
    handle: std::thread::JoinHandle<()>,
}

fn start(
    interval: Duration,
    capacity: usize,
    reader: Result<CountingReader, SourceError>,
) -> Harness {
    let (wake_tx, wakes) = sync_channel(64);
    let wake = Arc::new(move || {
        // A full wake channel only means the test stopped counting.
        wake_tx.try_send(()).ok();
    });
    let (sink, updates) = Sink::channel(capacity, wake);
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let handle = spawn_gpu_thread(
        SourceId::new("local", SourceKind::Nvml, "local"),
        interval,
        Box::new(move || reader.map(|r| Box::new(r) as Box<dyn GpuReader>)),
        sink.clone(),
        stop_rx,
    )
    .unwrap();
    Harness {
        updates,
        wakes,
        stop,
        sink: Some(sink),
        handle,
    }
}

/// Wait for the thread to drop its sender, collecting what it sent on the way.
fn drain_until_closed(updates: &Updates) -> Vec<SourceUpdate> {
    let mut seen = Vec::new();
    loop {
        match updates.recv_timeout(PATIENCE) {
            Ok(update) => seen.push(update),
            Err(RecvTimeoutError::Disconnected) => return seen,
            Err(RecvTimeoutError::Timeout) => panic!("GPU thread still running after {PATIENCE:?}"),
        }
    }
}

fn gpus(update: SourceUpdate) -> Result<Vec<GpuSample>, SourceError> {
    match update {
        SourceUpdate::LocalGpus { result, .. } => result,
        other => panic!("unexpected update {other:?}"),
    }
}

#[test]
fn first_update_arrives_at_once_and_stop_ends_the_thread() {
    // An hour-long interval: anything past the first read proves the stop was honoured.
    let mut h = start(Duration::from_hours(1), 4, Ok(CountingReader(0)));
    h.sink.take();
    assert_eq!(h.handle.thread().name(), Some("nvml"));
    let first = h.updates.recv_timeout(PATIENCE).unwrap();
    assert_eq!(
        first.source(),
        &SourceId::new("local", SourceKind::Nvml, "local")
    );
    assert_eq!(gpus(first).unwrap()[0].name.as_deref(), Some("read 1"));
    h.wakes.recv_timeout(PATIENCE).unwrap();

    h.stop.send(true).unwrap();
    assert!(drain_until_closed(&h.updates).is_empty());
    h.handle.join().unwrap();
}

#[test]
fn dropping_the_stop_sender_ends_the_thread() {
    let mut h = start(Duration::from_hours(1), 4, Ok(CountingReader(0)));
    h.sink.take();
    drop(h.stop);
    // Stopped before or just after the first read: the thread ends either way.
    assert!(drain_until_closed(&h.updates).len() <= 1);
    h.handle.join().unwrap();
}

#[test]
fn open_failure_sends_exactly_one_error_and_exits() {
    let reason = "cannot load libnvidia-ml.so.1".to_owned();
    let mut h = start(
        Duration::from_millis(1),
        4,
        Err(SourceError::NvmlUnavailable(reason.clone())),
    );
    h.sink.take();
    let seen = drain_until_closed(&h.updates);
    assert_eq!(seen.len(), 1);
    let err = gpus(seen.into_iter().next().unwrap()).unwrap_err();
    assert_eq!(err, SourceError::NvmlUnavailable(reason));
    h.wakes.recv_timeout(PATIENCE).unwrap();
    h.handle.join().unwrap();
}

#[test]
fn full_channel_drops_and_counts_instead_of_blocking() {
    // The smallest channel (4 updates), nobody draining, 1 ms interval: the fifth and later
    // reads are dropped.
    let mut h = start(Duration::from_millis(1), 1, Ok(CountingReader(0)));
    for _ in 0..6 {
        h.wakes.recv_timeout(PATIENCE).unwrap();
    }
    assert!(h.sink.take().unwrap().dropped() >= 2);
    h.stop.send(true).unwrap();
    let kept = drain_until_closed(&h.updates);
    assert_eq!(
        gpus(kept.into_iter().next().unwrap()).unwrap()[0]
            .name
            .as_deref(),
        Some("read 1")
    );
    h.handle.join().unwrap();
}

/// A real `nvidia-smi -q -x` capture (H200, driver 580.159.04, v13 layout) taken on a lent GPU
/// machine during development; serial and UUID zeroed.
#[test]
fn real_h200_capture_parses() {
    let gpus = nvidia_smi::parse(&fixture("h200_captured_driver580.xml")).unwrap();
    assert_eq!(gpus.len(), 1);
    let g = &gpus[0];
    assert_eq!(g.name.as_deref(), Some("NVIDIA H200"));
    assert_eq!(
        g.uuid.as_deref(),
        Some("GPU-00000000-0000-0000-0000-000000000000")
    );
    assert_eq!(g.mem_total_bytes, Some(143_771 * 1024 * 1024));
    assert_eq!(g.mem_used_bytes, Some(1_643 * 1024 * 1024));
    close(g.util_pct, 2.0);
    close(g.temp_c, 39.0);
    close(g.power_w, 96.79);
    close(g.power_limit_w, 700.0);
    assert_eq!(g.fan_pct, None, "data-centre GPU: fan N/A");
}
