//! The `plex-pin` binary driven as a process against the emulator.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{assert_clean_error, plex_pin, run, scratch, text};
use plex_pin_emulator::{Emulator, Options};

#[test]
fn readme_command_prints_exactly_a_token() {
    let output = run(&["login", "--emulator", "--auto-approve", "0.5"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let token = stdout.strip_suffix('\n').expect("one line");
    assert_eq!(token.len(), 20, "{stdout:?}");
    assert!(
        token.chars().all(|c| c.is_ascii_alphanumeric()),
        "{stdout:?}"
    );
    let stderr = text(&output.stderr);
    assert!(stderr.contains("/auth#?clientID="));
    assert!(!stderr.contains(token), "the token went to stderr too");
}

#[test]
fn approved_against_an_external_emulator_and_the_token_checks_valid() {
    let emulator =
        Emulator::start(Options::default().auto_approve(Duration::from_millis(300))).unwrap();
    let output = run(&[
        "login",
        "--base-url",
        emulator.url(),
        "--no-qr",
        "--poll-interval",
        "0.1",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let token = text(&output.stdout).trim_end().to_owned();
    let whoami = run(&["whoami", "--base-url", emulator.url(), "--token", &token]);
    assert_eq!(whoami.status.code(), Some(0), "{}", text(&whoami.stderr));
    assert!(text(&whoami.stdout).contains("username: emulated-user"));
    // The token went on the wire as a header, and the emulator saw the CLI's identity.
    let seen = emulator.stats();
    let create = seen.on_route("create_pin").next().unwrap();
    assert_eq!(create.header("x-plex-product"), Some("plex-pin CLI"));
    assert!(create
        .header("x-plex-client-identifier")
        .is_some_and(|id| id.len() == 36));
}

#[test]
fn json_output_carries_the_user() {
    let output = run(&[
        "login",
        "--emulator",
        "--auto-approve",
        "0.2",
        "--link",
        "--json",
        "--poll-interval",
        "0.1",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["user"]["username"], "emulated-user");
    assert_eq!(value["token"].as_str().unwrap().len(), 20);
    assert!(text(&output.stderr).contains("Enter the code"));
}

#[test]
fn denied() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let mut command = plex_pin(&[
        "login",
        "--base-url",
        emulator.url(),
        "--poll-interval",
        "0.1",
    ]);
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let id = loop {
        if let Some(id) = emulator.pin_ids().first() {
            break *id;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no pin created"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(emulator.deny(id));
    let output = child.wait_with_output().unwrap();
    assert_clean_error(&output, 5);
    assert!(text(&output.stderr).contains("denied"));
}

#[test]
fn expired() {
    let emulator =
        Emulator::start(Options::default().pin_lifetime(Duration::from_secs(1))).unwrap();
    let output = run(&[
        "login",
        "--base-url",
        emulator.url(),
        "--poll-interval",
        "0.2",
    ]);
    assert_clean_error(&output, 5);
    assert!(text(&output.stderr).contains("expired"));
}

#[test]
fn rate_limited_is_a_clear_error() {
    let output = run(&[
        "login",
        "--emulator",
        "--emulator-fault",
        "429",
        "--poll-interval",
        "0.05",
    ]);
    assert_clean_error(&output, 1);
    assert!(
        text(&output.stderr).contains("rate limited"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn whoami_tells_valid_invalid_and_unknown_apart() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let token = emulator.issue_token();
    let valid = plex_pin(&["whoami", "--base-url", emulator.url(), "--json"])
        .env("PLEX_TOKEN", &token)
        .output()
        .unwrap();
    assert_eq!(valid.status.code(), Some(0));
    let account: serde_json::Value = serde_json::from_slice(&valid.stdout).unwrap();
    assert_eq!(account["id"], 4_242_424);

    let invalid = run(&[
        "whoami",
        "--base-url",
        emulator.url(),
        "--token",
        "bogus-token",
    ]);
    assert_clean_error(&invalid, 3);
    emulator.revoke(&token);
    assert_clean_error(
        &run(&["whoami", "--base-url", emulator.url(), "--token", &token]),
        3,
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let unknown = run(&[
        "whoami",
        "--base-url",
        &format!("http://{closed}"),
        "--token",
        "abc",
    ]);
    assert_clean_error(&unknown, 4);
}

#[test]
fn bad_flags_exit_2_with_one_clear_line() {
    for args in [
        &["login", "--auto-approve", "1"][..],
        &["whoami"],
        &["login", "--base-url", "http://plex.tv"],
        &["login", "--emulator", "--timeout", "-3"],
        &["login", "--product", ""],
        &["login", "--emulator", "--emulator-fault", "teapot"],
        &[
            "login",
            "--emulator",
            "--device-name",
            "tv\r\nX-Plex-Token: stolen",
        ],
        &["frobnicate"],
    ] {
        let output = run(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&output.stderr)
        );
        assert!(output.stdout.is_empty());
        assert!(!text(&output.stderr).contains("panicked"));
    }
}

#[test]
fn the_client_identifier_is_generated_once_and_kept() {
    let scratch = scratch();
    let dir = scratch.path();
    let emulator = Emulator::start(Options::default().auto_approve(Duration::ZERO)).unwrap();
    for _ in 0..2 {
        let status = plex_pin(&[
            "login",
            "--base-url",
            emulator.url(),
            "--poll-interval",
            "0.05",
        ])
        .env("PLEX_PIN_CONFIG_DIR", dir)
        .output()
        .unwrap();
        assert_eq!(status.status.code(), Some(0));
    }
    let stored = std::fs::read_to_string(dir.join("client-id")).unwrap();
    let ids: Vec<_> = emulator
        .stats()
        .on_route("create_pin")
        .map(|r| r.header("x-plex-client-identifier").unwrap().to_owned())
        .collect();
    assert_eq!(ids, [stored.trim(), stored.trim()]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("client-id"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn jwt_login_keeps_a_device_key_and_refresh_renews_the_token() {
    let scratch = scratch();
    let dir = scratch.path();
    let emulator =
        Emulator::start(Options::default().auto_approve(Duration::from_millis(200))).unwrap();
    let run_in = |args: &[&str]| {
        plex_pin(args)
            .env("PLEX_PIN_CONFIG_DIR", dir)
            .output()
            .unwrap()
    };
    let login = run_in(&[
        "login",
        "--jwt",
        "--base-url",
        emulator.url(),
        "--poll-interval",
        "0.1",
    ]);
    assert_eq!(login.status.code(), Some(0), "{}", text(&login.stderr));
    let jwt = text(&login.stdout).trim_end().to_owned();
    assert_eq!(jwt.split('.').count(), 3, "a Plex JWT: {jwt}");
    assert!(!text(&login.stderr).contains(&jwt));
    let polls: Vec<_> = emulator
        .stats()
        .on_route("check_pin")
        .map(|r| r.path.clone())
        .collect();
    assert!(polls.iter().all(|p| p.contains("?deviceJWT=")), "{polls:?}");

    let key_file = dir.join("device-key");
    let seed = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(seed.trim().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let refresh = run_in(&["refresh", "--base-url", emulator.url()]);
    assert_eq!(refresh.status.code(), Some(0), "{}", text(&refresh.stderr));
    let renewed = text(&refresh.stdout).trim_end().to_owned();
    assert_eq!(renewed.split('.').count(), 3);
    assert_ne!(renewed, jwt);
    let whoami = run_in(&["whoami", "--base-url", emulator.url(), "--token", &renewed]);
    assert_eq!(whoami.status.code(), Some(0), "{}", text(&whoami.stderr));

    // A device whose key plex.tv does not know cannot refresh.
    let stranger = plex_pin(&["refresh", "--base-url", emulator.url()])
        .output()
        .unwrap();
    assert_clean_error(&stranger, 1);
    assert!(text(&stranger.stderr).contains("login --jwt"));
}

#[test]
fn link_approves_another_devices_code() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let mut command = plex_pin(&[
        "login",
        "--link",
        "--base-url",
        emulator.url(),
        "--poll-interval",
        "0.1",
    ]);
    let tv = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let code = loop {
        if let Some(code) = emulator
            .pin_ids()
            .first()
            .and_then(|id| emulator.pin_code(*id))
        {
            break code;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no pin created"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let account = emulator.issue_token();
    let refused = run(&[
        "link",
        &code,
        "--base-url",
        emulator.url(),
        "--token",
        "bogus-token",
    ]);
    assert_clean_error(&refused, 3);
    let unknown = run(&[
        "link",
        "ZZZZ",
        "--base-url",
        emulator.url(),
        "--token",
        &account,
    ]);
    assert_clean_error(&unknown, 5);
    let bad_code = run(&[
        "link",
        "ABCDEFGH",
        "--base-url",
        emulator.url(),
        "--token",
        &account,
    ]);
    assert_clean_error(&bad_code, 2);
    let linked = run(&[
        "link",
        &code.to_lowercase(),
        "--base-url",
        emulator.url(),
        "--token",
        &account,
    ]);
    assert_eq!(linked.status.code(), Some(0), "{}", text(&linked.stderr));
    let tv = tv.wait_with_output().unwrap();
    assert_eq!(tv.status.code(), Some(0), "{}", text(&tv.stderr));
    assert_eq!(text(&tv.stdout).trim_end().len(), 20);
}
