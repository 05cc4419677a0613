//! The convention: members register with the leader, actors are placed by capabilities, the
//! table follows nodes that come, change and go. Every node on 127.0.0.1.

mod common;

use std::time::Duration;

use common::*;
use serde::{Deserialize, Serialize};
use thespian::prelude::*;
use thespian::{Capabilities, CreateError};
use thespian_net::{
    Convention, ConventionConfig, ConventionUpdate, NetConfig, NetSystem, Placement,
    PlacementPolicy,
};

/// Runs only where `"Hello World"` is true.
#[derive(Serialize, Deserialize)]
struct Greeter {
    greeting: String,
}

#[actor]
impl Greeter {
    async fn greet(&self, name: String) -> String {
        format!("{}, {name}!", self.greeting)
    }

    #[capability_check]
    fn hello_world_only(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
        capabilities.is_true("Hello World")
    }
}

/// Runs where every requirement is met by an equal capability.
#[derive(Serialize, Deserialize, Default)]
struct Worker {
    done: u64,
}

#[actor]
impl Worker {
    async fn work(&mut self) -> u64 {
        self.done += 1;
        self.done
    }

    #[capability_check]
    fn meets(capabilities: &Capabilities, requirements: &Capabilities) -> bool {
        requirements
            .iter()
            .all(|(name, value)| capabilities.get(name) == Some(value))
    }
}

/// Collects membership updates.
#[derive(Default)]
struct Watcher {
    seen: Vec<ConventionUpdate>,
}

#[actor]
impl Watcher {
    #[receive]
    async fn update(&mut self, update: ConventionUpdate) {
        self.seen.push(update);
    }

    async fn seen(&self) -> Vec<ConventionUpdate> {
        self.seen.clone()
    }
}

struct Node {
    system: ActorSystem,
    net: NetSystem,
    convention: Convention,
}

fn timing(leader: std::net::SocketAddr) -> ConventionConfig {
    ConventionConfig::new(leader).timing(Duration::from_millis(100), Duration::from_millis(400))
}

async fn start(
    leader: Option<std::net::SocketAddr>,
    capabilities: Capabilities,
    net_config: NetConfig,
) -> Node {
    start_with(capabilities, net_config, |own| {
        timing(leader.unwrap_or(own))
    })
    .await
}

/// A node joining with the convention configuration `joining` makes of its own address.
async fn start_with(
    capabilities: Capabilities,
    net_config: NetConfig,
    joining: impl FnOnce(std::net::SocketAddr) -> ConventionConfig,
) -> Node {
    let system = ActorSystem::builder()
        .capabilities(capabilities)
        .default_ask_timeout(TIMEOUT)
        .build();
    let net = NetSystem::start(&system, net_config).await.unwrap();
    let convention = Convention::join(&net, joining(net.local_addr()))
        .await
        .unwrap();
    convention.register::<Greeter>();
    convention.register::<Worker>();
    Node {
        system,
        net,
        convention,
    }
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let waited = tokio::time::timeout(TIMEOUT, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "never: {what}");
}

fn caps(pairs: &[(&str, &str)]) -> Capabilities {
    pairs
        .iter()
        .fold(Capabilities::new(), |c, (k, v)| c.with(*k, *v))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_systems_place_actors_by_capabilities_and_requirements() {
    let leader = start(None, Capabilities::new(), config()).await;
    let at = Some(leader.net.local_addr());
    let mut members = Vec::new();
    for zone in ["a", "b", "c"] {
        members.push(start(at, caps(&[("zone", zone)]), config()).await);
    }
    members.push(start(at, Capabilities::new().with("Hello World", true), config()).await);
    let all: Vec<&Node> = std::iter::once(&leader).chain(members.iter()).collect();
    for node in &all {
        eventually("every node knows all five", || {
            node.convention.members().len() == 5
        })
        .await;
    }
    // No requirement and a type that runs anywhere, by Thespian's rule: placed here, on the
    // leader itself.
    let before = leader.system.live_actors();
    let first_match = Placement::new().policy(PlacementPolicy::FirstMatch);
    let local = leader
        .convention
        .create_actor_with(Worker::default(), first_match)
        .await
        .unwrap();
    assert_eq!(local.work().ask().await, Ok(1));
    assert_eq!(leader.system.live_actors(), before + 1);
    // By capability: only the fifth node says "Hello World".
    let before = members[3].system.live_actors();
    let greeter = leader
        .convention
        .create_actor(
            Greeter {
                greeting: "Hello".into(),
            },
            Capabilities::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        greeter.greet("World".into()).ask().await.as_deref(),
        Ok("Hello, World!")
    );
    assert_eq!(members[3].system.live_actors(), before + 1);
    // By requirements: each worker lands in the zone it asks for, from any node.
    for (i, zone) in ["a", "b", "c"].into_iter().enumerate() {
        let before = members[i].system.live_actors();
        let worker = members[3]
            .convention
            .create_actor(Worker::default(), caps(&[("zone", zone)]))
            .await
            .unwrap();
        assert_eq!(worker.work().ask().await, Ok(1));
        assert_eq!(members[i].system.live_actors(), before + 1, "zone {zone}");
    }
    // Nobody offers what is required.
    let none = leader
        .convention
        .create_actor(Worker::default(), caps(&[("zone", "z")]))
        .await;
    assert!(matches!(none, Err(CreateError::NoCompatibleSystem { .. })));
    for node in all {
        node.net.shutdown().await;
    }
}

/// Takes 800 ms to arrive (its node's agent is stuck in it), and accepts only zone "b".
#[derive(Serialize)]
struct Sluggish;

impl<'de> Deserialize<'de> for Sluggish {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <()>::deserialize(d)?;
        std::thread::sleep(Duration::from_millis(800));
        Ok(Sluggish)
    }
}

#[actor]
impl Sluggish {
    async fn ping(&self) {}

    #[capability_check]
    fn meets(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
        caps(&[("zone", "b")])
            .iter()
            .all(|(name, value)| capabilities.get(name) == Some(value))
    }
}

/// A node that does not answer a placement in time ends it with `PlacementTimedOut`, naming
/// the node, not a claim that no node accepts the type (another node is not tried).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placement_the_chosen_node_does_not_answer_times_out() {
    let first = start_with(Capabilities::new(), config(), |own| {
        timing(own).create_timeout(Duration::from_millis(300))
    })
    .await;
    let second = start(
        Some(first.net.local_addr()),
        caps(&[("zone", "b")]),
        config(),
    )
    .await;
    second.convention.register::<Sluggish>();
    eventually("both joined", || first.convention.members().len() == 2).await;
    let placed = first
        .convention
        .create_actor(Sluggish, Capabilities::new())
        .await;
    match placed {
        Err(CreateError::PlacementTimedOut { node, after, .. }) => {
            assert_eq!(node, second.net.node().to_string());
            assert_eq!(after, Duration::from_millis(300));
        }
        other => panic!("expected PlacementTimedOut, got {other:?}"),
    }
    for node in [&first, &second] {
        node.net.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capability_added_at_run_time_makes_a_later_placement_succeed() {
    let leader = start(None, Capabilities::new(), config()).await;
    let member = start(Some(leader.net.local_addr()), Capabilities::new(), config()).await;
    eventually("both registered", || leader.convention.members().len() == 2).await;
    let greeting = || Greeter {
        greeting: "Hi".into(),
    };
    let refused = leader
        .convention
        .create_actor(greeting(), Capabilities::new())
        .await;
    assert!(matches!(
        refused,
        Err(CreateError::NoCompatibleSystem { .. })
    ));
    member
        .convention
        .update_capability("Hello World", Some(true.into()))
        .await;
    eventually("the leader's table shows the capability", || {
        leader
            .convention
            .members()
            .iter()
            .any(|m| m.capabilities.is_true("Hello World"))
    })
    .await;
    let greeter = leader
        .convention
        .create_actor(greeting(), Capabilities::new())
        .await
        .unwrap();
    assert_eq!(
        greeter.greet("there".into()).ask().await.as_deref(),
        Ok("Hi, there!")
    );
    // And removing it works the same way.
    member
        .convention
        .update_capability("Hello World", None)
        .await;
    eventually("the capability is gone", || {
        !leader
            .convention
            .members()
            .iter()
            .any(|m| m.capabilities.is_true("Hello World"))
    })
    .await;
    leader.net.shutdown().await;
    member.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_that_come_and_go_are_announced() {
    let leader = start(None, Capabilities::new(), config()).await;
    let watcher = leader
        .system
        .create_actor(Watcher::default())
        .await
        .unwrap();
    leader.convention.subscribe(watcher.clone());
    let member = start(
        Some(leader.net.local_addr()),
        caps(&[("zone", "a")]),
        config(),
    )
    .await;
    let member_node = member.net.node();
    let joined = |seen: &[ConventionUpdate]| {
        seen.iter()
            .any(|u| matches!(u, ConventionUpdate::Joined(m) if m.node == member_node))
    };
    tokio::time::timeout(TIMEOUT, async {
        while !joined(&watcher.seen().ask().await.unwrap()) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("joined");
    // The member goes away without a word: gone from the table within the member timeout.
    let gone_at = std::time::Instant::now();
    member.net.shutdown().await;
    member.system.shutdown().await;
    let left = |seen: &[ConventionUpdate]| {
        seen.iter()
            .any(|u| matches!(u, ConventionUpdate::Left(m) if m.node == member_node))
    };
    tokio::time::timeout(TIMEOUT, async {
        while !left(&watcher.seen().ask().await.unwrap()) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("left");
    // Timing 100 ms / 400 ms: dropped after at most about half a second.
    assert!(
        gone_at.elapsed() < Duration::from_millis(1500),
        "{:?}",
        gone_at.elapsed()
    );
    // It comes back (a new run on a new port) and registers again.
    let back = start(
        Some(leader.net.local_addr()),
        caps(&[("zone", "a")]),
        config(),
    )
    .await;
    eventually("the new run joined", || {
        leader.convention.members().len() == 2
    })
    .await;
    leader.net.shutdown().await;
    back.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_keep_working_without_the_leader_and_register_again_when_it_returns() {
    let leader = start(None, Capabilities::new(), config()).await;
    let leader_addr = leader.net.local_addr();
    let a = start(Some(leader_addr), caps(&[("zone", "a")]), config()).await;
    let b = start(Some(leader_addr), caps(&[("zone", "b")]), config()).await;
    eventually("all three", || {
        a.convention.members().len() == 3 && b.convention.members().len() == 3
    })
    .await;
    let watcher = a.system.create_actor(Watcher::default()).await.unwrap();
    a.convention.subscribe(watcher.clone());
    leader.net.shutdown().await;
    leader.system.shutdown().await;
    // Members keep the last table: placement between them still works.
    let worker = a
        .convention
        .create_actor(Worker::default(), caps(&[("zone", "b")]))
        .await;
    let worker = worker.unwrap_or_else(|e| panic!("{e:?}: a sees {:?}", a.convention.members()));
    assert_eq!(worker.work().ask().await, Ok(1));
    // The leader comes back at the same address; the members find it again.
    let leader = start(
        None,
        Capabilities::new(),
        NetConfig::new(leader_addr, secret()),
    )
    .await;
    eventually("both members registered again", || {
        leader.convention.members().len() == 3
    })
    .await;
    // Member a never saw member b leave.
    let b_node = b.net.node();
    let seen = watcher.seen().ask().await.unwrap();
    assert!(
        !seen
            .iter()
            .any(|u| matches!(u, ConventionUpdate::Left(m) if m.node == b_node)),
        "{seen:?}"
    );
    for node in [leader, a, b] {
        node.net.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_the_wrong_secret_cannot_join() {
    let leader = start(None, Capabilities::new(), config()).await;
    let intruder = start(
        Some(leader.net.local_addr()),
        Capabilities::new().with("Hello World", true),
        NetConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            thespian_net::Secret::generate().unwrap(),
        ),
    )
    .await;
    let member = start(Some(leader.net.local_addr()), Capabilities::new(), config()).await;
    eventually("the honest member joined", || {
        leader.convention.members().len() == 2
    })
    .await;
    // The intruder tried to join (its connection reached the leader) and was refused.
    eventually("the intruder was refused", || {
        leader.net.stats().refused >= 1
    })
    .await;
    let nodes: Vec<_> = leader.convention.members().iter().map(|m| m.node).collect();
    assert!(!nodes.contains(&intruder.net.node()));
    // The intruder knows only itself.
    let seen: Vec<_> = intruder
        .convention
        .members()
        .iter()
        .map(|m| m.node)
        .collect();
    assert_eq!(seen, vec![intruder.net.node()]);
    for node in [leader, intruder, member] {
        node.net.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_whose_connection_closes_is_dropped_at_once() {
    // A member timeout far longer than the test: only the closed connection can explain a
    // quick removal.
    let slow = |leader| {
        ConventionConfig::new(leader).timing(Duration::from_millis(100), Duration::from_secs(60))
    };
    let system = ActorSystem::new();
    let net = NetSystem::start(&system, config()).await.unwrap();
    let leader = Convention::join(&net, slow(net.local_addr()))
        .await
        .unwrap();
    let member_system = ActorSystem::new();
    let member_net = NetSystem::start(&member_system, config()).await.unwrap();
    let _member = Convention::join(&member_net, slow(net.local_addr()))
        .await
        .unwrap();
    eventually("joined", || leader.members().len() == 2).await;
    let closed_at = std::time::Instant::now();
    member_net.shutdown().await;
    eventually("dropped", || leader.members().len() == 1).await;
    assert!(
        closed_at.elapsed() < Duration::from_secs(1),
        "{:?}",
        closed_at.elapsed()
    );
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_resolve_across_the_convention_and_any_node_answers_a_status_query() {
    let leader = start(None, Capabilities::new(), config()).await;
    let member = start(
        Some(leader.net.local_addr()),
        caps(&[("zone", "a")]),
        config(),
    )
    .await;
    eventually("both registered", || member.convention.members().len() == 2).await;
    member
        .system
        .create_actor_with(Counter::new(), ActorOptions::new().name("tally"))
        .await
        .unwrap();
    let tally: Addr<Counter> = leader.convention.named("tally").await.expect("found");
    tally.add(3).tell().await.unwrap();
    assert_eq!(tally.total().ask().await, Ok(3));
    assert!(leader.convention.named::<Counter>("nobody").await.is_none());
    // A node belongs to one convention: joining again is refused, not half-done.
    let again = Convention::join(&member.net, timing(leader.net.local_addr())).await;
    assert!(again.is_err());
    assert!(leader.convention.named::<Worker>("tally").await.is_none());

    // A client that is no member, only knows the secret, asks the member.
    let (_client, client) = node().await;
    let status = Convention::status(&client, member.net.local_addr(), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(status.node, member.net.node());
    assert!(!status.is_leader);
    assert_eq!(status.leader, leader.net.local_addr());
    let mut nodes: Vec<_> = status.members.iter().map(|m| m.node).collect();
    nodes.sort();
    let mut expected = vec![leader.net.node(), member.net.node()];
    expected.sort();
    assert_eq!(nodes, expected);
    let zone_a = status
        .members
        .iter()
        .find(|m| m.node == member.net.node())
        .unwrap();
    assert_eq!(zone_a.capabilities, caps(&[("zone", "a")]));
    assert!(zone_a.actors >= 1);
    for node in [leader, member] {
        node.net.shutdown().await;
    }
    client.shutdown().await;
}

/// Places workers from inside an actor, with the convention it was given.
struct Dispatcher {
    convention: Convention,
}

#[actor(no_serde)]
impl Dispatcher {
    async fn place(&mut self, zone: String) -> Option<u64> {
        let worker = self
            .convention
            .create_actor(Worker::default(), caps(&[("zone", zone.as_str())]))
            .await
            .ok()?;
        worker.work().ask().await.ok()
    }

    async fn offer(&mut self, name: String) {
        self.convention
            .update_capability(&name, Some(true.into()))
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actors_place_actors_and_change_capabilities_too() {
    let leader = start(None, Capabilities::new(), config()).await;
    let member = start(
        Some(leader.net.local_addr()),
        caps(&[("zone", "a")]),
        config(),
    )
    .await;
    eventually("both registered", || leader.convention.members().len() == 2).await;
    let dispatcher = leader
        .system
        .create_actor(Dispatcher {
            convention: leader.convention.clone(),
        })
        .await
        .unwrap();
    let before = member.system.live_actors();
    assert_eq!(dispatcher.place("a".into()).ask().await, Ok(Some(1)));
    assert_eq!(member.system.live_actors(), before + 1);
    assert_eq!(dispatcher.place("b".into()).ask().await, Ok(None));
    dispatcher.offer("Hello World".into()).tell().await.unwrap();
    eventually("the member sees the leader's new capability", || {
        member
            .convention
            .members()
            .iter()
            .any(|m| m.node == leader.net.node() && m.capabilities.is_true("Hello World"))
    })
    .await;
    for node in [leader, member] {
        node.net.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_stops_renewing_is_dropped_after_the_member_timeout() {
    // Heartbeats every 100 ms where they are wanted.
    let config = || config().down_after(Duration::from_millis(400));
    let leader = start(None, Capabilities::new(), config()).await;
    let member = start(Some(leader.net.local_addr()), Capabilities::new(), config()).await;
    eventually("both registered", || {
        leader.convention.members().len() == 2 && member.convention.members().len() == 2
    })
    .await;
    // Members watch each other by SWIM: their connection carries no heartbeats.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = [leader.net.stats().heartbeats, member.net.stats().heartbeats];
    tokio::time::sleep(Duration::from_millis(600)).await;
    let after = [leader.net.stats().heartbeats, member.net.stats().heartbeats];
    assert_eq!(before, after, "heartbeats between members at rest");
    // Its agent stops (a frozen node looks the same to the leader); the connection stays open.
    let agent = member
        .system
        .named_address("thespian.convention.agent")
        .expect("the agent");
    let stopped_at = std::time::Instant::now();
    assert!(agent.request_exit());
    eventually("dropped", || leader.convention.members().len() == 1).await;
    let took = stopped_at.elapsed();
    // Timing 100 ms / 400 ms: between the timeout and the timeout plus a tick or two.
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < Duration::from_millis(1000), "{took:?}");
    // Neither watches the other now: heartbeats keep the connection, which outlives the
    // silence limit.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(leader.net.is_connected(member.net.node()));
    assert!(leader.net.stats().heartbeats > after[0]);
    assert!(member.net.stats().heartbeats > after[1]);
    for node in [leader, member] {
        node.net.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placement_uses_the_least_loaded_node_and_a_node_that_joins_at_once() {
    let leader = start(None, Capabilities::new(), config()).await;
    let at = Some(leader.net.local_addr());
    let zone = || caps(&[("pool", "workers")]);
    let one = start(at, zone(), config()).await;
    let two = start(at, zone(), config()).await;
    for node in [&leader, &one, &two] {
        eventually("three nodes", || node.convention.members().len() == 3).await;
    }
    let requirements = || caps(&[("pool", "workers")]);
    let place = || async {
        leader
            .convention
            .create_actor(Worker::default(), requirements())
            .await
            .unwrap()
    };
    // Six placements spread over the two workers' nodes (evenly, unless a count registered
    // mid-way already includes some of them).
    let (before_one, before_two) = (one.system.live_actors(), two.system.live_actors());
    let mut placed = Vec::new();
    for _ in 0..6 {
        placed.push(place().await);
    }
    let (on_one, on_two) = (
        one.system.live_actors() - before_one,
        two.system.live_actors() - before_two,
    );
    assert_eq!(on_one + on_two, 6);
    assert!(on_one >= 2 && on_two >= 2, "{on_one} and {on_two}");
    // A node that joins takes the next placements, until it has as many as the others.
    let three = start(at, zone(), config()).await;
    eventually("the leader knows the newcomer", || {
        leader.convention.members().len() == 4
    })
    .await;
    let before_three = three.system.live_actors();
    for _ in 0..3 {
        placed.push(place().await);
    }
    let on_three = three.system.live_actors() - before_three;
    assert!(on_three >= 2, "the newcomer took {on_three} of 3");
    // A policy of the user's: the node with the highest address first.
    let highest = leader
        .convention
        .create_actor_with(
            Worker::default(),
            Placement::new()
                .requirements(requirements())
                .policy(PlacementPolicy::Ranked(|m| {
                    u64::from(u16::MAX - m.node.addr.port())
                })),
        )
        .await
        .unwrap();
    let top = [&one, &two, &three]
        .into_iter()
        .max_by_key(|n| n.net.local_addr().port())
        .unwrap();
    assert_eq!(
        thespian::remote::node_of_actor(&highest.address()),
        Some(top.net.node())
    );
    for node in [&leader, &one, &two, &three] {
        node.net.shutdown().await;
    }
}

/// No node is special: with the seed (the convention address) gone, the others see it leave,
/// a node joins through another seed, capabilities change, placement and subscriptions go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_seed_stops_nothing() {
    let seed = start(None, Capabilities::new(), config()).await;
    let seed_addr = seed.net.local_addr();
    let mut members = Vec::new();
    for zone in ["a", "b", "c"] {
        members.push(start(Some(seed_addr), caps(&[("zone", zone)]), config()).await);
    }
    for node in &members {
        eventually("all four joined", || node.convention.members().len() == 4).await;
    }
    let watcher = members[0]
        .system
        .create_actor(Watcher::default())
        .await
        .unwrap();
    members[0].convention.subscribe(watcher.clone());

    // The seed's process is gone.
    let seed_node = seed.net.node();
    let lost_at = std::time::Instant::now();
    seed.net.shutdown().await;
    seed.system.shutdown().await;
    for node in &members {
        eventually("the seed left", || node.convention.members().len() == 3).await;
    }
    let seen_everywhere = lost_at.elapsed();

    // A newcomer joins through a seed that is not the convention address.
    let other_seed = members[1].net.local_addr();
    let newcomer = start_with(caps(&[("zone", "d")]), config(), |_| {
        timing(seed_addr).seeds([other_seed])
    })
    .await;
    let joined_at = std::time::Instant::now();
    for node in &members {
        eventually("the newcomer joined", || {
            node.convention.members().len() == 4
        })
        .await;
    }
    eventually("the newcomer sees everyone", || {
        newcomer.convention.members().len() == 4
    })
    .await;
    let join_seen = joined_at.elapsed();
    eprintln!("seed loss seen everywhere in {seen_everywhere:?}, a join in {join_seen:?}");

    // Placement reaches the newcomer by its capability, from a node that never knew it at first.
    let worker = members[2]
        .convention
        .create_actor_with(
            Worker::default(),
            Placement::new().requirements(caps(&[("zone", "d")])),
        )
        .await
        .unwrap();
    assert_eq!(
        thespian::remote::node_of_actor(&worker.address()),
        Some(newcomer.net.node())
    );
    assert_eq!(worker.work().ask().await, Ok(1));
    // A capability change spreads.
    members[1]
        .convention
        .update_capability("zone", Some("e".into()))
        .await;
    let changed = members[1].net.node();
    eventually("the change reached the newcomer", || {
        newcomer
            .convention
            .members()
            .iter()
            .any(|m| m.node == changed && m.capabilities.get("zone") == Some(&"e".into()))
    })
    .await;
    // The subscriber heard the seed leave and the newcomer join.
    let newcomer_node = newcomer.net.node();
    tokio::time::timeout(TIMEOUT, async {
        loop {
            let seen = watcher.seen().ask().await.unwrap();
            let left = seen
                .iter()
                .any(|u| matches!(u, ConventionUpdate::Left(m) if m.node == seed_node));
            let joined = seen
                .iter()
                .any(|u| matches!(u, ConventionUpdate::Joined(m) if m.node == newcomer_node));
            if left && joined {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the subscriber heard both");
    newcomer.net.shutdown().await;
    for node in members {
        node.net.shutdown().await;
    }
}

/// A partition splits the convention in two and heals: each side sees the other leave, then
/// come back; subscribers hear `Left` then `Joined`; an actor placed before stays one actor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_splits_the_convention_and_heals() {
    let first = start(None, caps(&[("zone", "a")]), config()).await;
    let seeds = |n: &Node| n.net.local_addr();
    let seed_a = seeds(&first);
    let second = start(Some(seed_a), caps(&[("zone", "a")]), config()).await;
    // The other side has a seed of its own, so that each side keeps one.
    let third = start(Some(seed_a), caps(&[("zone", "b")]), config()).await;
    let seed_b = seeds(&third);
    let fourth = start_with(caps(&[("zone", "b")]), config(), |_| {
        timing(seed_a).seeds([seed_b])
    })
    .await;
    let all = [&first, &second, &third, &fourth];
    for node in all {
        eventually("all four joined", || node.convention.members().len() == 4).await;
    }
    let worker = first
        .convention
        .create_actor(Worker::default(), caps(&[("zone", "b")]))
        .await
        .unwrap();
    let zone_b_actors = || third.system.live_actors() + fourth.system.live_actors();
    let before = zone_b_actors();
    let watcher = first.system.create_actor(Watcher::default()).await.unwrap();
    first.convention.subscribe(watcher.clone());

    // Split: {first, second} | {third, fourth}, cut on both sides.
    let side_a = [seeds(&first), seeds(&second)];
    let side_b = [seeds(&third), seeds(&fourth)];
    for node in [&first, &second] {
        thespian_net::__testing::partition(&node.net, &side_b);
    }
    for node in [&third, &fourth] {
        thespian_net::__testing::partition(&node.net, &side_a);
    }
    for node in all {
        eventually("each side sees only itself", || {
            node.convention.members().len() == 2
        })
        .await;
    }
    // Heal: each side finds the other again through the seeds it no longer saw.
    for node in all {
        thespian_net::__testing::partition(&node.net, &[]);
    }
    for node in all {
        eventually("all four again", || node.convention.members().len() == 4).await;
    }
    // Each side declared the other down while it ran: each node has counted it once it heard.
    for node in all {
        eventually("each node heard it was declared down", || {
            node.convention.membership_traffic().declared_down >= 1
        })
        .await;
    }
    let third_node = third.net.node();
    let seen = watcher.seen().ask().await.unwrap();
    let left = seen
        .iter()
        .position(|u| matches!(u, ConventionUpdate::Left(m) if m.node == third_node));
    let joined = seen
        .iter()
        .rposition(|u| matches!(u, ConventionUpdate::Joined(m) if m.node == third_node));
    assert!(
        matches!((left, joined), (Some(l), Some(j)) if l < j),
        "Left then Joined: {seen:?}"
    );
    // The actor placed before the split is still one actor, and still answers.
    assert_eq!(zone_b_actors(), before);
    assert_eq!(worker.work().ask().await, Ok(1));
    for node in all {
        node.net.shutdown().await;
    }
}
