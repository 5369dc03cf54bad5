//! Cancelling a running flow from elsewhere: another thread, a signal handler's flag, a
//! button's click handler.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

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

#[derive(Default)]
struct State {
    cancelled: bool,
    /// The async waits to wake: one per wait in progress ([`Registration`] removes its own
    /// when the wait ends, however it ends), so the list never outgrows the waits.
    wakers: Vec<Waker>,
    /// The callbacks of [`Cancel::on_cancel`] still registered, by id; each [`OnCancel`]
    /// removes its own when dropped.
    hooks: Vec<(u64, Hook)>,
    next_hook: u64,
}

type Hook = Box<dyn FnOnce() + Send>;

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("cancelled", &self.cancelled)
            .field("waits", &self.wakers.len())
            .field("hooks", &self.hooks.len())
            .finish()
    }
}

impl Cancel {
    /// A handle that has not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels: every wait on this handle ends now, and every [`on_cancel`](Self::on_cancel)
    /// callback runs (on this thread, once).
    pub fn cancel(&self) {
        let (wakers, hooks) = {
            let mut state = self.lock();
            state.cancelled = true;
            (
                std::mem::take(&mut state.wakers),
                std::mem::take(&mut state.hooks),
            )
        };
        self.0.condvar.notify_all();
        wakers.into_iter().for_each(Waker::wake);
        // Outside the lock: a callback may use this handle.
        hooks.into_iter().for_each(|(_, hook)| hook());
    }

    /// Runs `hook` when this handle cancels (at once if it has), until the returned guard is
    /// dropped: how a blocking client stops a request in flight, e.g. by shutting its socket
    /// down. Keep the guard for as long as the request runs.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use plex_pin::drive::Cancel;
    ///
    /// let cancel = Cancel::new();
    /// let stopped = Arc::new(AtomicBool::new(false));
    /// let flag = Arc::clone(&stopped);
    /// let _request = cancel.on_cancel(move || flag.store(true, Ordering::SeqCst));
    /// cancel.cancel();
    /// assert!(stopped.load(Ordering::SeqCst));
    /// ```
    pub fn on_cancel(&self, hook: impl FnOnce() + Send + 'static) -> OnCancel {
        let mut state = self.lock();
        if state.cancelled {
            drop(state);
            hook();
            return OnCancel {
                cancel: None,
                id: 0,
            };
        }
        let id = state.next_hook;
        state.next_hook += 1;
        state.hooks.push((id, Box::new(hook)));
        OnCancel {
            cancel: Some(self.clone()),
            id,
        }
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.lock().cancelled
    }

    /// Blocks for `duration` or until cancelled; `true` if cancelled.
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    pub(crate) fn wait_timeout(&self, duration: std::time::Duration) -> bool {
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

/// A callback registered with [`Cancel::on_cancel`]: dropping this guard unregisters it, so
/// that a cancel after the request ended does not touch what the request used.
#[derive(Debug)]
#[must_use = "dropping the guard unregisters the callback at once"]
pub struct OnCancel {
    cancel: Option<Cancel>,
    id: u64,
}

impl Drop for OnCancel {
    fn drop(&mut self) {
        if let Some(cancel) = self.cancel.take() {
            let removed = {
                let mut state = cancel.lock();
                let at = state.hooks.iter().position(|(id, _)| *id == self.id);
                at.map(|at| state.hooks.swap_remove(at))
            };
            // Dropped outside the lock, as whatever the callback holds may lock too.
            drop(removed);
        }
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

    /// A hook runs once on cancel, not after its guard is dropped, and at once when
    /// registered on a handle that has cancelled; dropped guards leave nothing behind.
    #[test]
    fn hooks_run_once_while_registered() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let cancel = Cancel::new();
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = |runs: &Arc<AtomicUsize>| {
            let runs = Arc::clone(runs);
            move || {
                runs.fetch_add(1, Ordering::SeqCst);
            }
        };
        for _ in 0..100 {
            drop(cancel.on_cancel(counter(&runs)));
        }
        assert!(cancel.lock().hooks.is_empty(), "dropped guards unregister");
        let kept = cancel.on_cancel(counter(&runs));
        let dropped = cancel.on_cancel(counter(&runs));
        drop(dropped);
        cancel.cancel();
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "only the registered hook ran"
        );
        cancel.cancel();
        assert_eq!(runs.load(Ordering::SeqCst), 1, "once");
        drop(kept);
        let _late = cancel.on_cancel(counter(&runs));
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "at once on a cancelled handle"
        );
    }
}
