//! Where a system keeps track of its actors: those whose parent is the system, and the holders
//! of global names.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::address::ActorAddress;
use crate::id::{ActorId, IdMap};
use crate::sync::Unpoisoned;

/// The actors whose parent is the system, sharded so that creating and ending actors on several
/// threads rarely meet on one lock.
#[derive(Default)]
pub(crate) struct TopLevel {
    shards: [Mutex<IdMap<ActorAddress>>; TOP_LEVEL_SHARDS],
}

const TOP_LEVEL_SHARDS: usize = 16;

impl TopLevel {
    fn shard(&self, id: ActorId) -> MutexGuard<'_, IdMap<ActorAddress>> {
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

    /// Forgets every top-level actor (a sequential system dropped without `shutdown`).
    #[cfg(feature = "sequential")]
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            shard.lock_unpoisoned().clear();
        }
    }

    /// Every top-level actor, in creation order.
    pub(crate) fn snapshot(&self) -> Vec<ActorAddress> {
        let shards: Vec<_> = self.shards.iter().map(|s| s.lock_unpoisoned()).collect();
        in_creation_order(&shards)
    }

    /// Raises `shutting_down` with every shard locked, and returns the actors to stop.
    pub(crate) fn close(&self, shutting_down: &AtomicBool) -> Vec<ActorAddress> {
        let shards: Vec<_> = self.shards.iter().map(|s| s.lock_unpoisoned()).collect();
        shutting_down.store(true, Ordering::Release);
        in_creation_order(&shards)
    }
}

/// The actors of every shard, sorted by id (creation order) using the maps' keys, so that
/// sorting does not visit every actor's cell.
fn in_creation_order(shards: &[MutexGuard<'_, IdMap<ActorAddress>>]) -> Vec<ActorAddress> {
    let mut all: Vec<(ActorId, &ActorAddress)> = shards
        .iter()
        .flat_map(|s| s.iter().map(|(id, a)| (*id, a)))
        .collect();
    all.sort_unstable_by_key(|(id, _)| *id);
    all.into_iter().map(|(_, a)| a.clone()).collect()
}

/// The actors that hold global names.
#[derive(Default)]
pub(crate) struct GlobalNames {
    pub(crate) by_name: HashMap<String, ActorAddress>,
    pub(crate) by_id: HashMap<ActorId, String>,
}
