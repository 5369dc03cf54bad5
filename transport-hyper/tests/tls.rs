//! TLS failures: a certificate that does not verify is `TransportErrorKind::Tls` with a
//! message in words, and a server that stalls the handshake costs the connect timeout.

mod support;

use std::error::Error as _;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use plex_pin::proxy::Proxy;
use plex_pin::{Call, ClientId, Config, PinOptions, TransportErrorKind};
use support::{cert, tls_server};

fn client(base_url: &str, trust: Option<&str>) -> plex_pin_hyper::Client {
    let config = Config::builder("plex-pin hyper tls", ClientId::new("tls-test").unwrap())
        .base_url(base_url)
        .build()
        .unwrap();
    let mut builder = plex_pin_hyper::Client::builder(config).proxy(Proxy::none());
    if let Some(pem) = trust {
        builder = builder.add_root_certificate_pem(pem.as_bytes()).unwrap();
    }
    builder.build().unwrap()
}

async fn create_pin(client: &plex_pin_hyper::Client) -> plex_pin_hyper::Error {
    let call = Call::create_pin(client.config(), &PinOptions::default());
    client.call(call).await.unwrap_err()
}

/// The error's chain down to rustls's own error.
fn rustls_cause(error: &plex_pin_hyper::Error) -> Option<rustls::Error> {
    let io = error.source()?.downcast_ref::<std::io::Error>()?;
    io.source()?.downcast_ref::<rustls::Error>().cloned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_self_signed_certificate_is_a_tls_error_in_words() {
    let server = tls_server("127.0.0.1:0", &cert(&["127.0.0.1"], false), None).await;
    let client = client(&format!("https://{}", server.addr), None);
    let error = create_pin(&client).await;
    assert_eq!(error.kind(), Some(TransportErrorKind::Tls), "{error}");
    assert_eq!(
        error.to_string(),
        "TLS failed: the certificate of 127.0.0.1 is not signed by a trusted authority \
         (unknown issuer: a self-signed certificate, or a TLS-inspecting proxy whose root is \
         not trusted)"
    );
    assert!(matches!(
        rustls_cause(&error),
        Some(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer
        ))
    ));
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_for_another_name_says_so() {
    let other = cert(&["other.test"], false);
    let server = tls_server("127.0.0.1:0", &other, None).await;
    let client = client(&format!("https://{}", server.addr), Some(&other.pem));
    let error = create_pin(&client).await;
    assert_eq!(error.kind(), Some(TransportErrorKind::Tls), "{error}");
    assert_eq!(
        error.to_string(),
        "TLS failed: the certificate of 127.0.0.1 is for another host name (it names \
         other.test)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_certificate_says_so() {
    let expired = cert(&["127.0.0.1"], true);
    let server = tls_server("127.0.0.1:0", &expired, None).await;
    let client = client(&format!("https://{}", server.addr), Some(&expired.pem));
    let error = create_pin(&client).await;
    assert_eq!(error.kind(), Some(TransportErrorKind::Tls), "{error}");
    let message = error.to_string();
    assert!(
        message.starts_with("TLS failed: the certificate of 127.0.0.1 has expired ("),
        "{message}"
    );
    assert!(message.ends_with(" days ago)"), "{message}");
}

/// A trusted certificate works, and with the default provider the key exchange is the
/// post-quantum hybrid.
#[tokio::test(flavor = "multi_thread")]
async fn a_trusted_certificate_connects() {
    let emulator = plex_pin_emulator::Emulator::start(Default::default()).unwrap();
    let trusted = cert(&["127.0.0.1"], false);
    let server = tls_server("127.0.0.1:0", &trusted, Some(emulator.addr())).await;
    let client = client(&format!("https://{}", server.addr), Some(&trusted.pem));
    let call = Call::create_pin(client.config(), &PinOptions::default());
    assert!(client.call(call).await.is_ok());
    let groups = server.groups.lock().unwrap().clone();
    #[cfg(feature = "aws-lc-rs")]
    assert_eq!(groups, ["Some(X25519MLKEM768)"]);
    #[cfg(not(feature = "aws-lc-rs"))]
    assert_eq!(groups, ["Some(X25519)"]);
}

/// A server that accepts and never answers the ClientHello holds the request for the
/// connect timeout, not the whole request timeout.
#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_handshake_ends_at_the_connect_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let config = Config::builder("plex-pin hyper tls", ClientId::new("tls-test").unwrap())
        .base_url(format!("https://{addr}"))
        .build()
        .unwrap();
    let client = plex_pin_hyper::Client::builder(config)
        .proxy(Proxy::none())
        .connect_timeout(Duration::from_millis(300))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = create_pin(&client).await;
    let took = started.elapsed();
    assert_eq!(error.kind(), Some(TransportErrorKind::Timeout), "{error}");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(1_500),
        "{took:?}"
    );
    assert!(error.to_string().contains("connect timeout"), "{error}");
}

#[test]
fn a_root_certificate_that_does_not_parse_is_a_tls_error() {
    let config = Config::builder("plex-pin hyper tls", ClientId::new("tls-test").unwrap())
        .build()
        .unwrap();
    let error = plex_pin_hyper::Client::builder(config)
        .add_root_certificate_pem(b"-----BEGIN CERTIFICATE-----\nnot base64\n")
        .unwrap_err();
    assert_eq!(error.kind(), Some(TransportErrorKind::Tls), "{error}");
}

/// A certificate that does not verify ends a login at once: one handshake, no retry (the
/// transport tells the loop the failure's kind, and the loop does not retry TLS).
#[tokio::test(flavor = "multi_thread")]
async fn a_login_ends_at_the_first_tls_failure() {
    let server = tls_server("127.0.0.1:0", &cert(&["127.0.0.1"], false), None).await;
    let client = client(&format!("https://{}", server.addr), None);
    let options = plex_pin::LoginOptions::default()
        .with_poll_interval(Duration::from_millis(50))
        .with_timeout(Duration::from_secs(10));
    let started = Instant::now();
    let error = client.login(options, |_, _| {}).await.unwrap_err();
    assert_eq!(error.kind(), Some(TransportErrorKind::Tls), "{error}");
    assert!(
        error
            .to_string()
            .contains("is not signed by a trusted authority"),
        "{error}"
    );
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
    assert!(started.elapsed() < Duration::from_secs(2));
}
