//! The run loop, once: async, and (through [`super::blocking`]) blocking.

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::Poll;

use super::cancel::Registration;
use super::{AsyncTransport, Cancel, Event, Failure, Flow};
use crate::call::Call;
use crate::error::Error;
use crate::login::{AfterFailure, Step};
use crate::token::Token;

/// Runs `flow` to its end over an async transport: sends each request within the time
/// left, sleeps when told to, reports each [`Event`] to `observe` and returns the token.
///
/// Cancel it by dropping the future, or with `cancel` (which also works from another task
/// or thread): the request in flight is dropped and the flow ends with
/// [`Error::Cancelled`].
///
/// The flow's errors reach the caller as `T::Error` (through `From<plex_pin::Error>`); a
/// transport error is returned as it is once the flow gives up retrying.
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
    // The failure the next wait retries after, until that wait reports it.
    let mut failed: Option<Failed<T::Error>> = None;
    loop {
        if cancel.is_some_and(Cancel::is_cancelled) {
            return Err(Error::Cancelled.into());
        }
        let now = transport.now();
        // The step is taken apart before any await: a future keeps whatever lives across
        // one, and a step can hold a whole pin.
        let wait = match flow.poll(now)? {
            Step::Send(request) => {
                // No request outlives the flow's deadline.
                let timeout = flow.request_timeout(now, transport.timeout());
                let before = flow.consecutive_failures();
                let sent = pin!(transport.send(request, timeout));
                match until_cancelled(cancel, sent).await? {
                    Ok(response) => {
                        flow.handle_response(transport.now(), response)?;
                        if flow.consecutive_failures() > before {
                            failed = Some(Failed::Server);
                        }
                    }
                    Err(error) => {
                        if flow.transport_failed(transport.now()) == AfterFailure::GiveUp {
                            return Err(error);
                        }
                        failed = Some(Failed::Transport(error));
                    }
                }
                continue;
            }
            Step::PinReady { pin, url } => {
                observe(Event::PinReady {
                    pin: &pin,
                    url: &url,
                    expires_at: flow.pin_expires_at(),
                });
                continue;
            }
            Step::WaitUntil(at) => at,
            Step::Done(token) => return Ok(token),
        };
        let (attempt, deadline) = (flow.consecutive_failures(), flow.request_deadline());
        let event = match (&failed, flow.last_error()) {
            (Some(Failed::Transport(error)), _) => Event::Retrying {
                attempt,
                error: Failure::Transport(error),
                next_try: wait,
                deadline,
            },
            (Some(Failed::Server), Some(error)) => Event::Retrying {
                attempt,
                error: Failure::Server(error),
                next_try: wait,
                deadline,
            },
            _ => Event::Waiting {
                until: wait,
                deadline,
            },
        };
        observe(event);
        failed = None;
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

/// A failure the flow will retry after.
enum Failed<E> {
    /// The transport's own error (the flow does not keep it).
    Transport(E),
    /// An answer the flow keeps as [`Flow::last_error`].
    Server,
}

/// `future`'s output, or [`Error::Cancelled`] as soon as `cancel` cancels. The future is
/// pinned by the caller, so that the loop's state holds it once.
fn until_cancelled<'a, F: Future>(
    cancel: Option<&'a Cancel>,
    mut future: Pin<&'a mut F>,
) -> impl Future<Output = Result<F::Output, Error>> + 'a {
    let mut registration = cancel.map(Registration::new);
    std::future::poll_fn(move |cx| {
        if let Some(registration) = registration.as_mut() {
            if registration
                .cancel()
                .poll_cancelled(cx, registration)
                .is_ready()
            {
                return Poll::Ready(Err(Error::Cancelled));
            }
        }
        future.as_mut().poll(cx).map(Ok)
    })
}
