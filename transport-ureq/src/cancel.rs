//! A cancel that ends a request in flight: the sockets of the connections the request uses
//! are shut down, so that a read or write blocked on them returns at once, instead of
//! running to the request's timeout.
//!
//! ureq sends on the calling thread. While a cancellable request runs, the thread holds
//! its [`InFlight`]; [`Connector`] wraps every connection so that the connection, when
//! made or taken from the pool and used, puts its sockets in that `InFlight`, which shuts
//! them down when fired (at once if it already was). A socket is added as soon as it
//! exists, so a TLS or `CONNECT` handshake in progress is cut short too. A DNS lookup or
//! a TCP connect in progress is not: it ends within the connect timeout, and the request
//! then fails at its first read or write.
//!
//! A connection shut down is never used again: the failed request drops it, and one shut
//! down after its request ended (a cancel that comes late) is found closed by ureq's pool
//! check before reuse.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector as UreqConnector, NextTimeout, ShutdownHandle, Transport,
};

thread_local! {
    /// The cancellable request this thread is sending, if any.
    static CURRENT: RefCell<Option<Arc<InFlight>>> = const { RefCell::new(None) };
}

/// One cancellable request: the sockets it uses, and whether it was cancelled.
#[derive(Default)]
pub(crate) struct InFlight(Mutex<State>);

#[derive(Default)]
struct State {
    fired: bool,
    /// Per connection (its id), the sockets under it.
    connections: Vec<(u64, Vec<Weak<dyn ShutdownHandle>>)>,
}

impl InFlight {
    /// Shuts down every socket the request uses, and any it uses from now on.
    pub(crate) fn fire(&self) {
        let sockets: Vec<_> = {
            let mut state = self.lock();
            state.fired = true;
            state
                .connections
                .iter()
                .flat_map(|(_, sockets)| sockets.clone())
                .collect()
        };
        shut_down(&sockets);
    }

    pub(crate) fn fired(&self) -> bool {
        self.lock().fired
    }

    /// Runs `send` on this thread with this request's connections watched.
    pub(crate) fn run<R>(self: &Arc<Self>, send: impl FnOnce() -> R) -> R {
        struct Restore(Option<Arc<InFlight>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                CURRENT.with(|current| *current.borrow_mut() = self.0.take());
            }
        }
        let _restore = Restore(CURRENT.with(|current| current.replace(Some(Arc::clone(self)))));
        send()
    }

    /// A socket of connection `id` was just made.
    fn add_socket(&self, id: u64, socket: Weak<dyn ShutdownHandle>) {
        let mut state = self.lock();
        if state.fired {
            drop(state);
            shut_down(&[socket]);
            return;
        }
        match state.connections.iter_mut().find(|(c, _)| *c == id) {
            Some((_, sockets)) => sockets.push(socket),
            None => state.connections.push((id, vec![socket])),
        }
    }

    /// Connection `id` is used by this request (it may come from the pool).
    fn add_connection(&self, id: u64, sockets: &[Weak<dyn ShutdownHandle>]) {
        let mut state = self.lock();
        if state.connections.iter().any(|(c, _)| *c == id) {
            return;
        }
        state.connections.push((id, sockets.to_vec()));
        if state.fired {
            drop(state);
            shut_down(sockets);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A flag and a list: a panic elsewhere cannot leave them torn.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn shut_down(sockets: &[Weak<dyn ShutdownHandle>]) {
    sockets
        .iter()
        .filter_map(Weak::upgrade)
        .for_each(|socket| socket.shutdown());
}

/// The request in flight on this thread, if it is cancellable.
fn current() -> Option<Arc<InFlight>> {
    CURRENT.with(|current| current.borrow().clone())
}

/// Wraps ureq's connector chain: each connection it makes keeps its sockets' shutdown
/// handles, and gives them to the cancellable request that uses it.
#[derive(Debug)]
pub(crate) struct Connector<C>(pub(crate) C);

impl<C> UreqConnector<()> for Connector<C>
where
    C: UreqConnector<(), Out = Box<dyn Transport>>,
{
    type Out = Watched;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<()>,
    ) -> Result<Option<Watched>, ureq::Error> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        if current().is_some_and(|request| request.fired()) {
            return Err(cancelled());
        }
        let sockets = Arc::new(Mutex::new(Vec::new()));
        let register = {
            let agent = Arc::clone(&details.register_shutdown);
            let sockets = Arc::clone(&sockets);
            move |socket: Weak<dyn ShutdownHandle>| {
                agent(socket.clone())?;
                if let Some(request) = current() {
                    request.add_socket(id, socket.clone());
                }
                sockets
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(socket);
                Ok(())
            }
        };
        // ureq's details, with the registration of sockets seen on the way.
        let details = ConnectionDetails {
            uri: details.uri,
            addrs: details.addrs.clone(),
            config: details.config,
            request_level: details.request_level,
            resolver: details.resolver,
            now: details.now,
            timeout: details.timeout,
            current_time: Arc::clone(&details.current_time),
            run_connector: Arc::clone(&details.run_connector),
            register_shutdown: Arc::new(register),
        };
        let transport = self.0.connect(&details, chained)?;
        let sockets = std::mem::take(&mut *sockets.lock().unwrap_or_else(PoisonError::into_inner));
        Ok(transport.map(|inner| Watched { id, sockets, inner }))
    }
}

/// The error of a request whose socket a cancel shut down before it was made.
fn cancelled() -> ureq::Error {
    ureq::Error::Io(std::io::Error::new(
        std::io::ErrorKind::Interrupted,
        "the request was cancelled",
    ))
}

/// A connection that tells the cancellable request using it where its sockets are.
pub(crate) struct Watched {
    id: u64,
    sockets: Vec<Weak<dyn ShutdownHandle>>,
    inner: Box<dyn Transport>,
}

impl Watched {
    fn in_use(&self) {
        if let Some(request) = current() {
            request.add_connection(self.id, &self.sockets);
        }
    }
}

impl Transport for Watched {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.in_use();
        self.inner.transmit_output(amount, timeout)
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.in_use();
        self.inner.maybe_await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.in_use();
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

impl fmt::Debug for Watched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watched")
            .field("id", &self.id)
            .field("inner", &self.inner)
            .finish()
    }
}
