//! `plex-pin refresh`: a new Plex JWT for this device, after `login --jwt`.

use crate::args::RefreshArgs;
use crate::connect::connect_to;
use crate::exit::Failure;
use crate::output::Stdout;
use crate::store;

/// Prints the new JWT, and nothing on stdout when plex.tv's answer is refused: the JWT is
/// only printed, never stored.
pub fn refresh(args: RefreshArgs) -> Result<(), Failure> {
    let (client, _emulator) = connect_to(&args.identity, &args.server, plex_pin::CLIENTS_PLEX_TV)?;
    let mut stdout = Stdout::for_token()?;
    let key = store::device_key()?;
    match client.refresh(&key) {
        Ok(token) => stdout
            .line(token.expose_secret())
            .map_err(Failure::token_lost),
        Err(plex_pin_ureq::Error::Plex(
            plex_pin::Error::SignatureRejected | plex_pin::Error::DeviceKeyUnknown,
        )) => Err(Failure::general(
            "plex.tv refused this device's signature: sign in with `plex-pin login --jwt` first"
                .to_owned(),
        )),
        Err(error) => Err(Failure::from_transport(error)),
    }
}
