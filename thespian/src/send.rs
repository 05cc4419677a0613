//! Sending: the one implementation of `tell`, `try_tell` and `ask` that every kind of address and
//! the [`Context`](crate::Context) share, and the handle that the `#[actor]`-generated methods use.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::acting::acting;
use crate::actor::{Actor, Message};
use crate::address::{ActorAddress, Addr, Recipient};
use crate::cell::{Deliver, Refused};
use crate::deadline::NEVER;
#[cfg(feature = "sequential")]
use crate::error::SendFailure;
use crate::error::{AskError, SendError, TrySendError};
use crate::reply::{ReplyFuture, ReplySlot, ReplyTo};
#[cfg(feature = "sequential")]
use crate::sequential::Sequential;
use crate::system::shared::SystemShared;
#[cfg(feature = "sequential")]
use crate::time::Clock;

/// What pushing a message at once gave: done (accepted or refused), or no room in a bounded mailbox.
enum Now<M> {
    Done(Result<(), Refused<M>>),
    Full(M, Option<ActorAddress>),
}

#[inline]
fn push_now<M, D>(cell: &D, msg: M, sender: Option<ActorAddress>) -> Now<M>
where
    M: Send + 'static,
    D: Deliver<M> + ?Sized,
{
    match try_permit(cell.bound()) {
        Permit::Taken => Now::Done(cell.push_msg(msg, sender, None)),
        Permit::Full => Now::Full(msg, sender),
        Permit::Closed => Now::Done(Err(Refused::exited(msg, sender, None))),
    }
}

/// Whether a message may enter a mailbox now.
enum Permit {
    /// Unbounded, or a permit of the bound was taken (and is kept by the message).
    Taken,
    Full,
    Closed,
}

#[inline]
fn try_permit(bound: Option<&tokio::sync::Semaphore>) -> Permit {
    match bound.map(|b| b.try_acquire()) {
        None => Permit::Taken,
        Some(Ok(permit)) => {
            permit.forget();
            Permit::Taken
        }
        Some(Err(tokio::sync::TryAcquireError::NoPermits)) => Permit::Full,
        Some(Err(tokio::sync::TryAcquireError::Closed)) => Permit::Closed,
    }
}

/// A message waiting for room in a bounded mailbox. Dropped before it was pushed (the send's
/// future dropped unawaited), it becomes a dead letter: nothing vanishes.
struct Held<M: Send + 'static, D: Deliver<M> + ?Sized + 'static> {
    cell: Arc<D>,
    msg: Option<(M, Option<ActorAddress>)>,
}

impl<M: Send + 'static, D: Deliver<M> + ?Sized + 'static> Drop for Held<M, D> {
    fn drop(&mut self) {
        if let Some((msg, sender)) = self.msg.take() {
            dead_letter(&self.cell, msg, sender);
        }
    }
}

impl<M: Send + 'static, D: Deliver<M> + ?Sized + 'static> Held<M, D> {
    fn new(cell: &Arc<D>, msg: M, sender: Option<ActorAddress>) -> Self {
        Held {
            cell: cell.clone(),
            msg: Some((msg, sender)),
        }
    }
}

/// What a send waiting for room in a bounded mailbox got.
enum Room {
    /// A permit taken (or no bound): the message may go in.
    Made,
    /// The mailbox closed (the actor exited, or its sequential system stopped).
    Closed,
    /// None can come while the sender waits (see `SendFailure::Full`).
    #[cfg(feature = "sequential")]
    Never,
}

impl Room {
    /// What waiting for a permit gave; a permit taken is kept by the message it lets in.
    fn of(acquired: Result<tokio::sync::SemaphorePermit<'_>, tokio::sync::AcquireError>) -> Self {
        match acquired {
            Ok(permit) => {
                permit.forget();
                Room::Made
            }
            Err(_) => Room::Closed,
        }
    }
}

/// Whether the caller is a handler of `system`, a sequential one, in its turn: what it waits for
/// from the system's actors cannot come before that turn ends.
#[cfg(feature = "sequential")]
fn holds_a_turn_in(system: &SystemShared) -> bool {
    system
        .sequential
        .as_ref()
        .is_some_and(|seq| seq.is_driven_here())
        && crate::acting::is_acting()
}

/// Waits for room in a bounded mailbox, then pushes. (The message is held from before the
/// future is first polled: a future dropped unpolled still leaves its dead letter.)
async fn push_when_room<M, D>(mut held: Held<M, D>) -> Result<(), Refused<M>>
where
    M: Send + 'static,
    D: Deliver<M> + ?Sized + 'static,
{
    let room = match held.cell.bound() {
        None => Room::Made,
        // From an actor of a sequential system, in its turn: the receiver cannot run before that
        // turn ends, so no room can come. Hand the message back, not wait forever. (The
        // system's own tasks, delayed messages and streams, hold no turn: they wait.)
        #[cfg(feature = "sequential")]
        Some(_) if holds_a_turn_in(held.cell.system()) => Room::Never,
        // A sequential system makes room only while it is driven: the wait drives it, as an
        // ask's does. One that stops first has no room to give.
        Some(bound) => held
            .cell
            .system()
            .drive(bound.acquire())
            .await
            .map_or(Room::Closed, Room::of),
    };
    let Some((msg, sender)) = held.msg.take() else {
        return Ok(());
    };
    match room {
        Room::Made => held.cell.push_msg(msg, sender, None),
        Room::Closed => Err(Refused::exited(msg, sender, None)),
        #[cfg(feature = "sequential")]
        Room::Never => Err(Refused {
            msg: Some(msg),
            sender,
            reply: None,
            reason: SendFailure::Full,
        }),
    }
}

/// The result of a `tell`: the message is already in the mailbox (or refused) when this is made,
/// unless a bounded mailbox is full, in which case awaiting it waits for room.
///
/// Awaiting a `Tell` of an unbounded mailbox returns at once, so `addr.tell(m).await` costs no
/// more than a function call. Dropping it unawaited still sends; dropped while it waits for room
/// in a full bounded mailbox, its message becomes a dead letter (never lost unseen).
#[must_use = "a tell says whether the message was accepted; await it"]
pub struct Tell<M> {
    state: TellState<M>,
}

type Waiting<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Small whatever the message: a send that went through, the common case, is a tag, so making,
/// returning and awaiting a `Tell` moves a few bytes, not the room of a refused message (a
/// refusal, rare, is boxed).
enum TellState<M> {
    Sent,
    Refused(Option<Box<SendError<M>>>),
    Waiting(Waiting<Result<(), SendError<M>>>),
}

// `Tell` never pins its message (it only moves it out of an `Option`), so it is `Unpin` whatever `M`.
impl<M> Unpin for Tell<M> {}

impl<M> Future for Tell<M> {
    type Output = Result<(), SendError<M>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            TellState::Sent => Poll::Ready(Ok(())),
            TellState::Refused(error) => match error.take() {
                Some(error) => Poll::Ready(Err(*error)),
                None => Poll::Ready(Ok(())),
            },
            TellState::Waiting(fut) => fut.as_mut().poll(cx),
        }
    }
}

impl<M> fmt::Debug for Tell<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            TellState::Sent | TellState::Refused(_) => "done",
            TellState::Waiting(_) => "waiting for room",
        };
        f.debug_struct("Tell").field("state", &state).finish()
    }
}

#[inline]
pub(crate) fn tell_via<M, D>(cell: &Arc<D>, msg: M, sender: Option<ActorAddress>) -> Tell<M>
where
    M: Send + 'static,
    D: Deliver<M> + ?Sized + 'static,
{
    let state = match push_now(&**cell, msg, sender) {
        Now::Done(Ok(())) => TellState::Sent,
        Now::Done(Err(refused)) => TellState::Refused(Some(Box::new(refused.into_send_error()))),
        Now::Full(msg, sender) => {
            let held = Held::new(cell, msg, sender);
            TellState::Waiting(Box::pin(async move {
                push_when_room(held).await.map_err(Refused::into_send_error)
            }))
        }
    };
    Tell { state }
}

/// The result of a Thespian-style send (`ActorSystem::tell`, `Context::tell`): a refused message
/// becomes a dead letter. Done when made, unless a bounded mailbox is full; dropped unawaited
/// while it waits for room, its message becomes a dead letter too.
#[must_use = "await it: with a bounded mailbox the message waits for room"]
pub struct Delivery {
    waiting: Option<Waiting<()>>,
}

impl Future for Delivery {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.waiting {
            None => Poll::Ready(()),
            Some(fut) => fut.as_mut().poll(cx),
        }
    }
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("waiting", &self.waiting.is_some())
            .finish()
    }
}

/// Sends, turning a refused message into a dead letter (Thespian's `send`).
#[inline]
pub(crate) fn tell_or_dead_letter<M, D>(
    cell: &Arc<D>,
    msg: M,
    sender: Option<ActorAddress>,
) -> Delivery
where
    M: Send + 'static,
    D: Deliver<M> + ?Sized + 'static,
{
    let waiting = match push_now(&**cell, msg, sender) {
        Now::Done(Ok(())) => None,
        Now::Done(Err(Refused { msg, sender, .. })) => {
            // (`None`: a dead letter already.)
            if let Some(msg) = msg {
                dead_letter(cell, msg, sender);
            }
            None
        }
        Now::Full(msg, sender) => {
            let held = Held::new(cell, msg, sender);
            let cell = cell.clone();
            Some(Box::pin(async move {
                if let Err(Refused {
                    msg: Some(msg),
                    sender,
                    ..
                }) = push_when_room(held).await
                {
                    dead_letter(&cell, msg, sender);
                }
            }) as Waiting<()>)
        }
    };
    Delivery { waiting }
}

#[inline]
pub(crate) fn try_tell_via<M, D>(
    cell: &D,
    msg: M,
    sender: Option<ActorAddress>,
) -> Result<(), TrySendError<M>>
where
    M: Send + 'static,
    D: Deliver<M> + ?Sized,
{
    match try_permit(cell.bound()) {
        Permit::Taken => cell
            .push_msg(msg, sender, None)
            .map_err(|refused| refused.into_send_error().into()),
        Permit::Full => Err(TrySendError::Full(msg)),
        Permit::Closed => Err(TrySendError::Closed(msg)),
    }
}

/// A request on its way: it was sent when the `Ask` was made; awaiting it waits for the reply
/// to *that* request, at most the timeout.
///
/// Because the request leaves at once, several asks can be in flight together
/// (`let (a, b) = (x.total(), y.total()); a.await; b.await;`), in the order they were made.
/// Dropping an `Ask` gives up on the reply (a reply that comes later is a dead letter).
///
/// # Cancel safety
///
/// Dropping it never takes the request back: the actor still handles it, and its reply becomes
/// a dead letter.
#[must_use = "the request is sent already; drop the `Ask` only to let its reply become a dead letter"]
pub struct Ask<R: Send + 'static> {
    state: AskState<R>,
}

enum AskState<R: Send + 'static> {
    Done(Option<AskError>),
    /// Sent, and its deadline is watched by the system's reaper.
    Waiting(ReplyFuture<R>),
    /// Sequential systems and full bounded mailboxes: the slow paths.
    Driven(Waiting<Result<R, AskError>>),
}

impl<R: Send + 'static> fmt::Debug for Ask<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            AskState::Done(_) => "done",
            AskState::Waiting(_) => "waiting for the reply",
            AskState::Driven(_) => "driven",
        };
        f.debug_struct("Ask").field("state", &state).finish()
    }
}

impl<R: Send + 'static> Future for Ask<R> {
    type Output = Result<R, AskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            AskState::Done(error) => Poll::Ready(Err(error.take().unwrap_or(AskError::NoReply))),
            AskState::Driven(fut) => fut.as_mut().poll(cx),
            AskState::Waiting(reply) => Pin::new(reply).poll(cx),
        }
    }
}

/// Sends a request now and returns the [`Ask`] that waits for its correlated reply. A request
/// refused because the actor has exited becomes a dead letter, and the ask fails at once.
pub(crate) fn ask_via<M, D>(
    cell: &Arc<D>,
    msg: M,
    sender: Option<ActorAddress>,
    timeout: Duration,
) -> Ask<M::Reply>
where
    M: Message,
    D: Deliver<M> + ?Sized + 'static,
{
    #[cfg(feature = "sequential")]
    if let Some(seq) = cell.system().sequential.clone() {
        return Ask {
            state: ask_sequential(seq, cell, msg, sender, timeout),
        };
    }
    let state = match push_now_for_ask(cell, msg, sender) {
        Sent::Waiting(reply) => watched(cell.system(), reply, timeout),
        Sent::Failed(error) => AskState::Done(Some(error)),
        Sent::Full(msg, sender) => {
            let cell = cell.clone();
            AskState::Driven(Box::pin(async move {
                ask_slowly(&cell, msg, sender, timeout).await
            }))
        }
    };
    Ask { state }
}

/// An ask in a sequential system: sent at once, like any ask, but its reply comes only while the
/// system is driven, so the wait drives it, and its timeout is on the system's virtual clock.
#[cfg(feature = "sequential")]
fn ask_sequential<M, D>(
    seq: Arc<Sequential>,
    cell: &Arc<D>,
    msg: M,
    sender: Option<ActorAddress>,
    timeout: Duration,
) -> AskState<M::Reply>
where
    M: Message,
    D: Deliver<M> + ?Sized + 'static,
{
    match push_now_for_ask(cell, msg, sender) {
        Sent::Waiting(reply) => AskState::Driven(Box::pin(async move {
            let wait = async {
                match Clock::Virtual(seq.clock()).timeout(timeout, reply).await {
                    Ok(result) => result,
                    Err(_) => Err(AskError::Timeout(timeout)),
                }
            };
            seq.drive(wait).await.unwrap_or(Err(AskError::DeadActor))
        })),
        Sent::Failed(error) => AskState::Done(Some(error)),
        Sent::Full(msg, sender) => {
            let cell = cell.clone();
            AskState::Driven(Box::pin(async move {
                seq.drive(async move { ask_slowly(&cell, msg, sender, timeout).await })
                    .await
                    .unwrap_or(Err(AskError::DeadActor))
            }))
        }
    }
}

/// Hands a sent request's deadline to the system's reaper. (Registering when the request leaves,
/// rather than at the first poll that finds no reply, keeps the `Ask` free of a reference to the
/// system: a reply is practically never there at the first poll.)
fn watched<R: Send + 'static>(
    system: &SystemShared,
    reply: ReplyFuture<R>,
    timeout: Duration,
) -> AskState<R> {
    if timeout >= NEVER {
        // Waits as long as it takes: no deadline to keep (nor a timer armed for it). The ask
        // still ends if the actor does, its reply route failing the slot as it is dropped.
        return AskState::Waiting(reply);
    }
    let runtime = system.handle.as_ref();
    if system.deadlines.register(runtime, timeout, reply.slot()) {
        AskState::Waiting(reply)
    } else {
        // Nothing could time this ask, and an ask must not wait forever.
        AskState::Done(Some(AskError::NoRuntime))
    }
}

enum Sent<M, R: Send + 'static> {
    Waiting(ReplyFuture<R>),
    Failed(AskError),
    Full(M, Option<ActorAddress>),
}

/// Pushes a request if there is room; never waits.
fn push_now_for_ask<M, D>(cell: &Arc<D>, msg: M, sender: Option<ActorAddress>) -> Sent<M, M::Reply>
where
    M: Message,
    D: Deliver<M> + ?Sized,
{
    match try_permit(cell.bound()) {
        Permit::Taken => push_permitted_ask(cell, msg, sender),
        Permit::Full => Sent::Full(msg, sender),
        Permit::Closed => {
            dead_letter(cell, msg, sender);
            Sent::Failed(AskError::DeadActor)
        }
    }
}

/// Pushes a request whose mailbox permit (if bounded) is already taken.
fn push_permitted_ask<M, D>(
    cell: &Arc<D>,
    msg: M,
    sender: Option<ActorAddress>,
) -> Sent<M, M::Reply>
where
    M: Message,
    D: Deliver<M> + ?Sized,
{
    let slot = Arc::new(ReplySlot::<M::Reply>::new());
    let reply = ReplyFuture::new(slot.clone());
    match cell.push_msg(msg, sender, Some(ReplyTo::new(slot))) {
        Ok(()) => Sent::Waiting(reply),
        Err(Refused {
            msg,
            sender,
            reply: to,
            ..
        }) => {
            if let Some(to) = to {
                to.fail(AskError::DeadActor);
            }
            if let Some(msg) = msg {
                dead_letter(cell, msg, sender);
            }
            // A proxy that could not send has already failed the ask with the reason.
            Sent::Failed(reply.ready_error().unwrap_or(AskError::DeadActor))
        }
    }
}

/// The whole ask as one future: waits for room in a bounded mailbox, then for the reply.
async fn ask_slowly<M, D>(
    cell: &Arc<D>,
    msg: M,
    sender: Option<ActorAddress>,
    timeout: Duration,
) -> Result<M::Reply, AskError>
where
    M: Message,
    D: Deliver<M> + ?Sized,
{
    let clock = cell.system().clock();
    let deadline = clock.deadline_after(timeout);
    if let Some(bound) = cell.bound() {
        match clock.timeout_at(deadline, bound.acquire()).await {
            Ok(Ok(permit)) => permit.forget(),
            Ok(Err(_)) => {
                dead_letter(cell, msg, sender);
                return Err(AskError::DeadActor);
            }
            Err(_) => return Err(AskError::Timeout(timeout)),
        }
    }
    match push_permitted_ask(cell, msg, sender) {
        Sent::Waiting(reply) => match clock.timeout_at(deadline, reply).await {
            Ok(result) => result,
            Err(_) => Err(AskError::Timeout(timeout)),
        },
        Sent::Failed(error) => Err(error),
        Sent::Full(..) => Err(AskError::Timeout(timeout)),
    }
}

fn dead_letter<M, D>(cell: &Arc<D>, msg: M, sender: Option<ActorAddress>)
where
    M: Send + 'static,
    D: Deliver<M> + ?Sized,
{
    let system = cell.system().clone();
    system.dead_letter(
        cell.clone().to_address(),
        sender,
        Box::new(msg),
        std::any::type_name::<M>(),
    );
}

/// Something that designates one actor of type `A` for the methods that `#[actor]` generates:
/// an [`Addr`] or a [`Troupe`](crate::Troupe). Named like `AsRef`: the address itself (what
/// other Rust actor crates call an `ActorRef`) is [`Addr`].
pub trait AsAddr<A: Actor> {
    /// The actor's address.
    fn addr(&self) -> &Addr<A>;
}

impl<A: Actor> AsAddr<A> for Addr<A> {
    #[inline]
    fn addr(&self) -> &Addr<A> {
        self
    }
}

/// Where a message of type `M` can be sent: an [`Addr`] of an actor that accepts `M`, or a
/// [`Recipient<M>`]. Used by [`ActorSystem::tell`](crate::ActorSystem::tell),
/// [`Context::tell`](crate::Context::tell) and their `ask`s.
pub trait Destination<M: Send + 'static>: sealed::Sealed + Send + Sync {
    /// Sends `msg`; a refused message becomes a dead letter.
    #[doc(hidden)]
    fn deliver(&self, msg: M, sender: Option<ActorAddress>) -> Delivery;

    /// Sends a request and awaits its reply.
    #[doc(hidden)]
    fn request(&self, msg: M, sender: Option<ActorAddress>, timeout: Duration) -> Ask<M::Reply>
    where
        M: Message;
}

mod sealed {
    pub trait Sealed {}
    impl<A: crate::Actor> Sealed for crate::Addr<A> {}
    impl<M: Send + 'static> Sealed for crate::Recipient<M> {}
}

impl<A: Actor, M: Send + 'static> Destination<M> for Addr<A>
where
    A::Message: From<M>,
{
    #[inline]
    fn deliver(&self, msg: M, sender: Option<ActorAddress>) -> Delivery {
        tell_or_dead_letter(&self.cell, msg, sender)
    }

    #[inline]
    fn request(&self, msg: M, sender: Option<ActorAddress>, timeout: Duration) -> Ask<M::Reply>
    where
        M: Message,
    {
        ask_via(&self.cell, msg, sender, timeout)
    }
}

impl<M: Send + 'static> Destination<M> for Recipient<M> {
    fn deliver(&self, msg: M, sender: Option<ActorAddress>) -> Delivery {
        tell_or_dead_letter(self.cell(), msg, sender)
    }

    fn request(&self, msg: M, sender: Option<ActorAddress>, timeout: Duration) -> Ask<M::Reply>
    where
        M: Message,
    {
        ask_via(self.cell(), msg, sender, timeout)
    }
}

/// Sending through a typed address: checked at compile time, the sender being the actor whose
/// handler makes the call (or the outside of the system).
impl<A: Actor> Addr<A> {
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
    /// actor had exited, (for an actor on another node) it could not be sent, or (from a handler
    /// of a sequential system, to a full mailbox of that system) no room could come; the error
    /// says why and hands the message back ([`SendError::into_inner`](crate::SendError::into_inner)).
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
    /// assert_eq!(refused.into_inner().map(|m| m.n), Some(4));
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
        try_tell_via(&*self.cell, msg, acting())
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
}

/// Sending through the address of some actor that accepts `M`.
impl<M: Send + 'static> Recipient<M> {
    /// Sends a message; waits only for room in a bounded mailbox. Its sender is the actor whose
    /// handler or hook makes the call, or the outside of the system (see [`Addr::tell`]).
    pub fn tell(&self, msg: M) -> Tell<M> {
        tell_via(&self.cell, msg, acting())
    }

    /// Sends a message if there is room right now.
    pub fn try_tell(&self, msg: M) -> Result<(), TrySendError<M>> {
        try_tell_via(&*self.cell, msg, acting())
    }

    /// Sends a request and waits for its reply, at most `timeout` (its sender chosen as for
    /// [`tell`](Self::tell)).
    pub fn ask(&self, msg: M, timeout: Duration) -> Ask<M::Reply>
    where
        M: Message,
    {
        ask_via(&self.cell, msg, acting(), timeout)
    }
}

/// Sending through an untyped address: checked at run time.
impl ActorAddress {
    /// Sends a message checked at run time. Never waits (untyped sends ignore a mailbox bound).
    /// Hands the message back if the actor has exited, does not accept this type, or is on
    /// another node that the message could not be sent to (a message whose actor type's
    /// [`Mail::into_any`](crate::Mail::into_any) boxes another type then becomes a dead letter).
    /// Its sender is the actor whose handler or hook makes the call, or the outside of the
    /// system.
    pub fn tell_any<M: Any + Send>(&self, msg: M) -> Result<(), Box<dyn Any + Send>> {
        self.cell.clone().push_any(Box::new(msg), acting(), None)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::deadline::{table_len, NEVER};
    use crate::{Actor, ActorSystem, AskError, Context, Message};

    struct Ping;

    impl Message for Ping {
        type Reply = u8;
    }
    impl crate::Mail for Ping {}

    /// Answers a ping when told to; otherwise holds on to its reply handle and exits.
    struct Echo {
        answer: bool,
        held: Option<crate::ReplyHandle<u8>>,
    }

    impl Actor for Echo {
        type Message = Ping;
        async fn handle(&mut self, _ping: Ping, ctx: &mut Context<Self>) {
            if self.answer {
                ctx.reply(7u8);
            } else {
                self.held = Some(ctx.reply_handle::<u8>());
                ctx.stop();
            }
        }
    }

    async fn spawn_echo(system: &ActorSystem, answer: bool) -> crate::Addr<Echo> {
        let echo = Echo { answer, held: None };
        system.create_actor(echo).await.unwrap()
    }

    /// An ask that may wait forever registers no deadline, gets its answer, and still ends when
    /// the actor does.
    #[tokio::test]
    async fn an_ask_without_a_timeout_keeps_no_deadline() {
        let system = ActorSystem::new();
        let echo = spawn_echo(&system, true).await;
        // Looked at as each request leaves (a current-thread runtime: the reaper, which drops
        // answered deadlines, cannot run in between).
        for timeout in [Duration::MAX, NEVER] {
            let untimed = echo.ask(Ping, timeout);
            assert_eq!(table_len(&system.shared.deadlines), 0);
            assert_eq!(untimed.await, Ok(7));
        }
        let timed = echo.ask(Ping, Duration::from_secs(5));
        assert_eq!(
            table_len(&system.shared.deadlines),
            1,
            "a timed ask keeps one"
        );
        assert_eq!(timed.await, Ok(7));

        let mute = spawn_echo(&system, false).await;
        let asked = tokio::time::timeout(Duration::from_secs(5), mute.ask(Ping, Duration::MAX));
        assert!(matches!(
            asked.await,
            Ok(Err(AskError::NoReply | AskError::DeadActor))
        ));
        system.shutdown().await;
    }

    /// A sent tell is a tag: the room of a refused message is boxed, not carried by every
    /// `Tell` (carried, it cost about 35 instructions per tell in moves, callgrind).
    #[test]
    fn a_tell_is_small_whatever_its_message() {
        assert!(std::mem::size_of::<super::Tell<[u8; 256]>>() <= 24);
    }
}
