//! Where logins live between requests, restarts and instances: the [`LoginStore`] trait,
//! what it stores, and [`SqliteStore`], the embedded default.
//!
//! # One row per login
//!
//! ```text
//!   reserve ──▶ creating ──pin_ready──▶ pending ──finish──▶ signed_in | expired | denied | failed
//!                  │                       ▲  │                           │
//!                  │          claim (any   │  │ lease runs out            │ housekeeping
//!                  │          instance) ───┘◀─┘ (crash) or release        ▼ (after keep_finished)
//!                  └── lease runs out: housekeeping marks it failed      deleted
//! ```
//!
//! # Leases: one poller per login
//!
//! Every unfinished login carries a lease: the [`Lease::owner`] (one running instance) and
//! when its hold runs out. Only the owner polls the pin, renews the hold while it does,
//! and writes the ending; [`claim`](LoginStore::claim) takes only logins whose hold has run
//! out (or was [`release`](LoginStore::release)d), in one atomic statement. So two
//! instances that start together over one store split the pending logins between them,
//! and a login whose instance crashed is taken over by another once its hold runs out.
//! Each write that only the owner may make names it ("fencing"): an instance that lost its
//! lease without noticing (paused past the hold) cannot overwrite the new owner's work.
//!
//! The trait takes durations, not instants: each store counts them on the one clock all
//! instances share (SQLite: the machine's, as the instances share its file; Postgres:
//! `now()` on the server; Redis: its key expiry), so the clocks of the instances never
//! need to agree.

mod sqlite;

use std::fmt;
use std::future::Future;
use std::time::Duration;

use plex_pin::{ClientId, SavedPin, Token};
use serde::Serialize;

pub use sqlite::SqliteStore;

/// A store of logins that several instances of the app can share.
///
/// Methods are async because a shared store (Postgres, Redis) is a network away; the
/// futures are `Send` so that the app can run them from any task. An implementation must
/// make [`reserve`](Self::reserve) and [`claim`](Self::claim) atomic, and every write
/// that takes a [`Lease`] conditional on the lease's owner still holding the login (see
/// the [module](self) documentation). The README sketches Postgres and Redis.
pub trait LoginStore: Send + Sync + 'static {
    /// The deployment's plex.tv client identifier: the stored one, or `candidate`, stored
    /// now if there is none. plex.tv ties a pin to the identifier that created it, so every
    /// instance that may resume a login must use the same one.
    fn client_id(
        &self,
        candidate: &ClientId,
    ) -> impl Future<Output = Result<ClientId, StoreError>> + Send;

    /// Adds a login in the `creating` state, held by `lease`, unless `max_unfinished`
    /// logins are creating or pending already (then `false`: nothing was added). The count
    /// and the insert are one atomic step, so concurrent requests cannot overshoot.
    fn reserve(
        &self,
        id: &LoginId,
        lease: &Lease,
        max_unfinished: usize,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The pin exists: stores `saved` (what any instance needs to resume the login) and
    /// the approval `url`, and makes the login `pending`. `false` if `lease` no longer
    /// holds it.
    fn pin_ready(
        &self,
        id: &LoginId,
        lease: &Lease,
        saved: &SavedPin,
        url: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Takes up to `limit` pending logins that no live lease holds (released, or whose
    /// holder stopped renewing) for `lease`, atomically: of two instances claiming at once,
    /// each login goes to exactly one.
    fn claim(
        &self,
        lease: &Lease,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Claimed>, StoreError>> + Send;

    /// Extends `lease`'s hold on an unfinished login by [`Lease::ttl`]. `false` if it no
    /// longer holds it (another instance claimed it, or it finished): stop polling.
    fn renew(
        &self,
        id: &LoginId,
        lease: &Lease,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Writes how the login ended and drops its lease. `false` if `lease` no longer holds
    /// it (nothing was written).
    fn finish(
        &self,
        id: &LoginId,
        lease: &Lease,
        ending: &Ending,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Drops every hold of `lease` (a clean shutdown), so that other instances claim its
    /// pending logins at once instead of waiting for the holds to run out. Returns how
    /// many it dropped.
    fn release(&self, lease: &Lease) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// What `GET /login/{id}` shows; `None` for an unknown id.
    fn status(
        &self,
        id: &LoginId,
    ) -> impl Future<Output = Result<Option<LoginStatus>, StoreError>> + Send;

    /// The token of a signed-in login, for the app's own calls to plex.tv on the user's
    /// behalf. Never sent to the browser.
    fn token(&self, id: &LoginId)
        -> impl Future<Output = Result<Option<Token>, StoreError>> + Send;

    /// Keeps the store bounded: marks `creating` logins whose lease ran out as failed (their
    /// instance stopped before the pin existed: nothing can resume them) and deletes the
    /// logins that finished more than `keep_finished` ago. Returns how many rows changed.
    fn housekeeping(
        &self,
        keep_finished: Duration,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

/// A login's id, as the browser holds it: 128 random bits as 32 lowercase hex digits,
/// unguessable, so that one browser cannot read another's login.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LoginId(String);

impl LoginId {
    /// A fresh random id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    /// An id from a URL, if it has the form of one (the check bounds what reaches the
    /// store).
    pub fn parse(text: &str) -> Option<Self> {
        let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        (text.len() == 32 && text.bytes().all(hex)).then(|| Self(text.to_owned()))
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LoginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for LoginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LoginId({})", self.0)
    }
}

/// One running instance's hold on the logins it polls.
#[derive(Debug, Clone)]
pub struct Lease {
    /// Who holds: a fresh random id per start of an instance, so that a restarted instance
    /// never mistakes its predecessor's holds for its own.
    pub owner: String,
    /// How long a hold lasts without renewal: how long the logins of a crashed instance
    /// wait before another takes them over. The holder renews at a third of it.
    pub ttl: Duration,
}

impl Lease {
    /// A new owner holding for `ttl` at a time.
    pub fn new(ttl: Duration) -> Self {
        Self {
            owner: uuid::Uuid::new_v4().simple().to_string(),
            ttl,
        }
    }
}

/// A pending login [`claim`](LoginStore::claim)ed for resuming.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The login.
    pub id: LoginId,
    /// Its pin, as [`PinLogin::resume`](plex_pin::PinLogin::resume) takes it.
    pub saved: SavedPin,
}

/// How a login ended, as its owner writes it.
#[derive(Debug)]
pub enum Ending {
    /// plex.tv issued a token and said whose account it is.
    SignedIn {
        /// The account token: kept in the store as the session's, never sent to the browser
        /// (its `Debug` prints `Token(***)`).
        token: Token,
        /// The Plex account's id: what an app keys its own user records on.
        account_id: u64,
        /// The name to greet the user with.
        display_name: Option<String>,
    },
    /// The pin's time ran out before the user approved.
    Expired,
    /// plex.tv dropped the pin before its time: the user denied the sign-in.
    Denied,
    /// Anything else; `reason` is safe to show (the core's errors never hold a token).
    Failed {
        /// What went wrong.
        reason: String,
    },
}

/// What `GET /login/{id}` answers, as JSON: `{"status": "pending", "url": …}` and so on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "status",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum LoginStatus {
    /// The pin is being created (only until `POST /login` answers).
    Creating,
    /// Waiting for the user to approve at `url`.
    Pending {
        /// Where the user approves the sign-in.
        url: String,
        /// When the pin expires, in Unix seconds.
        expires_at: u64,
    },
    /// Signed in.
    SignedIn {
        /// The Plex account's id.
        account_id: u64,
        /// The account's display name.
        display_name: Option<String>,
    },
    /// The pin expired before the user approved.
    Expired,
    /// The user denied the sign-in.
    Denied,
    /// The login failed; `reason` says why.
    Failed {
        /// What went wrong.
        reason: String,
    },
}

/// A store that failed (unreachable, corrupt, full): the request or the login step that
/// met it fails, and the message goes to the server's log, not to the browser.
#[derive(Debug, thiserror::Error)]
#[error("the login store failed: {0}")]
pub struct StoreError(#[source] Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    /// Wraps any store's error.
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(error.into())
    }
}
