//! The JWT mode of a [`PinLogin`](crate::PinLogin): the device key, the device JWT in use
//! and when to renew it. `PinLogin` asks it for the create and poll requests and hands it
//! nonces and rejected signatures; everything JWT-specific about the sign-in lives here,
//! on top of the keys and tokens of [`crate::jwt`].

use std::time::Duration;

use web_time::Instant;

use crate::config::Config;
use crate::error::Error;
use crate::jwt::{verify_plex_jwt, DeviceClaims, DeviceJwt, DeviceKey, DEVICE_JWT_LIFETIME};
use crate::request::{self, PinOptions, Request};
use crate::response::{self, Response};
use crate::token::Token;

/// A device JWT is renewed (with a new nonce) this long before it would expire.
const RENEW_MARGIN: Duration = Duration::from_secs(30);

/// The JWT sign-in's state beside the login's own.
#[derive(Debug)]
pub(crate) struct JwtMode {
    key: DeviceKey,
    /// The device JWT in use, and the instant it stops being usable.
    current: Option<(DeviceJwt, Instant)>,
}

/// What a due poll of the pin sends in JWT mode.
pub(crate) enum JwtPoll {
    /// The poll itself, signed with the current device JWT.
    Check(Request),
    /// `GET /api/v2/auth/nonce` first: no usable device JWT.
    Nonce(Request),
}

impl JwtMode {
    pub(crate) fn new(key: DeviceKey) -> Self {
        Self { key, current: None }
    }

    /// The pin is created with the device's JWK.
    pub(crate) fn create_request(&self, config: &Config, pin: &PinOptions) -> Request {
        request::create_pin_with_key(config, pin, self.key.jwk())
    }

    /// The poll of pin `id`, or the nonce request it needs first.
    pub(crate) fn poll(&self, config: &Config, id: u64, now: Instant) -> JwtPoll {
        match &self.current {
            Some((jwt, usable_until)) if *usable_until > now => {
                JwtPoll::Check(request::check_pin_with_jwt(config, id, jwt))
            }
            _ => JwtPoll::Nonce(request::nonce(config)),
        }
    }

    /// Reads the nonce answer and signs a new device JWT over it, issued at `issued_at`
    /// (Unix seconds).
    pub(crate) fn nonce_received(
        &mut self,
        config: &Config,
        response: &Response<&[u8]>,
        now: Instant,
        issued_at: u64,
    ) -> Result<(), Error> {
        let nonce = response::nonce(response)?;
        let claims = DeviceClaims::new(config.client_id(), &nonce, issued_at);
        let lifetime = DEVICE_JWT_LIFETIME.saturating_sub(RENEW_MARGIN);
        let usable_until = now.checked_add(lifetime).unwrap_or(now);
        self.current = Some((self.key.device_jwt(&claims), usable_until));
        Ok(())
    }

    /// plex.tv refused the signature (an expired or used nonce): sign anew next time.
    pub(crate) fn signature_rejected(&mut self) {
        self.current = None;
    }

    /// `GET /api/v2/auth/keys`: the keys the Plex JWT must verify against.
    pub(crate) fn keys_request(&self, config: &Config) -> Request {
        request::plex_keys(config)
    }

    /// Checks the Plex JWT `token` against the keys answer, for this device at `unix_now`.
    pub(crate) fn verify(
        &self,
        config: &Config,
        response: &Response<&[u8]>,
        token: &Token,
        unix_now: u64,
    ) -> Result<(), Error> {
        let keys = response::plex_keys(response)?;
        verify_plex_jwt(
            token.expose_secret(),
            &keys,
            config.client_id(),
            &self.key,
            unix_now,
        )
        .map(drop)
        .map_err(Error::InvalidJwt)
    }
}
