//! Core costs with no IO: building and parsing one check-pin round trip, and a whole login
//! on a virtual clock; then the heap allocations each of them makes.
//!
//! `cargo bench -p plex-pin --bench roundtrip` (figures and how they were taken:
//! BENCHMARKS.md).

use std::alloc::System;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, Criterion};
use plex_pin::{request, response, ClientId, Config, Instant, LoginOptions, PinLogin, Step};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// A realistic approved-pin answer (the shape `plex_pin::protocol` describes, full location).
const APPROVED: &str = include_str!("../tests/fixtures/pin-approved.json");
const WAITING: &str =
    r#"{"id":1987654321,"code":"k2v9q0x7m4t1z8c3b6n5w0r2e","expiresIn":1800,"authToken":null}"#;

fn config() -> Config {
    Config::builder(
        "Bench App",
        ClientId::new("6f1c2c1e-8a8e-4a4e-9d55-3f3b0f6a9b21").unwrap(),
    )
    .version("1.0.0")
    .platform("Linux")
    .device_name("Bench Rig")
    .build()
    .unwrap()
}

fn json(status: u16, body: &'static str) -> http::Response<&'static [u8]> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.as_bytes())
        .unwrap()
}

/// One check-pin round trip: build the request, parse the answer.
fn round_trip(config: &Config, response: &http::Response<&'static [u8]>) -> u64 {
    let request = request::check_pin(config, 1987654321);
    black_box(&request);
    response::pin(response).unwrap().id
}

/// A whole login on a virtual clock: create, show, two waiting polls, approved.
fn login(config: &Config, origin: Instant) -> usize {
    let mut login = PinLogin::new(config, LoginOptions::default());
    let mut now = origin;
    let mut polls = 0;
    loop {
        match login.poll(now).unwrap() {
            Step::Send(_) => {
                polls += 1;
                let answer = match polls {
                    1 => json(201, WAITING),
                    2 | 3 => json(200, WAITING),
                    _ => json(200, APPROVED),
                };
                let _continue = login.handle_response(now, answer).unwrap();
            }
            Step::WaitUntil(t) => now = t,
            Step::Done(token) => return token.expose_secret().len(),
            _ => {}
        }
    }
}

fn benches(c: &mut Criterion) {
    let config = config();
    let approved = json(200, APPROVED);
    c.bench_function("check-pin round trip (build + parse)", |b| {
        b.iter(|| round_trip(black_box(&config), black_box(&approved)))
    });
    c.bench_function("build check-pin request", |b| {
        b.iter(|| request::check_pin(black_box(&config), black_box(1987654321)))
    });
    c.bench_function("parse approved pin", |b| {
        b.iter(|| response::pin(black_box(&approved)).unwrap())
    });
    let origin = Instant::now();
    c.bench_function("whole login on a virtual clock (4 round trips)", |b| {
        b.iter(|| login(black_box(&config), origin))
    });
}

/// Allocations (count and bytes) of one run of `f`, after a warm-up run.
fn allocations(name: &str, mut f: impl FnMut()) {
    f();
    let region = Region::new(GLOBAL);
    f();
    let stats = region.change();
    println!(
        "| {name:<44} | {:>11} | {:>12} |",
        stats.allocations + stats.reallocations,
        stats.bytes_allocated
    );
}

criterion_group! {
    name = timing;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = benches
}

fn main() {
    timing();
    Criterion::default().configure_from_args().final_summary();

    let config = config();
    let approved = json(200, APPROVED);
    let origin = Instant::now();
    println!("\n| heap allocations                             | allocations | bytes        |");
    println!("|----------------------------------------------|-------------|--------------|");
    allocations("check-pin round trip (build + parse)", || {
        black_box(round_trip(&config, &approved));
    });
    allocations("build check-pin request", || {
        black_box(request::check_pin(&config, 1987654321));
    });
    allocations("parse approved pin", || {
        black_box(response::pin(&approved).unwrap());
    });
    allocations("whole login on a virtual clock", || {
        black_box(login(&config, origin));
    });
}
