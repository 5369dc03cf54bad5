//! Cancelling a running flow from elsewhere: another thread, a signal handler's flag, a
//! button's click handler.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// A cancel handle: clone it, give one clone to [`run`](super::run) or
/// [`run_blocking`](super::run_blocking), and call [`cancel`](Self::cancel) on another.
/// The flow then ends with [`Error::Cancelled`](crate::Error::Cancelled) at once, even in
/// the middle of a wait or (async) a request.
///
/// A handle that cancelled stays cancelled: give each login a fresh one (or one shared by
/// the logins that one click should stop).
///
/// ```
/// use plex_pin::drive::Cancel;
///
/// let cancel = Cancel::new();
/// let for_the_button = cancel.clone();
/// for_the_button.cancel();
/// assert!(cancel.is_cancelled());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Wakes a blocking wait.
    condvar: Condvar,
}

#[derive(Debug, Default)]
struct State {
    cancelled: bool,
    /// The async waits to wake: one per wait in progress ([`Registration`] removes its own
    /// when the wait ends, however it ends), so the list never outgrows the waits.
    wakers: Vec<Waker>,
}

impl Cancel {
    /// A handle that has not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels: every wait on this handle ends now.
    pub fn cancel(&self) {
        let wakers = {
            let mut state = self.lock();
            state.cancelled = true;
            std::mem::take(&mut state.wakers)
        };
        self.0.condvar.notify_all();
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.lock().cancelled
    }

    /// Blocks for `duration` or until cancelled; `true` if cancelled.
    pub(crate) fn wait_timeout(&self, duration: Duration) -> bool {
        let state = self.lock();
        let (state, _) = self
            .0
            .condvar
            .wait_timeout_while(state, duration, |s| !s.cancelled)
            .unwrap_or_else(PoisonError::into_inner);
        state.cancelled
    }

    /// Ready once cancelled; until then, registers the task to wake in `registration`.
    pub(crate) fn poll_cancelled(
        &self,
        cx: &mut Context<'_>,
        registration: &mut Registration<'_>,
    ) -> Poll<()> {
        let mut state = self.lock();
        if state.cancelled {
            return Poll::Ready(());
        }
        match &registration.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            old => {
                if let Some(old) = old {
                    remove_one(&mut state.wakers, old);
                }
                state.wakers.push(cx.waker().clone());
                registration.waker = Some(cx.waker().clone());
            }
        }
        Poll::Pending
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The lock guards a flag and a list: a panic elsewhere cannot leave them torn.
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One wait's place in a [`Cancel`]'s list of tasks to wake, taken out when the wait ends
/// (completed, cancelled or dropped).
pub(crate) struct Registration<'a> {
    cancel: &'a Cancel,
    waker: Option<Waker>,
}

impl<'a> Registration<'a> {
    pub(crate) fn new(cancel: &'a Cancel) -> Self {
        Self {
            cancel,
            waker: None,
        }
    }

    pub(crate) fn cancel(&self) -> &'a Cancel {
        self.cancel
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        if let Some(waker) = self.waker.take() {
            remove_one(&mut self.cancel.lock().wakers, &waker);
        }
    }
}

fn remove_one(wakers: &mut Vec<Waker>, waker: &Waker) {
    if let Some(at) = wakers.iter().position(|w| w.will_wake(waker)) {
        wakers.swap_remove(at);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::task::{Context, Wake, Waker};

    use super::{Cancel, Registration};

    struct Counter;
    impl Wake for Counter {
        fn wake(self: Arc<Self>) {}
    }

    /// A handle reused by many waits keeps no waker past its wait: the list is as long as
    /// the waits in progress.
    #[test]
    fn ended_waits_leave_no_waker_behind() {
        let cancel = Cancel::new();
        let live: Vec<_> = (0..3).map(|_| Waker::from(Arc::new(Counter))).collect();
        let mut held = Vec::new();
        for waker in &live {
            let mut registration = Registration::new(&cancel);
            let mut cx = Context::from_waker(waker);
            assert!(cancel
                .poll_cancelled(&mut cx, &mut registration)
                .is_pending());
            // Polled again by the same task: still one entry.
            assert!(cancel
                .poll_cancelled(&mut cx, &mut registration)
                .is_pending());
            held.push(registration);
        }
        assert_eq!(cancel.lock().wakers.len(), 3);
        for _ in 0..1000 {
            let waker = Waker::from(Arc::new(Counter));
            let mut registration = Registration::new(&cancel);
            let mut cx = Context::from_waker(&waker);
            let _ = cancel.poll_cancelled(&mut cx, &mut registration);
        }
        assert_eq!(cancel.lock().wakers.len(), 3, "only the waits in progress");
        drop(held);
        assert!(cancel.lock().wakers.is_empty());
        cancel.cancel();
        let mut registration = Registration::new(&cancel);
        let mut cx = Context::from_waker(&live[0]);
        assert!(cancel.poll_cancelled(&mut cx, &mut registration).is_ready());
    }
}
