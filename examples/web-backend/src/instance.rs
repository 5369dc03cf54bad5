//! A running instance: the HTTP server, its login tasks, and the periodic resume of
//! pending logins; started, stopped cleanly, or dropped as a crash would stop it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::{App, Settings};
use crate::store::{Lease, LoginStore, StoreError};

/// Why an instance did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartFailed {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The client's identifier is not the one the store's logins were made with.
    #[error("the client identifier {client} is not the store's ({stored}): build the client with LoginStore::client_id's answer")]
    ClientIdMismatch {
        /// The client's.
        client: String,
        /// The store's.
        stored: String,
    },
    /// The listener has no address.
    #[error("the listener: {0}")]
    Listener(#[from] std::io::Error),
}

/// One running instance: the HTTP server, its login tasks, and the periodic resume of
/// pending logins.
///
/// [`shutdown`](Self::shutdown) stops it cleanly, handing its pending logins over at once.
/// Dropping it stops it as a crash would: its tasks are aborted, and its pending logins
/// wait for their leases to run out before another instance (or this one restarted) takes
/// them over.
pub struct Instance<S: LoginStore> {
    app: Arc<App<S>>,
    addr: SocketAddr,
    server: JoinHandle<()>,
    stop_serving: Option<oneshot::Sender<()>>,
    sweeper: JoinHandle<()>,
}

impl<S: LoginStore> std::fmt::Debug for Instance<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("addr", &self.addr)
            .field("owner", &self.app.lease().owner)
            .finish_non_exhaustive()
    }
}

impl<S: LoginStore> Instance<S> {
    /// Starts an instance serving on `listener`: resumes the store's pending logins that no
    /// live instance polls, then serves, and from then on looks for more (a crashed
    /// instance's) every half lease.
    ///
    /// `client` must use the store's client identifier ([`LoginStore::client_id`]): a pin
    /// is known to plex.tv only under the identifier that created it.
    pub async fn start(
        store: S,
        client: plex_pin_hyper::Client,
        settings: Settings,
        listener: TcpListener,
    ) -> Result<Self, StartFailed> {
        let stored = store.client_id(client.config().client_id()).await?;
        if stored != *client.config().client_id() {
            return Err(StartFailed::ClientIdMismatch {
                client: client.config().client_id().as_str().to_owned(),
                stored: stored.as_str().to_owned(),
            });
        }
        let addr = listener.local_addr()?;
        let lease = Lease::new(settings.lease.max(Duration::from_secs(1)));
        let app = Arc::new(App::new(store, client, settings, lease));
        let resumed = app.resume_pending().await?;
        let owner = &app.lease().owner;
        tracing::info!(resumed, %owner, "instance started on {addr}");
        let sweeper = tokio::spawn(sweep(Arc::clone(&app)));
        let (stop_serving, stop) = oneshot::channel::<()>();
        let router = crate::routes::router(Arc::clone(&app));
        let server = tokio::spawn(async move {
            let serving = axum::serve(listener, router).with_graceful_shutdown(async {
                let _ = stop.await;
            });
            if let Err(e) = serving.await {
                tracing::error!("the server stopped: {e}");
            }
        });
        Ok(Self {
            app,
            addr,
            server,
            stop_serving: Some(stop_serving),
            sweeper,
        })
    }

    /// Where it serves.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its store.
    pub fn store(&self) -> &S {
        self.app.store()
    }

    /// Its lease's owner id, as the store records it.
    pub fn owner(&self) -> &str {
        &self.app.lease().owner
    }

    /// Stops cleanly: stops accepting requests (those in progress finish, for up to 5 s),
    /// stops its login tasks and releases their leases, so that another instance takes
    /// their logins over at once.
    pub async fn shutdown(mut self) -> Result<(), StoreError> {
        if let Some(stop) = self.stop_serving.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.server).await;
        self.sweeper.abort();
        if let Some(mut tasks) = self.app.take_tasks() {
            tasks.shutdown().await;
        }
        let released = self.app.store().release(self.app.lease()).await?;
        tracing::info!(
            released,
            "instance stopped; its pending logins are free to claim"
        );
        Ok(())
    }
}

impl<S: LoginStore> Drop for Instance<S> {
    fn drop(&mut self) {
        self.server.abort();
        self.sweeper.abort();
        drop(self.app.take_tasks());
    }
}

/// Every half lease: resumes what no live instance polls (a crashed instance's logins,
/// once their leases ran out) and keeps the store bounded.
async fn sweep<S: LoginStore>(app: Arc<App<S>>) {
    loop {
        tokio::time::sleep(app.lease().ttl / 2).await;
        match app.resume_pending().await {
            Ok(0) => {}
            Ok(resumed) => tracing::info!(resumed, "took over pending logins"),
            Err(e) => tracing::error!("could not claim pending logins: {e}"),
        }
        if let Err(e) = app.store().housekeeping(app.settings.keep_finished).await {
            tracing::error!("housekeeping failed: {e}");
        }
    }
}
