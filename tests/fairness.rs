//! One source's flood must not cost another source its data (issue 9, item 4): a real
//! `redis-server` floods its subscriber with 50 000 malformed messages while a healthy WebSocket
//! source sends 150 events, both through one small bounded channel that nobody drains until
//! the end. The WebSocket loses nothing, the flood takes one queue slot, and every malformed
//! message is still counted. Without redis-server the test is skipped visibly, except under
//! `CI=true`, where that is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

mod common;

use common::redis_server::{RedisServer, free_port, redis_available};
use common::tools::wait_until;
use swarmglass::model::ids::SourceKind;
use swarmglass::model::input::{ConnectionState, EventUpdate, SourceUpdate};
use swarmglass::sources::events::redis::{self, RedisConfig};
use swarmglass::sources::events::ws::{self, WsMonitorConfig};
use swarmglass::sources::framework::Sink;

const WS_EVENTS: usize = 150;
const FLOOD: usize = 50_000;

/// A WebSocket server that sends `WS_EVENTS` task events to its first client, then idles.
async fn ws_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(sock).await.unwrap();
        for i in 0..WS_EVENTS {
            let frame = format!(
                r#"{{"event_id":"ws-{i}","event_type":"task_completed","task_id":"t{i}","duration_ms":10}}"#
            );
            ws.send(Message::text(frame)).await.unwrap();
        }
        // Keep the connection open (a close would add states, not events).
        tokio::time::sleep(Duration::from_secs(60)).await;
    });
    format!("ws://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_redis_flood_costs_a_healthy_websocket_nothing() {
    if !redis_available() {
        return;
    }
    let server = RedisServer::start(free_port()).await;
    // 256 slots: far fewer than the flood, more than the WebSocket's events.
    let (root, rx) = Sink::channel(256, Arc::new(|| {}));
    let mut rcfg = RedisConfig::new(server.url());
    rcfg.heartbeat_interval = Duration::from_secs(3600);
    let redis_task = redis::spawn(rcfg, root.for_source());

    // Wait for the subscription (draining only connection states meanwhile).
    let mut kept: Vec<SourceUpdate> = Vec::new();
    let subscribed = wait_until(Duration::from_secs(15), || {
        kept.extend(rx.try_iter());
        kept.iter().any(|u| {
            matches!(
                u.clone().into_agents(),
                Some(EventUpdate::Connection { source, state: ConnectionState::Connected { .. } })
                    if source.kind == SourceKind::NexusRedis
            )
        })
    })
    .await;
    assert!(subscribed, "redis never subscribed: {kept:#?}");

    // The flood and the healthy stream at the same time; nobody drains.
    let ws_task = ws::spawn(WsMonitorConfig::new(ws_server().await), root.for_source());
    let mut pubc = server.client().await.unwrap();
    let mut pipe = ::redis::pipe();
    for i in 0..FLOOD {
        pipe.cmd("PUBLISH")
            .arg("nexus:events")
            .arg(format!("not json {i}"))
            .ignore();
    }
    pipe.query_async::<()>(&mut pubc).await.unwrap();
    // A valid event after the flood tells when the subscriber has read all of it.
    let _: i64 = ::redis::cmd("PUBLISH")
        .arg("nexus:events")
        .arg(r#"{"event_id":"sentinel","event_type":"task_started","task_id":"s"}"#)
        .query_async(&mut pubc)
        .await
        .unwrap();

    let (mut ws_events, mut sentinel, mut malformed) = (0_usize, false, 0_u64);
    let done = wait_until(Duration::from_secs(30), || {
        for u in rx.try_iter() {
            match u.into_agents() {
                Some(EventUpdate::Event { source, event, .. }) => {
                    if source.kind == SourceKind::NexusWs {
                        ws_events += 1;
                    } else if event.event_id == "sentinel" {
                        sentinel = true;
                    }
                }
                Some(EventUpdate::Malformed { count, .. }) => malformed += count,
                _ => {}
            }
        }
        ws_events == WS_EVENTS && sentinel && malformed == FLOOD as u64
    })
    .await;
    assert!(
        done,
        "ws events {ws_events}/{WS_EVENTS}, sentinel {sentinel}, malformed {malformed}/{FLOOD}"
    );
    assert_eq!(root.dropped(), 0, "no update was lost");
    ws_task.shutdown().await;
    redis_task.shutdown().await;
}
