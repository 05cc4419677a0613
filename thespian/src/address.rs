//! Addresses: how actors are named and reached.
//!
//! * [`Addr<A>`] — the typed address of an actor of type `A`: it accepts exactly `A`'s messages and
//!   gives typed replies. This is what [`create_actor`](crate::ActorSystem::create_actor) returns.
//! * [`ActorAddress`] — the untyped address of any actor (or of the outside of a system): it
//!   compares, hashes and prints, and can ask an actor to exit; messages sent through it are checked
//!   at run time.
//! * [`Recipient<M>`] — the address of *some* actor that accepts messages of type `M`.
//!
//! All three are cheap to clone (one reference count), `Send + Sync`, and serialize (with serde) as
//! an actor id that the receiving side resolves again. Delivery goes through the actor's cell, which
//! owns the mailbox; the cell is the seam where a remote transport plugs in underneath the address,
//! so actor code never sees whether its peer is local.

use std::any::Any;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::acting::acting;
use crate::actor::{Actor, Message};
use crate::codec::WireError;
use crate::envelope::{Envelope, ExitCause, SystemMessage};
use crate::error::{AskError, SendError, SendFailure, TrySendError};
use crate::id::{short_type_name, ActorId};
use crate::mailbox::Mailbox;
use crate::remote::{RemoteTarget, ReplySink};
use crate::reply::ReplyTo;
use crate::send::{ask_via, tell_via, Ask, Tell};
use crate::sync::Unpoisoned;
use crate::system::SystemShared;

/// What any addressable cell offers, whatever its actor type.
pub(crate) trait AnyCell: Send + Sync + 'static {
    fn id(&self) -> ActorId;
    fn type_name(&self) -> &'static str;
    fn system_id(&self) -> u64;
    /// `Type#ordinal`, stable from run to run of a sequential system; a cell that is not an
    /// actor (and has no ordinal) goes by its type name.
    fn trace_name(&self) -> String {
        self.type_name().to_owned()
    }
    /// Delivers a system message, bypassing any mailbox bound (they must always get through).
    fn push_system(&self, msg: SystemMessage) -> Result<(), SystemMessage>;
    /// Queues an exit request behind what is already in the mailbox; `false` if it has exited.
    fn request_exit(&self) -> bool {
        self.push_system(SystemMessage::Exit(ExitCause::Requested))
            .is_ok()
    }
    /// Delivers a message of a type known only at run time.
    fn push_any(
        self: Arc<Self>,
        msg: Box<dyn Any + Send>,
        sender: Option<ActorAddress>,
        reply: Option<ReplyTo>,
    ) -> Result<(), Box<dyn Any + Send>>;
    fn is_alive(&self) -> bool;
    /// Messages waiting; none where nothing queues (a proxy, a waiter).
    fn queue_len(&self) -> usize {
        0
    }
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
    /// Where a proxy's messages go; `None` for a local actor.
    fn remote_target(&self) -> Option<&RemoteTarget> {
        None
    }
    /// The node of this cell's system, when it is networked.
    fn node(&self) -> Option<crate::codec::NodeId> {
        crate::remote::node_of_system(self.system_id())
    }
    /// Delivers a message that arrived from another node, encoded.
    fn push_wire(
        self: Arc<Self>,
        body: &[u8],
        sender: Option<ActorAddress>,
        reply: Option<Box<dyn ReplySink>>,
        trace: Option<crate::spans::TraceId>,
    ) -> Result<(), WireError> {
        let _ = (body, sender, trace);
        if let Some(reply) = reply {
            reply.send(Err(AskError::DeadActor));
        }
        Err(WireError::NotRemote(self.type_name()))
    }
    /// Adds a watcher of this (local) actor; `false` if it has ended. What never ends (the
    /// outside of a system) accepts and never tells.
    fn add_watcher(&self, watcher: ActorAddress) -> bool {
        let _ = watcher;
        true
    }
    /// Removes a watcher of this (local) actor.
    fn remove_watcher(&self, watcher: ActorId) {
        let _ = watcher;
    }
    /// Makes a dead letter of a message that was encoded for this proxy but never left.
    fn dead_letter_wire(&self, sender: Option<ActorAddress>, body: &[u8]) {
        let _ = (sender, body);
    }
}

/// The shared part of a running actor: its identity and mailbox.
///
/// Laid out in order, the mailbox last: the fields senders read come first, then the mailbox's
/// queue, whose receiver's side (read and written for every message taken) ends the cell, on
/// lines of its own (see the mailbox's `Queue`).
#[repr(C)]
pub(crate) struct ActorCell<A: Actor> {
    pub(crate) id: ActorId,
    /// The order of its creation in its system (1 for the first actor): stable from run to run
    /// of a sequential system, unlike the process-wide id.
    pub(crate) ordinal: u32,
    /// Why the actor is exiting (`ExitCause::code`), once it is; 0 before. Written and read only
    /// by the actor's own task, kept here in the room the ordinal leaves (in the context it grew
    /// every task, in the context's extras it cost every exit an allocation).
    pub(crate) exiting: std::sync::atomic::AtomicU8,
    pub(crate) system: Arc<SystemShared>,
    /// Set for a proxy of an actor of another node: sends go there, the mailbox stays empty.
    pub(crate) remote: Option<Box<RemoteTarget>>,
    pub(crate) mailbox: Mailbox<A::Message, Lineage>,
}

/// Where an actor stands in the tree: its parent, until it has told the parent of its end. Kept
/// in the gap between its mailbox's two sides, where it costs no room (see the mailbox's
/// `Queue`); read only when the actor ends or is asked about it.
#[derive(Default)]
pub(crate) struct Lineage {
    parent: std::sync::Mutex<Option<ActorAddress>>,
}

impl Lineage {
    pub(crate) fn new(parent: Option<ActorAddress>) -> Self {
        Lineage {
            parent: std::sync::Mutex::new(parent),
        }
    }
}

impl<A: Actor> ActorCell<A> {
    /// A cell of `system` with no task behind it: for the crate's unit tests of what surrounds
    /// an actor (its context, its task's future).
    #[cfg(test)]
    pub(crate) fn unstarted(system: &crate::ActorSystem) -> Arc<Self> {
        Arc::new(ActorCell {
            id: ActorId::next(),
            exiting: Default::default(),
            system: system.shared.clone(),
            ordinal: 1,
            mailbox: Mailbox::new(None, None, Default::default()),
            remote: None,
        })
    }

    /// Why the actor is exiting, once it is.
    #[inline]
    pub(crate) fn exiting(&self) -> Option<ExitCause> {
        ExitCause::from_code(self.exiting.load(Ordering::Relaxed))
    }

    pub(crate) fn set_exiting(&self, cause: ExitCause) {
        self.exiting.store(cause.code(), Ordering::Relaxed);
    }

    /// The actor that created this one; `None` for a top-level actor, or once it has ended.
    pub(crate) fn parent(&self) -> Option<ActorAddress> {
        self.mailbox.attic().parent.lock_unpoisoned().clone()
    }

    /// The parent, taken as the actor ends: the cell (which may outlive the actor) then keeps
    /// no other actor's alive.
    pub(crate) fn take_parent(&self) -> Option<ActorAddress> {
        self.mailbox.attic().parent.lock_unpoisoned().take()
    }
}

/// A message that was not accepted, with its sender, reply route and the reason.
pub(crate) struct Refused<M> {
    pub(crate) msg: M,
    pub(crate) sender: Option<ActorAddress>,
    pub(crate) reply: Option<ReplyTo>,
    pub(crate) reason: SendFailure,
}

impl<M> Refused<M> {
    /// The public error: the message and the reason.
    pub(crate) fn into_send_error(self) -> SendError<M> {
        SendError::new(self.msg, self.reason)
    }

    /// Refused because the actor has exited.
    pub(crate) fn exited(msg: M, sender: Option<ActorAddress>, reply: Option<ReplyTo>) -> Self {
        Refused {
            msg,
            sender,
            reply,
            reason: SendFailure::Exited,
        }
    }
}

/// Delivery of messages of type `M`, whatever the actor type behind it.
pub(crate) trait Deliver<M>: AnyCell {
    fn bound(&self) -> Option<&tokio::sync::Semaphore>;
    fn system(&self) -> &Arc<SystemShared>;
    /// Pushes a message (the caller holds a permit of a bounded mailbox); a refused message comes
    /// back as it was given, with its sender and reply route.
    fn push_msg(
        &self,
        msg: M,
        sender: Option<ActorAddress>,
        reply: Option<ReplyTo>,
    ) -> Result<(), Refused<M>>;
    /// This cell as an untyped address.
    fn to_address(self: Arc<Self>) -> ActorAddress;
}

impl<A: Actor, M: Send + 'static> Deliver<M> for ActorCell<A>
where
    A::Message: From<M>,
{
    #[inline]
    fn bound(&self) -> Option<&tokio::sync::Semaphore> {
        self.mailbox.bound()
    }

    #[inline]
    fn system(&self) -> &Arc<SystemShared> {
        &self.system
    }

    #[inline(always)]
    fn push_msg(
        &self,
        msg: M,
        sender: Option<ActorAddress>,
        reply: Option<ReplyTo>,
    ) -> Result<(), Refused<M>> {
        if let Some(target) = &self.remote {
            return crate::remote::push(self, target, msg, sender, reply);
        }
        self.mailbox
            .push_with((msg, sender, reply), |(msg, sender, reply)| {
                Envelope::user(A::Message::from(msg), sender, reply)
            })
            .map_err(|(msg, sender, reply)| Refused::exited(msg, sender, reply))
    }

    fn to_address(self: Arc<Self>) -> ActorAddress {
        ActorAddress { cell: self }
    }
}

impl<A: Actor> AnyCell for ActorCell<A> {
    fn id(&self) -> ActorId {
        self.id
    }

    fn type_name(&self) -> &'static str {
        A::type_name()
    }

    fn system_id(&self) -> u64 {
        self.system.id
    }

    fn trace_name(&self) -> String {
        format!("{}#{}", short_type_name(A::type_name()), self.ordinal)
    }

    fn push_system(&self, msg: SystemMessage) -> Result<(), SystemMessage> {
        if let Some(target) = &self.remote {
            return crate::remote::push_system_remote(target, msg);
        }
        self.mailbox
            .push(Envelope::system(msg))
            .map_err(|env| match env.payload {
                crate::envelope::Payload::System(m) => m,
                crate::envelope::Payload::User(_) | crate::envelope::Payload::Traced(_) => {
                    unreachable!("a system envelope holds a system message")
                }
            })
    }

    fn push_any(
        self: Arc<Self>,
        msg: Box<dyn Any + Send>,
        sender: Option<ActorAddress>,
        reply: Option<ReplyTo>,
    ) -> Result<(), Box<dyn Any + Send>> {
        if self.remote.is_none() && self.mailbox.is_closed() {
            return Err(msg);
        }
        let msg = A::message_from_any(msg)?;
        if let Some(target) = &self.remote {
            // Refused here means "could not be encoded or sent": a dead letter, as the message
            // can no longer be handed back in the type it was given.
            if let Err(Refused { msg, sender, .. }) =
                crate::remote::push(&self, target, msg, sender, reply)
            {
                let name = A::message_name(&msg);
                let target = ActorAddress::from_cell(self.clone());
                self.system
                    .dead_letter(target, sender, A::message_into_any(msg), name);
            }
            return Ok(());
        }
        if let Err(env) = self.mailbox.push(Envelope::user(msg, sender, reply)) {
            // Closed since the check above: the message is accepted, so it becomes a dead letter
            // (it can no longer be handed back in the type it was given).
            let system = self.system.clone();
            system.dead_letter_envelopes::<A>(&ActorAddress::from_cell(self), [env]);
        }
        Ok(())
    }

    fn is_alive(&self) -> bool {
        match &self.remote {
            Some(target) => target.link.is_up(),
            None => !self.mailbox.is_closed(),
        }
    }

    fn queue_len(&self) -> usize {
        self.mailbox.len()
    }

    fn add_watcher(&self, watcher: ActorAddress) -> bool {
        self.system
            .watches
            .watch(self.id, || !self.mailbox.is_closed(), watcher)
    }

    fn remove_watcher(&self, watcher: ActorId) {
        self.system.watches.unwatch(self.id, watcher);
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }

    fn remote_target(&self) -> Option<&RemoteTarget> {
        self.remote.as_deref()
    }

    fn node(&self) -> Option<crate::codec::NodeId> {
        // From its own system: no process-wide table on the path of every remote send.
        self.system.remote.get().map(|t| t.node())
    }

    fn push_wire(
        self: Arc<Self>,
        body: &[u8],
        sender: Option<ActorAddress>,
        reply: Option<Box<dyn ReplySink>>,
        trace: Option<crate::spans::TraceId>,
    ) -> Result<(), WireError> {
        let (msg, wire) = match A::message_from_wire(body) {
            Ok(decoded) => decoded,
            Err(e) => {
                if let Some(reply) = reply {
                    reply.send(Err(AskError::Unreachable(e.clone())));
                }
                return Err(e);
            }
        };
        let reply = reply.map(|sink| crate::remote::RemoteSlot::reply_to(sink, wire));
        if let Err(env) = self
            .mailbox
            .push(Envelope::with_trace(msg, sender, reply, trace))
        {
            let system = self.system.clone();
            system.dead_letter_envelopes::<A>(&ActorAddress::from_cell(self), [env]);
        }
        Ok(())
    }

    fn dead_letter_wire(&self, sender: Option<ActorAddress>, body: &[u8]) {
        let Some(target) = &self.remote else { return };
        let address = crate::remote::untyped_address(&self.system, target, A::type_name());
        match A::message_from_wire(body) {
            Ok((msg, _)) => {
                let name = A::message_name(&msg);
                self.system
                    .dead_letter(address, sender, A::message_into_any(msg), name);
            }
            Err(_) => self
                .system
                .dead_letter(address, sender, Box::new(body.to_vec()), "bytes"),
        }
    }
}

/// The typed address of an actor of type `A`.
///
/// Cheap to clone, `Send + Sync`, comparable and hashable by actor identity, printable, and
/// serializable. Sending through it checks the message type at compile time.
///
/// Clippy's `mutable_key_type` lint fires on a `HashSet<Addr<_>>`, because the mailbox behind an
/// address holds a lock. Hashing uses only the actor's id, which never changes, so allowing the
/// lint is sound (or key the set by [`Addr::id`]).
///
/// ```
/// use std::time::Duration;
/// use thespian::prelude::*;
///
/// struct Doubler;
/// struct Double(u64);
/// impl Message for Double { type Reply = u64; }
///
/// impl Actor for Doubler {
///     type Message = Double;
///     async fn handle(&mut self, Double(n): Double, ctx: &mut Context<Self>) {
///         ctx.reply(n * 2);
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let system = ActorSystem::new();
/// let doubler: Addr<Doubler> = system.create_actor(Doubler).await.unwrap();
/// assert_eq!(doubler.ask(Double(21), Duration::from_secs(1)).await, Ok(42));
/// system.shutdown().await;
/// # }
/// ```
pub struct Addr<A: Actor> {
    pub(crate) cell: Arc<ActorCell<A>>,
}

impl<A: Actor> Addr<A> {
    pub(crate) fn from_cell(cell: Arc<ActorCell<A>>) -> Self {
        Addr { cell }
    }

    /// The actor's identity: unique in the process, the same for every copy of the address.
    ///
    /// ```
    /// # use thespian::prelude::*;
    /// # #[derive(Default)] struct Counter { total: u64 }
    /// # #[actor] impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let system = ActorSystem::new();
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// let other = system.create_actor(Counter::default()).await?;
    /// assert_eq!(counter.id(), counter.clone().id());
    /// assert_ne!(counter.id(), other.id());
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn id(&self) -> ActorId {
        self.cell.id
    }

    /// Sends a message without waiting for it to be handled. Waits only for room in a bounded
    /// mailbox; hands the message back if the actor has exited.
    ///
    /// The message is in the mailbox as soon as this returns (see [`Tell`]). Its sender is the
    /// actor whose handler or hook makes the call (as with [`Context::tell`](crate::Context::tell)),
    /// or the outside of the system when no actor does.
    ///
    /// # Errors
    ///
    /// The [`Tell`] gives [`SendError`](crate::SendError) when the message was not accepted: the
    /// actor had exited, or (for an actor on another node) it could not be sent; the error says
    /// why and hands the message back ([`SendError::into_inner`](crate::SendError::into_inner)).
    ///
    /// # Cancel safety
    ///
    /// The message is sent when this returns; dropping the `Tell` does not take it back. Dropped
    /// while it waits for room in a full bounded mailbox, its message becomes a dead letter.
    ///
    /// ```
    /// # use thespian::prelude::*;
    /// # #[derive(Default)] struct Counter { total: u64 }
    /// # #[actor] impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let system = ActorSystem::new();
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// counter.tell(CounterAdd { n: 2 }).await?;
    /// assert_eq!(counter.total().ask().await?, 2);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[inline]
    pub fn tell<M>(&self, msg: M) -> Tell<M>
    where
        M: Send + 'static,
        A::Message: From<M>,
    {
        tell_via(&self.cell, msg, acting())
    }

    /// Sends a message if there is room right now (its sender chosen as for [`tell`](Self::tell)),
    /// without waiting: for code that cannot await, or must not wait for a full bounded mailbox.
    ///
    /// # Errors
    ///
    /// [`TrySendError`](crate::TrySendError), with the message handed back: the mailbox is full,
    /// the actor has exited, or the message could not be sent to the actor's node.
    ///
    /// ```
    /// # use thespian::prelude::*;
    /// # #[derive(Default)] struct Counter { total: u64 }
    /// # #[actor] impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let system = ActorSystem::new();
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// counter.try_tell(CounterAdd { n: 3 })?;
    /// counter.request_exit();
    /// # counter.wait_for_exit().await;
    /// let refused = counter.try_tell(CounterAdd { n: 4 }).unwrap_err();
    /// assert_eq!(refused.into_inner().n, 4);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[inline]
    pub fn try_tell<M>(&self, msg: M) -> Result<(), TrySendError<M>>
    where
        M: Send + 'static,
        A::Message: From<M>,
    {
        crate::send::try_tell_via(&*self.cell, msg, acting())
    }

    /// Sends a request and waits for its reply, at most `timeout`.
    ///
    /// The reply is the one to *this* request. If the actor has exited, the request becomes a dead
    /// letter and the error comes at once, without waiting for the timeout. A timeout of
    /// [`Duration::MAX`] waits as long as it takes (until the reply, or until the actor exits or
    /// drops the request unanswered), and then costs no deadline to keep.
    ///
    /// The request is sent when this returns (see [`Ask`]). Its sender is chosen as for
    /// [`tell`](Self::tell): the calling actor, inside a handler.
    ///
    /// # Errors
    ///
    /// [`AskError`](crate::AskError): no reply within `timeout`, the actor exited (or had), the
    /// handler panicked (`Poisoned`), it dropped the request unanswered, or the actor's node could
    /// not be reached.
    ///
    /// # Cancel safety
    ///
    /// Dropping the `Ask` does not take the request back: the actor still handles it, and its
    /// reply becomes a dead letter.
    ///
    /// ```
    /// # use thespian::prelude::*;
    /// # #[derive(Default)] struct Counter { total: u64 }
    /// # #[actor] impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let system = ActorSystem::new();
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// use std::time::Duration;
    /// counter.add(5).tell().await?;
    /// let total = counter.ask(CounterTotal, Duration::from_secs(1)).await?;
    /// assert_eq!(total, 5);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[inline]
    pub fn ask<M>(&self, msg: M, timeout: Duration) -> Ask<M::Reply>
    where
        M: Message,
        A::Message: From<M>,
    {
        ask_via(&self.cell, msg, acting(), timeout)
    }

    /// The ask timeout used when none is given: the system's default
    /// ([`ActorSystemBuilder::default_ask_timeout`](crate::ActorSystemBuilder::default_ask_timeout)).
    ///
    /// ```
    /// # use thespian::prelude::*;
    /// # #[derive(Default)] struct Counter { total: u64 }
    /// # #[actor] impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let system = ActorSystem::new();
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// use std::time::Duration;
    /// let patient = ActorSystem::builder().default_ask_timeout(Duration::from_secs(30)).build();
    /// let slow = patient.create_actor(Counter::default()).await?;
    /// assert_eq!(slow.default_timeout(), Duration::from_secs(30));
    /// # patient.shutdown().await;
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn default_timeout(&self) -> Duration {
        self.cell.system.default_ask_timeout
    }

    /// Asks the actor to exit (see [`ActorExitRequest`](crate::ActorExitRequest)): it handles
    /// what was sent before, runs its `stopping` hook, and waits for its children. Returns `false`
    /// if it had already exited.
    ///
    /// ```
    /// # use thespian::prelude::*;
    /// # #[derive(Default)] struct Counter { total: u64 }
    /// # #[actor] impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let system = ActorSystem::new();
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// use thespian::ExitReason;
    /// let ended = counter.wait_for_exit();
    /// assert!(counter.request_exit());
    /// assert_eq!(ended.await, ExitReason::Requested);
    /// assert!(!counter.request_exit());
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn request_exit(&self) -> bool {
        self.cell.request_exit()
    }

    /// Whether the actor is still running (it may exit right after this returns: to act on its
    /// end, [`wait_for_exit`](Self::wait_for_exit) or [`Context::watch`](crate::Context::watch)).
    ///
    /// ```
    /// # use thespian::prelude::*;
    /// # #[derive(Default)] struct Counter { total: u64 }
    /// # #[actor] impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let system = ActorSystem::new();
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// assert!(counter.is_alive());
    /// counter.request_exit();
    /// counter.wait_for_exit().await;
    /// assert!(!counter.is_alive());
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_alive(&self) -> bool {
        self.cell.is_alive()
    }

    /// Waits until the actor has exited, and says why: the reason its parent and its watchers
    /// hear ([`ExitReason`](crate::ExitReason)). An actor that had already ended gives
    /// [`AlreadyExited`](crate::ExitReason::AlreadyExited); one on another node gives its own
    /// reason when its node tells, or [`NodeLost`](crate::ExitReason::NodeLost). The wait starts
    /// when this is called, not when it is first awaited, so an exit in between is not missed.
    ///
    /// ```
    /// # use thespian::prelude::*;
    /// # struct Job;
    /// # impl Actor for Job {
    /// #     type Message = ();
    /// #     async fn handle(&mut self, _: (), ctx: &mut Context<Self>) { ctx.stop(); }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let system = ActorSystem::new();
    /// let job = system.create_actor(Job).await.unwrap();
    /// let ended = job.wait_for_exit();
    /// job.tell(()).await.unwrap();
    /// assert_eq!(ended.await, ExitReason::Requested);
    /// # system.shutdown().await;
    /// # }
    /// ```
    pub fn wait_for_exit(&self) -> crate::ExitWait {
        crate::exit_wait::wait_for_exit(self)
    }

    /// The number of messages waiting in its mailbox (an estimate while messages move).
    ///
    /// ```
    /// # use thespian::prelude::*;
    /// # #[derive(Default)] struct Counter { total: u64 }
    /// # #[actor] impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let system = ActorSystem::new();
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// counter.add(1).tell().await?;
    /// assert!(counter.queue_len() <= 1);
    /// counter.total().ask().await?; // handled after the add
    /// assert_eq!(counter.queue_len(), 0);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn queue_len(&self) -> usize {
        self.cell.mailbox.len()
    }

    /// The untyped address of this actor: for code that handles actors of any type (parents,
    /// watchers, dead letters), and to compare with the addresses notices carry.
    ///
    /// ```
    /// # use thespian::prelude::*;
    /// # #[derive(Default)] struct Counter { total: u64 }
    /// # #[actor] impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let system = ActorSystem::new();
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// let any: ActorAddress = counter.address();
    /// assert_eq!(any, counter.address());
    /// assert_eq!(any.id(), counter.id());
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn address(&self) -> ActorAddress {
        ActorAddress {
            cell: self.cell.clone(),
        }
    }

    /// A [`Recipient`] of messages of type `M` that this actor accepts: an address that names
    /// the message, not the actor, so that actors of different types can be told alike.
    ///
    /// ```
    /// # use thespian::prelude::*;
    /// # #[derive(Default)] struct Counter { total: u64 }
    /// # #[actor] impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let system = ActorSystem::new();
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// use thespian::Recipient;
    /// let adder: Recipient<CounterAdd> = counter.recipient();
    /// adder.tell(CounterAdd { n: 7 }).await?;
    /// assert_eq!(counter.total().ask().await?, 7);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn recipient<M>(&self) -> Recipient<M>
    where
        M: Send + 'static,
        A::Message: From<M>,
    {
        Recipient {
            cell: self.cell.clone(),
        }
    }
}

impl<A: Actor> Clone for Addr<A> {
    fn clone(&self) -> Self {
        Addr {
            cell: self.cell.clone(),
        }
    }
}

impl<A: Actor> PartialEq for Addr<A> {
    fn eq(&self, other: &Self) -> bool {
        self.cell.id == other.cell.id
    }
}

impl<A: Actor> Eq for Addr<A> {}

impl<A: Actor> Hash for Addr<A> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.cell.id.hash(state)
    }
}

impl<A: Actor> fmt::Debug for Addr<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Addr<{}>#{}",
            short_type_name(A::type_name()),
            self.cell.id
        )
    }
}

impl<A: Actor> fmt::Display for Addr<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", short_type_name(A::type_name()), self.cell.id)
    }
}

impl<A: Actor> From<Addr<A>> for ActorAddress {
    fn from(addr: Addr<A>) -> Self {
        ActorAddress { cell: addr.cell }
    }
}

/// The address of any actor, whatever its type, or of the outside of an actor system.
///
/// It compares, hashes and prints by actor identity. Messages sent through it are checked against
/// the actor's message type at run time; [`downcast`](ActorAddress::downcast) recovers the typed
/// [`Addr`].
#[derive(Clone)]
pub struct ActorAddress {
    pub(crate) cell: Arc<dyn AnyCell>,
}

impl ActorAddress {
    pub(crate) fn from_cell(cell: Arc<dyn AnyCell>) -> Self {
        ActorAddress { cell }
    }

    /// The actor's identity.
    pub fn id(&self) -> ActorId {
        self.cell.id()
    }

    /// The actor's type name (`"outside"` for the outside of a system).
    pub fn type_name(&self) -> &'static str {
        self.cell.type_name()
    }

    /// Whether the actor is still running.
    pub fn is_alive(&self) -> bool {
        self.cell.is_alive()
    }

    /// The number of messages waiting in its mailbox.
    pub fn queue_len(&self) -> usize {
        self.cell.queue_len()
    }

    /// Asks the actor to exit. Returns `false` if it had already exited.
    pub fn request_exit(&self) -> bool {
        self.cell.request_exit()
    }

    /// Sends a message checked at run time. Never waits (untyped sends ignore a mailbox bound).
    /// Hands the message back if the actor has exited or does not accept this type. Its sender
    /// is the actor whose handler or hook makes the call, or the outside of the system.
    pub fn tell_any<M: Any + Send>(&self, msg: M) -> Result<(), Box<dyn Any + Send>> {
        self.cell.clone().push_any(Box::new(msg), acting(), None)
    }

    /// The typed address, if the actor is an `A`.
    pub fn downcast<A: Actor>(&self) -> Option<Addr<A>> {
        match self.cell.clone().into_any().downcast::<ActorCell<A>>() {
            Ok(cell) => Some(Addr::from_cell(cell)),
            Err(any) => crate::remote::downcast_remote::<A>(any).map(Addr::from_cell),
        }
    }
}

impl PartialEq for ActorAddress {
    fn eq(&self, other: &Self) -> bool {
        self.cell.id() == other.cell.id()
    }
}

impl Eq for ActorAddress {}

impl Hash for ActorAddress {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.cell.id().hash(state)
    }
}

impl<A: Actor> PartialEq<Addr<A>> for ActorAddress {
    fn eq(&self, other: &Addr<A>) -> bool {
        self.cell.id() == other.cell.id
    }
}

impl<A: Actor> PartialEq<ActorAddress> for Addr<A> {
    fn eq(&self, other: &ActorAddress) -> bool {
        self.cell.id == other.cell.id()
    }
}

impl fmt::Debug for ActorAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActorAddress({self})")
    }
}

impl fmt::Display for ActorAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}#{}",
            short_type_name(self.cell.type_name()),
            self.cell.id()
        )
    }
}

/// The address of some actor that accepts messages of type `M`, whatever its own type.
pub struct Recipient<M: Send + 'static> {
    cell: Arc<dyn Deliver<M>>,
}

impl<M: Send + 'static> Recipient<M> {
    /// The actor's identity.
    pub fn id(&self) -> ActorId {
        self.cell.id()
    }

    /// Sends a message; waits only for room in a bounded mailbox. Its sender is the actor whose
    /// handler or hook makes the call, or the outside of the system (see [`Addr::tell`]).
    pub fn tell(&self, msg: M) -> Tell<M> {
        tell_via(&self.cell, msg, acting())
    }

    /// Sends a message if there is room right now.
    pub fn try_tell(&self, msg: M) -> Result<(), TrySendError<M>> {
        crate::send::try_tell_via(&*self.cell, msg, acting())
    }

    /// Sends a request and waits for its reply, at most `timeout` (its sender chosen as for
    /// [`tell`](Self::tell)).
    pub fn ask(&self, msg: M, timeout: Duration) -> Ask<M::Reply>
    where
        M: Message,
    {
        ask_via(&self.cell, msg, acting(), timeout)
    }

    /// The untyped address of the actor.
    pub fn address(&self) -> ActorAddress {
        self.cell.clone().to_address()
    }

    pub(crate) fn cell(&self) -> &Arc<dyn Deliver<M>> {
        &self.cell
    }
}

impl<M: Send + 'static> Clone for Recipient<M> {
    fn clone(&self) -> Self {
        Recipient {
            cell: self.cell.clone(),
        }
    }
}

impl<M: Send + 'static> PartialEq for Recipient<M> {
    fn eq(&self, other: &Self) -> bool {
        self.cell.id() == other.cell.id()
    }
}

impl<M: Send + 'static> Eq for Recipient<M> {}

impl<M: Send + 'static> Hash for Recipient<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.cell.id().hash(state)
    }
}

impl<M: Send + 'static> fmt::Debug for Recipient<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Recipient<{}>({})",
            short_type_name(std::any::type_name::<M>()),
            self.address()
        )
    }
}

impl<A: Actor, M: Send + 'static> From<Addr<A>> for Recipient<M>
where
    A::Message: From<M>,
{
    fn from(addr: Addr<A>) -> Self {
        Recipient { cell: addr.cell }
    }
}
