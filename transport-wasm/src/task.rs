//! The JS API's transport: the core's loop ([`drive::run`]) stepped from JavaScript, which
//! does the IO.
//!
//! A [`Task`] is one call or login as a future. `step()` polls it until it needs something
//! from outside and says what: send this request (`js/fetch.js` does, with its timeout and
//! body cap), wait this long, or done. JavaScript does it and steps again. So the module
//! carries no fetch bindings and no executor (they cost it 4.6 KB gzipped, BENCHMARKS.md),
//! the protocol (requests, answers, polling, backoff, deadlines) is the core's loop's, and
//! stopping a task is JavaScript's: it aborts the request, clears the timer and frees the
//! task. What crosses is js/contract.js's (`contract.rs`).

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use plex_pin::drive::{self, AsyncTransport, Clock, Event, Flow};
use plex_pin::{Call, Instant, Token, TransportErrorKind};
use wasm_bindgen::prelude::*;

use crate::contract::Step;
use crate::wire::{self, Headers};
use crate::Error;

/// What a task waits for.
enum Want {
    Send(plex_pin::Request, Duration),
    Sleep(Instant),
}

/// The IO between a task's future and JavaScript: what the future asked for, and the answer
/// JavaScript brought back.
#[derive(Default)]
struct Slot {
    want: Option<Want>,
    answer: Option<Result<http::Response<Vec<u8>>, Error>>,
}

/// The transport a task's future runs on: it asks through the slot and waits for the answer.
#[derive(Clone)]
pub(crate) struct Io {
    slot: Rc<RefCell<Slot>>,
    timeout: Duration,
}

impl Io {
    pub(crate) fn new(timeout: Duration) -> Self {
        Self {
            slot: Rc::default(),
            timeout,
        }
    }

    /// Sends one call and reads its answer.
    pub(crate) fn call<'a, T: 'a>(
        &'a self,
        call: Call<T>,
    ) -> impl Future<Output = Result<T, Error>> + 'a {
        // The core's future itself: an async fn wrapped around it cost 106 B gzipped.
        drive::call(self, call)
    }

    /// Runs a flow with the core's loop.
    pub(crate) async fn run(
        &self,
        flow: impl Flow,
        observe: impl FnMut(Event<'_, Error>),
    ) -> Result<Token, Error> {
        drive::run(self, flow, None, observe).await
    }

    /// Asks JavaScript for `want`; ready once it has answered (the first poll only asks).
    fn ask(
        &self,
        want: Want,
    ) -> impl Future<Output = Option<Result<http::Response<Vec<u8>>, Error>>> + '_ {
        let mut want = Some(want);
        poll_fn(move |_| {
            let mut slot = self.slot.borrow_mut();
            if let Some(want) = want.take() {
                slot.want = Some(want);
                return Poll::Pending;
            }
            Poll::Ready(slot.answer.take())
        })
    }
}

impl Clock for Io {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn unix_now(&self) -> u64 {
        wire::unix_now()
    }
}

impl AsyncTransport for Io {
    type Body = Vec<u8>;
    type Error = Error;

    async fn send(
        &self,
        request: plex_pin::Request,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        self.ask(Want::Send(request, timeout))
            .await
            .unwrap_or_else(|| {
                Err(Error::transport(
                    TransportErrorKind::Other,
                    "stepped before the response came",
                ))
            })
    }

    async fn sleep_until(&self, at: Instant) {
        self.ask(Want::Sleep(at)).await;
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }
}

type Work = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

/// One call or login, run by JavaScript (`js/api.js`): `step()`, do what it says, `respond()`
/// or `fail()` after a request, `step()` again.
#[wasm_bindgen]
pub struct Task {
    work: Option<Work>,
    io: Io,
}

impl Task {
    pub(crate) fn new(
        io: Io,
        work: impl Future<Output = Result<JsValue, JsValue>> + 'static,
    ) -> Task {
        Task {
            work: Some(Box::pin(work)),
            io,
        }
    }
}

#[wasm_bindgen]
impl Task {
    /// Runs the task until it needs something, and says what: `[tag, value]`, as
    /// js/contract.js describes it (the tags are `contract::Step`). Throws the task's error.
    pub fn step(&mut self) -> Result<JsValue, JsValue> {
        let Some(work) = self.work.as_mut() else {
            return Err(JsValue::from_str("the task is over"));
        };
        if let Poll::Ready(result) = work.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            self.work = None;
            return Ok(Step::Done.with(&result?));
        }
        let want = self.io.slot.borrow_mut().want.take();
        Ok(match want {
            Some(Want::Sleep(at)) => {
                let ms = wire::millis(at.saturating_duration_since(Instant::now()));
                Step::Wait.with(&ms.into())
            }
            Some(Want::Send(request, timeout)) => {
                let limit = drive::DEFAULT_MAX_BODY;
                let name = |name: &_| plex_pin::request::header_name(name).map(JsValue::from);
                match wire::request(&request, timeout, limit, name) {
                    Ok(request) => Step::Send.with(&request),
                    // The send's outcome, at once (the core's tests keep it from happening).
                    Err(failure) => {
                        self.io.slot.borrow_mut().answer = Some(Err(failure));
                        return self.step();
                    }
                }
            }
            // Every await of the task is on its Io, which always asks first.
            None => return Err(JsValue::from_str("the task is waiting on nothing")),
        })
    }

    /// The answer to the request `step()` asked for: its status, its headers (fetch's
    /// `Headers`, of which the core's few are read) and its body (already capped by the
    /// caller).
    pub fn respond(&mut self, status: u16, headers: &Headers, body: Vec<u8>) {
        self.io.slot.borrow_mut().answer = Some(wire::response(status, headers, body));
    }

    /// The request `step()` asked for failed: `kind` is js/contract.js's `FAILURE` number,
    /// `detail` says what happened.
    pub fn fail(&mut self, kind: u8, detail: String) {
        self.io.slot.borrow_mut().answer = Some(Err(wire::failure(kind, detail)));
    }
}
