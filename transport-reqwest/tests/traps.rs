//! What a reqwest transport gets wrong unless it sees to it, beyond what the conformance and
//! hostile suites check (plex-pin-tests runs those): an app's client that follows
//! redirects, TLS failures told apart, the core's proxy rule instead of reqwest's, and a
//! signed poll's device JWT kept out of error messages.

use std::time::Duration;

use plex_pin::drive::AsyncTransport;
use plex_pin::proxy::Proxy;
use plex_pin::{Call, ClientId, Config, PinOptions, TransportErrorKind};
use plex_pin_conformance::proxy::LoggingProxy;
use plex_pin_emulator::{Emulator, Fault, FaultRule, Options, Route};

fn config(base_url: &str) -> Config {
    Config::builder("plex-pin reqwest traps", ClientId::new("traps").unwrap())
        .base_url(base_url)
        .build()
        .unwrap()
}

/// An app's reqwest client with the default policy follows the emulator's 302 to an
/// approved pin: the answer is refused as a redirect instead of read as a token.
#[tokio::test]
async fn an_app_client_that_follows_redirects_is_refused() {
    let emulator = Emulator::start(
        Options::default().fault(FaultRule::always(Fault::Redirect).on(Route::CheckPin)),
    )
    .unwrap();
    let config = config(emulator.url());
    let following = plex_pin_reqwest::Client::from_reqwest(config.clone(), reqwest::Client::new());
    let pin = following
        .call(Call::create_pin(&config, &PinOptions::strong()))
        .await
        .unwrap();
    let polled = following.call(Call::check_pin(&config, pin.id)).await;
    let error = polled.expect_err("the redirect's target answers a token");
    assert_eq!(error.kind(), Some(TransportErrorKind::Redirect), "{error}");

    // Built by the crate, the client hands the 302 to the core, which refuses it.
    let own = plex_pin_reqwest::Client::new(config.clone()).unwrap();
    let polled = own.call(Call::check_pin(&config, pin.id)).await;
    match polled {
        Err(plex_pin_reqwest::Error::Plex(plex_pin::Error::UnexpectedStatus {
            status, ..
        })) => {
            assert_eq!(status, 302)
        }
        other => panic!("{other:?}"),
    }
}

/// A TLS handshake with a server that speaks plain HTTP fails as TLS, not as a connect
/// failure the loop would retry.
#[tokio::test]
async fn a_failed_handshake_is_a_tls_error() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let https = emulator.url().replace("http://", "https://");
    let client = plex_pin_reqwest::Client::new(config(&https)).unwrap();
    let created = client
        .call(Call::create_pin(client.config(), &PinOptions::strong()))
        .await;
    let error = created.expect_err("no TLS server there");
    assert_eq!(error.kind(), Some(TransportErrorKind::Tls), "{error:?}");
    // In the words every rustls transport shows (`plex_pin::tls`), naming the host.
    let shown = error.to_string();
    assert!(
        shown.starts_with("TLS failed: 127.0.0.1 did not speak TLS correctly ("),
        "{shown}"
    );
}

/// A login whose TLS fails ends at once with the TLS error, without a retry
/// (`SendTransport::error_kind` tells the loop).
#[tokio::test]
async fn a_login_whose_tls_fails_ends_without_retrying() {
    use plex_pin::drive::Event;
    let emulator = Emulator::start(Options::default()).unwrap();
    let https = emulator.url().replace("http://", "https://");
    let client = plex_pin_reqwest::Client::new(config(&https)).unwrap();
    let login = plex_pin::PinLogin::new(client.config(), plex_pin::LoginOptions::default());
    let mut retries = 0;
    let ended = client
        .run(login, None, |event| {
            if let Event::Retrying { .. } = event {
                retries += 1;
            }
        })
        .await;
    let error = ended.expect_err("no TLS server there");
    assert_eq!(error.kind(), Some(TransportErrorKind::Tls), "{error:?}");
    assert_eq!(retries, 0);
}

/// An explicit proxy carries https to a remote host (as a CONNECT tunnel), never a request
/// to the loopback emulator.
#[tokio::test]
async fn an_explicit_proxy_carries_remote_https_only() {
    let proxy = LoggingProxy::start().unwrap();
    let emulator = Emulator::start(Options::default()).unwrap();
    let build = |base_url: &str| {
        plex_pin_reqwest::Client::builder(config(base_url))
            .proxy(Proxy::url(proxy.url()).unwrap())
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap()
    };
    let local = build(emulator.url());
    local
        .call(Call::create_pin(local.config(), &PinOptions::strong()))
        .await
        .unwrap();
    assert!(proxy.log().is_empty(), "{:?}", proxy.log());

    let remote = build("https://plex.invalid");
    let refused = remote
        .call(Call::create_pin(remote.config(), &PinOptions::strong()))
        .await;
    assert!(refused.is_err());
    let log = proxy.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(
        log[0].starts_with("CONNECT plex.invalid:443 HTTP/1.1\r\n"),
        "{log:?}"
    );
}

/// A signed poll carries the device JWT in its query; a failure to send it does not show
/// it (reqwest's errors name the URL).
#[tokio::test]
async fn a_failed_signed_poll_does_not_show_the_device_jwt() {
    use plex_pin::jwt::{DeviceClaims, DeviceKey};
    let config = config("http://127.0.0.1:1");
    let key = DeviceKey::from_seed([7; 32]);
    let jwt = key.device_jwt(&DeviceClaims::new(
        config.client_id(),
        "nonce",
        1_800_000_000,
    ));
    let request = plex_pin::request::check_pin_with_jwt(&config, 42, &jwt);
    let client = plex_pin_reqwest::Client::new(config).unwrap();
    let error = client
        .send(request, Duration::from_secs(5))
        .await
        .expect_err("nothing listens on port 1");
    assert_eq!(error.kind(), Some(TransportErrorKind::Connect));
    let mut shown = format!("{error} {error:?}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        shown.push_str(&format!(" {cause} {cause:?}"));
        source = cause.source();
    }
    let signature = jwt.as_str().rsplit('.').next().unwrap();
    assert!(
        !shown.contains(signature),
        "the device JWT shows in: {shown}"
    );
}
