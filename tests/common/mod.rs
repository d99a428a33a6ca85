//! Loopback test servers shared by the integration tests (everything binds 127.0.0.1:0), a real
//! `redis-server` ([`redis_server`]), and the one rule for external programs and waiting
//! ([`tools`]).

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::type_complexity
)]

pub mod prometheus_server;
pub mod redis_server;
pub mod tools;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `bodies` in order on GET /metrics, repeating the last one; returns the base URL.
pub async fn scripted(bodies: Vec<String>) -> String {
    let state = Arc::new(Mutex::new((bodies, 0_usize)));
    async fn handler(State(s): State<Arc<Mutex<(Vec<String>, usize)>>>) -> (StatusCode, String) {
        let mut g = s.lock().unwrap();
        let i = g.1.min(g.0.len() - 1);
        g.1 += 1;
        (StatusCode::OK, g.0[i].clone())
    }
    let app = Router::new()
        .route("/metrics", get(handler))
        .with_state(state);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// Accepts connections and never answers.
pub async fn silent() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    format!("http://{addr}")
}

/// Answers every request with an endless chunked body of comment lines.
pub async fn endless() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0_u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let line =
                    "# padding padding padding padding padding padding padding\n".repeat(128);
                let chunk = format!("{:x}\r\n{line}\r\n", line.len());
                // Bounded: at most 1 GiB, far past any cap a test sets.
                for _ in 0..(1 << 30) / line.len() {
                    if sock.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

/// A small vLLM-like exposition with the given counters and an e2e histogram whose cumulative
/// bucket counts are `buckets` for bounds 0.5, 1, 2, +Inf.
pub fn vllm_body(
    gen_tokens: f64,
    prompt_tokens: f64,
    stop: f64,
    abort: f64,
    buckets: [f64; 4],
    sum: f64,
) -> String {
    format!(
        "# HELP vllm:num_requests_running Number of requests in model execution batches.\n\
# TYPE vllm:num_requests_running gauge\n\
vllm:num_requests_running{{engine=\"0\",model_name=\"m\"}} 3.0\n\
# TYPE vllm:num_requests_waiting gauge\n\
vllm:num_requests_waiting{{engine=\"0\",model_name=\"m\"}} 1.0\n\
# TYPE vllm:kv_cache_usage_perc gauge\n\
vllm:kv_cache_usage_perc{{engine=\"0\",model_name=\"m\"}} 0.25\n\
# TYPE vllm:generation_tokens counter\n\
vllm:generation_tokens_total{{engine=\"0\",model_name=\"m\"}} {gen_tokens}\n\
# TYPE vllm:prompt_tokens counter\n\
vllm:prompt_tokens_total{{engine=\"0\",model_name=\"m\"}} {prompt_tokens}\n\
# TYPE vllm:request_success counter\n\
vllm:request_success_total{{engine=\"0\",finished_reason=\"stop\",model_name=\"m\"}} {stop}\n\
vllm:request_success_total{{engine=\"0\",finished_reason=\"abort\",model_name=\"m\"}} {abort}\n\
# TYPE vllm:e2e_request_latency_seconds histogram\n\
vllm:e2e_request_latency_seconds_sum{{engine=\"0\",model_name=\"m\"}} {sum}\n\
vllm:e2e_request_latency_seconds_bucket{{engine=\"0\",le=\"0.5\",model_name=\"m\"}} {}\n\
vllm:e2e_request_latency_seconds_bucket{{engine=\"0\",le=\"1.0\",model_name=\"m\"}} {}\n\
vllm:e2e_request_latency_seconds_bucket{{engine=\"0\",le=\"2.0\",model_name=\"m\"}} {}\n\
vllm:e2e_request_latency_seconds_bucket{{engine=\"0\",le=\"+Inf\",model_name=\"m\"}} {}\n\
vllm:e2e_request_latency_seconds_count{{engine=\"0\",model_name=\"m\"}} {}",
        buckets[0], buckets[1], buckets[2], buckets[3], buckets[3]
    )
}
