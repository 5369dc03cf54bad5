//! A certificate the client refuses ends the login at once, with kind `Tls` and the problem
//! in words: retrying cannot fix it, and "unknown issuer" is what a person can act on.
//!
//! The server is a local TLS server on 127.0.0.1 (https to loopback is allowed) with
//! certificates made at test time; it counts the connections that reached it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use plex_pin::{ClientId, Config, LoginOptions, TransportErrorKind};
use rcgen::{CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA trusted by the client (through `add_root_certificate_pem`) or not.
struct Ca(CertifiedIssuer<'static, KeyPair>);

impl Ca {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        Self(CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap())
    }

    /// A server certificate for `names`, valid until `not_after`.
    fn issue(&self, names: &[&str], not_after: (i32, u8, u8)) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.not_before = rcgen::date_time_ymd(1999, 1, 1);
        params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.0).unwrap();
        Leaf {
            chain: vec![cert.der().clone()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        }
    }
}

/// What `openssl req -x509` makes by default: a self-signed certificate for `names`,
/// marked as a certificate authority.
fn self_signed_ca(names: &[&str]) -> Leaf {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).unwrap();
    params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Leaf {
        chain: vec![cert.der().clone()],
        key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
    }
}

struct Leaf {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

/// A TLS server on 127.0.0.1 answering every request with a pin (`POST /api/v2/pins`'s
/// answer), counting the connections it accepted.
struct Server {
    url: String,
    connections: Arc<AtomicUsize>,
}

impl Server {
    fn start(leaf: Leaf) -> Self {
        // The provider named: a build with both of rustls's providers on (this workspace's
        // tests: hyper's aws-lc-rs beside ureq's ring) has no process default to guess.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(leaf.chain, leaf.key)
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&connections);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                let config = Arc::clone(&config);
                std::thread::spawn(move || serve(stream, config));
            }
        });
        Self { url, connections }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn serve(mut tcp: TcpStream, config: Arc<rustls::ServerConfig>) {
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut tls = rustls::ServerConnection::new(config).unwrap();
    let mut stream = rustls::Stream::new(&mut tls, &mut tcp);
    let mut head = Vec::new();
    let mut buf = [0; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return, // The client refused the certificate.
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let body = r#"{"id":7,"code":"ABCD","expiresIn":900}"#;
    let _ = write!(
        stream,
        "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
}

/// A login against `server`, trusting `ca` if given; the loop would retry for 5 s.
fn login(server: &Server, ca: Option<&Ca>) -> Result<plex_pin::Token, plex_pin_ureq::Error> {
    let config = Config::builder("plex-pin tls", ClientId::new("tls-client").unwrap())
        .server(&server.url)
        .build()
        .unwrap();
    let mut builder = plex_pin_ureq::Client::builder(config);
    if let Some(ca) = ca {
        builder = builder
            .add_root_certificate_pem(ca.0.pem().as_bytes())
            .unwrap();
    }
    let options = LoginOptions::default()
        .with_timeout(Duration::from_secs(5))
        .with_poll_interval(Duration::from_millis(100))
        .with_max_backoff(Duration::from_millis(100));
    builder.build().unwrap().login(options, |_, _| {})
}

const VALID: (i32, u8, u8) = (2999, 1, 1);

/// The server and its certificates work: with the CA trusted and the right name, the
/// login gets as far as its first poll.
#[test]
fn a_trusted_certificate_for_the_address_is_accepted() {
    let ca = Ca::new();
    let server = Server::start(ca.issue(&["127.0.0.1"], VALID));
    let result = login(&server, Some(&ca));
    // The server answers every poll with a pin that has no token: the login times out.
    let error = result.unwrap_err();
    assert_eq!(error.kind(), None, "{error}");
    assert!(server.connections() >= 1);
}

#[track_caller]
fn refused_at_once(server: &Server, ca: Option<&Ca>, words: &str) {
    let started = std::time::Instant::now();
    let error = login(server, ca).unwrap_err();
    assert_eq!(error.kind(), Some(TransportErrorKind::Tls), "{error}");
    let shown = error.to_string();
    assert!(
        shown.starts_with(&format!("TLS failed: {words}")),
        "{shown}"
    );
    let source = std::error::Error::source(&error).unwrap();
    assert!(
        source.source().is_some(),
        "ureq's error is kept as the source"
    );
    assert_eq!(server.connections(), 1, "one handshake, no retry");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_unknown_issuer_ends_the_login_at_once() {
    let server = Server::start(Ca::new().issue(&["127.0.0.1"], VALID));
    refused_at_once(
        &server,
        None,
        "the certificate of 127.0.0.1 is not signed by a trusted authority (unknown issuer",
    );
}

#[test]
fn a_certificate_for_another_name_ends_the_login_at_once() {
    let ca = Ca::new();
    let server = Server::start(ca.issue(&["plex.test"], VALID));
    refused_at_once(
        &server,
        Some(&ca),
        "the certificate of 127.0.0.1 is for another host name",
    );
}

#[test]
fn an_expired_certificate_ends_the_login_at_once() {
    let ca = Ca::new();
    let server = Server::start(ca.issue(&["127.0.0.1"], (2001, 1, 1)));
    refused_at_once(
        &server,
        Some(&ca),
        "the certificate of 127.0.0.1 has expired",
    );
}

#[test]
fn a_self_signed_ca_certificate_is_named_so() {
    let server = Server::start(self_signed_ca(&["127.0.0.1"]));
    refused_at_once(
        &server,
        None,
        "the certificate of 127.0.0.1 is a certificate authority's, not a server's",
    );
}
