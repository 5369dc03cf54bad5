//! The `plex-pin` binary against what a hostile or broken server, a broken terminal and bad
//! input do (issue #12): every case ends in a clean, bounded, documented way.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{no_panic, plex_pin_in, run, scratch, text};
use plex_pin_conformance::hostile::server::{HostileServer, Scenario};
use plex_pin_emulator::{Emulator, Fault, FaultRule, Options, Route};

/// A one-route HTTP server: answers every request with `status` and `body` (JSON), and
/// hands back the token header it saw. Enough to send what no faithful server would.
fn raw_server(status: &'static str, body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut token = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("x-plex-token:") {
                    token = value.trim().to_owned();
                }
            }
            let body = body.replace("{token}", &token);
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

/// Item 1: a Retry-After of u64::MAX once panicked; now a clear error within 5 s.
#[test]
fn a_huge_retry_after_ends_in_a_clear_error_fast() {
    let start = Instant::now();
    let output = run(&[
        "login",
        "--emulator",
        "--emulator-fault",
        "429:18446744073709551615",
        "--timeout",
        "3",
    ]);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    no_panic(&output);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("rate limited"));
}

/// Item 2: a Retry-After longer than the login will wait ends it at once, saying so; a
/// shorter one is waited out with a line saying what for.
#[test]
fn rate_limiting_before_the_pin_is_bounded_and_told() {
    let start = Instant::now();
    let output = run(&["login", "--emulator", "--emulator-fault", "429:99999"]);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("retry after 99999 s"),
        "{}",
        text(&output.stderr)
    );

    let output = run(&[
        "login",
        "--emulator",
        "--emulator-fault",
        "429:1*1",
        "--auto-approve",
        "0",
        "--no-qr",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("rate limited") && stderr.contains("retrying in 1 s"),
        "{stderr}"
    );
}

/// Item 3: the deadline bounds the request in flight (a server that never answers).
#[test]
fn the_deadline_bounds_a_request_that_never_ends() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(60));
        drop(held);
    });
    let start = Instant::now();
    let output = run(&[
        "login",
        "--base-url",
        &url,
        "--timeout",
        "2",
        "--request-timeout",
        "40",
    ]);
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    no_panic(&output);
    assert_ne!(output.status.code(), Some(0));
}

/// Items 7 and 8: what the server says reaches the terminal escaped, and a token it echoes
/// in an error does not reach it at all.
#[test]
fn server_text_is_escaped_and_echoed_tokens_are_masked() {
    let esc = r"\u001b[2J\u001b]0;owned\u0007";
    let user =
        format!(r#"{{"id":1,"uuid":"u","username":"{esc}","title":"{esc}","email":"{esc}"}}"#);
    let url = raw_server("200 OK", user);
    let output = run(&["whoami", "--base-url", &url, "--token", "abcdefgh12345"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        !stdout.contains('\x1b') && !stdout.contains('\x07'),
        "{stdout:?}"
    );
    assert!(stdout.contains("username: \\u{1b}[2J"), "{stdout}");

    let echo = r#"{"errors":[{"code":1,"message":"\u001b[31mtoken {token} is not allowed"}],"you_sent":"{token}"}"#;
    let url = raw_server("400 Bad Request", echo.to_owned());
    let secret = "s3cret-t0ken-0123456789";
    let output = run(&["whoami", "--base-url", &url, "--token", secret]);
    assert_eq!(output.status.code(), Some(4));
    let stderr = text(&output.stderr);
    assert!(
        !stderr.contains(secret) && !stderr.contains("s3cret-t0k"),
        "{stderr}"
    );
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
}

/// Item 9: the token is printed even when reading the account fails after approval.
#[test]
fn json_keeps_the_token_when_the_account_lookup_fails() {
    let emulator = Emulator::start(
        Options::default()
            .auto_approve(Duration::ZERO)
            .fault(FaultRule::always(Fault::ServerError).on(Route::User)),
    )
    .unwrap();
    let output = run(&["login", "--base-url", emulator.url(), "--json", "--no-qr"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["token"].as_str().map(str::len), Some(20));
    assert!(json["user"].is_null());
    assert!(text(&output.stderr).contains("warning"));
}

/// Item 10: a full or closed stdout is a clear error and exit 7, never a panic or a silent
/// success; a closed one is refused before any pin is created.
#[test]
fn a_broken_stdout_is_a_clear_error() {
    let scratch = scratch();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = plex_pin_in(
        scratch.path(),
        &["login", "--emulator", "--auto-approve", "0"],
    )
    .stdout(full)
    .output()
    .unwrap();
    no_panic(&output);
    assert_eq!(output.status.code(), Some(7), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("lost"));

    // `plex-pin login … | true`: the reader is gone when the token comes.
    let mut child = plex_pin_in(
        scratch.path(),
        &["login", "--emulator", "--auto-approve", "0.3"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(status.code(), Some(7), "{stderr}");

    // Standard output closed (`>&-`).
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "exec \"{}\" login --emulator --auto-approve 0 >&-",
            env!("CARGO_BIN_EXE_plex-pin")
        ))
        .env("PLEX_PIN_CONFIG_DIR", scratch.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(7), "{}", text(&output.stderr));
    assert!(
        !text(&output.stderr).contains("Open this link"),
        "refused before the pin"
    );
}

/// Issue #23, item 3: a full or closed stderr ends nothing: the login goes on and prints
/// its token (no panic, exit 0), with every kind of line it writes there on the way: the
/// pin, the retries, the account.
#[test]
fn a_broken_stderr_does_not_end_the_login() {
    let args = [
        "login",
        "--emulator",
        "--auto-approve",
        "0.3",
        "--emulator-fault",
        "500*1",
        "--poll-interval",
        "0.1",
    ];
    let token = |output: &std::process::Output| {
        let stdout = text(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "stdout: {stdout:?}");
        let token = stdout.strip_suffix('\n').expect("one line").to_owned();
        assert_eq!(token.len(), 20, "{stdout:?}");
    };
    let scratch = scratch();
    // `2>/dev/full`: every write fails with ENOSPC.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = plex_pin_in(scratch.path(), &args)
        .stdout(Stdio::piped())
        .stderr(full)
        .output()
        .unwrap();
    token(&output);

    // stderr a pipe whose reader is gone: every write fails with EPIPE.
    let mut child = plex_pin_in(scratch.path(), &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let output = child.wait_with_output().unwrap();
    token(&output);

    // And the last line, an error's, fails quietly too: the documented code, no panic.
    let output = plex_pin_in(scratch.path(), &["login", "--emulator", "--timeout", "0.2"])
        .stdout(Stdio::piped())
        .stderr(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(6));
}

/// Item 11: with every answer a 500, the error says so, not "gave up waiting for approval".
#[test]
fn a_deadline_cut_failure_streak_reports_the_failure() {
    let output = run(&[
        "login",
        "--emulator",
        "--emulator-fault",
        "500",
        "--timeout",
        "3",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("HTTP 500") && !stderr.contains("gave up waiting"),
        "{stderr}"
    );
}

/// Items 12, 13 and 16: bad numbers on the command line exit 2 with one clear line.
#[test]
fn bad_numbers_are_refused() {
    for args in [
        &["login", "--base-url", "http://127.0.0.1:99999"][..],
        &["login", "--base-url", "http://127.0.0.1:65536"],
        &["login", "--emulator", "--request-timeout", "0"],
        &["login", "--emulator", "--poll-interval", "0"],
        &["login", "--emulator", "--timeout", "0"],
        &["login", "--emulator", "--auto-approve", "1.8e19"],
        &["emulator", "--auto-approve", "1.8e19"],
        &["emulator", "--auto-approve", "NaN"],
    ] {
        let output = run(args);
        no_panic(&output);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
}

/// Item 14: stored files that are links to /dev/zero or FIFOs are refused at once; the
/// config directory is owner-only; a device key others can read is refused.
#[cfg(unix)]
#[test]
fn stored_files_are_read_bounded_and_private() {
    use std::os::unix::fs::PermissionsExt;

    let scratch = scratch();
    std::fs::create_dir_all(scratch.path()).unwrap();
    std::os::unix::fs::symlink("/dev/zero", scratch.path().join("client-id")).unwrap();
    let start = Instant::now();
    let output = plex_pin_in(scratch.path(), &["login", "--emulator"])
        .output()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("not a regular file"));

    std::fs::remove_file(scratch.path().join("client-id")).unwrap();
    let fifo = Command::new("mkfifo")
        .arg(scratch.path().join("client-id"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let start = Instant::now();
    let output = plex_pin_in(scratch.path(), &["login", "--emulator"])
        .output()
        .unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "a FIFO must not hang"
    );
    assert_eq!(output.status.code(), Some(1));

    std::fs::remove_file(scratch.path().join("client-id")).unwrap();
    std::fs::write(scratch.path().join("client-id"), "x".repeat(10_000)).unwrap();
    let output = plex_pin_in(scratch.path(), &["login", "--emulator"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("larger than"));

    let fresh = common::scratch();
    let nested = fresh.path().join("config");
    let output = plex_pin_in(
        &nested,
        &["login", "--emulator", "--auto-approve", "0", "--jwt"],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let mode = std::fs::metadata(&nested).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    // A device key others can read is refused (issue #23, item 5), naming the fix.
    let key = nested.join("device-key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = plex_pin_in(
        &nested,
        &["login", "--emulator", "--auto-approve", "0", "--jwt"],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("can be read or written by other users (mode 644)")
            && stderr.contains(&format!("chmod 600 {}", key.display())),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

/// Item 15: the token can come on standard input, out of sight of `ps`.
#[test]
fn a_token_can_be_read_from_stdin() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let token = emulator.issue_token();
    let scratch = scratch();
    let mut child = plex_pin_in(
        scratch.path(),
        &["whoami", "--base-url", emulator.url(), "--token", "-"],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    writeln!(child.stdin.take().unwrap(), "{token}").unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("emulated-user"));
}

/// Issue #23, item 14: `link` checks the code before anything else and does not echo what
/// it refuses, whatever its length; nothing reaches the server.
#[test]
fn link_refuses_a_bad_code_without_echoing_it_or_connecting() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let long = "x".repeat(100_000);
    for code in [long.as_str(), "ABCDE", "AB C", "\x1b[2JAB"] {
        let output = run(&["link", code, "--base-url", &url, "--token", "t0ken"]);
        no_panic(&output);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.len() < 200, "{} bytes: {stderr}", stderr.len());
        assert!(
            !stderr.contains("xxxx") && !stderr.contains("ABC"),
            "{stderr}"
        );
        assert!(stderr.contains("4 letters or digits"), "{stderr}");
    }
    assert!(
        listener.accept().is_err(),
        "no connection before the code is checked"
    );
}

/// Issue #23, item 4: each forged Plex JWT of the hostile server's JWT scenarios (unsigned,
/// signed by a key `/api/v2/auth/keys` does not list, expired, for another device, not a
/// JWT, 8 KB of junk) ends `login --jwt` and `refresh` in the verification's error: exit
/// non-zero, nothing on stdout, nothing stored beside the device's own files. The server
/// lists a well-formed key, so what refuses each one is the check of the JWT itself.
#[test]
fn login_jwt_and_refresh_refuse_every_forged_jwt_and_print_nothing() {
    let server = HostileServer::start().unwrap();
    for &scenario in Scenario::JWT_LOGIN {
        let url = server.base_url(scenario);
        let login = ["login", "--jwt", "--no-qr", "--base-url", &url];
        let refresh = ["refresh", "--base-url", &url];
        for args in [&login[..], &refresh[..]] {
            let scratch = scratch();
            let output = plex_pin_in(scratch.path(), args).output().unwrap();
            no_panic(&output);
            let stderr = text(&output.stderr);
            let what = format!("{} {}: {stderr}", scenario.name(), args[0]);
            assert_ne!(output.status.code(), Some(0), "{what}");
            assert!(output.stdout.is_empty(), "{what}");
            assert!(
                stderr.contains("the Plex JWT the server returned does not verify"),
                "{what}"
            );
            let mut stored: Vec<_> = std::fs::read_dir(scratch.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            stored.sort();
            assert_eq!(stored, [".lock", "client-id", "device-key"], "{what}");
        }
    }
}
