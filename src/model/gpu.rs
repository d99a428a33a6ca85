//! GPU value types shared by every GPU source (NVML, `nvidia-smi -q -x`, dcgm-exporter,
//! nvidia_gpu_exporter, the smart proxy). Plain data: no I/O, no egui.

use serde::Serialize;

/// Where a GPU reading came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GpuOrigin {
    /// This machine, through NVML.
    Nvml,
    /// This machine, through `nvidia-smi -q -x`.
    NvidiaSmiXml,
    /// A remote dcgm-exporter.
    Dcgm,
    /// A remote nvidia_gpu_exporter.
    NvidiaGpuExporter,
    /// A remote `swarmglass agent`.
    Agent,
}

/// A process holding memory on a GPU.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuProcess {
    /// Operating-system process id.
    pub pid: u32,
    /// GPU memory used by the process, if the driver reports it.
    pub used_bytes: Option<u64>,
    /// Process name (executable or command), if known.
    pub name: Option<String>,
    /// The inference server it is (`vllm`, `sglang`, `llamacpp`, `tgi`, `ollama`), when its
    /// command line tells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// The model it serves, when its command line names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// One reading of one GPU. Every figure is optional: a figure the source does not give is
/// `None` ("n/a"), never 0.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct GpuSample {
    /// Index on its host (`gpu` label, NVML index).
    pub index: Option<u32>,
    /// Stable identity (`GPU-…`), when known.
    pub uuid: Option<String>,
    /// Product name, e.g. `NVIDIA H100 80GB HBM3`.
    pub name: Option<String>,
    /// MIG instance description (`GPU_I_ID`/profile) when this is a MIG slice.
    pub mig: Option<String>,
    /// Compute utilisation, 0–100.
    pub util_pct: Option<f64>,
    /// Framebuffer memory used, bytes.
    pub mem_used_bytes: Option<u64>,
    /// Framebuffer memory total, bytes.
    pub mem_total_bytes: Option<u64>,
    /// Core temperature, °C.
    pub temp_c: Option<f64>,
    /// Power draw, watts.
    pub power_w: Option<f64>,
    /// Enforced power limit, watts.
    pub power_limit_w: Option<f64>,
    /// SM clock, MHz.
    pub sm_clock_mhz: Option<f64>,
    /// Memory clock, MHz.
    pub mem_clock_mhz: Option<f64>,
    /// Fan speed, 0–100 (None on passively cooled data-centre GPUs).
    pub fan_pct: Option<f64>,
    /// Compute processes running on the GPU.
    pub processes: Vec<GpuProcess>,
}

impl GpuSample {
    /// Memory used as a percentage of total, when both are known and total is non-zero.
    #[must_use]
    pub fn mem_used_pct(&self) -> Option<f64> {
        match (self.mem_used_bytes, self.mem_total_bytes) {
            #[allow(clippy::cast_precision_loss)]
            (Some(used), Some(total)) if total > 0 => Some(used as f64 * 100.0 / total as f64),
            _ => None,
        }
    }

    /// Fill what this reading lacks from `other`, a reading of the same GPU by another source
    /// (NVML's figures first, an exporter's filling the gaps).
    pub fn fill_gaps_from(&mut self, other: &Self) {
        fn fill<T: Clone>(mine: &mut Option<T>, theirs: &Option<T>) {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        }
        fill(&mut self.index, &other.index);
        fill(&mut self.uuid, &other.uuid);
        fill(&mut self.name, &other.name);
        fill(&mut self.mig, &other.mig);
        fill(&mut self.util_pct, &other.util_pct);
        fill(&mut self.mem_used_bytes, &other.mem_used_bytes);
        fill(&mut self.mem_total_bytes, &other.mem_total_bytes);
        fill(&mut self.temp_c, &other.temp_c);
        fill(&mut self.power_w, &other.power_w);
        fill(&mut self.power_limit_w, &other.power_limit_w);
        fill(&mut self.sm_clock_mhz, &other.sm_clock_mhz);
        fill(&mut self.mem_clock_mhz, &other.mem_clock_mhz);
        fill(&mut self.fan_pct, &other.fan_pct);
        if self.processes.is_empty() {
            self.processes.clone_from(&other.processes);
        }
    }

    /// A key that identifies this GPU within its node: UUID (plus MIG instance) if known,
    /// else the index.
    #[must_use]
    pub fn key(&self) -> String {
        match (&self.uuid, &self.mig, self.index) {
            (Some(u), Some(m), _) => format!("{u}/{m}"),
            (Some(u), None, _) => u.clone(),
            (None, _, Some(i)) => format!("gpu{i}"),
            (None, _, None) => "gpu?".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_filled_and_figures_kept() {
        let mut nvml = GpuSample {
            index: Some(0),
            uuid: Some("GPU-1".into()),
            util_pct: Some(50.0),
            ..GpuSample::default()
        };
        let dcgm = GpuSample {
            index: Some(3),
            uuid: Some("GPU-1".into()),
            util_pct: Some(99.0),
            power_limit_w: Some(700.0),
            ..GpuSample::default()
        };
        nvml.fill_gaps_from(&dcgm);
        assert_eq!(nvml.util_pct, Some(50.0));
        assert_eq!(nvml.index, Some(0));
        assert_eq!(nvml.power_limit_w, Some(700.0));
        assert_eq!(nvml.temp_c, None);
    }
}
