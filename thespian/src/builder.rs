//! [`ActorSystemBuilder`]: how an actor system is set up.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::Notify;

use crate::capabilities::{Capabilities, CapabilityValue};
use crate::outside::OutsideCell;
use crate::registry::{GlobalNames, TopLevel};
#[cfg(feature = "sequential")]
use crate::sequential::Sequential;
use crate::system::shared::SystemShared;
use crate::system::ActorSystem;

/// Builds an [`ActorSystem`]: its name, capabilities and defaults.
///
/// ```
/// use std::time::Duration;
/// use thespian::{ActorSystem, Capabilities};
///
/// let system = ActorSystem::builder()
///     .name("billing")
///     .capabilities(Capabilities::new().with("Hello World", true))
///     .default_ask_timeout(Duration::from_secs(2))
///     .build();
/// assert_eq!(system.name(), "billing");
/// assert!(system.capabilities().is_true("Hello World"));
/// ```
#[derive(Debug, Clone)]
pub struct ActorSystemBuilder {
    name: Option<String>,
    capabilities: Capabilities,
    default_ask_timeout: Duration,
    mailbox_capacity: Option<usize>,
    handle: Option<Handle>,
    #[cfg(feature = "sequential")]
    sequential: bool,
    #[cfg(feature = "sequential")]
    seed: Option<u64>,
    #[cfg(feature = "sequential")]
    trace: bool,
    outside_capacity: usize,
}

impl Default for ActorSystemBuilder {
    /// The defaults of [`ActorSystem::new`].
    fn default() -> Self {
        ActorSystemBuilder {
            name: None,
            capabilities: Capabilities::new(),
            default_ask_timeout: Duration::from_secs(5),
            mailbox_capacity: None,
            outside_capacity: 10_000,
            handle: None,
            #[cfg(feature = "sequential")]
            sequential: false,
            #[cfg(feature = "sequential")]
            seed: None,
            #[cfg(feature = "sequential")]
            trace: false,
        }
    }
}

impl ActorSystemBuilder {
    /// Chooses the sequential base (Thespian's `simpleSystemBase`): all actors run on the thread
    /// of the call that drives the system (an ask, `listen`, `run_until_idle`, `status`,
    /// `shutdown`), one message at a time in the order the messages were generated, in virtual
    /// time. Actors need no change. See the [`sequential`](crate::sequential) module for what it
    /// does and cannot do.
    #[cfg(feature = "sequential")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sequential")))]
    pub fn sequential(mut self) -> Self {
        self.sequential = true;
        self
    }

    /// For the sequential base: permutes the order of messages that arrive together, reproducibly
    /// for a given seed, to explore other schedules. Implies [`sequential`](Self::sequential).
    #[cfg(feature = "sequential")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sequential")))]
    pub fn seed(mut self, seed: u64) -> Self {
        self.sequential = true;
        self.seed = Some(seed);
        self
    }

    /// For the sequential base: records every handled message (see
    /// [`ActorSystem::trace`]). Implies [`sequential`](Self::sequential).
    #[cfg(feature = "sequential")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sequential")))]
    pub fn trace(mut self) -> Self {
        self.sequential = true;
        self.trace = true;
        self
    }

    /// Names the system (for logs); by default `system-<id>`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the system's capabilities.
    pub fn capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// Sets one capability.
    pub fn capability(
        mut self,
        name: impl Into<String>,
        value: impl Into<CapabilityValue>,
    ) -> Self {
        self.capabilities.set(name, value);
        self
    }

    /// The timeout of asks that do not give one (the `#[actor]`-generated methods); 5 s by default.
    pub fn default_ask_timeout(mut self, timeout: Duration) -> Self {
        self.default_ask_timeout = timeout;
        self
    }

    /// Gives every actor a bounded mailbox of `capacity` messages: `tell` then waits for room and
    /// `try_tell` fails with [`TrySendError::Full`](crate::TrySendError::Full). Unbounded by default.
    pub fn mailbox_capacity(mut self, capacity: usize) -> Self {
        self.mailbox_capacity = Some(capacity.max(1));
        self
    }

    /// How many messages to the outside of the system (read with
    /// [`listen`](crate::ActorSystem::listen)) are kept for it; default 10,000. Past that, while
    /// nobody listens, they become dead letters (counted, and one warning per burst).
    pub fn outside_capacity(mut self, capacity: usize) -> Self {
        self.outside_capacity = capacity.max(1);
        self
    }

    /// Runs the actors on this tokio runtime rather than the one current where they are created.
    /// (A sequential system runs its actors itself and has no use for it.)
    pub fn runtime(mut self, handle: Handle) -> Self {
        self.handle = Some(handle);
        self
    }

    /// Builds the system. Needs no runtime yet: actors are started on the runtime given with
    /// [`runtime`](Self::runtime), or else on the one current where they are created (a
    /// sequential system needs none: it runs its actors within the calls that drive it).
    pub fn build(self) -> ActorSystem {
        static NEXT_SYSTEM: AtomicU64 = AtomicU64::new(1);
        let id = NEXT_SYSTEM.fetch_add(1, Ordering::Relaxed);
        let name = self.name.unwrap_or_else(|| format!("system-{id}"));
        #[cfg(feature = "sequential")]
        let sequential = self
            .sequential
            .then(|| Sequential::new(self.seed, self.trace));
        // A sequential system runs its tasks itself, on the caller's thread.
        #[cfg(feature = "sequential")]
        let handle = match &sequential {
            Some(_) => None,
            None => self.handle.or_else(|| Handle::try_current().ok()),
        };
        #[cfg(not(feature = "sequential"))]
        let handle = self.handle.or_else(|| Handle::try_current().ok());
        let outside_capacity = self.outside_capacity;
        ActorSystem::from_shared(Arc::new_cyclic(|system| {
            crate::system::directory::enter(id, system.clone());
            SystemShared {
                id,
                name,
                handle,
                default_ask_timeout: self.default_ask_timeout,
                mailbox_capacity: self.mailbox_capacity,
                outside: OutsideCell::new(id, outside_capacity, system.clone()),
                top_level: TopLevel::default(),
                live: AtomicUsize::new(0),
                all_exited: Notify::new(),
                shutting_down: AtomicBool::new(false),
                dead_letters: AtomicU64::new(0),
                dead_letter_handler: Mutex::new(None),
                dead_letter_handler_id: AtomicU64::new(0),
                capabilities: RwLock::new(self.capabilities),
                names: Mutex::new(GlobalNames::default()),
                ordinals: AtomicU32::new(0),
                #[cfg(feature = "sequential")]
                sequential,
                named: AtomicBool::new(false),
                restarts: AtomicU64::new(0),
                deadlines: Arc::default(),
                handles: AtomicUsize::new(0),
                remote: OnceLock::new(),
                proxies: Mutex::default(),
                watches: Default::default(),
                processes: OnceLock::new(),
                exports: Mutex::default(),
                #[cfg(feature = "remote")]
                exported_replies: Mutex::default(),
            }
        }))
    }
}

/// Setting a system up: with the defaults, or through a builder.
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
}

impl Default for ActorSystem {
    fn default() -> Self {
        Self::new()
    }
}
