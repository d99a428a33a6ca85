//! How `sources::http::get` tells transport failures apart, against scripted loopback servers
//! that misbehave on purpose: a redirect loop, a server that does not speak HTTP, one that hangs
//! up without answering, a body cut short, a reset, TLS to a plain-HTTP port, compressed bodies
//! (decompressed under the same cap, or named when the server did not say so), and a refused
//! bearer token. Each used to be "cannot connect …; is the server running?" or "not valid UTF-8".

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write as _;
use std::time::Duration;

use swarmglass::model::input::SourceError;
use swarmglass::sources::http::{self, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A server that reads each request's head and hands the connection and the head (the request
/// line first) to `answer`; returns `http://127.0.0.1:PORT`.
async fn raw<F, Fut>(answer: F) -> String
where
    F: Fn(TcpStream, String) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = std::sync::Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let answer = std::sync::Arc::clone(&answer);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0_u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                answer(sock, String::from_utf8_lossy(&head).into_owned()).await;
            });
        }
    });
    format!("http://{addr}")
}

async fn fetch(url: &str) -> Result<http::Fetched, SourceError> {
    fetch_capped(url, 1 << 20, None).await
}

async fn fetch_capped(
    url: &str,
    cap: usize,
    bearer: Option<&str>,
) -> Result<http::Fetched, SourceError> {
    let client = http::client().unwrap();
    http::get(
        &client,
        Request {
            url,
            timeout: Duration::from_secs(5),
            max_body_bytes: cap,
            bearer,
            basic: None,
            explain_errors: false,
            compress: true,
        },
    )
    .await
}

/// The error's message, checked to be a transport error and not the generic "is the server
/// running?".
fn transport_message(r: Result<http::Fetched, SourceError>) -> String {
    let err = r.expect_err("the fetch fails");
    let msg = err.to_string();
    assert!(
        matches!(err, SourceError::Transport { .. }),
        "a transport error, not {err:?}"
    );
    assert!(!msg.contains("is the server running"), "{msg}");
    msg
}

#[tokio::test]
async fn a_redirect_loop_is_named_as_one() {
    let base = raw(|mut sock, head| async move {
        let to = if head.starts_with("GET /a ") {
            "/b"
        } else {
            "/a"
        };
        let resp = format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n");
        let _ = sock.write_all(resp.as_bytes()).await;
    })
    .await;
    let msg = transport_message(fetch(&format!("{base}/a")).await);
    assert!(msg.contains("redirects in a loop"), "{msg}");
    assert!(msg.contains(&format!("{base}/b")), "{msg}");
    assert!(
        msg.contains("point `url` at the address that answers"),
        "{msg}"
    );
}

#[tokio::test]
async fn endless_redirects_stop_after_ten() {
    let base = raw(|mut sock, head| async move {
        // /r/1 → /r/2 → … never the same URL twice.
        let n: u64 = head
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.rsplit('/').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let resp = format!(
            "HTTP/1.1 302 Found\r\nLocation: /r/{}\r\nContent-Length: 0\r\n\r\n",
            n + 1
        );
        let _ = sock.write_all(resp.as_bytes()).await;
    })
    .await;
    let msg = transport_message(fetch(&format!("{base}/r/0")).await);
    assert!(msg.contains("redirects more than 10 times"), "{msg}");
}

#[tokio::test]
async fn a_server_that_does_not_speak_http_is_named() {
    let base = raw(|mut sock, _| async move {
        let _ = sock.write_all(b"SSH-2.0-OpenSSH_9.6\r\n").await;
    })
    .await;
    let msg = transport_message(fetch(&format!("{base}/metrics")).await);
    assert!(msg.contains("did not answer in HTTP"), "{msg}");
    assert!(msg.contains("right port"), "{msg}");
}

#[tokio::test]
async fn hanging_up_without_an_answer_is_named() {
    let base = raw(|sock, _| async move { drop(sock) }).await;
    let msg = transport_message(fetch(&format!("{base}/metrics")).await);
    assert!(
        msg.contains("closed the connection without answering"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_body_cut_short_is_named() {
    let base = raw(|mut sock, _| async move {
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n# only part of it\n")
            .await;
    })
    .await;
    let msg = transport_message(fetch(&format!("{base}/metrics")).await);
    assert!(
        msg.contains("closed the connection before the whole body was sent"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_reset_is_named() {
    let base = raw(|mut sock, _| async move {
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n# part\n")
            .await;
        sock.set_zero_linger().unwrap();
        drop(sock);
    })
    .await;
    let msg = transport_message(fetch(&format!("{base}/metrics")).await);
    assert!(
        msg.contains("reset the connection")
            || msg.contains("closed the connection before the whole body"),
        "{msg}"
    );
}

#[tokio::test]
async fn tls_to_a_plain_http_port_says_use_http() {
    let base = common::scripted(vec!["up 1\n".to_owned()]).await;
    let url = base.replacen("http://", "https://", 1) + "/metrics";
    let msg = transport_message(fetch(&url).await);
    assert!(
        msg.contains("this port speaks plain HTTP; use http://"),
        "{msg}"
    );
    assert!(!msg.contains("is the server running"), "{msg}");
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// Serves `body` with the given extra header lines.
async fn serve_bytes(body: Vec<u8>, headers: &'static str) -> String {
    let body = std::sync::Arc::new(body);
    raw(move |mut sock, _| {
        let body = std::sync::Arc::clone(&body);
        async move {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n{headers}Content-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(&body).await;
        }
    })
    .await
}

/// A server that answers every request with the request's own head, as its body.
async fn echo_head() -> String {
    raw(|mut sock, head| async move {
        let answer = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", head.len());
        let _ = sock.write_all(answer.as_bytes()).await;
        let _ = sock.write_all(head.as_bytes()).await;
    })
    .await
}

/// Compression is asked for unless the request says not to (a query server on this machine).
#[tokio::test]
async fn an_uncompressed_answer_is_asked_for_when_compress_is_off() {
    let base = echo_head().await;
    let client = http::client().unwrap();
    let head = |compress: bool| {
        let client = client.clone();
        let url = format!("{base}/api/v1/query");
        async move {
            let got = http::get(
                &client,
                Request {
                    url: &url,
                    timeout: Duration::from_secs(5),
                    max_body_bytes: 1 << 20,
                    bearer: None,
                    basic: None,
                    explain_errors: false,
                    compress,
                },
            )
            .await
            .unwrap();
            String::from_utf8(got.body).unwrap().to_ascii_lowercase()
        }
    };
    let on = head(true).await;
    assert!(on.contains("accept-encoding: gzip"), "{on}");
    let off = head(false).await;
    assert!(off.contains("accept-encoding: identity"), "{off}");
    assert!(!off.contains("gzip"), "{off}");
}

#[tokio::test]
async fn a_gzip_body_is_decompressed() {
    let text = b"# TYPE up gauge\nup 1\n".repeat(100);
    let base = serve_bytes(gzip(&text), "Content-Encoding: gzip\r\n").await;
    let got = fetch(&format!("{base}/metrics")).await.unwrap();
    assert_eq!(got.body, text);
}

#[tokio::test]
async fn a_gzip_bomb_is_cut_at_the_cap_after_decompression() {
    // 64 MiB of newlines in about 64 KiB: far under the cap compressed, far over it inflated.
    let bomb = gzip(&vec![b'\n'; 64 << 20]);
    assert!(bomb.len() < 256 << 10, "{}", bomb.len());
    let base = serve_bytes(bomb, "Content-Encoding: gzip\r\n").await;
    let url = format!("{base}/metrics");
    let err = fetch_capped(&url, 1 << 20, None).await.unwrap_err();
    assert_eq!(
        err,
        SourceError::BodyTooLarge {
            url,
            cap_bytes: 1 << 20
        }
    );
}

#[tokio::test]
async fn gzip_the_server_did_not_announce_is_named() {
    let base = serve_bytes(gzip(b"up 1\n"), "").await;
    let err = fetch(&format!("{base}/metrics")).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SourceError::Decode { .. }), "{err:?}");
    assert!(msg.contains("gzip-compressed"), "{msg}");
    assert!(msg.contains("Content-Encoding: gzip"), "{msg}");
}

#[tokio::test]
async fn a_body_that_says_gzip_but_is_not_is_named() {
    let base = serve_bytes(b"up 1\n".to_vec(), "Content-Encoding: gzip\r\n").await;
    let err = fetch(&format!("{base}/metrics")).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("does not decompress"), "{msg}");
}

#[tokio::test]
async fn a_refused_token_is_not_told_to_set_one() {
    let base = raw(|mut sock, _| async move {
        let _ = sock
            .write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
            .await;
    })
    .await;
    let url = format!("{base}/metrics");
    let with = fetch_capped(&url, 1024, Some("t0ken")).await.unwrap_err();
    let msg = with.to_string();
    assert!(msg.contains("the token was rejected"), "{msg}");
    assert!(!msg.contains("no token was sent"), "{msg}");
    let without = fetch_capped(&url, 1024, None).await.unwrap_err();
    assert!(
        without
            .to_string()
            .contains("no token was sent: set `bearer_token_env`"),
        "{without}"
    );
}
