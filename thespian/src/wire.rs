//! Addresses as bytes: an address serializes as the ids of its system and actor.
//!
//! Serializing one *exports* it: the cell is entered in a process-wide table (weakly, so exporting
//! keeps nothing alive), and deserializing looks the id up there, checking that it belongs to the
//! system named. Nothing is registered for actors whose address never leaves as bytes, so creating
//! an actor costs no table insert. The address of a networked system also names its node, and one
//! of another node deserializes (inside [`crate::remote::decoding`]) as a proxy.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::actor::Actor;
use crate::address::{short_type_name, ActorAddress, ActorId, Addr, AnyCell, Recipient};
use crate::remote::{
    decode_remote, decoding_from_network, typed_proxy, untyped, wire_origin, NodeId, Resolved,
};
use crate::sync::{Compaction, Unpoisoned};
use crate::system::SystemShared;

/// The wire form of an address. `node` is set for the addresses of a networked system (see
/// [`crate::remote`]); `system` is the process-local system id, checked for local addresses.
#[derive(Serialize, Deserialize)]
struct WireAddress<'a> {
    node: Option<NodeId>,
    system: u64,
    actor: u64,
    #[serde(borrow)]
    type_name: Cow<'a, str>,
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

pub(crate) fn import(id: ActorId) -> Option<Arc<dyn AnyCell>> {
    let table = exports().lock_unpoisoned();
    table.cells.get(&id).and_then(Weak::upgrade)
}

fn serialize_cell<S: Serializer>(
    cell: &Arc<dyn AnyCell>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let (node, system, actor) = wire_origin(&**cell);
    if cell.remote_target().is_none() {
        export(cell);
    }
    WireAddress {
        node,
        system,
        actor,
        type_name: Cow::Borrowed(cell.type_name()),
    }
    .serialize(serializer)
}

/// What an address resolved to: a local cell, or (for another node) what a proxy is made from.
enum Decoded {
    Local(Arc<dyn AnyCell>),
    Remote {
        system: Arc<SystemShared>,
        node: NodeId,
        actor: u64,
        type_name: String,
    },
}

fn decode_address<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decoded, D::Error> {
    let wire = WireAddress::deserialize(deserializer)?;
    let system = match wire.node {
        // From another node, an id without a node would name an unrelated local actor.
        None if decoding_from_network() => {
            return Err(serde::de::Error::custom(
                "an address without a node came from the network",
            ))
        }
        None => wire.system,
        Some(node) => match decode_remote(node).map_err(serde::de::Error::custom)? {
            Resolved::Local(system) => system,
            Resolved::Remote(system) => {
                return Ok(Decoded::Remote {
                    system,
                    node,
                    actor: wire.actor,
                    type_name: wire.type_name.into_owned(),
                })
            }
        },
    };
    import(ActorId(wire.actor))
        .filter(|cell| cell.system_id() == system)
        .map(Decoded::Local)
        .ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "unknown actor {} of system {}",
                wire.actor, system
            ))
        })
}

fn deserialize_cell<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Arc<dyn AnyCell>, D::Error> {
    match decode_address(deserializer)? {
        Decoded::Local(cell) => Ok(cell),
        Decoded::Remote {
            system,
            node,
            actor,
            type_name,
        } => untyped(&system, node, actor, &type_name).map_err(serde::de::Error::custom),
    }
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
        let not_an = |address: &dyn fmt::Display| {
            serde::de::Error::custom(format_args!(
                "{address} is not an address of a {}",
                short_type_name(A::type_name())
            ))
        };
        match decode_address(deserializer)? {
            Decoded::Local(cell) => {
                let address = ActorAddress::from_cell(cell);
                address.downcast::<A>().ok_or_else(|| not_an(&address))
            }
            Decoded::Remote {
                system,
                node,
                actor,
                type_name,
            } => {
                if type_name != A::type_name() {
                    return Err(not_an(&format_args!("{type_name}#{actor}@{node}")));
                }
                typed_proxy::<A>(&system, node, actor)
                    .map(Addr::from_cell)
                    .map_err(serde::de::Error::custom)
            }
        }
    }
}

impl<M: Send + 'static> Serialize for Recipient<M> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_cell(&self.address().cell, serializer)
    }
}
