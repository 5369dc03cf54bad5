//! What one instance's handlers share: its settings, its login tasks, and the two ways a
//! login task starts (a new login for `POST /login`, or a pending one claimed from the
//! store).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use plex_pin::{LoginOptions, PinLogin};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::login::{self, Context, NotStarted, Started};
use crate::store::{Claimed, Ending, Lease, LoginId, LoginStore, StoreError};

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

/// What the handlers of one instance share.
pub(crate) struct App<S> {
    /// What its login tasks share (they hold this, not the `App`: the tasks live in the
    /// `App`, which they must not keep alive).
    pub(crate) cx: Arc<Context<S>>,
    pub(crate) settings: Settings,
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
    /// The state of an instance holding `lease`.
    pub(crate) fn new(
        store: S,
        client: plex_pin_hyper::Client,
        settings: Settings,
        lease: Lease,
    ) -> Self {
        let cx = Context {
            store,
            client,
            lease,
            create_timeout: settings.create_timeout,
        };
        Self {
            cx: Arc::new(cx),
            settings,
            tasks: Mutex::new(Some(JoinSet::new())),
        }
    }

    /// The store.
    pub(crate) fn store(&self) -> &S {
        &self.cx.store
    }

    /// This instance's hold on the logins it polls.
    pub(crate) fn lease(&self) -> &Lease {
        &self.cx.lease
    }

    /// Starts a login: reserves its row (within the bound), runs its task, and returns
    /// once the task stored the pin.
    pub(crate) async fn start_login(&self) -> Result<Started, StartError> {
        let id = LoginId::generate();
        let max = self.settings.max_pending;
        if !self.store().reserve(&id, self.lease(), max).await? {
            return Err(StartError::Full);
        }
        let (announce, started) = oneshot::channel();
        let login = PinLogin::new(self.cx.client.config(), self.settings.login.clone());
        let task = login::run(Arc::clone(&self.cx), id, login, None, Some(announce));
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
    pub(crate) async fn resume_pending(&self) -> Result<usize, StoreError> {
        let room = self.settings.max_pending.saturating_sub(self.running());
        if room == 0 {
            return Ok(0);
        }
        let claimed = self.store().claim(self.lease(), room).await?;
        let count = claimed.len();
        for Claimed { id, saved } in claimed {
            let options = self.settings.login.clone();
            match PinLogin::resume(self.cx.client.config(), options, &saved) {
                Ok(login) => {
                    let task = login::run(Arc::clone(&self.cx), id, login, Some(saved), None);
                    self.spawn(task);
                }
                // Saved under another client identifier: plex.tv would not know the pin.
                Err(e) => {
                    let reason = e.to_string();
                    let ending = Ending::Failed { reason };
                    self.store().finish(&id, self.lease(), &ending).await?;
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
    pub(crate) fn take_tasks(&self) -> Option<JoinSet<()>> {
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
