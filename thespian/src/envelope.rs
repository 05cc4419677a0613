//! The envelope: one message in a mailbox, with its sender and reply route.

use crate::address::ActorAddress;
use crate::id::ActorId;
use std::sync::Arc;

use crate::capabilities::Capabilities;
use crate::messages::{ChildActorExited, DeadEnvelope, PoisonMessage, WatchedActorExited};
use crate::reply::ReplyTo;
use crate::spans::TraceId;
use crate::wakeup::WakeupMessage;

pub(crate) struct Envelope<M> {
    pub(crate) payload: Payload<M>,
    /// The sending actor; `None` for the outside of the actor system.
    pub(crate) sender: Option<ActorAddress>,
    /// Where the answer goes, for an `ask`.
    pub(crate) reply: Option<ReplyTo>,
}

pub(crate) enum Payload<M> {
    /// One of the actor's own messages.
    User(M),
    /// One of the actor's own messages, with the trace of the handler that sent it (see
    /// `spans`). Boxed: only sent while tracing spans are on, it does not grow every envelope.
    Traced(Box<(M, TraceId)>),
    /// A message from the system. Kept small (boxed bodies) so it does not grow every envelope.
    System(SystemMessage),
}

pub(crate) enum SystemMessage {
    Exit(ExitCause),
    ChildExited(Box<ChildActorExited>),
    /// An actor this one watches has ended.
    Watched(Box<WatchedActorExited>),
    /// The system's capabilities changed: the actor checks that its type still accepts them,
    /// and passes the news on to its children.
    Capabilities(Arc<Capabilities>),
    DeadLetter(Box<DeadEnvelope>),
    Poison(Box<PoisonMessage>),
    Wakeup(Box<WakeupMessage>),
    /// A status request, answered by the runtime with an [`ActorStatus`](crate::ActorStatus).
    Status(Box<ReplyTo>),
    /// To a troupe's leader: this worker has finished a job.
    WorkerIdle(ActorId),
    /// To a troupe's leader: new limits.
    TroupeLimits {
        max: u32,
        idle: u32,
    },
    /// Holds the place of a message whose conversion panicked while it was sent; ignored.
    Void,
}

/// Why an exit was requested; it decides the [`ExitReason`](crate::ExitReason) reported upwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitCause {
    Requested,
    Shutdown,
    /// The system's capabilities no longer suit the actor.
    Capabilities,
}

impl ExitCause {
    /// As kept in an actor's cell (0 is "not exiting").
    pub(crate) fn code(self) -> u8 {
        match self {
            ExitCause::Requested => 1,
            ExitCause::Shutdown => 2,
            ExitCause::Capabilities => 3,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(ExitCause::Requested),
            2 => Some(ExitCause::Shutdown),
            3 => Some(ExitCause::Capabilities),
            _ => None,
        }
    }
}

impl SystemMessage {
    /// The message's name, for traces.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            SystemMessage::Exit(_) => "ActorExitRequest",
            SystemMessage::ChildExited(_) => "ChildActorExited",
            SystemMessage::Watched(_) => "WatchedActorExited",
            SystemMessage::Capabilities(_) => "CapabilitiesChanged",
            SystemMessage::DeadLetter(_) => "DeadEnvelope",
            SystemMessage::Poison(_) => "PoisonMessage",
            SystemMessage::Wakeup(_) => "WakeupMessage",
            SystemMessage::Status(_) => "StatusRequest",
            SystemMessage::WorkerIdle(_) => "WorkerIdle",
            SystemMessage::TroupeLimits { .. } => "TroupeLimits",
            SystemMessage::Void => "Void",
        }
    }
}

impl<M> Envelope<M> {
    /// A message sent here. With the feature `local-traces` it carries the trace of the handler
    /// sending it, if that handler runs in a traced span (see `spans`), so that a trace follows
    /// a request from actor to actor as it does from node to node; without it, a trace crosses
    /// from node to node only (the check costs a tell about 18 instructions, 5%).
    #[inline]
    pub(crate) fn user(msg: M, sender: Option<ActorAddress>, reply: Option<ReplyTo>) -> Self {
        #[cfg(feature = "local-traces")]
        if let Some(trace) = crate::spans::current() {
            return Self::with_trace(msg, sender, reply, Some(trace));
        }
        Envelope {
            payload: Payload::User(msg),
            sender,
            reply,
        }
    }

    /// A message that carries `trace`, if it has one: one that arrived from another node with
    /// it (see `remote::LocalActor::deliver`), or one held and queued again.
    pub(crate) fn with_trace(
        msg: M,
        sender: Option<ActorAddress>,
        reply: Option<ReplyTo>,
        trace: Option<TraceId>,
    ) -> Self {
        let payload = match trace {
            None => Payload::User(msg),
            Some(trace) => Payload::Traced(Box::new((msg, trace))),
        };
        Envelope {
            payload,
            sender,
            reply,
        }
    }

    pub(crate) fn system(msg: SystemMessage) -> Self {
        Envelope {
            payload: Payload::System(msg),
            sender: None,
            reply: None,
        }
    }

    pub(crate) fn is_user(&self) -> bool {
        !matches!(self.payload, Payload::System(_))
    }
}

impl<M> Payload<M> {
    /// The actor's own message and its trace, or the system message.
    pub(crate) fn into_user(self) -> Result<(M, Option<TraceId>), SystemMessage> {
        match self {
            Payload::User(msg) => Ok((msg, None)),
            Payload::Traced(traced) => {
                let (msg, trace) = *traced;
                Ok((msg, Some(trace)))
            }
            Payload::System(msg) => Err(msg),
        }
    }
}
