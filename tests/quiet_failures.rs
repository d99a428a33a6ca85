//! Failures that used to pass unseen, and messages that pointed the wrong way, through the real
//! fetch → parse → model path against loopback servers: an empty 200 answer, a byte-order mark,
//! a `/status` node list with entries that are not nodes, 401s with and without a token (for a
//! Prometheus target, a status endpoint and `metrics check`), and an error that must read as
//! resolved once its source works again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, SystemTime};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use swarmglass::config::{PrometheusTarget, StatusEndpoint};
use swarmglass::model::health::Health;
use swarmglass::model::input::{SourceError, SourceUpdate};
use swarmglass::model::views::Overall;
use swarmglass::model::{Model, ModelSettings};
use swarmglass::runtime::{prometheus_id, scrape_once, status_id, status_once};

fn t(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
}

fn target(url: &str) -> PrometheusTarget {
    let mut t = PrometheusTarget::new(url);
    t.timeout = Duration::from_secs(5);
    t
}

fn client() -> reqwest::Client {
    swarmglass::sources::http::client().unwrap()
}

#[tokio::test]
async fn an_empty_200_answer_is_a_decode_error_and_the_target_is_down() {
    let good = common::vllm_body(1.0, 1.0, 1.0, 0.0, [1.0; 4], 1.0);
    let url = format!(
        "{}/metrics",
        common::scripted(vec![String::new(), good]).await
    );
    let tgt = target(&url);
    let result = scrape_once(&client(), &tgt).await;
    let Err(SourceError::Decode { reason, .. }) = &result else {
        panic!("an empty body was accepted: {result:?}")
    };
    assert!(
        reason.starts_with("empty body: the server answered 200 with nothing"),
        "{reason}"
    );
    let mut model = Model::new(ModelSettings::default());
    let id = prometheus_id(&tgt);
    model.apply(
        SourceUpdate::Scrape {
            source: id.clone(),
            at: t(0),
            result,
        },
        t(0),
    );
    assert!(
        matches!(model.sources()[&id].health.health, Health::Down { .. }),
        "{:?}",
        model.sources()[&id].health.health
    );
    let e = &model.errors.recent()[0];
    assert_eq!(e.kind, "decode");
    assert!(e.last_message.contains(&url), "{}", e.last_message);
    assert!(e.is_current());

    // The exporter serves again: the target is up and the error reads as resolved.
    let result = scrape_once(&client(), &tgt).await;
    assert!(result.is_ok(), "{result:?}");
    model.apply(
        SourceUpdate::Scrape {
            source: id.clone(),
            at: t(2),
            result,
        },
        t(2),
    );
    assert!(matches!(
        model.sources()[&id].health.health,
        Health::Up { .. }
    ));
    let e = &model.errors.recent()[0];
    assert_eq!((e.kind.as_str(), e.resolved_at), ("decode", Some(t(2))));

    // Only blank lines is just as empty.
    let url = format!("{}/metrics", common::scripted(vec!["\n \n".into()]).await);
    assert!(matches!(
        scrape_once(&client(), &target(&url)).await,
        Err(SourceError::Decode { .. })
    ));
}

#[tokio::test]
async fn a_byte_order_mark_before_the_first_metric_is_no_part_of_its_name() {
    let body = format!(
        "\u{feff}{}",
        common::vllm_body(100.0, 50.0, 3.0, 0.0, [1.0, 2.0, 3.0, 3.0], 2.0)
    );
    let url = format!("{}/metrics", common::scripted(vec![body]).await);
    let data = scrape_once(&client(), &target(&url)).await.unwrap();
    assert!(
        data.parse_errors.is_empty(),
        "BOM read as part of a name: {:?}",
        data.parse_errors
    );
    assert_eq!(data.inference.len(), 1);
    assert_eq!(data.inference[0].running, Some(3.0));
}

/// The proxy lists 8 entries, two real nodes and six that are not nodes at all.
const JUNK_NODES: &str = r#"{"healthy": true, "active_node": "a",
 "nodes": [{"name": "a", "healthy": true}, 5, "str", null, [], {"name": "b", "healthy": true}, {}, 7]}"#;

#[tokio::test]
async fn status_entries_that_are_not_nodes_make_no_node_and_are_said() {
    let url = format!(
        "{}/metrics",
        common::scripted(vec![JUNK_NODES.into()]).await
    );
    let ep = StatusEndpoint::new(&url);
    let status = status_once(&client(), &ep).await.unwrap();
    let mut model = Model::new(ModelSettings::default());
    let id = status_id(&ep);
    model.apply(
        SourceUpdate::Status {
            source: id.clone(),
            at: t(0),
            result: Ok(status),
        },
        t(0),
    );
    let v = model.views();
    let names: Vec<&str> = v.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["a", "b"], "phantom nodes");
    assert_eq!(
        (v.cluster.overall, v.cluster.nodes_up, v.cluster.nodes_total),
        (Overall::AllUp, 2, 2)
    );
    let errors = model.errors.recent();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = errors[0];
    assert_eq!(
        (e.kind.as_str(), e.source.as_str()),
        ("skipped", &*id.to_string())
    );
    assert!(
        e.last_message
            .starts_with("6 node entries of /status skipped (not a node object)"),
        "{}",
        e.last_message
    );
    for place in [
        "nodes[1]", "nodes[2]", "nodes[3]", "nodes[4]", "nodes[6]", "nodes[7]",
    ] {
        assert!(
            e.last_message.contains(place),
            "{place}: {}",
            e.last_message
        );
    }
    // A clean answer later: the skipped entries are history.
    let clean = swarmglass::sources::status::parse(
        br#"{"nodes": [{"name": "a", "healthy": true}, {"name": "b", "healthy": true}]}"#,
    )
    .unwrap();
    model.apply(
        SourceUpdate::Status {
            source: id,
            at: t(2),
            result: Ok(clean),
        },
        t(2),
    );
    assert_eq!(model.errors.recent()[0].resolved_at, Some(t(2)));
    assert_eq!(model.errors.current_count(), 0);
}

/// Answers GET on any path: 401 without `Authorization: Bearer good`, else a small exposition.
async fn guarded() -> String {
    async fn handler(h: HeaderMap) -> (StatusCode, String) {
        match h.get("authorization").and_then(|v| v.to_str().ok()) {
            Some("Bearer good") => (StatusCode::OK, "up 1\n".into()),
            _ => (StatusCode::UNAUTHORIZED, String::new()),
        }
    }
    let app = Router::new()
        .route("/metrics", get(handler))
        .route("/status", get(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_401_says_whether_a_token_was_sent_and_names_only_keys_that_exist() {
    let base = guarded().await;
    let url = format!("{base}/metrics");
    let mut tgt = target(&url);
    let none = scrape_once(&client(), &tgt).await.unwrap_err().to_string();
    assert!(
        none.contains("HTTP 401") && none.contains("no token was sent: set `bearer_token_env`"),
        "{none}"
    );
    tgt.bearer_token = Some("stale".into());
    tgt.bearer_token_env = Some("METRICS_TOKEN".into());
    let rejected = scrape_once(&client(), &tgt).await.unwrap_err().to_string();
    assert!(
        rejected.contains("HTTP 401") && rejected.contains("the token was rejected"),
        "{rejected}"
    );
    assert!(!rejected.contains("set `bearer_token_env`"), "{rejected}");
    tgt.bearer_token = Some("good".into());
    assert!(scrape_once(&client(), &tgt).await.is_ok());

    // [[status]] has no token key: its hint must not name one.
    let ep = StatusEndpoint::new(&format!("{base}/status"));
    let status = status_once(&client(), &ep).await.unwrap_err().to_string();
    assert!(
        status.contains("HTTP 401") && status.contains("read without a token"),
        "{status}"
    );
    assert!(!status.contains("bearer_token_env"), "{status}");
}

#[test]
fn metrics_check_hints_name_what_the_command_accepts() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let base = rt.block_on(guarded());
    let e = swarmglass::headless::check_input(&format!("{base}/metrics"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("HTTP 401") && e.contains("metrics check sends none") && e.contains("curl"),
        "{e}"
    );
    for key in ["bearer_token_env", "`timeout`", "max_body_bytes"] {
        assert!(
            !e.contains(key),
            "names a config key metrics check lacks: {e}"
        );
    }
    let missing = swarmglass::headless::check_input(&format!("{base}/nowhere"))
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("HTTP 404") && missing.contains("path in the URL"),
        "{missing}"
    );
}

#[test]
fn metrics_check_reads_past_a_byte_order_mark() {
    let body = format!(
        "\u{feff}{}",
        common::vllm_body(1.0, 1.0, 1.0, 0.0, [1.0; 4], 1.0)
    );
    let r = swarmglass::headless::check("bom.txt", body.as_bytes(), None);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.bytes, body.len() as u64);
    assert!(
        r.families
            .iter()
            .any(|f| f.name == "vllm:num_requests_running")
    );
}
