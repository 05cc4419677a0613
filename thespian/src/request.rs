//! A message made by a method that `#[actor]` generates, not sent yet: the call site says how it
//! goes, `.tell()` or `.ask()`.
//!
//! Whether a send waits for an answer is the caller's choice, written where the call is, not
//! something a handler's return type decides behind the caller's back: changing a handler from
//! `()` to `Result<(), E>` changes no call site from a tell into an ask.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::actor::{Actor, Message};
use crate::address::Addr;
use crate::error::{AskError, TrySendError};
use crate::send::{Ask, Tell};

/// The kind of a [`Request`] whose handler returns a value that is not a `Result` (or nothing):
/// its [`ask`](Request::ask) gives `Result<T, AskError>`.
#[derive(Debug)]
pub enum Plain {}

/// The kind of a [`Request`] whose handler returns `Result<T, E>`: its
/// [`ask`](Request::ask) gives `Result<T, AskError<E>>`, the handler's error flattened into
/// [`AskError::Handler`].
#[derive(Debug)]
pub enum Fallible {}

/// A message for one actor, made by a method that `#[actor]` generates
/// (`counter.add(5)`), and sent by what the caller chooses:
///
/// | call | sends | awaiting it gives |
/// |---|---|---|
/// | [`.tell()`](Self::tell) | now | `Result<(), SendError<M>>`, once the mailbox took it |
/// | [`.try_tell()`](Self::try_tell) | now, if there is room | (not a future) `Result<(), TrySendError<M>>` |
/// | [`.ask()`](Self::ask) | now | the handler's answer, or an [`AskError`] |
///
/// A request that is neither told nor asked is never sent. Asking a handler that returns nothing
/// waits until it has handled the message (`Result<(), AskError>`); telling a handler that
/// answers drops its answer. A handler returning `Result<T, E>` makes a [`Fallible`] request,
/// whose ask gives `Result<T, AskError<E>>`; told, its error is reported through `tracing` (see
/// [the semantics](crate::semantics), *Ask*).
///
/// ```
/// use thespian::prelude::*;
///
/// #[derive(Default)]
/// struct Counter { total: u64 }
///
/// #[actor]
/// impl Counter {
///     async fn add(&mut self, n: u64) { self.total += n; }
///     async fn total(&self) -> u64 { self.total }
///     async fn take(&mut self, n: u64) -> Result<u64, String> {
///         self.total = self.total.checked_sub(n).ok_or(format!("only {} left", self.total))?;
///         Ok(self.total)
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let counter = system.create_actor(Counter::default()).await?;
/// counter.add(5).tell().await?;                     // a tell: does not wait for the handler
/// counter.add(1).ask().await?;                      // an ask: returns once it was handled
/// assert_eq!(counter.total().ask().await?, 6);
/// assert_eq!(counter.take(4).ask().await?, 2);
/// let refused = counter.take(9).ask().await;
/// assert_eq!(refused, Err(AskError::Handler("only 2 left".to_owned())));
/// system.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[must_use = "a request is sent only by `.tell()`, `.try_tell()` or `.ask()`"]
pub struct Request<'a, A: Actor, M, K = Plain> {
    addr: &'a Addr<A>,
    message: M,
    timeout: Duration,
    kind: PhantomData<fn() -> K>,
}

impl<'a, A: Actor, M, K> Request<'a, A, M, K> {
    /// A request of `message` to `addr`, asked (if it is) with the address's default timeout.
    /// Made by the methods that `#[actor]` generates.
    #[doc(hidden)]
    #[inline]
    pub fn new(addr: &'a Addr<A>, message: M) -> Self {
        Request {
            addr,
            message,
            timeout: addr.default_timeout(),
            kind: PhantomData,
        }
    }

    /// Sends the message without waiting for it to be handled: [`Addr::tell`].
    ///
    /// # Errors
    ///
    /// Awaited, [`SendError`](crate::SendError) with the message handed back: the actor has
    /// exited, or the message could not be sent to the actor's node.
    ///
    /// # Cancel safety
    ///
    /// The message is sent when this returns. Dropping the `Tell` while it waits for room in a
    /// full bounded mailbox makes the message a dead letter.
    #[inline]
    pub fn tell(self) -> Tell<M>
    where
        M: Send + 'static,
        A::Message: From<M>,
    {
        self.addr.tell(self.message)
    }

    /// Sends the message if there is room now, without waiting: [`Addr::try_tell`].
    ///
    /// # Errors
    ///
    /// [`TrySendError`] with the message handed back: the mailbox is full, the actor has exited,
    /// or the message could not be sent to the actor's node.
    #[inline]
    pub fn try_tell(self) -> Result<(), TrySendError<M>>
    where
        M: Send + 'static,
        A::Message: From<M>,
    {
        self.addr.try_tell(self.message)
    }

    /// This request, asked with another timeout than its address's
    /// ([`Duration::MAX`]: no timeout).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # #[derive(Default)] struct Counter { total: u64 }
    /// # #[actor] impl Counter { async fn total(&self) -> u64 { self.total } }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let system = ActorSystem::new();
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// let total = counter.total().timeout(Duration::from_millis(50)).ask().await?;
    /// assert_eq!(total, 0);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    #[inline]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The message, unsent.
    #[inline]
    pub fn into_message(self) -> M {
        self.message
    }
}

impl<A: Actor, M: Message> Request<'_, A, M, Plain>
where
    A::Message: From<M>,
{
    /// Sends the message as a request and returns the [`Ask`] that waits for its answer:
    /// [`Addr::ask`] with the address's timeout (or the one given to
    /// [`timeout`](Self::timeout)). For a handler that returns nothing, the answer is `()` once
    /// it has handled the message.
    ///
    /// # Errors
    ///
    /// Awaited, [`AskError`]: no answer within the timeout, the actor exited (or had), the handler
    /// panicked (`Poisoned`), or the actor's node could not be reached.
    ///
    /// # Cancel safety
    ///
    /// The request is sent when this returns; dropping the `Ask` does not take it back, and its
    /// answer becomes a dead letter.
    #[inline]
    pub fn ask(self) -> Ask<M::Reply> {
        self.addr.ask(self.message, self.timeout)
    }
}

impl<A: Actor, M, T, E> Request<'_, A, M, Fallible>
where
    M: Message<Reply = Result<T, E>>,
    A::Message: From<M>,
    T: Send + 'static,
    E: Send + 'static,
{
    /// Sends the message as a request and returns the [`FallibleAsk`] that waits for its answer:
    /// the handler's `Ok` value, or its error as [`AskError::Handler`].
    ///
    /// # Errors
    ///
    /// Awaited, [`AskError<E>`]: the handler's error, or why there is no answer (as for a plain
    /// [`ask`](Request::ask)).
    ///
    /// # Cancel safety
    ///
    /// As for a plain ask: the request is sent when this returns; dropping the future does not
    /// take it back.
    #[inline]
    pub fn ask(self) -> FallibleAsk<T, E> {
        FallibleAsk {
            ask: self.addr.ask(self.message, self.timeout),
        }
    }
}

impl<A: Actor, M: fmt::Debug, K> fmt::Debug for Request<'_, A, M, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("to", self.addr)
            .field("message", &self.message)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The ask of a handler that returns `Result<T, E>`: its answer with the handler's error
/// flattened into [`AskError<E>`]. Made by [`Request::ask`]; sent already, like any [`Ask`].
#[must_use = "the request is sent already; drop it only to let its answer become a dead letter"]
#[derive(Debug)]
pub struct FallibleAsk<T: Send + 'static, E: Send + 'static> {
    ask: Ask<Result<T, E>>,
}

impl<T: Send + 'static, E: Send + 'static> Future for FallibleAsk<T, E> {
    type Output = Result<T, AskError<E>>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.ask).poll(cx).map(|answer| match answer {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(AskError::Handler(error)),
            Err(failure) => Err(failure.with_handler_error()),
        })
    }
}
