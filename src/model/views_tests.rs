//! Unit tests of `views.rs`: natural order, one build per change, the cards and the cluster
//! summary (kept apart to keep that file small).

use std::time::{Duration, SystemTime};

use super::*;
use crate::model::ids::{SourceKind, SourceSpec};
use crate::model::input::{SourceError, SourceUpdate};
use crate::model::scrape::ScrapeData;
use crate::model::{Model, ModelSettings};

fn t(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
}

fn gpu(uuid: &str, index: u32) -> GpuSample {
    GpuSample {
        index: Some(index),
        uuid: Some(uuid.to_owned()),
        ..GpuSample::default()
    }
}

fn spec(id: &SourceId, implicit: bool) -> SourceSpec {
    SourceSpec {
        id: id.clone(),
        interval: Duration::from_secs(2),
        node_named: false,
        implicit,
        tls_unverified: false,
    }
}

fn dcgm_scrape(model: &mut Model, id: &SourceId, gpus: Vec<GpuSample>, host: &str, at: u64) {
    model.apply(
        SourceUpdate::Scrape {
            source: id.clone(),
            at: t(at),
            result: Ok(ScrapeData {
                kind: Some(ServerKind::Dcgm),
                gpus,
                host_name: Some(host.to_owned()),
                ..ScrapeData::default()
            }),
        },
        t(at),
    );
}

#[test]
fn one_gpu_seen_by_nvml_and_an_exporter_is_one_card_with_nvmls_figures_first() {
    let mut m = Model::new(ModelSettings::default());
    let nvml = SourceId::new("local", SourceKind::Nvml, "local");
    let dcgm = SourceId::new(
        "local",
        SourceKind::Prometheus,
        "http://localhost:9400/metrics",
    );
    m.register_spec(spec(&nvml, false));
    m.register_spec(spec(&dcgm, false));
    let mut local = gpu("GPU-1", 0);
    local.util_pct = Some(40.0);
    m.apply(
        SourceUpdate::LocalGpus {
            source: nvml.clone(),
            at: t(0),
            result: Ok(vec![local]),
        },
        t(0),
    );
    let mut remote = gpu("GPU-1", 0);
    remote.util_pct = Some(99.0);
    remote.power_limit_w = Some(700.0);
    dcgm_scrape(&mut m, &dcgm, vec![remote], "gpu-box", 0);

    let v = m.views();
    assert_eq!(v.gpus.len(), 1, "{:?}", v.gpus);
    let card = &v.gpus[0];
    assert_eq!(card.origin, GpuOrigin::Nvml);
    assert_eq!(card.gpu.util_pct, Some(40.0), "NVML's figure first");
    assert_eq!(
        card.gpu.power_limit_w,
        Some(700.0),
        "the exporter fills the gap"
    );
    assert_eq!(&*card.node, "gpu-box");
    assert_eq!(v.nodes.len(), 1);
    assert_eq!(v.nodes[0].gpus, 1);
}

#[test]
fn nodes_cards_and_servers_are_in_natural_order() {
    let mut m = Model::new(ModelSettings::default());
    for n in ["node-10", "node-2", "node-1"] {
        let id = SourceId::new(
            n,
            SourceKind::Prometheus,
            format!("http://{n}:9400/metrics"),
        );
        m.register(id.clone(), Duration::from_secs(2));
        dcgm_scrape(&mut m, &id, vec![gpu(&format!("GPU-{n}"), 0)], n, 0);
    }
    let v = m.views();
    let names: Vec<&str> = v.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["node-1", "node-2", "node-10"]);
    let cards: Vec<&str> = v.gpus.iter().map(|c| &*c.node).collect();
    assert_eq!(cards, ["node-1", "node-2", "node-10"]);
}

#[test]
fn a_default_nobody_configured_that_does_not_answer_is_not_found_and_no_node() {
    let mut m = Model::new(ModelSettings::default());
    let vllm = SourceId::new(
        "local",
        SourceKind::Prometheus,
        "http://localhost:8000/metrics",
    );
    m.register_spec(spec(&vllm, true));
    assert!(m.views().nodes.is_empty(), "not a node before it answers");
    let refused = || SourceUpdate::Scrape {
        source: vllm.clone(),
        at: t(1),
        result: Err(SourceError::Connect {
            url: vllm.locator.clone(),
            reason: "connection refused".into(),
        }),
    };
    m.apply(refused(), t(1));
    m.apply(refused(), t(3));
    assert_eq!(m.sources()[&vllm].health.health.label(), "not found");
    let v = m.views();
    assert!(v.nodes.is_empty());
    assert_eq!(v.cluster.overall, Overall::Unknown);
    let errors = m.errors.recent();
    assert_eq!(errors.len(), 1, "said once");
    assert_eq!(errors[0].kind, "not_found");
    assert_eq!(errors[0].count, 1);

    // Once it answers it is a source like any other.
    m.apply(
        SourceUpdate::Scrape {
            source: vllm.clone(),
            at: t(5),
            result: Ok(ScrapeData::default()),
        },
        t(5),
    );
    assert_eq!(m.views().nodes.len(), 1);
}

#[test]
fn views_are_built_once_per_change() {
    let mut m = Model::new(ModelSettings::default());
    let id = SourceId::new("a", SourceKind::Prometheus, "http://a:9400/metrics");
    m.register(id.clone(), Duration::from_secs(2));
    dcgm_scrape(&mut m, &id, vec![gpu("GPU-1", 0)], "a", 0);
    let first: *const Views = m.views();
    m.tick(t(1));
    assert!(
        std::ptr::eq(first, m.views()),
        "a tick that changes no health keeps them"
    );
    dcgm_scrape(&mut m, &id, vec![gpu("GPU-1", 0), gpu("GPU-2", 1)], "a", 2);
    assert_eq!(m.views().gpus.len(), 2, "an update rebuilds them");
    m.tick(t(60));
    assert_eq!(m.views().nodes[0].health.label(), "stale");
}

/// New figures from a source keep the naming (the same one, not resolved again); a new host
/// name is resolved afresh; either way the naming equals what the rule gives from scratch.
#[test]
fn the_naming_is_reused_while_its_inputs_stay_the_same() {
    let mut m = Model::new(ModelSettings::default());
    let a = SourceId::new("a", SourceKind::Prometheus, "http://10.0.0.1:9400/metrics");
    let b = SourceId::new("b", SourceKind::Prometheus, "http://10.0.0.2:9400/metrics");
    m.register_spec(spec(&a, false));
    m.register_spec(spec(&b, false));
    dcgm_scrape(&mut m, &a, vec![gpu("GPU-a", 0)], "gpu-a", 1);
    dcgm_scrape(&mut m, &b, vec![gpu("GPU-b", 0)], "gpu-b", 1);
    let first = Arc::clone(&m.views().naming);
    let fresh = |m: &Model| Views::build(m, None).naming;

    let mut busier = gpu("GPU-a", 0);
    busier.util_pct = Some(99.0);
    dcgm_scrape(&mut m, &a, vec![busier], "gpu-a", 2);
    assert_eq!(
        m.views().gpus[0].gpu.util_pct,
        Some(99.0),
        "the figures are new"
    );
    assert!(
        Arc::ptr_eq(&first, &m.views().naming),
        "the naming was reused"
    );
    assert_eq!(*m.views().naming, *fresh(&m));

    dcgm_scrape(&mut m, &a, vec![gpu("GPU-a", 0)], "renamed", 3);
    assert!(!Arc::ptr_eq(&first, &m.views().naming), "resolved again");
    assert_eq!(*m.views().naming, *fresh(&m));
    assert_eq!(m.views().node_of(&a), "renamed");
}

/// A build takes over the GPU cards of every node whose readings did not change (the very
/// cards, not copies) and builds the rest again; either way the views equal a build from
/// scratch — after new figures, a health change, a lost GPU and a new model.
#[test]
fn unchanged_nodes_keep_their_gpu_cards_and_the_views_equal_a_fresh_build() {
    let start = t(1_000);
    let mut m = crate::testdata::sample_model(3, 2, 0, start);
    let same_as_fresh = |m: &Model, when: &str| {
        let fresh = Views::build(m, None);
        let v = m.views();
        assert_eq!(v.gpus, fresh.gpus, "{when}: GPU cards");
        assert_eq!(v.nodes, fresh.nodes, "{when}: nodes");
        assert_eq!(v.inference, fresh.inference, "{when}: servers");
        assert_eq!(v.cluster, fresh.cluster, "{when}: cluster");
    };
    same_as_fresh(&m, "first build");
    let node_names = |m: &Model| -> Vec<Arc<str>> {
        m.views().gpus.iter().map(|c| Arc::clone(&c.node)).collect()
    };
    let before = node_names(&m);
    assert_eq!(before.len(), 6);
    // Where each server card's node name lives: the same place only if the card was moved over.
    let server_names = |m: &Model| -> Vec<(String, usize)> {
        m.views()
            .inference
            .iter()
            .map(|c| (c.node.clone(), c.node.as_ptr() as usize))
            .collect()
    };
    let servers_before = server_names(&m);
    assert_eq!(servers_before.len(), 3);

    crate::testdata::apply_node(&mut m, 1, 2, start, 3.0);
    same_as_fresh(&m, "node 1 scraped again");
    let after = node_names(&m);
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        let node_1 = i / 2 == 1;
        assert_eq!(
            Arc::ptr_eq(b, a),
            !node_1,
            "card {i} ({a}): taken over unless its node changed"
        );
    }
    for ((node, b), (_, a)) in servers_before.iter().zip(server_names(&m)) {
        assert_eq!(
            *b == a,
            !node.ends_with('1'),
            "{node}'s server card: taken over unless its node changed"
        );
    }
    assert!(
        m.views().gpus[2..4]
            .iter()
            .all(|c| c.gpu.util_pct.is_some()),
        "node 1's cards carry its new readings"
    );

    // Every source goes stale: every card is built again, with the new health.
    m.tick(start + Duration::from_secs(120));
    same_as_fresh(&m, "all stale");
    assert!(m.views().gpus.iter().all(|c| c.health.label() == "stale"));

    // Node 2 loses a GPU.
    let id = m
        .sources()
        .keys()
        .find(|id| id.locator.contains("9400") && m.views().node_of(id).ends_with('2'))
        .cloned()
        .expect("node 2's exporter");
    let one = vec![m.sources()[&id].gpus[0].as_ref().clone()];
    dcgm_scrape(&mut m, &id, one, "node-2", 2_000);
    same_as_fresh(&m, "a GPU lost");
    assert_eq!(m.views().gpus.len(), 5);

    // A new node between the others (natural order: node-1a after node-01): the order of the
    // views before no longer holds and is made again.
    let new = SourceId::new(
        "node-1a",
        SourceKind::Prometheus,
        "http://node-1a:9400/metrics",
    );
    m.register_spec(spec(&new, false));
    dcgm_scrape(&mut m, &new, vec![gpu("GPU-new", 0)], "node-1a", 2_001);
    same_as_fresh(&m, "a node added");
    let names: Vec<&str> = m.views().nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["node-00", "node-01", "node-1a", "node-02"]);
}

/// Two sources that see the same GPU give one card, merged from both readings (a copy, not
/// either source's sample). Updated over and over, some twice between two builds — so the
/// allocator has every chance to give a new reading the address of one the views last saw —
/// the card always equals a build from scratch.
#[test]
fn a_merged_card_follows_every_update_of_either_source() {
    let mut m = Model::new(ModelSettings::default());
    let a = SourceId::new("a", SourceKind::Prometheus, "http://10.0.0.1:9400/metrics");
    let b = SourceId::new("a", SourceKind::Prometheus, "http://10.0.0.1:9835/metrics");
    m.register_spec(spec(&a, false));
    m.register_spec(spec(&b, false));
    for round in 0..60_u32 {
        let mut from_a = gpu("GPU-1", 0);
        from_a.util_pct = Some(f64::from(round));
        let mut from_b = gpu("GPU-1", 0);
        from_b.temp_c = Some(f64::from(round) + 30.0);
        let at = u64::from(round);
        if round % 3 == 0 {
            dcgm_scrape(&mut m, &a, vec![from_a], "box", at);
        } else {
            // Twice between two builds: the first new reading is freed again before the views
            // are built, so the second may be given the address of the one the views last saw.
            let mut between = from_b.clone();
            between.temp_c = Some(1.0);
            dcgm_scrape(&mut m, &b, vec![between], "box", at);
            dcgm_scrape(&mut m, &b, vec![from_b], "box", at);
        }
        let fresh = Views::build(&m, None);
        let v = m.views();
        assert_eq!(v.gpus.len(), 1, "round {round}: one GPU, one card");
        assert_eq!(v.gpus, fresh.gpus, "round {round}");
    }
    let card = &m.views().gpus[0];
    assert_eq!(card.gpu.util_pct, Some(57.0), "a's last reading");
    assert_eq!(
        card.gpu.temp_c,
        Some(89.0),
        "b's last reading fills the gap"
    );
}

/// Whatever happens to the sources — new figures, failures, staleness, a lost GPU, a new host
/// name, a new node, a proxy's answer, one to three of them between two builds — the views the
/// model keeps (built from the views before and what changed since) equal a build from
/// scratch; and, unless the change reaches every node (a new host name, a new node, the
/// proxy's answer), exactly the nodes one of whose sources changed (by an update, or by going
/// stale as time passes) are built again: the others keep their revision.
#[test]
fn views_kept_through_any_changes_equal_a_build_from_scratch() {
    use crate::testdata::{self, dcgm_id, status_id};
    let start = t(1_000);
    let mut nodes = 6;
    let mut m = testdata::sample_model(nodes, 2, 0, start);
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(seed >> 33).unwrap_or_default() % n
    };
    let mut clock = 3_u64;
    let (mut node_by_node, mut seen_hot) = (0, false);
    for round in 0..400 {
        let before: Vec<(String, u64)> = m
            .views()
            .nodes_with_gpus()
            .map(|(n, _, r)| (n.name.clone(), r))
            .collect();
        let sources_before = m.sources().clone();
        let mut everywhere = false;
        for _ in 0..=next(3) {
            clock += 1;
            let at = start + Duration::from_secs(clock);
            let i = next(nodes);
            let scrape = |data| SourceUpdate::Scrape {
                source: dcgm_id(i),
                at,
                result: data,
            };
            match next(9) {
                0..=2 => {
                    testdata::apply_node(&mut m, i, 2, start, clock as f64);
                }
                3 => {
                    let refused = Err(SourceError::Connect {
                        url: dcgm_id(i).locator,
                        reason: "connection refused".into(),
                    });
                    m.apply(scrape(refused), at);
                }
                4 => {
                    // One GPU left, and hot.
                    let mut data = testdata::dcgm_scrape(i, 1, clock as f64);
                    data.gpus[0].temp_c = Some(HOT_C + 5.0);
                    m.apply(scrape(Ok(data)), at);
                }
                5 => {
                    m.tick(at + Duration::from_secs(30));
                    everywhere = true;
                }
                6 => {
                    let mut status = testdata::status(nodes);
                    status.nodes[i].healthy = Some(false);
                    status.nodes[i].model = Some("m-from-proxy".into());
                    m.apply(
                        SourceUpdate::Status {
                            source: status_id(),
                            at,
                            result: Ok(status),
                        },
                        at,
                    );
                    everywhere = true;
                }
                7 => {
                    let mut data = testdata::dcgm_scrape(i, 2, clock as f64);
                    data.host_name = Some(format!("renamed-{round}"));
                    m.apply(scrape(Ok(data)), at);
                    everywhere = true;
                }
                _ if nodes < 12 => {
                    m.register(dcgm_id(nodes), Duration::from_secs(1));
                    m.register(testdata::vllm_id(nodes), Duration::from_secs(1));
                    nodes += 1;
                    everywhere = true;
                }
                _ => {}
            }
        }
        let fresh = Views::build(&m, None);
        let v = m.views();
        assert_eq!(v.nodes, fresh.nodes, "round {round}: nodes");
        assert_eq!(v.gpus, fresh.gpus, "round {round}: GPU cards");
        assert_eq!(v.inference, fresh.inference, "round {round}: servers");
        assert_eq!(v.cluster, fresh.cluster, "round {round}: cluster");
        assert_eq!(v.proxy_unhealthy, fresh.proxy_unhealthy, "round {round}");
        assert_eq!(*v.naming, *fresh.naming, "round {round}: naming");
        let cards: usize = v.nodes_with_gpus().map(|(_, g, _)| g.len()).sum();
        assert_eq!(cards, v.gpus.len(), "round {round}: every card in its node");
        let hot = v
            .gpus
            .iter()
            .filter(|c| c.gpu.temp_c >= Some(HOT_C))
            .count();
        assert_eq!(v.hot_gpus(), hot, "round {round}: hot GPUs");
        seen_hot |= hot > 0;
        let changed: Vec<&SourceId> = m
            .sources()
            .iter()
            .filter(|(id, s)| sources_before.get(*id) != Some(*s))
            .map(|(id, _)| id)
            .collect();
        // The proxy's status going stale reaches every node it names.
        everywhere |= changed.iter().any(|id| id.kind == SourceKind::Status);
        if !everywhere {
            node_by_node += 1;
            let changed: BTreeSet<&str> = changed.into_iter().map(|id| v.node_of(id)).collect();
            for ((name, was), (n, _, now)) in before.iter().zip(v.nodes_with_gpus()) {
                assert_eq!(*name, n.name, "round {round}: the same nodes");
                assert_eq!(
                    *was == now,
                    !changed.contains(name.as_str()),
                    "round {round}: {name} built again if and only if a source of it changed"
                );
            }
        }
    }
    assert!(seen_hot, "some GPUs were hot");
    assert!(
        node_by_node > 100,
        "only {node_by_node} of 400 rounds changed some nodes and not all"
    );
}

/// A proxy status that never answered changes no view: its failed polls rebuild no node. Once
/// it answers, its word reaches every node it names, and the views equal a build from scratch.
#[test]
fn a_proxy_that_never_answered_rebuilds_nothing() {
    use crate::testdata::{self, status};
    let start = t(1_000);
    let mut m = testdata::sample_model(4, 2, 0, start);
    let proxy = SourceId::new("cluster", SourceKind::Status, "http://10.9.9.9:9199/status");
    m.register(proxy.clone(), Duration::from_secs(2));
    let revisions =
        |m: &Model| -> Vec<u64> { m.views().nodes_with_gpus().map(|(_, _, r)| r).collect() };
    let before = revisions(&m);
    for k in 0..3 {
        let at = start + Duration::from_millis(100 * (k + 1));
        m.apply(
            SourceUpdate::Status {
                source: proxy.clone(),
                at,
                result: Err(SourceError::Connect {
                    url: proxy.locator.clone(),
                    reason: "connection refused".into(),
                }),
            },
            at,
        );
        assert_eq!(
            revisions(&m),
            before,
            "failed poll {k}: no node built again"
        );
    }
    let mut answer = status(4);
    answer.nodes[1].healthy = Some(false);
    m.apply(
        SourceUpdate::Status {
            source: proxy.clone(),
            at: start + Duration::from_secs(1),
            result: Ok(answer),
        },
        start + Duration::from_secs(1),
    );
    let after = revisions(&m);
    assert!(
        after.iter().zip(&before).all(|(a, b)| a != b),
        "its answer reaches every node"
    );
    let fresh = Views::build(&m, None);
    assert_eq!(m.views().nodes, fresh.nodes);
    assert!(m.views().proxy_unhealthy.contains("node-01"));
}
