//! A bounded cache whose entries expire.
//!
//! Entries live for a fixed time after they are inserted. When the cache
//! is full, the least recently used entry goes first. `get` and `insert`
//! are O(1): a hash map finds an entry in a slab of nodes, and the nodes
//! form a doubly linked list in recency order. The clock is injectable,
//! as in the security lab's rate limiter.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

pub use security::rate_limit::{Clock, ManualClock, MonotonicClock};

// ANCHOR: types
/// No node: the end of the recency list.
const NIL: usize = usize::MAX;

/// One entry, linked to its neighbours in recency order.
#[derive(Debug)]
struct Node<K, V> {
    key: K,
    value: V,
    inserted: Duration,
    newer: usize,
    older: usize,
}

/// The entries: a map from key to slot, a slab of nodes, and the two ends
/// of the recency list.
#[derive(Debug)]
struct Entries<K, V> {
    index: HashMap<K, usize>,
    nodes: Vec<Option<Node<K, V>>>,
    free: Vec<usize>,
    newest: usize,
    oldest: usize,
}

/// A bounded, expiring cache, safe to share between tasks.
#[derive(Debug)]
pub struct TtlCache<K, V, C = MonotonicClock> {
    entries: Mutex<Entries<K, V>>,
    loading: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
    capacity: usize,
    ttl: Duration,
    clock: C,
}
// ANCHOR_END: types

impl<K: Hash + Eq + Clone, V> Entries<K, V> {
    fn node(&mut self, slot: usize) -> &mut Node<K, V> {
        self.nodes[slot]
            .as_mut()
            .expect("a linked slot holds a node")
    }

    /// Takes `slot` out of the recency list.
    fn unlink(&mut self, slot: usize) {
        let (newer, older) = {
            let n = self.node(slot);
            (n.newer, n.older)
        };
        if newer == NIL {
            self.newest = older
        } else {
            self.node(newer).older = older
        }
        if older == NIL {
            self.oldest = newer
        } else {
            self.node(older).newer = newer
        }
    }

    /// Puts `slot` at the newest end of the recency list.
    fn push_newest(&mut self, slot: usize) {
        let old_newest = self.newest;
        {
            let n = self.node(slot);
            n.newer = NIL;
            n.older = old_newest;
        }
        if old_newest == NIL {
            self.oldest = slot
        } else {
            self.node(old_newest).newer = slot
        }
        self.newest = slot;
    }

    /// Removes the entry in `slot` altogether.
    fn remove(&mut self, slot: usize) {
        self.unlink(slot);
        if let Some(node) = self.nodes[slot].take() {
            self.index.remove(&node.key);
        }
        self.free.push(slot);
    }
}

impl<K: Hash + Eq + Clone, V: Clone, C: Clock> TtlCache<K, V, C> {
    /// A cache of at most `capacity` entries, each living `ttl` after its
    /// insertion. A capacity of 0 stores nothing.
    pub fn new(capacity: usize, ttl: Duration, clock: C) -> Self {
        Self {
            entries: Mutex::new(Entries {
                index: HashMap::with_capacity(capacity.min(1 << 20)),
                nodes: Vec::new(),
                free: Vec::new(),
                newest: NIL,
                oldest: NIL,
            }),
            loading: Mutex::new(HashMap::new()),
            capacity,
            ttl,
            clock,
        }
    }

    /// Entries stored, expired ones not yet removed included.
    pub fn len(&self) -> usize {
        self.lock().index.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<K: Hash + Eq + Clone, V: Clone, C: Clock> TtlCache<K, V, C> {
    // ANCHOR: get
    /// The value for `key`, if present and not expired (an entry expires
    /// when `ttl` has passed since its insertion; it is then removed). A
    /// hit makes the entry the most recently used.
    pub fn get(&self, key: &K) -> Option<V> {
        // LAB: todo("TtlCache::get")
        // TODO: Look the key up in `index`; an entry is expired once `ttl` has passed since it was
        //       inserted: remove it and return None.
        // TODO: On a hit, move the node to the newest end of the recency list (`unlink`,
        //       `push_newest`) and return a clone of the value. Everything here must be O(1).
        let now = self.clock.now();
        let mut entries = self.lock();
        let slot = *entries.index.get(key)?;
        if now.saturating_sub(entries.node(slot).inserted) >= self.ttl {
            entries.remove(slot);
            return None;
        }
        entries.unlink(slot);
        entries.push_newest(slot);
        Some(entries.node(slot).value.clone())
        // LAB: end
    }
    // ANCHOR_END: get

    // ANCHOR: insert
    /// Stores `value` for `key`, now, as the most recently used entry. A
    /// new key in a full cache first evicts the least recently used entry.
    pub fn insert(&self, key: K, value: V) {
        // LAB: todo("TtlCache::insert")
        // TODO: A capacity of 0 stores nothing. An existing key: replace the value, restamp it,
        //       make it newest.
        // TODO: A new key in a full cache: remove the oldest entry first. Reuse a free slot if
        //       there is one, then link the node as newest.
        if self.capacity == 0 {
            return;
        }
        let now = self.clock.now();
        let mut entries = self.lock();
        if let Some(&slot) = entries.index.get(&key) {
            let node = entries.node(slot);
            node.value = value;
            node.inserted = now;
            entries.unlink(slot);
            entries.push_newest(slot);
            return;
        }
        if entries.index.len() >= self.capacity {
            let oldest = entries.oldest;
            entries.remove(oldest);
        }
        let node = Node {
            key: key.clone(),
            value,
            inserted: now,
            newer: NIL,
            older: NIL,
        };
        let slot = match entries.free.pop() {
            Some(slot) => {
                entries.nodes[slot] = Some(node);
                slot
            }
            None => {
                entries.nodes.push(Some(node));
                entries.nodes.len() - 1
            }
        };
        entries.index.insert(key, slot);
        entries.push_newest(slot);
        // LAB: end
    }
    // ANCHOR_END: insert

    // ANCHOR: get_or_try_insert_with
    /// The value for `key`; on a miss, runs `load` and stores what it
    /// returns. Concurrent misses on one key run one loader: the others
    /// wait for it and then read the cache. A failed load is not stored
    /// (a waiter that still finds nothing runs its own loader).
    pub async fn get_or_try_insert_with<F, Fut, E>(&self, key: K, load: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        // LAB: todo("TtlCache::get_or_try_insert_with")
        // TODO: A hit returns at once. On a miss, take this key's gate (an
        //       `Arc<tokio::sync::Mutex<()>>` from `loading`) and hold it while you check again
        //       and, if still missing, run `load`.
        // TODO: Store a successful value; never store an error. Remove the gate from `loading` when
        //       nobody else holds it.
        if let Some(value) = self.get(&key) {
            return Ok(value);
        }
        let gate = {
            let mut loading = self.loading.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(loading.entry(key.clone()).or_default())
        };
        let result = {
            let _turn = gate.lock().await;
            match self.get(&key) {
                Some(value) => Ok(value),
                None => {
                    let loaded = load().await;
                    if let Ok(value) = &loaded {
                        self.insert(key.clone(), value.clone());
                    }
                    loaded
                }
            }
        };
        let mut loading = self.loading.lock().unwrap_or_else(PoisonError::into_inner);
        // The map and this task hold the last references: nobody waits.
        if Arc::strong_count(&gate) == 2 {
            loading.remove(&key);
        }
        result
        // LAB: end
    }
    // ANCHOR_END: get_or_try_insert_with
}
