//! Local GPUs in the collector runtime: NVML, falling back to `nvidia-smi -q -x` when the config
//! allows it, read by the framework's poll loop on the named "nvml" thread
//! ([`crate::sources::nvml::spawn_gpu_thread`]).

use std::thread::JoinHandle;

use crate::config::NvmlConfig;
use crate::model::ids::{SourceId, SourceKind};
use crate::model::input::SourceError;
use crate::sources::framework::{Sink, Stop};
use crate::sources::{nvidia_smi, nvml};

/// Start reading local GPUs; returns the source's id and the thread.
///
/// # Errors
/// The OS refused to start the thread.
pub(super) fn start(
    cfg: &NvmlConfig,
    sink: Sink,
    stop: Stop,
) -> std::io::Result<(SourceId, JoinHandle<()>)> {
    let id = SourceId::new(cfg.node.clone(), SourceKind::Nvml, "local");
    let handle = nvml::spawn_gpu_thread(
        id.clone(),
        cfg.interval,
        opener(cfg.nvidia_smi_fallback),
        sink,
        stop,
    )?;
    Ok((id, handle))
}

/// The one way local GPUs are opened (the window's collector and `swarmglass agent`): NVML,
/// else `nvidia-smi -q -x` when `fallback`, with both reasons when neither works.
#[must_use]
pub fn opener(fallback: bool) -> nvml::GpuOpener {
    Box::new(move || match nvml::NvmlReader::open_boxed() {
        Ok(r) => Ok(r),
        Err(nvml_err) if fallback => nvidia_smi::NvidiaSmiReader::open_boxed().map_err(|smi_err| {
            let inner = |e: &SourceError| match e {
                SourceError::NvmlUnavailable(reason) => reason.clone(),
                other => other.to_string(),
            };
            SourceError::NvmlUnavailable(format!(
                "{}; nvidia-smi fallback: {}",
                inner(&nvml_err),
                inner(&smi_err)
            ))
        }),
        Err(e) => Err(e),
    })
}
