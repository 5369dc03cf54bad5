//! Sign in with the reqwest transport.
//!
//! `cargo run -p plex-pin-reqwest --example reqwest-login` runs against an embedded emulator
//! that approves by itself after 1 s; pass a base URL (e.g. a running `plex-pin emulator`)
//! to use that server instead. The token goes to stdout, everything else to stderr.

use plex_pin::{Call, ClientId, Config, LoginOptions};
use plex_pin_emulator::{Emulator, Options};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = sign_in(std::env::args().nth(1)).await?;
    println!("{}", token.expose_secret());
    Ok(())
}

/// The whole example: a login against `base_url`, or an embedded emulator without one.
pub async fn sign_in(
    base_url: Option<String>,
) -> Result<plex_pin::Token, Box<dyn std::error::Error>> {
    let embedded;
    let base_url = match base_url {
        Some(url) => url,
        None => {
            embedded = Emulator::start(
                Options::default().auto_approve(std::time::Duration::from_secs(1)),
            )?;
            embedded.url().to_owned()
        }
    };
    let config = Config::builder("plex-pin reqwest example", ClientId::generate())
        .base_url(&base_url)
        .auth_app_url(format!("{base_url}/auth"))
        .build()?;
    let client = plex_pin_reqwest::Client::new(config)?;
    let token = client
        .login(LoginOptions::default(), |pin, url| {
            eprintln!("Open {url}\nCode: {}", pin.code);
        })
        .await?;
    let user = client.call(Call::user(client.config(), &token)).await?;
    eprintln!("Signed in as {}", user.display_name().unwrap_or("?"));
    Ok(token)
}
