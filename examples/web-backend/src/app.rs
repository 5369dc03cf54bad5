//! A running instance of the app: its settings, the state its handlers and login tasks
//! share, resuming the store's pending logins (at start and then periodically), and
//! stopping.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use plex_pin::{LoginOptions, PinLogin};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::login::{self, NotStarted, Started};
use crate::store::{Claimed, Lease, LoginId, LoginStore, StoreError};

/// How an instance runs logins. The defaults suit plex.tv.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    /// How each login polls (plex.tv asks for once a second) and what kind of pin it makes.
    pub login: LoginOptions,
    /// Most logins creating or pending at once, across every instance sharing the store:
    /// each holds a row, a task and a poll a second on one of the instances. `POST /login`
    /// answers 503 past it.
    pub max_pending: usize,
    /// How long a lease holds without renewal: how long a crashed instance's logins wait
    /// before another instance takes them over. At least a second.
    pub lease: Duration,
    /// How long `POST /login` waits for plex.tv to create the pin (retries included).
    pub create_timeout: Duration,
    /// How long a finished login stays readable (and a signed-in one keeps its token)
    /// before housekeeping deletes it.
    pub keep_finished: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            login: LoginOptions::default(),
            max_pending: 1000,
            lease: Duration::from_secs(30),
            create_timeout: Duration::from_secs(15),
            keep_finished: Duration::from_secs(3600),
        }
    }
}

impl Settings {
    /// Sets the login options.
    pub fn login(mut self, options: LoginOptions) -> Self {
        self.login = options;
        self
    }

    /// Sets the most logins pending at once.
    pub fn max_pending(mut self, max: usize) -> Self {
        self.max_pending = max;
        self
    }

    /// Sets the lease time.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }
}

/// What the handlers and the login tasks of one instance share.
pub(crate) struct App<S> {
    pub(crate) store: S,
    pub(crate) client: plex_pin_hyper::Client,
    pub(crate) settings: Settings,
    /// This instance's hold on the logins it polls.
    pub(crate) lease: Lease,
    /// One task per login this instance polls; `None` once stopping. Dropping the set
    /// aborts them: nothing outlives the instance.
    tasks: Mutex<Option<JoinSet<()>>>,
}

/// Why `POST /login` could not start a login.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    #[error("too many sign-ins are in progress; try again in a minute")]
    Full,
    #[error("{0}")]
    Plex(NotStarted),
    #[error("the server is shutting down; try again")]
    Stopping,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<S: LoginStore> App<S> {
    /// Starts a login: reserves its row (within the bound), runs its task, and returns
    /// once the task stored the pin.
    pub(crate) async fn start_login(self: &Arc<Self>) -> Result<Started, StartError> {
        let id = LoginId::generate();
        let max = self.settings.max_pending;
        if !self.store.reserve(&id, &self.lease, max).await? {
            return Err(StartError::Full);
        }
        let (announce, started) = oneshot::channel();
        let login = PinLogin::new(self.client.config(), self.settings.login.clone());
        let task = login::run(Arc::clone(self), id, login, None, Some(announce));
        if !self.spawn(task) {
            return Err(StartError::Stopping);
        }
        // A dropped sender: the task was aborted, as the instance is stopping.
        started
            .await
            .map_err(|_| StartError::Stopping)?
            .map_err(StartError::Plex)
    }

    /// Claims pending logins that no live instance polls and resumes each in a task, up
    /// to this instance's free room. Returns how many it resumed.
    async fn resume_pending(self: &Arc<Self>) -> Result<usize, StoreError> {
        let room = self.settings.max_pending.saturating_sub(self.running());
        if room == 0 {
            return Ok(0);
        }
        let claimed = self.store.claim(&self.lease, room).await?;
        let count = claimed.len();
        for Claimed { id, saved } in claimed {
            let options = self.settings.login.clone();
            match PinLogin::resume(self.client.config(), options, &saved) {
                Ok(login) => {
                    self.spawn(login::run(Arc::clone(self), id, login, Some(saved), None));
                }
                // Saved under another client identifier: plex.tv would not know the pin.
                Err(e) => {
                    let ending = crate::store::Ending::Failed {
                        reason: e.to_string(),
                    };
                    self.store.finish(&id, &self.lease, &ending).await?;
                }
            }
        }
        Ok(count)
    }

    /// Runs `task` in the instance's set; `false` once the instance is stopping.
    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) -> bool {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(tasks) = tasks.as_mut() else {
            return false;
        };
        reap(tasks);
        tasks.spawn(task);
        true
    }

    /// Logins this instance polls now.
    fn running(&self) -> usize {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        tasks.as_mut().map_or(0, |tasks| {
            reap(tasks);
            tasks.len()
        })
    }

    /// Takes the login tasks out, so that they are aborted when dropped.
    fn take_tasks(&self) -> Option<JoinSet<()>> {
        self.tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// Forgets the tasks that ended, so that the set holds only running ones.
fn reap(tasks: &mut JoinSet<()>) {
    while let Some(ended) = tasks.try_join_next() {
        if let Err(e) = ended {
            if e.is_panic() {
                tracing::error!("a login task panicked: {e}");
            }
        }
    }
}

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
            .field("owner", &self.app.lease.owner)
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
        let app = Arc::new(App {
            store,
            client,
            settings,
            lease,
            tasks: Mutex::new(Some(JoinSet::new())),
        });
        let resumed = app.resume_pending().await?;
        tracing::info!(resumed, owner = %app.lease.owner, "instance started on {addr}");
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
        &self.app.store
    }

    /// Its lease's owner id, as the store records it.
    pub fn owner(&self) -> &str {
        &self.app.lease.owner
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
        let released = self.app.store.release(&self.app.lease).await?;
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
        tokio::time::sleep(app.lease.ttl / 2).await;
        match app.resume_pending().await {
            Ok(0) => {}
            Ok(resumed) => tracing::info!(resumed, "took over pending logins"),
            Err(e) => tracing::error!("could not claim pending logins: {e}"),
        }
        if let Err(e) = app.store.housekeeping(app.settings.keep_finished).await {
            tracing::error!("housekeeping failed: {e}");
        }
    }
}
