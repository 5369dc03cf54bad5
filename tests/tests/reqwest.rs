//! The conformance suite over `plex-pin-reqwest`, plus what only an async transport has:
//! cancellation by drop and use from many tasks at once.

use plex_pin_tests::async_client;
use plex_pin_tests::rigs::ReqwestRig;

#[global_allocator]
static ALLOC: plex_pin_tests::alloc::Counting = plex_pin_tests::alloc::Counting;

plex_pin_conformance::scenarios!(tokio::test, ReqwestRig::new());

#[test]
fn dropping_the_login_future_stops_polling() {
    async_client::dropping_the_login_future_stops_polling(|config| {
        plex_pin_reqwest::Client::new(config).unwrap()
    });
}

#[test]
fn one_client_serves_many_tasks() {
    async_client::one_client_serves_many_tasks(|config| {
        plex_pin_reqwest::Client::new(config).unwrap()
    });
}
