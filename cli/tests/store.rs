//! The config directory (issue #23, items 5 to 7): trusted only when no one else can write
//! it; its files written whole, agreed on by processes that start together, and repaired
//! when cut short; a client identifier refused, not trimmed, naming where it came from.
#![cfg(unix)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use common::{no_panic, plex_pin_in, scratch, text};
use plex_pin_emulator::{Emulator, Options};

/// `plex-pin whoami` with `dir` as its config directory against `emulator`: it reads (or
/// makes) the client identifier, then plex.tv refuses the token (exit 3). A failure of the
/// store is another code (1), so the two cannot be mistaken.
fn whoami(dir: &Path, emulator: &Emulator) -> Output {
    plex_pin_in(
        dir,
        &["whoami", "--base-url", emulator.url(), "--token", "bogus"],
    )
    .output()
    .unwrap()
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// The identifiers the emulator received, in order.
fn ids_seen(emulator: &Emulator) -> Vec<String> {
    emulator
        .stats()
        .on_route("user")
        .map(|r| r.header("x-plex-client-identifier").unwrap().to_owned())
        .collect()
}

/// A refusal: exit 1, the expected words on stderr, nothing sent to plex.tv.
fn assert_refused(output: &Output, emulator: &Emulator, words: &[&str]) {
    no_panic(output);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    for word in words {
        assert!(stderr.contains(word), "`{word}` in: {stderr}");
    }
    assert!(ids_seen(emulator).is_empty(), "nothing reaches plex.tv");
}

#[test]
fn a_config_dir_others_can_write_is_refused_with_the_fix() {
    let emulator = Emulator::start(Options::default()).unwrap();
    for mode in [0o777, 0o770, 0o720] {
        let scratch = scratch();
        let dir = scratch.path().join("config");
        fs::create_dir(&dir).unwrap();
        // Another user planted an identifier of their choosing.
        fs::write(dir.join("client-id"), "planted-by-someone-else\n").unwrap();
        set_mode(&dir.join("client-id"), 0o600);
        set_mode(&dir, mode);
        let output = whoami(&dir, &emulator);
        assert_refused(
            &output,
            &emulator,
            &[
                &format!("can be written by other users (mode {mode:o})"),
                &format!("chmod 700 {}", dir.display()),
            ],
        );
    }
}

#[test]
fn a_stored_file_others_can_write_is_refused_in_a_readable_dir() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let scratch = scratch();
    let dir = scratch.path();
    set_mode(dir, 0o755);
    let file = dir.join("client-id");
    fs::write(&file, "planted-by-someone-else\n").unwrap();
    for mode in [0o666, 0o620, 0o602] {
        set_mode(&file, mode);
        assert_refused(
            &whoami(dir, &emulator),
            &emulator,
            &[
                &format!("can be written by other users (mode {mode:o})"),
                &format!("chmod 600 {}", file.display()),
            ],
        );
    }
    // Readable by others is fine for the identifier (plex.tv sees it in clear anyway).
    set_mode(&file, 0o644);
    let output = whoami(dir, &emulator);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert_eq!(ids_seen(&emulator), ["planted-by-someone-else"]);
}

/// Needs root (to give a file away): skipped, saying so, otherwise.
#[test]
fn a_config_dir_or_file_of_another_user_is_refused() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let scratch = scratch();
    let dir = scratch.path().join("config");
    fs::create_dir(&dir).unwrap();
    set_mode(&dir, 0o700);
    if std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).is_err() {
        println!("SKIPPED: giving a directory to another user needs root");
        return;
    }
    assert_refused(
        &whoami(&dir, &emulator),
        &emulator,
        &["belongs to another user (uid 65534", "PLEX_PIN_CONFIG_DIR"],
    );
    std::os::unix::fs::chown(&dir, Some(0), Some(0)).unwrap();
    let file = dir.join("client-id");
    fs::write(&file, "planted-by-someone-else\n").unwrap();
    set_mode(&file, 0o600);
    std::os::unix::fs::chown(&file, Some(65534), Some(65534)).unwrap();
    assert_refused(
        &whoami(&dir, &emulator),
        &emulator,
        &[&format!("{} belongs to another user", file.display())],
    );
}

/// Twelve first runs at once on a fresh config directory, 100 times: every one succeeds
/// as far as the store goes, and all twelve use the one identifier that was stored.
#[test]
fn twelve_concurrent_first_runs_agree_on_one_identifier() {
    const RUNS: usize = 12;
    const ROUNDS: usize = 100;
    for round in 0..ROUNDS {
        let emulator = Emulator::start(Options::default()).unwrap();
        let scratch = scratch();
        let dir = scratch.path().join("config");
        let children: Vec<_> = (0..RUNS)
            .map(|_| {
                plex_pin_in(
                    &dir,
                    &["whoami", "--base-url", emulator.url(), "--token", "bogus"],
                )
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert_eq!(
                output.status.code(),
                Some(3),
                "round {round}: {}",
                text(&output.stderr)
            );
        }
        let stored = fs::read_to_string(dir.join("client-id")).unwrap();
        let stored = stored.strip_suffix('\n').expect("a whole file");
        let seen = ids_seen(&emulator);
        assert_eq!(seen.len(), RUNS, "round {round}");
        assert!(
            seen.iter().all(|id| id == stored),
            "round {round}: {seen:?}"
        );
    }
}

/// A file cut short by a crash or a full disk (empty, or without the final newline plex-pin
/// writes), and a temporary file left behind, are replaced with a warning; every later run
/// then agrees with the repaired file.
#[test]
fn a_stored_file_cut_short_is_replaced_with_a_warning() {
    let emulator = Emulator::start(Options::default()).unwrap();
    for (content, why) in [
        ("", "was empty; replacing it"),
        (
            "3f2a9c1e-7d",
            "was cut short (no final newline); replacing it",
        ),
    ] {
        let scratch = scratch();
        let dir = scratch.path();
        let file = dir.join("client-id");
        fs::write(&file, content).unwrap();
        set_mode(&file, 0o600);
        // The temporary file of a write that died: not trusted, not reused.
        fs::write(dir.join(".client-id.new"), "junk").unwrap();
        set_mode(&dir.join(".client-id.new"), 0o644);
        let first = whoami(dir, &emulator);
        assert_eq!(first.status.code(), Some(3), "{}", text(&first.stderr));
        assert!(
            text(&first.stderr).contains(&format!("{} {why}", file.display())),
            "{}",
            text(&first.stderr)
        );
        let stored = fs::read_to_string(&file).unwrap();
        assert_eq!(
            stored.len(),
            37,
            "a new identifier and its newline: {stored:?}"
        );
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(!dir.join(".client-id.new").exists());
        let again = whoami(dir, &emulator);
        assert_eq!(again.status.code(), Some(3));
        assert!(!text(&again.stderr).contains("warning"), "repaired once");
        let seen = ids_seen(&emulator);
        let last_two = &seen[seen.len() - 2..];
        assert_eq!(last_two, [stored.trim_end(), stored.trim_end()]);
    }
}

/// A client identifier plex.tv would refuse is refused here, not trimmed or fixed, with
/// where it came from: the flag, the environment or the file.
#[test]
fn a_bad_client_identifier_names_where_it_came_from() {
    assert_bad_client_id(" \t ", "X-Plex-Client-Identifier");
}

/// Surrounding spaces are the value's: only the newline plex-pin writes is taken off the
/// file; the core's `ClientId::new` refuses them.
#[test]
fn a_client_identifier_with_spaces_is_refused_not_trimmed() {
    assert_bad_client_id(" abc", "X-Plex-Client-Identifier");
    assert_bad_client_id("abc ", "X-Plex-Client-Identifier");
}

fn assert_bad_client_id(value: &str, words: &str) {
    let emulator = Emulator::start(Options::default()).unwrap();
    let scratch = scratch();
    let dir = scratch.path();
    let from_flag = plex_pin_in(
        dir,
        &[
            "whoami",
            "--base-url",
            emulator.url(),
            "--token",
            "bogus",
            "--client-id",
            value,
        ],
    )
    .output()
    .unwrap();
    let from_env = plex_pin_in(
        dir,
        &["whoami", "--base-url", emulator.url(), "--token", "bogus"],
    )
    .env("PLEX_PIN_CLIENT_ID", value)
    .output()
    .unwrap();
    for (output, origin) in [
        (from_flag, "--client-id: "),
        (from_env, "PLEX_PIN_CLIENT_ID: "),
    ] {
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.starts_with(&format!("plex-pin: {origin}")) && stderr.contains(words),
            "{stderr}"
        );
    }
    let file = dir.join("client-id");
    fs::write(&file, format!("{value}\n")).unwrap();
    set_mode(&file, 0o600);
    let output = whoami(dir, &emulator);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{} is not valid", file.display())) && stderr.contains(words),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        format!("{value}\n"),
        "left as it was"
    );
    assert!(ids_seen(&emulator).is_empty(), "nothing reaches plex.tv");
}
