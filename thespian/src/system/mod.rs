//! The [`ActorSystem`]: creates actors, talks to them from outside, and shuts them down.

pub(crate) mod directory;
pub(crate) mod shared;
mod spawn;

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use self::shared::SystemShared;
use crate::actor::{Actor, Message};
use crate::address::{ActorAddress, Addr};
use crate::capabilities::{Capabilities, CapabilityValue};
use crate::envelope::{ExitCause, SystemMessage};
use crate::error::{CreateError, ListenError};
use crate::messages::ReceivedMessage;
use crate::options::ActorOptions;
use crate::reply::{ReplyFuture, ReplySlot, ReplyTo};
use crate::send::{Ask, Delivery, Destination};
#[cfg(feature = "sequential")]
use crate::sequential::TraceEntry;
use crate::status::{ActorStatus, SystemStatus};
use crate::sync::{Unpoisoned, UnpoisonedRw};
use crate::time::Clock;
use crate::troupe::{Troupe, TroupeOptions};

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
        let last = self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1;
        #[cfg(feature = "sequential")]
        if last {
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
        #[cfg(not(feature = "sequential"))]
        let _ = last;
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

impl fmt::Debug for ActorSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorSystem")
            .field("name", &self.shared.name)
            .field("live_actors", &self.live_actors())
            .finish_non_exhaustive()
    }
}

impl ActorSystem {
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
    ///
    /// # Errors
    ///
    /// [`CreateError::SystemShutDown`] when the system is shut down, [`CreateError::NoRuntime`]
    /// when there is no tokio runtime to run the troupe on. Workers are made later, as work comes:
    /// one that cannot be made then is logged, and its job waits.
    ///
    /// ```
    /// use thespian::prelude::*;
    /// use thespian::TroupeOptions;
    ///
    /// struct Scanner;
    ///
    /// #[actor]
    /// impl Scanner {
    ///     async fn words(&mut self, page: String) -> usize {
    ///         page.split_whitespace().count()
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let system = ActorSystem::new();
    /// let options = TroupeOptions::new().max_count(3).idle_count(1);
    /// let scanners = system.create_troupe(|| Scanner, options).await?;
    /// let pages = ["one", "one two", "one two three"];
    /// let jobs: Vec<_> = pages.map(|p| scanners.words(p.to_string()).ask()).into();
    /// let mut counts = Vec::new();
    /// for job in jobs {
    ///     counts.push(job.await?);
    /// }
    /// assert_eq!(counts, [1, 2, 3]); // each ask gets its own page's answer
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
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
        // On the sequential base the actors answer in turns, granted while the system is driven.
        let actors = self.shared.drive(collect).await.unwrap_or_default();
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
    /// (Thespian's `ActorSystem.tell`; an actor sends as itself with [`Context::tell`](crate::Context::tell) or
    /// [`Addr::tell`]). If the actor has exited, the message becomes a dead letter (use
    /// [`Addr::tell`] to get it back instead).
    ///
    /// The message is sent when this returns; awaiting the [`Delivery`] only waits for room in a
    /// full bounded mailbox.
    ///
    /// # Cancel safety
    ///
    /// Dropping the `Delivery` does not take the message back. Dropped while it waits for room in
    /// a full bounded mailbox, its message becomes a dead letter.
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
    /// [`AskError`](crate::AskError), as for [`Addr::ask`](crate::Addr::ask).
    ///
    /// # Cancel safety
    ///
    /// The request is sent when this returns, unless the target's bounded mailbox is full: then
    /// the [`Ask`] holds it until there is room. Dropping the `Ask` does not take a sent request
    /// back (the actor still handles it, and its reply becomes a dead letter); a request still
    /// waiting for room is dropped unsent.
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
        // Waits in the system's time, while driving it.
        self.shared
            .drive(listen)
            .await
            .unwrap_or(Err(ListenError::Timeout(timeout)))
    }

    /// For the sequential base: lets the system handle every waiting message (and those they
    /// cause) and returns when none is left. Pending timers do not count: they fire when the system
    /// is next driven and has nothing else to do. Returns at once for the default base, and when
    /// called from a handler of the system itself (which holds its turn until it returns).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::sync::Arc;
    /// use thespian::prelude::*;
    ///
    /// struct Relay { next: Option<Addr<Relay>>, hops: Arc<AtomicU32> }
    ///
    /// #[actor]
    /// impl Relay {
    ///     async fn pass(&mut self) {
    ///         self.hops.fetch_add(1, Ordering::SeqCst);
    ///         if let Some(next) = &self.next {
    ///             let _ = next.pass().tell().await;
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::builder().sequential().build();
    /// let hops = Arc::new(AtomicU32::new(0));
    /// let last = system.create_actor(Relay { next: None, hops: hops.clone() }).await?;
    /// let first = system.create_actor(Relay { next: Some(last), hops: hops.clone() }).await?;
    /// first.pass().tell().await?;
    /// assert_eq!(hops.load(Ordering::SeqCst), 0); // queued: nothing has driven the system yet
    /// system.run_until_idle().await;
    /// assert_eq!(hops.load(Ordering::SeqCst), 2); // the message, and the one it caused
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run_until_idle(&self) {
        #[cfg(feature = "sequential")]
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
    #[cfg(feature = "sequential")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sequential")))]
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
        self.shared.drive(wait).await;
        #[cfg(feature = "sequential")]
        if let Some(seq) = &self.shared.sequential {
            seq.stop();
        }
        self.shared.deadlines.close();
        tracing::debug!(system = %self.shared.name, "actor system shut down");
    }
}

/// The system a handler's actor belongs to.
impl<A: Actor> crate::Context<A> {
    /// The actor system this actor runs in.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// struct Named;
    ///
    /// #[actor]
    /// impl Named {
    ///     async fn system_name(&self, ctx: &Context<Self>) -> String {
    ///         ctx.system().name().to_string()
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// # let system = ActorSystem::builder().name("docs").build();
    /// let named = system.create_actor(Named).await?;
    /// assert_eq!(named.system_name().ask().await?, "docs");
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn system(&self) -> ActorSystem {
        ActorSystem::from_shared(self.myself.cell.system.clone())
    }
}
