//! The shared conformance suite over `plex-pin-ureq`, its logins through the blocking loop
//! its users run (`Client::run`; see `UreqRig`), plus what only a blocking client has.

use std::time::Duration;

use plex_pin::drive::{Cancel, Event};
use plex_pin::{ClientId, Config, Error, LoginOptions, PinLogin};
use plex_pin_emulator::{Emulator, Options};
use plex_pin_tests::rigs::UreqRig;

#[global_allocator]
static ALLOC: plex_pin_tests::alloc::Counting = plex_pin_tests::alloc::Counting;

plex_pin_conformance::scenarios!(tokio::test, UreqRig::new());

fn client(emulator: &Emulator) -> plex_pin_ureq::Client {
    let config = Config::builder("plex-pin ureq", ClientId::new("ureq-client").unwrap())
        .server(emulator.url())
        .build()
        .unwrap();
    plex_pin_ureq::Client::new(config).unwrap()
}

/// `Client::login` (the core's blocking loop): the pin once, then the token.
#[test]
fn the_blocking_login_signs_in() {
    let emulator =
        Emulator::start(Options::default().auto_approve(Duration::from_millis(100))).unwrap();
    let mut shown = 0;
    let options = LoginOptions::default().with_poll_interval(Duration::from_millis(50));
    let token = client(&emulator)
        .login(options, |pin, url| {
            assert!(url.contains(&pin.code));
            shown += 1;
        })
        .unwrap();
    assert!(!token.expose_secret().is_empty());
    assert_eq!(shown, 1);
}

/// A blocking login cancelled from another thread ends at once, mid-wait.
#[test]
fn the_blocking_login_is_cancelled_from_another_thread() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let client = client(&emulator);
    let cancel = Cancel::new();
    let remote = cancel.clone();
    let options = LoginOptions::default().with_poll_interval(Duration::from_secs(30));
    let login = PinLogin::new(client.config(), options);
    let started = std::time::Instant::now();
    let result = client.run(login, Some(&cancel), |event| {
        if let Event::PinReady { .. } = event {
            let remote = remote.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(100));
                remote.cancel();
            });
        }
    });
    assert!(
        matches!(result, Err(plex_pin_ureq::Error::Plex(Error::Cancelled))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// An expired Plex JWT is answered with 498, and a refresh gets a working one. Native only:
/// it needs an emulator whose JWTs live 1 s.
#[test]
fn an_expired_plex_jwt_is_a_498_and_a_refresh_recovers() {
    use plex_pin::jwt::{verify_jwt, DeviceKey, PlexClaims};
    use plex_pin::Call;
    let emulator = Emulator::start(
        Options::default()
            .plex_jwt_lifetime(Duration::from_secs(1))
            .auto_approve(Duration::from_millis(100)),
    )
    .unwrap();
    let client = client(&emulator);
    let key = DeviceKey::from_seed([42; 32]);
    let login = PinLogin::with_device_key(
        client.config(),
        LoginOptions::default().with_poll_interval(Duration::from_millis(50)),
        key.clone(),
    );
    let token = client.run(login, None, |_| {}).unwrap();
    std::thread::sleep(Duration::from_millis(2100));
    let expired = client.call(Call::user(client.config(), &token));
    assert!(
        matches!(expired, Err(plex_pin_ureq::Error::Plex(Error::JwtExpired))),
        "{expired:?}"
    );
    let keys = client.call(Call::plex_keys(client.config())).unwrap();
    let claims: PlexClaims = verify_jwt(token.expose_secret(), &keys).unwrap();
    assert!(claims.needs_refresh(plex_pin::drive::Clock::unix_now(&client)));
    let fresh = client.refresh(&key).unwrap();
    let fresh_claims: PlexClaims = verify_jwt(fresh.expose_secret(), &keys).unwrap();
    assert_ne!(fresh.expose_secret(), token.expose_secret());
    assert_eq!(fresh_claims.thumbprint.as_deref(), Some(key.key_id()));
    assert!(fresh_claims.iat >= claims.iat);
}
