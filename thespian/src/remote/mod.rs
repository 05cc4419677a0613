//! The seam between actor systems: how addresses, messages and replies travel to another system.
//!
//! Actor code never uses this module. A *transport* does (the `thespian-net` crate is one): it
//! [`install`]s itself on an [`ActorSystem`](crate::ActorSystem), after which
//!
//! * every address the system serializes names its [`NodeId`], so it can be reached from elsewhere;
//! * an address of another node, deserialized inside [`decoding`], becomes a *proxy*: an ordinary
//!   [`Addr`](crate::Addr) whose sends are encoded at once (by the actor type's
//!   [`Mail::to_wire`](crate::Mail::to_wire)) and handed to the transport's
//!   [`Link`] to that node, so actor code cannot tell a remote peer from a local one;
//! * what arrives from a link is handed to the local actor with [`LocalActor::deliver`], and a request's answer
//!   goes back through the [`ReplySink`] the transport gave with it.
//!
//! Encoding happens in the sending task, so a message that cannot be encoded is refused at `tell`
//! (handed back) or fails its `ask` ([`AskError::Unreachable`](crate::AskError::Unreachable)),
//! and the transport only moves bytes.
//!
//! The entry points a transport calls ([`install`], [`local_actor`], [`notice`], …) and the
//! codec ([`encode`], [`decode`]) need the feature `remote` (on by default); without it the
//! crate builds without serde and postcard, and this module keeps its types (those the errors
//! name, and the traits a transport implements) with nothing to install a transport.

#[cfg(feature = "remote")]
mod handles;
pub(crate) mod proxy;
#[cfg(feature = "remote")]
mod seam;
pub(crate) mod transport;

use crate::id::ActorId;
use crate::ActorAddress;

#[cfg(feature = "remote")]
#[cfg_attr(docsrs, doc(cfg(feature = "remote")))]
pub use crate::codec::{decode, encode};
pub use crate::codec::{CodecFault, NodeId, ReplyWire, Unreachable, WireError};
#[cfg(feature = "remote")]
#[cfg_attr(docsrs, doc(cfg(feature = "remote")))]
pub use seam::{
    adopt_child, answer, create_child_of, decoding, install, install_processes, local_actor,
    node_lost, node_of, node_of_actor, notice, register, request_exit, undelivered, wire_id,
    LocalActor,
};
pub use transport::{
    Body, BoxFuture, Link, Notice, Outgoing, ProcessOrder, Processes, ReplyRoute, ReplySink,
    StartedProcess, Transport,
};

#[cfg(feature = "remote")]
pub(crate) use handles::ExportedReplies;
use proxy::RemoteTarget;

/// Sends the watch of `target`'s actor by `watcher`; `false` if its node cannot be reached.
pub(crate) fn watch(target: &RemoteTarget, watcher: &ActorAddress) -> bool {
    target.link.notify(target.to, Notice::Watch { watcher })
}

/// Ends a watch of `target`'s actor by the local actor `watcher`.
pub(crate) fn unwatch(target: &RemoteTarget, watcher: ActorId) {
    // Best effort: if the node cannot be reached, the watch there ends with the link.
    let _ = target
        .link
        .notify(target.to, Notice::Unwatch { watcher: watcher.0 });
}
