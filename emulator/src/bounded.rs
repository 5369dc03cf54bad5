//! A map within a budget of entries and bytes that forgets its oldest entries first: for
//! what the emulator must remember but a client can make it remember without end (issued
//! tokens, revocations, registered device keys).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::limits::Amount;

struct Slot<V> {
    value: V,
    bytes: usize,
    /// Which insertion this is, to tell it from older ones of the same key in `order`.
    generation: u64,
}

/// A map from text keys that holds at most `budget` (entries, and bytes of keys plus what
/// each insertion declares), forgetting the oldest insertions first.
pub(crate) struct Bounded<V> {
    map: HashMap<Arc<str>, Slot<V>>,
    /// Insertion order; entries removed or replaced since stay here until skipped.
    order: VecDeque<(Arc<str>, u64)>,
    generation: u64,
    bytes: usize,
    budget: Amount,
}

impl<V> Bounded<V> {
    pub fn new(budget: Amount) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            generation: 0,
            bytes: 0,
            budget,
        }
    }

    /// Inserts (or replaces) `key`, counting `key.len() + extra_bytes`; then forgets the
    /// oldest entries until the budget holds. Returns what was forgotten (possibly the new
    /// entry itself, if it alone is over the byte budget).
    pub fn insert(&mut self, key: &str, value: V, extra_bytes: usize) -> Vec<(Arc<str>, V)> {
        self.remove(key);
        let key: Arc<str> = Arc::from(key);
        let bytes = key.len().saturating_add(extra_bytes);
        self.generation += 1;
        self.bytes += bytes;
        self.order.push_back((Arc::clone(&key), self.generation));
        self.map.insert(
            key,
            Slot {
                value,
                bytes,
                generation: self.generation,
            },
        );
        let mut forgotten = Vec::new();
        while self.map.len() > self.budget.items || self.bytes > self.budget.bytes {
            let Some((key, generation)) = self.order.pop_front() else {
                break;
            };
            if self
                .map
                .get(&key)
                .is_some_and(|s| s.generation == generation)
            {
                if let Some(slot) = self.map.remove(&key) {
                    self.bytes -= slot.bytes;
                    forgotten.push((key, slot.value));
                }
            }
        }
        self.compact();
        forgotten
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.map.get(key).map(|s| &s.value)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn remove(&mut self, key: &str) -> Option<V> {
        let slot = self.map.remove(key)?;
        self.bytes -= slot.bytes;
        Some(slot.value)
    }

    /// Keeps the entries `keep` says to keep; returns how many went.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &V) -> bool) -> usize {
        let before = self.map.len();
        let mut freed = 0;
        self.map.retain(|key, slot| {
            let kept = keep(key, &slot.value);
            if !kept {
                freed += slot.bytes;
            }
            kept
        });
        self.bytes -= freed;
        self.compact();
        before - self.map.len()
    }

    /// Entries and bytes held.
    pub fn amount(&self) -> Amount {
        Amount::new(self.map.len(), self.bytes)
    }

    /// Gives memory back once most of it is unused (after a flood went).
    pub fn shrink(&mut self) {
        self.compact();
        shrink_map(&mut self.map);
        if self.order.capacity() > 64 && self.order.capacity() / 4 > self.order.len() {
            self.order.shrink_to(self.order.len() * 2);
        }
    }

    /// Drops the stale entries of `order` once they outnumber the live ones.
    fn compact(&mut self) {
        if self.order.len() > 2 * self.map.len() + 64 {
            let map = &self.map;
            self.order.retain(|(key, generation)| {
                map.get(key).is_some_and(|s| s.generation == *generation)
            });
        }
    }
}

/// Shrinks a map whose capacity far exceeds its length (a quarter or less used).
pub(crate) fn shrink_map<K: std::hash::Hash + Eq, V, S: std::hash::BuildHasher>(
    map: &mut HashMap<K, V, S>,
) {
    if map.capacity() > 64 && map.capacity() / 4 > map.len() {
        map.shrink_to(map.len() * 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_go_first_within_items_and_bytes() {
        let mut map = Bounded::new(Amount::new(3, 100));
        for key in ["a", "b", "c"] {
            assert!(map.insert(key, (), 9).is_empty());
        }
        assert_eq!(map.amount(), Amount::new(3, 30));
        let forgotten = map.insert("d", (), 9);
        assert_eq!(forgotten.len(), 1);
        assert_eq!(&*forgotten[0].0, "a");
        assert!(!map.contains("a") && map.contains("d"));
        // 90 bytes more: b and c go to make room.
        let forgotten: Vec<_> = map.insert("e", (), 89).into_iter().map(|f| f.0).collect();
        assert_eq!(forgotten, [Arc::from("b"), Arc::from("c")]);
        assert_eq!(map.amount(), Amount::new(2, 100));
        // Alone over the budget: it goes too.
        let forgotten = map.insert("huge", (), 500);
        assert!(forgotten.iter().any(|(k, _)| &**k == "huge"));
        assert!(map.amount().bytes <= 100);
    }

    #[test]
    fn replacing_and_removing_keep_the_counts_and_the_order_small() {
        let mut map = Bounded::new(Amount::new(10, 1_000));
        for round in 0..1_000 {
            map.insert("same", round, 1);
        }
        assert_eq!(map.amount(), Amount::new(1, 5));
        assert_eq!(map.get("same"), Some(&999));
        assert!(map.order.len() <= 2 * map.map.len() + 64);
        assert_eq!(map.remove("same"), Some(999));
        assert_eq!(map.amount(), Amount::new(0, 0));
        for i in 0..10 {
            map.insert(&i.to_string(), i, 0);
        }
        assert_eq!(map.retain(|_, v| v % 2 == 0), 5);
        assert_eq!(map.amount().items, 5);
    }
}
