//! Local GPUs through NVML (nvml-wrapper), read on a dedicated, named blocking thread.
//!
//! Owns: the [`GpuApi`] seam over NVML with its plain [`DeviceReading`]s, the pure mapping
//! [`read_gpus`] from readings to [`GpuSample`]s (units converted, missing figures `None`),
//! the real [`NvmlApi`]/[`NvmlReader`], and the "nvml" collector thread [`spawn_gpu_thread`]
//! that runs any [`GpuReader`] (NVML here, `nvidia-smi -q -x` in
//! [`super::nvidia_smi::NvidiaSmiReader`]).
//!
//! Must not: touch egui or the model, panic, block on a full channel, or retry a missing
//! driver noisily (nvml-wrapper loads `libnvidia-ml.so.1` at run time, so a machine without
//! the driver gets one `NvmlUnavailable` and the thread ends).

use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
use nvml_wrapper::enums::device::UsedGpuMemory;
use nvml_wrapper::error::NvmlError;

use crate::model::gpu::{GpuProcess, GpuSample};
use crate::model::ids::SourceId;
use crate::model::input::{SourceError, SourceUpdate};
use crate::sources::framework::{Poll, PollSchedule, Sink, Stop, poll_loop};

/// The `mig` text of a whole GPU whose MIG mode is on (its slices follow as their own samples).
pub const MIG_ENABLED_LABEL: &str = "MIG enabled";

/// NVML's `NVML_DEVICE_MIG_ENABLE`: the value of `MigMode::current` when MIG is on.
const NVML_MIG_ENABLE: u32 = 1;

/// Raw figures of one GPU (or one MIG slice) in NVML's own units, before mapping.
///
/// Each figure is `None` when its getter failed; `NotSupported` is normal (no fan on an H100,
/// no utilisation on a MIG slice).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceReading {
    /// NVML index of a GPU; for a MIG slice, its slot on the parent (`mig_device_by_index`).
    pub index: Option<u32>,
    /// `GPU-…` (or `MIG-…` for a slice).
    pub uuid: Option<String>,
    /// Product name, e.g. `NVIDIA H100 80GB HBM3` or `NVIDIA A100-SXM4-40GB MIG 1g.5gb`.
    pub name: Option<String>,
    /// Whether MIG mode is currently on (`None`: the GPU has no MIG, or it could not be read).
    pub mig_enabled: Option<bool>,
    /// Compute utilisation, percent.
    pub util_gpu_pct: Option<u32>,
    /// Framebuffer memory used, bytes.
    pub mem_used_bytes: Option<u64>,
    /// Framebuffer memory total, bytes.
    pub mem_total_bytes: Option<u64>,
    /// Core temperature, °C.
    pub temp_c: Option<u32>,
    /// Power draw, milliwatts.
    pub power_mw: Option<u32>,
    /// Enforced power limit, milliwatts.
    pub power_limit_mw: Option<u32>,
    /// SM clock, MHz.
    pub sm_clock_mhz: Option<u32>,
    /// Memory clock, MHz.
    pub mem_clock_mhz: Option<u32>,
    /// Speed of fan 0, percent of its maximum.
    pub fan_pct: Option<u32>,
    /// Running compute processes; empty when there are none or the list could not be read.
    pub processes: Vec<ProcessReading>,
    /// MIG slices of this GPU (only when MIG is on), each read like a GPU.
    pub mig_slices: Vec<DeviceReading>,
}

/// One compute process as NVML lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessReading {
    /// Operating-system process id (of the host's PID namespace).
    pub pid: u32,
    /// GPU memory used, bytes (`None` when the driver does not say, e.g. under WDDM).
    pub used_bytes: Option<u64>,
}

/// What [`read_gpus`] needs from NVML; a fake implements it in tests.
pub trait GpuApi {
    /// Number of GPUs. An error here fails the whole reading.
    ///
    /// # Errors
    /// The backend's reason, as text.
    fn device_count(&self) -> Result<u32, String>;

    /// Every figure of GPU `index`, each `None` when its getter failed.
    ///
    /// # Errors
    /// The backend's reason when the device itself cannot be opened (e.g. it fell off the bus).
    fn device(&self, index: u32) -> Result<DeviceReading, String>;

    /// Name of process `pid`; by default from `/proc/<pid>/comm` (see [`proc_comm_name`]).
    fn process_name(&self, pid: u32) -> Option<String> {
        proc_comm_name(pid)
    }

    /// The server and model of process `pid`; by default from its command line (see
    /// [`crate::sources::procs::of_pid`]).
    fn served(&self, pid: u32) -> Option<crate::sources::procs::Served> {
        crate::sources::procs::of_pid(pid)
    }
}

/// Something the "nvml" thread reads every interval: NVML or `nvidia-smi`.
pub trait GpuReader: Send {
    /// One sample per local GPU (and per MIG slice).
    ///
    /// # Errors
    /// Why no sample could be taken this time.
    fn read(&mut self) -> Result<Vec<GpuSample>, SourceError>;
}

/// A process's short name from `/proc/<pid>/comm` (at most 15 bytes, Linux's limit), or
/// `None` when the process is gone, belongs to another PID namespace (a container), or the
/// OS is not Linux.
#[cfg(target_os = "linux")]
#[must_use]
pub fn proc_comm_name(pid: u32) -> Option<String> {
    let raw = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    let name = raw.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// A process's name; always `None` off Linux (no `/proc`).
#[cfg(not(target_os = "linux"))]
#[must_use]
pub fn proc_comm_name(_pid: u32) -> Option<String> {
    None
}

/// Read every GPU through `api` and map it to [`GpuSample`]s: bytes stay bytes, mW become W,
/// a figure NVML could not give stays `None`, never 0.
///
/// A GPU whose handle cannot be opened still yields a sample carrying only its index (so it
/// shows as "n/a" instead of vanishing); the reason goes to the debug log. A GPU in MIG mode
/// yields its own sample with `mig` = [`MIG_ENABLED_LABEL`], then one sample per slice with the
/// parent's index and UUID and `mig` = `MIG <profile> #<slot>`.
///
/// # Errors
/// [`SourceError::NvmlUnavailable`] when the GPUs cannot even be counted.
pub fn read_gpus(api: &dyn GpuApi) -> Result<Vec<GpuSample>, SourceError> {
    let count = api.device_count().map_err(|reason| {
        SourceError::NvmlUnavailable(format!(
            "cannot count the GPUs: {reason}; check that `nvidia-smi` works on this machine"
        ))
    })?;
    let mut samples = Vec::new();
    for index in 0..count {
        match api.device(index) {
            Ok(reading) => push_samples(api, index, &reading, &mut samples),
            Err(reason) => {
                log::debug!("NVML: GPU {index} cannot be opened: {reason}");
                samples.push(GpuSample {
                    index: Some(index),
                    ..GpuSample::default()
                });
            }
        }
    }
    Ok(samples)
}

/// The parent GPU's sample, then one per MIG slice.
fn push_samples(api: &dyn GpuApi, index: u32, reading: &DeviceReading, out: &mut Vec<GpuSample>) {
    let parent_index = reading.index.or(Some(index));
    let mut parent = to_sample(api, reading);
    parent.index = parent_index;
    if reading.mig_enabled == Some(true) {
        parent.mig = Some(MIG_ENABLED_LABEL.to_owned());
    }
    out.push(parent);
    for (position, slice) in reading.mig_slices.iter().enumerate() {
        let slot = slice
            .index
            .map_or_else(|| position.to_string(), |s| s.to_string());
        let mut sample = to_sample(api, slice);
        sample.index = parent_index;
        sample.uuid.clone_from(&reading.uuid);
        sample.mig = Some(match mig_profile(slice.name.as_deref()) {
            Some(profile) => format!("MIG {profile} #{slot}"),
            None => format!("MIG #{slot}"),
        });
        out.push(sample);
    }
}

/// `1g.10gb` out of `NVIDIA H100 80GB HBM3 MIG 1g.10gb`.
fn mig_profile(name: Option<&str>) -> Option<&str> {
    let (_, profile) = name?.rsplit_once(" MIG ")?;
    let profile = profile.trim();
    (!profile.is_empty()).then_some(profile)
}

/// Convert units; identity fields are set by the caller.
fn to_sample(api: &dyn GpuApi, r: &DeviceReading) -> GpuSample {
    GpuSample {
        index: r.index,
        uuid: r.uuid.clone(),
        name: r.name.clone(),
        mig: None,
        util_pct: r.util_gpu_pct.map(f64::from),
        mem_used_bytes: r.mem_used_bytes,
        mem_total_bytes: r.mem_total_bytes,
        temp_c: r.temp_c.map(f64::from),
        power_w: r.power_mw.map(milliwatts_to_watts),
        power_limit_w: r.power_limit_mw.map(milliwatts_to_watts),
        sm_clock_mhz: r.sm_clock_mhz.map(f64::from),
        mem_clock_mhz: r.mem_clock_mhz.map(f64::from),
        fan_pct: r.fan_pct.map(f64::from),
        processes: r
            .processes
            .iter()
            .map(|p| {
                let served = api.served(p.pid);
                GpuProcess {
                    pid: p.pid,
                    used_bytes: p.used_bytes,
                    name: api.process_name(p.pid),
                    server: served.as_ref().map(|s| s.server.to_owned()),
                    model: served.and_then(|s| s.model),
                }
            })
            .collect(),
    }
}

fn milliwatts_to_watts(mw: u32) -> f64 {
    f64::from(mw) / 1000.0
}

/// [`GpuApi`] over the real NVML library.
pub struct NvmlApi {
    nvml: Nvml,
}

impl NvmlApi {
    /// Load `libnvidia-ml.so.1` (`nvml.dll` on Windows) and initialise NVML.
    ///
    /// # Errors
    /// [`SourceError::NvmlUnavailable`] saying why (no library, driver not loaded, no
    /// permission…) and what to do.
    pub fn init() -> Result<Self, SourceError> {
        Nvml::init()
            .map(|nvml| Self { nvml })
            .map_err(|e| SourceError::NvmlUnavailable(init_reason(&e)))
    }
}

/// A user-facing reason for a failed `nvmlInit`.
fn init_reason(e: &NvmlError) -> String {
    match e {
        NvmlError::LibloadingError(inner) => format!(
            "cannot load the NVIDIA management library (libnvidia-ml.so.1): {inner}; install the \
             NVIDIA driver, or set `[nvml] enabled = false` (or pass --no-nvml) on machines without NVIDIA GPUs"
        ),
        NvmlError::DriverNotLoaded => "the NVIDIA kernel driver is not loaded; load it (e.g. \
                                       `modprobe nvidia`) or set `[nvml] enabled = false` (or pass --no-nvml)"
            .to_owned(),
        NvmlError::NoPermission => "no permission to talk to the NVIDIA driver; check access to \
                                    /dev/nvidia*"
            .to_owned(),
        other => {
            format!("NVML init failed: {other}; check that `nvidia-smi` works on this machine")
        }
    }
}

impl GpuApi for NvmlApi {
    fn device_count(&self) -> Result<u32, String> {
        self.nvml.device_count().map_err(|e| e.to_string())
    }

    fn device(&self, index: u32) -> Result<DeviceReading, String> {
        let device = self
            .nvml
            .device_by_index(index)
            .map_err(|e| e.to_string())?;
        let mut reading = read_device(&device);
        reading.index = Some(device.index().unwrap_or(index));
        reading.mig_enabled = device
            .mig_mode()
            .ok()
            .map(|mode| mode.current == NVML_MIG_ENABLE);
        if reading.mig_enabled == Some(true) {
            reading.mig_slices = read_mig_slices(&device);
        }
        Ok(reading)
    }
}

/// Every per-figure getter; a failed getter gives `None` for its figure only.
fn read_device(device: &nvml_wrapper::Device<'_>) -> DeviceReading {
    let memory = device.memory_info().ok();
    DeviceReading {
        index: None,
        uuid: device.uuid().ok(),
        name: device.name().ok(),
        mig_enabled: None,
        util_gpu_pct: device.utilization_rates().ok().map(|u| u.gpu),
        mem_used_bytes: memory.as_ref().map(|m| m.used),
        mem_total_bytes: memory.as_ref().map(|m| m.total),
        temp_c: device.temperature(TemperatureSensor::Gpu).ok(),
        power_mw: device.power_usage().ok(),
        power_limit_mw: device.enforced_power_limit().ok(),
        sm_clock_mhz: device.clock_info(Clock::SM).ok(),
        mem_clock_mhz: device.clock_info(Clock::Memory).ok(),
        fan_pct: device.fan_speed(0).ok(),
        processes: device
            .running_compute_processes()
            .map(|list| {
                list.into_iter()
                    .map(|p| ProcessReading {
                        pid: p.pid,
                        used_bytes: match p.used_gpu_memory {
                            UsedGpuMemory::Used(bytes) => Some(bytes),
                            UsedGpuMemory::Unavailable => None,
                        },
                    })
                    .collect()
            })
            .unwrap_or_default(),
        mig_slices: Vec::new(),
    }
}

/// The populated MIG slots of a GPU in MIG mode (empty slots answer `NotFound` and are skipped).
fn read_mig_slices(device: &nvml_wrapper::Device<'_>) -> Vec<DeviceReading> {
    let Ok(max_slots) = device.mig_device_count() else {
        return Vec::new();
    };
    (0..max_slots)
        .filter_map(|slot| {
            let slice = device.mig_device_by_index(slot).ok()?;
            Some(DeviceReading {
                index: Some(slot),
                ..read_device(&slice)
            })
        })
        .collect()
}

/// [`GpuReader`] over NVML.
pub struct NvmlReader {
    api: NvmlApi,
}

impl NvmlReader {
    /// Initialise NVML (see [`NvmlApi::init`]).
    ///
    /// # Errors
    /// [`SourceError::NvmlUnavailable`] when the library or driver is missing.
    pub fn open() -> Result<Self, SourceError> {
        NvmlApi::init().map(|api| Self { api })
    }

    /// [`Self::open`], boxed: fits the `open` argument of [`spawn_gpu_thread`].
    ///
    /// # Errors
    /// As [`Self::open`].
    pub fn open_boxed() -> Result<Box<dyn GpuReader>, SourceError> {
        Ok(Box::new(Self::open()?))
    }
}

impl GpuReader for NvmlReader {
    fn read(&mut self) -> Result<Vec<GpuSample>, SourceError> {
        read_gpus(&self.api)
    }
}

/// Opens a [`GpuReader`] on the collector thread (NVML handles stay on the thread that uses them).
pub type GpuOpener = Box<dyn FnOnce() -> Result<Box<dyn GpuReader>, SourceError> + Send>;

/// Local GPUs as a polled source: the backend is opened at the first poll, on the thread that
/// polls (NVML handles stay on the thread that uses them). When it cannot be opened, that one
/// error is reported and polling ends: a machine without a driver is not retried.
pub struct GpuPoll {
    source: SourceId,
    open: Option<GpuOpener>,
    reader: Option<Box<dyn GpuReader>>,
}

impl GpuPoll {
    /// A poller of the backend that `open` opens.
    #[must_use]
    pub fn new(source: SourceId, open: GpuOpener) -> Self {
        Self {
            source,
            open: Some(open),
            reader: None,
        }
    }
}

impl Poll for GpuPoll {
    async fn poll(&mut self) -> Option<SourceUpdate> {
        if self.reader.is_none() {
            let open = self.open.take()?;
            match open() {
                Ok(reader) => self.reader = Some(reader),
                Err(err) => {
                    log::warn!(
                        "{}: {err}; local GPUs will not be read (not retrying)",
                        self.source
                    );
                    return Some(self.update(Err(err)));
                }
            }
        }
        let result = self.reader.as_mut()?.read();
        Some(self.update(result))
    }

    fn finished(&self) -> bool {
        self.reader.is_none()
    }
}

impl GpuPoll {
    fn update(&self, result: Result<Vec<GpuSample>, SourceError>) -> SourceUpdate {
        SourceUpdate::LocalGpus {
            source: self.source.clone(),
            at: SystemTime::now(),
            result,
        }
    }
}

/// Start the named "nvml" thread: the framework's poll loop over a [`GpuPoll`], on a
/// single-threaded runtime of its own, so that a slow or hung driver call never stalls the
/// other sources. First read at once, then every `interval`; every update through `sink`. It
/// ends promptly when `stop` flips, and when the consumer is gone.
///
/// # Errors
/// The OS refused to start a thread or its runtime.
pub fn spawn_gpu_thread(
    source: SourceId,
    interval: Duration,
    open: GpuOpener,
    sink: Sink,
    stop: Stop,
) -> std::io::Result<JoinHandle<()>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    std::thread::Builder::new()
        .name("nvml".to_owned())
        .spawn(move || {
            rt.block_on(poll_loop(
                GpuPoll::new(source, open),
                PollSchedule::every(interval),
                sink,
                stop,
            ));
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests: a panic is the failure report")]
#[path = "nvml_tests.rs"]
mod tests;
