//! The convention: many nodes working as one, with actors placed by capabilities.
//!
//! One node is the *leader* (the node whose own address is the leader address it was given); the
//! others are *members*. Every node runs an agent actor that registers the node and its
//! capabilities with the leader and renews the registration every `heartbeat`; the leader keeps
//! the table of members, drops a member whose registration is older than `member_timeout`, or at
//! once when its connection closes, and sends every change to every agent. Each agent keeps its
//! node's copy of the table and tells the local subscribers what changed
//! ([`ConventionUpdate`]). If the leader goes away, the members keep working with the table they
//! have, and register again when it is back.
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
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thespian::prelude::*;
use thespian::remote::{self, NodeId};
use thespian::{Capabilities, CapabilityValue, CreateError, Supervision};

use crate::{NetError, NetSystem};

/// The global name of the leader's table keeper, on the leader node.
const LEADER: &str = "thespian.convention.leader";
/// The global name of every node's agent.
const AGENT: &str = "thespian.convention.agent";

/// How a node takes part in a convention.
#[derive(Debug, Clone)]
pub struct ConventionConfig {
    leader: SocketAddr,
    heartbeat: Duration,
    member_timeout: Duration,
    create_timeout: Duration,
}

impl ConventionConfig {
    /// Joins the convention led by the node listening at `leader` (this node leads when it is
    /// its own address).
    pub fn new(leader: SocketAddr) -> Self {
        ConventionConfig {
            leader,
            heartbeat: Duration::from_millis(400),
            member_timeout: Duration::from_millis(1500),
            create_timeout: Duration::from_secs(5),
        }
    }

    /// How often members renew their registration (default 400 ms); a member whose last one is
    /// older than `member_timeout` (default 1.5 s, at least three heartbeats) is dropped, so a
    /// silent member is gone from the table within about `member_timeout + heartbeat`.
    pub fn timing(mut self, heartbeat: Duration, member_timeout: Duration) -> Self {
        self.heartbeat = heartbeat.max(Duration::from_millis(10));
        // A renewal may come a heartbeat late (one slow answer): allow for two missed.
        self.member_timeout = member_timeout.max(self.heartbeat.saturating_mul(3));
        self
    }

    /// How long a placement may take, all candidate nodes included (default 5 s).
    pub fn create_timeout(mut self, timeout: Duration) -> Self {
        self.create_timeout = timeout;
        self
    }
}

/// One node of the convention, as the leader knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The node.
    pub node: NodeId,
    /// Its capabilities at its last registration.
    pub capabilities: Capabilities,
    /// How many actors were alive on it at its last registration.
    pub actors: usize,
    agent: Addr<Agent>,
}

/// What a node answers a status query with (see [`Convention::status`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConventionStatus {
    /// The node asked.
    pub node: NodeId,
    /// The leader's address it was given.
    pub leader: SocketAddr,
    /// Whether it is the leader.
    pub is_leader: bool,
    /// The members as it last heard from the leader.
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
    /// The node running the fewest actors first (as this node knows them: each member's count at
    /// its last registration, plus the actors this node placed there since; this node's own,
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
    subscribers: Mutex<Vec<Recipient<ConventionUpdate>>>,
    factories: RwLock<HashMap<String, Factory>>,
    /// Actors this node placed on each member lately (how many, and when last), counted until
    /// the member's own count surely includes them.
    placed: Mutex<HashMap<NodeId, (usize, Instant)>>,
}

impl Shared {
    /// Takes a table from the leader and tells subscribers what changed. A leader heard from for
    /// less than `member_timeout` may not know every member yet (it restarted, and they have not
    /// all registered again): its table only adds, it does not remove.
    fn set_members(&self, members: Vec<Member>, from_new_leader: bool) {
        // Taken first and held while the table changes, so that a new subscriber is told the
        // table either before a change (and then the change) or after it, never both.
        let mut subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        let mut table = self.members.write().unwrap_or_else(|e| e.into_inner());
        let old = std::mem::take(&mut *table);
        let mut members = members;
        if from_new_leader {
            for member in &old {
                if !members.iter().any(|m| m.node == member.node) {
                    members.push(member.clone());
                }
            }
        }
        *table = members.clone();
        drop(table);
        // A member's count includes what was placed there at least two registrations ago.
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

/// The leader's table of members.
pub(crate) struct Leader {
    members: BTreeMap<NodeId, (Member, Instant)>,
    config: ConventionConfig,
}

#[actor(name = "thespian_net::convention::Leader")]
impl Leader {
    #[started]
    async fn begin(&mut self, ctx: &mut Context<Self>) {
        ctx.wakeup_after(self.config.heartbeat, ());
    }

    /// A node (re-)registers; the answer is the table.
    async fn register(&mut self, member: Member) -> Vec<Member> {
        let changed = match self.members.get(&member.node) {
            Some((known, _)) => {
                known.capabilities != member.capabilities || known.agent != member.agent
            }
            None => {
                tracing::info!(target: "thespian_net::convention", node = %member.node,
                    "member joined");
                true
            }
        };
        self.members
            .insert(member.node, (member.clone(), Instant::now()));
        if changed {
            self.broadcast().await;
        }
        self.table()
    }

    /// The connection to `node` was lost: it is no member any more (it registers again if it
    /// comes back).
    async fn node_down(&mut self, node: NodeId) {
        if self.members.remove(&node).is_some() {
            tracing::info!(target: "thespian_net::convention", %node, "member disconnected");
            self.broadcast().await;
        }
    }

    /// Drops members whose registration is too old.
    #[wakeup]
    async fn prune(&mut self, _tick: WakeupMessage, ctx: &mut Context<Self>) {
        let timeout = self.config.member_timeout;
        let before = self.members.len();
        self.members.retain(|node, (_, seen)| {
            let alive = seen.elapsed() <= timeout;
            if !alive {
                tracing::info!(target: "thespian_net::convention", %node, "member lost");
            }
            alive
        });
        if self.members.len() != before {
            self.broadcast().await;
        }
        ctx.wakeup_after(self.config.heartbeat, ());
    }

    #[helper]
    fn table(&self) -> Vec<Member> {
        self.members.values().map(|(m, _)| m.clone()).collect()
    }

    #[helper]
    async fn broadcast(&self) {
        let table = self.table();
        for (member, _) in self.members.values() {
            let _ = member.agent.table(table.clone()).await;
        }
    }
}

/// A node's agent: registers it, keeps its copy of the table, creates actors placed here.
pub(crate) struct Agent {
    shared: Arc<Shared>,
    leader: Option<Addr<Leader>>,
    /// The leader's node, and since when this agent has heard from it.
    heard_from: Option<(NodeId, Instant)>,
}

#[actor(name = "thespian_net::convention::Agent")]
impl Agent {
    #[started]
    async fn begin(&mut self, ctx: &mut Context<Self>) {
        self.renew(ctx).await;
        ctx.wakeup_after(self.shared.config.heartbeat, ());
    }

    #[wakeup]
    async fn tick(&mut self, _tick: WakeupMessage, ctx: &mut Context<Self>) {
        self.renew(ctx).await;
        ctx.wakeup_after(self.shared.config.heartbeat, ());
    }

    /// Registers again now (after a capability change).
    async fn renew_now(&mut self, ctx: &mut Context<Self>) {
        self.renew(ctx).await;
    }

    /// The leader's table.
    async fn table(&mut self, members: Vec<Member>) {
        let fresh = self.leader_is_new();
        self.shared.set_members(members, fresh);
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

    #[helper]
    async fn renew(&mut self, ctx: &mut Context<Self>) {
        let net = &self.shared.net;
        let timeout = self.shared.config.heartbeat;
        if self.leader.is_none() {
            self.leader = if self.shared.config.leader == net.local_addr() {
                net.system().named::<Leader>(LEADER)
            } else {
                net.lookup::<Leader>(self.shared.config.leader, LEADER, timeout)
                    .await
                    .ok()
            };
        }
        let Some(leader) = &self.leader else {
            return;
        };
        let me = Member {
            node: net.node(),
            capabilities: net.system().capabilities(),
            actors: net.system().live_actors(),
            agent: ctx.myself().clone(),
        };
        let leader_node = thespian::remote::node_of_actor(&leader.address());
        match leader.timeout(timeout).register(me).await {
            Ok(members) => {
                if let Some(node) = leader_node {
                    if self.heard_from.is_none_or(|(known, _)| known != node) {
                        self.heard_from = Some((node, Instant::now()));
                    }
                }
                let fresh = self.leader_is_new();
                self.shared.set_members(members, fresh);
            }
            // A slow answer: keep the leader, try again next tick.
            Err(AskError::Timeout(_)) => {}
            Err(e) => {
                tracing::debug!(target: "thespian_net::convention", error = %e,
                    "leader unreachable; keeping the last table");
                self.leader = None;
            }
        }
    }

    /// Whether the leader has been heard from for less than `member_timeout` (a restarted leader
    /// whose table may still be missing members).
    #[helper]
    fn leader_is_new(&self) -> bool {
        let grace = self.shared.config.member_timeout;
        match self.heard_from {
            Some((node, since)) => node != self.shared.net.node() && since.elapsed() < grace,
            None => false,
        }
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
    /// Joins (or, at the leader's own address, leads) the convention. Returns at once; the
    /// table fills in as registrations arrive ([`members`](Self::members)).
    pub async fn join(net: &NetSystem, config: ConventionConfig) -> Result<Convention, NetError> {
        let system = net.system();
        if system.named_address(AGENT).is_some() {
            return Err(NetError::Unreachable(
                "convention".into(),
                "this node has joined a convention already".into(),
            ));
        }
        if config.leader == net.local_addr() {
            let leader = Leader {
                members: BTreeMap::new(),
                config: config.clone(),
            };
            let leader = system
                .create_actor_with(leader, ActorOptions::new().name(LEADER))
                .await
                .map_err(|e| NetError::Unreachable("convention".into(), e.to_string()))?;
            // A member whose connection closes is dropped at once, not at its timeout. (The
            // leader is found by name when needed: holding its address here would keep the
            // whole system alive through the transport.)
            drop(leader);
            let weak = system.downgrade();
            net.on_node_down(Box::new(move |node| {
                if let Some(leader) = weak.upgrade().and_then(|s| s.named_address(LEADER)) {
                    let _ = leader.tell_any(NodeDown { node });
                }
            }));
        }
        let shared = Arc::new(Shared {
            net: net.clone(),
            config,
            members: RwLock::new(Vec::new()),
            subscribers: Mutex::new(Vec::new()),
            factories: RwLock::new(HashMap::new()),
            placed: Mutex::new(HashMap::new()),
        });
        let agent = Agent {
            shared: shared.clone(),
            leader: None,
            heard_from: None,
        };
        let agent = system
            .create_actor_with(agent, ActorOptions::new().name(AGENT))
            .await
            .map_err(|e| NetError::Unreachable("convention".into(), e.to_string()))?;
        Ok(Convention { shared, agent })
    }

    /// Whether this node leads the convention.
    pub fn is_leader(&self) -> bool {
        self.shared.config.leader == self.shared.net.local_addr()
    }

    /// The members as this node last heard from the leader (this node included once registered).
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
    pub fn unsubscribe(&self, subscriber: impl Into<Recipient<ConventionUpdate>>) {
        let subscriber = subscriber.into();
        self.shared
            .subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|s| *s != subscriber);
    }

    /// The actor holding global name `name` anywhere in the convention. Names belong to nodes;
    /// the rule: the leader is asked first, then this node, then the other members in the order
    /// of their addresses, and the first holder (of type `A`) answers.
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
    pub async fn status(
        net: &NetSystem,
        node: SocketAddr,
        timeout: Duration,
    ) -> Result<ConventionStatus, NetError> {
        net.ask_named(node, AGENT, timeout, |agent: Addr<Agent>| async move {
            agent.timeout(timeout).status().await
        })
        .await
    }

    /// Lets other nodes create actors of type `A` here (their initial value travels
    /// serialized). Also lets untyped addresses of `A`s take sends (see
    /// [`thespian::remote::register`]).
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
    pub async fn update_capability(&self, name: &str, value: Option<CapabilityValue>) {
        self.shared.net.system().update_capability(name, value);
        let _ = self.agent.renew_now().await;
    }

    /// Creates `actor` on a node whose capabilities its type accepts (given `requirements`): the
    /// least loaded ([`PlacementPolicy::LeastLoaded`]; see [`create_actor_with`](Self::create_actor_with)
    /// for another policy). The actor is a top-level actor of the node that creates it.
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
                .timeout(left)
                .create(A::type_name().to_owned(), bytes.clone(), order.clone())
                .await;
            match created {
                Ok(Ok(address)) => match address.downcast::<A>() {
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
                    break;
                }
                Ok(Err(why)) => tracing::debug!(target: "thespian_net::convention",
                    node = %member.node, %why, "placement refused"),
                Err(e) => tracing::debug!(target: "thespian_net::convention",
                    node = %member.node, error = %e, "placement failed"),
            }
        }
        Err(no_system())
    }
}
