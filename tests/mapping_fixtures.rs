//! The canonical mapping of each server kind, on real payloads from tests/fixtures/prometheus.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::float_cmp)]

use swarmglass::model::scrape::ServerKind;
use swarmglass::sources::mapping::{detect_kind, map};
use swarmglass::sources::prometheus::{Format, parse};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/prometheus/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn mapped(name: &str, kind: Option<ServerKind>) -> swarmglass::model::scrape::ScrapeData {
    let body = fixture(name);
    let exp = parse(&body, Format::Prometheus);
    assert!(exp.errors.is_empty(), "{name}: {:?}", exp.errors);
    map(&exp, kind, body.len())
}

#[test]
fn kinds_are_detected_from_metric_names() {
    for (file, kind) in [
        ("datadog__vllm_metrics.txt", ServerKind::Vllm),
        ("datadog__sglang_metrics.txt", ServerKind::Sglang),
        ("datadog__tgi_payload_first14k.txt", ServerKind::Tgi),
        ("datadog__dcgm_exporter_metrics.txt", ServerKind::Dcgm),
        (
            "nvidia_gpu_exporter__h100_load.prom",
            ServerKind::NvidiaGpuExporter,
        ),
        (
            "node_exporter__e2e-output-linux.prom",
            ServerKind::NodeExporter,
        ),
    ] {
        let body = fixture(file);
        assert_eq!(
            detect_kind(&parse(&body, Format::Prometheus)),
            Some(kind),
            "{file}"
        );
    }
}

#[test]
fn vllm_fixture_maps_to_canonical_figures() {
    let d = mapped("datadog__vllm_metrics.txt", None);
    assert_eq!(d.kind, Some(ServerKind::Vllm));
    assert_eq!(d.inference.len(), 1);
    let r = &d.inference[0];
    assert_eq!(r.model.as_deref(), Some("facebook/opt-125m"));
    assert_eq!(r.running, Some(0.0));
    assert_eq!(r.waiting, Some(0.0));
    assert_eq!(r.kv_cache_frac, Some(0.0));
    assert_eq!(r.prompt_tokens_total, Some(5.0));
    assert_eq!(r.generation_tokens_total, Some(7.0));
    assert_eq!(r.finished_by_reason.get("length"), Some(&1.0));
    let e2e = r.e2e.as_ref().expect("e2e histogram");
    assert_eq!(e2e.count, 1.0);
    assert!((e2e.sum - 0.503_430_366_516_113_3).abs() < 1e-12);
    assert_eq!(e2e.buckets.last().map(|b| b.0), Some(f64::INFINITY));
    assert!(
        e2e.buckets.windows(2).all(|w| w[0].0 < w[1].0),
        "sorted by le"
    );
    assert!(r.ttft.is_some() && r.itl.is_some());
    assert!(d.missing.is_empty(), "{:?}", d.missing);
}

#[test]
fn old_vllm_names_are_aliases() {
    let body = "# TYPE vllm:gpu_cache_usage_perc gauge\nvllm:gpu_cache_usage_perc{model_name=\"m\"} 0.5\n\
                vllm:time_per_output_token_seconds_bucket{le=\"0.1\",model_name=\"m\"} 1\n\
                vllm:time_per_output_token_seconds_bucket{le=\"+Inf\",model_name=\"m\"} 2\n";
    let exp = parse(body.as_bytes(), Format::Prometheus);
    let d = map(&exp, Some(ServerKind::Vllm), body.len());
    assert_eq!(d.inference[0].kv_cache_frac, Some(0.5));
    assert_eq!(
        d.inference[0].itl.as_ref().map(|h| h.buckets.len()),
        Some(2)
    );
}

#[test]
fn engines_and_models_are_combined_correctly() {
    let body = "\
vllm:num_requests_running{engine=\"0\",model_name=\"a\"} 2
vllm:num_requests_running{engine=\"1\",model_name=\"a\"} 3
vllm:num_requests_running{engine=\"0\",model_name=\"b\"} 7
vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"a\"} 0.2
vllm:kv_cache_usage_perc{engine=\"1\",model_name=\"a\"} 0.4
vllm:generation_tokens_total{engine=\"0\",model_name=\"a\"} 100
vllm:generation_tokens_total{engine=\"1\",model_name=\"a\"} 50
vllm:e2e_request_latency_seconds_bucket{engine=\"0\",le=\"1\",model_name=\"a\"} 1
vllm:e2e_request_latency_seconds_bucket{engine=\"0\",le=\"+Inf\",model_name=\"a\"} 2
vllm:e2e_request_latency_seconds_bucket{engine=\"1\",le=\"1\",model_name=\"a\"} 3
vllm:e2e_request_latency_seconds_bucket{engine=\"1\",le=\"+Inf\",model_name=\"a\"} 4
vllm:e2e_request_latency_seconds_count{engine=\"0\",model_name=\"a\"} 2
vllm:e2e_request_latency_seconds_count{engine=\"1\",model_name=\"a\"} 4
";
    let exp = parse(body.as_bytes(), Format::Prometheus);
    let d = map(&exp, None, body.len());
    assert_eq!(d.inference.len(), 2);
    let a = &d.inference[0];
    assert_eq!((a.model.as_deref(), a.engines), (Some("a"), 2));
    assert_eq!(a.running, Some(5.0), "gauges summed over engines");
    assert!(
        (a.kv_cache_frac.unwrap() - 0.3).abs() < 1e-12,
        "fractions averaged over engines"
    );
    assert_eq!(a.generation_tokens_total, Some(150.0));
    let h = a.e2e.as_ref().unwrap();
    assert_eq!(h.buckets, vec![(1.0, 4.0), (f64::INFINITY, 6.0)]);
    assert_eq!(h.count, 6.0);
    let b = &d.inference[1];
    assert_eq!(
        (b.model.as_deref(), b.running, b.kv_cache_frac),
        (Some("b"), Some(7.0), None)
    );
}

#[test]
fn sglang_fixture_maps() {
    let d = mapped("datadog__sglang_metrics.txt", None);
    let r = &d.inference[0];
    assert_eq!(r.model.as_deref(), Some("facebook/opt-125m"));
    assert_eq!(r.kv_cache_frac, Some(0.25));
    assert_eq!(r.gen_throughput_tps, Some(425.5));
    assert_eq!(r.prefix_hit_frac, Some(0.2));
    assert_eq!(r.generation_tokens_total, Some(32.0));
    assert!(r.ttft.is_some());
}

#[test]
fn tgi_fixture_maps() {
    let d = mapped("datadog__tgi_payload_first14k.txt", None);
    let r = &d.inference[0];
    assert_eq!(r.model, None, "TGI does not name its model in metrics");
    assert_eq!(r.waiting, Some(0.0));
    assert_eq!(r.running, Some(0.0));
    assert_eq!(r.finished_by_reason.get("stop"), Some(&109.0));
    assert_eq!(r.failed_total, Some(2.0));
}

#[test]
fn dcgm_fixture_maps_gpus_and_blank_sentinel_is_na() {
    let d = mapped("datadog__dcgm_exporter_metrics.txt", None);
    let g = d
        .gpus
        .iter()
        .find(|g| g.uuid.as_deref() == Some("GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e"))
        .unwrap();
    assert_eq!(g.name.as_deref(), Some("Tesla T4"));
    assert_eq!(g.index, Some(0));
    assert_eq!(g.temp_c, Some(25.0));
    assert_eq!(g.util_pct, Some(0.0));
    assert_eq!(g.mem_used_bytes, Some(0));
    assert_eq!(g.mem_total_bytes, Some(15109 * 1_048_576));
    assert_eq!(g.fan_pct, None);

    let sentinel = "DCGM_FI_DEV_GPU_TEMP{gpu=\"1\",UUID=\"GPU-x\",modelName=\"H100\",hostname=\"n\"} 9223372036854775794\n\
                    DCGM_FI_DEV_GPU_UTIL{gpu=\"1\",UUID=\"GPU-x\",modelName=\"H100\",hostname=\"n\"} 40\n";
    let d = map(&parse(sentinel.as_bytes(), Format::Prometheus), None, 0);
    assert_eq!(d.gpus[0].temp_c, None, "DCGM blank sentinel is n/a");
    assert_eq!(d.gpus[0].util_pct, Some(40.0));
    assert_eq!(
        d.host_name.as_deref(),
        Some("n"),
        "`hostname` (2026) is read too"
    );
}

#[test]
fn exporters_report_their_machines_host_name() {
    // dcgm-exporter's `Hostname` label (the fixture's first series).
    let d = mapped("datadog__dcgm_exporter_metrics.txt", None);
    assert_eq!(d.host_name.as_deref(), Some("424773df46e0"));
    // node_exporter's `node_uname_info{nodename}`.
    let uname = "# TYPE node_uname_info gauge\n\
                 node_uname_info{domainname=\"(none)\",machine=\"x86_64\",nodename=\"gpu-a\",release=\"6.8.0\",sysname=\"Linux\"} 1\n\
                 node_memory_MemTotal_bytes 1e+09\n";
    let d = map(&parse(uname.as_bytes(), Format::Prometheus), None, 0);
    assert_eq!(d.kind, Some(ServerKind::NodeExporter));
    assert_eq!(d.host_name.as_deref(), Some("gpu-a"));
    // An inference server does not say.
    assert_eq!(mapped("datadog__vllm_metrics.txt", None).host_name, None);
}

#[test]
fn nvidia_gpu_exporter_fixture_maps_ratio_to_percent() {
    let d = mapped("nvidia_gpu_exporter__h100_load.prom", None);
    assert_eq!(d.gpus.len(), 1);
    let g = &d.gpus[0];
    assert_eq!(g.name.as_deref(), Some("NVIDIA H100 80GB HBM3"));
    assert_eq!(g.util_pct, Some(100.0));
    assert_eq!(g.mem_used_bytes, Some(20_780_679_168));
    assert_eq!(g.mem_total_bytes, Some(85_520_809_984));
    assert_eq!(g.temp_c, Some(59.0));
    assert_eq!(g.power_w, Some(631.95));
}

#[test]
fn node_exporter_fixture_maps_host() {
    let d = mapped("node_exporter__e2e-output-linux.prom", None);
    let h = d.host.unwrap();
    assert_eq!(h.mem_total_bytes, Some(3_831_959_552.0));
    let (idle, total) = h.cpu_idle_total_s["0"];
    assert!((idle - 10870.69).abs() < 1e-9);
    assert!(total > idle);
}
