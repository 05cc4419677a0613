//! Reply handles that travel: a [`ReplyHandle`] sent to another node answers the original ask
//! from there.
//!
//! Serializing the handle moves its route into the process's table of exported replies (under a
//! fresh id) and leaves the local handle spent; the wire form names the node and the id. Decoded
//! on another node, it becomes a handle whose answer is encoded and sent back over the link with
//! that id ([`Link::answer`]), where [`answer`] completes the ask. Decoded back on its own node,
//! it is the original route again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::proxy::{decode_remote, encoding_node, link, with_decoding, Resolved};
use super::transport::{Link, ReplyRoute};
use crate::address::ActorAddress;
use crate::codec::NodeId;
use crate::codec::ReplyWire;
use crate::error::AskError;
use crate::reply::{ErasedSlot, ReplyHandle, ReplyTo, Route};
use crate::sync::{Compaction, Unpoisoned};
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

#[derive(Default)]
struct Exported {
    routes: HashMap<u64, (ReplyTo, ReplyWire)>,
    compaction: Compaction,
}

fn exported() -> &'static Mutex<Exported> {
    static EXPORTED: OnceLock<Mutex<Exported>> = OnceLock::new();
    EXPORTED.get_or_init(Default::default)
}

fn export(route: ReplyTo, wire: ReplyWire) -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut table = exported().lock_unpoisoned();
    let Exported { routes, compaction } = &mut *table;
    if compaction.due(routes.len(), 256) {
        // Routes whose asker gave up (timed out) will never be answered usefully.
        routes.retain(|_, (route, _)| !route.is_closed());
        compaction.done(routes.len());
    }
    routes.insert(id, (route, wire));
    id
}

fn take(id: u64) -> Option<(ReplyTo, ReplyWire)> {
    exported().lock_unpoisoned().routes.remove(&id)
}

/// Completes the exported reply `id` with an answer that came back from another node.
pub(crate) fn answer(system: &Arc<SystemShared>, id: u64, reply: Result<&[u8], AskError>) {
    let Some((route, wire)) = take(id) else {
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
                let node = encoding_node();
                let Some(node) = node else {
                    self.restore_route(Route::Ask(reply));
                    return Err(serde::ser::Error::custom(
                        "a reply handle can only be sent to another node",
                    ));
                };
                WireHandle::Ask {
                    node,
                    id: export(reply, ReplyWire::of::<T>()),
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
                    Resolved::Local(_) => Ok(ReplyHandle::ask(match take(id) {
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
