//! Addresses as bytes: an address serializes as its node, system, wire id and type name.
//!
//! Serializing a local actor's address *exports* it: the actor gets a wire id, a random 64-bit
//! number (a keyed hash of a counter, with keys from the operating system's randomness), and is
//! entered in its system's table of exports (weakly, so exporting keeps nothing alive).
//! Deserializing finds the system named (see `crate::system::directory`) and looks the wire id up
//! in that system's table only: a peer can reach only actors whose address their system
//! serialized, and only by a wire id it was given, never by guessing (ids are not sequential).
//! Exporting happens wherever an address is serialized (in a message to another node, or to any
//! serde format), and lasts until the actor exits; the table goes with its system. Nothing is
//! registered for actors whose address never leaves as bytes, so creating an actor costs no table
//! insert. The address of a networked system also names its node, and one of another node
//! deserializes (inside [`crate::remote::decoding`]) as a proxy.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};

use crate::cell::AnyCell;
use crate::id::ActorId;
use crate::sync::{Compaction, Unpoisoned};
use crate::system::directory;
use crate::system::shared::SystemShared;

/// The serde forms of addresses (feature `remote`).
#[cfg(feature = "remote")]
mod forms;

/// The exported addresses of one system, by wire id, and the wire id of each exported actor;
/// entries of ended actors are pruned in bulk.
#[derive(Default)]
pub(crate) struct Exports {
    cells: HashMap<u64, Weak<dyn AnyCell>>,
    ids: HashMap<ActorId, u64>,
    compaction: Compaction,
}

/// A wire id nobody can guess: SipHash (keyed with the operating system's randomness, once per
/// process) of a counter. Never 0.
fn new_wire_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static KEYS: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut hasher = KEYS.get_or_init(Default::default).build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    hasher.finish().max(1)
}

/// Exports a local cell of system `system`: its wire id (the same each time).
pub(crate) fn export_in(system: &SystemShared, cell: &Arc<dyn AnyCell>) -> u64 {
    system.exports.lock_unpoisoned().export(cell)
}

/// Exports a local cell that does not hold its system, which is found by id.
pub(crate) fn export(cell: &Arc<dyn AnyCell>) -> u64 {
    match directory::find(cell.system_id()) {
        Some(system) => export_in(&system, cell),
        // A system that is gone resolves nothing: the address gets an id that no table holds.
        None => new_wire_id(),
    }
}

/// The actor of `system` exported with wire id `id`, if it is alive.
pub(crate) fn import(system: &SystemShared, id: u64) -> Option<Arc<dyn AnyCell>> {
    let exports = system.exports.lock_unpoisoned();
    exports.cells.get(&id).and_then(Weak::upgrade)
}

impl Exports {
    fn export(&mut self, cell: &Arc<dyn AnyCell>) -> u64 {
        if let Some(&id) = self.ids.get(&cell.id()) {
            return id;
        }
        if self.compaction.due(self.cells.len(), 1024) {
            self.cells.retain(|_, weak| weak.strong_count() > 0);
            let cells = &self.cells;
            self.ids.retain(|_, id| cells.contains_key(id));
            self.compaction.done(self.cells.len());
        }
        let mut id = new_wire_id();
        while self.cells.contains_key(&id) {
            id = new_wire_id();
        }
        self.cells.insert(id, Arc::downgrade(cell));
        self.ids.insert(cell.id(), id);
        id
    }
}
