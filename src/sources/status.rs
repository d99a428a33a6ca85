//! The smart proxy's `GET /status`, read tolerantly: `nodes` as a list or a map, several
//! spellings of each field (see `docs/DATA-FORMATS.md` §status). Unknown fields are ignored;
//! missing numbers stay `None`.

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
    let nodes: Vec<StatusNode> = match v.get("nodes") {
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, n)| node(n, None, i))
            .collect(),
        Some(Value::Object(map)) => {
            // serde_json's map is sorted by key, so the order is stable.
            map.iter()
                .enumerate()
                .map(|(i, (k, n))| node(n, Some(k), i))
                .collect()
        }
        _ => Vec::new(),
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
    fn errors_are_clear() {
        assert!(matches!(parse(b"<html>"), Err(StatusError::NotJson(_))));
        assert_eq!(parse(b"[1]"), Err(StatusError::NotObject("an array")));
        assert_eq!(parse(b"{}").unwrap(), ClusterStatus::default());
    }
}
