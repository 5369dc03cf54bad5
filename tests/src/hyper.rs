//! The async transport, as the suite sees it: each call runs on the adapter's own runtime.

use std::time::Duration;

use plex_pin::jwt::{DeviceKey, Jwk};
use plex_pin::{Config, LoginOptions, Pin, PinOptions, Token, User};
use plex_pin_hyper::{Client, Error};

use crate::{Failure, Transport};

/// `plex-pin-hyper` under test.
pub struct Hyper {
    client: Client,
    runtime: tokio::runtime::Runtime,
}

fn failure(error: Error) -> Failure {
    match error {
        Error::Plex(e) => Failure::Plex(e),
        Error::BodyTooLarge { .. } => Failure::BodyTooLarge,
        Error::Timeout(_) => Failure::Timeout,
        Error::Connect(e) => Failure::Connect(e.to_string()),
        other => Failure::Other(other.to_string()),
    }
}

impl Transport for Hyper {
    const NAME: &'static str = "hyper";

    fn new(config: Config, timeout: Duration) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let client = Client::builder(config).timeout(timeout).build().unwrap();
        Hyper { client, runtime }
    }

    fn create_pin(&self, options: &PinOptions) -> Result<Pin, Failure> {
        self.runtime
            .block_on(self.client.create_pin(options))
            .map_err(failure)
    }

    fn check_pin(&self, id: u64) -> Result<Pin, Failure> {
        self.runtime
            .block_on(self.client.check_pin(id))
            .map_err(failure)
    }

    fn user(&self, token: &Token) -> Result<User, Failure> {
        self.runtime
            .block_on(self.client.user(token))
            .map_err(failure)
    }

    fn login(
        &self,
        options: LoginOptions,
        mut on_pin: Box<dyn FnMut(&Pin) + Send>,
    ) -> Result<Token, Failure> {
        self.runtime
            .block_on(self.client.login(options, |pin, _url| on_pin(pin)))
            .map_err(failure)
    }

    fn login_jwt(
        &self,
        options: LoginOptions,
        key: &DeviceKey,
        mut on_pin: Box<dyn FnMut(&Pin) + Send>,
    ) -> Result<Token, Failure> {
        self.runtime
            .block_on(self.client.login_jwt(options, key, |pin, _url| on_pin(pin)))
            .map_err(failure)
    }

    fn refresh(&self, key: &DeviceKey) -> Result<Token, Failure> {
        self.runtime
            .block_on(self.client.refresh(key))
            .map_err(failure)
    }

    fn register_key(&self, token: &Token, key: &DeviceKey) -> Result<(), Failure> {
        self.runtime
            .block_on(self.client.register_key(token, key))
            .map_err(failure)
    }

    fn plex_keys(&self) -> Result<Vec<Jwk>, Failure> {
        self.runtime
            .block_on(self.client.plex_keys())
            .map_err(failure)
    }

    fn link_pin(&self, token: &Token, code: &str) -> Result<(), Failure> {
        self.runtime
            .block_on(self.client.link_pin(token, code))
            .map_err(failure)
    }

    fn send(
        &self,
        request: plex_pin::Request,
    ) -> Result<plex_pin::http::Response<Vec<u8>>, Failure> {
        self.runtime
            .block_on(self.client.send(request))
            .map_err(failure)
            .map(|r| r.map(|b| b.to_vec()))
    }
}
