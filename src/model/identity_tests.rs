//! Unit tests of `identity.rs`: the node-naming rule and GPU merging by UUID (kept apart to keep
//! that file small).

use super::*;
use crate::model::ids::SourceKind;

fn prom(url: &str) -> SourceId {
    let node = address_of(url).map_or_else(|| LOCAL_NODE.to_owned(), |a| a.host);
    SourceId::new(node, SourceKind::Prometheus, url)
}

/// GPUs with these UUIDs, leaked for the test's lifetime (a handful of small values).
fn gpus(uuids: &[&str]) -> &'static [std::sync::Arc<GpuSample>] {
    let v: Vec<std::sync::Arc<GpuSample>> = uuids
        .iter()
        .map(|u| {
            std::sync::Arc::new(GpuSample {
                uuid: Some((*u).to_owned()),
                ..GpuSample::default()
            })
        })
        .collect();
    Vec::leak(v)
}

fn member<'a>(id: &'a SourceId, reported: Option<&'a str>, uuids: &[&str]) -> Member<'a> {
    Member {
        id,
        named: false,
        reported,
        gpus: gpus(uuids),
    }
}

fn nodes(naming: &Naming) -> BTreeSet<&str> {
    naming.sources.values().map(String::as_str).collect()
}

#[test]
fn addresses_are_read_from_urls_and_bare_hosts() {
    let a = |s: &str| address_of(s).map(|a| (a.host, a.port));
    assert_eq!(
        a("http://10.0.0.5:8000/metrics"),
        Some(("10.0.0.5".into(), Some(8000)))
    );
    assert_eq!(a("192.168.0.122"), Some(("192.168.0.122".into(), None)));
    assert_eq!(a("127.0.0.1:40001"), Some(("local".into(), Some(40001))));
    assert_eq!(a("http://LOCALHOST/metrics"), Some(("local".into(), None)));
    assert_eq!(
        a("http://[::1]:9400/metrics"),
        Some(("local".into(), Some(9400)))
    );
    assert_eq!(
        a("https://user:pw@Gpu-A.lan:9100/metrics"),
        Some(("gpu-a.lan".into(), Some(9100)))
    );
    assert_eq!(a("http:///metrics"), None);
}

#[test]
fn a_vllm_and_a_dcgm_exporter_on_one_host_with_a_proxy_naming_it_are_one_node() {
    let vllm = prom("http://10.0.0.5:8000/metrics");
    let dcgm = prom("http://10.0.0.5:9400/metrics");
    let members = [
        member(&vllm, None, &[]),
        member(&dcgm, Some("gpu-a"), &["GPU-1"]),
    ];
    let proxy = [ProxyEntry {
        name: "node122",
        host: Some("10.0.0.5"),
    }];
    let n = resolve(&members, &proxy);
    // The exporter's own host name beats the proxy's name; both sources and the proxy's entry
    // are that one node.
    assert_eq!(nodes(&n), BTreeSet::from(["gpu-a"]));
    assert_eq!(n.proxy_node("node122"), "gpu-a");

    // Without a reported host name, the proxy's name; without a proxy, the URL's host.
    let members = [member(&vllm, None, &[]), member(&dcgm, None, &["GPU-1"])];
    let n = resolve(&members, &proxy);
    assert_eq!(nodes(&n), BTreeSet::from(["node122"]));
    let n = resolve(&members, &[]);
    assert_eq!(nodes(&n), BTreeSet::from(["10.0.0.5"]));
}

#[test]
fn a_proxy_address_with_the_inference_port_still_names_the_whole_host() {
    let vllm = prom("http://10.0.0.5:8000/metrics");
    let node_exp = prom("http://10.0.0.5:9100/metrics");
    let members = [member(&vllm, None, &[]), member(&node_exp, None, &[])];
    let proxy = [ProxyEntry {
        name: "node122",
        host: Some("10.0.0.5:8000"),
    }];
    let n = resolve(&members, &proxy);
    assert_eq!(nodes(&n), BTreeSet::from(["node122"]));
}

#[test]
fn the_config_name_wins_and_names_the_rest_of_its_host() {
    let vllm = prom("http://10.0.0.5:8000/metrics");
    let dcgm = SourceId::new(
        "rack1-gpu",
        SourceKind::Prometheus,
        "http://10.0.0.5:9400/metrics",
    );
    let mut named = member(&dcgm, Some("424773df46e0"), &["GPU-1"]);
    named.named = true;
    let members = [member(&vllm, None, &[]), named];
    let proxy = [ProxyEntry {
        name: "node122",
        host: Some("10.0.0.5"),
    }];
    let n = resolve(&members, &proxy);
    assert_eq!(nodes(&n), BTreeSet::from(["rack1-gpu"]));
    assert_eq!(n.proxy_node("node122"), "rack1-gpu");
}

#[test]
fn this_machine_is_one_node_named_by_its_exporter() {
    // NVML, a vLLM on localhost and a dcgm-exporter on 127.0.0.1 that reports the host name.
    let nvml = SourceId::new(LOCAL_NODE, SourceKind::Nvml, "local");
    let vllm = prom("http://localhost:8000/metrics");
    let dcgm = prom("http://127.0.0.1:9400/metrics");
    let members = [
        member(&nvml, None, &["GPU-1"]),
        member(&vllm, None, &[]),
        member(&dcgm, Some("gpu-box"), &["GPU-1"]),
    ];
    let n = resolve(&members, &[]);
    assert_eq!(nodes(&n), BTreeSet::from(["gpu-box"]));
}

#[test]
fn a_local_gpu_seen_by_a_remote_exporter_makes_this_machine_that_host() {
    let nvml = SourceId::new(LOCAL_NODE, SourceKind::Nvml, "local");
    let vllm = prom("http://localhost:8000/metrics");
    let dcgm = prom("http://10.0.0.5:9400/metrics");
    let members = [
        member(&nvml, None, &["GPU-1"]),
        member(&vllm, None, &[]),
        member(&dcgm, None, &["GPU-1"]),
    ];
    let n = resolve(&members, &[]);
    assert_eq!(nodes(&n), BTreeSet::from(["10.0.0.5"]));
}

#[test]
fn several_machines_behind_one_ip_are_told_apart_by_port() {
    // The simulator: every node on 127.0.0.1, its own port; the proxy names each address.
    let v0 = prom("http://127.0.0.1:40001/metrics");
    let g0 = prom("http://127.0.0.1:40001/gpu/metrics");
    let v1 = prom("http://127.0.0.1:40002/metrics");
    let g1 = prom("http://127.0.0.1:40002/gpu/metrics");
    let members = [
        member(&v0, None, &[]),
        member(&g0, Some("sim-node-0"), &["GPU-a"]),
        // Node 1 is down: nothing reported.
        member(&v1, None, &[]),
        member(&g1, None, &[]),
    ];
    let proxy = [
        ProxyEntry {
            name: "sim-node-0",
            host: Some("127.0.0.1:40001"),
        },
        ProxyEntry {
            name: "sim-node-1",
            host: Some("127.0.0.1:40002"),
        },
    ];
    let n = resolve(&members, &proxy);
    assert_eq!(n.node_of(&v0), "sim-node-0");
    assert_eq!(n.node_of(&g0), "sim-node-0");
    assert_eq!(n.node_of(&v1), "sim-node-1");
    assert_eq!(n.node_of(&g1), "sim-node-1");
    assert_eq!(n.proxy_node("sim-node-1"), "sim-node-1");

    // Without the proxy and with one name reported, nothing tells the machines apart: one host,
    // one node. Two reported names do tell them apart; an address nothing names is "host:port".
    let n = resolve(&members, &[]);
    assert_eq!(nodes(&n), BTreeSet::from(["sim-node-0"]));
    let v2 = prom("http://127.0.0.1:40003/metrics");
    let members = [
        member(&v2, None, &[]),
        member(&v0, None, &[]),
        member(&g0, Some("sim-node-0"), &[]),
        member(&v1, None, &[]),
        member(&g1, Some("sim-node-1"), &[]),
    ];
    let n = resolve(&members, &[]);
    assert_eq!(n.node_of(&v1), "sim-node-1");
    assert_eq!(n.node_of(&g1), "sim-node-1");
    assert_eq!(n.node_of(&v2), "local:40003");
}

#[test]
fn one_machine_reporting_its_short_and_full_name_is_not_split() {
    let dcgm = prom("http://10.0.0.5:9400/metrics");
    let node_exp = prom("http://10.0.0.5:9100/metrics");
    let members = [
        member(&dcgm, Some("gpu-a"), &[]),
        member(&node_exp, Some("GPU-A.lan"), &[]),
    ];
    let n = resolve(&members, &[]);
    assert_eq!(n.sources.len(), 2);
    assert_eq!(nodes(&n).len(), 1, "{n:?}");
}

#[test]
fn a_proxy_entry_that_matches_no_source_keeps_its_name() {
    let vllm = prom("http://10.0.0.5:8000/metrics");
    let members = [member(&vllm, None, &[])];
    let proxy = [
        ProxyEntry {
            name: "node7",
            host: Some("10.0.0.7"),
        },
        ProxyEntry {
            name: "node9",
            host: None,
        },
    ];
    let n = resolve(&members, &proxy);
    assert_eq!(n.proxy_node("node7"), "node7");
    assert_eq!(n.proxy_node("node9"), "node9");
    assert_eq!(n.node_of(&vllm), "10.0.0.5");
}
