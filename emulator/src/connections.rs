//! The open connections: how many there may be, which one has been idle the longest, and
//! closing it to make room.
//!
//! A shared emulator must keep answering when a client leaves connections open: 1,100
//! idle connections at a 1,024-descriptor limit once made it deaf for 30 s. So there is a
//! cap ([`Limits::connections`](crate::Limits::connections)); a newcomer past it takes the
//! place of the connection idle the longest (one waiting for a request, not one being
//! answered), and is answered 503 only when every connection is busy. The accept loop
//! does the same when the process runs out of descriptors before the cap.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::oneshot;

/// The registry of open connections.
pub(crate) struct Connections {
    max: usize,
    epoch: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Entry>>,
}

struct Entry {
    activity: Arc<Activity>,
    /// Dropping it closes the connection.
    _close: oneshot::Sender<()>,
}

/// What one connection is doing: requests in progress, and when it last did something.
pub(crate) struct Activity {
    epoch: Instant,
    in_flight: AtomicU32,
    /// Milliseconds since `epoch` at the last request's start or end (or the accept).
    last: AtomicU64,
}

/// An admitted connection's place in the registry; it leaves when this is dropped.
pub(crate) struct Ticket {
    id: u64,
    registry: Arc<Connections>,
    /// What the connection's requests update.
    pub activity: Arc<Activity>,
    /// Resolves when the registry closes the connection to make room.
    pub closed: oneshot::Receiver<()>,
}

/// Marks a request in progress; dropping it (answered, or the connection gone) ends it.
pub(crate) struct Busy(Arc<Activity>);

impl Connections {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max: max.max(1),
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Entry>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits a new connection, closing the one idle the longest if the cap is reached;
    /// `None` when the cap is reached and every connection is busy.
    pub fn admit(self: &Arc<Self>) -> Option<Ticket> {
        let mut open = self.lock();
        if open.len() >= self.max && !close_idlest(&mut open) {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let activity = Arc::new(Activity {
            epoch: self.epoch,
            in_flight: AtomicU32::new(0),
            last: AtomicU64::new(millis_since(self.epoch)),
        });
        let (close, closed) = oneshot::channel();
        open.insert(
            id,
            Entry {
                activity: Arc::clone(&activity),
                _close: close,
            },
        );
        Some(Ticket {
            id,
            registry: Arc::clone(self),
            activity,
            closed,
        })
    }

    /// Closes the connection idle the longest, if one is; returns whether one was.
    pub fn close_idlest(&self) -> bool {
        close_idlest(&mut self.lock())
    }

    /// Open connections.
    pub fn len(&self) -> usize {
        self.lock().len()
    }
}

fn close_idlest(open: &mut HashMap<u64, Entry>) -> bool {
    let idlest = open
        .iter()
        .filter(|(_, e)| e.activity.in_flight.load(Ordering::Acquire) == 0)
        .min_by_key(|(_, e)| e.activity.last.load(Ordering::Relaxed))
        .map(|(id, _)| *id);
    // Dropping the entry drops its sender: the connection's task ends and closes it.
    idlest.and_then(|id| open.remove(&id)).is_some()
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
    }
}

impl Activity {
    /// A request starts; it ends when the returned guard is dropped.
    pub fn begin(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.touch();
        Busy(Arc::clone(self))
    }

    fn touch(&self) {
        self.last.store(millis_since(self.epoch), Ordering::Relaxed);
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

fn millis_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_cap_the_idlest_goes_and_busy_ones_stay() {
        use oneshot::error::TryRecvError::{Closed, Empty};
        let registry = Connections::new(2);
        let mut first = registry.admit().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let mut second = registry.admit().unwrap();
        let busy = second.activity.begin();
        // Full: the first (idle) makes room for the third.
        let mut third = registry.admit().unwrap();
        assert_eq!(first.closed.try_recv(), Err(Closed));
        assert_eq!(registry.len(), 2);
        drop(first);
        assert_eq!(registry.len(), 2, "a closed ticket leaves nothing behind");
        // The second is busy, though idle longer than the third: the third goes.
        let _fourth = registry.admit().unwrap();
        assert_eq!(third.closed.try_recv(), Err(Closed));
        assert_eq!(second.closed.try_recv(), Err(Empty));
        drop(busy);
    }

    #[test]
    fn when_every_connection_is_busy_there_is_no_room() {
        let registry = Connections::new(1);
        let only = registry.admit().unwrap();
        let _busy = only.activity.begin();
        assert!(registry.admit().is_none());
        assert!(!registry.close_idlest());
        drop(_busy);
        assert!(registry.admit().is_some(), "idle again: it makes room");
    }
}
