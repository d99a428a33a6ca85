//! Unit tests of `nvml.rs` (kept apart to keep that file small).

use super::*;

/// A scripted NVML: GPU count (or its error), one result per index, names per PID.
struct FakeApi {
    count: Result<u32, String>,
    devices: Vec<Result<DeviceReading, String>>,
    names: Vec<(u32, &'static str)>,
}

impl GpuApi for FakeApi {
    fn device_count(&self) -> Result<u32, String> {
        self.count.clone()
    }
    fn device(&self, index: u32) -> Result<DeviceReading, String> {
        self.devices[index as usize].clone()
    }
    fn process_name(&self, pid: u32) -> Option<String> {
        self.names
            .iter()
            .find(|(p, _)| *p == pid)
            .map(|(_, n)| (*n).to_owned())
    }
    fn served(&self, pid: u32) -> Option<crate::sources::procs::Served> {
        // Process 4242 runs `vllm serve meta-llama/Llama-3.1-70B`.
        (pid == 4242).then_some(())?;
        let argv = ["/usr/bin/vllm", "serve", "meta-llama/Llama-3.1-70B"];
        crate::sources::procs::recognise(&argv.map(str::to_owned))
    }
}

fn h100() -> DeviceReading {
    DeviceReading {
        index: Some(0),
        uuid: Some("GPU-aaaa".to_owned()),
        name: Some("NVIDIA H100 80GB HBM3".to_owned()),
        mig_enabled: Some(false),
        util_gpu_pct: Some(82),
        mem_used_bytes: Some(74_411 * 1024 * 1024),
        mem_total_bytes: Some(81_559 * 1024 * 1024),
        temp_c: Some(45),
        power_mw: Some(301_230),
        power_limit_mw: Some(700_000),
        sm_clock_mhz: Some(1980),
        mem_clock_mhz: Some(2619),
        fan_pct: None,
        processes: vec![
            ProcessReading {
                pid: 4242,
                used_bytes: Some(72_000 * 1024 * 1024),
            },
            ProcessReading {
                pid: 77,
                used_bytes: None,
            },
        ],
        mig_slices: Vec::new(),
    }
}

fn fake(devices: Vec<Result<DeviceReading, String>>) -> FakeApi {
    FakeApi {
        count: Ok(u32::try_from(devices.len()).unwrap_or(u32::MAX)),
        devices,
        names: vec![(4242, "python3")],
    }
}

#[test]
fn units_are_converted() {
    let samples = read_gpus(&fake(vec![Ok(h100())])).unwrap();
    assert_eq!(samples.len(), 1);
    let s = &samples[0];
    assert_eq!(s.index, Some(0));
    assert_eq!(s.uuid.as_deref(), Some("GPU-aaaa"));
    assert_eq!(s.name.as_deref(), Some("NVIDIA H100 80GB HBM3"));
    assert_eq!(s.mig, None);
    assert_eq!(s.util_pct, Some(82.0));
    assert_eq!(s.mem_used_bytes, Some(78_025_588_736));
    assert_eq!(s.mem_total_bytes, Some(85_520_809_984));
    assert_eq!(s.temp_c, Some(45.0));
    assert!((s.power_w.unwrap() - 301.23).abs() < 1e-9);
    assert_eq!(s.power_limit_w, Some(700.0));
    assert_eq!(s.sm_clock_mhz, Some(1980.0));
    assert_eq!(s.mem_clock_mhz, Some(2619.0));
}

#[test]
fn failed_figures_are_none_not_zero() {
    let bare = DeviceReading {
        index: Some(0),
        ..DeviceReading::default()
    };
    let samples = read_gpus(&fake(vec![Ok(bare)])).unwrap();
    let s = &samples[0];
    assert_eq!(s.fan_pct, None);
    assert_eq!(s.util_pct, None);
    assert_eq!(s.mem_used_bytes, None);
    assert_eq!(s.power_w, None);
    assert_eq!(s.temp_c, None);
    assert_eq!(s.mem_used_pct(), None);
    assert!(s.processes.is_empty());
}

#[test]
fn processes_get_names_memory_and_what_they_serve() {
    let samples = read_gpus(&fake(vec![Ok(h100())])).unwrap();
    let procs = &samples[0].processes;
    assert_eq!(
        procs,
        &vec![
            GpuProcess {
                pid: 4242,
                used_bytes: Some(75_497_472_000),
                name: Some("python3".to_owned()),
                server: Some("vllm".to_owned()),
                model: Some("meta-llama/Llama-3.1-70B".to_owned()),
            },
            GpuProcess {
                pid: 77,
                used_bytes: None,
                name: None,
                server: None,
                model: None,
            },
        ]
    );
}

#[test]
fn device_count_failure_is_the_error() {
    let api = FakeApi {
        count: Err("Driver Not Loaded".to_owned()),
        devices: Vec::new(),
        names: Vec::new(),
    };
    let err = read_gpus(&api).unwrap_err();
    assert_eq!(err.kind(), "nvml_unavailable");
    assert!(err.to_string().contains("Driver Not Loaded"), "{err}");
}

#[test]
fn a_lost_device_keeps_its_index_with_no_figures() {
    let samples = read_gpus(&fake(vec![Ok(h100()), Err("GPU is lost".to_owned())])).unwrap();
    assert_eq!(samples.len(), 2);
    assert_eq!(
        samples[1],
        GpuSample {
            index: Some(1),
            ..GpuSample::default()
        }
    );
}

#[test]
fn index_falls_back_to_enumeration_order() {
    let no_index = DeviceReading {
        index: None,
        ..h100()
    };
    let samples = read_gpus(&fake(vec![Ok(h100()), Ok(no_index)])).unwrap();
    assert_eq!(samples[1].index, Some(1));
}

#[test]
fn mig_parent_and_slices() {
    let slice = |slot: u32, name: Option<&str>| DeviceReading {
        index: Some(slot),
        uuid: Some(format!("MIG-{slot}")),
        name: name.map(str::to_owned),
        mem_used_bytes: Some(13 * 1024 * 1024),
        mem_total_bytes: Some(9_984 * 1024 * 1024),
        processes: vec![ProcessReading {
            pid: 4242,
            used_bytes: Some(1024),
        }],
        ..DeviceReading::default()
    };
    let parent = DeviceReading {
        mig_enabled: Some(true),
        util_gpu_pct: None,
        processes: Vec::new(),
        mig_slices: vec![
            slice(0, Some("NVIDIA H100 80GB HBM3 MIG 1g.10gb")),
            slice(3, None),
        ],
        ..h100()
    };
    let samples = read_gpus(&fake(vec![Ok(parent)])).unwrap();
    assert_eq!(samples.len(), 3);
    assert_eq!(samples[0].mig.as_deref(), Some(MIG_ENABLED_LABEL));
    assert_eq!(samples[1].mig.as_deref(), Some("MIG 1g.10gb #0"));
    assert_eq!(samples[2].mig.as_deref(), Some("MIG #3"));
    for s in &samples[1..] {
        assert_eq!(s.index, Some(0));
        assert_eq!(s.uuid.as_deref(), Some("GPU-aaaa"));
        assert_eq!(s.util_pct, None);
        assert_eq!(s.processes[0].name.as_deref(), Some("python3"));
    }
    assert_eq!(samples[1].mem_total_bytes, Some(9_984 * 1024 * 1024));
    assert_eq!(samples[1].key(), "GPU-aaaa/MIG 1g.10gb #0");
}

#[cfg(target_os = "linux")]
#[test]
fn proc_comm_names_this_process() {
    let name = proc_comm_name(std::process::id()).unwrap();
    assert!(!name.is_empty() && name.len() <= 15, "{name:?}");
    assert_eq!(proc_comm_name(u32::MAX), None);
}

#[test]
fn nvml_init_never_panics() {
    // On a machine without the driver this is NvmlUnavailable; with one, it works.
    match NvmlApi::init() {
        Ok(api) => assert!(read_gpus(&api).is_ok()),
        Err(err) => assert_eq!(err.kind(), "nvml_unavailable", "{err}"),
    }
}
