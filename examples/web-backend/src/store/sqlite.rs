//! [`SqliteStore`]: the logins in one SQLite file, which every instance on the machine can
//! open.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use plex_pin::{ClientId, SavedPin, Token};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{Claimed, Ending, Lease, LoginId, LoginStatus, LoginStore, StoreError};

/// How long a statement waits for another connection's write to end before failing. Writes
/// here take microseconds; only a stuck process holds the lock this long.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS logins (
    id           TEXT PRIMARY KEY,
    state        TEXT NOT NULL CHECK (state IN
                     ('creating', 'pending', 'signed_in', 'expired', 'denied', 'failed')),
    -- The SavedPin as JSON (its serde form, so that fields a later plex-pin adds are kept).
    saved_pin    TEXT,
    url          TEXT,
    expires_at   INTEGER,              -- the pin's expiry, Unix seconds
    lease_owner  TEXT,
    lease_until  INTEGER NOT NULL DEFAULT 0,  -- Unix milliseconds; 0: held by nobody
    account_id   INTEGER,
    display_name TEXT,
    token        TEXT,                 -- the session's token; see README, \"The token\"
    reason       TEXT,
    created_at   INTEGER NOT NULL,     -- Unix seconds
    finished_at  INTEGER               -- Unix seconds, once finished
) STRICT;

-- What claim and housekeeping look for: unfinished logins by lease expiry.
CREATE INDEX IF NOT EXISTS logins_by_state ON logins (state, lease_until);
CREATE INDEX IF NOT EXISTS logins_by_finish ON logins (finished_at);
";

/// The logins in one SQLite file: the embedded default, for one machine.
///
/// Several instances on the machine may open the same file: SQLite's locking serialises
/// their writes, and every write that reads before it writes runs in a `BEGIN IMMEDIATE`
/// transaction, which takes the write lock first, so that a claim cannot read a row that
/// another instance claims before this one writes. (SQLite is not for a file on a network
/// share: use Postgres across machines.)
///
/// The calls are blocking (microseconds for a local file, an `fsync` per write) and run on
/// tokio's blocking threads, one at a time over one connection per instance.
#[derive(Clone)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (or creates) the store at `path`. A new file is readable by its owner only,
    /// as it will hold account tokens.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        create_private(path).map_err(StoreError::new)?;
        let connection = Connection::open(path).map_err(StoreError::new)?;
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(StoreError::new)?;
        // Write-ahead logging: readers (GET /login/{id}) never wait for a writer.
        let mode: String = connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(StoreError::new)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::new(format!(
                "{}: SQLite kept the {mode} journal instead of WAL",
                path.display()
            )));
        }
        connection.execute_batch(SCHEMA).map_err(StoreError::new)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// Runs `work` on the connection, on a blocking thread.
    async fn with<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<R> + Send + 'static,
    ) -> Result<R, StoreError> {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            // A panic in another call cannot leave the connection half-written: SQLite rolls
            // back the transaction it abandoned.
            let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut connection)
        })
        .await
        .map_err(StoreError::new)?
        .map_err(StoreError::new)
    }
}

impl LoginStore for SqliteStore {
    async fn client_id(&self, candidate: &ClientId) -> Result<ClientId, StoreError> {
        let candidate = candidate.as_str().to_owned();
        let stored = self
            .with(move |db| {
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('client_id', ?1)
                     ON CONFLICT (key) DO NOTHING",
                    params![candidate],
                )?;
                db.query_row(
                    "SELECT value FROM meta WHERE key = 'client_id'",
                    [],
                    |row| row.get::<_, String>(0),
                )
            })
            .await?;
        ClientId::new(stored).map_err(StoreError::new)
    }

    async fn reserve(
        &self,
        id: &LoginId,
        lease: &Lease,
        max_unfinished: usize,
    ) -> Result<bool, StoreError> {
        let (id, owner, until) = (id.to_string(), lease.owner.clone(), held_until(lease));
        self.with(move |db| {
            let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let unfinished: usize = tx.query_row(
                "SELECT COUNT(*) FROM logins WHERE state IN ('creating', 'pending')",
                [],
                |row| row.get(0),
            )?;
            if unfinished >= max_unfinished {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO logins (id, state, lease_owner, lease_until, created_at)
                 VALUES (?1, 'creating', ?2, ?3, ?4)",
                params![id, owner, until, unix_secs()],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn pin_ready(
        &self,
        id: &LoginId,
        lease: &Lease,
        saved: &SavedPin,
        url: &str,
    ) -> Result<bool, StoreError> {
        let json = serde_json::to_string(saved).map_err(StoreError::new)?;
        let (id, owner, until) = (id.to_string(), lease.owner.clone(), held_until(lease));
        let (url, expires_at) = (url.to_owned(), saved.expires_at);
        self.with(move |db| {
            let changed = db.execute(
                "UPDATE logins
                 SET state = 'pending', saved_pin = ?1, url = ?2, expires_at = ?3, lease_until = ?4
                 WHERE id = ?5 AND state = 'creating' AND lease_owner = ?6",
                params![json, url, expires_at, until, id, owner],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn claim(&self, lease: &Lease, limit: usize) -> Result<Vec<Claimed>, StoreError> {
        let (owner, until) = (lease.owner.clone(), held_until(lease));
        let rows = self
            .with(move |db| {
                let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let rows = tx
                    .prepare(
                        "UPDATE logins SET lease_owner = ?1, lease_until = ?2
                         WHERE id IN (
                             SELECT id FROM logins
                             WHERE state = 'pending' AND lease_until <= ?3
                             ORDER BY lease_until LIMIT ?4)
                         RETURNING id, saved_pin",
                    )?
                    .query_map(params![owner, until, unix_millis(), limit], |row| {
                        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                tx.commit()?;
                Ok(rows)
            })
            .await?;
        rows.into_iter()
            .map(|(id, json)| {
                let id = LoginId::parse(&id)
                    .ok_or_else(|| StoreError::new(format!("a login id that is not one: {id}")))?;
                let saved = serde_json::from_str(&json).map_err(StoreError::new)?;
                Ok(Claimed { id, saved })
            })
            .collect()
    }

    async fn renew(&self, id: &LoginId, lease: &Lease) -> Result<bool, StoreError> {
        let (id, owner, until) = (id.to_string(), lease.owner.clone(), held_until(lease));
        self.with(move |db| {
            let changed = db.execute(
                "UPDATE logins SET lease_until = ?1
                 WHERE id = ?2 AND lease_owner = ?3 AND state IN ('creating', 'pending')",
                params![until, id, owner],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn finish(
        &self,
        id: &LoginId,
        lease: &Lease,
        ending: &Ending,
    ) -> Result<bool, StoreError> {
        let (state, token, account_id, name, reason) = match ending {
            Ending::SignedIn {
                token,
                account_id,
                display_name,
            } => (
                "signed_in",
                Some(token.expose_secret().to_owned()),
                Some(*account_id),
                display_name.clone(),
                None,
            ),
            Ending::Expired => ("expired", None, None, None, None),
            Ending::Denied => ("denied", None, None, None, None),
            Ending::Failed { reason } => ("failed", None, None, None, Some(reason.clone())),
        };
        let (id, owner) = (id.to_string(), lease.owner.clone());
        self.with(move |db| {
            let changed = db.execute(
                "UPDATE logins
                 SET state = ?1, token = ?2, account_id = ?3, display_name = ?4, reason = ?5,
                     finished_at = ?6, lease_owner = NULL, lease_until = 0
                 WHERE id = ?7 AND lease_owner = ?8 AND state IN ('creating', 'pending')",
                params![
                    state,
                    token,
                    account_id,
                    name,
                    reason,
                    unix_secs(),
                    id,
                    owner
                ],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn release(&self, lease: &Lease) -> Result<usize, StoreError> {
        let owner = lease.owner.clone();
        self.with(move |db| {
            db.execute(
                "UPDATE logins SET lease_owner = NULL, lease_until = 0
                 WHERE lease_owner = ?1 AND state IN ('creating', 'pending')",
                params![owner],
            )
        })
        .await
    }

    async fn status(&self, id: &LoginId) -> Result<Option<LoginStatus>, StoreError> {
        let id = id.to_string();
        let row = self
            .with(move |db| {
                db.query_row(
                    "SELECT state, url, expires_at, account_id, display_name, reason
                     FROM logins WHERE id = ?1",
                    params![id],
                    |row| {
                        Ok(Row {
                            state: row.get(0)?,
                            url: row.get(1)?,
                            expires_at: row.get(2)?,
                            account_id: row.get(3)?,
                            display_name: row.get(4)?,
                            reason: row.get(5)?,
                        })
                    },
                )
                .optional()
            })
            .await?;
        row.map(Row::status).transpose()
    }

    async fn token(&self, id: &LoginId) -> Result<Option<Token>, StoreError> {
        let id = id.to_string();
        let token = self
            .with(move |db| {
                db.query_row(
                    "SELECT token FROM logins WHERE id = ?1 AND state = 'signed_in'",
                    params![id],
                    |row| row.get::<_, String>(0),
                )
                .optional()
            })
            .await?;
        // The error names no value: the text is a token, or meant to be.
        token
            .map(|text| Token::new(text).map_err(StoreError::new))
            .transpose()
    }

    async fn housekeeping(&self, keep_finished: Duration) -> Result<usize, StoreError> {
        let finished_before = unix_secs().saturating_sub(keep_finished.as_secs());
        self.with(move |db| {
            let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let abandoned = tx.execute(
                "UPDATE logins
                 SET state = 'failed', finished_at = ?1, lease_owner = NULL, lease_until = 0,
                     reason = 'the server stopped before plex.tv created the pin; sign in again'
                 WHERE state = 'creating' AND lease_until <= ?2",
                params![unix_secs(), unix_millis()],
            )?;
            let deleted = tx.execute(
                "DELETE FROM logins WHERE finished_at IS NOT NULL AND finished_at < ?1",
                params![finished_before],
            )?;
            tx.commit()?;
            Ok(abandoned + deleted)
        })
        .await
    }
}

/// A row as `status` reads it.
struct Row {
    state: String,
    url: Option<String>,
    expires_at: Option<u64>,
    account_id: Option<u64>,
    display_name: Option<String>,
    reason: Option<String>,
}

impl Row {
    fn status(self) -> Result<LoginStatus, StoreError> {
        let missing =
            |column: &str| StoreError::new(format!("a {} login without its {column}", self.state));
        Ok(match self.state.as_str() {
            "creating" => LoginStatus::Creating,
            "pending" => LoginStatus::Pending {
                url: self.url.clone().ok_or_else(|| missing("url"))?,
                expires_at: self.expires_at.unwrap_or(0),
            },
            "signed_in" => LoginStatus::SignedIn {
                account_id: self.account_id.ok_or_else(|| missing("account_id"))?,
                display_name: self.display_name,
            },
            "expired" => LoginStatus::Expired,
            "denied" => LoginStatus::Denied,
            "failed" => LoginStatus::Failed {
                reason: self.reason.unwrap_or_default(),
            },
            other => return Err(StoreError::new(format!("unknown login state {other:?}"))),
        })
    }
}

/// Creates `path` empty and readable by its owner alone, if it does not exist. SQLite
/// creates its `-wal` and `-shm` files with the same permissions as the database's.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// When a hold taken or renewed now runs out, in Unix milliseconds.
fn held_until(lease: &Lease) -> u64 {
    let ttl = u64::try_from(lease.ttl.as_millis()).unwrap_or(u64::MAX);
    unix_millis().saturating_add(ttl).min(i64::MAX as u64)
}

fn since_epoch() -> Duration {
    // A clock before 1970 reads as 1970: every hold then looks expired, which only means
    // that logins change hands early.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

fn unix_millis() -> u64 {
    u64::try_from(since_epoch().as_millis()).unwrap_or(u64::MAX)
}

fn unix_secs() -> u64 {
    since_epoch().as_secs()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn saved(pin: u64) -> SavedPin {
        let client = ClientId::new("test-client").unwrap();
        SavedPin::new(pin, "CODE", &client, 1_800_000_900)
    }

    /// A pending login held by `lease`.
    async fn pending(store: &SqliteStore, lease: &Lease, pin: u64) -> LoginId {
        let id = LoginId::generate();
        assert!(store.reserve(&id, lease, usize::MAX).await.unwrap());
        let url = format!("http://127.0.0.1/auth#?code={pin}");
        assert!(store
            .pin_ready(&id, lease, &saved(pin), &url)
            .await
            .unwrap());
        id
    }

    /// Two instances (two connections to one file) claiming at once, a few logins at a
    /// time: each login goes to exactly one of them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_claims_split_the_logins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logins.sqlite3");
        let (one, two) = (
            SqliteStore::open(&path).unwrap(),
            SqliteStore::open(&path).unwrap(),
        );
        let creator = Lease::new(Duration::from_secs(60));
        let mut all = BTreeSet::new();
        for pin in 0..60 {
            all.insert(pending(&one, &creator, pin).await.to_string());
        }
        assert_eq!(one.release(&creator).await.unwrap(), 60);

        let claim_all = |store: SqliteStore| async move {
            let lease = Lease::new(Duration::from_secs(60));
            let mut mine = Vec::new();
            // 60 logins, 3 at a time: 20 claims at most; more means some were claimed again.
            for _ in 0..=20 {
                let claimed = store.claim(&lease, 3).await.unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.into_iter().map(|c| c.id.to_string()));
            }
            panic!("the claims never ran out: logins are claimed again");
        };
        let (a, b) = tokio::join!(tokio::spawn(claim_all(one)), tokio::spawn(claim_all(two)));
        let (a, b) = (a.unwrap(), b.unwrap());
        let (a_set, b_set): (BTreeSet<_>, BTreeSet<_>) =
            (a.iter().cloned().collect(), b.iter().cloned().collect());
        assert_eq!(a.len() + b.len(), 60, "no login claimed twice");
        assert!(a_set.is_disjoint(&b_set));
        assert_eq!(&a_set | &b_set, all, "every login claimed");
    }

    /// A live hold keeps others off; once it runs out another instance takes the login, and
    /// the old holder can neither renew nor write its ending.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn holds_keep_others_off_until_they_run_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("logins.sqlite3")).unwrap();
        let holder = Lease::new(Duration::from_secs(60));
        let other = Lease::new(Duration::from_secs(60));
        let id = pending(&store, &holder, 7).await;

        assert!(store.claim(&other, 10).await.unwrap().is_empty(), "held");
        assert!(store.renew(&id, &holder).await.unwrap());

        // The holder stops renewing: a hold of no time has run out already.
        let lapsed = Lease {
            ttl: Duration::ZERO,
            ..holder.clone()
        };
        assert!(store.renew(&id, &lapsed).await.unwrap());
        let claimed = store.claim(&other, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].id, id);
        assert_eq!(claimed[0].saved, saved(7));

        assert!(
            !store.renew(&id, &holder).await.unwrap(),
            "the old holder lost it"
        );
        assert!(!store.finish(&id, &holder, &Ending::Denied).await.unwrap());
        assert!(store.finish(&id, &other, &Ending::Expired).await.unwrap());
        assert_eq!(store.status(&id).await.unwrap(), Some(LoginStatus::Expired));
        assert!(
            store.claim(&holder, 10).await.unwrap().is_empty(),
            "finished"
        );
    }

    /// Concurrent reservations never overshoot the bound.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reservations_respect_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logins.sqlite3");
        let lease = Lease::new(Duration::from_secs(60));
        let reserve_many = |store: SqliteStore, lease: Lease| async move {
            let mut won = 0;
            for _ in 0..20 {
                won += usize::from(
                    store
                        .reserve(&LoginId::generate(), &lease, 10)
                        .await
                        .unwrap(),
                );
            }
            won
        };
        let (a, b) = tokio::join!(
            tokio::spawn(reserve_many(
                SqliteStore::open(&path).unwrap(),
                lease.clone()
            )),
            tokio::spawn(reserve_many(SqliteStore::open(&path).unwrap(), lease)),
        );
        assert_eq!(a.unwrap() + b.unwrap(), 10);
    }

    /// The token is stored for the app and read back only for a signed-in login.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_signed_in_login_keeps_its_token() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("logins.sqlite3")).unwrap();
        let lease = Lease::new(Duration::from_secs(60));
        let id = pending(&store, &lease, 1).await;
        assert_eq!(store.token(&id).await.unwrap(), None);
        let ending = Ending::SignedIn {
            token: Token::new("secret-token").unwrap(),
            account_id: 42,
            display_name: Some("Ann".into()),
        };
        assert!(!format!("{ending:?}").contains("secret-token"));
        assert!(store.finish(&id, &lease, &ending).await.unwrap());
        let status = store.status(&id).await.unwrap().unwrap();
        assert_eq!(
            serde_json::to_value(&status).unwrap(),
            serde_json::json!({"status": "signed_in", "accountId": 42, "displayName": "Ann"})
        );
        let token = store.token(&id).await.unwrap().unwrap();
        assert_eq!(token.expose_secret(), "secret-token");
    }

    /// Housekeeping fails logins whose instance stopped before their pin existed, and
    /// deletes finished ones past their time.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn housekeeping_bounds_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("logins.sqlite3")).unwrap();
        let lapsed = Lease::new(Duration::ZERO);
        let live = Lease::new(Duration::from_secs(60));
        let (abandoned, creating) = (LoginId::generate(), LoginId::generate());
        assert!(store.reserve(&abandoned, &lapsed, 10).await.unwrap());
        assert!(store.reserve(&creating, &live, 10).await.unwrap());

        assert_eq!(
            store.housekeeping(Duration::from_secs(3600)).await.unwrap(),
            1
        );
        assert!(matches!(
            store.status(&abandoned).await.unwrap(),
            Some(LoginStatus::Failed { .. })
        ));
        assert_eq!(
            store.status(&creating).await.unwrap(),
            Some(LoginStatus::Creating)
        );

        // Finished over a second ago, kept for no time: deleted.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(store.housekeeping(Duration::ZERO).await.unwrap(), 1);
        assert_eq!(store.status(&abandoned).await.unwrap(), None);
    }

    /// The first client identifier stored is every later instance's.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_client_id_is_the_first_one_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logins.sqlite3");
        let first = ClientId::new("first").unwrap();
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.client_id(&first).await.unwrap(), first);
        let again = SqliteStore::open(&path).unwrap();
        let second = ClientId::new("second").unwrap();
        assert_eq!(again.client_id(&second).await.unwrap(), first);
    }

    /// The file holds tokens: only its owner may read it.
    #[cfg(unix)]
    #[test]
    fn a_new_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logins.sqlite3");
        SqliteStore::open(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
