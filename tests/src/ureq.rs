//! The blocking transport, as the suite sees it.

use std::time::Duration;

use plex_pin::jwt::{DeviceKey, Jwk};
use plex_pin::{Config, LoginOptions, Pin, PinOptions, Token, User};
use plex_pin_ureq::{Client, Error};

use crate::{Failure, Transport};

/// `plex-pin-ureq` under test.
pub struct Ureq(Client);

fn failure(error: Error) -> Failure {
    match error {
        Error::Plex(e) => Failure::Plex(e),
        Error::BodyTooLarge { .. } => Failure::BodyTooLarge,
        Error::Timeout(_) => Failure::Timeout,
        Error::Connect(e) => Failure::Connect(e.to_string()),
        other => Failure::Other(other.to_string()),
    }
}

impl Transport for Ureq {
    const NAME: &'static str = "ureq";

    fn new(config: Config, timeout: Duration) -> Self {
        Ureq(Client::builder(config).timeout(timeout).build())
    }

    fn create_pin(&self, options: &PinOptions) -> Result<Pin, Failure> {
        self.0.create_pin(options).map_err(failure)
    }

    fn check_pin(&self, id: u64) -> Result<Pin, Failure> {
        self.0.check_pin(id).map_err(failure)
    }

    fn user(&self, token: &Token) -> Result<User, Failure> {
        self.0.user(token).map_err(failure)
    }

    fn login(
        &self,
        options: LoginOptions,
        mut on_pin: Box<dyn FnMut(&Pin) + Send>,
    ) -> Result<Token, Failure> {
        self.0
            .login(options, |pin, _url| on_pin(pin))
            .map_err(failure)
    }

    fn login_jwt(
        &self,
        options: LoginOptions,
        key: &DeviceKey,
        mut on_pin: Box<dyn FnMut(&Pin) + Send>,
    ) -> Result<Token, Failure> {
        self.0
            .login_jwt(options, key, |pin, _url| on_pin(pin))
            .map_err(failure)
    }

    fn refresh(&self, key: &DeviceKey) -> Result<Token, Failure> {
        self.0.refresh(key).map_err(failure)
    }

    fn register_key(&self, token: &Token, key: &DeviceKey) -> Result<(), Failure> {
        self.0.register_key(token, key).map_err(failure)
    }

    fn plex_keys(&self) -> Result<Vec<Jwk>, Failure> {
        self.0.plex_keys().map_err(failure)
    }

    fn link_pin(&self, token: &Token, code: &str) -> Result<(), Failure> {
        self.0.link_pin(token, code).map_err(failure)
    }

    fn send(
        &self,
        request: plex_pin::Request,
    ) -> Result<plex_pin::http::Response<Vec<u8>>, Failure> {
        self.0.send(request).map_err(failure)
    }
}
