//! Reply handles that travel: a [`ReplyHandle`] sent to another node answers the original ask
//! from there.
//!
//! Serializing the handle moves its route into its system's table of exported replies (under a
//! fresh id) and leaves the local handle spent; the wire form names the node and the id. Decoded
//! on another node, it becomes a handle whose answer is encoded and sent back over the link with
//! that id ([`Link::answer`]), where [`answer`] completes the ask. Decoded back on its own node,
//! it is the original route again.

use std::collections::HashMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::proxy::{decode_remote, encoding, link, with_decoding, Resolved};
use super::transport::{Link, ReplyRoute};
use crate::address::ActorAddress;
use crate::codec::NodeId;
use crate::codec::ReplyWire;
use crate::error::AskError;
use crate::reply::{ErasedSlot, ReplyHandle, ReplyTo, Route};
use crate::sync::{Compaction, Unpoisoned};
use crate::system::directory;
use crate::system::shared::SystemShared;

#[derive(Serialize, Deserialize)]
enum WireHandle {
    Ask {
        node: NodeId,
        id: u64,
    },
    Sender {
        to: ActorAddress,
        from: ActorAddress,
    },
}

/// The asks of one system whose reply handles were sent to another node, by id.
#[derive(Default)]
pub(crate) struct ExportedReplies {
    routes: HashMap<u64, (ReplyTo, ReplyWire)>,
    next: u64,
    compaction: Compaction,
}

/// Exports `route` into the table of system `system` (whose node encodes the handle).
fn export(system: u64, route: ReplyTo, wire: ReplyWire) -> Result<u64, ReplyTo> {
    let Some(system) = directory::find(system) else {
        return Err(route);
    };
    let mut table = system.exported_replies.lock_unpoisoned();
    let ExportedReplies {
        routes,
        next,
        compaction,
    } = &mut *table;
    if compaction.due(routes.len(), 256) {
        // Routes whose asker gave up (timed out) will never be answered usefully.
        routes.retain(|_, (route, _)| !route.is_closed());
        compaction.done(routes.len());
    }
    *next += 1;
    routes.insert(*next, (route, wire));
    Ok(*next)
}

fn take(system: &SystemShared, id: u64) -> Option<(ReplyTo, ReplyWire)> {
    system.exported_replies.lock_unpoisoned().routes.remove(&id)
}

/// Completes the exported reply `id` with an answer that came back from another node.
pub(crate) fn answer(system: &Arc<SystemShared>, id: u64, reply: Result<&[u8], AskError>) {
    let Some((route, wire)) = take(system, id) else {
        return;
    };
    match reply {
        Ok(bytes) => with_decoding(system, || ReplyRoute(route).answer(&wire, bytes)),
        Err(error) => route.fail(error),
    }
}

impl<T> Serialize for ReplyHandle<T>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let wire = match self.take_route() {
            Route::Ask(reply) => {
                // A handle that came from another node travels on as the original, so the answer
                // goes straight to the asker's node.
                let origin = reply
                    .slot_any()
                    .downcast_ref::<Forward>()
                    .and_then(|f| f.to.as_ref().map(|(_, id)| (f.node, *id)));
                if let Some((node, id)) = origin {
                    reply.forget();
                    return WireHandle::Ask { node, id }.serialize(serializer);
                }
                let exported = match encoding() {
                    Some((node, system)) => export(system, reply, ReplyWire::of::<T>())
                        .map(|id| WireHandle::Ask { node, id }),
                    None => Err(reply),
                };
                match exported {
                    Ok(wire) => wire,
                    Err(reply) => {
                        self.restore_route(Route::Ask(reply));
                        return Err(serde::ser::Error::custom(
                            "a reply handle can only be sent to another node",
                        ));
                    }
                }
            }
            Route::Sender { to, from } => WireHandle::Sender { to, from },
            Route::Travelled => {
                return Err(serde::ser::Error::custom(
                    "this reply handle was already sent elsewhere",
                ))
            }
        };
        wire.serialize(serializer)
    }
}

impl<'de, T> Deserialize<'de> for ReplyHandle<T>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match WireHandle::deserialize(deserializer)? {
            WireHandle::Sender { to, from } => Ok(ReplyHandle::sender(to, from)),
            WireHandle::Ask { node, id } => {
                match decode_remote(node).map_err(serde::de::Error::custom)? {
                    // Back home: the original route.
                    Resolved::Local(system) => Ok(ReplyHandle::ask(match take(&system, id) {
                        Some((route, _)) => route,
                        None => ReplyTo::from_slot(Arc::new(Forward::gone(node))),
                    })),
                    Resolved::Remote(system) => {
                        let link = link(&system, node).map_err(serde::de::Error::custom)?;
                        let slot = Forward {
                            node,
                            to: Some((link, id)),
                            wire: ReplyWire::of::<T>(),
                        };
                        Ok(ReplyHandle::ask(ReplyTo::from_slot(Arc::new(slot))))
                    }
                }
            }
        }
    }
}

/// The slot of a handle that came from another node: its answer goes back there.
struct Forward {
    /// The asker's node.
    node: NodeId,
    to: Option<(Arc<dyn Link>, u64)>,
    wire: ReplyWire,
}

impl Forward {
    /// A handle whose ask is no longer known (answered, or given up).
    fn gone(node: NodeId) -> Self {
        Forward {
            node,
            to: None,
            wire: ReplyWire::unsupported::<()>(),
        }
    }
}

impl ErasedSlot for Forward {
    fn fail(&self, error: AskError) {
        if let Some((link, id)) = &self.to {
            link.answer(*id, Err(error));
        }
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn complete_dyn(&self, value: &dyn std::any::Any) -> bool {
        let Some((link, id)) = &self.to else {
            return true;
        };
        let mut out = Vec::new();
        let reply = match self.wire.encode(value, &mut out) {
            Ok(()) => Ok(out),
            Err(e) => Err(AskError::Unreachable(e)),
        };
        link.answer(*id, reply);
        true
    }
}
