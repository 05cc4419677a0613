//! Actors and helpers shared by the multi-node tests. Every node listens on 127.0.0.1:0.
#![allow(dead_code)]

pub mod family;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use thespian::prelude::*;
use thespian_net::{NetConfig, NetSystem, Secret};

/// The tests' shared secret, in hexadecimal (a real one: 32 random bytes).
pub const SECRET: &str = "7d2f1c9a4e8b0365f1a2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718";

pub fn secret() -> Secret {
    Secret::from_hex(SECRET).expect("a valid secret")
}
pub const TIMEOUT: Duration = Duration::from_secs(5);

pub fn config() -> NetConfig {
    NetConfig::new("127.0.0.1:0".parse().unwrap(), secret())
}

/// A networked actor system on loopback.
pub async fn node() -> (ActorSystem, NetSystem) {
    node_with(config()).await
}

pub async fn node_with(config: NetConfig) -> (ActorSystem, NetSystem) {
    let system = ActorSystem::builder().default_ask_timeout(TIMEOUT).build();
    let net = NetSystem::start(&system, config)
        .await
        .expect("node starts");
    (system, net)
}

/// A counter under global name `name` on `system`.
pub async fn named_counter(system: &ActorSystem, name: &str) -> Addr<Counter> {
    system
        .create_actor_with(Counter::new(), ActorOptions::new().name(name))
        .await
        .unwrap()
}

/// Creates `actor` on node `there` under global name `name`, and returns its address as node
/// `here` finds it by that name.
pub async fn placed<A: Actor>(
    actor: A,
    name: &str,
    there: (&ActorSystem, &NetSystem),
    here: &NetSystem,
) -> Addr<A> {
    there
        .0
        .create_actor_with(actor, ActorOptions::new().name(name))
        .await
        .unwrap();
    here.lookup(there.1.local_addr(), name, TIMEOUT)
        .await
        .unwrap()
}

/// Two nodes: a counter named `counter` on the first, and its address as the second sees it.
pub struct Pair {
    pub one: ActorSystem,
    pub net_one: NetSystem,
    pub two: ActorSystem,
    pub net_two: NetSystem,
    pub local: Addr<Counter>,
    pub remote: Addr<Counter>,
}

pub async fn pair() -> Pair {
    let (one, net_one) = node().await;
    let (two, net_two) = node().await;
    let local = named_counter(&one, "counter").await;
    let remote = net_two
        .lookup(net_one.local_addr(), "counter", TIMEOUT)
        .await
        .unwrap();
    Pair {
        one,
        net_one,
        two,
        net_two,
        local,
        remote,
    }
}

/// Counts, and checks that numbered messages arrive in order.
#[derive(Default)]
pub struct Counter {
    total: u64,
    received: u64,
    in_order: bool,
}

impl Counter {
    pub fn new() -> Self {
        Counter {
            in_order: true,
            ..Counter::default()
        }
    }
}

#[actor]
impl Counter {
    pub async fn add(&mut self, n: u64) {
        self.total += n;
    }

    pub async fn total(&self) -> u64 {
        self.total
    }

    /// The `n`th message of a numbered stream.
    pub async fn numbered(&mut self, n: u64) {
        self.in_order &= n == self.received;
        self.received += 1;
    }

    /// How many numbered messages arrived, and whether all in order.
    pub async fn stream(&self) -> (u64, bool) {
        (self.received, self.in_order)
    }

    /// Answers after `ms` milliseconds.
    pub async fn slow(&self, ms: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    }

    /// Its own address, as the actor sees it.
    pub async fn whoami(&self, ctx: &mut Context<Self>) -> Addr<Counter> {
        ctx.myself().clone()
    }
}

/// Holds a counter's address that was sent to it, and adds to it.
#[derive(Default)]
pub struct Forwarder {
    target: Option<Addr<Counter>>,
}

#[actor]
impl Forwarder {
    pub async fn aim(&mut self, target: Addr<Counter>) {
        self.target = Some(target);
    }

    /// Adds `n` to the target, and waits for its total.
    pub async fn relay(&mut self, n: u64) -> Option<u64> {
        let target = self.target.as_ref()?;
        target.add(n).tell().await.ok()?;
        target.total().ask().await.ok()
    }
}

/// A greeting on its way (Hello World Redux), with the stops it still has to make.
#[derive(Serialize, Deserialize)]
pub struct Greeting {
    pub message: String,
    pub send_to: Vec<Stop>,
}

impl Message for Greeting {
    type Reply = ();
}

#[derive(Serialize, Deserialize)]
pub enum Stop {
    World(Addr<World>),
    Punctuate(Addr<Punctuate>),
    Asker(ReplyHandle<String>),
}

impl Greeting {
    pub async fn forward(mut self) {
        if self.send_to.is_empty() {
            return;
        }
        match self.send_to.remove(0) {
            Stop::World(next) => {
                let _ = next.tell(self).await;
            }
            Stop::Punctuate(next) => {
                let _ = next.tell(self).await;
            }
            Stop::Asker(reply) => {
                let _ = reply.send(self.message);
            }
        }
    }
}

/// Starts greetings: its helpers may live on other nodes.
pub struct Hello {
    pub world: Addr<World>,
    pub punctuate: Addr<Punctuate>,
}

#[actor]
impl Hello {
    pub async fn hi(&mut self, reply: ReplyHandle<String>) {
        let greeting = Greeting {
            message: "Hello".into(),
            send_to: vec![Stop::Punctuate(self.punctuate.clone()), Stop::Asker(reply)],
        };
        let _ = self.world.tell(greeting).await;
    }
}

pub struct World;

#[actor]
impl World {
    #[receive]
    pub async fn greet(&mut self, mut greeting: Greeting) {
        greeting.message.push_str(", World");
        greeting.forward().await;
    }
}

pub struct Punctuate;

#[actor]
impl Punctuate {
    #[receive]
    pub async fn greet(&mut self, mut greeting: Greeting) {
        greeting.message.push('!');
        greeting.forward().await;
    }
}

/// Tells a counter from inside an actor (so the message has an actor as its sender).
pub struct Pusher;

#[actor]
impl Pusher {
    pub async fn push(&mut self, target: Addr<Counter>, n: u64, ctx: &mut Context<Self>) {
        ctx.tell(&target, CounterAdd { n }).await;
    }
}

/// The answer an `Echo` sends back to whoever told it a `ping`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Pong(pub u64);

impl Message for Pong {
    type Reply = ();
}

/// Answers a told `ping` by sending `Pong` to its sender (Thespian's `self.send(sender, ...)`).
pub struct Echo;

#[actor]
impl Echo {
    pub async fn ping(&mut self, n: u64, ctx: &mut Context<Self>) {
        let sender = ctx.sender();
        ctx.send(&sender, Pong(n));
    }
}

/// Tells an `Echo` and collects the `Pong`s that come back.
#[derive(Default)]
pub struct Collector {
    pongs: Vec<u64>,
}

#[actor]
impl Collector {
    pub async fn start(&mut self, echo: Addr<Echo>, n: u64, ctx: &mut Context<Self>) {
        ctx.tell(&echo, EchoPing { n }).await;
    }

    #[receive]
    pub async fn pong(&mut self, pong: Pong) {
        self.pongs.push(pong.0);
    }

    pub async fn pongs(&self) -> Vec<u64> {
        self.pongs.clone()
    }
}
