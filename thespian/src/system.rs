//! The [`ActorSystem`]: creates actors, talks to them from outside, and shuts them down.

use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::Notify;

use crate::actor::{Actor, Message};
use crate::address::{ActorAddress, Addr};
pub use crate::builder::ActorSystemBuilder;
use crate::capabilities::{Capabilities, CapabilityValue};
use crate::cell::{ActorCell, Lineage};
use crate::context::Context;
use crate::deadline::Deadlines;
use crate::envelope::{Envelope, ExitCause, SystemMessage};
use crate::error::{AskError, CreateError, ListenError};
use crate::id::ActorId;
use crate::mailbox::{Mailbox, SeqLink};
use crate::messages::{DeadEnvelope, ReceivedMessage};
use crate::options::ActorOptions;
use crate::outside::OutsideCell;
use crate::registry::{GlobalNames, TopLevel};
use crate::remote::{Proxies, Transport};
use crate::reply::{ReplyFuture, ReplySlot, ReplyTo};
use crate::send::{Ask, Delivery, Destination};
use crate::sequential::{Sequential, TraceEntry};
use crate::status::{ActorStatus, SystemStatus};
use crate::supervision::{Supervision, Supervisor};
use crate::sync::{Unpoisoned, UnpoisonedRw};
use crate::time::{Clock, Runtime, TaskHandle};
use crate::troupe::{Troupe, TroupeOptions};

/// The state every handle of one system shares.
pub(crate) struct SystemShared {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) handle: Option<Handle>,
    pub(crate) default_ask_timeout: Duration,
    pub(crate) mailbox_capacity: Option<usize>,
    pub(crate) outside: Arc<OutsideCell>,
    /// Actors created from outside: the system is their parent.
    pub(crate) top_level: TopLevel,
    pub(crate) live: AtomicUsize,
    pub(crate) all_exited: Notify,
    pub(crate) shutting_down: AtomicBool,
    pub(crate) dead_letters: AtomicU64,
    pub(crate) dead_letter_handler: Mutex<Option<ActorAddress>>,
    /// The handler's actor id (0 for none): exiting actors check it without the lock.
    pub(crate) dead_letter_handler_id: AtomicU64,
    pub(crate) capabilities: RwLock<Capabilities>,
    pub(crate) names: Mutex<GlobalNames>,
    pub(crate) ordinals: AtomicU32,
    /// The scheduler of a sequential system.
    pub(crate) sequential: Option<Arc<Sequential>>,
    /// Whether any actor was ever named: spares unnamed actors the names lock when they exit.
    pub(crate) named: AtomicBool,
    pub(crate) restarts: AtomicU64,
    /// The deadlines of pending asks to this system's actors.
    pub(crate) deadlines: Arc<Deadlines>,
    /// How many `ActorSystem` handles exist (actors hold the shared state, not handles).
    pub(crate) handles: AtomicUsize,
    /// The transport of a networked system (see [`crate::remote`]).
    pub(crate) remote: OnceLock<Arc<dyn Transport>>,
    /// Proxies of actors of other nodes.
    pub(crate) proxies: Mutex<Proxies>,
    /// Death watches, and what the actors wait to hear from other nodes.
    pub(crate) watches: crate::watch::Watches,
    /// Runs the actors that want a process of their own (see [`crate::remote::Processes`]).
    pub(crate) processes: OnceLock<Arc<dyn crate::remote::Processes>>,
}

impl Drop for SystemShared {
    fn drop(&mut self) {
        if self.remote.get().is_some() {
            crate::remote::forget_node(self.id);
        }
    }
}

/// Asks every actor of the tree under `pending` for its status, parents before children, all
/// within `timeout`.
async fn collect_statuses(
    clock: Clock<'_>,
    mut pending: Vec<ActorAddress>,
    timeout: Duration,
) -> Vec<ActorStatus> {
    let deadline = clock.deadline_after(timeout);
    let mut actors = Vec::new();
    while !pending.is_empty() {
        let asks = pending.drain(..).map(|actor| {
            let slot = Arc::new(ReplySlot::<ActorStatus>::new());
            let reply = ReplyFuture::new(slot.clone());
            let sent = actor
                .cell
                .push_system(SystemMessage::Status(Box::new(ReplyTo::new(slot))))
                .is_ok();
            async move {
                if !sent {
                    return None;
                }
                clock.timeout_at(deadline, reply).await.ok()?.ok()
            }
        });
        for status in futures::future::join_all(asks).await.into_iter().flatten() {
            pending.extend(status.children.iter().cloned());
            actors.push(status);
        }
    }
    actors
}

impl SystemShared {
    pub(crate) fn outside_address(&self) -> ActorAddress {
        ActorAddress::from_cell(self.outside.clone())
    }

    /// Creates an actor: checks its capabilities, resolves a global name, starts its task.
    /// `parent` is `None` for actors whose parent is the system.
    pub(crate) fn create<A: Actor>(
        self: &Arc<Self>,
        actor: A,
        parent: Option<ActorAddress>,
        mut options: ActorOptions<A>,
    ) -> Result<Addr<A>, CreateError> {
        let allowed = {
            let capabilities = self.capabilities.read_unpoisoned();
            A::capability_check(&capabilities, &options.requirements)
        };
        if !allowed {
            return Err(CreateError::NoCompatibleSystem {
                actor: A::type_name(),
            });
        }
        match options.name.take() {
            None => self.spawn(actor, parent, options),
            Some(name) => {
                // Held across the spawn, so two concurrent creates of one name make one actor.
                let mut names = self.names.lock_unpoisoned();
                if let Some(existing) = names.by_name.get(&name) {
                    if existing.is_alive() {
                        return existing
                            .downcast::<A>()
                            .ok_or_else(|| CreateError::NameTaken {
                                name,
                                actor: existing.type_name(),
                            });
                    }
                }
                // Raised first: an actor that ends at once must find its name to free it.
                self.named.store(true, Ordering::Release);
                let addr = self.spawn(actor, None, options)?;
                names.by_name.insert(name.clone(), addr.address());
                names.by_id.insert(addr.id(), name);
                Ok(addr)
            }
        }
    }

    /// Starts `actor` as a task (or, asked for, in a process of its own).
    fn spawn<A: Actor>(
        self: &Arc<Self>,
        actor: A,
        parent: Option<ActorAddress>,
        options: ActorOptions<A>,
    ) -> Result<Addr<A>, CreateError> {
        if options.process.is_some() {
            return crate::relay::start(self, actor, parent, options);
        }
        let (runtime, mut ctx) = self.new_actor::<A>(parent, options.mailbox_capacity)?;
        let addr = ctx.myself.clone();
        for message in options.initial_messages {
            let _ = addr.cell.mailbox.push(Envelope::user(message, None, None));
        }
        if let Some(idle) = options.exit_when_idle {
            ctx.extras().exit_when_idle = Some(idle);
        }
        if let Some(leader) = options.leader {
            ctx.extras().leader = Some(leader);
        }
        if !options.requirements.is_empty() {
            ctx.extras().requirements = Some(Box::new(options.requirements));
        }
        let supervisor = match options.supervision {
            Supervision::Resume => None,
            policy => Some(Box::new(Supervisor::new(policy))),
        };
        runtime.start(crate::message_loop::run(actor, ctx, supervisor));
        Ok(addr)
    }

    /// Makes the cell and context of a new actor and counts it as live; the caller starts its
    /// task on the returned runtime.
    pub(crate) fn new_actor<A: Actor>(
        self: &Arc<Self>,
        parent: Option<ActorAddress>,
        capacity: Option<usize>,
    ) -> Result<(Runtime, Context<A>), CreateError> {
        let runtime = self.runtime().ok_or(CreateError::NoRuntime)?;
        let id = ActorId::next();
        let seq = self
            .sequential
            .as_ref()
            .map(|seq| SeqLink::new(seq.clone(), id));
        let cell = Arc::new(ActorCell::<A> {
            id,
            exiting: Default::default(),
            ordinal: self.ordinals.fetch_add(1, Ordering::Relaxed) + 1,
            system: self.clone(),
            mailbox: Mailbox::new(
                capacity.or(self.mailbox_capacity),
                seq,
                Lineage::new(parent.clone()),
            ),
            remote: None,
        });
        let addr = Addr::from_cell(cell);
        // Counted before it becomes visible to `shutdown`, which waits for the count to drop.
        self.live.fetch_add(1, Ordering::AcqRel);
        // An actor whose parent is on another node is top-level here: a shutdown of this
        // system stops it, and it exits if its parent's node is lost.
        let remote_parent = parent
            .as_ref()
            .and_then(|p| p.cell.remote_target().map(|t| t.node));
        let admitted = match (&parent, remote_parent) {
            (Some(_), None) => !self.shutting_down.load(Ordering::Acquire),
            _ => self.top_level.insert(addr.address(), &self.shutting_down),
        };
        if let (true, Some(node)) = (admitted, remote_parent) {
            self.watches.adopt(node, addr.address());
        }
        if !admitted {
            if self.live.fetch_sub(1, Ordering::AcqRel) == 1 {
                self.all_exited.notify_waiters();
            }
            return Err(CreateError::SystemShutDown);
        }
        crate::metrics::alive(true);
        addr.cell.mailbox.reserve_start_turn();
        Ok((runtime, Context::new(addr)))
    }

    /// Where the system's tasks run: its sequential executor, the runtime it was given, or the
    /// current one.
    pub(crate) fn runtime(&self) -> Option<Runtime> {
        match (&self.sequential, &self.handle) {
            (Some(seq), _) => Some(Runtime::Sequential(seq.clone())),
            (None, Some(handle)) => Some(Runtime::Tokio(handle.clone())),
            (None, None) => Handle::try_current().ok().map(Runtime::Tokio),
        }
    }

    /// Starts a task (wake-ups, streams) where the system's tasks run, if anywhere.
    pub(crate) fn spawn_task(
        &self,
        task: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Option<TaskHandle> {
        Some(self.runtime()?.spawn(task))
    }

    /// The system's clock: tokio's, or a sequential system's virtual one.
    pub(crate) fn clock(&self) -> Clock<'_> {
        match &self.sequential {
            Some(seq) => Clock::Virtual(seq.clock()),
            None => Clock::Tokio,
        }
    }

    /// An actor of type `actor` was restarted by its supervision.
    pub(crate) fn count_restart(&self, actor: &'static str) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
        crate::metrics::restarted(actor);
    }

    /// Called by each actor's task as it ends, before its watchers and parent hear of it.
    pub(crate) fn actor_ended(&self, id: ActorId, top_level: bool) {
        if let Some(seq) = &self.sequential {
            seq.forget(id);
        }
        if self.named.load(Ordering::Acquire) {
            let mut names = self.names.lock_unpoisoned();
            if let Some(name) = names.by_id.remove(&id) {
                // The name may already belong to a successor, created once this actor's mailbox
                // closed: only free it if it is still this actor's.
                if names.by_name.get(&name).is_some_and(|a| a.id() == id) {
                    names.by_name.remove(&name);
                }
            }
        }
        if top_level {
            self.top_level.remove(id);
        }
        crate::metrics::alive(false);
        if self.live.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.all_exited.notify_waiters();
        }
    }

    /// Records an undeliverable message: counted, logged, and handed to the dead-letter handler.
    pub(crate) fn dead_letter(
        &self,
        target: ActorAddress,
        sender: Option<ActorAddress>,
        message: Box<dyn Any + Send>,
        message_type: &'static str,
    ) {
        self.dead_letters.fetch_add(1, Ordering::Relaxed);
        crate::metrics::dead_letter(message_type);
        tracing::debug!(target: "thespian::dead_letters", %target, message_type, "dead letter");
        if self.dead_letter_handler_id.load(Ordering::Acquire) == 0 {
            return;
        }
        let handler = self.dead_letter_handler.lock_unpoisoned().clone();
        if let Some(handler) = handler {
            if handler == target {
                return;
            }
            let envelope = DeadEnvelope {
                target,
                sender,
                message,
                message_type,
            };
            // A dead letter that cannot reach the handler is dropped here: it was counted already,
            // and a handler that has exited unregisters itself.
            let _ = handler
                .cell
                .push_system(SystemMessage::DeadLetter(Box::new(envelope)));
        }
    }

    /// Turns what was left in an exited actor's mailbox into dead letters; pending asks fail.
    pub(crate) fn dead_letter_envelopes<A: Actor>(
        &self,
        target: &ActorAddress,
        envelopes: impl IntoIterator<Item = Envelope<A::Message>>,
    ) {
        for env in envelopes {
            if let Some(reply) = env.reply {
                reply.fail(AskError::DeadActor);
            }
            match env.payload.into_user() {
                Ok((m, _)) => {
                    let name = A::message_name(&m);
                    self.dead_letter(target.clone(), env.sender, A::message_into_any(m), name);
                }
                Err(SystemMessage::DeadLetter(d)) => {
                    // Counted when it became a dead letter; only its delivery is lost.
                    tracing::debug!(target: "thespian::dead_letters", target = %d.target,
                        message_type = d.message_type, "dead letter lost with its handler");
                }
                Err(_) => {}
            }
        }
    }

    pub(crate) fn set_dead_letter_handler(&self, handler: Option<ActorAddress>) {
        let mut slot = self.dead_letter_handler.lock_unpoisoned();
        let id = handler.as_ref().map_or(0, |h| h.id().as_u64());
        *slot = handler;
        self.dead_letter_handler_id.store(id, Ordering::Release);
    }

    /// Unregisters `id` if it is the dead-letter handler.
    pub(crate) fn clear_dead_letter_handler(&self, id: ActorId) {
        // Every exiting actor asks: only the handler itself takes the lock.
        if self.dead_letter_handler_id.load(Ordering::Acquire) != id.as_u64() {
            return;
        }
        let mut handler = self.dead_letter_handler.lock_unpoisoned();
        if handler.as_ref().is_some_and(|h| h.id() == id) {
            *handler = None;
            self.dead_letter_handler_id.store(0, Ordering::Release);
        }
    }
}

/// An actor system: the home of a set of actors, and the door to them from ordinary code.
///
/// A cheap handle: clones refer to the same system. Code outside any actor creates actors, `tell`s
/// and `ask`s them, `listen`s for what they send to the outside, and finally shuts the system down.
///
/// ```
/// use std::time::Duration;
/// use thespian::prelude::*;
///
/// struct Hello;
///
/// #[actor]
/// impl Hello {
///     async fn hi(&mut self) -> String {
///         "Hello, World!".to_string()
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let system = ActorSystem::new();
/// let hello = system.create_actor(Hello).await.unwrap();
/// let greeting = system.ask(&hello, HelloHi, Duration::from_secs(1)).await.unwrap();
/// assert_eq!(greeting, "Hello, World!");
/// system.shutdown().await;
/// # }
/// ```
pub struct ActorSystem {
    pub(crate) shared: Arc<SystemShared>,
}

impl Clone for ActorSystem {
    fn clone(&self) -> Self {
        ActorSystem::from_shared(self.shared.clone())
    }
}

/// Counts the handles, so that a sequential system whose last handle goes without `shutdown`
/// still ends (its actors' tasks are dropped, without exit processing).
impl Drop for ActorSystem {
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            if let Some(seq) = &self.shared.sequential {
                // The actors end with the system: nothing is accepted any more (sends are refused
                // and handed back), and the registry lets go of them.
                self.shared.shutting_down.store(true, Ordering::Release);
                seq.stop();
                self.shared.top_level.clear();
                // Names hold their actors' cells, which hold this state: ended without exit
                // processing, the actors do not free their names themselves.
                let mut names = self.shared.names.lock_unpoisoned();
                names.by_name.clear();
                names.by_id.clear();
            }
        }
    }
}

/// A handle to an [`ActorSystem`] that does not keep it alive; see [`ActorSystem::downgrade`].
#[derive(Clone)]
pub struct WeakActorSystem(std::sync::Weak<SystemShared>);

impl WeakActorSystem {
    /// The system, if its state still exists.
    pub fn upgrade(&self) -> Option<ActorSystem> {
        self.0.upgrade().map(ActorSystem::from_shared)
    }
}

impl fmt::Debug for WeakActorSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakActorSystem").finish_non_exhaustive()
    }
}

impl Default for ActorSystem {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ActorSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorSystem")
            .field("name", &self.shared.name)
            .field("live_actors", &self.live_actors())
            .finish_non_exhaustive()
    }
}

impl ActorSystem {
    /// A system with the default settings, running its actors on the current tokio runtime.
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
    /// let system = ActorSystem::new();
    /// let counter = system.create_actor(Counter::default()).await?;
    /// counter.add(1).tell().await?;
    /// system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder to choose the system's name, capabilities and defaults, or the sequential base.
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
    /// use std::time::Duration;
    /// let system = ActorSystem::builder()
    ///     .name("billing")
    ///     .capability("gpu", true)
    ///     .default_ask_timeout(Duration::from_secs(2))
    ///     .build();
    /// assert_eq!(system.name(), "billing");
    /// system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder() -> ActorSystemBuilder {
        ActorSystemBuilder::default()
    }

    pub(crate) fn from_shared(shared: Arc<SystemShared>) -> Self {
        shared.handles.fetch_add(1, Ordering::AcqRel);
        ActorSystem { shared }
    }

    pub(crate) fn shared(&self) -> &Arc<SystemShared> {
        &self.shared
    }

    /// The system's name (for logs, traces and status reports).
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
    /// let system = ActorSystem::builder().name("edge-1").build();
    /// assert_eq!(system.name(), "edge-1");
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// A copy of the system's current capabilities.
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
    /// let system = ActorSystem::builder().capability("gpu", true).build();
    /// assert!(system.capabilities().is_true("gpu"));
    /// assert!(!system.capabilities().is_true("tpu"));
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn capabilities(&self) -> Capabilities {
        self.shared.capabilities.read_unpoisoned().clone()
    }

    /// Sets capability `name` to `value`, or removes it when `value` is `None`.
    ///
    /// Every actor of the system then checks, between two of its messages, that its type's
    /// [`capability_check`](Actor::capability_check) still accepts the system's capabilities
    /// with the requirements it was created with; one that does not is asked to exit (its
    /// parent hears [`ExitReason::CapabilitiesChanged`](crate::ExitReason::CapabilitiesChanged)).
    ///
    /// ```
    /// use thespian::prelude::*;
    /// use thespian::Capabilities;
    ///
    /// struct Render;
    /// #[actor]
    /// impl Render {
    ///     async fn frame(&self) {}
    ///     #[capability_check]
    ///     fn check(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
    ///         capabilities.is_true("gpu")
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let system = ActorSystem::builder().capability("gpu", true).sequential().build();
    /// let render = system.create_actor(Render).await.unwrap();
    /// system.update_capability("gpu", None);      // the GPU is gone: so is the renderer
    /// system.run_until_idle().await;
    /// assert_eq!(system.live_actors(), 0);
    /// assert!(render.frame().tell().await.is_err());
    /// # system.shutdown().await;
    /// # }
    /// ```
    pub fn update_capability(&self, name: &str, value: Option<CapabilityValue>) {
        let capabilities = {
            let mut caps = self.shared.capabilities.write_unpoisoned();
            let changed = match value {
                Some(v) => {
                    caps.get(name) != Some(&v) && {
                        caps.set(name, v);
                        true
                    }
                }
                None => caps.remove(name).is_some(),
            };
            if !changed {
                return;
            }
            Arc::new(caps.clone())
        };
        for actor in self.shared.top_level.snapshot() {
            let news = SystemMessage::Capabilities(capabilities.clone());
            let _ = actor.cell.push_system(news);
        }
    }

    /// Creates a top-level actor (the system is its parent) and returns its address. The actor
    /// starts at once; its `started` hook runs before its first message.
    ///
    /// Local creation never waits; it is `async` because creation placed on another system of a
    /// convention (by capabilities) will.
    ///
    /// # Errors
    ///
    /// [`CreateError`]: the system is shut down, there is no tokio runtime to run the actor on,
    /// or the actor's `capability_check` refuses the system's capabilities.
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
    /// let counter = system.create_actor(Counter::default()).await?;
    /// assert_eq!(counter.total().ask().await?, 0);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_actor<A: Actor>(&self, actor: A) -> Result<Addr<A>, CreateError> {
        self.shared.create(actor, None, ActorOptions::new())
    }

    /// Creates a top-level actor with options: a global name, supervision, a mailbox bound, an
    /// idle exit, initial messages, capability requirements (see [`ActorOptions`]).
    ///
    /// # Errors
    ///
    /// As for [`create_actor`](Self::create_actor); and [`CreateError::NameTaken`] when the
    /// global name belongs to an actor of another type (one of the same type is returned instead
    /// of a new one).
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
    /// use thespian::ActorOptions;
    /// let options = ActorOptions::new().name("counter").mailbox_capacity(100);
    /// let counter = system.create_actor_with(Counter::default(), options).await?;
    /// let again = system.create_actor_with(Counter::default(), ActorOptions::new().name("counter")).await?;
    /// assert_eq!(again.id(), counter.id()); // the name's holder, not a second actor
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_actor_with<A: Actor>(
        &self,
        actor: A,
        options: ActorOptions<A>,
    ) -> Result<Addr<A>, CreateError> {
        self.shared.create(actor, None, options)
    }

    /// Creates a troupe: one address in front of a pool of workers made by `factory` (see
    /// [`Troupe`]).
    pub async fn create_troupe<A, F>(
        &self,
        factory: F,
        options: TroupeOptions,
    ) -> Result<Troupe<A>, CreateError>
    where
        A: Actor,
        F: FnMut() -> A + Send + 'static,
    {
        crate::troupe::create(&self.shared, factory, options, None)
    }

    /// The actor holding global name `name`, if it is alive and an `A`.
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
    /// use thespian::ActorOptions;
    /// let options = ActorOptions::new().name("totals");
    /// system.create_actor_with(Counter::default(), options).await?;
    /// let found: Addr<Counter> = system.named("totals").ok_or("no totals")?;
    /// found.add(1).tell().await?;
    /// assert!(system.named::<Counter>("missing").is_none());
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn named<A: Actor>(&self, name: &str) -> Option<Addr<A>> {
        self.named_address(name)
            .as_ref()
            .and_then(ActorAddress::downcast)
    }

    /// The actor holding global name `name`, whatever its type, if it is alive.
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
    /// use thespian::ActorOptions;
    /// let counter = system
    ///     .create_actor_with(Counter::default(), ActorOptions::new().name("totals"))
    ///     .await?;
    /// assert_eq!(system.named_address("totals"), Some(counter.address()));
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn named_address(&self, name: &str) -> Option<ActorAddress> {
        let names = self.shared.names.lock_unpoisoned();
        names.by_name.get(name).filter(|a| a.is_alive()).cloned()
    }

    /// A handle that does not keep the system's state alive (for services attached to it, such
    /// as a transport, that the system itself refers to).
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
    /// let weak = system.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn downgrade(&self) -> WeakActorSystem {
        WeakActorSystem(Arc::downgrade(&self.shared))
    }

    /// Asks every actor for its state and reports the whole system. Actors answer between two
    /// messages; one busy for longer than `timeout` is left out.
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
    /// use std::time::Duration;
    /// let counter = system.create_actor(Counter::default()).await?;
    /// let status = system.status(Duration::from_secs(1)).await;
    /// assert_eq!(status.live_actors, 1);
    /// assert_eq!(status.actors[0].address, counter.address());
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn status(&self, timeout: Duration) -> SystemStatus {
        let top_level = self.shared.top_level.snapshot();
        let collect = collect_statuses(self.shared.clock(), top_level, timeout);
        let actors = match &self.shared.sequential {
            None => collect.await,
            // The actors answer in turns, which are granted only while the system is driven.
            Some(seq) => seq.drive(collect).await.unwrap_or_default(),
        };
        let global_names = {
            let names = self.shared.names.lock_unpoisoned();
            let mut v: Vec<_> = names
                .by_name
                .iter()
                .map(|(n, a)| (n.clone(), a.clone()))
                .collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        let status = SystemStatus {
            name: self.shared.name.clone(),
            live_actors: self.live_actors(),
            queued: actors.iter().map(|a| a.queued).sum(),
            dead_letters: self.dead_letter_count(),
            restarts: self.shared.restarts.load(Ordering::Relaxed),
            global_names,
            actors,
        };
        tracing::debug!(system = %status.name, live_actors = status.live_actors, queued = status.queued,
            dead_letters = status.dead_letters, restarts = status.restarts, "status");
        status
    }

    /// Sends `msg` to `to` from outside the actor system, even when called inside a handler
    /// (Thespian's `ActorSystem.tell`; an actor sends as itself with [`Context::tell`] or
    /// [`Addr::tell`]). If the actor has exited, the message becomes a dead letter (use
    /// [`Addr::tell`] to get it back instead).
    ///
    /// The message is sent when this returns; awaiting the [`Delivery`] only waits for room in a
    /// full bounded mailbox.
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
    /// let counter = system.create_actor(Counter::default()).await?;
    /// system.tell(&counter, CounterAdd { n: 2 }).await;
    /// assert_eq!(counter.total().ask().await?, 2);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn tell<M, D>(&self, to: &D, msg: M) -> Delivery
    where
        M: Send + 'static,
        D: Destination<M>,
    {
        to.deliver(msg, None)
    }

    /// Sends a request to `to` from outside (even when called inside a handler) and waits at most
    /// `timeout` for the reply to it.
    ///
    /// # Errors
    ///
    /// [`AskError`], as for [`Addr::ask`].
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
    /// use std::time::Duration;
    /// let counter = system.create_actor(Counter::default()).await?;
    /// let total = system.ask(&counter, CounterTotal, Duration::from_secs(1)).await?;
    /// assert_eq!(total, 0);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn ask<M, D>(&self, to: &D, msg: M, timeout: Duration) -> Ask<M::Reply>
    where
        M: Message,
        D: Destination<M>,
    {
        to.request(msg, None, timeout)
    }

    /// Receives the next message that an actor sent to the outside of the system (see
    /// [`outside_address`](Self::outside_address)), waiting at most `timeout`. The system keeps
    /// at most [`outside_capacity`](crate::ActorSystemBuilder::outside_capacity) of them (10,000
    /// by default) while nobody listens; more become dead letters.
    ///
    /// # Errors
    ///
    /// [`ListenError::Timeout`] when nothing came within `timeout`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// struct Announcer;
    ///
    /// #[actor]
    /// impl Announcer {
    ///     async fn announce(&mut self, ctx: &mut Context<Self>) {
    ///         ctx.send(&ctx.system().outside_address(), "ready");
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let announcer = system.create_actor(Announcer).await?;
    /// announcer.announce().tell().await?;
    /// let heard = system.listen(Duration::from_secs(1)).await?;
    /// assert_eq!(heard.downcast::<&str>().ok(), Some("ready"));
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn listen(&self, timeout: Duration) -> Result<ReceivedMessage, ListenError> {
        let listen = self.shared.outside.listen(self.shared.clock(), timeout);
        match &self.shared.sequential {
            None => listen.await,
            // Waits in the system's time, while driving it.
            Some(seq) => seq
                .drive(listen)
                .await
                .unwrap_or(Err(ListenError::Timeout(timeout))),
        }
    }

    /// For the sequential base: lets the system handle every waiting message (and those they
    /// cause) and returns when none is left. Pending timers do not count: they fire when the system
    /// is next driven and has nothing else to do. Returns at once for the default base, and when
    /// called from a handler of the system itself (which holds its turn until it returns).
    pub async fn run_until_idle(&self) {
        if let Some(seq) = &self.shared.sequential {
            if seq.is_driven_here() {
                // From a handler, which holds its turn: the system cannot be idle before it
                // returns.
                return;
            }
            // Looked at after every pass over the ready tasks, before the clock moves.
            let idle = std::future::poll_fn(|_| match seq.is_idle() {
                true => std::task::Poll::Ready(()),
                false => std::task::Poll::Pending,
            });
            seq.drive(idle).await;
        }
    }

    /// For a traced sequential system: every message handled so far, in order.
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
    /// let system = ActorSystem::builder().sequential().trace().build();
    /// let counter = system.create_actor(Counter::default()).await?;
    /// counter.add(1).tell().await?;
    /// system.run_until_idle().await;
    /// let trace = system.trace();
    /// assert_eq!(trace[0].to_string(), "outside -> Counter#1: CounterAdd");
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn trace(&self) -> Vec<TraceEntry> {
        self.shared
            .sequential
            .as_ref()
            .map(|seq| seq.trace())
            .unwrap_or_default()
    }

    /// The system's time: tokio's clock on the default base; on the sequential base its virtual
    /// clock, which jumps to the next timer when nothing else can happen, so an hour of wake-ups
    /// passes at once and the same test reads the same times every run.
    ///
    /// ```
    /// use std::time::Duration;
    /// use thespian::prelude::*;
    ///
    /// struct Alarm;
    /// #[actor]
    /// impl Alarm {
    ///     async fn set(&mut self, ctx: &mut Context<Self>) {
    ///         ctx.wakeup_after(Duration::from_secs(3600), ());
    ///     }
    ///     #[wakeup]
    ///     async fn ring(&mut self, _w: WakeupMessage, ctx: &mut Context<Self>) {
    ///         ctx.send(&ctx.system().outside_address(), "ring");
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let system = ActorSystem::builder().sequential().build();
    /// let start = system.now();
    /// let alarm = system.create_actor(Alarm).await.unwrap();
    /// alarm.set().tell().await.unwrap();
    /// let rang = system.listen(Duration::from_secs(7200)).await.unwrap();
    /// assert!(rang.is::<&str>());
    /// assert_eq!(system.now() - start, Duration::from_secs(3600)); // at once, in virtual time
    /// # system.shutdown().await;
    /// # }
    /// ```
    pub fn now(&self) -> tokio::time::Instant {
        self.shared.clock().now()
    }

    /// The address of the outside of the system: messages sent to it are read with
    /// [`listen`](Self::listen). Messages sent from outside carry it as their sender.
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
    /// let outside = system.outside_address();
    /// assert_eq!(outside, system.outside_address());
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn outside_address(&self) -> ActorAddress {
        self.shared.outside_address()
    }

    /// The number of actors running (including those still exiting). An actor leaves the count
    /// before its parent and its watchers hear of its end.
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
    /// let counter = system.create_actor(Counter::default()).await?;
    /// assert_eq!(system.live_actors(), 1);
    /// let ended = counter.wait_for_exit();
    /// counter.request_exit();
    /// ended.await;
    /// assert_eq!(system.live_actors(), 0);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn live_actors(&self) -> usize {
        self.shared.live.load(Ordering::Acquire)
    }

    /// How many messages became dead letters so far.
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
    /// let counter = system.create_actor(Counter::default()).await?;
    /// let ended = counter.wait_for_exit();
    /// counter.request_exit();
    /// ended.await;
    /// system.tell(&counter, CounterAdd { n: 1 }).await; // nobody to take it
    /// assert_eq!(system.dead_letter_count(), 1);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn dead_letter_count(&self) -> u64 {
        self.shared.dead_letters.load(Ordering::Relaxed)
    }

    /// Asks every actor to exit, children before their parents, and waits until all have. Actors
    /// can no longer be created afterwards. Calling it again is harmless.
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
    /// let counter = system.create_actor(Counter::default()).await?;
    /// system.shutdown().await;
    /// assert!(!counter.is_alive());
    /// assert!(system.create_actor(Counter::default()).await.is_err());
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown(&self) {
        let top_level = self.shared.top_level.close(&self.shared.shutting_down);
        for actor in &top_level {
            let _ = actor
                .cell
                .push_system(SystemMessage::Exit(ExitCause::Shutdown));
        }
        let shared = self.shared.clone();
        let wait = async move {
            loop {
                let all_exited = shared.all_exited.notified();
                tokio::pin!(all_exited);
                all_exited.as_mut().enable();
                if shared.live.load(Ordering::Acquire) == 0 {
                    break;
                }
                all_exited.await;
            }
        };
        match &self.shared.sequential {
            None => wait.await,
            Some(seq) => {
                seq.drive(wait).await;
                seq.stop();
            }
        }
        self.shared.deadlines.close();
        tracing::debug!(system = %self.shared.name, "actor system shut down");
    }
}
