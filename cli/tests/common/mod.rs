//! What the CLI's test files share: the `plex-pin` command with a private config directory,
//! and the checks on what it printed.
#![allow(dead_code)] // Each test file uses its own part.

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

/// A fresh directory under the target dir's scratch space, removed when dropped.
pub fn scratch() -> TempDir {
    tempfile::Builder::new()
        .prefix("plex-pin-cli-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

/// `plex-pin ARGS` with `dir` as its config directory, no token in the environment and
/// nothing on stdin.
pub fn plex_pin_in(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plex-pin"));
    command
        .args(args)
        .env("PLEX_PIN_CONFIG_DIR", dir)
        .env_remove("PLEX_TOKEN")
        .env_remove("PLEX_PIN_CLIENT_ID")
        .stdin(Stdio::null());
    command
}

/// A `plex-pin` command with a private config directory, so tests never touch the user's;
/// the directory goes when this does (keep it alive while a spawned child runs).
pub struct PlexPin {
    command: Command,
    _config: TempDir,
}

impl Deref for PlexPin {
    type Target = Command;
    fn deref(&self) -> &Command {
        &self.command
    }
}

impl DerefMut for PlexPin {
    fn deref_mut(&mut self) -> &mut Command {
        &mut self.command
    }
}

pub fn plex_pin(args: &[&str]) -> PlexPin {
    let config = scratch();
    PlexPin {
        command: plex_pin_in(config.path(), args),
        _config: config,
    }
}

pub fn run(args: &[&str]) -> Output {
    plex_pin(args).output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// No panic, no backtrace.
pub fn no_panic(output: &Output) {
    let stderr = text(&output.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
}

/// Errors are one line, never a panic or a debug dump, with the documented exit code.
pub fn assert_clean_error(output: &Output, code: i32) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    no_panic(output);
    let last = stderr.lines().last().unwrap_or("");
    assert!(
        last.starts_with("plex-pin: ") || last.starts_with("error: ") || stderr.contains("Usage:"),
        "{stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "nothing on stdout: {}",
        text(&output.stdout)
    );
}

/// Sends `signal` (`INT`, `TERM`, `HUP`) to a child, with kill(1).
#[cfg(unix)]
pub fn kill(child: &std::process::Child, signal: &str) {
    let sent = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{signal}");
}

/// The child's output once it exits, or a failed test if it runs longer than `limit`
/// (killed first, so that no test leaves a process behind). Stdout and stderr must be
/// piped; they are read as the child writes them.
pub fn finish_within(mut child: std::process::Child, limit: std::time::Duration) -> Output {
    use std::io::Read;
    let mut pipes = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .map(|pipe| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    })
    .into_iter();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let stdout = pipes.next().unwrap().join().unwrap();
    let stderr = pipes.next().unwrap().join().unwrap();
    Output {
        status,
        stdout,
        stderr,
    }
}
