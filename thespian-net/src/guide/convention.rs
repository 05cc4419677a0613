//! Chapter 2: the convention.
//!
//! Looking actors up node by node does not scale to many nodes that come and go. A
//! [`Convention`](crate::Convention) (Thespian's multi-system model) makes the nodes one
//! system: each node joins with
//! [`Convention::join`](crate::Convention::join), giving the address of a node already there
//! (the *convention address*, a seed, not a leader; the first node gives its own). From then
//! on:
//!
//! * **Membership.** Every node keeps the table of members alive, with SWIM over its own
//!   links: no leader, and losing any node, a seed included, stops nothing.
//!   [`Convention::members`](crate::Convention::members) reads the table;
//!   [`Convention::subscribe`](crate::Convention::subscribe) tells an actor the present
//!   members (a [`ConventionUpdate::Joined`](crate::ConventionUpdate::Joined) each) and then
//!   every change.
//! * **Placement by capabilities.** Every system has capabilities (`"gpu": true`, say). An
//!   actor type says where it may run with its `#[capability_check]`.
//!   [`Convention::create_actor`](crate::Convention::create_actor) asks that check about each
//!   node and creates the actor on one that accepts, the least loaded by default
//!   ([`PlacementPolicy`](crate::PlacementPolicy)). The chosen node makes the actor from its
//!   serialized value, so the type must be serde and registered there
//!   ([`Convention::register`](crate::Convention::register)).
//!
//! **The rule that matters:** placement sees what this node knows. A node that has not yet
//! heard of another cannot place actors there. Wait for the membership you need, with a
//! subscriber, before placing; do not sleep.
//!
//! The example starts two nodes; only the second has a GPU. A `Roster` subscribed on the first
//! answers once it has seen both nodes join. Then a renderer created from the first node lands
//! on the second, the only one whose capabilities its type accepts.
//!
//! ```
//! use std::time::Duration;
//! use thespian::prelude::*;
//! use thespian::Capabilities;
//! use thespian_net::{Convention, ConventionConfig, ConventionUpdate, NetConfig, NetSystem};
//! use thespian_net::{Placement, PlacementPolicy, Secret};
//!
//! /// Runs only where there is a GPU.
//! #[derive(Default, serde::Serialize, serde::Deserialize)]
//! struct Render { frames: u32 }
//!
//! #[actor]
//! impl Render {
//!     async fn frame(&mut self) -> u32 { self.frames += 1; self.frames }
//!     async fn on_gpu(&self, ctx: &Context<Self>) -> bool {
//!         ctx.system().capabilities().is_true("gpu")
//!     }
//!     #[capability_check]
//!     fn needs_gpu(capabilities: &Capabilities, _requirements: &Capabilities) -> bool {
//!         capabilities.is_true("gpu")
//!     }
//! }
//!
//! /// Runs anywhere.
//! #[derive(Default, serde::Serialize, serde::Deserialize)]
//! struct Logger;
//!
//! #[actor]
//! impl Logger {
//!     async fn on_gpu(&self, ctx: &Context<Self>) -> bool {
//!         ctx.system().capabilities().is_true("gpu")
//!     }
//! }
//!
//! /// Counts the members it hears of; answers `until(n)` once there are `n`.
//! #[derive(Default)]
//! struct Roster { members: usize, waiting: Vec<(usize, ReplyHandle<usize>)> }
//!
//! #[actor(no_serde)] // local only: it need not travel
//! impl Roster {
//!     #[receive]
//!     async fn update(&mut self, update: ConventionUpdate) {
//!         match update {
//!             ConventionUpdate::Joined(_) => self.members += 1,
//!             ConventionUpdate::Left(_) => self.members -= 1,
//!             _ => {}
//!         }
//!         let members = self.members;
//!         for (n, reply) in std::mem::take(&mut self.waiting) {
//!             match members >= n {
//!                 true => { let _ = reply.send(members); }
//!                 false => self.waiting.push((n, reply)),
//!             }
//!         }
//!     }
//!
//!     async fn until(&mut self, n: usize, reply: ReplyHandle<usize>) {
//!         match self.members >= n {
//!             true => { let _ = reply.send(self.members); }
//!             false => self.waiting.push((n, reply)),
//!         }
//!     }
//! }
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let secret = Secret::generate()?;
//! let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
//!
//! let here = ActorSystem::new();
//! let there = ActorSystem::builder().capability("gpu", true).build();
//! let net_here = NetSystem::start(&here, config()).await?;
//! let net_there = NetSystem::start(&there, config()).await?;
//!
//! let seed = net_here.local_addr();          // the first node joins at its own address
//! let convention = Convention::join(&net_here, ConventionConfig::new(seed)).await?;
//! let far = Convention::join(&net_there, ConventionConfig::new(seed)).await?;
//! for c in [&convention, &far] {
//!     c.register::<Render>();                // either node may be asked to make one
//!     c.register::<Logger>();
//! }
//!
//! let roster = here.create_actor(Roster::default()).await?;
//! convention.subscribe(roster.clone());
//! let seen = roster.until(2).timeout(Duration::from_secs(10)).ask().await?;
//! assert_eq!(seen, 2);
//! assert_eq!(convention.members().len(), 2);
//!
//! // Placed by capabilities: only `there` has a GPU.
//! let render = convention.create_actor(Render::default(), Capabilities::new()).await?;
//! assert!(render.on_gpu().ask().await?);
//! assert_eq!(render.frame().ask().await?, 1);
//!
//! // A type that runs anywhere, placed by Thespian's rule: this node first.
//! let placement = Placement::new().policy(PlacementPolicy::FirstMatch);
//! let logger = convention.create_actor_with(Logger, placement).await?;
//! assert!(!logger.on_gpu().ask().await?);
//!
//! net_here.shutdown().await;
//! net_there.shutdown().await;
//! # Ok(())
//! # }
//! ```
