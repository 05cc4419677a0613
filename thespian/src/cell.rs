//! The cell: the shared part of a running actor that every address of it points to, holding its
//! identity, its system and its mailbox. Sends end here: a local cell pushes into the mailbox; a
//! proxy's cell (an actor of another node), whose mailbox is closed from the start, hands the
//! refused message to the remote seam. `AnyCell` is what an untyped address reaches,
//! `Deliver<M>` what a `Recipient<M>` reaches.

use std::any::Any;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::actor::Actor;
use crate::address::{ActorAddress, Addr};
use crate::codec::WireError;
use crate::envelope::{Envelope, ExitCause, SystemMessage};
use crate::error::{AskError, SendError, SendFailure};
use crate::id::ActorId;
use crate::mail::Mail;
use crate::mailbox::Mailbox;
use crate::remote::proxy::RemoteTarget;
use crate::remote::transport::ReplySink;
use crate::reply::ReplyTo;
use crate::sync::Unpoisoned;
use crate::system::shared::SystemShared;

/// What any addressable cell offers, whatever its actor type.
pub(crate) trait AnyCell: Send + Sync + 'static {
    fn id(&self) -> ActorId;
    fn type_name(&self) -> &'static str;
    fn system_id(&self) -> u64;
    /// `Type#ordinal`, stable from run to run of a sequential system; a cell that is not an
    /// actor (and has no ordinal) goes by its type name.
    #[cfg(feature = "sequential")]
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
    /// Exports this local cell (`this`): its wire id (see `crate::wire`).
    fn export(&self, this: &Arc<dyn AnyCell>) -> u64 {
        crate::wire::export(this)
    }
    /// The node of this cell's system, when it is networked.
    fn node(&self) -> Option<crate::codec::NodeId> {
        crate::system::directory::node_of(self.system_id())
    }
    /// Delivers a message that arrived from another node, encoded. `this` is this cell (for
    /// a dead letter's address): borrowed, so a stream of messages does not count references
    /// on a line the actor's own task reads.
    fn push_wire(
        &self,
        this: &Arc<dyn AnyCell>,
        body: &[u8],
        sender: Option<ActorAddress>,
        reply: Option<Box<dyn ReplySink>>,
        trace: Option<crate::spans::TraceId>,
    ) -> Result<(), WireError> {
        let _ = (this, body, sender, trace);
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
/// 88 bytes; what a mailbox needs for its messages is allocated with the first one. (With glibc,
/// an idle actor's task, cell and the gaps its task's alignment leaves take 447 B; with the
/// 184-byte cell that held the whole queue they took 512 B: see BENCHMARKS.md.)
pub(crate) struct ActorCell<A: Actor> {
    pub(crate) id: ActorId,
    /// The order of its creation in its system (1 for the first actor): stable from run to run
    /// of a sequential system, unlike the process-wide id.
    /// (Read by the sequential base's traces alone; without them it fills room the exit code
    /// leaves anyway.)
    #[cfg_attr(not(feature = "sequential"), allow(dead_code))]
    pub(crate) ordinal: u32,
    /// Why the actor is exiting (`ExitCause::code`), once it is; 0 before. Written and read only
    /// by the actor's own task, kept here in the room the ordinal leaves (in the context it grew
    /// every task, in the context's extras it cost every exit an allocation).
    pub(crate) exiting: std::sync::atomic::AtomicU8,
    pub(crate) system: Arc<SystemShared>,
    /// Set for a proxy of an actor of another node: sends go there, the mailbox stays empty.
    pub(crate) remote: Option<Box<RemoteTarget>>,
    pub(crate) mailbox: Mailbox<A::Message>,
    pub(crate) lineage: Lineage,
}

/// Where an actor stands in the tree: its parent, until it has told the parent of its end; read
/// only when the actor ends or is asked about it.
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
            mailbox: Mailbox::new(None),
            lineage: Lineage::default(),
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
        self.lineage.parent.lock_unpoisoned().clone()
    }

    /// The parent, taken as the actor ends: the cell (which may outlive the actor) then keeps
    /// no other actor's alive.
    pub(crate) fn take_parent(&self) -> Option<ActorAddress> {
        self.lineage.parent.lock_unpoisoned().take()
    }
}

/// A message that was not accepted, with its sender, reply route and the reason. The message
/// is `None` only when it was sent to another node as a type that cannot give it back (see
/// `remote::proxy::push`): it is a dead letter already.
pub(crate) struct Refused<M> {
    pub(crate) msg: Option<M>,
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
            msg: Some(msg),
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

impl<A: Actor> ActorCell<A> {
    /// A message the mailbox refused: a proxy's goes to its node, anyone else's is refused as
    /// sent to an actor that has exited. Its own cold function rather than a `match` in the
    /// send: inlined there, it saved the plain tell 2 instructions but cost a ping-pong round
    /// trip 10 (callgrind `hop_profile`).
    #[cold]
    #[inline(never)]
    fn refused<M: Send + 'static>(
        &self,
        msg: M,
        sender: Option<ActorAddress>,
        reply: Option<ReplyTo>,
    ) -> Result<(), Refused<M>>
    where
        A::Message: From<M>,
    {
        match &self.remote {
            Some(target) => crate::remote::proxy::push(self, target, msg, sender, reply),
            None => Err(Refused::exited(msg, sender, reply)),
        }
    }
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
        // A proxy's mailbox is closed from the start: its sends take the refusal's path, so a
        // local send never looks for a remote target.
        self.mailbox
            .push_with((msg, sender, reply), |(msg, sender, reply)| {
                Envelope::user(A::Message::from(msg), sender, reply)
            })
            .or_else(|(msg, sender, reply)| self.refused(msg, sender, reply))
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

    #[cfg(feature = "sequential")]
    fn trace_name(&self) -> String {
        format!(
            "{}#{}",
            crate::id::short_type_name(A::type_name()),
            self.ordinal
        )
    }

    fn push_system(&self, msg: SystemMessage) -> Result<(), SystemMessage> {
        if let Some(target) = &self.remote {
            return crate::remote::proxy::push_system_remote(target, msg);
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
        let given = (*msg).type_id();
        let msg = <A::Message as Mail>::from_any(msg)?;
        if let Some(target) = &self.remote {
            // Refused here means "could not be encoded or sent": handed back when the message
            // comes back as the type it was given (`#[actor]` messages and the actor's own type
            // do), else a dead letter.
            if let Err(Refused {
                msg: Some(msg),
                sender,
                ..
            }) = crate::remote::proxy::push(&self, target, msg, sender, reply)
            {
                let name = <A::Message as Mail>::name(&msg);
                let back = crate::mail::boxed_as(msg, given);
                if (*back).type_id() == given {
                    return Err(back);
                }
                let target = ActorAddress::from_cell(self.clone());
                self.system.dead_letter(target, sender, back, name);
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

    fn export(&self, this: &Arc<dyn AnyCell>) -> u64 {
        // Into its own system's table, without finding the system.
        crate::wire::export_in(&self.system, this)
    }

    fn node(&self) -> Option<crate::codec::NodeId> {
        // From its own system: no process-wide table on the path of every remote send.
        self.system.node()
    }

    fn push_wire(
        &self,
        this: &Arc<dyn AnyCell>,
        body: &[u8],
        sender: Option<ActorAddress>,
        reply: Option<Box<dyn ReplySink>>,
        trace: Option<crate::spans::TraceId>,
    ) -> Result<(), WireError> {
        let (msg, wire) = match <A::Message as Mail>::from_wire(body) {
            Ok(decoded) => decoded,
            Err(e) => {
                if let Some(reply) = reply {
                    reply.send(Err(AskError::Unreachable(e.clone())));
                }
                return Err(e);
            }
        };
        let reply = reply.map(|sink| crate::remote::proxy::RemoteSlot::reply_to(sink, wire));
        if let Err(env) = self
            .mailbox
            .push(Envelope::with_trace(msg, sender, reply, trace))
        {
            let target = ActorAddress::from_cell(this.clone());
            self.system.dead_letter_envelopes::<A>(&target, [env]);
        }
        Ok(())
    }

    fn dead_letter_wire(&self, sender: Option<ActorAddress>, body: &[u8]) {
        let Some(target) = &self.remote else { return };
        let address = crate::remote::proxy::untyped_address(&self.system, target, A::type_name());
        match <A::Message as Mail>::from_wire(body) {
            Ok((msg, _)) => self.system.dead_letter_mail(address, sender, msg),
            Err(_) => self
                .system
                .dead_letter(address, sender, Box::new(body.to_vec()), "bytes"),
        }
    }
}

/// Recovering the typed address: a local cell of `A`, or a proxy of an `A` on another node.
impl ActorAddress {
    /// The typed address, if the actor is an `A`.
    pub fn downcast<A: Actor>(&self) -> Option<Addr<A>> {
        match self.cell.clone().into_any().downcast::<ActorCell<A>>() {
            Ok(cell) => Some(Addr::from_cell(cell)),
            Err(any) => crate::remote::proxy::downcast_remote::<A>(any).map(Addr::from_cell),
        }
    }
}
