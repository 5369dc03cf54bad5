//! The login loop: the core's `PinLogin` over the blocking client, telling the person what
//! it waits for. The ureq transport has the same loop without the telling.

use std::time::Instant;

use plex_pin::{AfterFailure, PinKind, PinLogin, Step, Token};
use plex_pin_ureq::{Client, Error};

use crate::prompt::Prompt;

/// Runs `login` to its end through `client`, showing the pin and every retry on `prompt`.
pub fn login(client: &Client, mut login: PinLogin, prompt: &mut Prompt) -> Result<Token, Error> {
    loop {
        match login.poll(Instant::now())? {
            Step::Send(request) => {
                // No request outlives the login's deadline.
                let timeout = login.request_timeout(Instant::now(), client.timeout());
                match client.send_with_timeout(request, timeout) {
                    Ok(response) => {
                        login.handle_response(Instant::now(), response)?;
                        if let Some(error) = login.last_error() {
                            prompt.retrying(&error.to_string());
                        }
                    }
                    Err(error) => {
                        if login.transport_failed(Instant::now()) == AfterFailure::GiveUp {
                            return Err(error);
                        }
                        prompt.retrying(&error.to_string());
                    }
                }
            }
            Step::PinReady { pin, url } => {
                // The QR code encodes the shortest URL that signs in.
                let qr_url = match pin.kind() {
                    PinKind::Link => url.clone(),
                    _ => plex_pin::short_auth_url(client.config(), &pin.code),
                };
                prompt.show(&pin, &url, &qr_url, login.pin_expires_at());
            }
            Step::WaitUntil(at) => {
                prompt.waiting_until(at);
                std::thread::sleep(at.saturating_duration_since(Instant::now()));
            }
            Step::Done(token) => return Ok(token),
        }
    }
}
