//! Membership without a leader: which nodes are alive, as every node sees it, kept by SWIM
//! (the `foca` crate) over the nodes' own links, so its traffic is sealed and authenticated like
//! every frame.
//!
//! Each node probes one random member per period, asks others to probe it indirectly when it
//! does not answer, and spreads what it learns (joins, suspicions, deaths) piggy-backed on those
//! probes: traffic per node stays constant as the convention grows, and no node is special. A
//! seed address is only where a joining node announces itself first.
//!
//! What a member says about itself ([`MemberData`]: capabilities, actor count) travels as
//! foca's custom broadcasts when it changes, newest version wins; and when two members meet
//! (one sees the other come up) it sends its own data to the other directly and asks for the
//! other's if it has none, so a node that joins late learns everyone's; a member known alive
//! whose data has not arrived three probe periods on is asked again, once per period. Gossip is
//! best-effort (a broadcast is passed on a bounded number of times), so every packet also
//! carries the version of its sender's data: a receiver whose copy is still older three probe
//! periods after it first saw so asks the sender for it. Since every member probes every other
//! once per round, no member keeps stale data for much longer than a round, at a cost of a byte
//! or two per packet.
//!
//! On the wire a gossip frame's body is one kind byte, then the sender's data version and a
//! foca packet ([`PACKET`]), a member's data sent directly ([`DATA`]), or nothing: a request
//! for the receiver's data ([`ASK_DATA`]).

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use foca::{
    BroadcastHandler, Foca, Invalidates, Member, Notification, PostcardCodec, Runtime, State, Timer,
};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use thespian::remote::NodeId;
use thespian::Capabilities;
use tokio::sync::mpsc;

use crate::frame::Header;
use crate::node::NetInner;

/// A gossip frame carrying its sender's data version (a postcard varint), then a foca packet.
pub(crate) const PACKET: u8 = 0;
/// A gossip frame carrying a member's data, sent to one member directly.
pub(crate) const DATA: u8 = 1;
/// A gossip frame asking its receiver for its data (the sender's copy is older or missing).
pub(crate) const ASK_DATA: u8 = 2;

/// How many gossip frames may wait for the membership task; more are dropped (SWIM tolerates
/// lost packets: a probe not answered is retried, then asked of others).
const INBOX: usize = 4096;

/// A member's identity in SWIM: its node, and how many times it rejoined under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Peer {
    node: NodeId,
    bump: u16,
}

impl foca::Identity for Peer {
    type Addr = NodeId;

    fn renew(&self) -> Option<Self> {
        Some(Peer {
            node: self.node,
            bump: self.bump.wrapping_add(1),
        })
    }

    fn addr(&self) -> NodeId {
        self.node
    }

    fn win_addr_conflict(&self, adversary: &Self) -> bool {
        self.bump > adversary.bump
    }
}

/// What a member publishes about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct MemberData {
    pub(crate) node: NodeId,
    /// Newer data of a node replaces older.
    pub(crate) version: u64,
    pub(crate) capabilities: Capabilities,
    pub(crate) actors: usize,
    /// The member's convention agent, an encoded address (decoded by its user).
    pub(crate) agent: Vec<u8>,
}

/// The membership as this node sees it.
#[derive(Default)]
struct View {
    alive: BTreeSet<NodeId>,
    data: BTreeMap<NodeId, MemberData>,
    /// Gossip frames dropped because the task was busy.
    dropped: u64,
    /// Times the others declared this node down while it ran.
    declared_down: u64,
    /// Something changed since the owner was last told.
    changed: bool,
}

impl View {
    /// Takes `data` if it is newer than what is known of its node.
    fn learn(&mut self, data: MemberData) -> bool {
        if self
            .data
            .get(&data.node)
            .is_some_and(|known| known.version >= data.version)
        {
            return false;
        }
        self.data.insert(data.node, data);
        self.changed = true;
        true
    }
}

/// The key of a member's data in foca's dissemination backlog: newer versions of a node's data
/// replace older ones.
struct DataKey {
    node: NodeId,
    version: u64,
}

impl Invalidates for DataKey {
    fn invalidates(&self, other: &Self) -> bool {
        self.node == other.node && self.version >= other.version
    }
}

/// Receives members' data from foca's custom broadcasts.
struct DataHandler(Arc<Mutex<View>>);

#[derive(Debug, thiserror::Error)]
#[error("undecodable member data: {0}")]
struct BadData(String);

impl BroadcastHandler<Peer> for DataHandler {
    type Key = DataKey;
    type Error = BadData;

    fn receive_item(
        &mut self,
        data: &[u8],
        _sender: Option<&Peer>,
    ) -> Result<Option<DataKey>, BadData> {
        let data: MemberData = postcard::from_bytes(data).map_err(|e| BadData(e.to_string()))?;
        let key = DataKey {
            node: data.node,
            version: data.version,
        };
        let mut view = self.0.lock().unwrap_or_else(|e| e.into_inner());
        Ok(view.learn(data).then_some(key))
    }
}

/// What foca asked for during one call: packets to send, timers to set, changes to apply.
#[derive(Default)]
struct Effects {
    sends: Vec<(NodeId, Vec<u8>)>,
    timers: Vec<(Timer<Peer>, Duration)>,
    /// Members that came up (or came back under a renewed identity).
    up: Vec<NodeId>,
    /// The set of active members changed.
    changed: bool,
    /// The others declared this node down while it ran; foca rejoined under a renewed identity.
    rejoined: bool,
}

impl Runtime<Peer> for Effects {
    fn notify(&mut self, notification: Notification<'_, Peer>) {
        match notification {
            Notification::MemberUp(peer) | Notification::Rename(_, peer) => {
                self.up.push(peer.node);
                self.changed = true;
            }
            Notification::MemberDown(_) => self.changed = true,
            Notification::Rejoin(_) => self.rejoined = true,
            _ => {}
        }
    }

    fn send_to(&mut self, to: Peer, data: &[u8]) {
        self.sends.push((to.node, data.to_vec()));
    }

    fn submit_after(&mut self, event: Timer<Peer>, after: Duration) {
        self.timers.push((event, after));
    }
}

/// What the membership task is asked to do (besides the frames that arrive).
enum Input {
    Timer(Timer<Peer>),
    /// Announce this node to `node` (a seed).
    Join(NodeId),
    /// Publish this node's data: capabilities, actor count, agent; and whether to gossip it
    /// (always, except in a test of what happens when every broadcast is lost).
    Publish(Capabilities, usize, Vec<u8>, bool),
    /// The transport lost `node`: it is down, without waiting for a suspicion to ripen.
    NodeLost(NodeId),
    /// End the task: this node falls silent.
    Stop,
}

/// Timing of the membership protocol.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MembershipConfig {
    /// How often a node probes one member.
    pub(crate) probe_period: Duration,
    /// How long a probe waits for its answer before asking others.
    pub(crate) probe_rtt: Duration,
    /// How long a member stays suspected before it is declared down.
    pub(crate) suspect_to_down_after: Duration,
    /// The number of nodes expected (tunes how many times an update is retransmitted).
    pub(crate) expected_size: u32,
}

impl MembershipConfig {
    fn foca(&self) -> foca::Config {
        let size = NonZeroU32::new(self.expected_size.max(1)).expect("at least 1");
        let mut config = foca::Config::new_lan(size);
        config.probe_period = self.probe_period;
        config.probe_rtt = self.probe_rtt;
        config.suspect_to_down_after = self.suspect_to_down_after;
        // A restarted node has a new `NodeId`: an identity declared down never comes back, so
        // it need not be remembered for long.
        config.remove_down_after = Duration::from_secs(60);
        // While something is to be spread, three members hear it twice per probe period: a
        // fifth of a period spread a death 0.1 s sooner at 64 nodes but sent up to five times
        // the frames while 128 nodes formed on two cores.
        if let Some(gossip) = config.periodic_gossip.as_mut() {
            gossip.frequency = self.probe_period / 2;
        }
        // A member that missed a join (a burst of them at once) learns it from the next
        // announcement's member list, not only when the newcomer's probe round reaches it.
        if let Some(announce) = config.periodic_announce.as_mut() {
            announce.frequency = self.probe_period * 25;
        }
        config
    }
}

/// A node's membership: its task, and its view.
#[derive(Clone)]
pub(crate) struct Membership {
    inputs: mpsc::UnboundedSender<Input>,
    view: Arc<Mutex<View>>,
    node: NodeId,
}

impl Membership {
    /// Starts this node's membership (it knows only itself until it joins a seed);
    /// `on_change` is called (from the membership task) after the view changed.
    pub(crate) fn start(
        net: &Arc<NetInner>,
        config: MembershipConfig,
        on_change: impl Fn() + Send + 'static,
    ) -> Membership {
        let view = Arc::new(Mutex::new(View::default()));
        let (inputs, receiver) = mpsc::unbounded_channel();
        let (frames, frames_in) = mpsc::channel(INBOX);
        let mut seed = [0; 8];
        let _ = getrandom::fill(&mut seed);
        let foca = Foca::with_custom_broadcast(
            Peer {
                node: net.node,
                bump: 0,
            },
            config.foca(),
            SmallRng::seed_from_u64(u64::from_le_bytes(seed)),
            PostcardCodec,
            DataHandler(view.clone()),
        );
        let membership = Membership {
            inputs: inputs.clone(),
            view: view.clone(),
            node: net.node,
        };
        net.set_gossip(GossipSink(frames, view.clone()));
        net.spawn(run(
            foca,
            Inbox {
                inputs: receiver,
                frames: frames_in,
            },
            inputs.downgrade(),
            Arc::downgrade(net),
            view,
            config.probe_period * 3,
            on_change,
        ));
        membership
    }

    /// Announces this node to the node at `seed`.
    pub(crate) fn join(&self, seed: NodeId) {
        let _ = self.inputs.send(Input::Join(seed));
    }

    /// Publishes this node's capabilities, actor count and agent to every member.
    pub(crate) fn publish(&self, capabilities: Capabilities, actors: usize, agent: Vec<u8>) {
        let _ = self
            .inputs
            .send(Input::Publish(capabilities, actors, agent, true));
    }

    /// Publishes as if every broadcast of it were lost: only this node's view takes it.
    #[cfg(test)]
    fn publish_without_gossip(&self, capabilities: Capabilities, actors: usize) {
        let _ = self
            .inputs
            .send(Input::Publish(capabilities, actors, Vec::new(), false));
    }

    /// The transport lost `node`.
    pub(crate) fn node_lost(&self, node: NodeId) {
        let _ = self.inputs.send(Input::NodeLost(node));
    }

    /// Stops taking part: this node answers no probe any more.
    pub(crate) fn stop(&self) {
        let _ = self.inputs.send(Input::Stop);
    }

    /// How many gossip frames arrived while the membership task was too busy to take them
    /// (SWIM retries what matters; counted so that nothing vanishes unseen).
    pub(crate) fn dropped(&self) -> u64 {
        self.view.lock().unwrap_or_else(|e| e.into_inner()).dropped
    }

    /// How many times the others declared this node down while it ran (each time it rejoined
    /// under a renewed identity): suspicions it could not refute in time.
    pub(crate) fn declared_down(&self) -> u64 {
        self.view
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .declared_down
    }

    /// The nodes alive (this one included), with what each published (if it has yet).
    pub(crate) fn members(&self) -> Vec<(NodeId, Option<MemberData>)> {
        let view = self.view.lock().unwrap_or_else(|e| e.into_inner());
        std::iter::once(self.node)
            .chain(view.alive.iter().copied())
            .map(|node| (node, view.data.get(&node).cloned()))
            .collect()
    }
}

/// A way for connections to hand gossip frames to the membership task without waiting.
pub(crate) struct GossipSink(mpsc::Sender<(NodeId, Vec<u8>)>, Arc<Mutex<View>>);

impl GossipSink {
    /// Hands a frame's body on; drops it (counted) when the task is busy.
    pub(crate) fn deliver(&self, from: NodeId, body: &[u8]) {
        if self.0.try_send((from, body.to_vec())).is_err() {
            self.1.lock().unwrap_or_else(|e| e.into_inner()).dropped += 1;
        }
    }
}

type Swim = Foca<Peer, PostcardCodec, SmallRng, DataHandler>;

/// This node's own data as last published, encoded once: sent whole to a member that comes up
/// or asks, and its version ahead of every packet.
struct Mine {
    version: u64,
    /// The encoded `MemberData` (empty before the first publish).
    encoded: Vec<u8>,
    /// `version` as a postcard varint.
    version_prefix: Vec<u8>,
}

impl Mine {
    fn new() -> Self {
        Mine {
            version: 0,
            encoded: Vec::new(),
            version_prefix: vec![0],
        }
    }

    /// Takes `data` (whose version is the next) as this node's.
    fn publish(&mut self, data: &MemberData) {
        self.version = data.version;
        self.encoded = postcard::to_allocvec(data).unwrap_or_default();
        self.version_prefix = postcard::to_allocvec(&data.version).unwrap_or_else(|_| vec![0]);
    }

    /// The data to send a member directly, once there is any.
    fn hello(&self) -> Option<&[u8]> {
        (!self.encoded.is_empty()).then_some(&self.encoded[..])
    }
}

/// What arrives at the membership task: its inputs, and the gossip frames of its links.
struct Inbox {
    inputs: mpsc::UnboundedReceiver<Input>,
    frames: mpsc::Receiver<(NodeId, Vec<u8>)>,
}

/// The membership task: feeds foca what arrives and carries out what it asks for. `grace` is
/// the time gossip has to bring a change before a member asks for it directly.
async fn run(
    mut foca: Swim,
    inbox: Inbox,
    timers: mpsc::WeakUnboundedSender<Input>,
    net: Weak<NetInner>,
    view: Arc<Mutex<View>>,
    grace: Duration,
    on_change: impl Fn() + Send + 'static,
) {
    let Inbox {
        mut inputs,
        mut frames,
    } = inbox;
    let mut mine = Mine::new();
    // The members whose data this node has seen to be stale, since when (or since it last asked).
    let mut stale: BTreeMap<NodeId, tokio::time::Instant> = BTreeMap::new();
    loop {
        let input = tokio::select! {
            input = inputs.recv() => input.map(Ok),
            frame = frames.recv() => frame.map(Err),
        };
        let Some(input) = input else { return };
        let Some(net) = net.upgrade() else { return };
        if net.cancel.is_cancelled() {
            return;
        }
        let mut effects = Effects::default();
        let result = match input {
            Err((from, body)) => match body.split_first() {
                Some((&PACKET, packet)) => match postcard::take_from_bytes::<u64>(packet) {
                    Ok((version, packet)) => {
                        let known = view
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .data
                            .get(&from)
                            .map_or(0, |d| d.version);
                        if known >= version {
                            stale.remove(&from);
                        } else if still_stale(&mut stale, from, grace) {
                            send(&net, from, ASK_DATA, &[]);
                        }
                        foca.handle_data(packet, &mut effects)
                    }
                    Err(_) => Ok(()),
                },
                Some((&DATA, data)) => {
                    if let Ok(data) = postcard::from_bytes::<MemberData>(data) {
                        view.lock().unwrap_or_else(|e| e.into_inner()).learn(data);
                    }
                    Ok(())
                }
                Some((&ASK_DATA, _)) => {
                    if let Some(hello) = mine.hello() {
                        send(&net, from, DATA, &[hello]);
                    }
                    Ok(())
                }
                _ => Ok(()),
            },
            Ok(Input::Stop) => {
                // This node no longer watches anyone: its links ask for heartbeats again.
                net.watch(&BTreeSet::new());
                return;
            }
            Ok(Input::Timer(timer)) => {
                // Once per probe period: a member known alive whose data never arrived (its
                // broadcast passed this node by, and it has not met this node yet) is asked.
                if matches!(timer, Timer::ProbeRandomMember(_)) {
                    let missing: Vec<NodeId> = {
                        let view = view.lock().unwrap_or_else(|e| e.into_inner());
                        let lacking = view.alive.iter().filter(|n| !view.data.contains_key(n));
                        lacking.copied().collect()
                    };
                    for node in missing {
                        if still_stale(&mut stale, node, grace) {
                            send(&net, node, ASK_DATA, &[]);
                        }
                    }
                }
                foca.handle_timer(timer, &mut effects)
            }
            Ok(Input::Join(seed)) => foca.announce(
                Peer {
                    node: seed,
                    bump: 0,
                },
                &mut effects,
            ),
            Ok(Input::NodeLost(node)) => {
                let lost: Vec<_> = foca
                    .iter_membership_state()
                    .filter(|m| m.id().node == node && m.state() != State::Down)
                    .map(|m| Member::new(*m.id(), m.incarnation(), State::Down))
                    .collect();
                foca.apply_many(lost.into_iter(), true, &mut effects)
            }
            Ok(Input::Publish(capabilities, actors, agent, gossip)) => {
                let data = MemberData {
                    node: net.node,
                    version: mine.version + 1,
                    capabilities,
                    actors,
                    agent,
                };
                mine.publish(&data);
                if gossip {
                    // The handler takes it into this node's view too (and only then is it spread).
                    foca.add_broadcast(&mine.encoded).map(|_| ())
                } else {
                    view.lock().unwrap_or_else(|e| e.into_inner()).learn(data);
                    Ok(())
                }
            }
        };
        if let Err(e) = result {
            tracing::debug!(target: "thespian_net::membership", error = %e, "gossip refused");
        }
        // From foca's own list: the notifications of a renamed identity (a member that
        // rejoined after being declared down) need no bookkeeping here.
        let (changed, alive) = {
            let mut view = view.lock().unwrap_or_else(|e| e.into_inner());
            view.declared_down += u64::from(effects.rejoined);
            let mut alive = None;
            if effects.changed {
                view.alive = foca.iter_members().map(|m| m.id().node).collect();
                stale.retain(|node, _| view.alive.contains(node));
                view.changed = true;
                alive = Some(view.alive.clone());
            }
            (std::mem::take(&mut view.changed), alive)
        };
        // SWIM watches the members it holds alive: their links need no heartbeats.
        if let Some(alive) = alive {
            net.watch(&alive);
        }
        if changed {
            on_change();
        }
        // A member that came up hears this node's data at once, and is asked for its own if
        // this node has none yet: two members that meet both learn each other's data, whoever
        // saw the other first.
        if !effects.up.is_empty() {
            let lacking: Vec<bool> = {
                let view = view.lock().unwrap_or_else(|e| e.into_inner());
                let lacks = |node| !view.data.contains_key(node);
                effects.up.iter().map(lacks).collect()
            };
            for (node, lacks) in effects.up.iter().zip(lacking) {
                if let Some(hello) = mine.hello() {
                    send(&net, *node, DATA, &[hello]);
                }
                if lacks {
                    send(&net, *node, ASK_DATA, &[]);
                }
            }
        }
        for (node, packet) in effects.sends {
            send(&net, node, PACKET, &[&mine.version_prefix, &packet]);
        }
        for (timer, after) in effects.timers {
            let timers = timers.clone();
            net.spawn(async move {
                tokio::time::sleep(after).await;
                if let Some(timers) = timers.upgrade() {
                    let _ = timers.send(Input::Timer(timer));
                }
            });
        }
    }
}

/// Whether to ask `node` for its data now that a packet showed this node's copy to be stale:
/// only once it has stayed stale for `grace` since first seen (or last asked). Gossip brings a
/// change within a few probe periods; asking at once would have every member ask a busy node
/// (whose actor count changes with every placement) for each of its versions.
fn still_stale(
    stale: &mut BTreeMap<NodeId, tokio::time::Instant>,
    node: NodeId,
    grace: Duration,
) -> bool {
    let now = tokio::time::Instant::now();
    let since = stale.entry(node).or_insert(now);
    if now.duration_since(*since) < grace {
        return false;
    }
    *since = now;
    true
}

/// Sends one gossip frame of `kind` made of `parts` to `node` over its link (opening one if
/// needed). A node that cannot be reached is SWIM's to find out: the send is not retried here.
fn send(net: &Arc<NetInner>, node: NodeId, kind: u8, parts: &[&[u8]]) {
    let payload_len: usize = parts.iter().map(|p| p.len()).sum();
    // Length prefix, sequence number, header, kind byte.
    const OVERHEAD: u64 = 4 + 8 + 1 + 1;
    let (frames, bytes) = &net.gossip_sent;
    frames.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    bytes.fetch_add(
        payload_len as u64 + OVERHEAD,
        std::sync::atomic::Ordering::Relaxed,
    );
    let link = net.link(node);
    let _ = link.push(
        |_| Header::Gossip,
        false,
        |out| {
            out.push(kind);
            for part in parts {
                out.extend_from_slice(part);
            }
            Ok(())
        },
        |()| None,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NetConfig, NetSystem, Secret};
    use thespian::ActorSystem;

    fn config() -> MembershipConfig {
        MembershipConfig {
            probe_period: Duration::from_millis(100),
            probe_rtt: Duration::from_millis(50),
            suspect_to_down_after: Duration::from_millis(300),
            expected_size: 8,
        }
    }

    struct Node {
        _system: ActorSystem,
        net: NetSystem,
        membership: Membership,
    }

    async fn node(secret: &Secret, zone: i64) -> Node {
        let system = ActorSystem::new();
        let net = NetSystem::start(
            &system,
            NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone()),
        )
        .await
        .unwrap();
        let membership = Membership::start(net.inner(), config(), || {});
        membership.publish(Capabilities::new().with("zone", zone), 0, Vec::new());
        Node {
            _system: system,
            net,
            membership,
        }
    }

    /// Waits until every node of `nodes` sees exactly `expected` members, each with data
    /// satisfying `ok`.
    async fn converge(
        nodes: &[&Node],
        expected: &BTreeSet<NodeId>,
        ok: impl Fn(&MemberData) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let done = nodes.iter().all(|n| {
                let members = n.membership.members();
                members.len() == expected.len()
                    && members.iter().all(|(node, data)| {
                        expected.contains(node) && data.as_ref().is_some_and(&ok)
                    })
            });
            if done {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no convergence: {:?}",
                nodes
                    .iter()
                    .map(|n| n
                        .membership
                        .members()
                        .iter()
                        .map(|(node, d)| (
                            node.addr.port(),
                            d.as_ref().map(|d| (d.version, d.actors))
                        ))
                        .collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn members_find_each_other_and_the_seeds_death_stops_nothing() {
        let secret = Secret::generate().unwrap();
        let mut nodes = Vec::new();
        for zone in 0..6 {
            nodes.push(node(&secret, zone).await);
        }
        let seed = nodes[0].net.node();
        for n in &nodes[1..] {
            n.membership.join(seed);
        }
        let all: BTreeSet<NodeId> = nodes.iter().map(|n| n.net.node()).collect();
        let started = tokio::time::Instant::now();
        converge(&nodes.iter().collect::<Vec<_>>(), &all, |_| true).await;
        eprintln!("6 nodes joined through one seed in {:?}", started.elapsed());

        // The seed dies: the others see it go, and go on without it.
        let dead = nodes.remove(0);
        dead.net.shutdown().await;
        drop(dead);
        let alive: BTreeSet<NodeId> = nodes.iter().map(|n| n.net.node()).collect();
        let started = tokio::time::Instant::now();
        converge(&nodes.iter().collect::<Vec<_>>(), &alive, |_| true).await;
        eprintln!(
            "the seed's death seen everywhere in {:?}",
            started.elapsed()
        );

        // A newcomer joins through any member, and learns everyone's data.
        let newcomer = node(&secret, 9).await;
        newcomer.membership.join(nodes[2].net.node());
        let mut everyone = alive.clone();
        everyone.insert(newcomer.net.node());
        let mut all_nodes: Vec<&Node> = nodes.iter().collect();
        all_nodes.push(&newcomer);
        converge(&all_nodes, &everyone, |_| true).await;

        // A change of one member's data reaches every member.
        let changer = &nodes[1];
        changer
            .membership
            .publish(Capabilities::new().with("zone", 42), 7, Vec::new());
        let changed = changer.net.node();
        converge(&all_nodes, &everyone, |d| {
            d.node != changed || (d.actors == 7 && d.capabilities.get("zone").is_some())
        })
        .await;
        // A calm convention drops no gossip.
        assert!(all_nodes.iter().all(|n| n.membership.dropped() == 0));
        for n in all_nodes {
            n.net.shutdown().await;
        }
    }

    /// A change whose every broadcast is lost still reaches every member: the version each
    /// probe carries tells the others their copy is stale.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn data_whose_gossip_is_lost_is_asked_for() {
        let secret = Secret::generate().unwrap();
        let mut nodes = Vec::new();
        for zone in 0..4 {
            nodes.push(node(&secret, zone).await);
        }
        for n in &nodes[1..] {
            n.membership.join(nodes[0].net.node());
        }
        let all: BTreeSet<NodeId> = nodes.iter().map(|n| n.net.node()).collect();
        let refs: Vec<&Node> = nodes.iter().collect();
        converge(&refs, &all, |_| true).await;

        let changer = nodes[3].net.node();
        nodes[3]
            .membership
            .publish_without_gossip(Capabilities::new().with("zone", 77), 5);
        let started = tokio::time::Instant::now();
        converge(&refs, &all, |d| d.node != changer || d.actors == 5).await;
        eprintln!(
            "an unspread change reached everyone in {:?}",
            started.elapsed()
        );
        for n in nodes {
            n.net.shutdown().await;
        }
    }
}
