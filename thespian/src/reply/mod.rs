//! Replies: the one-shot slot an `ask` waits on, and the handle that answers it.
//!
//! Every `ask` allocates one slot (an `Arc`, the only allocation of a request; lock-free, see
//! [`slot`]) that travels inside the envelope type-erased, so the actor's message enum stays free
//! of reply channels. The handler's return value is put in the slot after a checked downcast; a
//! handler can instead keep the slot as a typed [`ReplyHandle`] and answer later, from anywhere,
//! even from another actor.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crate::address::ActorAddress;
use crate::error::{AskError, Poison};
use crate::sync::Unpoisoned;

pub(crate) mod slot;

pub(crate) use slot::{ErasedSlot, ReplySlot};

/// Waits for the slot; gives the slot up when dropped early (timeout), so late answers are refused.
pub(crate) struct ReplyFuture<T: Send + 'static> {
    slot: Arc<ReplySlot<T>>,
    done: bool,
}

impl<T: Send + 'static> ReplyFuture<T> {
    pub(crate) fn new(slot: Arc<ReplySlot<T>>) -> Self {
        ReplyFuture { slot, done: false }
    }

    /// The error the slot was already failed with, if any.
    pub(crate) fn ready_error(&self) -> Option<AskError> {
        self.slot.ready_error()
    }

    /// The slot, for the deadline table.
    pub(crate) fn slot(&self) -> Arc<dyn ErasedSlot> {
        self.slot.clone()
    }
}

impl<T: Send + 'static> Future for ReplyFuture<T> {
    type Output = Result<T, AskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let out = self.slot.poll_result(cx);
        if out.is_ready() {
            self.done = true;
        }
        out
    }
}

impl<T: Send + 'static> Drop for ReplyFuture<T> {
    fn drop(&mut self) {
        if !self.done {
            self.slot.abandon();
        }
    }
}

impl<T: Send + 'static> ErasedSlot for ReplySlot<T> {
    fn fail(&self, error: AskError) {
        let _ = self.complete(Err(error));
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn is_closed(&self) -> bool {
        ReplySlot::is_closed(self)
    }

    fn complete_boxed(&self, value: Box<dyn Any + Send>) {
        let result = match value.downcast::<T>() {
            Ok(v) => Ok(*v),
            Err(_) => Err(AskError::WrongReplyType {
                found: "a decoded reply of another type",
            }),
        };
        let _ = self.complete(result);
    }
}

/// The untyped reply route of one request, carried by its envelope. Dropping it unanswered tells the
/// asker [`AskError::NoReply`]; the runtime fails it with a more precise error where it knows one.
///
/// The slot is never absent (an `Option<ReplyTo>` is then as small as the pointer, which keeps
/// every envelope and every actor's context 8 bytes smaller): the consuming methods take it out
/// with [`ReplyTo::into_slot`], which keeps the route's `Drop` from running.
pub(crate) struct ReplyTo {
    slot: ManuallyDrop<Arc<dyn ErasedSlot>>,
}

impl ReplyTo {
    pub(crate) fn new<T: Send + 'static>(slot: Arc<ReplySlot<T>>) -> Self {
        Self::from_slot(slot)
    }

    pub(crate) fn from_slot(slot: Arc<dyn ErasedSlot>) -> Self {
        ReplyTo {
            slot: ManuallyDrop::new(slot),
        }
    }

    /// The slot, without answering it: the route's `Drop` will not run.
    fn into_slot(self) -> Arc<dyn ErasedSlot> {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped and its slot is not touched again after this take, so
        // the slot is taken exactly once and never dropped twice.
        unsafe { ManuallyDrop::take(&mut this.slot) }
    }

    /// Answers with a value whose type is checked by the slot.
    pub(crate) fn send_any(self, value: Box<dyn Any + Send>) {
        self.into_slot().complete_boxed(value);
    }

    /// Answers with `value`; hands it back if the asker is gone or expects another type.
    pub(crate) fn send<T: Send + 'static>(self, value: T) -> Result<(), SendReplyError<T>> {
        let slot = self.into_slot();
        match slot.as_any().downcast_ref::<ReplySlot<T>>() {
            Some(typed) => typed.complete(Ok(value)).map_err(|r| match r {
                Ok(v) => SendReplyError::AskerGone(v),
                Err(_) => unreachable!("complete hands back the value it was given"),
            }),
            None if slot.complete_dyn(&value) => Ok(()),
            None => {
                slot.fail(AskError::WrongReplyType {
                    found: std::any::type_name::<T>(),
                });
                Err(SendReplyError::WrongType(value))
            }
        }
    }

    /// The slot, to recognize its kind.
    pub(crate) fn slot_any(&self) -> &dyn Any {
        self.slot.as_any()
    }

    /// Lets go of the route without answering (its answer will come by another way).
    pub(crate) fn forget(self) {
        drop(self.into_slot());
    }

    /// Whether nobody waits for this answer any more.
    pub(crate) fn is_closed(&self) -> bool {
        self.slot.is_closed()
    }

    pub(crate) fn fail(self, error: AskError) {
        self.into_slot().fail(error);
    }
}

impl Drop for ReplyTo {
    fn drop(&mut self) {
        // Dropped as a panic unwinds: the handler (or whoever held the request) failed, which the
        // asker must hear as such, not as a handler that chose not to answer.
        let error = match std::thread::panicking() {
            true => AskError::Poisoned(Poison::HolderPanicked),
            false => AskError::NoReply,
        };
        self.slot.fail(error);
        // SAFETY: this is the route's one drop (`into_slot` forgets the route it empties), and
        // the slot is not used after it.
        unsafe { ManuallyDrop::drop(&mut self.slot) };
    }
}

pub(crate) enum SendReplyError<T> {
    AskerGone(T),
    WrongType(T),
}

/// The right to answer one message, kept to answer later or elsewhere.
///
/// For an `ask` it completes that very ask; for a message that was only told, the answer goes to the
/// message's sender as an ordinary message (as Thespian's `send(sender, ...)` would). Take it in a
/// handler with [`Context::reply_handle`](crate::Context::reply_handle) (or declare a `ReplyHandle<T>`
/// argument in an `#[actor]` handler). It is `Send`, so it can travel inside a message to another
/// actor, which answers with [`ReplyHandle::send`]. Dropping it unanswered makes an ask fail with
/// [`AskError::NoReply`] at once, rather than at its timeout.
///
/// ```
/// use std::time::Duration;
/// use thespian::prelude::*;
///
/// struct Deferred(Option<ReplyHandle<u32>>);
/// enum Msg { Question, Answer(u32) }
/// impl Message for Msg { type Reply = u32; }
/// impl Mail for Msg {}
///
/// impl Actor for Deferred {
///     type Message = Msg;
///     async fn handle(&mut self, msg: Msg, ctx: &mut Context<Self>) {
///         match msg {
///             Msg::Question => self.0 = Some(ctx.reply_handle::<u32>()),
///             Msg::Answer(n) => {
///                 if let Some(reply) = self.0.take() {
///                     let _ = reply.send(n);
///                 }
///             }
///         }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let system = ActorSystem::new();
/// let actor = system.create_actor(Deferred(None)).await.unwrap();
/// let question = actor.ask(Msg::Question, Duration::from_secs(1));
/// let answer = async {
///     tokio::task::yield_now().await;
///     actor.tell(Msg::Answer(42)).await.unwrap();
/// };
/// let (reply, ()) = tokio::join!(question, answer);
/// assert_eq!(reply, Ok(42));
/// # system.shutdown().await;
/// # }
/// ```
pub struct ReplyHandle<T> {
    /// Behind a lock only so that serializing the handle (which takes `&self`) can move the
    /// route out: a handle that travels to another node answers from there, not from here.
    route: Mutex<Route>,
    _reply: PhantomData<fn(T)>,
}

pub(crate) enum Route {
    /// Completes an ask.
    Ask(ReplyTo),
    /// Sends to the message's sender, from the actor that handled it.
    Sender {
        to: ActorAddress,
        from: ActorAddress,
    },
    /// The handle was sent to another node, which answers now.
    Travelled,
}

impl<T: Send + 'static> ReplyHandle<T> {
    pub(crate) fn ask(to: ReplyTo) -> Self {
        Self::with_route(Route::Ask(to))
    }

    pub(crate) fn sender(to: ActorAddress, from: ActorAddress) -> Self {
        Self::with_route(Route::Sender { to, from })
    }

    /// Whether this handle answers an `ask` (rather than sending to a sender that only told).
    pub fn is_ask(&self) -> bool {
        matches!(*self.route.lock_unpoisoned(), Route::Ask(_))
    }

    /// Answers. Hands the value back if the asker has given up (timed out), was expecting another
    /// type of reply, or (for a told message) the sender has exited or does not accept a `T`, or
    /// if the handle was already sent to another node (which answers in its place).
    pub fn send(self, value: T) -> Result<(), T> {
        match self.into_route() {
            Route::Ask(to) => to.send(value).map_err(|e| match e {
                SendReplyError::AskerGone(v) | SendReplyError::WrongType(v) => v,
            }),
            Route::Sender { to, from } => to
                .cell
                .push_any(Box::new(value), Some(from), None)
                // `push_any` hands back the very box it was given.
                .map_err(|v| *v.downcast::<T>().expect("the refused value is a T")),
            Route::Travelled => Err(value),
        }
    }

    /// Answers with an error: an asker sees [`AskError::Poisoned`] with
    /// [`Poison::Failed`] and these details; a sender that only told gets nothing.
    pub fn fail(self, details: impl Into<String>) {
        if let Route::Ask(to) = self.into_route() {
            to.fail(AskError::Poisoned(Poison::Failed(details.into())));
        }
    }

    fn into_route(self) -> Route {
        self.route.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T> ReplyHandle<T> {
    fn with_route(route: Route) -> Self {
        ReplyHandle {
            route: Mutex::new(route),
            _reply: PhantomData,
        }
    }

    /// Moves the route out, leaving the handle spent (it has travelled).
    pub(crate) fn take_route(&self) -> Route {
        std::mem::replace(&mut *self.route.lock_unpoisoned(), Route::Travelled)
    }

    /// Puts back a route that could not travel after all.
    pub(crate) fn restore_route(&self, route: Route) {
        *self.route.lock_unpoisoned() = route;
    }
}

impl<T> fmt::Debug for ReplyHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ReplyHandle");
        d.field("reply", &std::any::type_name::<T>());
        if let Route::Sender { to, .. } = &*self.route.lock_unpoisoned() {
            d.field("to", to);
        }
        d.finish()
    }
}

/// `ReplyTo` takes its slot out of a `ManuallyDrop`: every way of letting go of a route releases
/// the slot exactly once (miri runs these, see `.ci/run`: a double drop or a leak fails them).
#[cfg(test)]
mod tests {
    use super::*;

    /// A slot, and a route to it.
    fn route() -> (Arc<ReplySlot<u32>>, ReplyTo) {
        let slot = Arc::new(ReplySlot::<u32>::new());
        let to = ReplyTo::new(slot.clone());
        (slot, to)
    }

    #[test]
    fn every_way_out_of_a_route_releases_its_slot_once() {
        let (slot, to) = route();
        assert!(to.send(7_u32).is_ok());
        assert_eq!(Arc::strong_count(&slot), 1);
        assert!(slot.is_closed());

        let (slot, to) = route();
        to.send_any(Box::new(8_u32));
        assert_eq!(Arc::strong_count(&slot), 1);
        assert!(slot.is_closed());

        let (slot, to) = route();
        to.fail(AskError::DeadActor);
        assert_eq!(slot.ready_error(), Some(AskError::DeadActor));
        assert_eq!(Arc::strong_count(&slot), 1);

        let (slot, to) = route();
        to.forget();
        assert_eq!(Arc::strong_count(&slot), 1);
        assert!(!slot.is_closed(), "a forgotten route answers nothing");

        let (slot, to) = route();
        drop(to);
        assert_eq!(slot.ready_error(), Some(AskError::NoReply));
        assert_eq!(Arc::strong_count(&slot), 1);
    }

    #[test]
    fn a_reply_of_another_type_is_handed_back_and_fails_the_ask() {
        let (slot, to) = route();
        assert!(matches!(
            to.send("text"),
            Err(SendReplyError::WrongType("text"))
        ));
        assert!(matches!(
            slot.ready_error(),
            Some(AskError::WrongReplyType { .. })
        ));
        assert_eq!(Arc::strong_count(&slot), 1);
        // An `Option<ReplyTo>` is one pointer pair: no tag beside it.
        assert_eq!(
            std::mem::size_of::<Option<ReplyTo>>(),
            std::mem::size_of::<Arc<dyn ErasedSlot>>()
        );
    }
}
