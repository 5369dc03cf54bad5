//! What the person sees on stderr while a login waits: code, link, QR code, countdown, and
//! what the login is retrying after.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use plex_pin::{Pin, PinKind, User};
use qrcode::render::unicode::Dense1x2;
use qrcode::QrCode;

use crate::terminal::safe;

pub struct Prompt {
    qr: bool,
    spinner: Option<ProgressBar>,
    /// Why the login is about to wait instead of polling on time, until it says so.
    retry: Option<String>,
}

impl Prompt {
    pub fn new(qr: bool) -> Self {
        Self {
            qr,
            spinner: None,
            retry: None,
        }
    }

    /// Shows the pin once it exists, then a spinner with the time left until `expires_at`
    /// (the core's deadline for the pin).
    pub fn show(&mut self, pin: &Pin, url: &str, expires_at: Option<Instant>) {
        let (code, url) = (safe(&pin.code), safe(url));
        match pin.kind() {
            PinKind::Link => {
                eprintln!("Enter the code {code} at {url}\n(signed in to Plex on any device)")
            }
            _ => eprintln!("Open this link to sign in to Plex:\n\n  {url}\n\nCode: {code}"),
        }
        let terminal = std::io::stderr().is_terminal();
        if self.qr && terminal {
            if let Ok(code) = QrCode::new(url.as_bytes()) {
                let art = code
                    .render::<Dense1x2>()
                    .dark_color(Dense1x2::Light)
                    .light_color(Dense1x2::Dark)
                    .quiet_zone(true)
                    .build();
                eprintln!("\n{art}");
            }
        }
        let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        spinner.set_style(
            ProgressStyle::with_template("{spinner} waiting for approval… {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        spinner.enable_steady_tick(Duration::from_millis(120));
        if let Some(deadline) = expires_at {
            let ticker = spinner.clone();
            std::thread::spawn(move || {
                while !ticker.is_finished() {
                    let left = deadline.saturating_duration_since(Instant::now()).as_secs();
                    ticker.set_message(format!("{}:{:02} left", left / 60, left % 60));
                    std::thread::sleep(Duration::from_millis(500));
                }
            });
        }
        self.spinner = Some(spinner);
    }

    /// Notes a failure the login will retry after; said once the wait is known.
    pub fn retrying(&mut self, reason: &str) {
        self.retry = Some(reason.to_owned());
    }

    /// Says why the login waits until `at`, if it waits because of a failure.
    pub fn waiting_until(&mut self, at: Instant) {
        let Some(reason) = self.retry.take() else {
            return;
        };
        let secs = at.saturating_duration_since(Instant::now()).as_secs_f64();
        let line = format!("{}; retrying in {secs:.0} s", safe(&reason));
        match &self.spinner {
            Some(spinner) => spinner.println(line),
            None => eprintln!("{line}"),
        }
    }

    /// Clears the spinner.
    pub fn finish(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
    }
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
