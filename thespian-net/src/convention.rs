//! The convention: many nodes working as one, with actors placed by capabilities.
//!
//! No node leads. Every node keeps the membership with SWIM (see `membership`): it probes a
//! random member each heartbeat, suspects one that does not answer (directly or through
//! others), declares it down after `member_timeout`, and spreads what it learns on its probes.
//! The convention address a node is given is a *seed*: where it announces itself, and whom it
//! contacts again whenever it does not see it among the members. Every node runs an agent
//! actor that publishes the node's capabilities and actor count when they change, turns the
//! membership into the node's table of members, and tells the local subscribers what changed
//! ([`ConventionUpdate`]). Losing any node, a seed included, stops nothing.
//!
//! Placement ([`Convention::create_actor`]) asks the actor type's
//! [`capability_check`](thespian::Actor::capability_check) about every node it knows, and tries
//! those that accept in the order of the [`PlacementPolicy`] (by default the least loaded first);
//! the node that accepts creates the actor from its serialized initial value. A node creates only the actor types registered with
//! [`Convention::register`]. [`Convention::create_child`] places an actor the same way as a child
//! of the calling actor: the parent's node remembers it (and hears of it if its node is lost),
//! the child's node knows its parent (and asks it to exit if the parent's node is lost).
//!
//! The convention's own traffic goes through ordinary actors and remote addresses: it is a user of
//! the transport like any other.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thespian::prelude::*;
use thespian::remote::{self, NodeId};
use thespian::{Capabilities, CapabilityValue, CreateError, Supervision};

use crate::membership::{Membership, MembershipConfig};
use crate::{NetError, NetSystem};

/// The global name of every node's agent.
const AGENT: &str = "thespian.convention.agent";

/// How a node takes part in a convention.
#[derive(Debug, Clone)]
pub struct ConventionConfig {
    leader: SocketAddr,
    more_seeds: Vec<SocketAddr>,
    heartbeat: Duration,
    member_timeout: Duration,
    create_timeout: Duration,
}

impl ConventionConfig {
    /// Joins the convention whose address (its first seed) is `leader`: the node there is
    /// where this one announces itself. No node leads; the name is Thespian's "convention
    /// leader address".
    pub fn new(leader: SocketAddr) -> Self {
        ConventionConfig {
            leader,
            more_seeds: Vec::new(),
            heartbeat: Duration::from_millis(300),
            member_timeout: Duration::from_millis(900),
            create_timeout: Duration::from_secs(5),
        }
    }

    /// How often a node probes a member and publishes what changed about itself (default
    /// 300 ms); a member that answers no probe, directly or through others, is suspected, and
    /// dropped after `member_timeout` (default 0.9 s, at least three heartbeats) of suspicion,
    /// so a silent member is gone within about `member_timeout + 2 × heartbeat` once a member
    /// probes it. Longer times suit a loaded machine: a live node whose answers come later than
    /// `member_timeout` is declared down (see [`MembershipTraffic::declared_down`]).
    pub fn timing(mut self, heartbeat: Duration, member_timeout: Duration) -> Self {
        self.heartbeat = heartbeat.max(Duration::from_millis(10));
        // Time for a suspected member to refute the suspicion (one slow answer).
        self.member_timeout = member_timeout.max(self.heartbeat.saturating_mul(3));
        self
    }

    /// More seeds: addresses of nodes this node contacts, besides the convention address, when
    /// they are not among the members it knows (at its start, and whenever it finds itself
    /// without them). With several seeds, a node can join while the convention address is
    /// down.
    pub fn seeds(mut self, seeds: impl IntoIterator<Item = SocketAddr>) -> Self {
        self.more_seeds.extend(seeds);
        self
    }

    /// The convention address, then the other seeds.
    fn seeds_iter(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        std::iter::once(self.leader).chain(self.more_seeds.iter().copied())
    }

    /// How long a placement may take, all candidate nodes included (default 5 s).
    pub fn create_timeout(mut self, timeout: Duration) -> Self {
        self.create_timeout = timeout;
        self
    }
}

/// One node of the convention, as this node knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The node.
    pub node: NodeId,
    /// Its capabilities, as it last published them.
    pub capabilities: Capabilities,
    /// How many actors were alive on it, as it last published.
    pub actors: usize,
    agent: Addr<Agent>,
}

/// The membership traffic a node has sent (see [`Convention::membership_traffic`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MembershipTraffic {
    /// Gossip frames sent.
    pub frames: u64,
    /// Their bytes, as framed.
    pub bytes: u64,
    /// Gossip frames that arrived while this node's membership was too busy to take them
    /// (dropped; SWIM retries probes and asks again for missing data).
    pub dropped: u64,
    /// Times the other members declared this node down while it was running (a suspicion it
    /// could not refute within the member timeout): each time it rejoined under a renewed
    /// identity, and the other members' subscribers heard it leave and join again. Non-zero
    /// means the member timeout is too short for this machine's load.
    pub declared_down: u64,
}

/// What a node answers a status query with (see [`Convention::status`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConventionStatus {
    /// The node asked.
    pub node: NodeId,
    /// The convention address (the first seed) it was given.
    pub leader: SocketAddr,
    /// Whether it listens at the convention address.
    pub is_leader: bool,
    /// The members it believes alive (itself included).
    pub members: Vec<Member>,
}

/// A change of the convention's membership, told to subscribers (Thespian's
/// `ActorSystemConventionUpdate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ConventionUpdate {
    /// A node joined, with these capabilities.
    Joined(Member),
    /// A node left (stopped, or stopped answering).
    Left(Member),
    /// A node's capabilities changed.
    Changed(Member),
}

impl Message for ConventionUpdate {
    type Reply = ();
}

/// Makes a registered actor type from its serialized value, on this node, as asked by a
/// placement: its requirements, supervision and parent (on another node), if any.
type Factory = fn(
    NetSystem,
    Vec<u8>,
    Order,
) -> Pin<Box<dyn Future<Output = Result<ActorAddress, String>> + Send>>;

/// What a placement asks of the node that creates the actor, beside its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Order {
    requirements: Capabilities,
    supervision: Policy,
    /// The actor that asked for it, on another node: its parent.
    parent: Option<ActorAddress>,
}

/// A supervision policy that can travel: a restart makes the fresh actor from the initial value
/// again, on the node where the actor runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
enum Policy {
    #[default]
    Resume,
    Restart {
        max_restarts: u32,
        within: Duration,
    },
    Stop,
}

/// How the convention creates an actor: the requirements its type's
/// [`capability_check`](thespian::Actor::capability_check) is asked about, and its supervision
/// (which must be able to travel with it: a restart makes a fresh actor from the initial value
/// again, on the node where the actor runs).
///
/// ```
/// use std::time::Duration;
/// use thespian::Capabilities;
/// use thespian_net::Placement;
///
/// let placement = Placement::new()
///     .requirements(Capabilities::new().with("gpu", true))
///     .restart(3, Duration::from_secs(10));
/// # let _ = placement;
/// ```
#[derive(Debug, Clone, Default)]
pub struct Placement {
    requirements: Capabilities,
    supervision: Policy,
    policy: PlacementPolicy,
}

/// How the convention picks among the nodes whose capabilities an actor type accepts. A node
/// that refuses or cannot be reached is skipped for the next in the policy's order.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub enum PlacementPolicy {
    /// The node running the fewest actors first (as this node knows them: each member's count as
    /// it last published, plus the actors this node placed there since; this node's own,
    /// live), ties to the lowest address. A node that joins takes new actors at once.
    #[default]
    LeastLoaded,
    /// Thespian's rule: this node first, then the members in the order of their addresses.
    FirstMatch,
    /// The lowest rank first, ties to the lowest address; the rank is the function's, of each
    /// node as this node knows it (its capabilities, its actor count).
    Ranked(fn(&Member) -> u64),
}

impl Placement {
    /// No requirements; [`Supervision::Resume`](thespian::Supervision::Resume).
    pub fn new() -> Self {
        Self::default()
    }

    /// The requirements passed to the type's `capability_check` on each candidate node.
    pub fn requirements(mut self, requirements: Capabilities) -> Self {
        self.requirements = requirements;
        self
    }

    /// After a failure, a fresh actor made from the initial value takes over (same address,
    /// same node), at most `max_restarts` times within `within`; one more failure stops it
    /// ([`ExitReason::Failed`](thespian::ExitReason::Failed)).
    pub fn restart(mut self, max_restarts: u32, within: Duration) -> Self {
        self.supervision = Policy::Restart {
            max_restarts,
            within,
        };
        self
    }

    /// After a failure, the actor exits ([`Supervision::Stop`](thespian::Supervision::Stop)).
    pub fn stop_on_failure(mut self) -> Self {
        self.supervision = Policy::Stop;
        self
    }

    /// How the node is picked among those that accept the actor (default
    /// [`PlacementPolicy::LeastLoaded`]).
    pub fn policy(mut self, policy: PlacementPolicy) -> Self {
        self.policy = policy;
        self
    }
}

/// The options of an actor placed with `policy`, made from `bytes` (its initial value).
fn placed_options<A>(
    net: &NetSystem,
    bytes: Vec<u8>,
    requirements: Capabilities,
    policy: Policy,
) -> ActorOptions<A>
where
    A: Actor + DeserializeOwned,
{
    let options = ActorOptions::new().requirements(requirements);
    match policy {
        Policy::Resume => options,
        Policy::Stop => options.supervision(Supervision::Stop),
        Policy::Restart {
            max_restarts,
            within,
        } => {
            let net = net.clone();
            let fresh = move || -> A {
                // These bytes made the first actor: decoding them again gives the same value.
                // Should it fail all the same, the panic ends the actor as a failure would.
                match net.decode(&bytes) {
                    Ok(actor) => actor,
                    Err(e) => panic!("cannot make a fresh {} to restart: {e}", A::type_name()),
                }
            };
            options.supervision(Supervision::restart(fresh).at_most(max_restarts, within))
        }
    }
}

/// What the convention handle and the node's agent share.
struct Shared {
    net: NetSystem,
    config: ConventionConfig,
    members: RwLock<Vec<Member>>,
    membership: Membership,
    /// A `RenewNow` is on its way to the agent (see `join`).
    renew_pending: Arc<AtomicBool>,
    subscribers: Mutex<Vec<Recipient<ConventionUpdate>>>,
    factories: RwLock<HashMap<String, Factory>>,
    /// Actors this node placed on each member lately (how many, and when last), counted until
    /// the member's own count surely includes them.
    placed: Mutex<HashMap<NodeId, (usize, Instant)>>,
}

impl Shared {
    /// Takes the table the membership gives and tells subscribers what changed.
    fn set_members(&self, members: Vec<Member>) {
        // Taken first and held while the table changes, so that a new subscriber is told the
        // table either before a change (and then the change) or after it, never both.
        let mut subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        let mut table = self.members.write().unwrap_or_else(|e| e.into_inner());
        let old = std::mem::take(&mut *table);
        *table = members.clone();
        drop(table);
        // A member's published count includes what was placed there two heartbeats ago.
        let settled = self.config.heartbeat.saturating_mul(2);
        self.placed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (_, last)| last.elapsed() < settled);
        let before: BTreeMap<NodeId, &Member> = old.iter().map(|m| (m.node, m)).collect();
        let after: BTreeMap<NodeId, &Member> = members.iter().map(|m| (m.node, m)).collect();
        let mut updates = Vec::new();
        for (node, member) in &after {
            match before.get(node) {
                None => updates.push(ConventionUpdate::Joined((*member).clone())),
                Some(was) if was.capabilities != member.capabilities => {
                    updates.push(ConventionUpdate::Changed((*member).clone()))
                }
                Some(_) => {}
            }
        }
        for (node, member) in &before {
            if !after.contains_key(node) {
                updates.push(ConventionUpdate::Left((*member).clone()));
            }
        }
        if updates.is_empty() {
            return;
        }
        subscribers.retain(|s| s.address().is_alive());
        for update in updates {
            for subscriber in subscribers.iter() {
                // Untyped sends ignore a mailbox bound: no update is dropped for lack of room.
                let _ = subscriber.address().tell_any(update.clone());
            }
        }
    }
}

/// A node's agent: publishes the node's capabilities and load, turns the membership into the
/// table of members, creates actors placed here.
pub(crate) struct Agent {
    shared: Arc<Shared>,
    /// What this node last published.
    published: Option<(Capabilities, usize)>,
    /// A contact of the seed is under way.
    contacting: Arc<AtomicBool>,
    /// Members' agents, decoded once per member.
    agents: HashMap<NodeId, Addr<Agent>>,
}

#[actor(name = "thespian_net::convention::Agent")]
impl Agent {
    #[started]
    async fn begin(&mut self, ctx: &mut Context<Self>) {
        self.renew(ctx).await;
        ctx.wakeup_after(self.shared.config.heartbeat, ());
    }

    /// A stopped agent stops its node's membership: to the others the node is silent, and
    /// leaves the table once SWIM has found so.
    #[stopping]
    async fn end(&mut self) {
        self.shared.membership.stop();
    }

    #[wakeup]
    async fn tick(&mut self, _tick: WakeupMessage, ctx: &mut Context<Self>) {
        self.renew(ctx).await;
        ctx.wakeup_after(self.shared.config.heartbeat, ());
    }

    /// Publishes now (after a capability change).
    async fn renew_now(&mut self, ctx: &mut Context<Self>) {
        self.renew(ctx).await;
    }

    /// This node's view of the convention.
    async fn status(&self) -> ConventionStatus {
        let net = &self.shared.net;
        ConventionStatus {
            node: net.node(),
            leader: self.shared.config.leader,
            is_leader: self.shared.config.leader == net.local_addr(),
            members: self
                .shared
                .members
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }

    /// Creates a registered actor type here, from its serialized value.
    async fn create(
        &mut self,
        type_name: String,
        actor: Vec<u8>,
        order: Order,
    ) -> Result<ActorAddress, String> {
        let factory = {
            let factories = self
                .shared
                .factories
                .read()
                .unwrap_or_else(|e| e.into_inner());
            factories.get(&type_name).copied()
        };
        let Some(factory) = factory else {
            return Err(format!("{type_name} is not registered on this node"));
        };
        factory(self.shared.net.clone(), actor, order).await
    }

    /// Publishes what changed about this node, contacts the seed when it is not among the
    /// members, and takes the membership into the table.
    #[helper]
    async fn renew(&mut self, ctx: &mut Context<Self>) {
        self.shared.renew_pending.store(false, Ordering::Release);
        let net = self.shared.net.clone();
        let system = net.system();
        let now = (system.capabilities(), system.live_actors());
        if self.published.as_ref() != Some(&now) {
            let mut agent = Vec::new();
            if remote::encode(ctx.myself(), &mut agent).is_ok() {
                self.shared.membership.publish(now.0.clone(), now.1, agent);
                self.published = Some(now);
            }
        }
        let members = self.shared.membership.members();
        // Every seed not among the members is contacted (in the background: a seed that does
        // not answer must not hold up placements): a node alone finds the convention again, and
        // a seed that restarted (a new run, alone) is found by the others.
        let own = self.shared.net.local_addr();
        let unknown: Vec<SocketAddr> = self
            .shared
            .config
            .seeds_iter()
            .filter(|seed| *seed != own && !members.iter().any(|(node, _)| node.addr == *seed))
            .collect();
        if !unknown.is_empty() && !self.contacting.swap(true, Ordering::AcqRel) {
            let contacting = self.contacting.clone();
            let membership = self.shared.membership.clone();
            let net = net.clone();
            tokio::spawn(async move {
                for seed in unknown {
                    if let Ok(node) = net.connect(seed).await {
                        membership.join(node);
                    }
                }
                contacting.store(false, Ordering::Release);
            });
        }
        let mut table = Vec::with_capacity(members.len());
        for (node, data) in members {
            let Some(data) = data else { continue };
            let agent = if node == self.shared.net.node() {
                ctx.myself().clone()
            } else {
                match self.agents.get(&node) {
                    Some(agent) => agent.clone(),
                    None => {
                        let decoded = remote::decoding(system, || {
                            postcard::from_bytes::<Addr<Agent>>(&data.agent)
                        });
                        let Ok(agent) = decoded else { continue };
                        self.agents.insert(node, agent.clone());
                        agent
                    }
                }
            };
            table.push(Member {
                node,
                capabilities: data.capabilities,
                actors: data.actors,
                agent,
            });
        }
        let alive: std::collections::HashSet<NodeId> = table.iter().map(|m| m.node).collect();
        self.agents.retain(|node, _| alive.contains(node));
        self.shared.set_members(table);
    }
}

/// This node's place in a convention: membership, capabilities, placement.
#[derive(Clone)]
pub struct Convention {
    shared: Arc<Shared>,
    agent: Addr<Agent>,
}

impl std::fmt::Debug for Convention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Convention")
            .field("node", &self.shared.net.node())
            .field("leader", &self.shared.config.leader)
            .finish_non_exhaustive()
    }
}

impl Convention {
    /// Joins the convention. Returns at once; the table fills in as members are found
    /// ([`members`](Self::members)).
    ///
    /// # Errors
    ///
    /// [`NetError::AlreadyJoined`] when this node has joined a convention already;
    /// [`NetError::Create`] when its actor system cannot create the convention's agent (it is
    /// shut down, say).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian::Capabilities;
    /// # use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Secret};
    /// # /// Runs only on a node with a GPU.
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// # struct Render { frames: u32 }
    /// # #[actor]
    /// # impl Render {
    /// #     async fn frame(&mut self) -> u32 { self.frames += 1; self.frames }
    /// #     #[capability_check]
    /// #     fn needs_gpu(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
    /// #         capabilities.is_true("gpu")
    /// #     }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let here = ActorSystem::new();
    /// # let there = ActorSystem::builder().capability("gpu", true).build();
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let seed = net_here.local_addr();
    /// # let convention = Convention::join(&net_here, ConventionConfig::new(seed)).await?;
    /// # let far = Convention::join(&net_there, ConventionConfig::new(seed)).await?;
    /// # for c in [&convention, &far] {
    /// #     c.register::<Render>();
    /// # }
    /// # tokio::time::timeout(Duration::from_secs(10), async {
    /// #     while convention.members().len() < 2 || far.members().len() < 2 {
    /// #         tokio::time::sleep(Duration::from_millis(10)).await;
    /// #     }
    /// # })
    /// # .await?;
    /// // A node joins by the address of any member (the first node gives its own).
    /// let members = convention.members();
    /// assert_eq!(members.len(), 2);
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn join(net: &NetSystem, config: ConventionConfig) -> Result<Convention, NetError> {
        let system = net.system();
        if system.named_address(AGENT).is_some() {
            return Err(NetError::AlreadyJoined);
        }
        let renew_pending = Arc::new(AtomicBool::new(false));
        let membership = Membership::start(
            net.inner(),
            MembershipConfig {
                probe_period: config.heartbeat,
                probe_rtt: config.heartbeat / 2,
                suspect_to_down_after: config.member_timeout,
                expected_size: 256,
            },
            {
                // The agent takes a change into the table at once (not at its next tick), one
                // request at a time however many changes come; found by name, so that the
                // membership does not keep the system alive.
                let system = system.downgrade();
                let pending = renew_pending.clone();
                move || {
                    if pending.swap(true, Ordering::AcqRel) {
                        return;
                    }
                    if let Some(agent) = system.upgrade().and_then(|s| s.named_address(AGENT)) {
                        let _ = agent.tell_any(AgentRenewNow);
                    }
                }
            },
        );
        // A node this one has lost (its connection closed and it cannot be dialed, or it was
        // silent for `down_after`) leaves the membership at once, not after a suspicion.
        let lost = membership.clone();
        net.on_node_down(Box::new(move |node| lost.node_lost(node)));
        let shared = Arc::new(Shared {
            net: net.clone(),
            config,
            members: RwLock::new(Vec::new()),
            membership,
            renew_pending,
            subscribers: Mutex::new(Vec::new()),
            factories: RwLock::new(HashMap::new()),
            placed: Mutex::new(HashMap::new()),
        });
        let agent = Agent {
            shared: shared.clone(),
            published: None,
            contacting: Arc::new(AtomicBool::new(false)),
            agents: HashMap::new(),
        };
        let agent = system
            .create_actor_with(agent, ActorOptions::new().name(AGENT))
            .await
            .map_err(NetError::Create)?;
        Ok(Convention { shared, agent })
    }

    /// Whether this node listens at the convention address (it leads nothing: every node is
    /// equal; kept for Thespian's vocabulary).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian::Capabilities;
    /// # use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Secret};
    /// # /// Runs only on a node with a GPU.
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// # struct Render { frames: u32 }
    /// # #[actor]
    /// # impl Render {
    /// #     async fn frame(&mut self) -> u32 { self.frames += 1; self.frames }
    /// #     #[capability_check]
    /// #     fn needs_gpu(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
    /// #         capabilities.is_true("gpu")
    /// #     }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let here = ActorSystem::new();
    /// # let there = ActorSystem::builder().capability("gpu", true).build();
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let seed = net_here.local_addr();
    /// # let convention = Convention::join(&net_here, ConventionConfig::new(seed)).await?;
    /// # let far = Convention::join(&net_there, ConventionConfig::new(seed)).await?;
    /// # for c in [&convention, &far] {
    /// #     c.register::<Render>();
    /// # }
    /// # tokio::time::timeout(Duration::from_secs(10), async {
    /// #     while convention.members().len() < 2 || far.members().len() < 2 {
    /// #         tokio::time::sleep(Duration::from_millis(10)).await;
    /// #     }
    /// # })
    /// # .await?;
    /// assert!(convention.is_leader()); // it listens at the convention address
    /// assert!(!far.is_leader());
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_leader(&self) -> bool {
        self.shared.config.leader == self.shared.net.local_addr()
    }

    /// The membership traffic this node has sent since it started: gossip frames and their
    /// bytes (as framed; records add 20 bytes per write), and the frames it dropped.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian::Capabilities;
    /// # use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Secret};
    /// # /// Runs only on a node with a GPU.
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// # struct Render { frames: u32 }
    /// # #[actor]
    /// # impl Render {
    /// #     async fn frame(&mut self) -> u32 { self.frames += 1; self.frames }
    /// #     #[capability_check]
    /// #     fn needs_gpu(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
    /// #         capabilities.is_true("gpu")
    /// #     }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let here = ActorSystem::new();
    /// # let there = ActorSystem::builder().capability("gpu", true).build();
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let seed = net_here.local_addr();
    /// # let convention = Convention::join(&net_here, ConventionConfig::new(seed)).await?;
    /// # let far = Convention::join(&net_there, ConventionConfig::new(seed)).await?;
    /// # for c in [&convention, &far] {
    /// #     c.register::<Render>();
    /// # }
    /// # tokio::time::timeout(Duration::from_secs(10), async {
    /// #     while convention.members().len() < 2 || far.members().len() < 2 {
    /// #         tokio::time::sleep(Duration::from_millis(10)).await;
    /// #     }
    /// # })
    /// # .await?;
    /// let traffic = convention.membership_traffic();
    /// assert!(traffic.frames > 0 && traffic.bytes > 0);
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn membership_traffic(&self) -> MembershipTraffic {
        let (frames, bytes) = &self.shared.net.inner().gossip_sent;
        MembershipTraffic {
            frames: frames.load(Ordering::Relaxed),
            bytes: bytes.load(Ordering::Relaxed),
            dropped: self.shared.membership.dropped(),
            declared_down: self.shared.membership.declared_down(),
        }
    }

    /// The members this node believes alive, itself included.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian::Capabilities;
    /// # use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Secret};
    /// # /// Runs only on a node with a GPU.
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// # struct Render { frames: u32 }
    /// # #[actor]
    /// # impl Render {
    /// #     async fn frame(&mut self) -> u32 { self.frames += 1; self.frames }
    /// #     #[capability_check]
    /// #     fn needs_gpu(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
    /// #         capabilities.is_true("gpu")
    /// #     }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let here = ActorSystem::new();
    /// # let there = ActorSystem::builder().capability("gpu", true).build();
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let seed = net_here.local_addr();
    /// # let convention = Convention::join(&net_here, ConventionConfig::new(seed)).await?;
    /// # let far = Convention::join(&net_there, ConventionConfig::new(seed)).await?;
    /// # for c in [&convention, &far] {
    /// #     c.register::<Render>();
    /// # }
    /// # tokio::time::timeout(Duration::from_secs(10), async {
    /// #     while convention.members().len() < 2 || far.members().len() < 2 {
    /// #         tokio::time::sleep(Duration::from_millis(10)).await;
    /// #     }
    /// # })
    /// # .await?;
    /// let gpus = convention
    ///     .members()
    ///     .iter()
    ///     .filter(|m| m.capabilities.is_true("gpu"))
    ///     .count();
    /// assert_eq!(gpus, 1);
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn members(&self) -> Vec<Member> {
        self.shared
            .members
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Tells `subscriber` the present first, a [`ConventionUpdate::Joined`] for every node in
    /// this node's table (in the order of their addresses), then every change of the membership
    /// from now on. Subscribing twice changes nothing.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian::Capabilities;
    /// # use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Secret};
    /// # /// Runs only on a node with a GPU.
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// # struct Render { frames: u32 }
    /// # #[actor]
    /// # impl Render {
    /// #     async fn frame(&mut self) -> u32 { self.frames += 1; self.frames }
    /// #     #[capability_check]
    /// #     fn needs_gpu(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
    /// #         capabilities.is_true("gpu")
    /// #     }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let here = ActorSystem::new();
    /// # let there = ActorSystem::builder().capability("gpu", true).build();
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let seed = net_here.local_addr();
    /// # let convention = Convention::join(&net_here, ConventionConfig::new(seed)).await?;
    /// # let far = Convention::join(&net_there, ConventionConfig::new(seed)).await?;
    /// # for c in [&convention, &far] {
    /// #     c.register::<Render>();
    /// # }
    /// # tokio::time::timeout(Duration::from_secs(10), async {
    /// #     while convention.members().len() < 2 || far.members().len() < 2 {
    /// #         tokio::time::sleep(Duration::from_millis(10)).await;
    /// #     }
    /// # })
    /// # .await?;
    /// use thespian_net::ConventionUpdate;
    ///
    /// #[derive(Default)]
    /// struct Watcher { joined: usize }
    ///
    /// #[actor(no_serde)]
    /// impl Watcher {
    ///     #[receive]
    ///     async fn update(&mut self, update: ConventionUpdate) {
    ///         if matches!(update, ConventionUpdate::Joined(_)) {
    ///             self.joined += 1;
    ///         }
    ///     }
    ///
    ///     async fn joined(&self) -> usize { self.joined }
    /// }
    ///
    /// let watcher = here.create_actor(Watcher::default()).await?;
    /// convention.subscribe(watcher.clone());
    /// assert_eq!(watcher.joined().ask().await?, 2); // the present first: both nodes
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn subscribe(&self, subscriber: impl Into<Recipient<ConventionUpdate>>) {
        let subscriber = subscriber.into();
        let mut subscribers = self
            .shared
            .subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if subscribers.contains(&subscriber) {
            return;
        }
        // Under the subscribers' lock: no change can be told between the present and it.
        let mut present = self.members();
        present.sort_by_key(|m| (m.node.addr, m.node.incarnation));
        for member in present {
            // Untyped sends ignore a mailbox bound: no update is dropped for lack of room.
            let _ = subscriber
                .address()
                .tell_any(ConventionUpdate::Joined(member));
        }
        subscribers.push(subscriber);
    }

    /// Stops telling `subscriber` of changes.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian::Capabilities;
    /// # use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Secret};
    /// # /// Runs only on a node with a GPU.
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// # struct Render { frames: u32 }
    /// # #[actor]
    /// # impl Render {
    /// #     async fn frame(&mut self) -> u32 { self.frames += 1; self.frames }
    /// #     #[capability_check]
    /// #     fn needs_gpu(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
    /// #         capabilities.is_true("gpu")
    /// #     }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let here = ActorSystem::new();
    /// # let there = ActorSystem::builder().capability("gpu", true).build();
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let seed = net_here.local_addr();
    /// # let convention = Convention::join(&net_here, ConventionConfig::new(seed)).await?;
    /// # let far = Convention::join(&net_there, ConventionConfig::new(seed)).await?;
    /// # for c in [&convention, &far] {
    /// #     c.register::<Render>();
    /// # }
    /// # tokio::time::timeout(Duration::from_secs(10), async {
    /// #     while convention.members().len() < 2 || far.members().len() < 2 {
    /// #         tokio::time::sleep(Duration::from_millis(10)).await;
    /// #     }
    /// # })
    /// # .await?;
    /// use thespian_net::ConventionUpdate;
    ///
    /// struct Quiet;
    ///
    /// #[actor(no_serde)]
    /// impl Quiet {
    ///     #[receive]
    ///     async fn update(&mut self, _update: ConventionUpdate) {}
    /// }
    ///
    /// let quiet = here.create_actor(Quiet).await?;
    /// convention.subscribe(quiet.clone());
    /// convention.unsubscribe(quiet); // no change is told to it from now on
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn unsubscribe(&self, subscriber: impl Into<Recipient<ConventionUpdate>>) {
        let subscriber = subscriber.into();
        self.shared
            .subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|s| *s != subscriber);
    }

    /// The actor holding global name `name` anywhere in the convention. Names belong to nodes;
    /// the rule: the node at the convention address is asked first, then this node, then the other members in the order
    /// of their addresses, and the first holder (of type `A`) answers.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian::Capabilities;
    /// # use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Secret};
    /// # /// Runs only on a node with a GPU.
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// # struct Render { frames: u32 }
    /// # #[actor]
    /// # impl Render {
    /// #     async fn frame(&mut self) -> u32 { self.frames += 1; self.frames }
    /// #     #[capability_check]
    /// #     fn needs_gpu(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
    /// #         capabilities.is_true("gpu")
    /// #     }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let here = ActorSystem::new();
    /// # let there = ActorSystem::builder().capability("gpu", true).build();
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let seed = net_here.local_addr();
    /// # let convention = Convention::join(&net_here, ConventionConfig::new(seed)).await?;
    /// # let far = Convention::join(&net_there, ConventionConfig::new(seed)).await?;
    /// # for c in [&convention, &far] {
    /// #     c.register::<Render>();
    /// # }
    /// # tokio::time::timeout(Duration::from_secs(10), async {
    /// #     while convention.members().len() < 2 || far.members().len() < 2 {
    /// #         tokio::time::sleep(Duration::from_millis(10)).await;
    /// #     }
    /// # })
    /// # .await?;
    /// use thespian::ActorOptions;
    ///
    /// let options = ActorOptions::new().name("renderer");
    /// there.create_actor_with(Render::default(), options).await?;
    /// let found: Addr<Render> = convention.named("renderer").await.ok_or("not found")?;
    /// assert_eq!(found.frame().ask().await?, 1);
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn named<A: Actor>(&self, name: &str) -> Option<Addr<A>> {
        let net = &self.shared.net;
        let leader = self.shared.config.leader;
        let mut order = vec![leader, net.local_addr()];
        let mut others: Vec<SocketAddr> = self.members().iter().map(|m| m.node.addr).collect();
        others.sort();
        order.extend(others);
        order.dedup();
        let mut asked = Vec::new();
        for addr in order {
            if asked.contains(&addr) {
                continue;
            }
            asked.push(addr);
            let found = if addr == net.local_addr() {
                net.system().named::<A>(name)
            } else {
                net.lookup::<A>(addr, name, self.shared.config.heartbeat.saturating_mul(4))
                    .await
                    .ok()
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// Asks the node at `node` (any node of a convention, this one included) for its view of the
    /// convention: members, their capabilities and actor counts. Needs only a networked system
    /// that knows the secret (the status tool is one).
    ///
    /// # Errors
    ///
    /// [`NetError::NotFound`] when the node has not joined a convention; [`NetError::Timeout`]
    /// when no answer comes within `timeout`; [`NetError::Ask`] when asking the node's agent
    /// fails (the connection is lost, say); and as for [`NetSystem::lookup_address`] when
    /// the node cannot be reached.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian::Capabilities;
    /// # use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Secret};
    /// # /// Runs only on a node with a GPU.
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// # struct Render { frames: u32 }
    /// # #[actor]
    /// # impl Render {
    /// #     async fn frame(&mut self) -> u32 { self.frames += 1; self.frames }
    /// #     #[capability_check]
    /// #     fn needs_gpu(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
    /// #         capabilities.is_true("gpu")
    /// #     }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let here = ActorSystem::new();
    /// # let there = ActorSystem::builder().capability("gpu", true).build();
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let seed = net_here.local_addr();
    /// # let convention = Convention::join(&net_here, ConventionConfig::new(seed)).await?;
    /// # let far = Convention::join(&net_there, ConventionConfig::new(seed)).await?;
    /// # for c in [&convention, &far] {
    /// #     c.register::<Render>();
    /// # }
    /// # tokio::time::timeout(Duration::from_secs(10), async {
    /// #     while convention.members().len() < 2 || far.members().len() < 2 {
    /// #         tokio::time::sleep(Duration::from_millis(10)).await;
    /// #     }
    /// # })
    /// # .await?;
    /// let status = Convention::status(&net_here, net_there.local_addr(), Duration::from_secs(5)).await?;
    /// assert_eq!(status.members.len(), 2);
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn status(
        net: &NetSystem,
        node: SocketAddr,
        timeout: Duration,
    ) -> Result<ConventionStatus, NetError> {
        net.ask_named(node, AGENT, timeout, |agent: Addr<Agent>| async move {
            agent.status().timeout(timeout).ask().await
        })
        .await
    }

    /// Lets other nodes create actors of type `A` here (their initial value travels
    /// serialized). Also lets untyped addresses of `A`s take sends (see
    /// [`thespian::remote::register`]).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian::Capabilities;
    /// # use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Secret};
    /// # /// Runs only on a node with a GPU.
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// # struct Render { frames: u32 }
    /// # #[actor]
    /// # impl Render {
    /// #     async fn frame(&mut self) -> u32 { self.frames += 1; self.frames }
    /// #     #[capability_check]
    /// #     fn needs_gpu(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
    /// #         capabilities.is_true("gpu")
    /// #     }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let here = ActorSystem::new();
    /// # let there = ActorSystem::builder().capability("gpu", true).build();
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let seed = net_here.local_addr();
    /// # let convention = Convention::join(&net_here, ConventionConfig::new(seed)).await?;
    /// # let far = Convention::join(&net_there, ConventionConfig::new(seed)).await?;
    /// # for c in [&convention, &far] {
    /// #     c.register::<Render>();
    /// # }
    /// # tokio::time::timeout(Duration::from_secs(10), async {
    /// #     while convention.members().len() < 2 || far.members().len() < 2 {
    /// #         tokio::time::sleep(Duration::from_millis(10)).await;
    /// #     }
    /// # })
    /// # .await?;
    /// // Done for `Render` on both nodes above: each may now create one for the other.
    /// convention.register::<Render>();
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn register<A>(&self)
    where
        A: Actor + Serialize + DeserializeOwned,
    {
        fn make<A: Actor + DeserializeOwned>(
            net: NetSystem,
            bytes: Vec<u8>,
            order: Order,
        ) -> Pin<Box<dyn Future<Output = Result<ActorAddress, String>> + Send>> {
            Box::pin(async move {
                let actor: A = net.decode(&bytes).map_err(|e| e.to_string())?;
                let Order {
                    requirements,
                    supervision,
                    parent,
                } = order;
                let options = placed_options::<A>(&net, bytes, requirements, supervision);
                let system = net.system();
                let created = match parent {
                    Some(parent) => remote::create_child_of(system, actor, options, parent),
                    None => system.create_actor_with(actor, options).await,
                };
                created
                    .map(|addr| addr.address())
                    .map_err(|e| e.to_string())
            })
        }
        thespian::remote::register::<A>();
        self.shared
            .factories
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(A::type_name().to_owned(), make::<A>);
    }

    /// Sets (or, with `None`, removes) a capability of this node, and tells the convention at
    /// once; the next placements see it.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian::Capabilities;
    /// # use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Secret};
    /// # /// Runs only on a node with a GPU.
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// # struct Render { frames: u32 }
    /// # #[actor]
    /// # impl Render {
    /// #     async fn frame(&mut self) -> u32 { self.frames += 1; self.frames }
    /// #     #[capability_check]
    /// #     fn needs_gpu(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
    /// #         capabilities.is_true("gpu")
    /// #     }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let here = ActorSystem::new();
    /// # let there = ActorSystem::builder().capability("gpu", true).build();
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let seed = net_here.local_addr();
    /// # let convention = Convention::join(&net_here, ConventionConfig::new(seed)).await?;
    /// # let far = Convention::join(&net_there, ConventionConfig::new(seed)).await?;
    /// # for c in [&convention, &far] {
    /// #     c.register::<Render>();
    /// # }
    /// # tokio::time::timeout(Duration::from_secs(10), async {
    /// #     while convention.members().len() < 2 || far.members().len() < 2 {
    /// #         tokio::time::sleep(Duration::from_millis(10)).await;
    /// #     }
    /// # })
    /// # .await?;
    /// convention.update_capability("gpu", Some(true.into())).await;
    /// assert!(here.capabilities().is_true("gpu"));
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_capability(&self, name: &str, value: Option<CapabilityValue>) {
        self.shared.net.system().update_capability(name, value);
        let _ = self.agent.renew_now().tell().await;
    }

    /// Creates `actor` on a node whose capabilities its type accepts (given `requirements`): the
    /// least loaded ([`PlacementPolicy::LeastLoaded`]; see [`create_actor_with`](Self::create_actor_with)
    /// for another policy). The actor is a top-level actor of the node that creates it.
    ///
    /// # Errors
    ///
    /// [`CreateError::NoCompatibleSystem`] when `actor` cannot be encoded, or no member accepts
    /// it, or every member asked refused or failed; [`CreateError::PlacementTimedOut`] when the
    /// node asked did not answer within the [create timeout](ConventionConfig::create_timeout)
    /// (no other node is tried: it may still create the actor). Placed on this node, the errors
    /// of [`ActorSystem::create_actor_with`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian::Capabilities;
    /// # use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Secret};
    /// # /// Runs only on a node with a GPU.
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// # struct Render { frames: u32 }
    /// # #[actor]
    /// # impl Render {
    /// #     async fn frame(&mut self) -> u32 { self.frames += 1; self.frames }
    /// #     #[capability_check]
    /// #     fn needs_gpu(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
    /// #         capabilities.is_true("gpu")
    /// #     }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let here = ActorSystem::new();
    /// # let there = ActorSystem::builder().capability("gpu", true).build();
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let seed = net_here.local_addr();
    /// # let convention = Convention::join(&net_here, ConventionConfig::new(seed)).await?;
    /// # let far = Convention::join(&net_there, ConventionConfig::new(seed)).await?;
    /// # for c in [&convention, &far] {
    /// #     c.register::<Render>();
    /// # }
    /// # tokio::time::timeout(Duration::from_secs(10), async {
    /// #     while convention.members().len() < 2 || far.members().len() < 2 {
    /// #         tokio::time::sleep(Duration::from_millis(10)).await;
    /// #     }
    /// # })
    /// # .await?;
    /// // Only the other node has a GPU: the renderer is placed there.
    /// let before = there.live_actors(); // its convention agent among them
    /// let render = convention.create_actor(Render::default(), Capabilities::new()).await?;
    /// assert_eq!(render.frame().ask().await?, 1);
    /// assert_eq!(there.live_actors(), before + 1);
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_actor<A>(
        &self,
        actor: A,
        requirements: Capabilities,
    ) -> Result<Addr<A>, CreateError>
    where
        A: Actor + Serialize + DeserializeOwned,
    {
        self.create_actor_with(actor, Placement::new().requirements(requirements))
            .await
    }

    /// Creates `actor` as [`create_actor`](Self::create_actor) does, with the requirements and
    /// supervision of `placement`.
    ///
    /// # Errors
    ///
    /// As for [`create_actor`](Self::create_actor).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian::Capabilities;
    /// # use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Secret};
    /// # /// Runs only on a node with a GPU.
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// # struct Render { frames: u32 }
    /// # #[actor]
    /// # impl Render {
    /// #     async fn frame(&mut self) -> u32 { self.frames += 1; self.frames }
    /// #     #[capability_check]
    /// #     fn needs_gpu(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
    /// #         capabilities.is_true("gpu")
    /// #     }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let here = ActorSystem::new();
    /// # let there = ActorSystem::builder().capability("gpu", true).build();
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let seed = net_here.local_addr();
    /// # let convention = Convention::join(&net_here, ConventionConfig::new(seed)).await?;
    /// # let far = Convention::join(&net_there, ConventionConfig::new(seed)).await?;
    /// # for c in [&convention, &far] {
    /// #     c.register::<Render>();
    /// # }
    /// # tokio::time::timeout(Duration::from_secs(10), async {
    /// #     while convention.members().len() < 2 || far.members().len() < 2 {
    /// #         tokio::time::sleep(Duration::from_millis(10)).await;
    /// #     }
    /// # })
    /// # .await?;
    /// use thespian_net::Placement;
    ///
    /// let placement = Placement::new().restart(3, Duration::from_secs(60));
    /// let render = convention.create_actor_with(Render::default(), placement).await?;
    /// assert_eq!(render.frame().ask().await?, 1);
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_actor_with<A>(
        &self,
        actor: A,
        placement: Placement,
    ) -> Result<Addr<A>, CreateError>
    where
        A: Actor + Serialize + DeserializeOwned,
    {
        self.place(actor, placement, None::<&mut Context<Agent>>)
            .await
    }

    /// Creates `actor` wherever the convention places it (as [`create_actor`](Self::create_actor)
    /// does) as a child of the actor of `ctx`, as if it were local: the parent hears of its end
    /// in [`child_exited`](thespian::Actor::child_exited), for every reason, including
    /// [`ExitReason::NodeLost`](thespian::ExitReason::NodeLost) when the child's node is lost;
    /// the [`ChildActorExited::child`](thespian::ChildActorExited) it gets is the address
    /// returned here. When the parent exits, it asks the child to exit and waits for it (or for
    /// its node to be lost). A child whose parent's node is lost is asked to exit.
    ///
    /// # Errors
    ///
    /// As for [`create_actor`](Self::create_actor); placed on this node, also
    /// [`CreateError::ParentExiting`] when the actor of `ctx` is exiting.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// # use thespian::Capabilities;
    /// # use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem, Secret};
    /// # /// Runs only on a node with a GPU.
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// # struct Render { frames: u32 }
    /// # #[actor]
    /// # impl Render {
    /// #     async fn frame(&mut self) -> u32 { self.frames += 1; self.frames }
    /// #     #[capability_check]
    /// #     fn needs_gpu(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
    /// #         capabilities.is_true("gpu")
    /// #     }
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = Secret::generate()?;
    /// # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
    /// # let here = ActorSystem::new();
    /// # let there = ActorSystem::builder().capability("gpu", true).build();
    /// # let net_here = NetSystem::start(&here, config()).await?;
    /// # let net_there = NetSystem::start(&there, config()).await?;
    /// # let seed = net_here.local_addr();
    /// # let convention = Convention::join(&net_here, ConventionConfig::new(seed)).await?;
    /// # let far = Convention::join(&net_there, ConventionConfig::new(seed)).await?;
    /// # for c in [&convention, &far] {
    /// #     c.register::<Render>();
    /// # }
    /// # tokio::time::timeout(Duration::from_secs(10), async {
    /// #     while convention.members().len() < 2 || far.members().len() < 2 {
    /// #         tokio::time::sleep(Duration::from_millis(10)).await;
    /// #     }
    /// # })
    /// # .await?;
    /// use thespian_net::Placement;
    ///
    /// struct Studio { convention: Convention }
    ///
    /// #[actor(no_serde)]
    /// impl Studio {
    ///     async fn hire(&mut self, ctx: &mut Context<Self>) -> Option<Addr<Render>> {
    ///         let convention = self.convention.clone();
    ///         convention.create_child(ctx, Render::default(), Placement::new()).await.ok()
    ///     }
    /// }
    ///
    /// let studio = here.create_actor(Studio { convention: convention.clone() }).await?;
    /// let render = studio.hire().ask().await?.ok_or("not placed")?;
    /// assert_eq!(render.frame().ask().await?, 1); // a child of the studio, on the other node
    /// # net_here.shutdown().await;
    /// # net_there.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_child<P, A>(
        &self,
        ctx: &mut Context<P>,
        actor: A,
        placement: Placement,
    ) -> Result<Addr<A>, CreateError>
    where
        P: Actor,
        A: Actor + Serialize + DeserializeOwned,
    {
        self.place(actor, placement, Some(ctx)).await
    }

    /// The nodes that `accepts`, in the order `policy` tries them; this node among them (with
    /// its live actor count) when it accepts.
    fn candidates(
        &self,
        policy: PlacementPolicy,
        accepts: impl Fn(&Capabilities) -> bool,
    ) -> Vec<Member> {
        let net = &self.shared.net;
        let system = net.system();
        let here = net.node();
        let mut nodes: Vec<Member> = self
            .members()
            .into_iter()
            .filter(|m| m.node != here)
            .collect();
        {
            let placed = self.shared.placed.lock().unwrap_or_else(|e| e.into_inner());
            for member in &mut nodes {
                member.actors += placed.get(&member.node).map_or(0, |(n, _)| *n);
            }
        }
        nodes.push(Member {
            node: here,
            capabilities: system.capabilities(),
            actors: system.live_actors(),
            agent: self.agent.clone(),
        });
        nodes.retain(|m| accepts(&m.capabilities));
        let by_address = |m: &Member| (m.node.addr, m.node.incarnation);
        match policy {
            PlacementPolicy::FirstMatch => {
                nodes.sort_by_key(|m| (m.node != here, by_address(m)));
            }
            PlacementPolicy::LeastLoaded => nodes.sort_by_key(|m| (m.actors, by_address(m))),
            PlacementPolicy::Ranked(rank) => nodes.sort_by_key(|m| (rank(m), by_address(m))),
        }
        nodes
    }

    async fn place<P, A>(
        &self,
        actor: A,
        placement: Placement,
        parent: Option<&mut Context<P>>,
    ) -> Result<Addr<A>, CreateError>
    where
        P: Actor,
        A: Actor + Serialize + DeserializeOwned,
    {
        let net = &self.shared.net;
        let system = net.system();
        let no_system = || CreateError::NoCompatibleSystem {
            actor: A::type_name(),
        };
        let bytes = {
            let mut out = Vec::new();
            thespian::remote::encode(&actor, &mut out).map_err(|_| no_system())?;
            out
        };
        let Placement {
            requirements,
            supervision,
            policy,
        } = placement;
        let candidates = self.candidates(policy, |caps| A::capability_check(caps, &requirements));
        let here = net.node();
        if candidates.first().is_some_and(|m| m.node == here) {
            let options = placed_options::<A>(net, bytes, requirements, supervision);
            return match parent {
                Some(ctx) => ctx.create_actor_with(actor, options).await,
                None => system.create_actor_with(actor, options).await,
            };
        }
        let candidates: Vec<Member> = candidates.into_iter().filter(|m| m.node != here).collect();
        let order = Order {
            requirements,
            supervision,
            parent: parent.as_ref().map(|ctx| ctx.myself().address()),
        };
        let now = tokio::time::Instant::now();
        let deadline = now
            .checked_add(self.shared.config.create_timeout)
            .unwrap_or(now + Duration::from_secs(86_400 * 365));
        for member in candidates {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            let created = member
                .agent
                .create(A::type_name().to_owned(), bytes.clone(), order.clone())
                .timeout(left)
                .ask()
                .await;
            match created {
                Ok(address) => match address.downcast::<A>() {
                    Some(addr) => {
                        let mut placed =
                            self.shared.placed.lock().unwrap_or_else(|e| e.into_inner());
                        let entry = placed.entry(member.node).or_insert((0, Instant::now()));
                        *entry = (entry.0 + 1, Instant::now());
                        drop(placed);
                        if let Some(ctx) = parent {
                            remote::adopt_child(ctx, addr.address());
                        }
                        return Ok(addr);
                    }
                    None => {
                        // Not what was asked for (another type under that name there): let it go.
                        address.request_exit();
                        tracing::warn!(target: "thespian_net::convention", node = %member.node,
                            "placement answered with an actor of another type");
                    }
                },
                Err(AskError::Timeout(_)) => {
                    // The request may still be handled there: trying another node could make
                    // a second actor. Give up instead.
                    tracing::warn!(target: "thespian_net::convention", node = %member.node,
                        "placement timed out");
                    return Err(CreateError::PlacementTimedOut {
                        actor: A::type_name(),
                        node: member.node.to_string(),
                        after: self.shared.config.create_timeout,
                    });
                }
                Err(AskError::Handler(why)) => tracing::debug!(target: "thespian_net::convention",
                    node = %member.node, %why, "placement refused"),
                Err(e) => tracing::debug!(target: "thespian_net::convention",
                    node = %member.node, error = %e, "placement failed"),
            }
        }
        Err(no_system())
    }
}
