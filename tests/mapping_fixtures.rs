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
fn sglang_metrics_written_with_an_underscore_map_the_same() {
    // SGLang's router and newer dashboards rewrite `sglang:` as `sglang_`.
    let body = String::from_utf8(fixture("datadog__sglang_metrics.txt"))
        .unwrap()
        .replace("sglang:", "sglang_");
    assert!(!body.contains("sglang:"));
    let exp = parse(body.as_bytes(), Format::Prometheus);
    assert!(exp.errors.is_empty(), "{:?}", exp.errors);
    assert_eq!(detect_kind(&exp), Some(ServerKind::Sglang));
    let rewritten = map(&exp, None, body.len());
    let original = mapped("datadog__sglang_metrics.txt", None);
    assert_eq!(rewritten.inference, original.inference);
    assert_eq!(rewritten.missing, original.missing);
    assert!(rewritten.inference[0].ttft.is_some());
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

#[test]
fn real_payloads_have_no_value_refused() {
    // The range checks must never refuse what real servers send.
    for file in [
        "datadog__vllm_metrics.txt",
        "datadog__sglang_metrics.txt",
        "datadog__tgi_payload_first14k.txt",
        "datadog__dcgm_exporter_metrics.txt",
        "nvidia_gpu_exporter__h100_load.prom",
        "nvidia_gpu_exporter__h200_mig_load.prom",
        "nvidia_gpu_exporter__win_rtx2080s_idle.prom",
        "node_exporter__e2e-output-linux.prom",
        "node_exporter__e2e-output-darwin.prom",
    ] {
        let d = mapped(file, None);
        assert!(d.problems.is_empty(), "{file}: {:#?}", d.problems);
    }
}

mod end_to_end {
    //! Bad values through the whole read path: mapping → `Model::apply` → views, the alert
    //! rules and `snapshot` (JSON and text).

    use std::time::{Duration, SystemTime};

    use swarmglass::alerts::Engine;
    use swarmglass::config::PrometheusTarget;
    use swarmglass::config::alerts::RuleSet;
    use swarmglass::headless::{render_text, snapshot_of};
    use swarmglass::model::ids::SourceId;
    use swarmglass::model::input::SourceUpdate;
    use swarmglass::model::{Model, ModelSettings};
    use swarmglass::runtime::prometheus_id;
    use swarmglass::sources::mapping::map;
    use swarmglass::sources::prometheus::{Format, parse};

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    fn scrape(model: &mut Model, id: &SourceId, text: &str, at: u64) {
        let data = map(
            &parse(text.as_bytes(), Format::Prometheus),
            None,
            text.len(),
        );
        model.apply(
            SourceUpdate::Scrape {
                source: id.clone(),
                at: t(at),
                result: Ok(data),
            },
            t(at),
        );
    }

    fn vllm(gen_tokens: f64, kv: &str, extra: &str) -> String {
        format!(
            "vllm:generation_tokens_total{{model_name=\"m\"}} {gen_tokens}\n\
             vllm:kv_cache_usage_perc{{model_name=\"m\"}} {kv}\n\
             vllm:num_requests_running{{model_name=\"m\"}} 3\n{extra}"
        )
    }

    const BAD: &str = "vllm:num_requests_waiting{model_name=\"m\"} 1e308\n\
        vllm:time_to_first_token_seconds_bucket{model_name=\"m\",le=\"0.5\"} 9\n\
        vllm:time_to_first_token_seconds_bucket{model_name=\"m\",le=\"0.1\"} 5\n\
        vllm:time_to_first_token_seconds_bucket{model_name=\"m\",le=\"+Inf\"} 10\n\
        vllm:time_to_first_token_seconds_sum{model_name=\"m\"} 2\n\
        vllm:time_to_first_token_seconds_count{model_name=\"m\"} 10\n";

    #[test]
    fn bad_values_are_na_everywhere_and_never_reach_a_total_or_a_rule() {
        let mut m = Model::new(ModelSettings::default());
        let good = prometheus_id(&PrometheusTarget::new("http://10.0.0.1:8000/metrics"));
        let bad = prometheus_id(&PrometheusTarget::new("http://10.0.0.2:8000/metrics"));
        let mut engine = Engine::new(RuleSet::defaults());
        // 2 minutes of scrapes: the good server makes 1000 tok/s; the bad one's counter went
        // negative (a rate of −1542 tok/s before), its KV cache is +Inf (kv_cache_full fires
        // after 60 s above 95 % before), its queue 1e308, its TTFT buckets out of order.
        for i in 0..60_u64 {
            let at = i * 2;
            #[allow(clippy::cast_precision_loss)]
            let tokens = 1000.0 + 2000.0 * i as f64;
            scrape(&mut m, &good, &vllm(tokens, "0.5", ""), at);
            let counter = if i == 0 { 1000.0 } else { -3084.0 * i as f64 };
            scrape(&mut m, &bad, &vllm(counter, "+Inf", BAD), at);
            let events = engine.evaluate(&m, t(at));
            assert!(events.is_empty(), "at {at} s: {events:?}");
        }
        assert_eq!(m.total_tps().0, Some(1000.0), "the good server alone");
        let v = m.views();
        let card = v.inference.iter().find(|c| c.source == bad).unwrap();
        assert_eq!(card.stats.gen_tps, None);
        assert_eq!(card.stats.kv_cache_pct, None);
        assert_eq!(card.stats.waiting, None);
        assert_eq!(
            card.stats.ttft.p95_s, None,
            "not 0.095 s from unsorted buckets"
        );
        assert_eq!(
            card.stats.running,
            Some(3.0),
            "its good figures still count"
        );

        let snap = snapshot_of(&m, &engine, t(120));
        let json = serde_json::to_value(&snap).unwrap();
        assert_eq!(json["totals"]["gen_tokens_per_s"], 1000.0);
        assert!(json["alerts"]["pending"].as_array().unwrap().is_empty());
        assert!(json["alerts"]["firing"].as_array().unwrap().is_empty());
        let src = json["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["url"] == bad.locator)
            .unwrap();
        let problems: Vec<&str> = src["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .collect();
        for words in ["-181956", "+Inf", "1e308", "le=0.1 comes after le=0.5"] {
            assert!(
                problems.iter().any(|p| p.contains(words)),
                "{words} in {problems:#?}"
            );
        }
        let errors = json["errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e["kind"] == "bad_value"
                    && e["source"].as_str().unwrap().contains("10.0.0.2")),
            "{errors:#?}"
        );
        let good_src = json["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["url"] == good.locator)
            .unwrap();
        assert!(good_src["problems"].as_array().unwrap().is_empty());
        let text = render_text(&snap);
        assert!(text.contains("refused: "), "{text}");
        assert!(!text.contains("-1542") && !text.contains("−"), "{text}");
        assert!(text.lines().all(|l| l.len() < 400), "no 309-digit numbers");
    }

    #[test]
    fn a_server_with_thousands_of_models_keeps_the_configured_number() {
        let mut m = Model::new(ModelSettings {
            max_models_per_source: 3,
            ..ModelSettings::default()
        });
        let id = prometheus_id(&PrometheusTarget::new("http://10.0.0.3:8000/metrics"));
        let text: String = (0..5000)
            .map(|i| format!("vllm:num_requests_running{{model_name=\"m{i:04}\"}} 1\n"))
            .collect();
        for at in 0..30 {
            scrape(&mut m, &id, &text, at * 2);
        }
        let s = &m.sources()[&id];
        assert_eq!(s.inference.len(), 3);
        assert!(
            s.raw.iter().all(|(_, d)| d.inference.capacity() <= 3),
            "the window holds the capped scrapes, not the room the whole list took"
        );
        let cards: Vec<_> = m
            .views()
            .inference
            .iter()
            .filter_map(|c| c.stats.model.clone())
            .collect();
        assert_eq!(cards, ["m0000", "m0001", "m0002"]);
        let p = &s.problems[0];
        assert!(
            p.contains("10.0.0.3")
                && p.contains("5000 models")
                && p.contains("max_models_per_source = 3"),
            "{p}"
        );
        assert!(m.errors.recent().iter().any(|e| e.kind == "series_cap"));
    }

    #[test]
    fn an_absurd_task_duration_is_a_problem_in_the_error_list_not_a_mean() {
        use swarmglass::model::ids::SourceKind;
        use swarmglass::model::input::{Event, EventType, EventUpdate};
        let mut m = Model::new(ModelSettings::default());
        let ws = SourceId::new("swarm", SourceKind::NexusWs, "ws://10.0.0.9:8000");
        for (id, ms) in [("a", 1200), ("b", u64::MAX)] {
            let mut e = Event::new(id, EventType::TaskCompleted);
            e.ts = Some(t(10));
            e.duration_ms = Some(ms);
            m.apply(
                SourceUpdate::agents(EventUpdate::Event {
                    source: ws.clone(),
                    received_at: t(10),
                    event: Box::new(e),
                }),
                t(10),
            );
        }
        let engine = Engine::new(RuleSet::defaults());
        let json = serde_json::to_value(snapshot_of(&m, &engine, t(11))).unwrap();
        let hour = &json["tasks"]["last_hour"];
        assert_eq!(hour["completed"], 2);
        assert_eq!(hour["completion"]["avg_ms"], 1200.0, "not 9.2e18 ms");
        assert_eq!(json["tasks"]["refused_total"], 1);
        let errors = json["errors"].as_array().unwrap();
        assert!(
            errors.iter().any(|e| e["kind"] == "bad_value"
                && e["last_message"]
                    .as_str()
                    .unwrap()
                    .contains("duration_ms 18446744073709551615 is over 30 days")),
            "{errors:#?}"
        );
    }
}
