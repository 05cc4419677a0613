//! Addresses as bytes: an address serializes as the ids of its system and actor.
//!
//! Serializing one *exports* it: the cell is entered in a process-wide table (weakly, so exporting
//! keeps nothing alive), and deserializing looks the id up there, checking that it belongs to the
//! system named. Nothing is registered for actors whose address never leaves as bytes, so creating
//! an actor costs no table insert. A networked system will resolve ids of other systems through
//! its transport instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::actor::Actor;
use crate::address::{short_type_name, ActorAddress, ActorId, Addr, AnyCell, Recipient};
use crate::sync::{Compaction, Unpoisoned};

#[derive(Serialize, Deserialize)]
struct WireAddress {
    system: u64,
    actor: u64,
}

/// The exported addresses of the process; entries of ended actors are pruned in bulk.
#[derive(Default)]
struct Exports {
    cells: HashMap<ActorId, Weak<dyn AnyCell>>,
    compaction: Compaction,
}

fn exports() -> &'static Mutex<Exports> {
    static EXPORTS: OnceLock<Mutex<Exports>> = OnceLock::new();
    EXPORTS.get_or_init(Default::default)
}

fn export(cell: &Arc<dyn AnyCell>) {
    let mut table = exports().lock_unpoisoned();
    let Exports { cells, compaction } = &mut *table;
    if compaction.due(cells.len(), 1024) {
        cells.retain(|_, weak| weak.strong_count() > 0);
        compaction.done(cells.len());
    }
    cells.insert(cell.id(), Arc::downgrade(cell));
}

fn import(id: ActorId) -> Option<Arc<dyn AnyCell>> {
    let table = exports().lock_unpoisoned();
    table.cells.get(&id).and_then(Weak::upgrade)
}

fn serialize_cell<S: Serializer>(
    cell: &Arc<dyn AnyCell>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    export(cell);
    WireAddress {
        system: cell.system_id(),
        actor: cell.id().0,
    }
    .serialize(serializer)
}

fn deserialize_cell<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Arc<dyn AnyCell>, D::Error> {
    let wire = WireAddress::deserialize(deserializer)?;
    import(ActorId(wire.actor))
        .filter(|cell| cell.system_id() == wire.system)
        .ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "unknown actor {} of system {}",
                wire.actor, wire.system
            ))
        })
}

impl Serialize for ActorAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_cell(&self.cell, serializer)
    }
}

impl<'de> Deserialize<'de> for ActorAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_cell(deserializer).map(ActorAddress::from_cell)
    }
}

impl<A: Actor> Serialize for Addr<A> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_cell(&(self.cell.clone() as Arc<dyn AnyCell>), serializer)
    }
}

impl<'de, A: Actor> Deserialize<'de> for Addr<A> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let address = ActorAddress::from_cell(deserialize_cell(deserializer)?);
        address.downcast::<A>().ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "{address} is not an address of a {}",
                short_type_name(A::type_name())
            ))
        })
    }
}

impl<M: Send + 'static> Serialize for Recipient<M> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_cell(&self.address().cell, serializer)
    }
}
