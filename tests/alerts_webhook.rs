//! Webhook delivery against a loopback receiver: Discord / Slack / generic JSON payloads, retry
//! on 5xx then success, give-up after N tries recorded as an error, no retry on 4xx, timeouts and
//! refused connections — and the URL's secret path and token never appear in an error, a `Debug`
//! or a log line. Also the [`Notifier`] end to end: only notifiable events travel, pause holds
//! them, a give-up comes back on the problems channel.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::float_cmp)]

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use swarmglass::alerts::notify::{Notifier, NotifyConfig, NotifyError};
use swarmglass::alerts::webhook::{self, WebhookError};
use swarmglass::alerts::{AlertEvent, AlertState, Subject, Suppression};
use swarmglass::config::alerts::Severity;
use swarmglass::config::alerts::webhook::{SecretUrl, Webhook, WebhookKind};
use tokio::net::TcpListener;

const SECRET_ID: &str = "987654321";
const SECRET_TOKEN: &str = "sEcReT-T0KEN-abcdef";
const SECRET_QUERY: &str = "qUeRySeCrEt";

/// Every log line the library writes during these tests.
fn log_lines() -> &'static Mutex<Vec<String>> {
    static LINES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    LINES.get_or_init(|| Mutex::new(Vec::new()))
}

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        log_lines().lock().unwrap().push(format!(
            "{} {}: {}",
            record.level(),
            record.target(),
            record.args()
        ));
    }
    fn flush(&self) {}
}

fn capture_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        log::set_boxed_logger(Box::new(Capture)).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
}

fn assert_no_secret(what: &str, text: &str) {
    for s in [SECRET_ID, SECRET_TOKEN, SECRET_QUERY] {
        assert!(!text.contains(s), "{what} leaks `{s}`: {text}");
    }
}

/// What the receiver saw, and what it answers (in order, the last one repeated).
#[derive(Default)]
struct Receiver {
    statuses: Vec<u16>,
    bodies: Vec<serde_json::Value>,
    paths: Vec<String>,
}

type Shared = Arc<Mutex<Receiver>>;

async fn receiver(statuses: Vec<u16>) -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Receiver {
        statuses,
        ..Receiver::default()
    }));
    async fn hook(
        State(s): State<Shared>,
        uri: axum::http::Uri,
        axum::Json(body): axum::Json<serde_json::Value>,
    ) -> StatusCode {
        let mut r = s.lock().unwrap();
        let i = r.bodies.len().min(r.statuses.len() - 1);
        r.bodies.push(body);
        r.paths.push(uri.to_string());
        StatusCode::from_u16(r.statuses[i]).unwrap()
    }
    let app = Router::new()
        .route("/api/webhooks/{id}/{token}", post(hook))
        .with_state(Arc::clone(&shared));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (
        format!("http://{addr}/api/webhooks/{SECRET_ID}/{SECRET_TOKEN}?token={SECRET_QUERY}"),
        shared,
    )
}

/// Accepts connections and never answers.
async fn silent() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    format!("http://{addr}/api/webhooks/{SECRET_ID}/{SECRET_TOKEN}")
}

fn event(to: AlertState) -> AlertEvent {
    AlertEvent {
        rule: "gpu_temp_high".into(),
        subject: Subject::Gpu {
            node: "gpu-a".into(),
            gpu: "gpu0".into(),
        },
        severity: Severity::Critical,
        from: AlertState::Pending,
        to,
        value: Some(91.5),
        threshold: Some(85.0),
        message: "GPU temperature 91.5 °C ≥ 85.0 °C for 30s".into(),
        at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        suppressed: None,
    }
}

fn hook(kind: WebhookKind, url: &str, tries: u32) -> Webhook {
    let mut h = Webhook::new(kind, SecretUrl::new(url));
    h.url_env = Some("TEST_WEBHOOK_URL".into());
    h.max_tries = tries;
    h.backoff = Duration::from_millis(20);
    h.timeout = Duration::from_millis(500);
    h
}

fn client() -> reqwest::Client {
    swarmglass::sources::http::client().unwrap()
}

#[tokio::test]
async fn discord_slack_and_json_payload_shapes() {
    let (url, rx) = receiver(vec![204]).await;
    let ev = event(AlertState::Firing);
    for kind in [WebhookKind::Discord, WebhookKind::Slack, WebhookKind::Json] {
        assert_eq!(
            webhook::send(&client(), &hook(kind, &url, 3), &ev).await,
            Ok(1),
            "{kind:?}"
        );
    }
    let r = rx.lock().unwrap();
    assert_eq!(r.bodies.len(), 3);
    let discord = r.bodies[0].as_object().unwrap();
    assert_eq!(discord.keys().collect::<Vec<_>>(), ["content"]);
    let content = discord["content"].as_str().unwrap();
    assert!(
        content.starts_with("[CRITICAL] gpu_temp_high firing: GPU gpu0 on gpu-a\n"),
        "{content}"
    );
    assert!(
        content.contains("91.5 °C ≥ 85.0 °C") && content.contains("2023-11-14T22:13:20Z"),
        "{content}"
    );
    let slack = r.bodies[1].as_object().unwrap();
    assert_eq!(slack.keys().collect::<Vec<_>>(), ["text"]);
    assert_eq!(slack["text"].as_str(), Some(content));
    let json = &r.bodies[2];
    assert_eq!(json["rule"], "gpu_temp_high");
    assert_eq!(
        json["subject"],
        serde_json::json!({"kind": "gpu", "node": "gpu-a", "gpu": "gpu0"})
    );
    assert_eq!(
        (
            json["from"].as_str(),
            json["to"].as_str(),
            json["severity"].as_str()
        ),
        (Some("pending"), Some("firing"), Some("critical"))
    );
    assert_eq!(
        (json["value"].as_f64(), json["threshold"].as_f64()),
        (Some(91.5), Some(85.0))
    );
    assert_eq!(json["at"], "2023-11-14T22:13:20.000Z");
    assert!(
        r.paths
            .iter()
            .all(|p| p.ends_with(&format!("{SECRET_TOKEN}?token={SECRET_QUERY}"))),
        "the full URL is used"
    );
}

/// An alert about a source whose URL holds a password: no payload shape carries it, while the
/// host, port and path stay for the reader.
#[test]
fn payloads_never_carry_a_password_from_a_url() {
    let url = "http://user:pw-secret@10.0.0.7:8000/metrics";
    let ev = AlertEvent {
        rule: "source_unreachable".into(),
        subject: Subject::Server {
            node: "gpu-a".into(),
            url: url.into(),
            model: None,
        },
        message: format!("cannot connect to {url}: error sending request for url ({url})"),
        ..event(AlertState::Firing)
    };
    for kind in [WebhookKind::Discord, WebhookKind::Slack, WebhookKind::Json] {
        let body = webhook::payload(kind, &ev).to_string();
        assert!(!body.contains("pw-secret"), "{kind:?}: {body}");
        assert!(
            body.contains("http://***@10.0.0.7:8000/metrics"),
            "{kind:?}: {body}"
        );
    }
}

#[tokio::test]
async fn retries_on_5xx_then_succeeds() {
    capture_logs();
    let (url, rx) = receiver(vec![500, 503, 200]).await;
    let tries = webhook::send(
        &client(),
        &hook(WebhookKind::Slack, &url, 3),
        &event(AlertState::Firing),
    )
    .await;
    assert_eq!(tries, Ok(3));
    assert_eq!(rx.lock().unwrap().bodies.len(), 3);
}

#[tokio::test]
async fn gives_up_after_n_tries_without_leaking_the_url() {
    capture_logs();
    let (url, rx) = receiver(vec![502]).await;
    let h = hook(WebhookKind::Discord, &url, 3);
    assert_no_secret("Debug of the webhook", &format!("{h:?}"));
    let err = webhook::send(&client(), &h, &event(AlertState::Firing))
        .await
        .unwrap_err();
    assert_eq!(rx.lock().unwrap().bodies.len(), 3, "three tries in all");
    let WebhookError::GaveUp {
        tries,
        ref last,
        ref url,
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!((tries, last.as_str()), (3, "HTTP 502"));
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/…"),
        "{url}"
    );
    let text = err.to_string();
    assert!(
        text.contains("gave up after 3 tries") && text.contains("TEST_WEBHOOK_URL"),
        "{text}"
    );
    assert_no_secret("the error", &text);
    assert_no_secret("the error's Debug", &format!("{err:?}"));
    let lines = log_lines().lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("try 1/3 failed (HTTP 502); retrying")),
        "{lines:#?}"
    );
    for l in &lines {
        assert_no_secret("a log line", l);
    }
}

#[tokio::test]
async fn a_4xx_is_not_retried() {
    let (url, rx) = receiver(vec![404]).await;
    let err = webhook::send(
        &client(),
        &hook(WebhookKind::Json, &url, 3),
        &event(AlertState::Firing),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, WebhookError::Rejected { status: 404, .. }),
        "{err:?}"
    );
    assert_eq!(rx.lock().unwrap().bodies.len(), 1);
    assert_no_secret("the error", &err.to_string());
}

#[tokio::test]
async fn timeouts_and_refused_connections_are_retried_then_reported_without_the_url() {
    capture_logs();
    let url = silent().await;
    let started = std::time::Instant::now();
    let err = webhook::send(
        &client(),
        &hook(WebhookKind::Slack, &url, 2),
        &event(AlertState::Firing),
    )
    .await
    .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "each try is bounded by the timeout"
    );
    let WebhookError::GaveUp {
        tries: 2, ref last, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert!(last.contains("timed out"), "{last}");
    assert_no_secret("the timeout error", &format!("{err} {err:?}"));

    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!(
        "http://127.0.0.1:{port}/api/webhooks/{SECRET_ID}/{SECRET_TOKEN}?token={SECRET_QUERY}"
    );
    let err = webhook::send(
        &client(),
        &hook(WebhookKind::Discord, &url, 2),
        &event(AlertState::Firing),
    )
    .await
    .unwrap_err();
    let WebhookError::GaveUp {
        tries: 2, ref last, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert!(last.to_lowercase().contains("refused"), "{last}");
    assert_no_secret("the connect error", &format!("{err} {err:?}"));
    for l in log_lines().lock().unwrap().iter() {
        assert_no_secret("a log line", l);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notifier_delivers_notifiable_events_and_reports_give_ups() {
    capture_logs();
    let (ok_url, ok_rx) = receiver(vec![200]).await;
    let (bad_url, bad_rx) = receiver(vec![500]).await;
    let config = NotifyConfig {
        desktop: false,
        webhooks: vec![
            hook(WebhookKind::Json, &ok_url, 1),
            hook(WebhookKind::Discord, &bad_url, 2),
        ],
        queue: 8,
    };
    let (notifier, problems) = Notifier::start(config).unwrap();

    let mut silenced = event(AlertState::Firing);
    silenced.suppressed = Some(Suppression::Acknowledged);
    assert!(
        !notifier.notify(&silenced),
        "suppressed events are not sent"
    );
    assert!(
        !notifier.notify(&event(AlertState::Pending)),
        "pending is not notified"
    );
    notifier.set_paused(true);
    assert!(!notifier.notify(&event(AlertState::Firing)), "paused");
    notifier.set_paused(false);
    assert_eq!(
        notifier.notify_all(&[event(AlertState::Firing), event(AlertState::Resolved)]),
        2
    );

    let problem =
        tokio::task::spawn_blocking(move || problems.recv_timeout(Duration::from_secs(10)))
            .await
            .unwrap()
            .unwrap();
    assert!(
        matches!(
            problem,
            NotifyError::Webhook(WebhookError::GaveUp { tries: 2, .. })
        ),
        "{problem:?}"
    );
    assert_no_secret("the reported problem", &format!("{problem} {problem:?}"));

    let done = tokio::task::spawn_blocking(move || notifier.shutdown(Duration::from_secs(10)))
        .await
        .unwrap();
    assert!(done.finished, "shutdown drains the queues in time");
    let s = done.stats;
    assert_eq!(
        (s.queued, s.dropped, s.delivered, s.failed),
        (2, 0, 2, 2),
        "{s:?}"
    );
    let ok: Vec<_> = ok_rx
        .lock()
        .unwrap()
        .bodies
        .iter()
        .map(|b| b["to"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ok, ["firing", "resolved"], "in order");
    assert_eq!(
        bad_rx.lock().unwrap().bodies.len(),
        4,
        "two events × two tries"
    );
}
