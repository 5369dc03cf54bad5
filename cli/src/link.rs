//! `plex-pin link`: approves another device's 4-character code from a signed-in account.

use plex_pin::Call;

use crate::args::{self, LinkArgs};
use crate::connect::connect;
use crate::exit::{self, Failure};
use crate::stderr::say;

/// The length of a plex.tv/link code.
const CODE_LEN: usize = 4;

pub fn link(args: LinkArgs) -> Result<(), Failure> {
    // Checked before the token is read or anything is sent.
    let code = code(&args.code)?;
    let token = args::token(args.token)?;
    let (client, _emulator) = connect(&args.identity, &args.server)?;
    client
        .call(Call::link_pin(client.config(), &token, &code))
        .map_err(|error| match error {
            plex_pin_ureq::Error::Plex(plex_pin::Error::PinExpired { .. }) => Failure::with_code(
                exit::PIN_EXPIRED,
                format!("no device is waiting with the code {code} (wrong or expired)"),
            ),
            other => Failure::from_token_check(other),
        })?;
    say!("Linked {code}: the device signs in now.");
    Ok(())
}

/// The code as plex.tv/link takes it: 4 letters or digits, upper-cased. What is refused is
/// not echoed back (it may be anything, of any length): only its length is told.
fn code(raw: &str) -> Result<String, Failure> {
    let code = raw.trim();
    if code.len() != CODE_LEN || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Failure::usage(format!(
            "a link code is {CODE_LEN} letters or digits, and the one given ({} characters) \
             is not; strong codes are approved in the browser",
            code.chars().count()
        )));
    }
    Ok(code.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::code;

    #[test]
    fn codes_are_four_letters_or_digits_and_refusals_echo_nothing() {
        assert_eq!(code(" ab1z\n").unwrap(), "AB1Z");
        for bad in [
            "abc",
            "abcde",
            "ab z",
            "äbcd",
            "ab\x1bc",
            &"x".repeat(100_000),
        ] {
            let message = code(bad).unwrap_err().to_string();
            assert!(message.len() < 160, "{message}");
            assert!(
                !message.contains("xxxx") && !message.contains('\x1b'),
                "{message}"
            );
        }
    }
}
