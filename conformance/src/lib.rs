//! The conformance suite: every scenario written once, async, and run unchanged for each
//! transport and target (ureq and hyper natively; fetch in node and in headless Chromium).
//!
//! A target joins by implementing [`Rig`] (a transport factory that implements
//! [`plex_pin::drive::AsyncTransport`], the emulator's URL, and a way to read the
//! transport's errors) and invoking [`scenarios!`] with its test attribute. The scenarios
//! drive real logins and calls through the transport against the plex-pin emulator, steer
//! the emulator through its HTTP control routes ([`Emulator`]), and check the typed outcome,
//! the time it took and what the emulator saw on the wire. Each scenario uses its own
//! client identifiers and scopes its faults to them, so scenarios may share one emulator.
#![deny(missing_docs)]

mod control;
pub mod hostile;
mod scenarios;

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use plex_pin::drive::AsyncTransport;
use plex_pin::{Call, ClientId, Config, Error, LoginOptions, TransportErrorKind};

pub use control::{Emulator, Seen};
pub use scenarios::*;

/// How a call failed, whatever the transport.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// plex.tv answered (or the login ended); the core's error.
    Plex(Error),
    /// No answer; the transport's kind of failure.
    Transport(TransportErrorKind),
}

impl Failure {
    /// From what a transport's error says: the core's error (its `plex()`), else its
    /// transport kind (its `kind()`).
    ///
    /// # Panics
    /// On an error that is neither, which no transport of this workspace has.
    pub fn of(plex: Option<&Error>, kind: Option<TransportErrorKind>) -> Self {
        match (plex, kind) {
            (Some(e), _) => Failure::Plex(e.clone()),
            (None, Some(kind)) => Failure::Transport(kind),
            (None, None) => panic!("an error that is neither plex.tv's nor the transport's"),
        }
    }
}

/// A transport on a target, as the scenarios use it.
pub trait Rig {
    /// The transport under test.
    type Transport: AsyncTransport;
    /// The emulator's base URL (`http://127.0.0.1:PORT`).
    fn url(&self) -> &str;
    /// A transport for `config` with this per-request timeout.
    fn transport(&self, config: Config, timeout: Duration) -> Self::Transport;
    /// What an error of the transport is (its `plex()` or `kind()`).
    fn failure(error: &<Self::Transport as AsyncTransport>::Error) -> Failure;
    /// Starts measuring the peak of memory in use, if the target can.
    fn reset_memory_peak(&self) {}
    /// Growth of memory in use since [`reset_memory_peak`](Self::reset_memory_peak), if the
    /// target can measure it.
    fn memory_peak_growth(&self) -> Option<usize> {
        None
    }
}

/// The transport's error type of a rig.
pub type TransportError<R> = <<R as Rig>::Transport as AsyncTransport>::Error;

/// A configuration pointed at the rig's emulator, under a fresh client identifier.
pub fn config<R: Rig>(rig: &R) -> Config {
    config_as(rig, &fresh_id())
}

/// A configuration pointed at the rig's emulator, under `client_id`.
pub fn config_as<R: Rig>(rig: &R, client_id: &str) -> Config {
    Config::builder("plex-pin conformance", ClientId::new(client_id).unwrap())
        .version("1.0")
        .device_name("Test Rig")
        .server(rig.url())
        .build()
        .unwrap()
}

/// A client identifier no other scenario uses.
pub fn fresh_id() -> String {
    format!("conformance-{}", ClientId::generate())
}

/// Fast options: 50 ms polls, 3 failures in a row, 20 s overall.
pub fn fast_options() -> LoginOptions {
    LoginOptions::default()
        .with_poll_interval(Duration::from_millis(50))
        .with_max_consecutive_failures(3)
        .with_timeout(Duration::from_secs(20))
}

/// Sends a call through the transport, with the error read by the rig.
pub async fn call<R: Rig, T>(transport: &R::Transport, call: Call<T>) -> Result<T, Failure> {
    let (request, parser) = call.into_parts();
    let response = transport
        .send(request, transport.timeout())
        .await
        .map_err(|e| R::failure(&e))?;
    parser.parse(response).map_err(Failure::Plex)
}

/// Runs two futures to their ends, polling both, on any executor.
pub async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    std::future::poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                out_a = Some(v);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                out_b = Some(v);
            }
        }
        if out_a.is_some() && out_b.is_some() {
            Poll::Ready((out_a.take().unwrap(), out_b.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Generates one test per scenario: `scenarios!(tokio::test, rig_expression)`. The rig
/// expression is evaluated once per test.
#[macro_export]
macro_rules! scenarios {
    ($attr:meta, $rig:expr) => {
        $crate::scenarios!(@each $attr, $rig;
            login_approved, login_link_code, login_denied, login_expired, login_caller_timeout,
            client_identifier_mismatch, token_check, rate_limited_with_retry_after_recovers,
            rate_limited_forever_gives_up, server_errors_give_up, transient_errors_recover,
            malformed_json_and_xml_give_up, oversized_body_is_refused_unread,
            slow_answer_times_out, dropped_connection_gives_up, redirect_is_not_followed,
            unreachable_server, retries_are_reported_as_they_happen, cancel_ends_a_login_at_once,
            a_saved_pin_resumes_in_another_client, jwt_login_and_refresh,
            jwt_register_key_then_refresh, jwt_forged_expired_and_replayed_are_refused,
            link_a_code_from_a_signed_in_account);
    };
    (@each $attr:meta, $rig:expr; $($scenario:ident),*) => {
        $(
            #[$attr]
            async fn $scenario() {
                let rig = $rig;
                $crate::$scenario(&rig).await;
            }
        )*
    };
}
