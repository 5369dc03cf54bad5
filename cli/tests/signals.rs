//! SIGINT, SIGTERM and SIGHUP sent to `plex-pin login`: before approval no token and a
//! message; after it, the token on stdout whatever the signal cut short (issue #23, item
//! 2). The Ctrl-C of a real terminal is in tests/terminal.rs.
#![cfg(unix)]

mod common;

use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::{finish_within, kill, no_panic, plex_pin, text, PlexPin};
use plex_pin_emulator::{Emulator, Fault, FaultRule, Options, Route};

/// `plex-pin login` against `emulator`, polling fast, stdout and stderr piped.
fn start_login(emulator: &Emulator, extra: &[&str]) -> (Child, PlexPin) {
    let mut args = vec![
        "login",
        "--base-url",
        emulator.url(),
        "--no-qr",
        "--poll-interval",
        "0.1",
    ];
    args.extend_from_slice(extra);
    let mut command = plex_pin(&args);
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, command)
}

/// Waits until the emulator has seen `count` requests on `route`.
fn wait_for(emulator: &Emulator, route: &str, count: usize) {
    let started = Instant::now();
    while emulator.stats().on_route(route).count() < count {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no {route} request"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A signal while the login waits for approval ends it at once with the signal's code and
/// a message, and nothing on stdout.
fn signal_while_waiting(signal: &str, code: i32, name: &str) -> Output {
    let emulator = Emulator::start(Options::default()).unwrap();
    let (child, _config) = start_login(&emulator, &[]);
    wait_for(&emulator, "check_pin", 2);
    let sent = Instant::now();
    kill(&child, signal);
    let output = finish_within(child, Duration::from_secs(5));
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?} to end",
        sent.elapsed()
    );
    no_panic(&output);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
    assert!(
        stderr.contains(&format!(
            "plex-pin: cancelled ({name}); no token was received"
        )),
        "{stderr}"
    );
    output
}

#[test]
fn sigint_while_waiting_for_approval_says_no_token_and_exits_130() {
    signal_while_waiting("INT", 130, "SIGINT");
}

#[test]
fn sigterm_and_sighup_while_waiting_have_their_message_and_code() {
    signal_while_waiting("TERM", 143, "SIGTERM");
    signal_while_waiting("HUP", 129, "SIGHUP");
}

/// An emulator that approves at once and never answers the account lookup in time.
fn stalled_account() -> Emulator {
    Emulator::start(
        Options::default()
            .auto_approve(Duration::ZERO)
            .fault(FaultRule::always(Fault::Slow(Duration::from_secs(60))).on(Route::User)),
    )
    .unwrap()
}

#[test]
fn sigint_during_the_account_lookup_prints_the_token() {
    let emulator = stalled_account();
    let (child, _config) = start_login(&emulator, &["--json"]);
    wait_for(&emulator, "user", 1);
    let sent = Instant::now();
    kill(&child, "INT");
    let output = finish_within(child, Duration::from_secs(5));
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
    no_panic(&output);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {:?} / {stderr}", text(&output.stdout)));
    assert_eq!(json["token"].as_str().map(str::len), Some(20), "{json}");
    assert!(json["user"].is_null(), "{json}");
    assert!(
        stderr.contains(
            "interrupted (SIGINT) before the account was read; the token was issued and is printed"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("no token"), "{stderr}");
}

#[test]
fn sigterm_and_sighup_during_the_account_lookup_print_the_token() {
    for (signal, code, name) in [("TERM", 143, "SIGTERM"), ("HUP", 129, "SIGHUP")] {
        let emulator = stalled_account();
        let (child, _config) = start_login(&emulator, &[]);
        wait_for(&emulator, "user", 1);
        kill(&child, signal);
        let output = finish_within(child, Duration::from_secs(5));
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{stderr}");
        let stdout = text(&output.stdout);
        let token = stdout.strip_suffix('\n').expect("one line");
        assert_eq!(token.len(), 20, "{stdout:?}");
        assert!(
            stderr.contains(&format!("interrupted ({name}) before the account was read")),
            "{stderr}"
        );
    }
}

/// A login whose first poll the emulator holds for 60 s (its request timeout too), once
/// that poll is in flight.
fn login_in_an_unanswered_request() -> (Emulator, Child, PlexPin) {
    let emulator = Emulator::start(
        Options::default()
            .fault(FaultRule::always(Fault::Slow(Duration::from_secs(60))).on(Route::CheckPin)),
    )
    .unwrap();
    let (child, config) = start_login(&emulator, &["--request-timeout", "60"]);
    wait_for(&emulator, "check_pin", 1);
    (emulator, child, config)
}

/// Issue #24, item 2: one Ctrl-C during a request the server never answers ends the login
/// within a second: the signal goes through the core's `Cancel`, which shuts ureq's socket
/// down, instead of waiting out the request's timeout (60 s here).
#[test]
fn one_sigint_cuts_an_unanswered_request_short() {
    let (_emulator, child, _config) = login_in_an_unanswered_request();
    let sent = Instant::now();
    kill(&child, "INT");
    let output = finish_within(child, Duration::from_secs(5));
    let took = sent.elapsed();
    no_panic(&output);
    let stderr = text(&output.stderr);
    assert!(took < Duration::from_secs(1), "{took:?} to end: {stderr}");
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(
        stderr.contains("plex-pin: cancelled (SIGINT); no token was received"),
        "{stderr}"
    );
}

/// A signal during a request that does not end: the login ends when the transport ends the
/// request, or at once on a second signal, never after the request's whole timeout.
#[test]
fn a_second_signal_ends_a_login_stuck_in_a_request() {
    let (_emulator, child, _config) = login_in_an_unanswered_request();
    kill(&child, "INT");
    std::thread::sleep(Duration::from_millis(1500));
    // Ended already if the transport cuts a cancelled request short; otherwise waiting.
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let output = finish_within(child, Duration::from_secs(3));
    no_panic(&output);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(stderr.contains("no token was received"), "{stderr}");
    if stderr.contains("during a request") {
        assert!(
            stderr.contains("cancelling once the request in flight ends"),
            "the wait was told: {stderr}"
        );
    }
}
