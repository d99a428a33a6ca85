//! Unit tests of `validate.rs` (kept apart to keep that file small).

use std::time::Duration;

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn full_config_parses() {
    let text = r#"
[nvml]
enabled = false
interval = "5s"

[[prometheus]]
url = "http://10.0.0.5:8000/metrics"
kind = "vllm"
interval = "1s"
timeout = "500ms"
bearer_token_env = "VLLM_TOKEN"

[[prometheus]]
url = "http://10.0.0.6:9400/metrics"
node = "gpu-b"

[[status]]
url = "http://10.0.0.5:9199/status"
"#;
    let env = |k: &str| (k == "VLLM_TOKEN").then(|| "s3cret".to_owned());
    let c = from_toml_str(text, &env).unwrap();
    assert!(!c.nvml.enabled);
    assert_eq!(c.nvml.interval, Duration::from_secs(5));
    assert_eq!(c.prometheus.len(), 2);
    let p = &c.prometheus[0];
    assert_eq!(
        (p.node.as_str(), p.kind, p.timeout),
        (
            "10.0.0.5",
            Some(ServerKind::Vllm),
            Duration::from_millis(500)
        )
    );
    assert_eq!(p.bearer_token.as_deref(), Some("s3cret"));
    assert_eq!(c.prometheus[1].node, "gpu-b");
    assert_eq!(c.prometheus[1].kind, None);
    assert_eq!(c.status[0].url, "http://10.0.0.5:9199/status");
}

#[test]
fn every_problem_is_reported_with_key_and_hint() {
    let text = r#"
colour = "blue"
[nvml]
enabled = "yes"
[[prometheus]]
url = "not a url"
kind = "vlm"
interval = "soon"
bearer_token_env = "MISSING_TOKEN"
scrape_every = "1s"
[[status]]
interval = "1s"
"#;
    let problems = from_toml_str(text, &no_env).unwrap_err();
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    for k in [
        "colour",
        "nvml.enabled",
        "prometheus[0].url",
        "prometheus[0].kind",
        "prometheus[0].interval",
        "prometheus[0].bearer_token_env",
        "prometheus[0].scrape_every",
        "status[0].url",
    ] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
    assert_eq!(problems.len(), 8, "{problems:#?}");
    assert!(problems.iter().all(|p| !p.hint.is_empty()));
    let unknown = problems
        .iter()
        .find(|p| p.key == "prometheus[0].scrape_every")
        .unwrap();
    assert!(
        unknown.hint.contains("interval"),
        "hint lists the known keys"
    );
}

#[test]
fn broken_toml_names_the_line() {
    let problems = from_toml_str("[nvml]\nenabled = \n", &no_env).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].key.starts_with("line 2"), "{:?}", problems[0]);
}

#[test]
fn alerts_section_is_validated_with_the_rest() {
    let text = "[alerts]\ndesktop = false\n[alerts.rules.gpu_temp_high]\nthreshold = 90.0\n[alerts.rules.no_such_rule]\nenabled = false\n[nvml]\nenabled = 3\n";
    let problems = from_toml_str(text, &no_env).unwrap_err();
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert!(keys.contains(&"nvml.enabled"), "{keys:?}");
    assert!(keys.iter().any(|k| k.contains("no_such_rule")), "{keys:?}");
    let ok = from_toml_str("[alerts]\ndesktop = false\n", &no_env).unwrap();
    assert!(!ok.alerts.desktop);
}

#[test]
fn shipped_example_config_is_valid() {
    let c = from_toml_str(
        include_str!("../../config/swarmglass.example.toml"),
        &no_env,
    )
    .unwrap();
    assert_eq!(c.prometheus.len(), 1);
    assert_eq!(c.status[0].interval, Duration::from_secs(5));
    assert_eq!(c.model.quantile_window, Duration::from_secs(60));
    assert!(c.history.enabled);
    assert_eq!(c.history.retention.max_disk_bytes, 1 << 30);
    assert_eq!(c.history.retention.minute, Duration::from_secs(30 * 86_400));
}

#[test]
fn shipped_example_config_is_valid_with_every_commented_section_enabled() {
    // Uncomment every commented TOML line (`# [..]`, `# key = ..`), keep the prose comments.
    let text: String = include_str!("../../config/swarmglass.example.toml")
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with('[')
                    || rest.split_once(" = ").is_some_and(|(k, _)| {
                        !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    }) =>
            {
                rest.to_owned()
            }
            _ => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let env = |_: &str| Some("https://hooks.example.invalid/secret".to_owned());
    let c = from_toml_str(&text, &env).unwrap_or_else(|p| panic!("{p:#?}\n{text}"));
    assert_eq!(c.prometheus.len(), 4);
    assert_eq!(c.ollama.len(), 1);
    assert_eq!(c.prometheus_servers.len(), 1);
    assert_eq!(
        c.prometheus_servers[0].matchers,
        ["cluster=\"a\"", "job=~\"dcgm|vllm\""]
    );
    assert_eq!(c.agents.nexus_ws.len(), 1);
    assert_eq!(c.agents.exec_logs.len(), 1);
    assert_eq!(c.agents.tool_proxy_logs.len(), 1);
    assert_eq!(c.alerts.webhooks.len(), 1);
    assert_eq!(
        c.history.retention.raw,
        Some(Duration::from_secs(7 * 86_400))
    );
    assert!(c.history.dir.is_some());
}

#[test]
fn history_reads_sizes_and_durations_and_names_each_problem() {
    let c = from_toml_str(
        "[history]\nenabled = false\ndir = \"/srv/sg\"\nmax_disk = \"500 MB\"\nraw_retention = \"2d\"\nminute_retention = \"90d\"\n",
        &no_env,
    )
    .unwrap();
    assert!(!c.history.enabled);
    assert_eq!(
        c.history.dir.as_deref(),
        Some(std::path::Path::new("/srv/sg"))
    );
    assert_eq!(c.history.retention.max_disk_bytes, 500_000_000);
    assert_eq!(
        c.history.retention.raw,
        Some(Duration::from_secs(2 * 86_400))
    );
    assert_eq!(c.history.retention.minute, Duration::from_secs(90 * 86_400));
    let gib = from_toml_str("[history]\nmax_disk = \"2 GiB\"\n", &no_env).unwrap();
    assert_eq!(gib.history.retention.max_disk_bytes, 2 << 30);
    let problems =
        from_toml_str("[history]\nmax_disk = \"lots\"\nkeep = 1\n", &no_env).unwrap_err();
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["history.keep", "history.max_disk"], "{problems:#?}");
    let size = problems
        .iter()
        .find(|p| p.key == "history.max_disk")
        .unwrap();
    assert!(size.hint.contains("1 GiB"), "{size:?}");
}

#[test]
fn defaults_monitor_this_machine() {
    let c = Config::default();
    assert!(c.nvml.enabled);
    assert_eq!(c.prometheus[0].url, "http://localhost:8000/metrics");
    assert_eq!(c.prometheus[0].node, "local");
    assert_eq!(c.status[0].url, "http://localhost:9199/status");
    let empty = from_toml_str("", &no_env).unwrap();
    assert!(
        empty.prometheus.is_empty(),
        "a config file lists exactly what it monitors"
    );
}

#[test]
fn a_source_listed_twice_is_an_error_at_the_copy() {
    // 10,000 copies of one target were accepted silently: each would be polled.
    let mut text = String::new();
    for _ in 0..10_000 {
        text.push_str("[[prometheus]]\nurl = \"http://10.0.0.5:8000/metrics\"\n");
    }
    text.push_str(concat!(
        "[[prometheus]]\nurl = \"http://OTHER:80/metrics\"\n",
        "[[prometheus]]\nurl = \"http://other/metrics\"\n",
        "[[status]]\nurl = \"http://10.0.0.5:9199/status\"\n",
        "[[status]]\nurl = \"http://10.0.0.5:9199/status\"\n",
        "[[tool_proxy_log]]\npath = \"/var/log/p.log\"\n",
        "[[tool_proxy_log]]\npath = \"/var/log/p.log\"\n",
        "[[exec_logs]]\nurl = \"ws://h:8000\"\nexecutions = [\"a\", \"b\"]\n",
        "[[exec_logs]]\nurl = \"ws://h:8000\"\nexecutions = [\"b\"]\n",
        "[[nexus_ws]]\nurl = \"ws://h:8000\"\n",
        "[[nexus_ws]]\nurl = \"ws://h:8000/\"\n",
    ));
    let problems = from_toml_str(&text, &no_env).unwrap_err();
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "prometheus[1].url",
            "prometheus[10001].url",
            "status[1].url",
            "nexus_ws[1].url",
            "tool_proxy_log[1].path",
            "exec_logs[1].executions[0]",
        ],
        "one problem per repeated source, every one at once: {problems:#?}"
    );
    let p = &problems[0];
    assert!(
        p.message.contains("http://10.0.0.5:8000/metrics")
            && p.message.contains("prometheus[0].url")
            && p.message.contains("10000 times"),
        "{p:?}"
    );
    assert!(p.hint.contains("once"), "{p:?}");
    assert!(
        problems[1].message.contains("a second time"),
        "{:?}",
        problems[1]
    );
    assert!(
        problems[5].message.contains("execution b"),
        "{:?}",
        problems[5]
    );
}

#[test]
fn series_caps_are_read_and_checked() {
    let c = from_toml_str(
        "[model]\nmax_models_per_source = 8\nmax_gpus_per_source = 16\n",
        &no_env,
    )
    .unwrap();
    assert_eq!(
        (c.model.max_models_per_source, c.model.max_gpus_per_source),
        (8, 16)
    );
    let d = from_toml_str("", &no_env).unwrap();
    assert_eq!(
        (d.model.max_models_per_source, d.model.max_gpus_per_source),
        (64, 64),
        "the defaults README documents"
    );
    let problems = from_toml_str(
        "[model]\nmax_models_per_source = 0\nmax_gpus_per_source = \"lots\"\n",
        &no_env,
    )
    .unwrap_err();
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        ["model.max_models_per_source", "model.max_gpus_per_source"]
    );
}

#[test]
fn a_bad_count_hints_a_sensible_example_for_its_key() {
    let text = r#"
[model]
down_after_failures = 0
stale_after_intervals = -1
[[status]]
url = "http://h:9199/status"
max_body_bytes = "big"
[[openclaw_gateway]]
active_minutes = 0
"#;
    let problems = from_toml_str(text, &no_env).unwrap_err();
    let hint = |key: &str| {
        problems
            .iter()
            .find(|p| p.key == key)
            .map(|p| p.hint.clone())
            .unwrap_or_else(|| panic!("{key} missing from {problems:#?}"))
    };
    assert_eq!(hint("model.down_after_failures"), "e.g. 2");
    assert_eq!(hint("model.stale_after_intervals"), "e.g. 3");
    assert_eq!(hint("status[0].max_body_bytes"), "e.g. 1048576");
    assert_eq!(hint("openclaw_gateway[0].active_minutes"), "e.g. 60");
}

#[test]
fn prometheus_servers_parse_with_their_filters_and_credentials() {
    let text = r#"
[[prometheus_server]]
url = "http://prometheus:9090/"
interval = "10s"
window = "2m"
match = ['cluster="a"']
jobs = ["dcgm", "vllm.prod"]
basic_user = "grafana"
basic_password_env = "PROM_PASSWORD"
max_series = 5000

[[prometheus_server]]
url = "https://vm.example:8481/select/0/prometheus"
bearer_token_env = "VM_TOKEN"
"#;
    let env = |k: &str| match k {
        "PROM_PASSWORD" => Some("pw".to_owned()),
        "VM_TOKEN" => Some("tok".to_owned()),
        _ => None,
    };
    let c = from_toml_str(text, &env).unwrap();
    assert!(c.prometheus.is_empty(), "a file lists only what it lists");
    let [a, b] = c.prometheus_servers.as_slice() else {
        panic!("{:?}", c.prometheus_servers);
    };
    assert_eq!(a.url, "http://prometheus:9090");
    assert_eq!(a.interval, Duration::from_secs(10));
    assert_eq!(a.window, Duration::from_secs(120));
    assert_eq!(a.matchers, ["cluster=\"a\"", "job=~\"dcgm|vllm\\\\.prod\""]);
    assert_eq!(
        (a.basic_user.as_deref(), a.basic_password.as_deref()),
        (Some("grafana"), Some("pw"))
    );
    assert_eq!(a.max_series, 5000);
    assert_eq!(b.bearer_token.as_deref(), Some("tok"));
}

#[test]
fn a_bad_prometheus_server_entry_names_its_key_and_what_to_do() {
    let text = r#"
[[prometheus_server]]
url = "http://prometheus:9090"
match = ["cluster=a"]
basic_password_env = "NOPE"
"#;
    let problems = from_toml_str(text, &no_env).unwrap_err();
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert!(keys.contains(&"prometheus_server[0].match"), "{problems:?}");
    assert!(
        keys.contains(&"prometheus_server[0].basic_password_env"),
        "{problems:?}"
    );
    let m = problems
        .iter()
        .find(|p| p.key == "prometheus_server[0].match")
        .unwrap();
    assert!(
        m.message.contains("`cluster=a` is not a label matcher"),
        "{m:?}"
    );
    assert!(m.hint.contains("job=~"), "{m:?}");
}

#[test]
fn ollama_servers_parse_and_name_their_node() {
    let text = r#"
[[ollama]]
url = "http://10.0.0.7:11434/"
node = "gpu-c"
interval = "5s"

[[ollama]]
url = "http://10.0.0.8:11434"
"#;
    let c = from_toml_str(text, &no_env).unwrap();
    assert_eq!(c.ollama.len(), 2);
    assert_eq!(c.ollama[0].url, "http://10.0.0.7:11434");
    assert_eq!(
        (c.ollama[0].node.as_str(), c.ollama[0].node_named),
        ("gpu-c", true)
    );
    assert_eq!(c.ollama[0].interval, Duration::from_secs(5));
    assert_eq!(
        (c.ollama[1].node.as_str(), c.ollama[1].node_named),
        ("10.0.0.8", false)
    );
    let e = from_toml_str("[[ollama]]\nurl = \"ftp://x\"\n", &no_env).unwrap_err();
    assert_eq!(e[0].key, "ollama[0].url");
}

#[test]
fn wall_sections_and_paging_are_read_and_checked() {
    use crate::config::wall::WallSection;
    let c = from_toml_str(
        "[wall]\nshow = [\"cluster\", \"gpus\", \"errors\"]\npage_every = \"30s\"\n",
        &no_env,
    )
    .unwrap();
    assert_eq!(
        c.wall.show,
        vec![WallSection::Cluster, WallSection::Gpus, WallSection::Errors]
    );
    assert_eq!(c.wall.page_every, Duration::from_secs(30));
    assert_eq!(
        from_toml_str("", &no_env).unwrap().wall.show,
        WallSection::ALL.to_vec(),
        "everything by default"
    );
    let problems = from_toml_str(
        "[wall]\nshow = [\"gpus\", \"gpu\", \"gpus\"]\npage_every = \"1s\"\nzoom = 2\n",
        &no_env,
    )
    .unwrap_err();
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "wall.zoom",
            "wall.show[1]",
            "wall.show[2]",
            "wall.page_every"
        ],
        "{problems:?}"
    );
    assert!(problems[1].message.contains("unknown wall section `gpu`"));
    assert!(
        problems[1].hint.contains("\"gpus\""),
        "the hint names the sections"
    );
    assert!(problems[2].message.contains("twice"));
    let empty = from_toml_str("[wall]\nshow = []\n", &no_env).unwrap_err();
    assert_eq!(empty[0].key, "wall.show");
}
