//! HTTPS targets against a real TLS server on 127.0.0.1 (certificates made here with rcgen,
//! served with tokio-rustls): a cluster CA in `ca_file`, client certificates, the loudly
//! labelled opt-out of verification, the config's checks of the TLS keys, and a machine with no
//! CA certificates at all, which must still scrape `http://`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use swarmglass::config::PrometheusTarget;
use swarmglass::model::input::SourceError;
use swarmglass::sources::http::{self, Request, TlsSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

const BODY: &str = "# TYPE up gauge\nup 1\n";

/// A CA, a server certificate for 127.0.0.1 and localhost signed by it, and a client
/// certificate signed by it, as PEM files in a temp dir.
struct Pki {
    dir: tempfile::TempDir,
    ca_cert_pem: String,
    server_cert_pem: String,
    server_key_pem: String,
}

impl Pki {
    fn new() -> Self {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "swarmglass test CA");
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);

        let server_key = KeyPair::generate().unwrap();
        let server = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
            .unwrap()
            .signed_by(&server_key, &issuer)
            .unwrap();
        let client_key = KeyPair::generate().unwrap();
        let mut client = CertificateParams::new(vec!["swarmglass-client".into()]).unwrap();
        client
            .distinguished_name
            .push(DnType::CommonName, "swarmglass-client");
        let client = client.signed_by(&client_key, &issuer).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("ca.pem", &ca_cert.pem());
        write("client.pem", &client.pem());
        write("client.key", &client_key.serialize_pem());
        Self {
            ca_cert_pem: ca_cert.pem(),
            server_cert_pem: server.pem(),
            server_key_pem: server_key.serialize_pem(),
            dir,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn with_ca(&self) -> TlsSettings {
        TlsSettings {
            ca_file: Some(self.path("ca.pem")),
            ..TlsSettings::default()
        }
    }

    fn with_client_cert(&self) -> TlsSettings {
        TlsSettings {
            client_cert: Some(self.path("client.pem")),
            client_key: Some(self.path("client.key")),
            ..self.with_ca()
        }
    }
}

fn pem_certs(pem: &str) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject as _;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap()
}

/// An HTTPS server answering every request with [`BODY`]; with `require_client_cert`, it
/// wants a client certificate signed by the test CA. Returns `https://127.0.0.1:PORT`.
async fn https_server(pki: &Pki, require_client_cert: bool) -> String {
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject as _;

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if require_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        for c in pem_certs(&pki.ca_cert_pem) {
            roots.add(c).unwrap();
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let key = PrivateKeyDer::from_pem_slice(pki.server_key_pem.as_bytes()).unwrap();
    let config = builder
        .with_single_cert(pem_certs(&pki.server_cert_pem), key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(sock).await else {
                    return;
                };
                let mut buf = [0_u8; 4096];
                let _ = tls.read(&mut buf).await;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
                    BODY.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    format!("https://127.0.0.1:{}", addr.port())
}

async fn fetch(tls: &TlsSettings, url: &str) -> Result<http::Fetched, SourceError> {
    let client = http::client_with(tls).unwrap();
    http::get(
        &client,
        Request {
            url,
            timeout: Duration::from_secs(5),
            max_body_bytes: 1 << 20,
            bearer: None,
            basic: None,
            explain_errors: false,
            compress: true,
        },
    )
    .await
}

#[tokio::test]
async fn a_cluster_ca_in_ca_file_is_trusted() {
    let pki = Pki::new();
    let url = format!("{}/metrics", https_server(&pki, false).await);
    let got = fetch(&pki.with_ca(), &url).await.unwrap();
    assert_eq!(got.body, BODY.as_bytes());
}

#[tokio::test]
async fn an_unknown_ca_is_refused_with_what_to_do() {
    let pki = Pki::new();
    let url = format!("{}/metrics", https_server(&pki, false).await);
    let err = fetch(&TlsSettings::default(), &url).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SourceError::Transport { .. }), "{err:?}");
    assert!(msg.contains("certificate is not trusted"), "{msg}");
    assert!(msg.contains("`ca_file`"), "{msg}");
}

#[tokio::test]
async fn skipping_verification_accepts_any_certificate() {
    let pki = Pki::new();
    let url = format!("{}/metrics", https_server(&pki, false).await);
    let insecure = TlsSettings {
        insecure_skip_verify: true,
        ..TlsSettings::default()
    };
    assert_eq!(fetch(&insecure, &url).await.unwrap().body, BODY.as_bytes());
}

#[tokio::test]
async fn a_client_certificate_is_presented_when_configured() {
    let pki = Pki::new();
    let url = format!("{}/metrics", https_server(&pki, true).await);
    let got = fetch(&pki.with_client_cert(), &url).await.unwrap();
    assert_eq!(got.body, BODY.as_bytes());

    // Without one, the server refuses, and the message names the keys to set.
    let err = fetch(&pki.with_ca(), &url).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SourceError::Transport { .. }), "{err:?}");
    assert!(msg.contains("client_cert"), "{msg}");
}

fn config_text(url: &str, tls_keys: &str) -> String {
    format!("[nvml]\nenabled = false\n\n[[prometheus]]\nurl = \"{url}\"\n{tls_keys}\n")
}

fn problems(text: &str) -> Vec<(String, String)> {
    swarmglass::config::from_toml_str(text, &|_| None)
        .expect_err("the config is refused")
        .into_iter()
        .map(|p| (p.key, format!("{} (hint: {})", p.message, p.hint)))
        .collect()
}

#[test]
fn the_config_reads_and_checks_the_tls_keys() {
    let pki = Pki::new();
    let ca = pki.path("ca.pem");
    let (cert, key) = (pki.path("client.pem"), pki.path("client.key"));
    let text = config_text(
        "https://gpu-1:9400/metrics",
        &format!(
            "ca_file = \"{}\"\nclient_cert = \"{}\"\nclient_key = \"{}\"",
            ca.display(),
            cert.display(),
            key.display()
        ),
    );
    let cfg = swarmglass::config::from_toml_str(&text, &|_| None).unwrap();
    assert_eq!(cfg.prometheus[0].tls, pki.with_client_cert());

    let text = config_text("https://gpu-1:9400/metrics", "");
    assert!(
        swarmglass::config::from_toml_str(&text, &|_| None)
            .unwrap()
            .prometheus[0]
            .tls
            .is_default()
    );

    // A missing file, a file with no certificate, half a client certificate, TLS keys on an
    // http:// URL, and verification both configured and turned off: each named by its key.
    let missing = problems(&config_text(
        "https://gpu-1/metrics",
        "ca_file = \"/nonexistent/ca.pem\"",
    ));
    assert_eq!(missing[0].0, "prometheus[0].ca_file", "{missing:?}");
    assert!(missing[0].1.contains("/nonexistent/ca.pem"), "{missing:?}");

    let not_pem = problems(&config_text(
        "https://gpu-1/metrics",
        &format!("ca_file = \"{}\"", pki.path("client.key").display()),
    ));
    assert_eq!(not_pem[0].0, "prometheus[0].ca_file", "{not_pem:?}");
    assert!(not_pem[0].1.contains("no PEM certificate"), "{not_pem:?}");

    let half = problems(&config_text(
        "https://gpu-1/metrics",
        &format!("client_cert = \"{}\"", cert.display()),
    ));
    assert_eq!(half[0].0, "prometheus[0].client_key", "{half:?}");

    let plain = problems(&config_text(
        "http://gpu-1/metrics",
        "tls_insecure_skip_verify = true",
    ));
    assert_eq!(plain[0].0, "prometheus[0].url", "{plain:?}");
    assert!(plain[0].1.contains("not https://"), "{plain:?}");

    let both = problems(&config_text(
        "https://gpu-1/metrics",
        &format!(
            "ca_file = \"{}\"\ntls_insecure_skip_verify = true",
            ca.display()
        ),
    ));
    assert_eq!(
        both[0].0, "prometheus[0].tls_insecure_skip_verify",
        "{both:?}"
    );

    // [[status]] reads the same keys.
    let status = problems(
        "[nvml]\nenabled = false\n\n[[status]]\nurl = \"https://proxy:9199/status\"\nca_file = \"/nonexistent\"\n",
    );
    assert_eq!(status[0].0, "status[0].ca_file", "{status:?}");
}

/// Drain updates until one for `url` arrives.
fn first_update(
    rx: &swarmglass::runtime::Updates,
    url: &str,
) -> swarmglass::model::input::SourceUpdate {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let u = rx.recv_timeout(left).expect("an update in time");
        if u.source().locator == url {
            return u;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unverified_source_is_labelled_in_the_snapshot() {
    use swarmglass::model::{Model, ModelSettings};

    let pki = Pki::new();
    let url = format!("{}/metrics", https_server(&pki, false).await);
    let mut target = PrometheusTarget::new(&url);
    target.interval = Duration::from_millis(200);
    target.tls.insecure_skip_verify = true;
    let mut verified = PrometheusTarget::new(&url);
    verified.node = "other".into();
    verified.tls = pki.with_ca();
    let cfg = swarmglass::config::Config {
        nvml: swarmglass::config::NvmlConfig {
            enabled: false,
            ..Default::default()
        },
        prometheus: vec![target],
        prometheus_servers: vec![],
        ollama: vec![],
        status: vec![],
        model: ModelSettings::default(),
        alerts: Default::default(),
        agents: Default::default(),
        history: Default::default(),
        wall: Default::default(),
        notes: Vec::new(),
    };
    let (rx, rt) = swarmglass::runtime::start(&cfg, 64, Arc::new(|| {})).unwrap();
    let mut model = Model::new(ModelSettings::default());
    for spec in &rt.sources {
        model.register_spec(spec.clone());
    }
    let u = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || first_update(&rx, &url))
            .await
            .unwrap()
    };
    assert!(!u.is_failure(), "{u:?}");
    model.apply(u, SystemTime::now());
    rt.shutdown();
    let engine = swarmglass::alerts::Engine::new(Default::default());
    let snap = swarmglass::headless::snapshot_of(&model, &engine, SystemTime::now());
    let json = serde_json::to_value(&snap).unwrap();
    assert_eq!(json["sources"][0]["tls_unverified"], true, "{json}");
    let text = swarmglass::headless::render_text(&snap);
    assert!(text.contains("TLS CERTIFICATE NOT VERIFIED"), "{text}");
}

/// The name of the variable that makes [`no_ca_bundle_on_this_machine`] run its body: it runs
/// itself again in a child process whose CA certificate locations are empty.
const NO_CA_CHILD: &str = "SWARMGLASS_TEST_NO_CA_CHILD";

#[test]
fn no_ca_bundle_on_this_machine() {
    if std::env::var_os(NO_CA_CHILD).is_some() {
        no_ca_child();
        return;
    }
    let empty = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "no_ca_bundle_on_this_machine", "--nocapture"])
        .env(NO_CA_CHILD, "1")
        .env("SSL_CERT_FILE", empty.path().join("none.pem"))
        .env("SSL_CERT_DIR", empty.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "the child ran the test: {text}");
}

/// Without any CA certificate: the client builds, `http://` is scraped, `https://` without a
/// `ca_file` fails saying the machine has no CA certificates, and with one it works.
fn no_ca_child() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = http::client().expect("a client without any CA certificate");
        let base = common::scripted(vec![BODY.to_owned()]).await;
        let got = http::get(
            &client,
            Request {
                url: &format!("{base}/metrics"),
                timeout: Duration::from_secs(5),
                max_body_bytes: 1 << 20,
                bearer: None,
                basic: None,
                explain_errors: false,
                compress: true,
            },
        )
        .await
        .unwrap();
        assert_eq!(got.body, BODY.as_bytes());

        let pki = Pki::new();
        let url = format!("{}/metrics", https_server(&pki, false).await);
        let msg = fetch(&TlsSettings::default(), &url)
            .await
            .unwrap_err()
            .to_string();
        assert!(msg.contains("no CA certificates"), "{msg}");
        assert!(msg.contains("ca-certificates"), "{msg}");
        assert_eq!(
            fetch(&pki.with_ca(), &url).await.unwrap().body,
            BODY.as_bytes()
        );
    });
}
