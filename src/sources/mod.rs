//! Sources: one module per kind of thing Swarmglass reads. Each has a pure `parse` tested on
//! fixtures and a thin fetch, and runs through the one [`framework`] (sink, backoff, poll loop,
//! stream loop). Sources produce the model's own update types (`crate::model::input`); nothing
//! here touches egui, owns the model or imports the runtime.

pub mod agent_metrics;
pub mod discover;
pub mod events;
pub mod framework;
pub mod http;
pub mod mapping;
pub mod nvidia_smi;
pub mod nvml;
pub mod ollama;
pub mod procs;
pub mod prometheus;
pub mod promserver;
pub mod slots;
pub mod status;
