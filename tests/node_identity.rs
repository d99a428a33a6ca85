//! One machine is one node, one GPU is one card (README.md, "How nodes are named"): a vLLM
//! server and a dcgm-exporter on one address, with a proxy status that names that address, read
//! from the real payloads in tests/fixtures through the real parsers and mappings, are one node
//! in the views, in `snapshot --json` and for the alert rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime};

use swarmglass::alerts::{Engine, Subject};
use swarmglass::config::PrometheusTarget;
use swarmglass::config::alerts::RuleSet;
use swarmglass::headless::snapshot_of;
use swarmglass::model::ids::{SourceId, SourceKind, SourceSpec};
use swarmglass::model::input::SourceUpdate;
use swarmglass::model::{Model, ModelSettings};
use swarmglass::runtime::prometheus_id;
use swarmglass::sources::mapping::map;
use swarmglass::sources::prometheus::{Format, parse};

fn t(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/prometheus/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A command-line target (no node name given), registered as the runtime does.
fn target(model: &mut Model, url: &str) -> SourceId {
    let t = PrometheusTarget::new(url);
    assert!(!t.node_named);
    let id = prometheus_id(&t);
    model.register_spec(SourceSpec {
        id: id.clone(),
        interval: t.interval,
        node_named: t.node_named,
        implicit: t.implicit,
        tls_unverified: t.tls.insecure_skip_verify,
    });
    id
}

fn scrape(model: &mut Model, id: &SourceId, file: &str, at: u64) {
    let body = fixture(file);
    let data = map(&parse(&body, Format::Prometheus), None, body.len());
    model.apply(
        SourceUpdate::Scrape {
            source: id.clone(),
            at: t(at),
            result: Ok(data),
        },
        t(at),
    );
}

const STATUS: &str = r#"{"healthy": true, "failover_ready": false, "active_node": "node122",
  "nodes": [{"name": "node122", "host": "10.0.0.5", "healthy": true, "model": "facebook/opt-125m",
             "gpu": {"utilization_pct": 82.0, "vram_used_pct": 71.5, "temperature_c": 45.0}}]}"#;

fn model_of_one_machine() -> Model {
    let mut m = Model::new(ModelSettings::default());
    let vllm = target(&mut m, "http://10.0.0.5:8000/metrics");
    let dcgm = target(&mut m, "http://10.0.0.5:9400/metrics");
    let status = SourceId::new("cluster", SourceKind::Status, "http://10.0.0.1:9199/status");
    m.register(status.clone(), Duration::from_secs(2));
    for at in [0, 2] {
        scrape(&mut m, &vllm, "datadog__vllm_metrics.txt", at);
        scrape(&mut m, &dcgm, "datadog__dcgm_exporter_metrics.txt", at);
        m.apply(
            SourceUpdate::Status {
                source: status.clone(),
                at: t(at),
                result: Ok(swarmglass::sources::status::parse(STATUS.as_bytes()).unwrap()),
            },
            t(at),
        );
    }
    m
}

#[test]
fn a_vllm_and_a_dcgm_exporter_on_one_address_named_by_a_proxy_are_one_node() {
    let m = model_of_one_machine();
    let v = m.views();
    // The exporter's own host name names the machine; the URL's host ("10.0.0.5") and the
    // proxy's name ("node122") are not nodes of their own.
    let names: Vec<&str> = v.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["424773df46e0"], "{:?}", v.nodes);
    let node = &v.nodes[0];
    assert_eq!(node.health.label(), "up");
    assert_eq!(node.models, ["facebook/opt-125m"]);
    assert_eq!(node.gpus, 2, "the fixture's two GPUs");
    assert_eq!(
        node.sources, 3,
        "vLLM, dcgm-exporter and the proxy's verdict"
    );
    assert!(
        v.gpus
            .iter()
            .all(|g| &*g.node == "424773df46e0" && g.model.as_deref() == Some("facebook/opt-125m"))
    );
    assert!(v.inference.iter().all(|i| i.node == "424773df46e0"));
    assert_eq!(v.cluster.nodes_total, 1);
    assert_eq!(v.cluster.active_node.as_deref(), Some("424773df46e0"));

    // `snapshot --json` says the same.
    let engine = Engine::new(RuleSet::defaults());
    let snap = serde_json::to_value(snapshot_of(&m, &engine, t(3))).unwrap();
    assert_eq!(snap["nodes"].as_array().unwrap().len(), 1);
    for s in snap["sources"].as_array().unwrap() {
        if s["kind"] == "prometheus" {
            assert_eq!(s["node"], "424773df46e0", "{s}");
        }
    }
}

#[test]
fn the_alert_rules_see_the_same_one_node() {
    let mut m = model_of_one_machine();
    let mut engine = Engine::new(RuleSet::defaults());
    let ev = engine.evaluate(&m, t(3));
    assert!(
        ev.iter().all(|e| e.subject == Subject::Cluster),
        "all up: nothing but the proxy's own failover verdict: {ev:?}"
    );
    // The proxy turns the node unhealthy and its sources stop answering: one node goes down,
    // under the name the window shows.
    let vllm = m
        .sources()
        .keys()
        .find(|id| id.locator.ends_with(":8000/metrics"))
        .cloned()
        .unwrap();
    let status = m
        .sources()
        .keys()
        .find(|id| id.kind == SourceKind::Status)
        .cloned()
        .unwrap();
    let unhealthy = STATUS.replace(
        r#""healthy": true, "model""#,
        r#""healthy": false, "model""#,
    );
    for at in [4, 6] {
        m.apply(
            SourceUpdate::Status {
                source: status.clone(),
                at: t(at),
                result: Ok(swarmglass::sources::status::parse(unhealthy.as_bytes()).unwrap()),
            },
            t(at),
        );
        m.apply(
            SourceUpdate::Scrape {
                source: vllm.clone(),
                at: t(at),
                result: Err(swarmglass::model::input::SourceError::Connect {
                    url: vllm.locator.clone(),
                    reason: "connection refused".into(),
                }),
            },
            t(at),
        );
    }
    let ev = engine.evaluate(&m, t(7));
    let nodes: Vec<&str> = ev
        .iter()
        .filter(|e| !matches!(e.subject, Subject::Source { .. }))
        .filter_map(|e| e.subject.node())
        .collect();
    assert!(nodes.iter().all(|n| *n == "424773df46e0"), "{nodes:?}");
    assert!(
        ev.iter().any(|e| e.subject
            == Subject::Node {
                node: "424773df46e0".into()
            }),
        "{ev:?}"
    );
}
