//! What a person sees: `plex-pin login` in a real 80×24 terminal (tmux), read back from the
//! screen. The QR code, the link and the code must all be visible at once, and the QR code
//! on screen must decode (as a phone would read it) to a URL that signs in.

mod common;

use std::process::Command;
use std::time::Duration;

/// The screen of `plex-pin login --emulator` in a detached tmux session of this size, a
/// moment after the pin is shown. `None` when tmux is missing (scripts/setup installs it).
fn screen(cols: u16, rows: u16) -> Option<Vec<String>> {
    let session = format!("plex-pin-test-{}-{cols}x{rows}", std::process::id());
    let config = common::scratch();
    let command = format!(
        "PLEX_PIN_CONFIG_DIR={} {} login --emulator --auto-approve 20; sleep 5",
        config.path().display(),
        env!("CARGO_BIN_EXE_plex-pin")
    );
    let started = Command::new("tmux")
        .args([
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            &cols.to_string(),
            "-y",
        ])
        .arg(rows.to_string())
        .arg(&command)
        .status()
        .ok()?;
    assert!(started.success(), "tmux could not start a session");
    let mut captured = Vec::new();
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &session])
            .output()
            .unwrap();
        captured = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        if captured.iter().any(|l| l.contains("waiting for approval")) {
            break;
        }
    }
    let _ = Command::new("tmux")
        .args(["kill-session", "-t", &session])
        .status();
    Some(captured)
}

/// The QR code's modules read from the screen: `█` both light, `▀` top light, `▄` bottom
/// light, a space both dark (light modules are drawn, for dark terminals).
fn decode(qr: &[String]) -> String {
    let width = qr[0].chars().take_while(|&c| c == '█').count();
    let scale = 4;
    let (w, h) = (width + 8, qr.len() * 2 + 8);
    let mut modules = vec![false; w * h]; // the terminal around it is dark
    for (y, line) in qr.iter().enumerate() {
        for (x, c) in line.chars().take(width).enumerate() {
            let (top, bottom) = match c {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                _ => (false, false),
            };
            modules[(2 * y + 4) * w + x + 4] = top;
            modules[(2 * y + 5) * w + x + 4] = bottom;
        }
    }
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w * scale, h * scale, |x, y| {
        if modules[(y / scale) * w + x / scale] {
            255
        } else {
            0
        }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on screen");
    grids[0].decode().expect("the QR code decodes").1
}

#[test]
fn qr_link_and_code_fit_an_80_by_24_terminal() {
    let Some(screen) = screen(80, 24) else {
        panic!("tmux is needed for this test (scripts/setup installs it)");
    };
    let text = screen.join("\n");
    let qr: Vec<String> = screen
        .iter()
        .take_while(|l| l.starts_with('█'))
        .cloned()
        .collect();
    assert!(qr.len() >= 17, "the QR code is drawn:\n{text}");
    let url = decode(&qr);
    assert!(
        url.contains("/auth#?clientID=") && url.contains("&code="),
        "{url}"
    );
    let code = url.rsplit("code=").next().unwrap();
    assert_eq!(code.len(), 25);
    assert!(
        text.contains(&format!("Code: {code}")),
        "the code is on screen:\n{text}"
    );
    // The link beside the QR code, wrapped: joined, it is the URL the QR code holds.
    let width = qr[0].chars().take_while(|&c| c == '█').count();
    let column: String = screen
        .iter()
        .map(|l| {
            l.chars()
                .skip(width + 2)
                .collect::<String>()
                .trim()
                .to_owned()
        })
        .collect();
    assert!(column.contains(&url), "the link is on screen:\n{text}");
    assert!(text.contains("waiting for approval"), "{text}");
}

#[test]
fn a_terminal_too_small_gets_a_note_instead_of_the_qr_code() {
    let Some(screen) = screen(60, 16) else {
        panic!("tmux is needed for this test (scripts/setup installs it)");
    };
    let text = screen.join("\n");
    assert!(text.contains("too small for the QR code"), "{text}");
    assert!(!text.contains("███"), "{text}");
    assert!(text.contains("Code: "), "{text}");
}

/// A detached tmux session running a shell command, killed when dropped.
struct Tmux(String);

impl Tmux {
    /// `None` when tmux is missing.
    fn start(name: &str, command: &str) -> Option<Self> {
        let session = format!("plex-pin-test-{}-{name}", std::process::id());
        let started = Command::new("tmux")
            .args(["new-session", "-d", "-s", &session, "-x", "80", "-y", "24"])
            .arg(command)
            .status()
            .ok()?;
        assert!(started.success(), "tmux could not start a session");
        Some(Self(session))
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.0])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen once it contains `text`, within 10 s.
    fn wait_for(&self, text: &str) -> String {
        for _ in 0..100 {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("`{text}` never showed:\n{}", self.screen());
    }

    fn keys(&self, keys: &str) {
        let sent = Command::new("tmux")
            .args(["send-keys", "-t", &self.0, keys])
            .status()
            .unwrap();
        assert!(sent.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .status();
    }
}

/// Ctrl-C in a real terminal while the login waits (issue #23, item 2): the SIGINT the
/// terminal sends cancels it, says so, and exits 130.
#[test]
fn ctrl_c_in_a_terminal_cancels_the_login_and_says_so() {
    let config = common::scratch();
    let command = format!(
        "PLEX_PIN_CONFIG_DIR={} {} login --emulator --no-qr; echo exit=$?; sleep 10",
        config.path().display(),
        env!("CARGO_BIN_EXE_plex-pin")
    );
    let Some(tmux) = Tmux::start("ctrl-c", &command) else {
        panic!("tmux is needed for this test (scripts/setup installs it)");
    };
    tmux.wait_for("waiting for approval");
    tmux.keys("C-c");
    let screen = tmux.wait_for("exit=");
    assert!(
        screen.contains("plex-pin: cancelled (SIGINT); no token was received"),
        "{screen}"
    );
    assert!(screen.contains("exit=130"), "{screen}");
}

/// The countdown follows the login's own waits (its deadline is the earlier of the pin's
/// expiry and `--timeout`), and moves: no thread of the CLI's own keeps it.
#[test]
fn the_countdown_shows_the_time_left_and_moves() {
    let config = common::scratch();
    let command = format!(
        "PLEX_PIN_CONFIG_DIR={} {} login --emulator --no-qr --timeout 100; sleep 10",
        config.path().display(),
        env!("CARGO_BIN_EXE_plex-pin")
    );
    let Some(tmux) = Tmux::start("countdown", &command) else {
        panic!("tmux is needed for this test (scripts/setup installs it)");
    };
    let first = tmux.wait_for(" left");
    let left = |screen: &str| {
        let line = screen
            .lines()
            .find(|l| l.contains(" left"))
            .unwrap_or_default();
        let time = line
            .split_whitespace()
            .rev()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let (m, s) = time.split_once(':').unwrap_or(("x", "x"));
        m.parse::<u64>()
            .ok()
            .zip(s.parse::<u64>().ok())
            .map(|(m, s)| m * 60 + s)
    };
    let start = left(&first).unwrap_or_else(|| panic!("no m:ss countdown:\n{first}"));
    assert!(
        (95..=100).contains(&start),
        "--timeout 100 bounds it:\n{first}"
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let later = left(&tmux.screen()).unwrap_or(start);
    assert!(later < start, "the countdown moves: {start} then {later}");
}

/// Ctrl-C in a real terminal after approval, while the account is read (issue #23's
/// done-when): the token is printed all the same.
#[test]
fn ctrl_c_during_the_account_lookup_prints_the_token() {
    use plex_pin_emulator::{Emulator, Fault, FaultRule, Options, Route};

    let emulator = Emulator::start(
        Options::default()
            .auto_approve(Duration::ZERO)
            .fault(FaultRule::always(Fault::Slow(Duration::from_secs(60))).on(Route::User)),
    )
    .unwrap();
    let config = common::scratch();
    let command = format!(
        "PLEX_PIN_CONFIG_DIR={} {} login --base-url {} --no-qr --poll-interval 0.1; \
         echo exit=$?; sleep 10",
        config.path().display(),
        env!("CARGO_BIN_EXE_plex-pin"),
        emulator.url()
    );
    let Some(tmux) = Tmux::start("ctrl-c-account", &command) else {
        panic!("tmux is needed for this test (scripts/setup installs it)");
    };
    for _ in 0..100 {
        if emulator.stats().on_route("user").next().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(emulator.stats().on_route("user").next().is_some());
    tmux.keys("C-c");
    let screen = tmux.wait_for("exit=");
    // The message wraps at 80 columns.
    assert!(
        screen
            .replace('\n', "")
            .contains("the token was issued and is printed"),
        "{screen}"
    );
    assert!(screen.contains("exit=130"), "{screen}");
    // The terminal echoes ^C where the cursor was: before the token.
    let token = screen
        .lines()
        .map(|l| l.trim_start_matches("^C"))
        .find(|l| l.len() == 20 && l.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(token.is_some(), "the token is on screen:\n{screen}");
}
