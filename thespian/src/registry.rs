//! Where a system keeps track of its actors: those whose parent is the system, and the holders
//! of global names.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::address::{ActorAddress, ActorId};
use crate::sync::Unpoisoned;

/// The actors whose parent is the system, sharded so that creating and ending actors on several
/// threads rarely meet on one lock.
#[derive(Default)]
pub(crate) struct TopLevel {
    shards: [Mutex<HashMap<ActorId, ActorAddress>>; TOP_LEVEL_SHARDS],
}

const TOP_LEVEL_SHARDS: usize = 16;

impl TopLevel {
    fn shard(&self, id: ActorId) -> MutexGuard<'_, HashMap<ActorId, ActorAddress>> {
        self.shards[id.as_u64() as usize % TOP_LEVEL_SHARDS].lock_unpoisoned()
    }

    /// Adds an actor unless the system is shutting down (checked under the shard's lock, which
    /// `close` takes too, so that `shutdown` cannot miss an actor created meanwhile).
    pub(crate) fn insert(&self, actor: ActorAddress, shutting_down: &AtomicBool) -> bool {
        let mut shard = self.shard(actor.id());
        if shutting_down.load(Ordering::Acquire) {
            return false;
        }
        shard.insert(actor.id(), actor);
        true
    }

    pub(crate) fn remove(&self, id: ActorId) {
        self.shard(id).remove(&id);
    }

    /// Forgets every top-level actor.
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            shard.lock_unpoisoned().clear();
        }
    }

    /// Every top-level actor, in creation order.
    pub(crate) fn snapshot(&self) -> Vec<ActorAddress> {
        let mut all: Vec<ActorAddress> = self
            .shards
            .iter()
            .flat_map(|s| {
                let shard = s.lock_unpoisoned();
                shard.values().cloned().collect::<Vec<_>>()
            })
            .collect();
        all.sort_by_key(ActorAddress::id);
        all
    }

    /// Raises `shutting_down` with every shard locked, and returns the actors to stop.
    pub(crate) fn close(&self, shutting_down: &AtomicBool) -> Vec<ActorAddress> {
        let shards: Vec<_> = self.shards.iter().map(|s| s.lock_unpoisoned()).collect();
        shutting_down.store(true, Ordering::Release);
        let mut all: Vec<ActorAddress> = shards.iter().flat_map(|s| s.values().cloned()).collect();
        all.sort_by_key(ActorAddress::id);
        all
    }
}

/// The actors that hold global names.
#[derive(Default)]
pub(crate) struct GlobalNames {
    pub(crate) by_name: HashMap<String, ActorAddress>,
    pub(crate) by_id: HashMap<ActorId, String>,
}
