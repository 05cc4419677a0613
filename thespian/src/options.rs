//! [`ActorOptions`]: how one actor is created, beyond its initial state.

use std::fmt;
use std::time::Duration;

use crate::actor::Actor;
use crate::capabilities::Capabilities;
use crate::supervision::Supervision;

/// Options for [`ActorSystem::create_actor_with`](crate::ActorSystem::create_actor_with) and
/// [`Context::create_actor_with`](crate::Context::create_actor_with).
///
/// ```
/// use std::time::Duration;
/// use thespian::prelude::*;
/// use thespian::ActorOptions;
///
/// #[derive(Default)]
/// struct Session { hits: u32 }
///
/// #[actor]
/// impl Session {
///     async fn hit(&mut self) -> u32 { self.hits += 1; self.hits }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let system = ActorSystem::new();
/// let options = ActorOptions::new()
///     .name("session-42")                        // a global name: create-or-get
///     .mailbox_capacity(1_000)                   // `tell` waits when 1,000 are queued
///     .exit_when_idle(Duration::from_secs(300)); // transient: exits after 5 idle minutes
/// let session = system.create_actor_with(Session::default(), options).await.unwrap();
/// let again = system.create_actor_with(Session::default(), ActorOptions::new().name("session-42"))
///     .await
///     .unwrap();
/// assert_eq!(session, again);
/// # system.shutdown().await;
/// # }
/// ```
pub struct ActorOptions<A: Actor> {
    pub(crate) name: Option<String>,
    pub(crate) mailbox_capacity: Option<usize>,
    pub(crate) supervision: Supervision<A>,
    pub(crate) exit_when_idle: Option<Duration>,
    pub(crate) initial_messages: Vec<A::Message>,
    pub(crate) requirements: Capabilities,
    /// For a troupe's worker: its leader.
    pub(crate) leader: Option<crate::address::ActorAddress>,
    /// For an actor in a process of its own: how its initial value is encoded for the process.
    pub(crate) process: Option<Encode<A>>,
}

/// Encodes an actor's value (for a process of its own).
pub(crate) type Encode<A> = fn(&A, &mut Vec<u8>) -> Result<(), crate::codec::WireError>;

impl<A: Actor> Default for ActorOptions<A> {
    fn default() -> Self {
        ActorOptions {
            name: None,
            mailbox_capacity: None,
            supervision: Supervision::Resume,
            exit_when_idle: None,
            initial_messages: Vec::new(),
            requirements: Capabilities::new(),
            leader: None,
            process: None,
        }
    }
}

impl<A: Actor> fmt::Debug for ActorOptions<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorOptions")
            .field("name", &self.name)
            .field("mailbox_capacity", &self.mailbox_capacity)
            .field("supervision", &self.supervision)
            .field("exit_when_idle", &self.exit_when_idle)
            .field("initial_messages", &self.initial_messages.len())
            .field("requirements", &self.requirements)
            .field("in_own_process", &self.process.is_some())
            .finish()
    }
}

impl<A: Actor> ActorOptions<A> {
    /// The defaults: unnamed, the system's mailbox bound, resume on failure, no idle exit.
    pub fn new() -> Self {
        Self::default()
    }

    /// A name unique in the system: if an actor of that name is alive, creating returns its
    /// address instead of creating another (and the initial value is dropped). The name is freed
    /// when the actor exits. A named actor's parent is the system, whoever creates it.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Bounds this actor's mailbox (see
    /// [`ActorSystemBuilder::mailbox_capacity`](crate::ActorSystemBuilder::mailbox_capacity)).
    pub fn mailbox_capacity(mut self, capacity: usize) -> Self {
        self.mailbox_capacity = Some(capacity.max(1));
        self
    }

    /// What a failure does (see [`Supervision`]).
    pub fn supervision(mut self, supervision: impl Into<Supervision<A>>) -> Self {
        self.supervision = supervision.into();
        self
    }

    /// Makes the actor transient: it exits after `idle` without any message (Thespian's
    /// `@transient_idle`).
    pub fn exit_when_idle(mut self, idle: Duration) -> Self {
        self.exit_when_idle = Some(idle);
        self
    }

    /// Messages handled before any other, in this order (Thespian's `@initializing_messages`):
    /// they are in the mailbox before its address is returned.
    pub fn initial_message(mut self, message: impl Into<A::Message>) -> Self {
        self.initial_messages.push(message.into());
        self
    }

    /// Requirements passed to the actor type's
    /// [`capability_check`](crate::Actor::capability_check).
    pub fn requirements(mut self, requirements: Capabilities) -> Self {
        self.requirements = requirements;
        self
    }
}

#[cfg(feature = "remote")]
#[cfg_attr(docsrs, doc(cfg(feature = "remote")))]
impl<A> ActorOptions<A>
where
    A: Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    /// Runs the actor in a child process of its own, so that whatever it does (abort, overflow
    /// its stack, crash in a C library, be killed) ends only that process. Its address works
    /// as for any actor and stays the same across restarts; its messages and replies travel
    /// encoded, as to an actor of another node. The system needs a process base
    /// (`thespian_net::Processes`), and the program must let its child processes serve
    /// (`thespian_net::process::serve_if_child` at the top of `main`).
    ///
    /// When the process ends without the actor exiting, the parent hears
    /// [`ExitReason::ProcessEnded`](crate::ExitReason::ProcessEnded) with how it ended, and a
    /// [`Supervision::restart`](crate::Supervision::restart) policy starts a fresh process with
    /// a fresh actor from its factory instead. A handler that panics inside the process counts as
    /// a failure of the actor as usual: resumed under `Resume`, and under `Stop` or `Restart` the
    /// actor (and its process) ends, and a restart starts a fresh process.
    pub fn in_own_process(mut self) -> Self {
        self.process = Some(|actor, out| crate::codec::encode(actor, out));
        self
    }
}
