//! What every request handler shares: the emulator's state behind its lock, its base URL
//! and options, the open connections; and the error that makes hyper drop a connection.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::connections::Connections;
use crate::state::{State, Stats};

pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub base_url: String,
    /// See [`crate::Options::body_read_timeout`].
    pub body_read_timeout: Duration,
    /// See [`crate::Options::idle_timeout`].
    pub idle_timeout: Duration,
    /// See [`crate::Options::strict`].
    pub strict: bool,
    pub connections: Arc<Connections>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters to an emulator; keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the emulator has served and holds, open connections included.
    pub fn stats(&self) -> Stats {
        let mut stats = self.lock().stats();
        stats.stored.connections = self.connections.len();
        stats
    }
}

/// Returned by the service to make hyper close the connection without an answer.
#[derive(Debug)]
pub(crate) struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped on purpose (fault injection)")
    }
}

impl std::error::Error for DropConnection {}
