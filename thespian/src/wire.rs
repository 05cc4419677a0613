//! Addresses as bytes: an address serializes as its node, system, wire id and type name.
//!
//! Serializing a local actor's address *exports* it: the actor gets a wire id, a random 64-bit
//! number (a keyed hash of a counter, with keys from the operating system's randomness), and is
//! entered in a process-wide table (weakly, so exporting keeps nothing alive). Deserializing
//! looks the wire id up there, checking that it belongs to the system named; a peer can reach
//! only actors whose address this process serialized, and only by a wire id it was given, never
//! by guessing (ids are not sequential). Exporting happens wherever an address is serialized (in
//! a message to another node, or to any serde format), and lasts until the actor exits. Nothing
//! is registered for actors whose address never leaves as bytes, so creating an actor costs no
//! table insert. The address of a networked system also names its node, and one of another node
//! deserializes (inside [`crate::remote::decoding`]) as a proxy.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use crate::cell::AnyCell;
use crate::id::ActorId;
use crate::sync::{Compaction, Unpoisoned};

/// The serde forms of addresses (feature `remote`).
#[cfg(feature = "remote")]
mod forms;

/// The exported addresses of the process, by wire id, and the wire id of each exported actor;
/// entries of ended actors are pruned in bulk.
#[derive(Default)]
struct Exports {
    cells: HashMap<u64, Weak<dyn AnyCell>>,
    ids: HashMap<ActorId, u64>,
    compaction: Compaction,
}

fn exports() -> &'static Mutex<Exports> {
    static EXPORTS: OnceLock<Mutex<Exports>> = OnceLock::new();
    EXPORTS.get_or_init(Default::default)
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

/// Exports a local actor's cell: its wire id (the same each time).
pub(crate) fn export(cell: &Arc<dyn AnyCell>) -> u64 {
    let mut table = exports().lock_unpoisoned();
    let Exports {
        cells,
        ids,
        compaction,
    } = &mut *table;
    if let Some(&id) = ids.get(&cell.id()) {
        return id;
    }
    if compaction.due(cells.len(), 1024) {
        cells.retain(|_, weak| weak.strong_count() > 0);
        ids.retain(|_, id| cells.contains_key(id));
        compaction.done(cells.len());
    }
    let mut id = new_wire_id();
    while cells.contains_key(&id) {
        id = new_wire_id();
    }
    cells.insert(id, Arc::downgrade(cell));
    ids.insert(cell.id(), id);
    id
}

/// The exported actor with wire id `id`, if it is alive.
pub(crate) fn import(id: u64) -> Option<Arc<dyn AnyCell>> {
    let table = exports().lock_unpoisoned();
    table.cells.get(&id).and_then(Weak::upgrade)
}
