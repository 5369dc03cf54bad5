#![doc = include_str!("../README.md")]
//!
//! # What is in the kit
//!
//! - [`Rig`]: how the scenarios make and read a transport. Implement it once.
//! - [`scenarios!`]: one test per scenario ([`SCENARIOS`] names them), each a real login
//!   or call through the transport against the emulator, checking the typed outcome, the
//!   time it took and what the emulator saw on the wire. Each scenario uses its own client
//!   identifiers and scopes its faults to them, so scenarios may share one emulator.
//! - [`hostile!`] and [`hostile`](mod@hostile): the same transport against a server that answers wrong
//!   on purpose; every scenario must end in a token or a typed error, in time.
//! - [`start_emulator`] (native): the plex-pin emulator, in-process. A wasm test gets the
//!   URL of one started beside it instead ([`Rig::url`]).
//! - [`blocking`]: the rig of a blocking transport, whose login runs on a thread of its
//!   own with the core's blocking loop while the scenarios' user acts.
#![deny(missing_docs)]

pub mod blocking;
mod control;
pub mod hostile;
#[cfg(not(target_arch = "wasm32"))]
pub mod proxy;
mod scenarios;

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use plex_pin::drive::{self, AsyncTransport, Cancel, Event, Flow};
use plex_pin::{Call, ClientId, Config, Error, LoginOptions, Pin, Token, TransportErrorKind};

pub use control::{Control, Seen};
pub use scenarios::*;

#[cfg(not(target_arch = "wasm32"))]
pub use plex_pin_emulator::{self as emulator, Emulator};

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
    /// transport kind (its `kind()`). A transport whose error is
    /// [`plex_pin::drive::TransportError`] passes `error.plex()` and `error.kind()`.
    ///
    /// # Panics
    /// On an error that is neither: a transport must say what each of its errors is.
    pub fn of(plex: Option<&Error>, kind: Option<TransportErrorKind>) -> Self {
        match (plex, kind) {
            (Some(e), _) => Failure::Plex(e.clone()),
            (None, Some(kind)) => Failure::Transport(kind),
            (None, None) => panic!("an error that is neither plex.tv's nor the transport's"),
        }
    }
}

/// What a running flow reported ([`Event`]), owned, so that a loop on another thread can
/// report it ([`blocking`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Report {
    /// [`Event::PinReady`]: the pin and the URL where the user approves it.
    PinReady {
        /// The pin (boxed: it is ten times the size of the other reports).
        pin: Box<Pin>,
        /// Where the user approves it.
        url: String,
    },
    /// [`Event::Retrying`]: attempt `attempt` failed with `cause`.
    Retrying {
        /// Failures in a row so far (1 for the first).
        attempt: u32,
        /// The server's answer ([`Failure::Plex`]) or the transport's failure.
        cause: Failure,
    },
    /// [`Event::Waiting`], or any other event.
    Waiting,
}

impl Report {
    /// `event`, reported by a loop over rig `R`'s transport.
    pub fn of<R: Rig + ?Sized>(event: &Event<'_, TransportError<R>>) -> Self {
        match event {
            Event::PinReady { pin, url, .. } => Report::PinReady {
                pin: Box::new((*pin).clone()),
                url: (*url).to_owned(),
            },
            Event::Retrying { attempt, error, .. } => Report::Retrying {
                attempt: *attempt,
                cause: match error {
                    drive::Failure::Server(e) => Failure::Plex((*e).clone()),
                    drive::Failure::Transport(e) => R::failure(e),
                },
            },
            _ => Report::Waiting,
        }
    }
}

/// A transport on a target, as the scenarios use it.
///
/// Three methods to write: where the emulator is, how to make the transport with a given
/// configuration and per-request timeout, and what one of its errors is. A blocking
/// transport also overrides [`run`](Self::run) (see [`blocking`]).
pub trait Rig {
    /// The transport under test.
    type Transport: AsyncTransport;

    /// The emulator's base URL (`http://127.0.0.1:PORT`, no trailing slash):
    /// [`Emulator::url`] natively.
    fn url(&self) -> &str;

    /// A transport for `config` (the client identity its requests carry: a transport that
    /// takes its requests whole from the core may ignore it) whose per-request timeout is
    /// `timeout`: its `AsyncTransport::timeout` returns it, and its `send` never runs past
    /// the timeout it is given. A transport that ignores timeouts makes the suite run for
    /// minutes (the hostile server holds connections 60 s).
    fn transport(&self, config: Config, timeout: Duration) -> Self::Transport;

    /// What an error of the transport is ([`Failure::of`] its `plex()` and `kind()`).
    fn failure(error: &TransportError<Self>) -> Failure;

    /// Runs `flow` to its end over `transport` as the transport's users run it, reporting
    /// what happens to `observe` as it happens. By default, the core's async loop
    /// ([`drive::run`]); a blocking transport's rig runs its blocking loop instead
    /// ([`blocking::on_a_thread`]).
    fn run<F: Flow + Send + 'static>(
        &self,
        transport: &Self::Transport,
        flow: F,
        cancel: Option<&Cancel>,
        mut observe: impl FnMut(Report),
    ) -> impl Future<Output = Result<Token, Failure>> {
        async move {
            let result = drive::run(transport, flow, cancel, |event| {
                observe(Report::of::<Self>(&event));
            });
            result.await.map_err(|e| Self::failure(&e))
        }
    }

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

/// A plex-pin emulator on 127.0.0.1, in this process, with its default options: what a
/// native rig's [`url`](Rig::url) points at. It stops when dropped.
///
/// # Panics
/// If it cannot listen on a loopback port.
#[cfg(not(target_arch = "wasm32"))]
pub fn start_emulator() -> Emulator {
    Emulator::start(emulator::Options::default()).expect("the emulator listens on 127.0.0.1")
}

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

/// Every scenario's name, in the order [`scenarios!`] generates them: the list the macro
/// is written from, so that the two cannot disagree. (The crate's tests check that it
/// names every scenario function.)
pub const SCENARIOS: &[&str] = crate::scenarios!(@list names);

/// Generates one test per scenario, each evaluating the rig expression once:
///
/// - `scenarios!(tokio::test, MyRig::new())`: async tests under a test attribute that
///   takes an `async fn` (`tokio::test`, `wasm_bindgen_test`…);
/// - `scenarios!(block_on: smol::block_on, MyRig::new())`: plain `#[test]`s, each running
///   its scenario with a `block_on` function (`smol::block_on`,
///   `futures::executor::block_on`…).
#[macro_export]
macro_rules! scenarios {
    // The list, written once: every use of it below (and `SCENARIOS`) receives it.
    (@list $($then:tt)*) => {
        $crate::scenarios! {@$($then)* [
            login_approved, login_link_code, login_denied, login_expired, login_caller_timeout,
            client_identifier_mismatch, token_check, rate_limited_with_retry_after_recovers,
            rate_limited_forever_gives_up, server_errors_give_up, transient_errors_recover,
            malformed_json_and_xml_give_up, oversized_body_is_refused_unread,
            slow_answer_times_out, dropped_connection_gives_up, redirect_is_not_followed,
            unreachable_server, retries_are_reported_as_they_happen, cancel_ends_a_login_at_once,
            a_saved_pin_resumes_in_another_client, jwt_login_and_refresh,
            jwt_register_key_then_refresh, jwt_forged_expired_and_replayed_are_refused,
            link_a_code_from_a_signed_in_account
        ]}
    };
    (@names [$($scenario:ident),*]) => {
        &[$(stringify!($scenario)),*]
    };
    (@tests $how:tt [$($scenario:ident),*]) => {
        $($crate::scenarios!(@test $how $scenario);)*
    };
    (@test (attr $attr:meta, $rig:expr) $scenario:ident) => {
        #[$attr]
        async fn $scenario() {
            let rig = $rig;
            $crate::$scenario(&rig).await;
        }
    };
    (@test (block_on $block_on:path, $rig:expr) $scenario:ident) => {
        #[test]
        fn $scenario() {
            $block_on(async {
                let rig = $rig;
                $crate::$scenario(&rig).await;
            })
        }
    };
    (block_on: $block_on:path, $rig:expr $(,)?) => {
        $crate::scenarios!(@list tests (block_on $block_on, $rig));
    };
    ($attr:meta, $rig:expr $(,)?) => {
        $crate::scenarios!(@list tests (attr $attr, $rig));
    };
}

/// Generates one test, `survives_a_hostile_server`, that starts the hostile server in the
/// test's process and runs each of its scenarios over the rig's transport
/// ([`hostile::in_process`]); native targets only. Takes the same arguments as
/// [`scenarios!`]: `hostile!(tokio::test, MyRig::new())` or
/// `hostile!(block_on: smol::block_on, MyRig::new())`.
#[cfg(not(target_arch = "wasm32"))]
#[macro_export]
macro_rules! hostile {
    (block_on: $block_on:path, $rig:expr $(,)?) => {
        #[test]
        fn survives_a_hostile_server() {
            $block_on(async {
                let rig = $rig;
                $crate::hostile::in_process(&rig).await;
            })
        }
    };
    ($attr:meta, $rig:expr $(,)?) => {
        #[$attr]
        async fn survives_a_hostile_server() {
            let rig = $rig;
            $crate::hostile::in_process(&rig).await;
        }
    };
}

#[cfg(test)]
mod tests {
    /// A scenario function missing from the macro's list would never run anywhere.
    #[test]
    fn the_macro_lists_every_scenario_function_once() {
        let source = include_str!("scenarios.rs");
        let mut defined: Vec<&str> = source
            .lines()
            .filter_map(|line| line.strip_prefix("pub async fn "))
            .map(|rest| rest.split(['<', '(']).next().unwrap_or(rest))
            .collect();
        let mut listed = super::SCENARIOS.to_vec();
        defined.sort_unstable();
        listed.sort_unstable();
        let before = listed.len();
        listed.dedup();
        assert_eq!(listed.len(), before, "a scenario is listed twice");
        assert_eq!(
            defined, listed,
            "scenarios.rs's pub async fns against scenarios!"
        );
    }
}
