//! Proxies: local stand-ins for actors of other nodes, and the decoding context that makes them.
//!
//! A typed proxy is an [`ActorCell<A>`] whose `remote` target is set: its sends are encoded in the
//! sender's task and handed to the link, its mailbox stays empty. An untyped proxy
//! ([`RemoteCell`]) stands for an [`ActorAddress`] of unknown type: it can be compared, printed,
//! asked to exit and downcast to a typed proxy. One system keeps one local id per remote actor, so
//! every proxy of that actor compares equal.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};

use super::transport::{Link, Notice, Outgoing, ReplyRoute, ReplySink};
use crate::actor::Actor;
use crate::address::ActorAddress;
use crate::cell::{ActorCell, AnyCell, Refused};
use crate::codec::{NodeId, ReplyWire, Unreachable, WireError};
use crate::envelope::SystemMessage;
use crate::error::{AskError, SendFailure};
use crate::id::ActorId;
use crate::mail::Mail;
use crate::mailbox::Mailbox;
use crate::reply::{ErasedSlot, ReplyTo};
use crate::sync::{Compaction, Unpoisoned, UnpoisonedRw};
use crate::system::shared::SystemShared;

/// Where a proxy's messages go.
pub(crate) struct RemoteTarget {
    pub(crate) node: NodeId,
    /// The actor's id on its node.
    pub(crate) to: u64,
    pub(crate) link: Arc<dyn Link>,
}

/// Sends through a typed proxy: encodes now, in the sender's task. Out of line and cold: a
/// proxy's mailbox is closed, so this is the path of a refused push, which a local send never
/// takes.
#[cold]
#[inline(never)]
pub(crate) fn push<A: Actor, M: Send + 'static>(
    cell: &ActorCell<A>,
    target: &RemoteTarget,
    msg: M,
    sender: Option<ActorAddress>,
    reply: Option<ReplyTo>,
) -> Result<(), Refused<M>>
where
    A::Message: From<M>,
{
    let message = A::Message::from(msg);
    let home = cell.system.node().map(|node| (node, cell.system.id));
    // A sender that cannot be reached from another node (an actor of a system without a
    // transport) travels as no sender at all, like the outside.
    let reachable = sender.as_ref().filter(|s| wire_node(&*s.cell).is_some());
    let sent = target.link.send(Outgoing {
        to: target.to,
        sender: reachable,
        reply: reply.map(ReplyRoute),
        trace: crate::spans::current(),
        body: &mut |out| with_encoding(home, || <A::Message as Mail>::to_wire(&message, out)),
    });
    let Err((error, route)) = sent else {
        return Ok(());
    };
    tracing::warn!(target: "thespian::remote", node = %target.node, actor = target.to,
        message_type = <A::Message as Mail>::name(&message), %error, "message not sent");
    if let Some(route) = route {
        route.fail(AskError::Unreachable(error.clone()));
    }
    // Hand the message back as it was given when its type allows (`#[actor]` messages do, and
    // a message of the actor's own type); else it is a dead letter, and the send still fails.
    let msg = match crate::mail::boxed_as(message, std::any::TypeId::of::<M>()).downcast::<M>() {
        Ok(msg) => Some(*msg),
        Err(any) => {
            let name = std::any::type_name::<M>();
            let target = untyped_address(&cell.system, target, A::type_name());
            cell.system.dead_letter(target, sender.clone(), any, name);
            None
        }
    };
    Err(Refused {
        msg,
        sender,
        reply: None,
        reason: SendFailure::NotSent(error),
    })
}

/// An untyped proxy: the address of an actor of another node whose type this side only knows by
/// name.
pub(crate) struct RemoteCell {
    id: ActorId,
    system: Arc<SystemShared>,
    type_name: &'static str,
    pub(crate) target: RemoteTarget,
}

impl AnyCell for RemoteCell {
    fn id(&self) -> ActorId {
        self.id
    }

    fn type_name(&self) -> &'static str {
        self.type_name
    }

    fn system_id(&self) -> u64 {
        self.system.id
    }

    #[cfg(feature = "sequential")]
    fn trace_name(&self) -> String {
        format!("{}@{}", self.type_name, self.target.node)
    }

    fn push_system(&self, msg: SystemMessage) -> Result<(), SystemMessage> {
        push_system_remote(&self.target, msg)
    }

    fn push_any(
        self: Arc<Self>,
        msg: Box<dyn Any + Send>,
        sender: Option<ActorAddress>,
        reply: Option<ReplyTo>,
    ) -> Result<(), Box<dyn Any + Send>> {
        // The encoder comes with the actor's type: known when the type is registered here.
        match registered_proxy(
            &self.system,
            self.type_name,
            self.target.node,
            self.target.to,
        ) {
            Some(typed) => typed.push_any(msg, sender, reply),
            None => {
                tracing::warn!(target: "thespian::remote", node = %self.target.node,
                    actor = self.target.to, actor_type = self.type_name,
                    "untyped send to a remote actor of an unregistered type refused");
                Err(msg)
            }
        }
    }

    fn is_alive(&self) -> bool {
        self.target.link.is_up()
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }

    fn remote_target(&self) -> Option<&RemoteTarget> {
        Some(&self.target)
    }
}

/// What a proxy does with a system message: exit requests, and the notices that keep a remote
/// parent or watcher informed, travel; the rest stays on this node.
pub(crate) fn push_system_remote(
    target: &RemoteTarget,
    msg: SystemMessage,
) -> Result<(), SystemMessage> {
    let sent = match &msg {
        // The other node's actor exits as asked; the cause (a shutdown here) does not travel.
        SystemMessage::Exit(_) => target.link.request_exit(target.to),
        SystemMessage::ChildExited(notice) => target.link.notify(
            target.to,
            Notice::ChildExited {
                child: &notice.child,
                reason: notice.reason.clone(),
            },
        ),
        SystemMessage::Watched(notice) => target.link.notify(
            target.to,
            Notice::WatchedExited {
                actor: wire_origin(&notice.actor.cell).2,
                reason: notice.reason.clone(),
            },
        ),
        _ => false,
    };
    if sent {
        Ok(())
    } else {
        Err(msg)
    }
}

/// The proxy of actor `to` of `node` that this system already has, if any is in use: the
/// address its actors hold (as a child, or a watched actor).
pub(crate) fn existing(system: &SystemShared, node: NodeId, to: u64) -> Option<ActorAddress> {
    let proxies = system.proxies.lock_unpoisoned();
    let entry = proxies.entries.get(&(node, to))?;
    if let Some(typed) = entry.typed.as_ref().and_then(Weak::upgrade) {
        return Some(ActorAddress::from_cell(typed));
    }
    entry
        .untyped
        .upgrade()
        .map(|cell| ActorAddress::from_cell(cell as Arc<dyn AnyCell>))
}

/// The proxies of one system, by remote actor.
#[derive(Default)]
pub(crate) struct Proxies {
    entries: HashMap<(NodeId, u64), Entry>,
    compaction: Compaction,
}

struct Entry {
    id: ActorId,
    typed: Option<Weak<dyn AnyCell>>,
    untyped: Weak<RemoteCell>,
}

impl Entry {
    fn in_use(&self) -> bool {
        self.untyped.strong_count() > 0 || self.typed.as_ref().is_some_and(|t| t.strong_count() > 0)
    }
}

impl Proxies {
    fn entry(&mut self, node: NodeId, to: u64) -> &mut Entry {
        if self.compaction.due(self.entries.len(), 256) {
            self.entries.retain(|_, e| e.in_use());
            self.compaction.done(self.entries.len());
        }
        self.entries.entry((node, to)).or_insert_with(|| Entry {
            id: ActorId::next(),
            typed: None,
            untyped: Weak::new(),
        })
    }
}

pub(crate) fn link(system: &SystemShared, node: NodeId) -> Result<Arc<dyn Link>, WireError> {
    match system.remote.get() {
        Some(transport) => Ok(transport.link(node)),
        None => Err(WireError::Unreachable(Unreachable::NoTransport { node })),
    }
}

/// Makes the typed proxy of an actor of one registered type.
type ProxyMaker = fn(&Arc<SystemShared>, NodeId, u64) -> Result<Arc<dyn AnyCell>, WireError>;

/// Actor types whose messages this process can encode when all it has is an untyped address of
/// another node, by the type's name.
fn registry() -> &'static RwLock<HashMap<&'static str, ProxyMaker>> {
    static TYPES: OnceLock<RwLock<HashMap<&'static str, ProxyMaker>>> = OnceLock::new();
    TYPES.get_or_init(Default::default)
}

/// Registers actor type `A` (see [`super::register`]).
pub(crate) fn register<A: Actor>() {
    if registry().read_unpoisoned().contains_key(A::type_name()) {
        return;
    }
    fn make<A: Actor>(
        system: &Arc<SystemShared>,
        node: NodeId,
        to: u64,
    ) -> Result<Arc<dyn AnyCell>, WireError> {
        Ok(typed_proxy::<A>(system, node, to)?)
    }
    registry()
        .write_unpoisoned()
        .insert(A::type_name(), make::<A>);
}

/// The typed proxy for an untyped one whose type is registered.
fn registered_proxy(
    system: &Arc<SystemShared>,
    type_name: &str,
    node: NodeId,
    to: u64,
) -> Option<Arc<dyn AnyCell>> {
    let make = *registry().read_unpoisoned().get(type_name)?;
    make(system, node, to).ok()
}

/// The typed proxy of actor `to` of `node`, made once per system and shared while in use.
pub(crate) fn typed_proxy<A: Actor>(
    system: &Arc<SystemShared>,
    node: NodeId,
    to: u64,
) -> Result<Arc<ActorCell<A>>, WireError> {
    let mut proxies = system.proxies.lock_unpoisoned();
    let entry = proxies.entry(node, to);
    if let Some(cell) = entry
        .typed
        .as_ref()
        .and_then(Weak::upgrade)
        .and_then(|cell| cell.into_any().downcast::<ActorCell<A>>().ok())
    {
        return Ok(cell);
    }
    let cell = Arc::new(ActorCell::<A> {
        id: entry.id,
        exiting: Default::default(),
        ordinal: 0,
        system: system.clone(),
        mailbox: Mailbox::closed(),
        lineage: Default::default(),
        remote: Some(Box::new(RemoteTarget {
            node,
            to,
            link: link(system, node)?,
        })),
    });
    let any: Arc<dyn AnyCell> = cell.clone();
    entry.typed = Some(Arc::downgrade(&any));
    Ok(cell)
}

/// The untyped proxy of actor `to` of `node`.
fn untyped_proxy(
    system: &Arc<SystemShared>,
    node: NodeId,
    to: u64,
    type_name: &str,
) -> Result<Arc<RemoteCell>, WireError> {
    let mut proxies = system.proxies.lock_unpoisoned();
    let entry = proxies.entry(node, to);
    if let Some(cell) = entry.untyped.upgrade() {
        return Ok(cell);
    }
    let cell = Arc::new(RemoteCell {
        id: entry.id,
        system: system.clone(),
        type_name: intern(type_name),
        target: RemoteTarget {
            node,
            to,
            link: link(system, node)?,
        },
    });
    entry.untyped = Arc::downgrade(&cell);
    Ok(cell)
}

/// The untyped address of a proxy's actor (for dead letters).
pub(crate) fn untyped_address(
    system: &Arc<SystemShared>,
    target: &RemoteTarget,
    type_name: &str,
) -> ActorAddress {
    untyped_proxy(system, target.node, target.to, type_name)
        .map(|cell| ActorAddress::from_cell(cell))
        .unwrap_or_else(|_| system.outside_address())
}

/// The typed proxy behind an untyped one, if the remote actor is an `A`.
pub(crate) fn downcast_remote<A: Actor>(
    cell: Arc<dyn Any + Send + Sync>,
) -> Option<Arc<ActorCell<A>>> {
    let cell = cell.downcast::<RemoteCell>().ok()?;
    if cell.type_name != A::type_name() {
        return None;
    }
    typed_proxy::<A>(&cell.system, cell.target.node, cell.target.to).ok()
}

/// Type names of remote actors, interned so that untyped proxies can give a `&'static str`.
/// Bounded: names past the limit (only a hostile peer would send that many) print as `remote`.
fn intern(name: &str) -> &'static str {
    const LIMIT: usize = 4096;
    static NAMES: OnceLock<Mutex<std::collections::HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock_unpoisoned();
    if let Some(known) = names.get(name) {
        return known;
    }
    if names.len() >= LIMIT || name.len() > 256 {
        return "remote";
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// Where an address points, for its wire form: the node (if networked), the system, and the
/// actor's wire id there. A local actor is exported by this (see `crate::wire`).
pub(crate) fn wire_origin(cell: &Arc<dyn AnyCell>) -> (Option<NodeId>, u64, u64) {
    match cell.remote_target() {
        Some(target) => (Some(target.node), 0, target.to),
        None => (cell.node(), cell.system_id(), cell.export(cell)),
    }
}

/// The node an address points to (without exporting anything).
pub(crate) fn wire_node(cell: &dyn AnyCell) -> Option<NodeId> {
    match cell.remote_target() {
        Some(target) => Some(target.node),
        None => cell.node(),
    }
}

thread_local! {
    static DECODING: RefCell<Option<Arc<SystemShared>>> = const { RefCell::new(None) };
    /// The node and system whose message is being encoded for another node: all a reply
    /// handle that travels needs to know (`Copy` values, so a remote send costs no reference
    /// count).
    static ENCODING: Cell<Option<(NodeId, u64)>> = const { Cell::new(None) };
}

/// Runs `f` with `home` (a node and its system's id) as the one whose message is being encoded
/// for another node.
fn with_encoding<R>(home: Option<(NodeId, u64)>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<(NodeId, u64)>);
    impl Drop for Restore {
        fn drop(&mut self) {
            ENCODING.with(|e| e.set(self.0));
        }
    }
    let _restore = Restore(ENCODING.with(|e| e.replace(home)));
    f()
}

/// The node, and the id of its system, encoding a message for another node, if any.
pub(crate) fn encoding() -> Option<(NodeId, u64)> {
    ENCODING.with(Cell::get)
}

/// Runs `f` with `system` as the decoding system (restored afterwards, even on panic).
pub(crate) fn with_decoding<R>(system: &Arc<SystemShared>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Arc<SystemShared>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            DECODING.with(|d| *d.borrow_mut() = previous);
        }
    }
    let _restore = Restore(DECODING.with(|d| d.borrow_mut().replace(system.clone())));
    f()
}

/// What a remote wire address resolves to on the decoding system.
pub(crate) enum Resolved {
    /// It names an actor of this system of this process: look it up there.
    Local(Arc<SystemShared>),
    /// A proxy is needed, made by this system.
    Remote(Arc<SystemShared>),
}

/// Whether addresses are being decoded for a networked system (from another node): then an
/// address without a node cannot be meant for this process.
pub(crate) fn decoding_from_network() -> bool {
    DECODING.with(|d| {
        d.borrow()
            .as_ref()
            .is_some_and(|s| s.remote.get().is_some())
    })
}

/// Decides how an address of `node` is resolved here.
pub(crate) fn decode_remote(node: NodeId) -> Result<Resolved, WireError> {
    let decoding = DECODING.with(|d| d.borrow().clone());
    if let Some(system) = decoding {
        if system.node() == Some(node) {
            return Ok(Resolved::Local(system));
        }
        return Ok(Resolved::Remote(system));
    }
    // Outside `thespian::remote::decoding` there is no transport to reach the node with.
    crate::system::directory::find_node(node)
        .map(Resolved::Local)
        .ok_or(WireError::Unreachable(Unreachable::NoTransport { node }))
}

/// The untyped address for a remote wire address.
pub(crate) fn untyped(
    system: &Arc<SystemShared>,
    node: NodeId,
    to: u64,
    type_name: &str,
) -> Result<Arc<dyn AnyCell>, WireError> {
    Ok(untyped_proxy(system, node, to, type_name)?)
}

/// A message that never left for `to` of `node`: a dead letter of `system`.
pub(crate) fn undelivered(
    system: &Arc<SystemShared>,
    node: NodeId,
    to: u64,
    sender: Option<ActorAddress>,
    body: &[u8],
) {
    let typed = {
        let proxies = system.proxies.lock_unpoisoned();
        proxies
            .entries
            .get(&(node, to))
            .and_then(|e| e.typed.as_ref().and_then(Weak::upgrade))
    };
    match typed {
        // The typed proxy knows how to decode its messages.
        Some(cell) => with_decoding(system, || cell.dead_letter_wire(sender, body)),
        None => {
            let target = untyped_proxy(system, node, to, "remote")
                .map(|cell| ActorAddress::from_cell(cell))
                .unwrap_or_else(|_| system.outside_address());
            system.dead_letter(target, sender, Box::new(body.to_vec()), "bytes");
        }
    }
}

/// The serving side of a request from another node: the slot its answer is written to.
pub(crate) struct RemoteSlot {
    sink: Mutex<Option<Box<dyn ReplySink>>>,
    wire: ReplyWire,
}

impl RemoteSlot {
    pub(crate) fn reply_to(sink: Box<dyn ReplySink>, wire: ReplyWire) -> ReplyTo {
        ReplyTo::from_slot(Arc::new(RemoteSlot {
            sink: Mutex::new(Some(sink)),
            wire,
        }))
    }

    fn take(&self) -> Option<Box<dyn ReplySink>> {
        self.sink.lock_unpoisoned().take()
    }
}

impl ErasedSlot for RemoteSlot {
    fn fail(&self, error: AskError) {
        if let Some(sink) = self.take() {
            sink.send(Err(error));
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn complete_dyn(&self, value: &dyn Any) -> bool {
        let Some(sink) = self.take() else {
            return false;
        };
        let mut out = Vec::new();
        match self.wire.encode(value, &mut out) {
            Ok(()) => sink.send(Ok(out)),
            Err(e) => {
                tracing::warn!(target: "thespian::remote", error = %e, "reply not sent");
                sink.send(Err(AskError::Unreachable(e)))
            }
        }
        true
    }
}
