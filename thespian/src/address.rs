//! Addresses: how actors are named and reached.
//!
//! * [`Addr<A>`] — the typed address of an actor of type `A`: it accepts exactly `A`'s messages and
//!   gives typed replies. This is what [`create_actor`](crate::ActorSystem::create_actor) returns.
//! * [`ActorAddress`] — the untyped address of any actor (or of the outside of a system): it
//!   compares, hashes and prints, and can ask an actor to exit; messages sent through it are checked
//!   at run time.
//! * [`Recipient<M>`] — the address of *some* actor that accepts messages of type `M`.
//!
//! All three are cheap to clone (one reference count), `Send + Sync`, and serialize (with serde) as
//! an actor id that the receiving side resolves again. Delivery goes through the actor's cell, which
//! owns the mailbox; the cell is the seam where a remote transport plugs in underneath the address,
//! so actor code never sees whether its peer is local.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use crate::actor::Actor;
use crate::cell::{ActorCell, AnyCell, Deliver};
use crate::id::{short_type_name, ActorId};

/// The typed address of an actor of type `A`.
///
/// Cheap to clone, `Send + Sync`, comparable and hashable by actor identity, printable, and
/// serializable. Sending through it checks the message type at compile time.
///
/// Clippy's `mutable_key_type` lint fires on a `HashSet<Addr<_>>`, because the mailbox behind an
/// address holds a lock. Hashing uses only the actor's id, which never changes, so allowing the
/// lint is sound (or key the set by [`Addr::id`]).
///
/// ```
/// use std::time::Duration;
/// use thespian::prelude::*;
///
/// struct Doubler;
/// struct Double(u64);
/// impl Message for Double { type Reply = u64; }
/// impl Mail for Double {}
///
/// impl Actor for Doubler {
///     type Message = Double;
///     async fn handle(&mut self, Double(n): Double, ctx: &mut Context<Self>) {
///         ctx.reply(n * 2);
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let system = ActorSystem::new();
/// let doubler: Addr<Doubler> = system.create_actor(Doubler).await.unwrap();
/// assert_eq!(doubler.ask(Double(21), Duration::from_secs(1)).await, Ok(42));
/// system.shutdown().await;
/// # }
/// ```
pub struct Addr<A: Actor> {
    pub(crate) cell: Arc<ActorCell<A>>,
}

impl<A: Actor> Addr<A> {
    pub(crate) fn from_cell(cell: Arc<ActorCell<A>>) -> Self {
        Addr { cell }
    }

    /// The actor's identity: unique in the process, the same for every copy of the address.
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
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// let other = system.create_actor(Counter::default()).await?;
    /// assert_eq!(counter.id(), counter.clone().id());
    /// assert_ne!(counter.id(), other.id());
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn id(&self) -> ActorId {
        self.cell.id
    }

    /// The ask timeout used when none is given: the system's default
    /// ([`ActorSystemBuilder::default_ask_timeout`](crate::ActorSystemBuilder::default_ask_timeout)).
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
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// use std::time::Duration;
    /// let patient = ActorSystem::builder().default_ask_timeout(Duration::from_secs(30)).build();
    /// let slow = patient.create_actor(Counter::default()).await?;
    /// assert_eq!(slow.default_timeout(), Duration::from_secs(30));
    /// # patient.shutdown().await;
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn default_timeout(&self) -> Duration {
        self.cell.system.default_ask_timeout
    }

    /// Asks the actor to exit (see [`ActorExitRequest`](crate::ActorExitRequest)): it handles
    /// what was sent before, runs its `stopping` hook, and waits for its children. Returns `false`
    /// if it had already exited.
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
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// use thespian::ExitReason;
    /// let ended = counter.wait_for_exit();
    /// assert!(counter.request_exit());
    /// assert_eq!(ended.await, ExitReason::Requested);
    /// assert!(!counter.request_exit());
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn request_exit(&self) -> bool {
        self.cell.request_exit()
    }

    /// Whether the actor is still running (it may exit right after this returns: to act on its
    /// end, [`wait_for_exit`](Self::wait_for_exit) or [`Context::watch`](crate::Context::watch)).
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
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// assert!(counter.is_alive());
    /// counter.request_exit();
    /// counter.wait_for_exit().await;
    /// assert!(!counter.is_alive());
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_alive(&self) -> bool {
        self.cell.is_alive()
    }

    /// The number of messages waiting in its mailbox (an estimate while messages move).
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
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// counter.add(1).tell().await?;
    /// assert!(counter.queue_len() <= 1);
    /// counter.total().ask().await?; // handled after the add
    /// assert_eq!(counter.queue_len(), 0);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn queue_len(&self) -> usize {
        self.cell.mailbox.len()
    }

    /// The untyped address of this actor: for code that handles actors of any type (parents,
    /// watchers, dead letters), and to compare with the addresses notices carry.
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
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// let any: ActorAddress = counter.address();
    /// assert_eq!(any, counter.address());
    /// assert_eq!(any.id(), counter.id());
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn address(&self) -> ActorAddress {
        ActorAddress {
            cell: self.cell.clone(),
        }
    }

    /// A [`Recipient`] of messages of type `M` that this actor accepts: an address that names
    /// the message, not the actor, so that actors of different types can be told alike.
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
    /// # let counter = system.create_actor(Counter::default()).await?;
    /// use thespian::Recipient;
    /// let adder: Recipient<CounterAdd> = counter.recipient();
    /// adder.tell(CounterAdd { n: 7 }).await?;
    /// assert_eq!(counter.total().ask().await?, 7);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn recipient<M>(&self) -> Recipient<M>
    where
        M: Send + 'static,
        A::Message: From<M>,
    {
        Recipient {
            cell: self.cell.clone(),
        }
    }
}

impl<A: Actor> Clone for Addr<A> {
    fn clone(&self) -> Self {
        Addr {
            cell: self.cell.clone(),
        }
    }
}

impl<A: Actor> PartialEq for Addr<A> {
    fn eq(&self, other: &Self) -> bool {
        self.cell.id == other.cell.id
    }
}

impl<A: Actor> Eq for Addr<A> {}

impl<A: Actor> Hash for Addr<A> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.cell.id.hash(state)
    }
}

impl<A: Actor> fmt::Debug for Addr<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Addr<{}>#{}",
            short_type_name(A::type_name()),
            self.cell.id
        )
    }
}

impl<A: Actor> fmt::Display for Addr<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", short_type_name(A::type_name()), self.cell.id)
    }
}

impl<A: Actor> From<Addr<A>> for ActorAddress {
    fn from(addr: Addr<A>) -> Self {
        ActorAddress { cell: addr.cell }
    }
}

/// The address of any actor, whatever its type, or of the outside of an actor system.
///
/// It compares, hashes and prints by actor identity. Messages sent through it are checked against
/// the actor's message type at run time; [`downcast`](ActorAddress::downcast) recovers the typed
/// [`Addr`].
#[derive(Clone)]
pub struct ActorAddress {
    pub(crate) cell: Arc<dyn AnyCell>,
}

impl ActorAddress {
    pub(crate) fn from_cell(cell: Arc<dyn AnyCell>) -> Self {
        ActorAddress { cell }
    }

    /// The actor's identity.
    pub fn id(&self) -> ActorId {
        self.cell.id()
    }

    /// The actor's type name (`"outside"` for the outside of a system).
    pub fn type_name(&self) -> &'static str {
        self.cell.type_name()
    }

    /// Whether the actor is still running.
    pub fn is_alive(&self) -> bool {
        self.cell.is_alive()
    }

    /// The number of messages waiting in its mailbox.
    pub fn queue_len(&self) -> usize {
        self.cell.queue_len()
    }

    /// Asks the actor to exit. Returns `false` if it had already exited.
    pub fn request_exit(&self) -> bool {
        self.cell.request_exit()
    }
}

impl PartialEq for ActorAddress {
    fn eq(&self, other: &Self) -> bool {
        self.cell.id() == other.cell.id()
    }
}

impl Eq for ActorAddress {}

impl Hash for ActorAddress {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.cell.id().hash(state)
    }
}

impl<A: Actor> PartialEq<Addr<A>> for ActorAddress {
    fn eq(&self, other: &Addr<A>) -> bool {
        self.cell.id() == other.cell.id
    }
}

impl<A: Actor> PartialEq<ActorAddress> for Addr<A> {
    fn eq(&self, other: &ActorAddress) -> bool {
        self.cell.id == other.cell.id()
    }
}

impl fmt::Debug for ActorAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActorAddress({self})")
    }
}

impl fmt::Display for ActorAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}#{}",
            short_type_name(self.cell.type_name()),
            self.cell.id()
        )
    }
}

/// The address of some actor that accepts messages of type `M`, whatever its own type.
pub struct Recipient<M: Send + 'static> {
    pub(crate) cell: Arc<dyn Deliver<M>>,
}

impl<M: Send + 'static> Recipient<M> {
    /// The actor's identity.
    pub fn id(&self) -> ActorId {
        self.cell.id()
    }

    /// The untyped address of the actor.
    pub fn address(&self) -> ActorAddress {
        self.cell.clone().to_address()
    }

    pub(crate) fn cell(&self) -> &Arc<dyn Deliver<M>> {
        &self.cell
    }
}

impl<M: Send + 'static> Clone for Recipient<M> {
    fn clone(&self) -> Self {
        Recipient {
            cell: self.cell.clone(),
        }
    }
}

impl<M: Send + 'static> PartialEq for Recipient<M> {
    fn eq(&self, other: &Self) -> bool {
        self.cell.id() == other.cell.id()
    }
}

impl<M: Send + 'static> Eq for Recipient<M> {}

impl<M: Send + 'static> Hash for Recipient<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.cell.id().hash(state)
    }
}

impl<M: Send + 'static> fmt::Debug for Recipient<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Recipient<{}>({})",
            short_type_name(std::any::type_name::<M>()),
            self.address()
        )
    }
}

impl<A: Actor, M: Send + 'static> From<Addr<A>> for Recipient<M>
where
    A::Message: From<M>,
{
    fn from(addr: Addr<A>) -> Self {
        Recipient { cell: addr.cell }
    }
}
