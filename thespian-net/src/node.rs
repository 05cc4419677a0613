//! The networked actor system: a listener, the links to other nodes, and the transport that the
//! core's proxies send through.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use thespian::remote::{self, Link, NodeId, Transport};
use thespian::{Actor, ActorAddress, ActorSystem, Addr, WeakActorSystem};
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use crate::admission::{Admission, Refusals};
use crate::config::NetConfig;
use crate::conn;
use crate::error::{HandshakeError, NetError};
use crate::handshake::{self, Shaken};
use crate::link::{LinkHandle, LinkInner};
use crate::stream::Stream;

/// The state shared by a node's tasks; installed on the actor system as its transport.
pub(crate) struct NetInner {
    pub(crate) node: NodeId,
    pub(crate) config: NetConfig,
    /// Weak: the system holds this transport, so a strong handle would keep both alive forever.
    pub(crate) system: WeakActorSystem,
    links: Mutex<HashMap<NodeId, Arc<LinkInner>>>,
    pub(crate) cancel: CancellationToken,
    runtime: Handle,
    connections: AtomicU64,
    /// Told when a connection to a node is lost (the convention's leader drops the member).
    down_listeners: Mutex<Vec<DownListener>>,
    /// Refused connections, logged a few at a time (see `admission`).
    pub(crate) refusals: Refusals,
    /// Where gossip frames go: the membership task, once started.
    gossip: Mutex<Option<crate::membership::GossipSink>>,
    /// Addresses this node is cut off from (a partition injected by a test; see
    /// `__testing::partition`), and whether there are any.
    partitioned: Mutex<std::collections::HashSet<SocketAddr>>,
    any_partitioned: std::sync::atomic::AtomicBool,
    /// Gossip frames sent, and their bytes (frame prefix and header included).
    pub(crate) gossip_sent: (AtomicU64, AtomicU64),
    /// Heartbeat frames sent.
    pub(crate) heartbeats: AtomicU64,
    /// The nodes the convention's membership watches (their links need no heartbeats).
    watched: Mutex<BTreeSet<NodeId>>,
    /// The accept loop, awaited by `shutdown` so that the port is free when it returns.
    accepting: Mutex<Option<tokio::task::JoinHandle<()>>>,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::tls::Tls>,
}

impl NetInner {
    pub(crate) fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(task);
    }

    /// Whether this node is cut off from `addr` (only ever by a test).
    pub(crate) fn cut_off(&self, addr: SocketAddr) -> bool {
        self.any_partitioned.load(Ordering::Relaxed)
            && self
                .partitioned
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&addr)
    }

    /// Cuts this node off from `addrs` (connections to them close, none opens), or, with
    /// none, heals.
    pub(crate) fn partition(&self, addrs: &[SocketAddr]) {
        let mut partitioned = self.partitioned.lock().unwrap_or_else(|e| e.into_inner());
        partitioned.clear();
        partitioned.extend(addrs.iter().copied());
        self.any_partitioned
            .store(!partitioned.is_empty(), Ordering::Relaxed);
        drop(partitioned);
        let links: Vec<_> = self
            .links()
            .values()
            .filter(|l| addrs.contains(&l.node.addr))
            .cloned()
            .collect();
        for link in links {
            link.cut();
        }
    }

    /// Routes gossip frames to the membership task.
    pub(crate) fn set_gossip(&self, sink: crate::membership::GossipSink) {
        *self.gossip.lock().unwrap_or_else(|e| e.into_inner()) = Some(sink);
    }

    /// A gossip frame arrived (dropped when no membership runs here).
    pub(crate) fn gossip_in(&self, from: NodeId, body: &[u8]) {
        if let Some(sink) = &*self.gossip.lock().unwrap_or_else(|e| e.into_inner()) {
            sink.deliver(from, body);
        }
    }

    /// The membership now watches exactly `alive`: links to nodes it began watching stop asking
    /// for heartbeats, links to nodes it stopped watching ask for them again.
    pub(crate) fn watch(self: &Arc<Self>, alive: &BTreeSet<NodeId>) {
        let mut watched = self.watched.lock().unwrap_or_else(|e| e.into_inner());
        if *watched == *alive {
            return;
        }
        let left: Vec<NodeId> = watched.difference(alive).copied().collect();
        let came: Vec<NodeId> = alive.difference(&watched).copied().collect();
        watched.clone_from(alive);
        drop(watched);
        for node in left {
            if let Some(link) = self.existing_link(node) {
                link.set_watched(false);
            }
        }
        for node in came {
            self.link(node).set_watched(true);
        }
    }

    /// The links by node, locked (a lock poisoned elsewhere still guards a whole map).
    pub(crate) fn links(&self) -> MutexGuard<'_, HashMap<NodeId, Arc<LinkInner>>> {
        self.links.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn existing_link(&self, node: NodeId) -> Option<Arc<LinkInner>> {
        let links = self.links();
        links.get(&node).cloned()
    }

    /// Writes that carried frames, over every link (links are never dropped: the sum is whole).
    fn writes(&self) -> u64 {
        let links = self.links();
        links.values().map(|link| link.writes()).sum()
    }

    pub(crate) fn next_connection_id(&self) -> u64 {
        self.connections.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The link to `node`, made on first use.
    pub(crate) fn link(self: &Arc<Self>, node: NodeId) -> Arc<LinkInner> {
        let mut links = self.links();
        links
            .entry(node)
            .or_insert_with(|| LinkInner::new(node, self))
            .clone()
    }
}

/// What a node's connections have done since it started (see [`NetSystem::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct NetStats {
    /// Connections made, dialed or accepted, that passed the handshake.
    pub connections: u64,
    /// Heartbeat frames sent. None go to a node the convention's membership watches: SWIM's
    /// probes tell whether it is alive.
    pub heartbeats: u64,
    /// Writes to connections that carried frames: one per batch a connection's writer wrote, and
    /// one per lone frame its sender wrote itself. A stream of messages to one node goes out in
    /// batches of up to 64 KiB, so this grows far slower than the messages sent (more slowly still
    /// when the senders keep the CPU: a batch grows while they keep adding to it).
    pub writes: u64,
    /// Connections accepted and then refused: the peer did not prove the secret (or its TLS
    /// certificate did not pass) within the accept deadline, or newer connections took its slot.
    pub refused: u64,
}

/// Called with a node whose connection was lost.
pub(crate) type DownListener = Box<dyn Fn(NodeId) + Send + Sync>;

impl NetInner {
    /// `node` is lost (silent too long, or its connection failed and it could not be dialed
    /// again): the actors waiting on it hear so, then the listeners.
    pub(crate) fn node_down(&self, node: NodeId) {
        tracing::debug!(target: "thespian_net", %node, "node lost");
        if let Some(system) = self.system.upgrade() {
            remote::node_lost(&system, node);
        }
        let listeners = self
            .down_listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for listener in listeners.iter() {
            listener(node);
        }
    }
}

/// The transport as the core sees it (a newtype, so the core never holds a strong `NetInner`
/// through anything but this).
struct NetTransport(Arc<NetInner>);

impl Transport for NetTransport {
    fn node(&self) -> NodeId {
        self.0.node
    }

    fn link(&self, node: NodeId) -> Arc<dyn Link> {
        Arc::new(LinkHandle(self.0.link(node)))
    }
}

/// An actor system reachable over TCP: its actors' addresses work from any node that shares the
/// secret.
///
/// ```
/// use std::time::Duration;
/// use thespian::prelude::*;
/// use thespian_net::{NetConfig, NetSystem};
///
/// #[derive(Default)]
/// struct Counter { total: u64 }
///
/// #[actor]
/// impl Counter {
///     async fn add(&mut self, n: u64) { self.total += n; }
///     async fn total(&self) -> u64 { self.total }
/// }
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let secret = thespian_net::Secret::generate()?;
/// let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
/// // Node one holds the counter under a global name.
/// let one = ActorSystem::new();
/// let net_one = NetSystem::start(&one, config()).await?;
/// one.create_actor_with(Counter::default(), ActorOptions::new().name("counter")).await?;
///
/// // Node two finds it by name and uses it like a local actor.
/// let two = ActorSystem::new();
/// let net_two = NetSystem::start(&two, config()).await?;
/// let counter: Addr<Counter> =
///     net_two.lookup(net_one.local_addr(), "counter", Duration::from_secs(2)).await?;
/// counter.add(40).tell().await?;
/// counter.add(2).tell().await?;
/// assert_eq!(counter.total().ask().await?, 42);
///
/// net_two.shutdown().await;
/// net_one.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct NetSystem {
    inner: Arc<NetInner>,
    system: ActorSystem,
    local_addr: SocketAddr,
}

impl std::fmt::Debug for NetSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetSystem")
            .field("node", &self.inner.node)
            .finish_non_exhaustive()
    }
}

impl NetSystem {
    /// The shared state behind this handle (for the crate's own layers).
    pub(crate) fn inner(&self) -> &Arc<NetInner> {
        &self.inner
    }

    /// Listens on the configured address and networks `system`: from now on its addresses can
    /// be sent to other nodes, and addresses from other nodes reach their actors. Must be called
    /// inside a tokio runtime (the node's tasks run there).
    ///
    /// # Errors
    ///
    /// [`NetError::Io`] when the listen address is unspecified (`0.0.0.0` or `::`: peers could
    /// not dial it) or cannot be bound; [`NetError::Install`] when `system` is sequential or
    /// already networked; [`NetError::Tls`] when the TLS configuration cannot be used; and
    /// [`NetError::Handshake`] in the unlikely case that the operating system's random source
    /// fails.
    ///
    /// # Panics
    ///
    /// When called outside a tokio runtime, or in one built without I/O enabled (tokio's
    /// listener and runtime handle need them).
    ///
    /// ```
    /// # use thespian::prelude::*;
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use thespian_net::{NetConfig, NetSystem, Secret};
    ///
    /// let system = ActorSystem::new();
    /// let secret = Secret::generate()?; // every node of a convention shares it
    /// let net_here = NetSystem::start(&system, NetConfig::new("127.0.0.1:0".parse()?, secret)).await?;
    /// # net_here.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start(system: &ActorSystem, config: NetConfig) -> Result<NetSystem, NetError> {
        #[cfg(feature = "tls")]
        let config_tls = config.tls.clone();
        if config.listen.ip().is_unspecified() {
            // The address is also the node's name for its peers: it must be one they can dial.
            return Err(NetError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "listen on a specific address (the node is known by it), not 0.0.0.0 or ::",
            )));
        }
        let listener = TcpListener::bind(config.listen).await?;
        let local_addr = listener.local_addr()?;
        let incarnation =
            u64::from_le_bytes(handshake::random::<8>().map_err(|e| NetError::Handshake {
                peer: local_addr,
                reason: e,
            })?) | 1;
        let inner = Arc::new(NetInner {
            node: NodeId {
                addr: config.advertise.unwrap_or(local_addr),
                incarnation,
            },
            config,
            system: system.downgrade(),
            links: Mutex::new(HashMap::new()),
            cancel: CancellationToken::new(),
            runtime: Handle::current(),
            connections: AtomicU64::new(0),
            gossip: Mutex::new(None),
            gossip_sent: (AtomicU64::new(0), AtomicU64::new(0)),
            heartbeats: AtomicU64::new(0),
            watched: Mutex::new(BTreeSet::new()),
            partitioned: Mutex::new(Default::default()),
            any_partitioned: std::sync::atomic::AtomicBool::new(false),
            accepting: Mutex::new(None),
            refusals: Refusals::default(),
            down_listeners: Mutex::new(Vec::new()),
            #[cfg(feature = "tls")]
            tls: match &config_tls {
                Some(tls) => Some(crate::tls::Tls::new(tls)?),
                None => None,
            },
        });
        remote::install(system, Arc::new(NetTransport(inner.clone())))
            .map_err(NetError::Install)?;
        let accepting = inner.runtime.spawn(accept_loop(inner.clone(), listener));
        *inner.accepting.lock().unwrap_or_else(|e| e.into_inner()) = Some(accepting);
        tracing::info!(target: "thespian_net", node = %inner.node, "listening");
        Ok(NetSystem {
            inner,
            system: system.clone(),
            local_addr,
        })
    }

    /// This node.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian_net::{NetConfig, NetSystem, Secret};
    /// # #[derive(Default)]
    /// # struct Counter { total: u64 }
    /// # #[actor]
    /// # impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let (here, there) = (ActorSystem::new(), ActorSystem::new());
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let counter = there
    /// #     .create_actor_with(Counter::default(), thespian::ActorOptions::new().name("counter"))
    /// #     .await?;
    /// assert_ne!(net_here.node(), net_there.node());
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn node(&self) -> NodeId {
        self.inner.node
    }

    /// The socket address it listens on (with the port chosen, when configured with port 0).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian_net::{NetConfig, NetSystem, Secret};
    /// # #[derive(Default)]
    /// # struct Counter { total: u64 }
    /// # #[actor]
    /// # impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let (here, there) = (ActorSystem::new(), ActorSystem::new());
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let counter = there
    /// #     .create_actor_with(Counter::default(), thespian::ActorOptions::new().name("counter"))
    /// #     .await?;
    /// assert_ne!(net_here.local_addr().port(), 0); // the port chosen for port 0
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// What this node's connections have done since it started: how many it opened or
    /// accepted, how many heartbeats it sent, how many writes carried its frames.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian_net::{NetConfig, NetSystem, Secret};
    /// # #[derive(Default)]
    /// # struct Counter { total: u64 }
    /// # #[actor]
    /// # impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let (here, there) = (ActorSystem::new(), ActorSystem::new());
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let counter = there
    /// #     .create_actor_with(Counter::default(), thespian::ActorOptions::new().name("counter"))
    /// #     .await?;
    /// net_here.connect(net_there.local_addr()).await?;
    /// assert!(net_here.stats().connections >= 1);
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn stats(&self) -> NetStats {
        NetStats {
            connections: self.inner.connections.load(Ordering::Relaxed),
            heartbeats: self.inner.heartbeats.load(Ordering::Relaxed),
            writes: self.inner.writes(),
            refused: self.inner.refusals.total(),
        }
    }

    /// The actor system this node networks.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian_net::{NetConfig, NetSystem, Secret};
    /// # #[derive(Default)]
    /// # struct Counter { total: u64 }
    /// # #[actor]
    /// # impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let (here, there) = (ActorSystem::new(), ActorSystem::new());
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let counter = there
    /// #     .create_actor_with(Counter::default(), thespian::ActorOptions::new().name("counter"))
    /// #     .await?;
    /// assert_eq!(net_here.system().name(), here.name());
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn system(&self) -> &ActorSystem {
        &self.system
    }

    /// Connects to the node listening at `addr` (proving the secret both ways) and returns its
    /// identity. Sends open connections by themselves; this is for finding out who is there.
    ///
    /// # Errors
    ///
    /// [`NetError::Shutdown`] after [`shutdown`](Self::shutdown); [`NetError::Io`] when the TCP
    /// (or TLS) connection fails; [`NetError::Handshake`] when the peer fails the handshake
    /// (another secret or protocol version), or connecting and the handshake together take
    /// longer than the handshake timeout.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian_net::{NetConfig, NetSystem, Secret};
    /// # #[derive(Default)]
    /// # struct Counter { total: u64 }
    /// # #[actor]
    /// # impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let (here, there) = (ActorSystem::new(), ActorSystem::new());
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let counter = there
    /// #     .create_actor_with(Counter::default(), thespian::ActorOptions::new().name("counter"))
    /// #     .await?;
    /// let node = net_here.connect(net_there.local_addr()).await?;
    /// assert_eq!(node, net_there.node());
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(&self, addr: SocketAddr) -> Result<NodeId, NetError> {
        if self.inner.cancel.is_cancelled() {
            return Err(NetError::Shutdown);
        }
        // A node already connected there is reused (the newest run, if several are known).
        let known = {
            let links = self.inner.links();
            links
                .values()
                .filter(|l| l.node.addr == addr && l.connected())
                .map(|l| l.node)
                .max_by_key(|n| n.incarnation)
        };
        if let Some(node) = known {
            return Ok(node);
        }
        let (stream, Shaken { node, keys }) = conn::dial(&self.inner, addr, None).await?;
        let link = self.inner.link(node);
        let cancel = self.inner.cancel.child_token();
        let id = self.inner.next_connection_id();
        let carries = link.dialed(id, &cancel);
        conn::run(self.inner.clone(), stream, keys, node, id, cancel, carries);
        Ok(node)
    }

    /// The actor holding global name `name` on the node at `addr`, as a typed address that
    /// sends there.
    ///
    /// # Errors
    ///
    /// As for [`lookup_address`](Self::lookup_address); and [`NetError::NotFound`] when the actor
    /// of that name is not an `A`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian_net::{NetConfig, NetSystem, Secret};
    /// # #[derive(Default)]
    /// # struct Counter { total: u64 }
    /// # #[actor]
    /// # impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let (here, there) = (ActorSystem::new(), ActorSystem::new());
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let counter = there
    /// #     .create_actor_with(Counter::default(), thespian::ActorOptions::new().name("counter"))
    /// #     .await?;
    /// let remote: Addr<Counter> = net_here
    ///     .lookup(net_there.local_addr(), "counter", Duration::from_secs(5))
    ///     .await?;
    /// remote.add(2).tell().await?;
    /// assert_eq!(remote.total().ask().await?, 2); // asked across the connection
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn lookup<A: Actor>(
        &self,
        addr: SocketAddr,
        name: &str,
        timeout: Duration,
    ) -> Result<Addr<A>, NetError> {
        let address = self.lookup_address(addr, name, timeout).await?;
        address
            .downcast::<A>()
            .ok_or_else(|| NetError::NotFound(name.to_owned()))
    }

    /// The actor holding global name `name` on the node at `addr`, whatever its type. At this
    /// node's own address, the local actor of that name.
    ///
    /// # Errors
    ///
    /// [`NetError::NotFound`] when no live actor holds the name there; [`NetError::Timeout`] when
    /// the whole lookup takes longer than `timeout`; as for [`connect`](Self::connect) when the
    /// node cannot be reached; [`NetError::Wire`] when the request cannot be sent or the answer
    /// not decoded; [`NetError::Lost`] when the connection is lost before the answer.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian_net::{NetConfig, NetSystem, Secret};
    /// # #[derive(Default)]
    /// # struct Counter { total: u64 }
    /// # #[actor]
    /// # impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let (here, there) = (ActorSystem::new(), ActorSystem::new());
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let counter = there
    /// #     .create_actor_with(Counter::default(), thespian::ActorOptions::new().name("counter"))
    /// #     .await?;
    /// let found = net_here
    ///     .lookup_address(net_there.local_addr(), "counter", Duration::from_secs(5))
    ///     .await?;
    /// assert_eq!(found.type_name(), Counter::type_name());
    /// let counter: Addr<Counter> = found.downcast().ok_or("not a counter")?;
    /// assert_eq!(counter.total().ask().await?, 0);
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn lookup_address(
        &self,
        addr: SocketAddr,
        name: &str,
        timeout: Duration,
    ) -> Result<ActorAddress, NetError> {
        if addr == self.local_addr {
            return self
                .system
                .named_address(name)
                .ok_or_else(|| NetError::NotFound(name.to_owned()));
        }
        let work = async {
            let node = self.connect(addr).await?;
            let answer = self.inner.link(node).lookup(name)?;
            let bytes = answer.await.map_err(|_| NetError::Lost(node))?;
            let found: Option<ActorAddress> = self.decode(&bytes)?;
            found.ok_or_else(|| NetError::NotFound(name.to_owned()))
        };
        tokio::time::timeout(timeout, work)
            .await
            .unwrap_or(Err(NetError::Timeout(timeout)))
    }

    /// Finds the `A` named `name` on the node at `node` and asks it with `ask`, all within
    /// `timeout` (the status queries of the convention and the process base).
    pub(crate) async fn ask_named<A, R, F>(
        &self,
        node: SocketAddr,
        name: &str,
        timeout: Duration,
        ask: impl FnOnce(Addr<A>) -> F,
    ) -> Result<R, NetError>
    where
        A: Actor,
        F: std::future::Future<Output = Result<R, thespian::AskError>>,
    {
        let query = async {
            let actor = self.lookup::<A>(node, name, timeout).await?;
            ask(actor)
                .await
                .map_err(|error| NetError::Ask { peer: node, error })
        };
        tokio::time::timeout(timeout, query)
            .await
            .unwrap_or(Err(NetError::Timeout(timeout)))
    }

    /// Decodes bytes that may hold addresses, resolving them on this node (addresses of other
    /// nodes become proxies).
    ///
    /// # Errors
    ///
    /// [`NetError::Wire`] when the bytes are not a `T` (including an address of another actor
    /// type than the one expected).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian_net::{NetConfig, NetSystem, Secret};
    /// # #[derive(Default)]
    /// # struct Counter { total: u64 }
    /// # #[actor]
    /// # impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let (here, there) = (ActorSystem::new(), ActorSystem::new());
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let counter = there
    /// #     .create_actor_with(Counter::default(), thespian::ActorOptions::new().name("counter"))
    /// #     .await?;
    /// // An address travels as bytes (here by hand; inside messages, serde does it).
    /// let bytes = postcard::to_stdvec(&counter)?;
    /// let remote: Addr<Counter> = net_here.decode(&bytes)?;
    /// remote.add(3).tell().await?;
    /// assert_eq!(remote.total().ask().await?, 3);
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn decode<T: serde::de::DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, NetError> {
        Ok(remote::decoding(&self.system, || remote::decode(bytes))?)
    }

    /// Calls `listener` with every node whose connection is lost (closed, or silent too long).
    pub(crate) fn on_node_down(&self, listener: DownListener) {
        self.inner
            .down_listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(listener);
    }

    /// Waits until everything queued for other nodes has been handed to its connection (or
    /// `timeout` has passed); whether it was. What is written may still be in flight.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian_net::{NetConfig, NetSystem, Secret};
    /// # #[derive(Default)]
    /// # struct Counter { total: u64 }
    /// # #[actor]
    /// # impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let (here, there) = (ActorSystem::new(), ActorSystem::new());
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let counter = there
    /// #     .create_actor_with(Counter::default(), thespian::ActorOptions::new().name("counter"))
    /// #     .await?;
    /// let remote: Addr<Counter> = net_here
    ///     .lookup(net_there.local_addr(), "counter", Duration::from_secs(5))
    ///     .await?;
    /// remote.add(1).tell().await?;
    /// assert!(net_here.flush(Duration::from_secs(5)).await);
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn flush(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let idle = {
                let links = self.inner.links();
                links.values().all(|link| link.flushed())
            };
            if idle {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    pub(crate) fn inner_config(&self) -> &NetConfig {
        &self.inner.config
    }

    /// Whether a connection to `node` is currently up.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian_net::{NetConfig, NetSystem, Secret};
    /// # #[derive(Default)]
    /// # struct Counter { total: u64 }
    /// # #[actor]
    /// # impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let (here, there) = (ActorSystem::new(), ActorSystem::new());
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let counter = there
    /// #     .create_actor_with(Counter::default(), thespian::ActorOptions::new().name("counter"))
    /// #     .await?;
    /// assert!(!net_here.is_connected(net_there.node()));
    /// net_here.connect(net_there.local_addr()).await?;
    /// assert!(net_here.is_connected(net_there.node()));
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_connected(&self, node: NodeId) -> bool {
        let links = self.inner.links();
        links.get(&node).is_some_and(|l| l.connected())
    }

    /// Stops listening and closes every connection: requests waiting on other nodes fail with
    /// `Unreachable`, queued messages become dead letters. The actor system itself goes on
    /// (shut it down separately); its proxies refuse further sends.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian_net::{NetConfig, NetSystem, Secret};
    /// # #[derive(Default)]
    /// # struct Counter { total: u64 }
    /// # #[actor]
    /// # impl Counter {
    /// #     async fn add(&mut self, n: u64) { self.total += n; }
    /// #     async fn total(&self) -> u64 { self.total }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let (here, there) = (ActorSystem::new(), ActorSystem::new());
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let counter = there
    /// #     .create_actor_with(Counter::default(), thespian::ActorOptions::new().name("counter"))
    /// #     .await?;
    /// let remote: Addr<Counter> = net_here
    ///     .lookup(net_there.local_addr(), "counter", Duration::from_secs(5))
    ///     .await?;
    /// net_here.shutdown().await;
    /// assert!(remote.total().ask().await.is_err()); // its proxies refuse
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown(&self) {
        self.inner.cancel.cancel();
        let links: Vec<_> = {
            let links = self.inner.links();
            links.values().cloned().collect()
        };
        for link in links {
            link.lost("the network system is shut down", true);
        }
        let accepting = self
            .inner
            .accepting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(accepting) = accepting {
            // The listener is closed when this returns: the port can be bound again.
            let _ = accepting.await;
        }
        // Let the connection tasks see the cancellation and close their sockets.
        tokio::task::yield_now().await;
    }
}

/// Accepts connections until the node shuts down; each proves the secret before anything else,
/// holding an admission slot meanwhile (see `admission`).
async fn accept_loop(net: Arc<NetInner>, listener: TcpListener) {
    let admission = Arc::new(Admission::default());
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = net.cancel.cancelled() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(target: "thespian_net", error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let net = net.clone();
        let admission = admission.clone();
        net.clone().spawn(async move {
            let slot = admission.admit(peer.ip());
            let shake = async {
                let mut stream = Stream::accept(&net, tcp)
                    .await
                    .map_err(|e| HandshakeError::Malformed(format!("transport: {e}")))?;
                let channel = stream.channel()?;
                let shaken =
                    handshake::accept(&mut stream, &net.config.key, net.node, &channel).await?;
                Ok::<_, HandshakeError>((stream, shaken))
            };
            // An unauthenticated peer has the accept deadline to prove the secret.
            let limit = net.config.accept_timeout.min(net.config.handshake_timeout);
            let outcome = tokio::select! {
                _ = slot.evicted.cancelled() => Err(("evicted", "newer connections took its slot".to_owned())),
                shaken = tokio::time::timeout(limit, shake) => match shaken {
                    Ok(Ok(accepted)) => Ok(accepted),
                    Ok(Err(reason)) => Err(("handshake refused", reason.to_string())),
                    Err(_) => Err(("handshake timed out", format!("no proof within {limit:?}"))),
                },
            };
            drop(slot);
            let outcome = outcome.and_then(|(stream, shaken)| {
                if net.cut_off(shaken.node.addr) {
                    Err(("partitioned", "cut off by a test".to_owned()))
                } else {
                    Ok((stream, shaken))
                }
            });
            let (stream, Shaken { node, keys }) = match outcome {
                Ok(accepted) => accepted,
                Err((kind, detail)) => {
                    net.refusals.refused(peer, kind, &detail);
                    return;
                }
            };
            let link = net.link(node);
            let cancel = net.cancel.child_token();
            let id = net.next_connection_id();
            let carries = link.adopt(id, &cancel);
            tracing::debug!(target: "thespian_net", %node, carries, "peer connected");
            conn::run(net.clone(), stream, keys, node, id, cancel, carries);
        });
    }
}
