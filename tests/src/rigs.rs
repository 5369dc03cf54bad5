//! The native rigs of the shared conformance suite (`plex-pin-conformance`): each test
//! starts its own emulator in-process and makes clients of one transport pointed at it.
//!
//! hyper and reqwest run as they are. ureq, a blocking client, runs every login and refresh
//! of the scenarios as its users run them, `plex_pin_ureq::Client::run` (the core's
//! `run_blocking`), on a thread of its own while the scenario's user acts on the test's
//! task (`plex_pin_conformance::blocking`); its single calls and the emulator's control
//! routes go through it wrapped as an async transport whose `send` blocks.

use std::future::Future;
use std::time::Duration;

use plex_pin::drive::{AsyncTransport, BlockingTransport, Cancel, Clock, Flow};
use plex_pin::{Config, Instant, Token, TransportErrorKind};
use plex_pin_conformance::{blocking, start_emulator, Failure, Report, Rig};
use plex_pin_emulator::Emulator;

use crate::alloc;

/// One emulator, in-process, for one test.
fn emulator() -> Emulator {
    start_emulator()
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
        self.0.url()
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

/// `plex-pin-reqwest` on the test's tokio runtime.
pub struct ReqwestRig(Emulator);

impl ReqwestRig {
    /// A rig with its own emulator.
    pub fn new() -> Self {
        ReqwestRig(emulator())
    }
}

impl Default for ReqwestRig {
    fn default() -> Self {
        Self::new()
    }
}

impl Rig for ReqwestRig {
    type Transport = plex_pin_reqwest::Client;

    fn url(&self) -> &str {
        self.0.url()
    }

    fn transport(&self, config: Config, timeout: Duration) -> Self::Transport {
        let builder = plex_pin_reqwest::Client::builder(config).timeout(timeout);
        builder.build().unwrap()
    }

    fn failure(error: &plex_pin_reqwest::Error) -> Failure {
        Failure::of(error.plex(), error.kind())
    }

    fn reset_memory_peak(&self) {
        alloc::reset_peak();
    }

    fn memory_peak_growth(&self) -> Option<usize> {
        Some(alloc::peak_growth())
    }
}

/// `plex-pin-ureq`: logins through its blocking loop, calls through its blocking `send`.
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

/// A ureq client whose requests block the task and whose waits are tokio's: what the
/// scenarios' single calls and the emulator's control routes go through.
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

    fn error_kind(&self, error: &plex_pin_ureq::Error) -> TransportErrorKind {
        BlockingTransport::error_kind(&self.0, error)
    }
}

impl Rig for UreqRig {
    type Transport = Ureq;

    fn url(&self) -> &str {
        self.0.url()
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

    /// The blocking loop ureq's users run (`Client::run`), on a thread of its own.
    fn run<F: Flow + Send + 'static>(
        &self,
        transport: &Ureq,
        flow: F,
        cancel: Option<&Cancel>,
        observe: impl FnMut(Report),
    ) -> impl Future<Output = Result<Token, Failure>> {
        let client = transport.0.clone();
        blocking::on_a_thread(
            move |cancel, report| {
                client
                    .run(flow, Some(cancel), |event| {
                        report(Report::of::<Self>(&event))
                    })
                    .map_err(|e| Self::failure(&e))
            },
            cancel,
            observe,
        )
    }

    fn reset_memory_peak(&self) {
        alloc::reset_peak();
    }

    fn memory_peak_growth(&self) -> Option<usize> {
        Some(alloc::peak_growth())
    }
}
