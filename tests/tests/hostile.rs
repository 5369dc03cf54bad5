//! The hostile-server suite (issue #12) over both native transports: every scenario ends in
//! a token or a typed error, within the deadline, with the heap bounded.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use plex_pin_tests::hostile::{login_scenario, token_check_scenario, Scenario, ServerProcess};
use plex_pin_tests::Transport;

#[global_allocator]
static ALLOC: plex_pin_tests::alloc::Counting = plex_pin_tests::alloc::Counting;

/// The allocation counter is process-wide: one transport at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn run_all<T: Transport>() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = ServerProcess::start(env!("CARGO_BIN_EXE_hostile-server")).unwrap();
    let mut failures = Vec::new();
    let mut run = |scenario: Scenario, one: fn(&str, Scenario) -> Result<(), String>| {
        // A panic is a failure of that scenario, not the end of the others.
        match catch_unwind(AssertUnwindSafe(|| {
            one(&server.base_url(scenario), scenario)
        })) {
            Ok(Ok(())) => {}
            Ok(Err(failure)) => failures.push(failure),
            Err(_) => failures.push(format!("{}: panicked", scenario.name())),
        }
    };
    for &scenario in Scenario::LOGIN {
        run(scenario, login_scenario::<T>);
    }
    for &scenario in Scenario::TOKEN_CHECK {
        run(scenario, token_check_scenario::<T>);
    }
    assert!(failures.is_empty(), "{}:\n{}", T::NAME, failures.join("\n"));
}

#[test]
fn ureq_survives_a_hostile_server() {
    run_all::<plex_pin_tests::ureq::Ureq>();
}

#[test]
fn hyper_survives_a_hostile_server() {
    run_all::<plex_pin_tests::hyper::Hyper>();
}
