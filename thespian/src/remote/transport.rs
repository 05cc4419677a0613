//! What a transport implements and is handed: links to other nodes, the messages and notices
//! that travel on them, the routes of replies; and what a process base implements. The actor's
//! cell and the system reach a transport only through these traits, so they need nothing of
//! the seam's functions in `mod.rs`.

use std::fmt;
use std::num::NonZeroU64;
use std::sync::Arc;

#[cfg(feature = "remote")]
use serde::{Deserialize, Serialize};

use crate::address::ActorAddress;
use crate::codec::{NodeId, ReplyWire, WireError};
use crate::error::AskError;
use crate::messages::ExitReason;
use crate::reply::ReplyTo;

/// A transport: the node identity of the system it is installed on, and links to other nodes.
pub trait Transport: Send + Sync + 'static {
    /// This system's node.
    fn node(&self) -> NodeId;
    /// The link to `node`, opened when first used. Called once per proxy made, not per message.
    fn link(&self, node: NodeId) -> Arc<dyn Link>;
}

/// The way to one other node.
pub trait Link: Send + Sync + 'static {
    /// Whether the node is believed reachable (connected, or not yet known to be down).
    fn is_up(&self) -> bool;
    /// Queues one message for actor `to` of the node. The transport writes its own header, then
    /// calls `body` to append the encoded message, which also says how a reply would travel. On
    /// failure the reply route comes back, for the caller to fail.
    fn send(&self, message: Outgoing<'_>) -> Result<(), (WireError, Option<ReplyRoute>)>;
    /// Asks actor `to` of the node to exit; `false` if that cannot be sent.
    fn request_exit(&self, to: u64) -> bool;
    /// Answers reply handle `id` that came from the node (see [`answer`](super::answer)); `false` if that
    /// cannot be sent.
    fn answer(&self, id: u64, reply: Result<Vec<u8>, AskError>) -> bool;
    /// Sends a [`Notice`] to actor `to` of the node (the other end hands it to [`notice`](super::notice));
    /// `false` if that cannot be sent.
    fn notify(&self, to: u64, notice: Notice<&ActorAddress>) -> bool;
}

/// What keeps a parent or a watcher informed across nodes: sent with [`Link::notify`] to an
/// actor of the other node, handed to [`notice`](super::notice) there. `A` is the address type: borrowed when
/// sending, owned when received (the two encode alike). Actors are named by their id on the
/// sending node.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "remote", derive(Serialize, Deserialize))]
#[non_exhaustive]
pub enum Notice<A> {
    /// The sender's actor `child`, a child of the receiving actor, has ended. (An address, not
    /// an id: the notice may overtake the answer to the placement that made the child.)
    ChildExited {
        /// The child.
        child: A,
        /// Why it ended.
        reason: ExitReason,
    },
    /// The sender's actor `actor`, watched by the receiving actor, has ended.
    WatchedExited {
        /// The actor's id on the sending node.
        actor: u64,
        /// Why it ended.
        reason: ExitReason,
    },
    /// `watcher` (an actor of the sending node) watches the receiving actor.
    Watch {
        /// The watcher.
        watcher: A,
    },
    /// The sender's actor `watcher` no longer watches the receiving actor.
    Unwatch {
        /// The watcher's id on the sending node.
        watcher: u64,
    },
}

/// The body of an outgoing message: appends the encoded message and says how its reply travels.
pub type Body<'a> = &'a mut dyn FnMut(&mut Vec<u8>) -> Result<ReplyWire, WireError>;

/// One message on its way to another node (see [`Link::send`]).
#[non_exhaustive]
pub struct Outgoing<'a> {
    /// The actor, by its id on the receiving node.
    pub to: u64,
    /// The sending actor, or `None` from outside any actor.
    pub sender: Option<&'a ActorAddress>,
    /// For a request: where the answer goes.
    pub reply: Option<ReplyRoute>,
    /// The trace the message carries (see the crate's `tracing` spans): the sending handler's,
    /// while spans are on; the receiving node hands it to [`LocalActor::deliver`](super::LocalActor::deliver).
    pub trace: Option<NonZeroU64>,
    /// Appends the encoded message.
    pub body: Body<'a>,
}

impl fmt::Debug for Outgoing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outgoing")
            .field("to", &self.to)
            .field("sender", &self.sender)
            .field("ask", &self.reply.is_some())
            .finish_non_exhaustive()
    }
}

/// The waiting side of a request sent to another node: answer it with the reply's bytes, or fail
/// it. Dropping it unanswered fails the request with [`AskError::NoReply`](crate::AskError::NoReply).
pub struct ReplyRoute(pub(crate) ReplyTo);

impl ReplyRoute {
    /// Completes the request with an encoded reply. Decode inside [`decoding`](super::decoding) when the reply may
    /// hold addresses.
    pub fn answer(self, wire: &ReplyWire, bytes: &[u8]) {
        match wire.decode(bytes) {
            Ok(value) => self.0.send_any(value),
            Err(e) => self.0.fail(AskError::Unreachable(e)),
        }
    }

    /// Whether nobody waits for the answer any more (the asker timed out or gave up).
    pub fn is_closed(&self) -> bool {
        self.0.is_closed()
    }

    /// Fails the request.
    pub fn fail(self, error: AskError) {
        self.0.fail(error)
    }
}

impl fmt::Debug for ReplyRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyRoute").finish_non_exhaustive()
    }
}

/// Where the answer to a request that came from another node goes (given to [`LocalActor::deliver`](super::LocalActor::deliver)).
pub trait ReplySink: Send + Sync + 'static {
    /// Sends the encoded answer, or the error the asker should see.
    fn send(self: Box<Self>, reply: Result<Vec<u8>, AskError>);
}

/// Runs actors in child processes of their own (the process base; `thespian_net::Processes` is
/// one). Installed on a system with [`install_processes`](super::install_processes); the system then runs the actors
/// created with [`ActorOptions::in_own_process`](crate::ActorOptions::in_own_process) through it.
pub trait Processes: Send + Sync + 'static {
    /// Starts a process running one actor made from `order`; resolves to the actor's address in
    /// it, or why it could not be started.
    fn start(&self, order: ProcessOrder) -> BoxFuture<Result<StartedProcess, String>>;
}

/// A boxed, sendable future.
pub type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

/// What a process is started for: one actor of a registered type, made from its encoded value.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProcessOrder {
    /// The actor type's name ([`Actor::type_name`](crate::Actor::type_name)).
    pub type_name: &'static str,
    /// The actor's initial value, encoded.
    pub value: Vec<u8>,
    /// Whether a failure (a message that fails every attempt) ends the actor, and with it the
    /// process, rather than being resumed.
    pub stop_on_failure: bool,
}

/// A process started by [`Processes::start`].
#[non_exhaustive]
pub struct StartedProcess {
    /// The actor in the process (a proxy).
    pub actor: ActorAddress,
    /// The process's id.
    pub pid: u32,
    /// Resolves when the process has ended (and was reaped), to how it ended
    /// (`"exited with status 0"`, `"killed by signal 9 (SIGKILL)"`). Dropping it kills the
    /// process.
    pub ended: BoxFuture<String>,
}

impl StartedProcess {
    /// A started process.
    pub fn new(actor: ActorAddress, pid: u32, ended: BoxFuture<String>) -> Self {
        StartedProcess { actor, pid, ended }
    }
}

impl fmt::Debug for StartedProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartedProcess")
            .field("actor", &self.actor)
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}
