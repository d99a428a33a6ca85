//! Every fuzz target's body, as a plain function over the input bytes: libFuzzer's entries
//! (one binary per target, beside this folder) and the main crate's stable smoke run
//! (`tests/fuzz_smoke.rs`, part of the test suite) both call these, so what CI exercises is
//! exactly what `scripts/fuzz.sh` fuzzes.

#![allow(dead_code, reason = "each libFuzzer binary calls one body")]

pub mod common;
pub mod scrape;

pub mod config_toml;
pub mod exec_frame;
pub mod history_chunk;
pub mod nexus_frame;
pub mod nvidia_smi_xml;
pub mod openclaw_gateway;
pub mod openclaw_store;
pub mod openmetrics;
pub mod prometheus_text;
pub mod promql_answer;
pub mod status_json;
pub mod tool_proxy_log;

/// A target's body: one input, any bytes.
pub type Body = fn(&[u8]);

/// Every target: its name (= its corpus folder under fuzz/corpus/) and its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("prometheus_text", prometheus_text::run),
    ("openmetrics", openmetrics::run),
    ("status_json", status_json::run),
    ("nexus_frame", nexus_frame::run),
    ("exec_frame", exec_frame::run),
    ("openclaw_store", openclaw_store::run),
    ("openclaw_gateway", openclaw_gateway::run),
    ("tool_proxy_log", tool_proxy_log::run),
    ("nvidia_smi_xml", nvidia_smi_xml::run),
    ("config_toml", config_toml::run),
    ("history_chunk", history_chunk::run),
    ("promql_answer", promql_answer::run),
];
