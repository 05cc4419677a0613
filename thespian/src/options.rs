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
}

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
