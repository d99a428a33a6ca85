//! Which node each source belongs to: one machine is one node, named the way an operator would
//! name it. Pure: the views call [`resolve`] with what the sources said.
//!
//! The rule (README.md, "How nodes are named"):
//!
//! 1. Sources on one host are one machine. The host is the URL's host, with every loopback name
//!    (`localhost`, `127.x.x.x`, `::1`) and this machine's own GPU readers (NVML, `nvidia-smi`)
//!    being [`LOCAL_NODE`]. When an exporter elsewhere reports one of this machine's GPUs (same
//!    UUID), this machine *is* that host.
//! 2. A machine is named by, in order: the name the config gives one of its sources; else the
//!    host name an exporter on it reports (dcgm-exporter's `Hostname`, node_exporter's
//!    `node_uname_info{nodename}`, later our own agent's); else the name the status proxy gives
//!    its address; else the URL's host (`local` for loopback).
//! 3. A source whose config names its node keeps that name.
//! 4. When one kind of evidence names several machines on one host (two config names, two
//!    reported host names, two proxy names — several machines behind one IP, as with the
//!    simulator or port forwards), each port on that host is its own machine.
//!
//! The proxy's entries for an address join the node of the sources there, whatever the proxy
//! calls it; an entry whose address matches no source stays a node of its own name.

use std::collections::{BTreeMap, BTreeSet};

use super::gpu::GpuSample;
use super::ids::SourceId;

/// Node name of this machine's own sources (NVML, loopback URLs), unless a better one is known.
pub const LOCAL_NODE: &str = "local";

/// Where a source or a proxy entry lives: host (lower case, loopback as [`LOCAL_NODE`]) and port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    /// Host, normalised.
    pub host: String,
    /// Port, when given.
    pub port: Option<u16>,
}

fn host_key(host: &str) -> String {
    let h = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    if h == "localhost" || h == "::1" || h.starts_with("127.") {
        LOCAL_NODE.to_owned()
    } else {
        h
    }
}

/// The address in a URL (`http://10.0.0.5:8000/metrics`) or a bare `host[:port]` (as the status
/// proxy gives it). `None` when there is no host.
#[must_use]
pub fn address_of(s: &str) -> Option<Address> {
    let rest = s.trim().split_once("://").map_or(s.trim(), |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (h, after) = bracketed.split_once(']')?;
        (h, after.strip_prefix(':').and_then(|p| p.parse().ok()))
    } else if authority.matches(':').count() == 1 {
        let (h, p) = authority.split_once(':')?;
        (h, p.parse().ok())
    } else {
        (authority, None)
    };
    (!host.is_empty()).then(|| Address {
        host: host_key(host),
        port,
    })
}

/// What the rule knows of one source (status sources excluded: their entries are
/// [`ProxyEntry`]s).
#[derive(Debug, Clone)]
pub struct Member<'a> {
    /// The source.
    pub id: &'a SourceId,
    /// The config gave its node name (`id.node`).
    pub named: bool,
    /// The host name it reports for its machine.
    pub reported: Option<&'a str>,
    /// The GPUs it sees (their UUIDs tie this machine's NVML to an exporter's host).
    pub gpus: &'a [std::sync::Arc<GpuSample>],
}

/// One node as the status proxy names it.
#[derive(Debug, Clone, Copy)]
pub struct ProxyEntry<'a> {
    /// The proxy's name for it.
    pub name: &'a str,
    /// Its address, when the proxy gives one.
    pub host: Option<&'a str>,
}

/// The rule's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Naming {
    /// Node of each source.
    pub sources: BTreeMap<SourceId, String>,
    /// Node of each proxy entry, by the proxy's name.
    pub proxy: BTreeMap<String, String>,
}

impl Naming {
    /// The node of `id` (its configured name when the rule did not see it).
    #[must_use]
    pub fn node_of<'a>(&'a self, id: &'a SourceId) -> &'a str {
        self.sources
            .get(id)
            .map_or(id.node.as_str(), String::as_str)
    }

    /// The node the proxy's `name` belongs to.
    #[must_use]
    pub fn proxy_node<'a>(&'a self, name: &'a str) -> &'a str {
        self.proxy.get(name).map_or(name, String::as_str)
    }
}

/// How strongly a piece of evidence names a machine (lower wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Config,
    Reported,
    Proxy,
}

/// Host names compared for "is this another machine": case-insensitive, short name (a reported
/// `gpu-a.lan` and `gpu-a` are one machine); IP addresses whole.
fn same_machine_key(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower.contains(':') || lower.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return lower;
    }
    lower.split('.').next().unwrap_or_default().to_owned()
}

/// Claims on one host, to tell whether it is several machines.
#[derive(Default)]
struct Claims<'a> {
    config: BTreeSet<&'a str>,
    reported: BTreeSet<String>,
    proxy: BTreeSet<&'a str>,
}

impl Claims<'_> {
    fn several_machines(&self) -> bool {
        self.config.len() > 1 || self.reported.len() > 1 || self.proxy.len() > 1
    }
}

/// A hash of everything [`resolve`] reads from `members` and `proxy`: equal hashes, equal
/// naming. The views reuse the last naming while it stays the same (a fleet's sources change
/// their figures every scrape, their names and addresses almost never). GPU UUIDs count only
/// when a local GPU source is present, the one case where the rule compares them.
#[must_use]
pub fn fingerprint(members: &[Member<'_>], proxy: &[ProxyEntry<'_>]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let uuids_matter = members.iter().any(|m| m.id.kind.is_local_gpu());
    members.len().hash(&mut h);
    for m in members {
        (m.id, m.named, m.reported).hash(&mut h);
        if uuids_matter {
            for g in m.gpus {
                g.uuid.hash(&mut h);
            }
        }
    }
    proxy.len().hash(&mut h);
    for p in proxy {
        (p.name, p.host).hash(&mut h);
    }
    h.finish()
}

/// Name every source's node and every proxy entry's node by the rule above.
#[must_use]
pub fn resolve<'a>(members: &'a [Member<'a>], proxy: &'a [ProxyEntry<'a>]) -> Naming {
    let mut addrs: Vec<Option<Address>> = members
        .iter()
        .map(|m| {
            if m.id.kind.is_local_gpu() {
                Some(Address {
                    host: LOCAL_NODE.to_owned(),
                    port: None,
                })
            } else {
                address_of(&m.id.locator)
            }
        })
        .collect();
    let mut proxy_addrs: Vec<Option<Address>> =
        proxy.iter().map(|p| p.host.and_then(address_of)).collect();

    // This machine's GPUs reported by an exporter on another host: this machine is that host.
    let local_uuids: BTreeSet<&str> = members
        .iter()
        .filter(|m| m.id.kind.is_local_gpu())
        .flat_map(|m| m.gpus.iter().filter_map(|g| g.uuid.as_deref()))
        .collect();
    let this_machine = (!local_uuids.is_empty())
        .then(|| {
            members
                .iter()
                .zip(&addrs)
                .filter(|(m, _)| !m.id.kind.is_local_gpu())
                .filter_map(|(m, a)| a.as_ref().map(|a| (m, a)))
                .filter(|(_, a)| a.host != LOCAL_NODE)
                .find(|(m, _)| {
                    m.gpus
                        .iter()
                        .filter_map(|g| g.uuid.as_deref())
                        .any(|u| local_uuids.contains(u))
                })
                .map(|(_, a)| a.host.clone())
        })
        .flatten();
    if let Some(host) = this_machine {
        for a in addrs.iter_mut().chain(proxy_addrs.iter_mut()).flatten() {
            if a.host == LOCAL_NODE {
                a.host.clone_from(&host);
            }
        }
    }

    // Several machines behind one host? Then each port is one.
    let mut claims: BTreeMap<&str, Claims<'_>> = BTreeMap::new();
    for (m, a) in members.iter().zip(&addrs) {
        let Some(a) = a else { continue };
        let c = claims.entry(a.host.as_str()).or_default();
        if m.named {
            c.config.insert(&m.id.node);
        }
        if let Some(r) = m.reported {
            c.reported.insert(same_machine_key(r));
        }
    }
    for (p, a) in proxy.iter().zip(&proxy_addrs) {
        if let Some(a) = a {
            claims
                .entry(a.host.as_str())
                .or_default()
                .proxy
                .insert(p.name);
        }
    }
    let split: BTreeSet<&str> = claims
        .iter()
        .filter(|(_, c)| c.several_machines())
        .map(|(h, _)| *h)
        .collect();
    // One machine: a host, or a host and port where the host is several machines.
    let unit_of = |a: &'_ Address| -> (String, Option<u16>) {
        let port = if split.contains(a.host.as_str()) {
            a.port
        } else {
            None
        };
        (a.host.clone(), port)
    };

    // The best name each machine has.
    let mut best: BTreeMap<(String, Option<u16>), (Rank, &str)> = BTreeMap::new();
    let mut offer = |unit: (String, Option<u16>), rank: Rank, name: &'a str| {
        let slot = best.entry(unit).or_insert((rank, name));
        if rank < slot.0 {
            *slot = (rank, name);
        }
    };
    for (m, a) in members.iter().zip(&addrs) {
        let Some(a) = a else { continue };
        if m.named {
            offer(unit_of(a), Rank::Config, &m.id.node);
        } else if let Some(r) = m.reported {
            offer(unit_of(a), Rank::Reported, r);
        }
    }
    for (p, a) in proxy.iter().zip(&proxy_addrs) {
        if let Some(a) = a {
            offer(unit_of(a), Rank::Proxy, p.name);
        }
    }
    let name_of = |a: &Address| -> String {
        let unit = unit_of(a);
        match (best.get(&unit), unit.1) {
            (Some((_, n)), _) => (*n).to_owned(),
            (None, Some(port)) => format!("{}:{port}", unit.0),
            (None, None) => unit.0,
        }
    };

    let sources = members
        .iter()
        .zip(&addrs)
        .map(|(m, a)| {
            let node = match a {
                Some(a) if !m.named => name_of(a),
                _ => m.id.node.clone(),
            };
            (m.id.clone(), node)
        })
        .collect();
    let proxy = proxy
        .iter()
        .zip(&proxy_addrs)
        .map(|(p, a)| {
            let node = a.as_ref().map_or_else(|| p.name.to_owned(), &name_of);
            (p.name.to_owned(), node)
        })
        .collect();
    Naming { sources, proxy }
}

#[cfg(test)]
#[path = "identity_tests.rs"]
mod tests;
