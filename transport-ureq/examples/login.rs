//! Sign in with the blocking transport.
//!
//! `cargo run -p plex-pin-ureq --example ureq-login` runs against an embedded emulator that
//! approves by itself after 1 s; pass a base URL (e.g. a running `plex-pin emulator`) to
//! use that server instead.

use plex_pin::{Call, ClientId, Config, LoginOptions};
use plex_pin_emulator::{Emulator, Options};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let embedded;
    let base_url = match std::env::args().nth(1) {
        Some(url) => url,
        None => {
            embedded = Emulator::start(
                Options::default().auto_approve(std::time::Duration::from_secs(1)),
            )?;
            embedded.url().to_owned()
        }
    };
    let config = Config::builder("plex-pin ureq example", ClientId::generate())
        .base_url(&base_url)
        .auth_app_url(format!("{base_url}/auth"))
        .build()?;
    let client = plex_pin_ureq::Client::new(config)?;
    let token = client.login(LoginOptions::default(), |pin, url| {
        eprintln!("Open {url}\nCode: {}", pin.code);
    })?;
    let user = client.call(Call::user(client.config(), &token))?;
    eprintln!("Signed in as {}", user.display_name().unwrap_or("?"));
    println!("{}", token.expose_secret());
    Ok(())
}
