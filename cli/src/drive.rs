//! The login: the core's blocking loop over the ureq client, telling the person what it
//! waits for.

use plex_pin::drive::{Cancel, Event};
use plex_pin::{PinKind, PinLogin, Token};
use plex_pin_ureq::{Client, Error};

use crate::prompt::Prompt;

/// Runs `login` to its end through `client`, showing the pin and every retry on `prompt`;
/// `cancel` ends it with `Error::Cancelled` (at once during a wait).
pub fn login(
    client: &Client,
    login: PinLogin,
    prompt: &mut Prompt,
    cancel: &Cancel,
) -> Result<Token, Error> {
    client.run(login, Some(cancel), |event| match event {
        Event::PinReady {
            pin,
            url,
            expires_at,
            ..
        } => {
            // The QR code encodes the shortest URL that signs in.
            let qr_url = match pin.kind() {
                PinKind::Link => url.to_owned(),
                _ => plex_pin::short_auth_url(client.config(), &pin.code),
            };
            prompt.show(pin, url, &qr_url, expires_at);
        }
        Event::Retrying {
            error, next_try, ..
        } => prompt.retrying(&error.to_string(), next_try),
        Event::Waiting { deadline, .. } => prompt.waiting(deadline),
        _ => {}
    })
}
