//! The run loop, once: async, and (through [`super::blocking`]) blocking.

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::Poll;

use web_time::Instant;

use super::cancel::Registration;
use super::{AsyncTransport, Cancel, Event, Failure, Flow};
use crate::call::Call;
use crate::error::Error;
use crate::login::{timeout_before, AfterFailure, AfterResponse, Step};
use crate::response::Response;
use crate::token::Token;

/// Runs `flow` to its end over an async transport: gives it the transport's wall clock,
/// sends each request within the time left, sleeps when told to, reports each [`Event`] to
/// `observe` and returns the token.
///
/// Cancel it by dropping the future, or with `cancel` (which also works from another task
/// or thread): the request in flight is dropped and the flow ends with
/// [`Error::Cancelled`].
///
/// The flow's errors reach the caller as `T::Error` (through `From<plex_pin::Error>`); a
/// transport error is returned as it is once the flow gives up retrying (at once for a TLS
/// failure: see [`AsyncTransport::error_kind`]).
pub async fn run<T, F>(
    transport: &T,
    mut flow: F,
    cancel: Option<&Cancel>,
    mut observe: impl FnMut(Event<'_, T::Error>),
) -> Result<Token, T::Error>
where
    T: AsyncTransport,
    F: Flow,
{
    flow.set_wall_clock(transport.unix_now());
    // The wait last reported (a retry's, or a wait's): a timer that fires early makes the
    // flow ask for the same instant again, which is not news.
    let mut reported: Option<Instant> = None;
    let cancelled = || cancel.is_some_and(Cancel::is_cancelled);
    loop {
        let now = transport.now();
        let step = flow.poll(now)?;
        // A token that arrived is handed out, cancel or not: plex.tv has issued it.
        if cancelled() && !matches!(step, Step::Done(_)) {
            return Err(Error::Cancelled.into());
        }
        // The step is taken apart before any await: a future keeps whatever lives across
        // one, and a step can hold a whole pin.
        let wait = match step {
            Step::Send(request) => {
                // No request outlives the flow's deadline.
                let timeout = timeout_before(flow.deadline(), now, transport.timeout());
                let sent = pin!(transport.send(request, timeout));
                let answer = until_cancelled(cancel, sent).await?;
                let deadline = flow.deadline();
                match answer {
                    Ok(response) => {
                        let (parts, body) = response.into_parts();
                        let response = Response::from_parts(parts, body.as_ref());
                        if let AfterResponse::Retry { error, attempt, at } =
                            flow.handle_response(transport.now(), response)?
                        {
                            observe(Event::Retrying {
                                attempt,
                                error: Failure::Server(&error),
                                next_try: at,
                                deadline,
                            });
                            reported = Some(at);
                        }
                    }
                    // A request that failed because the flow was cancelled is the cancel.
                    Err(_) if cancelled() => return Err(Error::Cancelled.into()),
                    Err(error) => {
                        let kind = transport.error_kind(&error);
                        match flow.transport_failed(transport.now(), kind) {
                            AfterFailure::GiveUp => return Err(error),
                            AfterFailure::Continue => {}
                            AfterFailure::Retry { attempt, at } => {
                                observe(Event::Retrying {
                                    attempt,
                                    error: Failure::Transport(&error),
                                    next_try: at,
                                    deadline,
                                });
                                reported = Some(at);
                            }
                        }
                    }
                }
                continue;
            }
            Step::PinReady {
                pin,
                url,
                expires_at,
                saved,
            } => {
                observe(Event::PinReady {
                    pin: &pin,
                    url: &url,
                    expires_at,
                    saved: &saved,
                });
                continue;
            }
            Step::WaitUntil(at) => at,
            Step::Done(token) => return Ok(token),
        };
        if reported != Some(wait) {
            reported = Some(wait);
            observe(Event::Waiting {
                until: wait,
                deadline: flow.deadline(),
            });
        }
        until_cancelled(cancel, pin!(transport.sleep_until(wait))).await?;
    }
}

/// Sends one [`Call`] over `transport` within its [`timeout`](AsyncTransport::timeout) and
/// reads the answer: what every async transport's `call` does.
pub async fn call<T: AsyncTransport, V>(transport: &T, call: Call<V>) -> Result<V, T::Error> {
    let (request, parser) = call.into_parts();
    let response = transport.send(request, transport.timeout()).await?;
    Ok(parser.parse(response)?)
}

/// `future`'s output, or [`Error::Cancelled`] as soon as `cancel` cancels while it is
/// pending. An output that is ready wins over the cancel: an answer that arrived (a token
/// plex.tv issued) is never thrown away. The future is pinned by the caller, so that the
/// loop's state holds it once.
fn until_cancelled<'a, F: Future>(
    cancel: Option<&'a Cancel>,
    mut future: Pin<&'a mut F>,
) -> impl Future<Output = Result<F::Output, Error>> + 'a {
    let mut registration = cancel.map(Registration::new);
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match registration.as_mut() {
            Some(registration) => registration
                .cancel()
                .poll_cancelled(cx, registration)
                .map(|()| Err(Error::Cancelled)),
            None => Poll::Pending,
        }
    })
}
