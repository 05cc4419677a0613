//! The seam's entry points (feature `remote`): installing a transport or a process base, and
//! what a transport calls as messages, notices and answers arrive from other nodes.

use std::fmt;
use std::num::NonZeroU64;
use std::sync::Arc;

use super::proxy::{self, existing};
use super::{handles, Notice, Processes, ReplySink, Transport};
use crate::actor::Actor;
use crate::cell::AnyCell;
use crate::codec::{NodeId, WireError};
use crate::context::Context;
use crate::envelope::{ExitCause, SystemMessage};
use crate::error::{AskError, CreateError};
use crate::messages::{ChildActorExited, ExitReason, WatchedActorExited};
use crate::options::ActorOptions;
use crate::system::ActorSystem;
use crate::watch::Interest;
use crate::ActorAddress;
use crate::Addr;

/// Installs a transport on `system`: from now on its addresses serialize with `transport`'s node,
/// and addresses of other nodes deserialize as proxies sending through it. Fails if one is
/// already installed, or for a sequential system (a transport would break its determinism).
pub fn install(system: &ActorSystem, transport: Arc<dyn Transport>) -> Result<(), WireError> {
    let shared = system.shared();
    #[cfg(feature = "sequential")]
    if shared.sequential.is_some() {
        return Err(WireError::Setup("a sequential system cannot be networked"));
    }
    let node = transport.node();
    shared
        .remote
        .set(transport)
        .map_err(|_| WireError::Setup("a transport is already installed"))?;
    crate::system::directory::networked(shared.id, node);
    Ok(())
}

/// Registers actor type `A` in this process: an untyped address of an `A` on another node (the
/// sender of a message, say) then accepts sends, checked and encoded as `A`'s messages — which
/// is what `ctx.reply` to a told message, or a `ReplyHandle` of a told message, does. Typed
/// addresses need no registration. Registering twice is harmless.
pub fn register<A: crate::Actor>() {
    proxy::register::<A>()
}

/// The node of a system with a transport installed.
pub fn node_of(system: &ActorSystem) -> Option<NodeId> {
    system.shared().remote.get().map(|t| t.node())
}

/// The node an address points to: the actor's node for a proxy, this system's node for a local
/// actor of a networked system, `None` otherwise.
pub fn node_of_actor(address: &ActorAddress) -> Option<NodeId> {
    proxy::wire_node(&*address.cell)
}

/// The id by which other nodes reach `address`'s actor on its node: for a local actor its wire
/// id, a random number given when its address is first serialized (this exports it, see
/// [`decoding`]); for a proxy, the id of its actor on its node.
pub fn wire_id(address: &ActorAddress) -> u64 {
    proxy::wire_origin(&address.cell).2
}

/// Runs `f` with `system` as the system that deserialized addresses belong to: addresses of its
/// own node resolve to its actors, addresses of other nodes become proxies through its transport.
/// Outside of this, only addresses of local actors deserialize.
pub fn decoding<R>(system: &ActorSystem, f: impl FnOnce() -> R) -> R {
    proxy::with_decoding(system.shared(), f)
}

/// A local actor, as a transport hands it messages that arrived from other nodes. Resolve it once
/// with [`local_actor`] and keep it while it [is alive](LocalActor::is_alive): delivering then
/// costs no table lookup.
#[derive(Clone)]
pub struct LocalActor(Arc<dyn AnyCell>);

impl LocalActor {
    /// Whether the actor still takes messages.
    pub fn is_alive(&self) -> bool {
        self.0.is_alive()
    }

    /// Decodes a message with the actor type's wire form and queues it like any send. Call it
    /// inside [`decoding`], so that addresses in the message resolve. For a request, `reply`
    /// carries the answer back, and `trace` is the trace the message came with
    /// ([`Outgoing::trace`](super::Outgoing::trace)). A message for an actor that has exited becomes a dead letter
    /// here, and its request fails with [`AskError::DeadActor`]; one that cannot be decoded fails
    /// its request with [`AskError::Unreachable`].
    pub fn deliver(
        &self,
        sender: Option<ActorAddress>,
        reply: Option<Box<dyn ReplySink>>,
        trace: Option<NonZeroU64>,
        body: &[u8],
    ) -> Result<(), WireError> {
        self.0.push_wire(&self.0, body, sender, reply, trace)
    }
}

impl fmt::Debug for LocalActor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LocalActor({}#{})", self.0.type_name(), self.0.id())
    }
}

/// The local actor `to` of `system`, for messages from another node: only actors whose address
/// this process has sent out (serialized) can be found.
pub fn local_actor(system: &ActorSystem, to: u64) -> Option<LocalActor> {
    crate::wire::import(system.shared(), to).map(LocalActor)
}

/// Completes the ask behind reply handle `id`, which this system sent to another node and which
/// was answered there (the other end of [`Link::answer`](super::Link::answer)). Unknown ids are ignored.
pub fn answer(system: &ActorSystem, id: u64, reply: Result<&[u8], AskError>) {
    handles::answer(system.shared(), id, reply)
}

/// Asks the local actor `to` to exit, for a peer that asked; `false` if there is no such actor.
pub fn request_exit(system: &ActorSystem, to: u64) -> bool {
    crate::wire::import(system.shared(), to).is_some_and(|c| c.request_exit())
}

/// A message that was queued for actor `to` of `node` but never left: it becomes a dead letter
/// of `system` (decoded, when a proxy of its actor type is still alive to say how).
pub fn undelivered(
    system: &ActorSystem,
    node: NodeId,
    to: u64,
    sender: Option<ActorAddress>,
    body: &[u8],
) {
    proxy::undelivered(system.shared(), node, to, sender, body)
}

/// The local actor `to` of `system`, among the actors whose address left this process.
fn exported(system: &ActorSystem, to: u64) -> Option<Arc<dyn AnyCell>> {
    crate::wire::import(system.shared(), to).filter(|c| c.remote_target().is_none())
}

/// Hands a [`Notice`] that node `from` sent to the local actor `to` (see [`Link::notify`](super::Link::notify)).
/// Notices about actors this system holds no address of any more, or for actors it does not
/// have, are dropped (nobody waits for them).
pub fn notice(system: &ActorSystem, from: NodeId, to: u64, notice: Notice<ActorAddress>) {
    let shared = system.shared();
    match notice {
        Notice::ChildExited { child, reason } => {
            let Some(parent) = exported(system, to) else {
                return;
            };
            let notice = ChildActorExited { child, reason };
            let _ = parent.push_system(SystemMessage::ChildExited(Box::new(notice)));
        }
        Notice::WatchedExited { actor, reason } => {
            let (Some(watcher), Some(actor)) =
                (exported(system, to), existing(shared, from, actor))
            else {
                return;
            };
            let notice = WatchedActorExited { actor, reason };
            let _ = watcher.push_system(SystemMessage::Watched(Box::new(notice)));
        }
        Notice::Watch { watcher } => {
            let Some(target) = watcher.cell.remote_target() else {
                return;
            };
            let watched =
                exported(system, to).is_some_and(|cell| cell.add_watcher(watcher.clone()));
            if !watched {
                let reason = ExitReason::AlreadyExited;
                let _ = target
                    .link
                    .notify(target.to, Notice::WatchedExited { actor: to, reason });
            }
        }
        Notice::Unwatch { watcher } => {
            if let (Some(target), Some(watcher)) =
                (exported(system, to), existing(shared, from, watcher))
            {
                target.remove_watcher(watcher.id());
            }
        }
    }
}

/// Node `node` is lost (its process ended, or it stayed silent too long): every local actor
/// waiting on an actor there hears that it ended with [`ExitReason::NodeLost`] (watchers in
/// `watched_exited`, parents in `child_exited`), and every local actor whose parent was there is
/// asked to exit. A transport calls this once it declares the node lost.
pub fn node_lost(system: &ActorSystem, node: NodeId) {
    let lost = system.shared().watches.node_lost(node);
    for wait in lost.waits {
        let reason = ExitReason::NodeLost;
        let notice = match wait.interest {
            Interest::Child => SystemMessage::ChildExited(Box::new(ChildActorExited {
                child: wait.target,
                reason,
            })),
            Interest::Watch => SystemMessage::Watched(Box::new(WatchedActorExited {
                actor: wait.target,
                reason,
            })),
        };
        let _ = wait.watcher.cell.push_system(notice);
    }
    for orphan in lost.orphans {
        tracing::info!(target: "thespian::remote", actor = %orphan, %node,
            "the parent's node is lost: asking the actor to exit");
        let _ = orphan
            .cell
            .push_system(SystemMessage::Exit(ExitCause::Requested));
    }
}

/// Creates an actor whose parent is `parent`, an actor of another node (a placement asked for
/// by a parent there): the parent hears of its end through [`Link::notify`](super::Link::notify), and it is asked to
/// exit if the parent's node is lost. It counts as a top-level actor here (a shutdown of this
/// system stops it). With a local `parent`, the actor is simply its child.
pub fn create_child_of<A: Actor>(
    system: &ActorSystem,
    actor: A,
    options: ActorOptions<A>,
    parent: ActorAddress,
) -> Result<Addr<A>, CreateError> {
    system.shared().create(actor, Some(parent), options)
}

/// Records `child`, an actor created on another node for the actor of `ctx` (see
/// [`create_child_of`]), as that actor's child: it is told when the child ends, also when the
/// child's node is lost, asks it to exit when exiting itself, and waits for it.
pub fn adopt_child<P: Actor>(ctx: &mut Context<P>, child: ActorAddress) {
    if let Some(target) = child.cell.remote_target() {
        let me = ctx.myself.address();
        ctx.myself
            .cell
            .system
            .watches
            .wait_on(target.node, child.clone(), me, Interest::Child);
    }
    if ctx.exiting().is_some() {
        let _ = child.cell.request_exit();
    }
    ctx.extras().children.insert(child.id(), child);
}

/// Installs a process base on `system` (see [`Processes`]); fails if one is installed already,
/// or for a sequential system.
pub fn install_processes(
    system: &ActorSystem,
    processes: Arc<dyn Processes>,
) -> Result<(), WireError> {
    let shared = system.shared();
    #[cfg(feature = "sequential")]
    if shared.sequential.is_some() {
        return Err(WireError::Setup(
            "a sequential system cannot run actors in processes",
        ));
    }
    shared
        .processes
        .set(processes)
        .map_err(|_| WireError::Setup("a process base is already installed"))
}
