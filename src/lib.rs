//! Swarmglass: live sight of an AI-agent swarm and the GPU nodes that serve it.
//!
//! The library holds everything testable: config, sources (parsers and fetchers), the collector
//! runtime, the model and its derivations, the simulated cluster, the headless commands and the
//! egui screens. `main.rs` only wires them together. See `ARCHITECTURE.md`.

pub mod agent;
pub mod alerts;
pub mod app;
pub mod cli;
pub mod config;
pub mod format;
pub mod generate;
pub mod headless;
pub mod history;
pub mod model;
pub mod recording;
pub mod runtime;
pub mod signals;
pub mod sim;
pub mod sources;
/// Scripted models for tests and benchmarks; not part of the API.
#[doc(hidden)]
pub mod testdata;
pub mod ui;
