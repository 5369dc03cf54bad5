//! Errors as one line on stderr and a documented exit code (see `plex-pin --help`).

use std::fmt;

use plex_pin::{Error, ExpiredBy};
use plex_pin_ureq::Error as Transport;

pub const FAILED: i32 = 1;
pub const USAGE: i32 = 2;
pub const TOKEN_INVALID: i32 = 3;
pub const TOKEN_UNKNOWN: i32 = 4;
pub const PIN_EXPIRED: i32 = 5;
pub const TIMED_OUT: i32 = 6;
pub const OUTPUT: i32 = 7;
// A signal's code is 128 + its number: `signals::Signal::exit_code`.

/// What went wrong, already worded for a person.
#[derive(Debug)]
pub struct Failure {
    message: String,
    code: i32,
}

impl Failure {
    pub fn general(message: String) -> Self {
        Self {
            message,
            code: FAILED,
        }
    }

    pub fn with_code(code: i32, message: String) -> Self {
        Self { message, code }
    }

    pub fn usage(message: String) -> Self {
        Self {
            message,
            code: USAGE,
        }
    }

    /// Writing an issued token failed: say that it is lost, keeping the exit code.
    pub fn token_lost(self) -> Self {
        Self {
            message: format!(
                "{}; the token plex.tv issued is lost: sign in again",
                self.message
            ),
            code: self.code,
        }
    }

    pub fn exit_code(&self) -> i32 {
        self.code
    }

    /// A failed login or call.
    pub fn from_transport(error: Transport) -> Self {
        let (code, message) = match &error {
            Transport::Plex(Error::PinExpired {
                by: ExpiredBy::Server,
            }) => (
                PIN_EXPIRED,
                "the sign-in was denied or the pin expired (plex.tv no longer knows it)".to_owned(),
            ),
            Transport::Plex(Error::PinExpired { .. }) => (
                PIN_EXPIRED,
                "the pin expired before the sign-in was approved".to_owned(),
            ),
            Transport::Plex(Error::TimedOut) => (
                TIMED_OUT,
                "gave up waiting for approval (--timeout)".to_owned(),
            ),
            Transport::Plex(Error::RateLimited { .. }) => {
                (FAILED, format!("{error}; try again in a few minutes"))
            }
            _ => (FAILED, error.to_string()),
        };
        Self { message, code }
    }

    /// A failed token check: invalid (3) is told apart from unknown (4).
    pub fn from_token_check(error: Transport) -> Self {
        match error {
            Transport::Plex(Error::Unauthorized { status }) => Self {
                message: format!("the token is not valid (HTTP {})", status.as_u16()),
                code: TOKEN_INVALID,
            },
            other => Self {
                message: format!("cannot tell whether the token is valid: {other}"),
                code: TOKEN_UNKNOWN,
            },
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
