//! What the person sees on stderr while a login waits: code, link, QR code, countdown, and
//! what the login is retrying after.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use plex_pin::{Pin, PinKind, User};
use qrcode::{Color, EcLevel, QrCode};

use crate::stderr::say;
use crate::terminal::safe;

/// The login's screen. Clones share the spinner, so that the thread that waits for a
/// signal can clear what the login thread drew.
#[derive(Clone)]
pub struct Prompt {
    qr: bool,
    /// Hidden until the pin is shown; stays hidden when stderr is no terminal.
    spinner: ProgressBar,
}

impl Prompt {
    pub fn new(qr: bool) -> Self {
        Self {
            qr,
            spinner: ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()),
        }
    }

    /// Shows the pin once it exists, then a spinner with the time left until `expires_at`
    /// (the core's deadline for the pin; [`waiting`](Self::waiting) keeps it current).
    /// `qr_url` is the shortest URL that signs in, for the QR code; `url` the link to show.
    pub fn show(&mut self, pin: &Pin, url: &str, qr_url: &str, expires_at: Instant) {
        let (code, url) = (safe(&pin.code), safe(url));
        let (intro, outro) = match pin.kind() {
            PinKind::Link => (
                format!("Enter the code {code} at"),
                "(signed in to Plex on any device)".to_owned(),
            ),
            _ => (
                "Open this link to sign in to Plex:".to_owned(),
                format!("Code: {code}"),
            ),
        };
        let terminal = std::io::stderr().is_terminal();
        let size = console::Term::stderr().size_checked();
        let qr = match (self.qr && terminal, size) {
            (true, Some((rows, cols))) => {
                qr_lines(qr_url).map(|art| (art, rows as usize, cols as usize))
            }
            _ => None,
        };
        match qr {
            None => say!("{intro}\n\n  {url}\n\n{outro}"),
            Some((art, rows, cols)) => {
                let qr_width = art.first().map_or(0, |l| l.chars().count());
                // One row is kept for the spinner below.
                let stacked = art.len() + 5 + url.chars().count().div_ceil(cols.max(1));
                let text_width = cols.saturating_sub(qr_width + 2);
                if stacked < rows {
                    say!("{intro}\n\n  {url}\n\n{outro}\n\n{}", art.join("\n"));
                } else if text_width >= 30 && art.len() < rows {
                    // Beside the QR code: the shortest link, wrapped to the column left.
                    let link = safe(qr_url);
                    let intro = match pin.kind() {
                        PinKind::Link => format!("Enter {code} at"),
                        _ => "Sign in to Plex at".to_owned(),
                    };
                    let mut text = wrap(&intro, text_width);
                    text.push(String::new());
                    text.extend(wrap(&link, text_width));
                    text.push(String::new());
                    text.extend(wrap(&outro, text_width));
                    for (i, line) in art.iter().enumerate() {
                        say!("{line}  {}", text.get(i).map_or("", String::as_str));
                    }
                    for line in text.iter().skip(art.len()) {
                        say!("{:qr_width$}  {line}", "");
                    }
                } else {
                    say!(
                        "{intro}\n\n  {url}\n\n{outro}\n(the terminal is too small for the QR code: it needs {}×{})",
                        qr_width + 32,
                        art.len() + 1
                    );
                }
            }
        }
        let spinner = &self.spinner;
        // indicatif drops its own write errors: a broken stderr stops the drawing only.
        spinner.set_draw_target(ProgressDrawTarget::stderr());
        spinner.set_style(
            ProgressStyle::with_template("{spinner} waiting for approval… {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        spinner.enable_steady_tick(Duration::from_millis(120));
        self.waiting(Some(expires_at));
    }

    /// Shows the time left before `deadline` (the pin's expiry or `--timeout`, whichever
    /// comes first): the login reports it at every wait, about once a poll.
    pub fn waiting(&mut self, deadline: Option<Instant>) {
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now()).as_secs();
            self.spinner
                .set_message(format!("{}:{:02} left", left / 60, left % 60));
        }
    }

    /// Says why an attempt failed and when the next one goes out.
    pub fn retrying(&mut self, reason: &str, at: Instant) {
        let secs = at.saturating_duration_since(Instant::now()).as_secs_f64();
        let line = format!("{}; retrying in {secs:.0} s", safe(reason));
        // A hidden spinner (no pin yet, or stderr no terminal) prints nothing.
        if self.spinner.is_hidden() {
            say!("{line}");
        } else {
            self.spinner.println(line);
        }
    }

    /// Clears the spinner (again if it was: a no-op).
    pub fn finish(&self) {
        self.spinner.finish_and_clear();
    }
}

/// The QR code of `url` as text lines, two module rows per line, inverted for dark
/// terminals (light modules drawn as blocks), with a quiet zone of 2 modules: phone
/// scanners read that reliably, and the standard's 4 would make a plex.tv link too tall
/// for 24 rows. Drawn here rather than by qrcode's renderer, whose padding of an odd last
/// row is a dark line against the code.
fn qr_lines(url: &str) -> Option<Vec<String>> {
    const QUIET: usize = 2;
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::L).ok()?;
    let modules = code.width();
    let colors = code.to_colors();
    let size = modules + 2 * QUIET;
    // Light (true) outside the code, so the quiet zone and any padding row are light.
    let light = |x: usize, y: usize| {
        let inside = (QUIET..QUIET + modules).contains(&x) && (QUIET..QUIET + modules).contains(&y);
        !inside || colors[(y - QUIET) * modules + (x - QUIET)] == Color::Light
    };
    let lines = (0..size)
        .step_by(2)
        .map(|y| {
            (0..size)
                .map(|x| match (light(x, y), light(x, y + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                })
                .collect()
        })
        .collect();
    Some(lines)
}

/// `text` in lines of at most `width` characters (cut anywhere: it is mostly a URL).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(width.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

/// The account fields a script may want, as JSON (which escapes control characters).
pub fn user_json(user: &User) -> serde_json::Value {
    serde_json::json!({
        "id": user.id,
        "uuid": user.uuid,
        "username": user.username,
        "title": user.title,
        "email": user.email,
        "thumb": user.thumb,
        "subscription": user.subscription.as_ref().map(|s| serde_json::json!({
            "active": s.active, "status": s.status, "plan": s.plan,
        })),
    })
}
