//! plex.tv calls as values: each [`Call`] pairs the request to send with the parser of its
//! answer, so that a transport sends any call through one generic method.
//!
//! ```
//! use plex_pin::{Call, ClientId, Config, PinOptions};
//!
//! // What a transport's one generic method does, with any HTTP client:
//! fn send<T>(call: Call<T>) -> Result<T, Box<dyn std::error::Error>> {
//!     let (request, parser) = call.into_parts();
//!     assert_eq!(request.uri().path(), "/api/v2/pins");
//!     let response = http::Response::builder() // ... the answer to `request`
//!         .status(201)
//!         .header("content-type", "application/json")
//!         .body(br#"{"id":7,"code":"ABCD","expiresIn":900}"#.to_vec())?;
//!     Ok(parser.parse(response)?)
//! }
//!
//! let config = Config::builder("My App", ClientId::generate()).build()?;
//! let pin = send(Call::create_pin(&config, &PinOptions::link()))?;
//! assert_eq!(pin.code, "ABCD");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// `|r| response::pin(r)`, not `response::pin`: the closure is generic over the body's
// lifetime, as `ParseFn` needs; the function item is fixed to one (clippy cannot tell).
#![allow(clippy::redundant_closure)]

use crate::config::Config;
use crate::error::Error;
use crate::pin::Pin;
use crate::request::{self, PinOptions, Request};
use crate::response::{self, Response};
use crate::token::Token;
use crate::user::User;

/// How an answer becomes a `T` (one of [`response`]'s parsers).
type ParseFn<T> = fn(&Response<&[u8]>) -> Result<T, Error>;

/// One plex.tv call: its request, and how to read its answer.
#[must_use = "a call does nothing until a transport sends it"]
#[derive(Debug)]
pub struct Call<T> {
    request: Request,
    parser: Parser<T>,
}

/// The second half of a [`Call`]: reads the answer to its request. Masks the token the
/// request carried, if any, in every error it returns (a server may echo it).
#[must_use = "the answer is only checked when parsed"]
#[derive(Debug)]
pub struct Parser<T> {
    parse: ParseFn<T>,
    secret: Option<Token>,
}

impl<T> Call<T> {
    fn new(request: Request, parse: ParseFn<T>, secret: Option<&Token>) -> Self {
        Self {
            request,
            parser: Parser {
                parse,
                secret: secret.cloned(),
            },
        }
    }

    /// The request to send.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The request to send, and the parser of its answer.
    pub fn into_parts(self) -> (Request, Parser<T>) {
        (self.request, self.parser)
    }
}

impl<T> Parser<T> {
    /// Reads the answer, whatever its status, into the call's value or a typed error.
    pub fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<T, Error> {
        let (parts, body) = response.into_parts();
        let view = Response::from_parts(parts, body.as_ref());
        (self.parse)(&view).map_err(|error| masked(error, self.secret.as_ref()))
    }
}

// Apart from `parse`, which is copied for every `T` and body type.
fn masked(error: Error, secret: Option<&Token>) -> Error {
    match secret {
        Some(token) => error.redact_secret(token.expose_secret()),
        None => error,
    }
}

impl Call<Pin> {
    /// `POST /api/v2/pins` (GetPin).
    pub fn create_pin(config: &Config, options: &PinOptions) -> Self {
        Self::new(
            request::create_pin(config, options),
            |r| response::pin(r),
            None,
        )
    }

    /// `GET /api/v2/pins/{id}` (GetTokenByPinId): the pin, with its token once approved.
    pub fn check_pin(config: &Config, pin_id: u64) -> Self {
        Self::new(
            request::check_pin(config, pin_id),
            |r| response::pin(r),
            None,
        )
    }
}

impl Call<User> {
    /// `GET /api/v2/user`: the account for a valid token,
    /// [`Error::Unauthorized`] for an invalid one.
    pub fn user(config: &Config, token: &Token) -> Self {
        Self::new(
            request::user(config, token),
            |r| response::user(r),
            Some(token),
        )
    }
}

impl Call<()> {
    /// `PUT /api/v2/pins/link`: approves a 4-character code from this signed-in account.
    pub fn link_pin(config: &Config, token: &Token, code: &str) -> Self {
        Self::new(
            request::link_pin(config, token, code),
            |r| response::accepted(r),
            Some(token),
        )
    }

    /// `POST /api/v2/auth/jwk`: registers a device key with an existing token.
    #[cfg(feature = "jwt")]
    pub fn register_key(config: &Config, token: &Token, key: &crate::jwt::DeviceKey) -> Self {
        Self::new(
            request::register_key(config, token, key.jwk()),
            |r| response::accepted(r),
            Some(token),
        )
    }
}

#[cfg(feature = "jwt")]
impl Call<Vec<crate::jwt::Jwk>> {
    /// `GET /api/v2/auth/keys`: Plex's public keys, to verify Plex JWTs.
    pub fn plex_keys(config: &Config) -> Self {
        Self::new(request::plex_keys(config), |r| response::plex_keys(r), None)
    }
}
