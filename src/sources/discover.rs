//! Auto-discovery: what runs on a host, identified by what it answers — never by its port alone.
//! Each well-known port is asked the paths its service answers (`/metrics`, `/slots`,
//! `/api/tags`, `/status`, `/api/v1/status/buildinfo`); an answer is identified by its content
//! (the exposition's metric names, Ollama's and Prometheus's JSON, the proxy's node list).
//! `identify` is pure; `discover` asks every host and port at once, with a short timeout.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use crate::model::scrape::ServerKind;
use crate::sources::{http, mapping, ollama, prometheus, slots};

/// A well-known port and the service usually there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// Port.
    pub port: u16,
    /// The service usually there, in words.
    pub usually: &'static str,
}

/// The ports looked at on every host, in the order they are reported.
pub const PROBES: &[Probe] = &[
    Probe {
        port: 8000,
        usually: "vLLM",
    },
    Probe {
        port: 30000,
        usually: "SGLang",
    },
    Probe {
        port: 8080,
        usually: "llama.cpp or TGI",
    },
    Probe {
        port: 3000,
        usually: "TGI",
    },
    Probe {
        port: 11434,
        usually: "Ollama",
    },
    Probe {
        port: 9400,
        usually: "dcgm-exporter",
    },
    Probe {
        port: 9835,
        usually: "nvidia_gpu_exporter",
    },
    Probe {
        port: 9100,
        usually: "node_exporter",
    },
    Probe {
        port: 9403,
        usually: "swarmglass agent",
    },
    Probe {
        port: 9199,
        usually: "the smart proxy (/status)",
    },
    Probe {
        port: 9090,
        usually: "Prometheus",
    },
];

/// The paths asked of a port, in order; the first answer identified wins.
const PATHS: &[&str] = &[
    "/metrics",
    "/slots",
    "/api/tags",
    "/status",
    "/api/v1/status/buildinfo",
];

/// What an answer was identified as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Service {
    /// A Prometheus `/metrics` of a kind Swarmglass reads (or llama.cpp's `/slots`, read
    /// through a target of kind `llamacpp`).
    Metrics(ServerKind),
    /// llama.cpp without `/metrics`: its `/slots`.
    LlamacppSlots,
    /// Ollama's API.
    Ollama,
    /// The smart proxy's `/status`.
    Status,
    /// A Prometheus-compatible query API.
    PrometheusServer,
}

impl Service {
    /// In words, for the report.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Metrics(k) => format!("{} metrics", k.as_str()),
            Self::LlamacppSlots => "llama.cpp without /metrics (its /slots)".to_owned(),
            Self::Ollama => "Ollama".to_owned(),
            Self::Status => "the smart proxy's /status".to_owned(),
            Self::PrometheusServer => "a Prometheus query API".to_owned(),
        }
    }
}

/// Identify one answer: `path` asked, HTTP `status`, `body`. `None`: not a service Swarmglass
/// reads (or not a success).
#[must_use]
pub fn identify(path: &str, status: u16, body: &[u8]) -> Option<Service> {
    if status != 200 {
        return None;
    }
    match path {
        "/metrics" => {
            let body = prometheus::exposition_body(body);
            let format = prometheus::detect_format(None, body);
            let exp = prometheus::parse(body, format);
            mapping::detect_kind(&exp).map(Service::Metrics)
        }
        "/slots" => slots::parse(body).ok().map(|_| Service::LlamacppSlots),
        "/api/tags" => ollama::parse_tags(body).ok().map(|_| Service::Ollama),
        "/status" => {
            let v: serde_json::Value = serde_json::from_slice(body).ok()?;
            (v.get("nodes").is_some() && crate::sources::status::parse(body).is_ok())
                .then_some(Service::Status)
        }
        "/api/v1/status/buildinfo" => {
            let v: serde_json::Value = serde_json::from_slice(body).ok()?;
            (v.get("status").and_then(|s| s.as_str()) == Some("success")
                && v.pointer("/data/version").is_some())
            .then_some(Service::PrometheusServer)
        }
        _ => None,
    }
}

/// One service found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// `host:port`.
    pub address: String,
    /// What answered.
    pub service: Service,
}

impl Found {
    /// The URL a config entry for it names.
    #[must_use]
    pub fn url(&self) -> String {
        let base = format!("http://{}", self.address);
        match self.service {
            Service::Metrics(_) | Service::LlamacppSlots => format!("{base}/metrics"),
            Service::Status => format!("{base}/status"),
            Service::Ollama | Service::PrometheusServer => base,
        }
    }
}

/// A port where nothing Swarmglass reads answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFound {
    /// `host:port`.
    pub address: String,
    /// The service usually there (empty for a port the user gave).
    pub usually: &'static str,
    /// Why: refused, timed out, or what did answer.
    pub reason: String,
}

/// What discovery found and did not find.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Services found, in probe order.
    pub found: Vec<Found>,
    /// Ports where nothing usable answered.
    pub not_found: Vec<NotFound>,
}

/// The addresses to ask: `host` alone means every well-known port; `host:port` that port.
fn targets(hosts: &[String]) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for h in hosts {
        let h = h.trim().trim_start_matches("http://").trim_end_matches('/');
        let has_port = h
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
            && !h.ends_with(']');
        if has_port {
            out.push((h.to_owned(), ""));
        } else {
            out.extend(
                PROBES
                    .iter()
                    .map(|p| (format!("{h}:{}", p.port), p.usually)),
            );
        }
    }
    out
}

async fn ask(
    client: &reqwest::Client,
    address: &str,
    timeout: Duration,
) -> Result<Service, String> {
    let mut last = String::from("nothing Swarmglass reads answered");
    for path in PATHS {
        let url = format!("http://{address}{path}");
        let r = http::get(
            client,
            http::Request {
                url: &url,
                timeout,
                max_body_bytes: 8 << 20,
                bearer: None,
                basic: None,
                explain_errors: false,
                compress: true,
            },
        )
        .await;
        match r {
            Ok(f) => {
                if let Some(s) = identify(path, 200, &f.body) {
                    return Ok(s);
                }
                last = format!("{path} answered, but not as any service Swarmglass reads");
            }
            // Nothing listens: no other path will answer either.
            Err(
                e @ (crate::model::input::SourceError::Connect { .. }
                | crate::model::input::SourceError::Timeout { .. }),
            ) => {
                return Err(short(&e.to_string()));
            }
            Err(_) => {}
        }
    }
    Err(last)
}

fn short(reason: &str) -> String {
    // "cannot connect to URL: Connection refused (os error 111); is the server…" → the middle.
    let r = reason.split("; ").next().unwrap_or(reason);
    r.rsplit(": ").next().unwrap_or(r).to_owned()
}

/// Ask every host (`host` = every well-known port, `host:port` = that one) at once.
pub async fn discover(client: &reqwest::Client, hosts: &[String], timeout: Duration) -> Report {
    let asks = targets(hosts);
    let answers = futures_util::future::join_all(
        asks.iter()
            .map(|(address, _)| ask(client, address, timeout)),
    )
    .await;
    let mut report = Report::default();
    for ((address, usually), answer) in asks.into_iter().zip(answers) {
        match answer {
            Ok(service) => report.found.push(Found { address, service }),
            Err(reason) => report.not_found.push(NotFound {
                address,
                usually,
                reason,
            }),
        }
    }
    report
}

/// [`discover`] on a runtime of its own, for callers without one (start-up).
#[must_use]
pub fn discover_blocking(hosts: &[String], timeout: Duration) -> Report {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Report::default();
    };
    let Ok(client) = http::client() else {
        return Report::default();
    };
    rt.block_on(discover(&client, hosts, timeout))
}

impl Report {
    /// One line for the error list: what was looked for, found and not found.
    #[must_use]
    pub fn summary(&self) -> String {
        let found: Vec<String> = self
            .found
            .iter()
            .map(|f| format!("{} at {}", f.service.describe(), f.address))
            .collect();
        let missing: Vec<String> = self
            .not_found
            .iter()
            .map(|n| {
                if n.usually.is_empty() {
                    format!("{} ({})", n.address, n.reason)
                } else {
                    format!("{} at {} ({})", n.usually, n.address, n.reason)
                }
            })
            .collect();
        format!(
            "no config file, so this machine was searched: found {}; not found: {}. `swarmglass discover [HOST…]` writes a config to start from",
            if found.is_empty() {
                "nothing".to_owned()
            } else {
                found.join(", ")
            },
            if missing.is_empty() {
                "none".to_owned()
            } else {
                missing.join(", ")
            },
        )
    }

    /// A config file to start from: one entry per service found, what was not found as
    /// comments.
    #[must_use]
    pub fn config_toml(&self, hosts: &[String], at: SystemTime) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# Written by `swarmglass discover {}` at {}.\n# Found {} service(s). Edit and save as swarmglass.toml (see config/swarmglass.example.toml).\n",
            hosts.join(" "),
            crate::format::timestamp(at),
            self.found.len()
        );
        for f in &self.found {
            let url = f.url();
            match &f.service {
                Service::Metrics(k) => {
                    let _ = writeln!(
                        o,
                        "[[prometheus]]\nurl = \"{url}\"\nkind = \"{}\"\n",
                        k.as_str()
                    );
                }
                Service::LlamacppSlots => {
                    let _ = writeln!(
                        o,
                        "# llama.cpp without --metrics: read from its /slots (start it with --metrics for token rates)\n[[prometheus]]\nurl = \"{url}\"\nkind = \"llamacpp\"\n"
                    );
                }
                Service::Ollama => {
                    let _ = writeln!(o, "[[ollama]]\nurl = \"{url}\"\n");
                }
                Service::Status => {
                    let _ = writeln!(o, "[[status]]\nurl = \"{url}\"\n");
                }
                Service::PrometheusServer => {
                    // Off until chosen: it may scrape the very servers listed above, and each
                    // would then count twice.
                    let _ = writeln!(
                        o,
                        "# A Prometheus server answers here. To read the whole fleet it scrapes through it,\n# uncomment these lines and remove the entries above that it scrapes too:\n# [[prometheus_server]]\n# url = \"{url}\"\n"
                    );
                }
            }
        }
        if !self.not_found.is_empty() {
            let _ = writeln!(o, "# Not found:");
            for n in &self.not_found {
                let usually = if n.usually.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", n.usually)
                };
                let _ = writeln!(o, "#   {}{usually}: {}", n.address, n.reason);
            }
        }
        o
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_identified_by_content_not_port() {
        assert_eq!(
            identify(
                "/metrics",
                200,
                b"vllm:num_requests_running{model_name=\"m\"} 1\n"
            ),
            Some(Service::Metrics(ServerKind::Vllm))
        );
        assert_eq!(
            identify(
                "/metrics",
                200,
                b"DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"G\"} 5\n"
            ),
            Some(Service::Metrics(ServerKind::Dcgm))
        );
        assert_eq!(
            identify("/metrics", 200, b"go_goroutines 12\n"),
            None,
            "a /metrics of something Swarmglass does not read"
        );
        assert_eq!(identify("/metrics", 503, b"vllm:x 1\n"), None);
        assert_eq!(
            identify("/slots", 200, br#"[{"id":0,"is_processing":false}]"#),
            Some(Service::LlamacppSlots)
        );
        assert_eq!(
            identify("/api/tags", 200, br#"{"models":[]}"#),
            Some(Service::Ollama)
        );
        assert_eq!(identify("/api/tags", 200, b"<html>"), None);
        assert_eq!(
            identify(
                "/status",
                200,
                br#"{"nodes":[{"name":"a","healthy":true}]}"#
            ),
            Some(Service::Status)
        );
        assert_eq!(identify("/status", 200, br#"{"models":[]}"#), None);
        assert_eq!(
            identify(
                "/api/v1/status/buildinfo",
                200,
                br#"{"status":"success","data":{"version":"2.42.0"}}"#
            ),
            Some(Service::PrometheusServer)
        );
    }

    #[test]
    fn hosts_expand_to_ports_and_a_given_port_is_asked_alone() {
        let t = targets(&["gpu-a".into(), "10.0.0.5:8001".into()]);
        assert_eq!(t.len(), PROBES.len() + 1);
        assert_eq!(t[0], ("gpu-a:8000".to_owned(), "vLLM"));
        assert_eq!(t.last().unwrap(), &("10.0.0.5:8001".to_owned(), ""));
    }

    #[test]
    fn the_config_written_loads_and_lists_what_is_missing() {
        let r = Report {
            found: vec![
                Found {
                    address: "gpu-a:8000".into(),
                    service: Service::Metrics(ServerKind::Vllm),
                },
                Found {
                    address: "gpu-a:11434".into(),
                    service: Service::Ollama,
                },
                Found {
                    address: "gpu-a:9199".into(),
                    service: Service::Status,
                },
                Found {
                    address: "gpu-a:9090".into(),
                    service: Service::PrometheusServer,
                },
                Found {
                    address: "gpu-a:8080".into(),
                    service: Service::LlamacppSlots,
                },
            ],
            not_found: vec![NotFound {
                address: "gpu-a:30000".into(),
                usually: "SGLang",
                reason: "Connection refused (os error 111)".into(),
            }],
        };
        let text = r.config_toml(&["gpu-a".into()], SystemTime::UNIX_EPOCH);
        let cfg = crate::config::from_toml_str(&text, &|_| None).unwrap();
        assert_eq!(cfg.prometheus.len(), 2);
        assert_eq!(cfg.prometheus[0].kind, Some(ServerKind::Vllm));
        assert_eq!(cfg.prometheus[1].kind, Some(ServerKind::Llamacpp));
        assert_eq!(cfg.ollama[0].url, "http://gpu-a:11434");
        assert_eq!(cfg.status[0].url, "http://gpu-a:9199/status");
        assert!(cfg.prometheus_servers.is_empty(), "offered, commented out");
        assert!(text.contains("# url = \"http://gpu-a:9090\""), "{text}");
        assert!(
            text.contains("#   gpu-a:30000 (SGLang): Connection refused"),
            "{text}"
        );
        let s = r.summary();
        assert!(s.contains("vllm metrics at gpu-a:8000"), "{s}");
        assert!(s.contains("not found: SGLang at gpu-a:30000"), "{s}");
    }
}
