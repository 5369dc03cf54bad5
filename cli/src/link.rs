//! `plex-pin link`: approves another device's 4-character code from a signed-in account.

use plex_pin::Call;

use crate::args::{self, LinkArgs};
use crate::connect::connect;
use crate::exit::{self, Failure};
use crate::stderr::say;
use crate::terminal;

pub fn link(args: LinkArgs) -> Result<(), Failure> {
    let token = args::token(args.token)?;
    let code = args.code.trim().to_uppercase();
    if code.chars().count() != 4 {
        return Err(Failure::usage(format!(
            "`{code}` is not a 4-character code (strong codes are approved in the browser)"
        )));
    }
    let (client, _emulator) = connect(&args.identity, &args.server)?;
    client
        .call(Call::link_pin(client.config(), &token, &code))
        .map_err(|error| match error {
            plex_pin_ureq::Error::Plex(plex_pin::Error::PinExpired { .. }) => Failure::with_code(
                exit::PIN_EXPIRED,
                format!(
                    "no device is waiting with the code {} (wrong or expired)",
                    terminal::safe(&code)
                ),
            ),
            other => Failure::from_token_check(other),
        })?;
    say!("Linked {code}: the device signs in now.");
    Ok(())
}
