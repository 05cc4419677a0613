//! Replies: the one-shot slot an `ask` waits on, and the handle that answers it.
//!
//! Every `ask` allocates one slot (an `Arc`, the only allocation of a request) that travels inside
//! the envelope type-erased, so the actor's message enum stays free of reply channels. The handler's
//! return value is put in the slot after a checked downcast; a handler can instead keep the slot as a
//! typed [`ReplyHandle`] and answer later, from anywhere, even from another actor.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::error::AskError;

enum State<T> {
    Waiting(Option<Waker>),
    Ready(Result<T, AskError>),
    /// The asker took the result, or gave up (timed out): later answers are refused.
    Closed,
}

/// The slot an ask waits on.
pub(crate) struct ReplySlot<T> {
    state: Mutex<State<T>>,
}

impl<T: Send + 'static> ReplySlot<T> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(ReplySlot {
            state: Mutex::new(State::Waiting(None)),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Completes the slot; hands the value back if the asker is gone or was already answered.
    pub(crate) fn complete(&self, result: Result<T, AskError>) -> Result<(), Result<T, AskError>> {
        let mut state = self.lock();
        match &mut *state {
            State::Waiting(waker) => {
                let waker = waker.take();
                *state = State::Ready(result);
                drop(state);
                if let Some(w) = waker {
                    w.wake();
                }
                Ok(())
            }
            _ => Err(result),
        }
    }

    /// Marks the asker as gone: a later answer is refused (and becomes a dead letter).
    pub(crate) fn abandon(&self) {
        *self.lock() = State::Closed;
    }

    pub(crate) fn poll_result(&self, cx: &mut Context<'_>) -> Poll<Result<T, AskError>> {
        let mut state = self.lock();
        match std::mem::replace(&mut *state, State::Closed) {
            State::Ready(result) => Poll::Ready(result),
            State::Waiting(waker) => {
                let waker = match waker {
                    Some(w) if w.will_wake(cx.waker()) => w,
                    _ => cx.waker().clone(),
                };
                *state = State::Waiting(Some(waker));
                Poll::Pending
            }
            State::Closed => Poll::Ready(Err(AskError::NoReply)),
        }
    }
}

/// Waits for the slot; gives the slot up when dropped early (timeout), so late answers are refused.
pub(crate) struct ReplyFuture<T: Send + 'static> {
    slot: Arc<ReplySlot<T>>,
    done: bool,
}

impl<T: Send + 'static> ReplyFuture<T> {
    pub(crate) fn new(slot: Arc<ReplySlot<T>>) -> Self {
        ReplyFuture { slot, done: false }
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

/// The type-erased view of a slot that travels in an envelope.
pub(crate) trait ErasedSlot: Send + Sync {
    fn fail(&self, error: AskError);
    fn as_any(&self) -> &dyn Any;
}

impl<T: Send + 'static> ErasedSlot for ReplySlot<T> {
    fn fail(&self, error: AskError) {
        let _ = self.complete(Err(error));
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The untyped reply route of one request, carried by its envelope. Dropping it unanswered tells the
/// asker [`AskError::NoReply`]; the runtime fails it with a more precise error where it knows one.
pub(crate) struct ReplyTo {
    slot: Option<Arc<dyn ErasedSlot>>,
}

impl ReplyTo {
    pub(crate) fn new<T: Send + 'static>(slot: Arc<ReplySlot<T>>) -> Self {
        ReplyTo { slot: Some(slot) }
    }

    /// Answers with `value`; hands it back if the asker is gone or expects another type.
    pub(crate) fn send<T: Send + 'static>(mut self, value: T) -> Result<(), SendReplyError<T>> {
        let Some(slot) = self.slot.take() else {
            return Err(SendReplyError::AskerGone(value));
        };
        match slot.as_any().downcast_ref::<ReplySlot<T>>() {
            Some(typed) => typed.complete(Ok(value)).map_err(|r| match r {
                Ok(v) => SendReplyError::AskerGone(v),
                Err(_) => unreachable!("complete hands back the value it was given"),
            }),
            None => {
                slot.fail(AskError::WrongReplyType {
                    found: std::any::type_name::<T>(),
                });
                Err(SendReplyError::WrongType(value))
            }
        }
    }

    pub(crate) fn fail(mut self, error: AskError) {
        if let Some(slot) = self.slot.take() {
            slot.fail(error);
        }
    }
}

impl Drop for ReplyTo {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            slot.fail(AskError::NoReply);
        }
    }
}

pub(crate) enum SendReplyError<T> {
    AskerGone(T),
    WrongType(T),
}

/// The right to answer one `ask`, kept to answer later or elsewhere.
///
/// Take it in a handler with [`Context::take_reply`](crate::Context::take_reply); it is `Send`, so it
/// can travel inside a message to another actor, which answers with [`ReplyHandle::send`]. Dropping
/// it unanswered makes the ask fail with [`AskError::NoReply`] at once, rather than at its timeout.
///
/// ```
/// use std::time::Duration;
/// use thespian::prelude::*;
///
/// struct Deferred(Option<ReplyHandle<u32>>);
/// enum Msg { Question, Answer(u32) }
/// impl Message for Msg { type Reply = u32; }
///
/// impl Actor for Deferred {
///     type Message = Msg;
///     async fn handle(&mut self, msg: Msg, ctx: &mut Context<Self>) {
///         match msg {
///             Msg::Question => self.0 = ctx.take_reply::<u32>(),
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
    to: ReplyTo,
    _reply: PhantomData<fn(T)>,
}

impl<T: Send + 'static> ReplyHandle<T> {
    pub(crate) fn new(to: ReplyTo) -> Self {
        ReplyHandle {
            to,
            _reply: PhantomData,
        }
    }

    /// Answers the ask. Hands the value back if the asker has given up (timed out) or was expecting
    /// another type of reply.
    pub fn send(self, value: T) -> Result<(), T> {
        self.to.send(value).map_err(|e| match e {
            SendReplyError::AskerGone(v) | SendReplyError::WrongType(v) => v,
        })
    }

    /// Answers the ask with an error: the asker sees [`AskError::Poisoned`] with these details.
    pub fn fail(self, details: impl Into<String>) {
        self.to.fail(AskError::Poisoned(details.into()));
    }
}

impl<T> fmt::Debug for ReplyHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyHandle")
            .field("reply", &std::any::type_name::<T>())
            .finish()
    }
}
