//! `nvidia-smi -q -x` XML → model → snapshot.
#![no_main]

#[path = "bodies/mod.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::nvidia_smi_xml::run(data));
