//! Errors of the public API.
//!
//! Errors that can hand a message back do so ([`SendError`], [`TrySendError`]): a message that was
//! not accepted comes back to the caller. The one exception is a message converted (`From`) into
//! the message type of an actor on another node that could not be sent there, when that type
//! cannot give back what it was converted from: the send still fails, and the message becomes a
//! dead letter (an untyped `tell_any` then reports nothing: it has no reason to give, and
//! nothing of the type it was given to hand back). Once a message has been accepted by a mailbox, it is either handled or becomes a
//! dead letter (see [`DeadEnvelope`](crate::DeadEnvelope)).

use std::fmt;
use std::time::Duration;

/// A message that was not accepted, handed back with the reason ([`SendFailure`]).
#[derive(PartialEq, Eq, Clone)]
pub struct SendError<M> {
    message: Option<M>,
    reason: SendFailure,
}

impl<M> SendError<M> {
    pub(crate) fn new(message: Option<M>, reason: SendFailure) -> Self {
        SendError { message, reason }
    }

    /// Returns the message that could not be sent. `None` only when it went to an actor on
    /// another node as another type (`From`) that cannot give it back
    /// ([`Mail::into_any`](crate::Mail::into_any) boxes something else): it is then a dead
    /// letter. `#[actor]` messages, and a message of the actor's own type, always come back.
    pub fn into_inner(self) -> Option<M> {
        self.message
    }

    /// The message that could not be sent (`None` as for [`into_inner`](Self::into_inner)).
    pub fn message(&self) -> Option<&M> {
        self.message.as_ref()
    }

    /// Why it was not accepted.
    pub fn reason(&self) -> &SendFailure {
        &self.reason
    }
}

impl<M> fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError")
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

impl<M> fmt::Display for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.reason, f)
    }
}

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendFailure {
    /// The actor has exited (or its system has shut down): its mailbox is closed.
    #[error("actor has exited")]
    Exited,
    /// The actor is on another node and the message could not be sent there: it could not be
    /// encoded, the link's backlog is full, or the node cannot be reached (see the
    /// [`WireError`](crate::codec::WireError)).
    #[error("not sent to the actor's node: {0}")]
    NotSent(crate::codec::WireError),
    /// The actor's bounded mailbox is full and no room can come while the sender waits: the send
    /// was made by a handler of a sequential system, whose other actors run only once that
    /// handler has finished.
    #[error("the mailbox is full, and its actor cannot run before the sending handler ends")]
    Full,
}

impl<M> std::error::Error for SendError<M> {}

/// Why [`try_tell`](crate::Addr::try_tell) could not enqueue a message; the message is handed back.
#[derive(PartialEq, Eq, Clone)]
#[non_exhaustive]
pub enum TrySendError<M> {
    /// The actor's bounded mailbox is full right now.
    Full(M),
    /// The actor has exited.
    Closed(M),
    /// The actor is on another node and the message could not be sent there (as
    /// [`SendFailure::NotSent`]).
    NotSent(M, crate::codec::WireError),
    /// Not sent, and the message cannot be handed back in the type it was sent as (see
    /// [`SendError::into_inner`]): it is a dead letter. With the reason.
    Lost(SendFailure),
}

impl<M> TrySendError<M> {
    /// Returns the message that could not be sent (`None` for [`Lost`](TrySendError::Lost)).
    pub fn into_inner(self) -> Option<M> {
        match self {
            TrySendError::Full(m) | TrySendError::Closed(m) | TrySendError::NotSent(m, _) => {
                Some(m)
            }
            TrySendError::Lost(_) => None,
        }
    }
}

impl<M> From<SendError<M>> for TrySendError<M> {
    fn from(e: SendError<M>) -> Self {
        let Some(m) = e.message else {
            return TrySendError::Lost(e.reason);
        };
        match e.reason {
            SendFailure::Exited => TrySendError::Closed(m),
            SendFailure::NotSent(why) => TrySendError::NotSent(m, why),
            SendFailure::Full => TrySendError::Full(m),
        }
    }
}

impl<M> fmt::Debug for TrySendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
            TrySendError::NotSent(_, why) => write!(f, "NotSent(.., {why:?})"),
            TrySendError::Lost(why) => write!(f, "Lost({why:?})"),
        }
    }
}

impl<M> fmt::Display for TrySendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("mailbox is full"),
            TrySendError::Closed(_) => f.write_str("actor has exited"),
            TrySendError::NotSent(_, why) => write!(f, "not sent to the actor's node: {why}"),
            TrySendError::Lost(why) => write!(f, "{why} (the message is a dead letter)"),
        }
    }
}

impl<M> std::error::Error for TrySendError<M> {}

/// Why an `ask` got no reply, or (for a handler that returns a `Result`) why it failed.
///
/// `E` is the handler's own error type: an ask made with
/// [`Request::ask`](crate::Request::ask) on a handler returning `Result<T, E>` gives
/// `Result<T, AskError<E>>`, one error for both the sending and the handling, with the handler's
/// error in [`AskError::Handler`]. Every other ask has `E` =
/// [`Infallible`](std::convert::Infallible), the default, so `AskError` alone names it.
///
/// The message itself is never lost: when the target had already exited it became a dead letter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AskError<E = std::convert::Infallible> {
    /// No reply arrived within the timeout. A reply that comes later is a dead letter; it never
    /// answers another ask.
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    /// The target actor had exited, or exited before handling the request.
    #[error("actor has exited")]
    DeadActor,
    /// Handling the request failed: the handler panicked on every attempt, the actor holding the
    /// request panicked, or it answered with [`ReplyHandle::fail`](crate::ReplyHandle::fail); the
    /// [`Poison`] says which.
    #[error("message poisoned the actor: {0}")]
    Poisoned(Poison),
    /// The request was handled, but the handler neither replied nor kept the reply handle, or a
    /// kept [`ReplyHandle`](crate::ReplyHandle) was dropped without an answer.
    #[error("the actor did not reply")]
    NoReply,
    /// The actor replied with a value of another type than the request's reply type (only possible
    /// with hand-written `Actor` implementations).
    #[error("the actor replied with a {found}, not the expected reply type")]
    WrongReplyType {
        /// The type name of the value that was sent.
        found: &'static str,
    },
    /// The request, or its answer, could not travel between the actor's node and this one:
    /// the node cannot be reached ([`WireError::Unreachable`](crate::codec::WireError), with
    /// its [`Unreachable`](crate::codec::Unreachable) kind), or a message could not be encoded
    /// or decoded.
    #[error("actor is unreachable: {0}")]
    Unreachable(crate::codec::WireError),
    /// A timed ask was made where no tokio runtime can time it.
    #[error("no tokio runtime to time the ask")]
    NoRuntime,
    /// The handler ran and returned this error.
    #[error("the handler returned an error: {0}")]
    Handler(E),
}

impl AskError {
    /// The same failure as an [`AskError<E>`] of a handler with an error type (never
    /// [`Handler`](AskError::Handler): an `AskError` of `Infallible` cannot hold one).
    pub fn with_handler_error<E>(self) -> AskError<E> {
        match self {
            AskError::Timeout(d) => AskError::Timeout(d),
            AskError::DeadActor => AskError::DeadActor,
            AskError::Poisoned(poison) => AskError::Poisoned(poison),
            AskError::NoReply => AskError::NoReply,
            AskError::WrongReplyType { found } => AskError::WrongReplyType { found },
            AskError::Unreachable(why) => AskError::Unreachable(why),
            AskError::NoRuntime => AskError::NoRuntime,
            AskError::Handler(never) => match never {},
        }
    }
}

/// Why handling a request failed, in [`AskError::Poisoned`].
///
/// ```
/// use thespian::{AskError, Poison};
///
/// let failed: AskError = AskError::Poisoned(Poison::Panicked("the cache is corrupt".into()));
/// assert_eq!(failed.to_string(), "message poisoned the actor: the cache is corrupt");
/// if let AskError::Poisoned(poison) = &failed {
///     assert_eq!(poison.details(), "the cache is corrupt");
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Poison {
    /// The handler panicked on every attempt (see
    /// [`Mail::retried`](crate::Mail::retried)); this is the last panic's
    /// message (its payload when that is text).
    #[error("{0}")]
    Panicked(String),
    /// The handler kept the request's [`ReplyHandle`](crate::ReplyHandle) (or handed it on), and
    /// the actor holding it panicked before answering.
    #[error("the actor holding the request panicked")]
    HolderPanicked,
    /// The actor answered with [`ReplyHandle::fail`](crate::ReplyHandle::fail) and these details.
    #[error("{0}")]
    Failed(String),
}

impl Poison {
    /// The text that says why: the panic's message, or the details given to
    /// [`ReplyHandle::fail`](crate::ReplyHandle::fail).
    pub fn details(&self) -> &str {
        match self {
            Poison::Panicked(details) | Poison::Failed(details) => details,
            Poison::HolderPanicked => "the actor holding the request panicked",
        }
    }
}

/// Why an actor could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CreateError {
    /// The actor system is shutting down or has shut down.
    #[error("the actor system is shut down")]
    SystemShutDown,
    /// The creating actor is exiting: it may not take on new children.
    #[error("the parent actor is exiting")]
    ParentExiting,
    /// There is no tokio runtime to run the actor on.
    #[error("no tokio runtime: create the actor from inside a tokio runtime")]
    NoRuntime,
    /// The global name is held by an actor of another type.
    #[error("the name {name:?} belongs to an actor of type {actor}")]
    NameTaken {
        /// The name.
        name: String,
        /// The type of the actor holding it.
        actor: &'static str,
    },
    /// No actor system accepts this actor type with the given requirements.
    #[error("no compatible actor system for {actor}")]
    NoCompatibleSystem {
        /// The actor type's name.
        actor: &'static str,
    },
    /// The actor was to run in a process of its own
    /// ([`ActorOptions::in_own_process`](crate::ActorOptions::in_own_process)), but the system
    /// has no process base (see `thespian_net::Processes`), or its initial value could not be
    /// encoded.
    #[error("{actor} cannot run in a process of its own: {why}")]
    NoProcess {
        /// The actor type's name.
        actor: &'static str,
        /// Why.
        why: String,
    },
    /// The node chosen to create the actor (in a convention) did not answer within the create
    /// timeout. It may still create it, so no other node was tried: trying one could make two.
    #[error(
        "{node} did not answer the placement of {actor} within {after:?} (it may still create it)"
    )]
    PlacementTimedOut {
        /// The actor type's name.
        actor: &'static str,
        /// The node that was asked.
        node: String,
        /// The create timeout.
        after: Duration,
    },
}

/// Why [`listen`](crate::ActorSystem::listen) returned without a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListenError {
    /// Nothing arrived within the timeout.
    #[error("nothing received within {0:?}")]
    Timeout(Duration),
}
