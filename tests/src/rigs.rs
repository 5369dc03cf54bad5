//! The native rigs of the shared conformance suite (`plex-pin-conformance`): each test
//! starts its own emulator in-process and makes clients of one transport pointed at it.
//!
//! hyper runs as it is. ureq, a blocking client, is wrapped as an async transport whose
//! `send` blocks and whose `sleep_until` is tokio's, so that the suite's concurrent user
//! (approving while the login waits) runs between polls; ureq's own blocking loop is the
//! core's `run_blocking`, the same loop through an adapter (`plex_pin::drive`).

use std::time::Duration;

use plex_pin::drive::{AsyncTransport, BlockingTransport, Clock};
use plex_pin::{Config, Instant};
use plex_pin_conformance::{Failure, Rig};
use plex_pin_emulator::{Emulator, Options};

use crate::alloc;

/// One emulator, in-process, for one test.
fn emulator() -> Emulator {
    Emulator::start(Options::default()).unwrap()
}

/// `plex-pin-hyper` on the test's tokio runtime.
pub struct HyperRig(Emulator);

impl HyperRig {
    /// A rig with its own emulator.
    pub fn new() -> Self {
        HyperRig(emulator())
    }
}

impl Default for HyperRig {
    fn default() -> Self {
        Self::new()
    }
}

impl Rig for HyperRig {
    type Transport = plex_pin_hyper::Client;

    fn url(&self) -> &str {
        self.0.url().trim_end_matches('/')
    }

    fn transport(&self, config: Config, timeout: Duration) -> Self::Transport {
        let builder = plex_pin_hyper::Client::builder(config).timeout(timeout);
        builder.build().unwrap()
    }

    fn failure(error: &plex_pin_hyper::Error) -> Failure {
        Failure::of(error.plex(), error.kind())
    }

    fn reset_memory_peak(&self) {
        alloc::reset_peak();
    }

    fn memory_peak_growth(&self) -> Option<usize> {
        Some(alloc::peak_growth())
    }
}

/// `plex-pin-ureq`, its blocking `send` seen as an async one.
pub struct UreqRig(Emulator);

impl UreqRig {
    /// A rig with its own emulator.
    pub fn new() -> Self {
        UreqRig(emulator())
    }
}

impl Default for UreqRig {
    fn default() -> Self {
        Self::new()
    }
}

/// A ureq client whose requests block the task and whose waits are tokio's.
pub struct Ureq(plex_pin_ureq::Client);

impl Clock for Ureq {
    fn now(&self) -> Instant {
        self.0.now()
    }

    fn unix_now(&self) -> u64 {
        self.0.unix_now()
    }
}

impl AsyncTransport for Ureq {
    type Body = Vec<u8>;
    type Error = plex_pin_ureq::Error;

    async fn send(
        &self,
        request: plex_pin::Request,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, Self::Error> {
        BlockingTransport::send(&self.0, request, timeout)
    }

    async fn sleep_until(&self, at: Instant) {
        tokio::time::sleep_until(at.into()).await
    }

    fn timeout(&self) -> Duration {
        BlockingTransport::timeout(&self.0)
    }

    fn error_kind(&self, error: &Self::Error) -> plex_pin::TransportErrorKind {
        BlockingTransport::error_kind(&self.0, error)
    }
}

impl Rig for UreqRig {
    type Transport = Ureq;

    fn url(&self) -> &str {
        self.0.url().trim_end_matches('/')
    }

    fn transport(&self, config: Config, timeout: Duration) -> Ureq {
        Ureq(
            plex_pin_ureq::Client::builder(config)
                .timeout(timeout)
                .build()
                .unwrap(),
        )
    }

    fn failure(error: &plex_pin_ureq::Error) -> Failure {
        Failure::of(error.plex(), error.kind())
    }

    fn reset_memory_peak(&self) {
        alloc::reset_peak();
    }

    fn memory_peak_growth(&self) -> Option<usize> {
        Some(alloc::peak_growth())
    }
}
