//! A proxy named by the environment never sees the CLI's loopback requests: `whoami` and
//! `login --emulator` talk plain http to 127.0.0.1, with the token in a header, so a proxy
//! (127.0.0.2 here stands for another host) would read it in clear text. The rule is
//! `plex_pin::proxy`'s; each variable is set in a child's environment only.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{plex_pin, text};
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

/// A proxy on 127.0.0.2 that records what each connection sends (up to the end of its
/// headers) and answers 502: any connection at all is a request that went through it.
struct Trap {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Trap {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.2:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    let head = read_head(stream);
                    log.lock().unwrap().push(head);
                });
            }
        });
        Self { url, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// The request line and headers a client sent, then a 502.
fn read_head(mut stream: TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut head = Vec::new();
    let mut buf = [0; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let _ = stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
    let _ = stream.shutdown(Shutdown::Both);
    String::from_utf8_lossy(&head).into_owned()
}

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
    let trap = Trap::start();
    for_each_variable(|variable| {
        let output = run_with_proxy(
            variable,
            &trap.url,
            &["whoami", "--base-url", emulator.url(), "--token", &token],
        );
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{variable}: {stderr}");
        assert!(
            text(&output.stdout).contains("username: emulated-user"),
            "{variable}"
        );
    });
    assert_eq!(trap.seen(), Vec::<String>::new(), "the proxy saw requests");
    let checks = emulator.stats().on_route("user").count();
    assert_eq!(checks, 6, "each whoami reached the emulator");
}

#[test]
fn login_with_the_embedded_emulator_goes_direct_whatever_the_environment() {
    let trap = Trap::start();
    for_each_variable(|variable| {
        let output = run_with_proxy(
            variable,
            &trap.url,
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
    assert_eq!(trap.seen(), Vec::<String>::new(), "the proxy saw requests");
}

#[test]
fn a_proxy_variable_that_cannot_be_used_is_an_error_naming_it() {
    let trap = Trap::start();
    let socks = trap.url.replace("http://", "socks5://user:secret@");
    let whoami = ["whoami", "--base-url", "http://127.0.0.1:1", "--token", "X"];
    let output = run_with_proxy("HTTPS_PROXY", &socks, &whoami);
    common::assert_clean_error(&output, 2);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("HTTPS_PROXY"), "{stderr}");
    assert!(!stderr.contains("secret"), "{stderr}");
    assert_eq!(trap.seen(), Vec::<String>::new());
}
