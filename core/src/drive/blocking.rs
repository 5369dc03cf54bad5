//! The blocking run loop: [`run`](super::run) over a blocking transport, on the calling
//! thread, with no executor.

use super::BlockingTransport;
use crate::call::Call;

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub use on_thread::run_blocking;

/// Sends one [`Call`] over `transport` within its [`timeout`](BlockingTransport::timeout)
/// and reads the answer: [`call`](super::call) for a blocking transport.
pub fn call_blocking<T: BlockingTransport, V>(transport: &T, call: Call<V>) -> Result<V, T::Error> {
    let (request, parser) = call.into_parts();
    let response = transport.send(request, transport.timeout())?;
    Ok(parser.parse(response)?)
}

/// The loop on the calling thread, which waits on the cancel handle's condition variable:
/// not on `wasm32-unknown-unknown`, where a thread cannot wait.
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
mod on_thread {
    use std::future::{ready, Future};
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};
    use std::time::Duration;

    use web_time::Instant;

    use crate::drive::{AsyncTransport, BlockingTransport, Cancel, Clock, Event, Flow};
    use crate::request::Request;
    use crate::response::Response;
    use crate::token::Token;
    use crate::transport_kind::TransportErrorKind;

    /// Runs `flow` to its end on this thread: [`run`](crate::drive::run)'s loop, with `transport`
    /// sending and the thread waiting on `cancel` (or a handle of its own) between polls, so
    /// that [`Cancel::cancel`] from another thread ends a wait at once. A request in flight
    /// ends at once too if the transport overrides
    /// [`send_cancellable`](BlockingTransport::send_cancellable) (plex-pin-ureq does); with
    /// the default it runs to its timeout first.
    ///
    /// Not on `wasm32-unknown-unknown`, where a thread cannot wait: use [`run`](crate::drive::run).
    ///
    /// See the [module docs](crate::drive) for an example.
    pub fn run_blocking<T, F>(
        transport: &T,
        flow: F,
        cancel: Option<&Cancel>,
        observe: impl FnMut(Event<'_, T::Error>),
    ) -> Result<Token, T::Error>
    where
        T: BlockingTransport,
        F: Flow,
    {
        let own;
        let cancel = match cancel {
            Some(cancel) => cancel,
            None => {
                own = Cancel::new();
                &own
            }
        };
        let adapter = Blocking { transport, cancel };
        let future = pin!(crate::drive::run(&adapter, flow, Some(cancel), observe));
        // Every future the adapter returns is ready when made: one poll runs the whole loop.
        match future.poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(result) => result,
            Poll::Pending => unreachable!("the blocking adapter's futures are ready at once"),
        }
    }

    /// A blocking transport seen as an async one whose futures are ready when made.
    struct Blocking<'a, T> {
        transport: &'a T,
        cancel: &'a Cancel,
    }

    impl<T: BlockingTransport> Clock for Blocking<'_, T> {
        fn now(&self) -> Instant {
            self.transport.now()
        }

        fn unix_now(&self) -> u64 {
            self.transport.unix_now()
        }
    }

    impl<T: BlockingTransport> AsyncTransport for Blocking<'_, T> {
        type Body = T::Body;
        type Error = T::Error;

        fn send(
            &self,
            request: Request,
            timeout: Duration,
        ) -> impl Future<Output = Result<Response<T::Body>, T::Error>> {
            ready(
                self.transport
                    .send_cancellable(request, timeout, self.cancel),
            )
        }

        fn sleep_until(&self, at: Instant) -> impl Future<Output = ()> {
            // The only wait in the core: on the cancel handle, so that it can be cut short.
            let _cancelled = self
                .cancel
                .wait_timeout(at.saturating_duration_since(self.transport.now()));
            ready(())
        }

        fn timeout(&self) -> Duration {
            BlockingTransport::timeout(self.transport)
        }

        fn error_kind(&self, error: &T::Error) -> TransportErrorKind {
            BlockingTransport::error_kind(self.transport, error)
        }
    }
}
