//! The simulated nodes' transport faults: bodies that trickle, stop short or are garbage, and a
//! listener that resets connections. Which fault a node has, and the value faults (NaN,
//! negative, decreasing), are decided in `sim/mod.rs` and `render.rs`; this module only shapes
//! bytes on the wire.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt as _, stream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{Fault, Shared, TRICKLE_BYTE_EVERY};

/// Size of a [`Fault::Garbage`] body.
const GARBAGE_BYTES: usize = 4096;

/// How long a cut-short body waits after its first half, so that half reaches the client.
const FLUSH_BEFORE_CUT: Duration = Duration::from_millis(50);

/// How long a reset connection waits for the request before it is reset anyway.
const RESET_READ_TIMEOUT: Duration = Duration::from_secs(1);

/// `body`, sent one byte every [`TRICKLE_BYTE_EVERY`] (until the cluster shuts down).
pub(super) fn trickle(body: String, content_type: &'static str, shared: Arc<Shared>) -> Response {
    let bytes = Bytes::from(body);
    let chunks = stream::unfold(
        (0_usize, bytes, shared),
        |(pos, bytes, shared)| async move {
            let byte = bytes.slice(pos..(pos + 1).min(bytes.len()));
            if byte.is_empty() {
                return None;
            }
            tokio::select! {
                () = tokio::time::sleep(TRICKLE_BYTE_EVERY) => {}
                () = shared.wait_shutdown() => return None,
            }
            Some((Ok::<_, std::io::Error>(byte), (pos + 1, bytes, shared)))
        },
    );
    (
        [(header::CONTENT_TYPE, content_type)],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// `body`'s first half under a `Content-Length` that promises all of it; then the body fails,
/// so the server closes the connection (`Connection: close`) with the rest unsent.
pub(super) fn cut_short(body: String, content_type: &'static str) -> Response {
    let full = body.len();
    let bytes = Bytes::from(body);
    let half = bytes.slice(..full / 2);
    // The pause lets the server flush the half before the error makes it drop the connection.
    let chunks = stream::iter([Ok(half)]).chain(stream::once(async {
        tokio::time::sleep(FLUSH_BEFORE_CUT).await;
        Err(std::io::Error::other("simulated fault: body cut short"))
    }));
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_LENGTH, full.to_string()),
            (header::CONNECTION, "close".to_owned()),
        ],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// 4 KiB of random bytes (seeded by the node and the second), served as a Prometheus body.
pub(super) fn garbage(node: usize, elapsed: Duration) -> Response {
    let mut rng = fastrand::Rng::with_seed(((node as u64) << 32) ^ elapsed.as_secs());
    let body: Vec<u8> = std::iter::repeat_with(|| rng.u8(..))
        .take(GARBAGE_BYTES)
        .collect();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        body,
    )
        .into_response()
}

/// A node's listener: while the node's fault is [`Fault::Reset`], every new connection is
/// answered with the start of a response and then reset (TCP RST); otherwise connections go to
/// the node's router. (A connection opened before the fault was set ends with the body cut
/// short and `Connection: close`, so the next request opens a new one.)
pub(super) struct NodeListener {
    inner: TcpListener,
    shared: Arc<Shared>,
    node: usize,
}

impl NodeListener {
    pub(super) fn new(inner: TcpListener, shared: Arc<Shared>, node: usize) -> Self {
        Self {
            inner,
            shared,
            node,
        }
    }
}

impl axum::serve::Listener for NodeListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
            if self.shared.fault(self.node) != Fault::Reset {
                return (stream, addr);
            }
            tokio::spawn(reset(stream));
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// Read the request, send a response head and the first bytes of a body, then reset.
async fn reset(mut stream: TcpStream) {
    let mut request = [0_u8; 4096];
    // Whatever the request was (or none in time), the answer is the same.
    let _read = tokio::time::timeout(RESET_READ_TIMEOUT, stream.read(&mut request)).await;
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: 65536\r\n\r\n# HELP vllm:num_requests_running Number of requests in model execution batches.\n";
    if stream.write_all(head.as_bytes()).await.is_err() || stream.flush().await.is_err() {
        return;
    }
    if let Err(e) = stream.set_zero_linger() {
        log::warn!("sim: cannot set SO_LINGER 0 to reset a connection: {e}");
    }
    // Dropping a socket with a zero linger time sends RST instead of FIN.
    drop(stream);
}
