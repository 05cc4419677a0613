//! The messages the actor system itself sends to actors.
//!
//! An actor author meets them as arguments of the [`Actor`](crate::Actor) hooks:
//! [`ChildActorExited`] in `child_exited`, [`DeadEnvelope`] in `dead_letter`, [`PoisonMessage`] in
//! `poisoned`. [`ActorExitRequest`] is what [`request_exit`](crate::ActorAddress::request_exit)
//! sends: it is queued behind the messages already sent, and cannot be refused.

use std::any::Any;
use std::fmt;

use crate::address::ActorAddress;

/// Asks an actor to exit. It is handled in order with the other messages from the same sender (what
/// was sent before it is handled first); the actor's `stopping` hook runs, its children are asked to
/// exit, and once they all have, its parent gets a [`ChildActorExited`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ActorExitRequest;

/// Why an actor ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum ExitReason {
    /// It was asked to exit (by itself, its parent or anyone holding its address).
    Requested,
    /// Its actor system shut down.
    SystemShutdown,
    /// Its `started` hook panicked; the details are the panic message.
    StartFailed(String),
    /// It failed and its supervision policy stopped it; the details say why.
    Failed(String),
    /// Its node can no longer be reached (its process ended, or it stayed silent for the link's
    /// failure detection time). Told by the watcher's own node: the actor may still run there,
    /// cut off, but nothing sent to it arrives any more.
    NodeLost,
    /// It had already ended when it was watched; why is no longer known.
    AlreadyExited,
    /// Its system's capabilities changed, and its type's
    /// [`capability_check`](crate::Actor::capability_check) no longer accepts them.
    CapabilitiesChanged,
    /// It ran in a process of its own, which ended without it exiting; the details say how
    /// (`"killed by signal 11 (SIGSEGV)"`, `"exited with status 101"`).
    ProcessEnded(String),
}

impl From<crate::envelope::ExitCause> for ExitReason {
    fn from(cause: crate::envelope::ExitCause) -> Self {
        match cause {
            crate::envelope::ExitCause::Requested => ExitReason::Requested,
            crate::envelope::ExitCause::Shutdown => ExitReason::SystemShutdown,
            crate::envelope::ExitCause::Capabilities => ExitReason::CapabilitiesChanged,
        }
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Requested => f.write_str("asked to exit"),
            ExitReason::SystemShutdown => f.write_str("system shut down"),
            ExitReason::StartFailed(d) => write!(f, "failed to start: {d}"),
            ExitReason::Failed(d) => write!(f, "failed: {d}"),
            ExitReason::NodeLost => f.write_str("its node was lost"),
            ExitReason::AlreadyExited => f.write_str("had already exited"),
            ExitReason::CapabilitiesChanged => {
                f.write_str("its system's capabilities no longer suit it")
            }
            ExitReason::ProcessEnded(how) => write!(f, "its process ended: {how}"),
        }
    }
}

/// Tells a parent that one of its children has ended, for whatever reason. Nothing restarts the
/// child unless a supervision policy says so: the parent decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildActorExited {
    /// The child that ended; sending to it now makes dead letters.
    pub child: ActorAddress,
    /// Why it ended.
    pub reason: ExitReason,
}

/// Tells a watcher that an actor it watches has ended (see
/// [`Context::watch`](crate::Context::watch)): sent once per watch, wherever the actor ran, also
/// when it had ended before it was watched ([`ExitReason::AlreadyExited`]) and when its node is
/// lost ([`ExitReason::NodeLost`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedActorExited {
    /// The actor that ended: the address that was watched.
    pub actor: ActorAddress,
    /// Why it ended.
    pub reason: ExitReason,
}

/// A message that could not be delivered: its target had exited. Handed to the system's dead-letter
/// handler, if one is registered; always counted and logged.
pub struct DeadEnvelope {
    /// Where the message was going.
    pub target: ActorAddress,
    /// Who sent it, when known (`None` for the outside of the actor system).
    pub sender: Option<ActorAddress>,
    /// The message itself; downcast it to the type you expect.
    pub message: Box<dyn Any + Send>,
    /// The message's type name, for logs.
    pub message_type: &'static str,
}

impl fmt::Debug for DeadEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadEnvelope")
            .field("target", &self.target)
            .field("sender", &self.sender)
            .field("message_type", &self.message_type)
            .finish_non_exhaustive()
    }
}

/// Returned to the sender of a message whose handling failed on every attempt. A `PoisonMessage`
/// is never itself poisoned.
pub struct PoisonMessage {
    /// The actor that failed.
    pub target: ActorAddress,
    /// The message, when a copy of it could be kept (see
    /// [`Mail::copy`](crate::Mail::copy)).
    pub message: Option<Box<dyn Any + Send>>,
    /// The message's type name.
    pub message_type: &'static str,
    /// Why it failed (the panic message).
    pub details: String,
}

impl fmt::Debug for PoisonMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoisonMessage")
            .field("target", &self.target)
            .field("message_type", &self.message_type)
            .field("details", &self.details)
            .finish_non_exhaustive()
    }
}

/// A message received by the outside of the actor system (see
/// [`ActorSystem::listen`](crate::ActorSystem::listen)).
pub struct ReceivedMessage {
    /// Who sent it.
    pub sender: Option<ActorAddress>,
    /// The message; downcast it to the type you expect.
    pub message: Box<dyn Any + Send>,
}

impl ReceivedMessage {
    /// Whether the message is a `T`.
    pub fn is<T: Any>(&self) -> bool {
        self.message.is::<T>()
    }

    /// The message as a `T`, or the whole `ReceivedMessage` back if it is something else.
    pub fn downcast<T: Any>(self) -> Result<T, Self> {
        match self.message.downcast::<T>() {
            Ok(m) => Ok(*m),
            Err(message) => Err(ReceivedMessage {
                sender: self.sender,
                message,
            }),
        }
    }
}

impl fmt::Debug for ReceivedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedMessage")
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

/// The text of a panic payload.
pub(crate) fn panic_details(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_owned()
    }
}
