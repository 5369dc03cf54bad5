//! One login's background task: runs plex-pin's loop (`drive::run`, through
//! `plex_pin_hyper::Client::run`) on this instance while it holds the login's lease, stores
//! the pin before `POST /login` answers, and writes how the login ended.

use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plex_pin::drive::Event;
use plex_pin::{Call, ExpiredBy, PinLogin, SavedPin, Token};
use tokio::sync::oneshot;

use crate::store::{Ending, Lease, LoginId, LoginStore};

/// How long a pin is taken to have expired before its stated expiry when plex.tv drops it
/// (plex.tv answers 404 alike for an expired and a denied pin): the stored expiry is in
/// whole seconds, and the two clocks may differ a little.
const EXPIRY_SLACK: Duration = Duration::from_secs(3);

/// How often the account is asked for once the token arrived, before giving up.
const USER_ATTEMPTS: u32 = 3;

/// What an instance's login tasks share.
pub(crate) struct Context<S> {
    pub(crate) store: S,
    pub(crate) client: plex_pin_hyper::Client,
    /// The instance's hold on the logins it polls.
    pub(crate) lease: Lease,
    /// How long a new login waits for plex.tv to create its pin.
    pub(crate) create_timeout: Duration,
}

/// What `POST /login` answers once the pin is stored.
#[derive(Debug, Clone)]
pub(crate) struct Started {
    pub(crate) id: LoginId,
    pub(crate) url: String,
    pub(crate) expires_at: u64,
}

/// Why a new login could not answer `POST /login` with its pin; safe to show.
pub(crate) type NotStarted = String;

/// Where a new login reports that its pin is stored (or why there is none).
pub(crate) type Announce = oneshot::Sender<Result<Started, NotStarted>>;

/// Why a task stopped without an ending: another instance goes on with the login.
#[derive(Debug)]
enum Stop {
    /// The lease is another instance's now.
    LeaseLost,
    /// The store could not renew the lease for a whole lease period: another instance may
    /// hold it by now.
    StoreUnreachable,
}

/// Runs one login to its end on this instance: a new one (`announce` set: `POST /login`
/// waits on it) or one resumed from the store (`saved`).
pub(crate) async fn run<S: LoginStore>(
    cx: Arc<Context<S>>,
    id: LoginId,
    login: PinLogin,
    saved: Option<SavedPin>,
    announce: Option<Announce>,
) {
    let ending = match drive(&cx, &id, login, saved, announce).await {
        Ok(ending) => ending,
        Err(stop) => {
            tracing::warn!(login = %id, "stopped polling: {stop:?}; another instance goes on");
            return;
        }
    };
    let what = describe(&ending);
    match cx.store.finish(&id, &cx.lease, &ending).await {
        Ok(true) => tracing::info!(login = %id, "login ended: {what}"),
        Ok(false) => tracing::warn!(login = %id, "login ended ({what}) after its lease was lost"),
        Err(e) => tracing::error!(login = %id, "login ended ({what}) but was not stored: {e}"),
    }
}

/// Polls the pin while the lease holds; the ending, or why this instance stopped.
async fn drive<S: LoginStore>(
    cx: &Context<S>,
    id: &LoginId,
    login: PinLogin,
    mut saved: Option<SavedPin>,
    announce: Option<Announce>,
) -> Result<Ending, Stop> {
    // The observer is synchronous: it hands the pin over, and the store write happens
    // below, before `POST /login` answers.
    let (pin_ready, mut pin_rx) = oneshot::channel::<(SavedPin, String)>();
    let mut pin_ready = Some(pin_ready);
    let polling = cx.client.run(login, None, |event| match event {
        Event::PinReady { saved, url, .. } => {
            if let Some(tx) = pin_ready.take() {
                let _ = tx.send((saved.clone(), url.to_owned()));
            }
        }
        Event::Retrying { attempt, error, .. } => {
            tracing::warn!(login = %id, attempt, "plex.tv: {error}; retrying");
        }
        _ => {}
    });
    let mut polling = pin!(polling);
    let mut lease = pin!(keep_lease(cx, id));

    // A new login: wait for its pin, store it, and only then answer `POST /login`.
    if let Some(announce) = announce {
        let (pin, ended) = tokio::select! {
            biased;
            ready = &mut pin_rx => (ready.ok(), None),
            // The observer runs inside the loop: a pin it handed over is in the channel.
            result = &mut polling => (pin_rx.try_recv().ok(), Some(result)),
            stop = &mut lease => return Err(stop),
            () = tokio::time::sleep(cx.create_timeout) => (None, None),
        };
        let Some((pin, url)) = pin else {
            let ending = match ended {
                Some(result) => ending(cx, result, None).await,
                None => Ending::Failed {
                    reason: "plex.tv did not create a pin in time; try again".to_owned(),
                },
            };
            let _ = announce.send(Err(describe(&ending)));
            return Ok(ending);
        };
        if let Err(reason) = store_pin(cx, id, &pin, &url).await {
            let _ = announce.send(Err(reason.clone()));
            return Ok(Ending::Failed { reason });
        }
        let started = Started {
            id: id.clone(),
            url,
            expires_at: pin.expires_at,
        };
        // The browser may have gone: the login goes on all the same.
        let _ = announce.send(Ok(started));
        saved = Some(pin);
        if let Some(result) = ended {
            return Ok(ending(cx, result, saved.as_ref()).await);
        }
    }

    let result = tokio::select! {
        result = &mut polling => result,
        stop = &mut lease => return Err(stop),
    };
    // Reading the account takes a request or three: the lease is kept meanwhile.
    tokio::select! {
        ending = ending(cx, result, saved.as_ref()) => Ok(ending),
        stop = &mut lease => Err(stop),
    }
}

/// Stores a new login's pin: from now on any instance can resume it. The error is what
/// `POST /login` answers.
async fn store_pin<S: LoginStore>(
    cx: &Context<S>,
    id: &LoginId,
    pin: &SavedPin,
    url: &str,
) -> Result<(), NotStarted> {
    match cx.store.pin_ready(id, &cx.lease, pin, url).await {
        Ok(true) => {
            tracing::info!(login = %id, pin = pin.id, "pin stored; waiting for approval");
            Ok(())
        }
        // Only a shutdown takes a creating login's lease away.
        Ok(false) => Err("the server is shutting down; try again".to_owned()),
        Err(e) => {
            tracing::error!(login = %id, "the pin was not stored: {e}");
            Err("the sign-in could not be saved; try again".to_owned())
        }
    }
}

/// Renews the lease every third of its time; returns when this instance must stop polling.
async fn keep_lease<S: LoginStore>(cx: &Context<S>, id: &LoginId) -> Stop {
    let ttl = cx.lease.ttl;
    let mut renewed = Instant::now();
    loop {
        tokio::time::sleep(ttl / 3).await;
        match cx.store.renew(id, &cx.lease).await {
            Ok(true) => renewed = Instant::now(),
            Ok(false) => return Stop::LeaseLost,
            // Not held for sure any more: another instance may have claimed it.
            Err(_) if renewed.elapsed() >= ttl => return Stop::StoreUnreachable,
            Err(e) => tracing::warn!(login = %id, "could not renew the lease: {e}"),
        }
    }
}

/// How the loop's result ends the login. `saved` is the stored pin (`None` if there was
/// none yet).
async fn ending<S: LoginStore>(
    cx: &Context<S>,
    result: Result<Token, plex_pin_hyper::Error>,
    saved: Option<&SavedPin>,
) -> Ending {
    let error = match result {
        Ok(token) => return signed_in(cx, token).await,
        Err(error) => error,
    };
    match error.plex() {
        Some(plex_pin::Error::PinExpired {
            by: ExpiredBy::LocalDeadline,
        })
        | Some(plex_pin::Error::TimedOut) => Ending::Expired,
        // plex.tv says 404/1020 for a pin that expired and for one the user denied: before
        // its expiry, it was denied.
        Some(plex_pin::Error::PinExpired {
            by: ExpiredBy::Server,
        }) => match saved.map(|s| s.expires_at) {
            Some(at) if at > 0 && unix_now() + EXPIRY_SLACK.as_secs() < at => Ending::Denied,
            _ => Ending::Expired,
        },
        // The core's and the transport's errors never hold a token: safe to store and show.
        _ => Ending::Failed {
            reason: error.to_string(),
        },
    }
}

/// The token arrived: ask plex.tv whose account it is (a retry or two: the token is good,
/// and losing it would make the user sign in again).
async fn signed_in<S: LoginStore>(cx: &Context<S>, token: Token) -> Ending {
    let mut attempt = 1;
    loop {
        let call = Call::user(cx.client.config(), &token);
        match cx.client.call(call).await {
            Ok(user) => {
                return Ending::SignedIn {
                    account_id: user.id,
                    display_name: user.display_name().map(str::to_owned),
                    token,
                }
            }
            Err(e) if attempt >= USER_ATTEMPTS => {
                return Ending::Failed {
                    reason: format!("plex.tv did not say whose account signed in: {e}"),
                }
            }
            Err(e) => tracing::warn!(attempt, "reading the account failed: {e}; retrying"),
        }
        tokio::time::sleep(Duration::from_millis(500) * attempt).await;
        attempt += 1;
    }
}

/// The ending, for logs and for `POST /login`'s error: never the token.
fn describe(ending: &Ending) -> String {
    match ending {
        Ending::SignedIn { account_id, .. } => format!("signed in as account {account_id}"),
        Ending::Expired => "the pin expired before it was approved".to_owned(),
        Ending::Denied => "the sign-in was denied".to_owned(),
        Ending::Failed { reason } => reason.clone(),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
