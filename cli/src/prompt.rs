//! What the person sees on stderr while a login waits: code, link, QR code, countdown.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use plex_pin::{Pin, PinKind, User};
use qrcode::render::unicode::Dense1x2;
use qrcode::QrCode;

pub struct Prompt {
    qr: bool,
    spinner: Option<ProgressBar>,
}

impl Prompt {
    pub fn new(qr: bool) -> Self {
        Self { qr, spinner: None }
    }

    /// Shows the pin once it exists, then a spinner with the time left.
    pub fn show(&mut self, pin: &Pin, url: &str) {
        match pin.kind() {
            PinKind::Link => eprintln!(
                "Enter the code {} at {url}\n(signed in to Plex on any device)",
                pin.code
            ),
            _ => eprintln!(
                "Open this link to sign in to Plex:\n\n  {url}\n\nCode: {}",
                pin.code
            ),
        }
        let terminal = std::io::stderr().is_terminal();
        if self.qr && terminal {
            if let Ok(code) = QrCode::new(url) {
                let art = code
                    .render::<Dense1x2>()
                    .dark_color(Dense1x2::Light)
                    .light_color(Dense1x2::Dark)
                    .quiet_zone(true)
                    .build();
                eprintln!("\n{art}");
            }
        }
        let lifetime =
            Duration::from_secs(pin.expires_in.unwrap_or(pin.kind().default_lifetime_secs()));
        let deadline = Instant::now() + lifetime;
        let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        spinner.set_style(
            ProgressStyle::with_template("{spinner} waiting for approval… {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        spinner.enable_steady_tick(Duration::from_millis(120));
        let ticker = spinner.clone();
        std::thread::spawn(move || {
            while !ticker.is_finished() {
                let left = deadline.saturating_duration_since(Instant::now()).as_secs();
                ticker.set_message(format!("{}:{:02} left", left / 60, left % 60));
                std::thread::sleep(Duration::from_millis(500));
            }
        });
        self.spinner = Some(spinner);
    }

    /// Clears the spinner.
    pub fn finish(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
    }
}

/// The account fields a script may want, as JSON.
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
