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

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::actor::Actor;
use crate::address::{ActorAddress, Addr, Recipient};
use crate::cell::AnyCell;
use crate::codec::NodeId;
use crate::id::{short_type_name, ActorId};
use crate::remote::proxy::{
    decode_remote, decoding_from_network, typed_proxy, untyped, wire_origin, Resolved,
};
use crate::sync::{Compaction, Unpoisoned};
use crate::system::shared::SystemShared;

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

fn serialize_cell<S: Serializer>(
    cell: &Arc<dyn AnyCell>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let (node, system, actor) = wire_origin(cell);
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
    import(wire.actor)
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
