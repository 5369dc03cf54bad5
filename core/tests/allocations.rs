//! The heap allocations of one check-pin round trip (build the request, parse an approved
//! pin), held under issue #7's budget of 20. Counts are exact, unlike timings, so this is
//! a test; the timings live in benches/roundtrip.rs.
//!
//! One test in this binary: the counting allocator sees every thread of the process.
#![cfg(not(target_arch = "wasm32"))]

use std::alloc::System;

use plex_pin::{request, response, ClientId, Config};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Under 20, as issue #7 asks (at the time of writing: 3 for the request, 15 for the pin),
/// with serde_json (the `js-json` build is measured in the browser tests).
const BUDGET: usize = 19;

#[test]
fn a_check_pin_round_trip_stays_within_its_allocation_budget() {
    let config = Config::builder(
        "Alloc Test",
        ClientId::new("6f1c2c1e-8a8e-4a4e-9d55-3f3b0f6a9b21").unwrap(),
    )
    .version("1.0.0")
    .build()
    .unwrap();
    let answer = http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(&include_bytes!("fixtures/pin-approved.json")[..])
        .unwrap();
    let round_trip = || {
        let request = request::check_pin(&config, 1987654321);
        let pin = response::pin(&answer).unwrap();
        (request, pin)
    };
    // Warm up once, so lazily initialised statics are not counted.
    drop(round_trip());

    let region = Region::new(GLOBAL);
    let (request, pin) = round_trip();
    let stats = region.change();
    let count = stats.allocations + stats.reallocations;

    assert_eq!(
        pin.auth_token.unwrap().expose_secret(),
        "2ffLuB84dqLswk9skLos"
    );
    assert_eq!(request.uri().path(), "/api/v2/pins/1987654321");
    assert!(
        count <= BUDGET,
        "{count} allocations in one round trip; the budget is {BUDGET}"
    );
}
