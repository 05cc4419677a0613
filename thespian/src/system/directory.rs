//! The systems alive in this process, by id: how an address that arrives as bytes (naming its
//! system) finds the system whose tables resolve it, and how a networked system is found by its
//! node. It is the one process-wide table of the address layer: the tables of exported actors
//! and reply handles belong to each system (see `crate::wire` and `crate::remote`), so they die
//! with it, and a wire id given out by one system resolves in that system only.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock, Weak};

use crate::codec::NodeId;
use crate::sync::UnpoisonedRw;
use crate::system::shared::SystemShared;

/// A live system, and its node once it is networked (kept here so that finding a node, or a
/// system's node, upgrades no reference).
struct Entry {
    system: Weak<SystemShared>,
    node: Option<NodeId>,
}

fn systems() -> &'static RwLock<HashMap<u64, Entry>> {
    static SYSTEMS: OnceLock<RwLock<HashMap<u64, Entry>>> = OnceLock::new();
    SYSTEMS.get_or_init(Default::default)
}

/// Enters a new system (`id` is its own; `system` may still be under construction).
pub(crate) fn enter(id: u64, system: Weak<SystemShared>) {
    let entry = Entry { system, node: None };
    systems().write_unpoisoned().insert(id, entry);
}

/// Records that system `id` is node `node` (its transport is installed).
pub(crate) fn networked(id: u64, node: NodeId) {
    if let Some(entry) = systems().write_unpoisoned().get_mut(&id) {
        entry.node = Some(node);
    }
}

/// Removes system `id`, as its shared state is dropped.
pub(crate) fn leave(id: u64) {
    // Never panics in a drop: a poisoned table is still a table.
    systems().write_unpoisoned().remove(&id);
}

/// The live system `id`.
pub(crate) fn find(id: u64) -> Option<Arc<SystemShared>> {
    systems()
        .read_unpoisoned()
        .get(&id)
        .and_then(|entry| entry.system.upgrade())
}

/// The node of system `id`, if it is networked.
pub(crate) fn node_of(id: u64) -> Option<NodeId> {
    systems()
        .read_unpoisoned()
        .get(&id)
        .and_then(|entry| entry.node)
}

/// The live system of this process that is node `node`.
pub(crate) fn find_node(node: NodeId) -> Option<Arc<SystemShared>> {
    systems()
        .read_unpoisoned()
        .values()
        .find(|entry| entry.node == Some(node))
        .and_then(|entry| entry.system.upgrade())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ActorSystem;

    #[test]
    fn a_system_is_found_while_it_lives_and_leaves_no_entry() {
        let system = ActorSystem::new();
        let id = system.shared().id;
        assert!(find(id).is_some_and(|found| Arc::ptr_eq(&found, system.shared())));
        drop(system);
        assert!(find(id).is_none());
        assert!(!systems().read_unpoisoned().contains_key(&id));
        assert_eq!(node_of(id), None);
    }
}
