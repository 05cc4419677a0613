//! The serde forms of the address types: what an address serializes as, and how one that
//! arrives resolves to a local actor or to a proxy of another node's.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::import;
use crate::actor::Actor;
use crate::address::{ActorAddress, Addr, Recipient};
use crate::cell::AnyCell;
use crate::codec::NodeId;
use crate::id::short_type_name;
use crate::remote::proxy::{
    decode_remote, decoding_from_network, typed_proxy, untyped, wire_origin, Resolved,
};
use crate::system::directory;
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
    let unknown = || {
        serde::de::Error::custom(format_args!(
            "unknown actor {} of system {}",
            wire.actor, wire.system
        ))
    };
    let system = match wire.node {
        // From another node, an id without a node would name an unrelated local actor.
        None if decoding_from_network() => {
            return Err(serde::de::Error::custom(
                "an address without a node came from the network",
            ))
        }
        None => directory::find(wire.system).ok_or_else(unknown)?,
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
    import(&system, wire.actor)
        .map(Decoded::Local)
        .ok_or_else(unknown)
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
