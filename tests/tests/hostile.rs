//! The hostile-server suite (issue #12) over the native transports: every scenario ends in a
//! token or a typed error, within the deadline, with the heap bounded. Server and client
//! side are the kit's (`plex_pin_conformance::hostile`), which the wasm transport runs too;
//! the server runs as a process of its own (this package's `hostile-server` binary), so
//! that its allocations are not counted as the client's.

use std::sync::Mutex;

use plex_pin_conformance::hostile::server::ServerProcess;
use plex_pin_conformance::hostile::survives_a_hostile_server;
use plex_pin_conformance::Rig;
use plex_pin_tests::rigs::{HyperRig, ReqwestRig, UreqRig};

#[global_allocator]
static ALLOC: plex_pin_tests::alloc::Counting = plex_pin_tests::alloc::Counting;

/// The allocation counter is process-wide: one transport at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn run_all<R: Rig>(rig: R) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    assert!(
        plex_pin_tests::alloc::current() > 0,
        "the counting allocator must be installed, or the memory bound holds vacuously"
    );
    let server = ServerProcess::start(env!("CARGO_BIN_EXE_hostile-server")).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(survives_a_hostile_server(&rig, server.url()));
}

#[test]
fn ureq_survives_a_hostile_server() {
    run_all(UreqRig::new());
}

#[test]
fn hyper_survives_a_hostile_server() {
    run_all(HyperRig::new());
}

#[test]
fn reqwest_survives_a_hostile_server() {
    run_all(ReqwestRig::new());
}
/// The emulator as the target of a hostile client (issue #12 items 4 and 17): a request body
/// dripped one byte per segment is held in one bounded buffer, and a body that stops
/// half-way is answered 408 within the body timeout instead of holding its connection.
#[test]
fn the_emulator_bounds_slow_request_bodies() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};

    use plex_pin_emulator::{Emulator, Options};

    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Dripped at one byte every ~20 µs, 160 KB took 1.2 GB before bodies were copied.
    let emulator = Emulator::start(Options::default()).unwrap();
    let addr = emulator.addr();
    let body = format!("{{\"strong\":true,\"pad\":\"{}\"}}", " ".repeat(40_000));
    plex_pin_tests::alloc::reset_peak();
    let drippers: Vec<_> = (0..4)
        .map(|_| {
            let body = body.clone();
            std::thread::spawn(move || {
                let mut stream = std::net::TcpStream::connect(addr).unwrap();
                stream.set_nodelay(true).unwrap();
                write!(
                    stream,
                    "POST /api/v2/pins HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nX-Plex-Client-Identifier: drip\r\nX-Plex-Product: drip\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )
                .unwrap();
                for byte in body.as_bytes() {
                    if stream.write_all(std::slice::from_ref(byte)).is_err() {
                        break;
                    }
                    // Each byte its own segment, read on its own.
                    std::thread::sleep(Duration::from_micros(20));
                }
            })
        })
        .collect();
    for dripper in drippers {
        dripper.join().unwrap();
    }
    let grew = plex_pin_tests::alloc::peak_growth();
    assert!(
        grew < 8 * 1024 * 1024,
        "the emulator's heap grew by {grew} bytes"
    );

    // Half a body, then silence: answered 408 within the timeout, the connection closed.
    let emulator =
        Emulator::start(Options::default().body_read_timeout(Duration::from_millis(500))).unwrap();
    let addr = emulator.addr();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /api/v2/pins HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100\r\n\r\n{{\"strong\":"
    )
    .unwrap();
    let start = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}
