//! A proxy named by the environment never sees the CLI's loopback requests: `whoami` and
//! `login --emulator` talk plain http to 127.0.0.1, with the token in a header, so a proxy
//! (127.0.0.2 here stands for another host) would read it in clear text. The rule is
//! `plex_pin::proxy`'s; each variable is set in a child's environment only.

mod common;

use common::{plex_pin, text};
use plex_pin_conformance::proxy::LoggingProxy;
use plex_pin_emulator::{Emulator, Options};

/// Every proxy variable curl and ureq read, in both cases; each test sets one at a time.
const PROXY_VARIABLES: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// `plex-pin ARGS` with `variable` (and no other proxy variable) set to `value`.
fn run_with_proxy(variable: &str, value: &str, args: &[&str]) -> std::process::Output {
    let mut command = plex_pin(args);
    for name in PROXY_VARIABLES {
        command.env_remove(name);
    }
    command.env(variable, value).output().unwrap()
}

/// Runs `check` once per proxy variable, each in its own thread (each run is a process).
fn for_each_variable(check: impl Fn(&str) + Sync) {
    std::thread::scope(|scope| {
        for variable in &PROXY_VARIABLES[..6] {
            let check = &check;
            scope.spawn(move || check(variable));
        }
    });
}

#[test]
fn whoami_against_a_loopback_server_goes_direct_whatever_the_environment() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let token = emulator.issue_token();
    let trap = LoggingProxy::start().unwrap();
    for_each_variable(|variable| {
        let output = run_with_proxy(
            variable,
            trap.url(),
            &["whoami", "--base-url", emulator.url(), "--token", &token],
        );
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{variable}: {stderr}");
        assert!(
            text(&output.stdout).contains("username: emulated-user"),
            "{variable}"
        );
    });
    assert_eq!(trap.log(), Vec::<String>::new(), "the proxy saw requests");
    let checks = emulator.stats().on_route("user").count();
    assert_eq!(checks, 6, "each whoami reached the emulator");
}

#[test]
fn login_with_the_embedded_emulator_goes_direct_whatever_the_environment() {
    let trap = LoggingProxy::start().unwrap();
    for_each_variable(|variable| {
        let output = run_with_proxy(
            variable,
            trap.url(),
            &[
                "login",
                "--emulator",
                "--auto-approve",
                "1",
                "--poll-interval",
                "0.2",
                "--no-qr",
            ],
        );
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{variable}: {stderr}");
        assert_eq!(text(&output.stdout).trim_end().len(), 20, "{variable}");
    });
    assert_eq!(trap.log(), Vec::<String>::new(), "the proxy saw requests");
}

#[test]
fn a_proxy_variable_that_cannot_be_used_is_an_error_naming_it() {
    let trap = LoggingProxy::start().unwrap();
    let socks = trap.url().replace("http://", "socks5://user:secret@");
    let whoami = ["whoami", "--base-url", "http://127.0.0.1:1", "--token", "X"];
    let output = run_with_proxy("HTTPS_PROXY", &socks, &whoami);
    common::assert_clean_error(&output, 2);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("HTTPS_PROXY"), "{stderr}");
    assert!(!stderr.contains("secret"), "{stderr}");
    assert_eq!(trap.log(), Vec::<String>::new());
}
