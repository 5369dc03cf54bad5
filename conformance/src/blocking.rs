//! The rig of a blocking transport: its logins run with the core's blocking loop
//! ([`plex_pin::drive::run_blocking`]), as its users run them, on a thread of its own, while
//! the scenarios' emulated user acts on the test's task.
//!
//! The scenarios are async, so a blocking transport joins them in two parts:
//!
//! - [`Rig::Transport`](crate::Rig::Transport) is the transport wrapped as an
//!   [`AsyncTransport`](plex_pin::drive::AsyncTransport) whose `send` calls the blocking
//!   `send` and whose `sleep_until` is the test executor's timer: the single calls
//!   (`Call`s) and the emulator's control routes go through it.
//! - [`Rig::run`](crate::Rig::run), which every login and refresh of the scenarios goes
//!   through, calls [`on_a_thread`] with the transport's own `run` (the blocking loop):
//!
//! ```no_run
//! # use std::future::Future;
//! # use std::time::Duration;
//! # use plex_pin::drive::{self, AsyncTransport, BlockingTransport, Cancel, Clock, Event, Flow};
//! # use plex_pin::drive::{SystemClock, TransportError};
//! # use plex_pin::{Config, Instant, Request, Token};
//! use plex_pin_conformance::{blocking, Emulator, Failure, Report, Rig};
//! # type Error = TransportError<std::io::Error>;
//! # #[derive(Clone)]
//! # struct MyClient;
//! # impl Clock for MyClient {
//! #     fn now(&self) -> Instant { SystemClock.now() }
//! #     fn unix_now(&self) -> u64 { SystemClock.unix_now() }
//! # }
//! # impl BlockingTransport for MyClient {
//! #     type Body = Vec<u8>;
//! #     type Error = Error;
//! #     fn send(&self, _: Request, _: Duration) -> Result<http::Response<Vec<u8>>, Error> {
//! #         unimplemented!()
//! #     }
//! # }
//! # impl MyClient {
//! #     fn run(&self, flow: impl Flow, cancel: Option<&Cancel>,
//! #            observe: impl FnMut(Event<'_, Error>)) -> Result<Token, Error> {
//! #         drive::run_blocking(self, flow, cancel, observe)
//! #     }
//! # }
//! /// `MyClient` for the single calls: its `send` blocks the task, its waits are the
//! /// executor's.
//! struct AsAsync(MyClient);
//! # impl Clock for AsAsync {
//! #     fn now(&self) -> Instant { SystemClock.now() }
//! #     fn unix_now(&self) -> u64 { SystemClock.unix_now() }
//! # }
//! # impl AsyncTransport for AsAsync {
//! #     type Body = Vec<u8>;
//! #     type Error = Error;
//! #     async fn send(&self, r: Request, t: Duration) -> Result<http::Response<Vec<u8>>, Error> {
//! #         self.0.send(r, t)
//! #     }
//! #     async fn sleep_until(&self, _: Instant) {}
//! # }
//!
//! struct MyRig(Emulator);
//!
//! impl Rig for MyRig {
//!     type Transport = AsAsync;
//! #   fn url(&self) -> &str { self.0.url() }
//! #   fn transport(&self, _: Config, _: Duration) -> AsAsync { AsAsync(MyClient) }
//! #   fn failure(error: &Error) -> Failure { Failure::of(error.plex(), error.kind()) }
//!     // url, transport and failure as for any rig, then:
//!
//!     fn run<F: Flow + Send + 'static>(
//!         &self,
//!         transport: &AsAsync,
//!         flow: F,
//!         cancel: Option<&Cancel>,
//!         observe: impl FnMut(Report),
//!     ) -> impl Future<Output = Result<Token, Failure>> {
//!         let client = transport.0.clone();
//!         blocking::on_a_thread(
//!             move |cancel, report| {
//!                 client
//!                     .run(flow, Some(cancel), |event| report(Report::of::<Self>(&event)))
//!                     .map_err(|e| Self::failure(&e))
//!             },
//!             cancel,
//!             observe,
//!         )
//!     }
//! }
//! ```
//!
//! plex-pin's own tests run plex-pin-ureq so (their `UreqRig`).
//!
//! A scenario's cancel then reaches the blocking loop from the test's thread, as an app's
//! Ctrl-C handler reaches it from another.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};

use plex_pin::drive::Cancel;
use plex_pin::Token;

use crate::{Failure, Report};

/// Runs `work` (a blocking loop: `cancel` is the handle to give it, `report` takes what it
/// observes) on a thread of its own and completes with its result, passing each report to
/// `observe` on the awaiting task as it arrives. Runs on any executor: the thread wakes
/// the task.
///
/// `cancel` reaches the loop as it is (the loop gets a clone of it). Without one, the loop
/// gets a handle of its own, cancelled when the returned future is dropped, so that an
/// abandoned test does not leave its loop polling.
///
/// # Panics
/// The returned future panics if `work` panics, or if no thread can be spawned.
pub fn on_a_thread<W>(
    work: W,
    cancel: Option<&Cancel>,
    mut observe: impl FnMut(Report),
) -> impl Future<Output = Result<Token, Failure>>
where
    W: FnOnce(&Cancel, &mut dyn FnMut(Report)) -> Result<Token, Failure> + Send + 'static,
{
    let shared = Arc::new(Mutex::new(Shared::default()));
    let (handle, own) = match cancel {
        Some(cancel) => (cancel.clone(), None),
        None => {
            let own = Cancel::new();
            (own.clone(), Some(own))
        }
    };
    let on_thread = Finish(Arc::clone(&shared));
    let spawned = std::thread::Builder::new()
        .name("blocking loop".into())
        .spawn(move || {
            let mut report = |report: Report| on_thread.update(|s| s.reports.push(report));
            let result = work(&handle, &mut report);
            on_thread.update(|s| s.result = Some(result));
        });
    async move {
        let _cancel_on_drop = CancelOnDrop(own);
        if let Err(e) = spawned {
            panic!("no thread for the blocking loop: {e}");
        }
        std::future::poll_fn(|cx| {
            let (reports, result, ended) = {
                let mut shared = shared.lock().unwrap_or_else(PoisonError::into_inner);
                shared.waker = Some(cx.waker().clone());
                let reports = std::mem::take(&mut shared.reports);
                (reports, shared.result.take(), shared.ended)
            };
            reports.into_iter().for_each(&mut observe);
            match result {
                Some(result) => Poll::Ready(result),
                None if ended => panic!("the blocking loop panicked"),
                None => Poll::Pending,
            }
        })
        .await
    }
}

/// What the loop's thread hands the awaiting task.
#[derive(Default)]
struct Shared {
    reports: Vec<Report>,
    result: Option<Result<Token, Failure>>,
    /// The thread is gone (with or without a result).
    ended: bool,
    waker: Option<Waker>,
}

/// The thread's end of [`Shared`]: marks it ended when dropped, even by a panic.
struct Finish(Arc<Mutex<Shared>>);

impl Finish {
    fn update(&self, change: impl FnOnce(&mut Shared)) {
        let waker = {
            let mut shared = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            change(&mut shared);
            shared.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Drop for Finish {
    fn drop(&mut self) {
        self.update(|s| s.ended = true);
    }
}

struct CancelOnDrop(Option<Cancel>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(cancel) = &self.0 {
            cancel.cancel();
        }
    }
}
