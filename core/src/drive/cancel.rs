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
    /// The async waits to wake: one per task waiting (a task waiting again replaces its own).
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

    /// Ready once cancelled; until then, registers the task to wake.
    pub(crate) fn poll_cancelled(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.lock();
        if state.cancelled {
            return Poll::Ready(());
        }
        if !state.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            state.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The lock guards a flag and a list: a panic elsewhere cannot leave them torn.
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
