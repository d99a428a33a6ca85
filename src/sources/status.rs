//! The smart proxy's `GET /status`, read tolerantly: `nodes` as a list or a map, several
//! spellings of each field (see `docs/DATA-FORMATS.md` §status). Unknown fields are ignored;
//! missing numbers stay `None`. A node entry that is not a node (a number, a string, null, a
//! list, an object without one field we know) makes no node: it is skipped and explained in the
//! status's `problems`.

use serde_json::Value;

use crate::model::status::{ClusterStatus, StatusNode};

/// Why a `/status` body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    /// Not JSON at all.
    #[error("not JSON ({0}); is this URL the proxy's /status?")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("expected a JSON object at the top level, found {0}")]
    NotObject(&'static str),
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Look up a dotted path (`gpu.vram_used_pct`).
fn path<'a>(v: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted.split('.').try_fold(v, |cur, key| cur.get(key))
}

fn first<'a>(v: &'a Value, paths: &[&str]) -> Option<&'a Value> {
    paths
        .iter()
        .find_map(|p| path(v, p).filter(|x| !x.is_null()))
}

fn num(v: &Value, paths: &[&str]) -> Option<f64> {
    first(v, paths).and_then(|x| match x {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().trim_end_matches('%').trim().parse().ok(),
        _ => None,
    })
}

fn boolean(v: &Value, paths: &[&str]) -> Option<bool> {
    first(v, paths).and_then(|x| match x {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "ok" | "healthy" | "up" => Some(true),
            "false" | "unhealthy" | "down" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        _ => None,
    })
}

fn text(v: &Value, paths: &[&str]) -> Option<String> {
    first(v, paths).and_then(|x| match x {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Field paths that make an object a node entry (any one is enough).
const NODE_FIELDS: &[&str] = &[
    "name",
    "node",
    "key",
    "host",
    "address",
    "url",
    "healthy",
    "vllm_healthy",
    "status",
    "model",
    "model_name",
    "gpu",
    "gpu_utilization",
    "vram_percent",
];

/// Most problem lines kept (the count goes on).
const MAX_PROBLEMS: usize = 20;

/// Why `v` (the entry at `place`, e.g. `nodes[3]`) is not a node entry; `None` when it is.
/// An entry of a map is named by its key, so any object will do there.
fn not_a_node(v: &Value, place: &str, keyed: bool) -> Option<String> {
    let shown = |v: &Value| {
        let t = v.to_string();
        if t.chars().count() > 40 {
            format!("{}…", t.chars().take(40).collect::<String>())
        } else {
            t
        }
    };
    match v {
        Value::Object(map) => (!keyed && !NODE_FIELDS.iter().any(|f| map.contains_key(*f)))
            .then(|| {
                format!(
                    "{place} skipped: an object without any node field (name, host, healthy, model, gpu…): {}",
                    shown(v)
                )
            }),
        Value::Null => Some(format!("{place} skipped: null, not a node object")),
        other => Some(format!(
            "{place} skipped: {} ({}), not a node object",
            type_name(other),
            shown(other)
        )),
    }
}

fn node(v: &Value, key: Option<&str>, position: usize) -> StatusNode {
    StatusNode {
        name: text(v, &["name", "node", "key"])
            .or_else(|| key.map(str::to_owned))
            .unwrap_or_else(|| format!("node{position}")),
        host: text(v, &["host", "address", "url"]),
        healthy: boolean(v, &["healthy", "vllm_healthy", "status"]),
        model: text(v, &["model", "model_name"]),
        gpu_util_pct: num(
            v,
            &["gpu.utilization_pct", "gpu_utilization", "gpu.gpu_util"],
        ),
        vram_used_pct: num(
            v,
            &["gpu.vram_used_pct", "vram_percent", "gpu.memory_percent"],
        ),
        temp_c: num(v, &["gpu.temperature_c", "gpu.temp_c"]),
    }
}

/// Parse a `/status` body.
///
/// # Errors
/// When the body is not JSON or not an object; everything else is tolerated.
pub fn parse(body: &[u8]) -> Result<ClusterStatus, StatusError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| StatusError::NotJson(e.to_string()))?;
    if !v.is_object() {
        return Err(StatusError::NotObject(type_name(&v)));
    }
    let mut problems = Vec::new();
    let mut skipped = 0_usize;
    let mut keep = |v: &Value, place: String, keyed: bool| match not_a_node(v, &place, keyed) {
        None => true,
        Some(p) => {
            skipped += 1;
            if problems.len() < MAX_PROBLEMS {
                problems.push(p);
            }
            false
        }
    };
    let nodes: Vec<StatusNode> = match v.get("nodes") {
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .filter(|(i, n)| keep(n, format!("nodes[{i}]"), false))
            .map(|(i, n)| node(n, None, i))
            .collect(),
        Some(Value::Object(map)) => {
            // serde_json's map is sorted by key, so the order is stable.
            map.iter()
                .enumerate()
                .filter(|(_, (k, n))| keep(n, format!("nodes.{k}"), true))
                .map(|(i, (k, n))| node(n, Some(k), i))
                .collect()
        }
        None | Some(Value::Null) => Vec::new(),
        Some(other) => {
            skipped += 1;
            problems.push(format!(
                "`nodes` is {}, not a list or a map of nodes; no node was read",
                type_name(other)
            ));
            Vec::new()
        }
    };
    let healthy_nodes = nodes.iter().filter(|n| n.healthy == Some(true)).count();
    let failover_ready = boolean(&v, &["failover_ready"]).or(if nodes.is_empty() {
        None
    } else {
        Some(healthy_nodes > 1)
    });
    Ok(ClusterStatus {
        healthy: boolean(&v, &["healthy", "status"]),
        failover_ready,
        active_node: text(&v, &["active_node", "active"]),
        nodes,
        problems,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_shape() {
        let body = br#"{"healthy": true, "failover_ready": true, "active_node": "node122",
 "nodes": [{"name": "node122", "host": "192.168.0.122", "healthy": true, "model": "Qwen2.5-32B-AWQ",
            "gpu": {"utilization_pct": 82.0, "vram_used_pct": 71.5, "temperature_c": 45.0}}]}"#;
        let s = parse(body).unwrap();
        assert_eq!(s.healthy, Some(true));
        assert_eq!(s.failover_ready, Some(true));
        assert_eq!(s.active_node.as_deref(), Some("node122"));
        let n = &s.nodes[0];
        assert_eq!(n.name, "node122");
        assert_eq!(n.host.as_deref(), Some("192.168.0.122"));
        assert_eq!(n.model.as_deref(), Some("Qwen2.5-32B-AWQ"));
        assert_eq!(
            (n.gpu_util_pct, n.vram_used_pct, n.temp_c),
            (Some(82.0), Some(71.5), Some(45.0))
        );
    }

    #[test]
    fn map_of_nodes_with_other_spellings_and_derived_failover() {
        let body = br#"{"nodes": {"b": {"vllm_healthy": true, "vram_percent": 50, "gpu": {"temp_c": 40}},
                                  "a": {"healthy": true, "gpu": {"gpu_util": "12 %", "memory_percent": 30}},
                                  "c": {"healthy": false, "extra": {"ignored": 1}}}}"#;
        let s = parse(body).unwrap();
        let names: Vec<&str> = s.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(s.nodes[0].gpu_util_pct, Some(12.0));
        assert_eq!(s.nodes[0].vram_used_pct, Some(30.0));
        assert_eq!(s.nodes[1].vram_used_pct, Some(50.0));
        assert_eq!(s.nodes[1].temp_c, Some(40.0));
        assert_eq!(s.nodes[2].healthy, Some(false));
        assert_eq!(s.nodes[2].temp_c, None, "missing numbers stay n/a");
        assert_eq!(
            s.failover_ready,
            Some(true),
            "two healthy nodes and no explicit field"
        );
        assert_eq!(s.healthy, None);
    }

    #[test]
    fn list_of_healthy_flags_only() {
        let s = parse(br#"{"nodes": [{"healthy": true}, {"healthy": false}]}"#).unwrap();
        assert_eq!(s.nodes[0].name, "node0");
        assert_eq!(s.failover_ready, Some(false));
    }

    #[test]
    fn entries_that_are_not_nodes_are_skipped_and_said() {
        let body = br#"{"nodes": [{"name": "a", "healthy": true}, 5, "str", null, [],
                                  {"name": "b", "healthy": true}, {}, {"what": 1}]}"#;
        let s = parse(body).unwrap();
        let names: Vec<&str> = s.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["a", "b"], "no phantom node");
        assert_eq!(s.healthy_count(), 2);
        assert_eq!(s.failover_ready, Some(true));
        assert_eq!(s.skipped, 6);
        assert_eq!(
            s.problems[..4],
            [
                "nodes[1] skipped: a number (5), not a node object",
                "nodes[2] skipped: a string (\"str\"), not a node object",
                "nodes[3] skipped: null, not a node object",
                "nodes[4] skipped: an array ([]), not a node object",
            ]
        );
        assert!(s.problems[4].starts_with("nodes[6] skipped: an object without"));
        let m = s.problems_summary().unwrap();
        assert!(m.starts_with("6 node entries of /status skipped"), "{m}");
        assert!(m.contains("the other 2 node(s) were used"), "{m}");

        let keyed = parse(br#"{"nodes": {"a": {}, "b": 7}}"#).unwrap();
        assert_eq!(keyed.nodes.len(), 1, "a map names its nodes by key");
        assert_eq!(
            keyed.problems,
            ["nodes.b skipped: a number (7), not a node object"]
        );
        let odd = parse(br#"{"nodes": 3}"#).unwrap();
        assert!(odd.nodes.is_empty());
        assert_eq!(odd.skipped, 1);
        assert!(
            parse(br#"{"nodes": null}"#)
                .unwrap()
                .problems_summary()
                .is_none()
        );
    }

    #[test]
    fn errors_are_clear() {
        assert!(matches!(parse(b"<html>"), Err(StatusError::NotJson(_))));
        assert_eq!(parse(b"[1]"), Err(StatusError::NotObject("an array")));
        assert_eq!(parse(b"{}").unwrap(), ClusterStatus::default());
    }
}
