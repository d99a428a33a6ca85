//! Sources: one module per kind of thing Swarmglass reads. Each has a pure `parse` tested on
//! fixtures and a thin fetch. Nothing here touches egui or owns the model.

pub mod events;
pub mod http;
pub mod mapping;
pub mod nvidia_smi;
pub mod nvml;
pub mod prometheus;
pub mod status;
