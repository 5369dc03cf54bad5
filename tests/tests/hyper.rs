//! The conformance suite over `plex-pin-hyper`, plus what only an async transport has:
//! cancellation by drop and use from many tasks at once.

use std::time::Duration;

use plex_pin::{ClientId, Config, LoginOptions};
use plex_pin_emulator::{Emulator, Options};
use plex_pin_tests::rigs::HyperRig;

#[global_allocator]
static ALLOC: plex_pin_tests::alloc::Counting = plex_pin_tests::alloc::Counting;

plex_pin_conformance::scenarios!(tokio::test, HyperRig::new());

fn config_for(emulator: &Emulator, client_id: &str) -> Config {
    Config::builder("plex-pin hyper", ClientId::new(client_id).unwrap())
        .server(emulator.url())
        .build()
        .unwrap()
}

fn fast_options() -> LoginOptions {
    LoginOptions::default().with_poll_interval(Duration::from_millis(50))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn dropping_the_login_future_stops_polling() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let client = plex_pin_hyper::Client::new(config_for(&emulator, "cancel")).unwrap();
    runtime().block_on(async {
        let login = client.login(fast_options(), |_, _| {});
        assert!(tokio::time::timeout(Duration::from_millis(400), login)
            .await
            .is_err());
        let polls = emulator.stats().count("check_pin");
        assert!(polls >= 2, "it was polling: {polls}");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(
            emulator.stats().count("check_pin"),
            polls,
            "no poll after the drop"
        );
    });
}

#[test]
fn one_client_serves_many_tasks() {
    let emulator =
        Emulator::start(Options::default().auto_approve(Duration::from_millis(100))).unwrap();
    let client = plex_pin_hyper::Client::new(config_for(&emulator, "many")).unwrap();
    runtime().block_on(async {
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.login(fast_options(), |_, _| {}).await })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().is_ok());
        }
    });
    assert_eq!(emulator.stats().count("create_pin"), 50);
}

/// A server holding many pending logins holds many of these futures: it grew from 3,272 to
/// 5,512 B once unnoticed (issue #14), and is 1,336 B since the request's state is boxed
/// while in flight. The bench prints the figure; this keeps the bound.
#[test]
fn the_login_future_stays_within_2000_bytes() {
    let config = config_for(&Emulator::start(Options::default()).unwrap(), "size");
    let client = plex_pin_hyper::Client::new(config).unwrap();
    let size = std::mem::size_of_val(&client.login(fast_options(), |_, _| {}));
    assert!(size <= 2_000, "the login future is {size} B");
}
