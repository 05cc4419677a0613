//! Sending: the one implementation of `tell`, `try_tell` and `ask` that every kind of address and
//! the [`Context`](crate::Context) share, and the handle that the `#[actor]`-generated methods use.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::actor::{Actor, Message};
use crate::address::{ActorAddress, Addr, Deliver, Recipient, Refused};
use crate::error::{AskError, SendError, TrySendError};
use crate::reply::{ReplyFuture, ReplySlot, ReplyTo};

#[inline]
pub(crate) async fn tell_via<M, D>(
    cell: &D,
    msg: M,
    sender: Option<ActorAddress>,
) -> Result<(), SendError<M>>
where
    M: Send + 'static,
    D: Deliver<M> + ?Sized,
{
    tell_or_refuse(cell, msg, sender)
        .await
        .map_err(|(msg, _, _)| SendError(msg))
}

#[inline]
async fn tell_or_refuse<M, D>(
    cell: &D,
    msg: M,
    sender: Option<ActorAddress>,
) -> Result<(), Refused<M>>
where
    M: Send + 'static,
    D: Deliver<M> + ?Sized,
{
    if let Some(bound) = cell.bound() {
        match bound.acquire().await {
            Ok(permit) => permit.forget(),
            Err(_) => return Err((msg, sender, None)),
        }
    }
    cell.push_msg(msg, sender, None)
}

/// Sends, turning a refused message into a dead letter (Thespian's `send`).
#[inline]
pub(crate) async fn tell_or_dead_letter<M, D>(cell: &Arc<D>, msg: M, sender: Option<ActorAddress>)
where
    M: Send + 'static,
    D: Deliver<M> + ?Sized,
{
    if let Err((msg, sender, _)) = tell_or_refuse(&**cell, msg, sender).await {
        dead_letter(cell, msg, sender);
    }
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
    if let Some(bound) = cell.bound() {
        match bound.try_acquire() {
            Ok(permit) => permit.forget(),
            Err(tokio::sync::TryAcquireError::NoPermits) => return Err(TrySendError::Full(msg)),
            Err(tokio::sync::TryAcquireError::Closed) => return Err(TrySendError::Closed(msg)),
        }
    }
    cell.push_msg(msg, sender, None)
        .map_err(|(msg, _, _)| TrySendError::Closed(msg))
}

/// Sends a request and awaits its correlated reply. A request refused because the actor has exited
/// becomes a dead letter, and the error comes at once.
pub(crate) async fn ask_via<M, D>(
    cell: &Arc<D>,
    msg: M,
    sender: Option<ActorAddress>,
    timeout: Duration,
) -> Result<M::Reply, AskError>
where
    M: Message,
    D: Deliver<M> + ?Sized,
{
    if let Some(bound) = cell.bound() {
        match tokio::time::timeout(timeout, bound.acquire()).await {
            Ok(Ok(permit)) => permit.forget(),
            Ok(Err(_)) => {
                dead_letter(cell, msg, sender);
                return Err(AskError::DeadActor);
            }
            Err(_) => return Err(AskError::Timeout(timeout)),
        }
    }
    let slot = ReplySlot::<M::Reply>::new();
    let reply = ReplyFuture::new(slot.clone());
    if let Err((msg, sender, to)) = cell.push_msg(msg, sender, Some(ReplyTo::new(slot))) {
        if let Some(to) = to {
            to.fail(AskError::DeadActor);
        }
        dead_letter(cell, msg, sender);
        return Err(AskError::DeadActor);
    }
    match tokio::time::timeout(timeout, reply).await {
        Ok(result) => result,
        Err(_) => Err(AskError::Timeout(timeout)),
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
/// an [`Addr`], or a [`TimedAddr`] that carries another ask timeout.
pub trait ActorRef<A: Actor> {
    /// The actor's address.
    fn addr(&self) -> &Addr<A>;

    /// The timeout of asks made through this reference.
    fn ask_timeout(&self) -> Duration {
        self.addr().default_timeout()
    }
}

impl<A: Actor> ActorRef<A> for Addr<A> {
    #[inline]
    fn addr(&self) -> &Addr<A> {
        self
    }
}

/// An [`Addr`] with its own ask timeout, made by [`Addr::timeout`]: `counter.total()` asks with the
/// system's default timeout, `counter.timeout(Duration::from_millis(50)).total()` with 50 ms.
#[derive(Debug)]
pub struct TimedAddr<'a, A: Actor> {
    addr: &'a Addr<A>,
    timeout: Duration,
}

impl<'a, A: Actor> TimedAddr<'a, A> {
    pub(crate) fn new(addr: &'a Addr<A>, timeout: Duration) -> Self {
        TimedAddr { addr, timeout }
    }
}

impl<A: Actor> ActorRef<A> for TimedAddr<'_, A> {
    #[inline]
    fn addr(&self) -> &Addr<A> {
        self.addr
    }

    fn ask_timeout(&self) -> Duration {
        self.timeout
    }
}

/// Where a message of type `M` can be sent: an [`Addr`] of an actor that accepts `M`, or a
/// [`Recipient<M>`]. Used by [`ActorSystem::tell`](crate::ActorSystem::tell),
/// [`Context::tell`](crate::Context::tell) and their `ask`s.
pub trait Destination<M: Send + 'static>: sealed::Sealed + Send + Sync {
    /// Sends `msg`; a refused message becomes a dead letter.
    #[doc(hidden)]
    fn deliver(&self, msg: M, sender: Option<ActorAddress>) -> impl Future<Output = ()> + Send;

    /// Sends a request and awaits its reply.
    #[doc(hidden)]
    fn request(
        &self,
        msg: M,
        sender: Option<ActorAddress>,
        timeout: Duration,
    ) -> impl Future<Output = Result<M::Reply, AskError>> + Send
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
    fn deliver(&self, msg: M, sender: Option<ActorAddress>) -> impl Future<Output = ()> + Send {
        tell_or_dead_letter(&self.cell, msg, sender)
    }

    #[inline]
    fn request(
        &self,
        msg: M,
        sender: Option<ActorAddress>,
        timeout: Duration,
    ) -> impl Future<Output = Result<M::Reply, AskError>> + Send
    where
        M: Message,
    {
        ask_via(&self.cell, msg, sender, timeout)
    }
}

impl<M: Send + 'static> Destination<M> for Recipient<M> {
    fn deliver(&self, msg: M, sender: Option<ActorAddress>) -> impl Future<Output = ()> + Send {
        tell_or_dead_letter(self.cell(), msg, sender)
    }

    fn request(
        &self,
        msg: M,
        sender: Option<ActorAddress>,
        timeout: Duration,
    ) -> impl Future<Output = Result<M::Reply, AskError>> + Send
    where
        M: Message,
    {
        ask_via(self.cell(), msg, sender, timeout)
    }
}
