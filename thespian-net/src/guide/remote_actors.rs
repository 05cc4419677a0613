//! Chapter 1: remote actors.
//!
//! [`NetSystem::start`](crate::NetSystem::start) makes an actor system a *node*: it listens on
//! a socket address, and its actors' addresses can travel to other nodes that share its
//! [`Secret`](crate::Secret). On another node an address arrives as a *proxy*: the same
//! `Addr<A>` type, whose sends are encoded and queued on the link to the actor's node. The
//! actor code does not change; its messages must be serde, which `#[actor]` derives.
//!
//! There are two ways to get a first address of another node:
//! [`NetSystem::lookup`](crate::NetSystem::lookup) asks a node for the actor holding a global
//! name ([`ActorOptions::name`](thespian::ActorOptions::name)); after that, addresses travel
//! inside messages and answers like any other value.
//!
//! **The rule that matters:** delivery between two nodes is exactly once and in order per
//! sender, across reconnections, for as long as the node can be reached. A tell returns once
//! its message is encoded and queued, not when it has been handled: ask to know that.
//!
//! ```
//! use std::time::Duration;
//! use thespian::prelude::*;
//! use thespian_net::{NetConfig, NetSystem, Secret};
//!
//! /// Keeps what the bank tells it (runs on node two).
//! #[derive(Default)]
//! struct Auditor { seen: Vec<u64> }
//!
//! #[actor]
//! impl Auditor {
//!     async fn record(&mut self, amount: u64) { self.seen.push(amount); }
//!     async fn seen(&self) -> Vec<u64> { self.seen.clone() }
//! }
//!
//! /// Runs on node one.
//! #[derive(Default)]
//! struct Bank { balance: u64, auditor: Option<Addr<Auditor>> }
//!
//! #[actor]
//! impl Bank {
//!     /// An address as an argument: it travels, and routes back to its node.
//!     async fn audited_by(&mut self, auditor: Addr<Auditor>) { self.auditor = Some(auditor); }
//!
//!     async fn deposit(&mut self, amount: u64) {
//!         self.balance += amount;
//!         if let Some(auditor) = &self.auditor {
//!             let _ = auditor.record(amount).ask().await; // recorded before this returns
//!         }
//!     }
//!
//!     async fn balance(&self) -> u64 { self.balance }
//! }
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Every node shares the secret, handed out of band (an environment variable, a file).
//! let secret = Secret::generate()?;
//! let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
//!
//! let one = ActorSystem::new();
//! let net_one = NetSystem::start(&one, config()).await?;
//! one.create_actor_with(Bank::default(), ActorOptions::new().name("bank")).await?;
//!
//! let two = ActorSystem::new();
//! let net_two = NetSystem::start(&two, config()).await?;
//! let bank: Addr<Bank> =
//!     net_two.lookup(net_one.local_addr(), "bank", Duration::from_secs(2)).await?;
//! let auditor = two.create_actor(Auditor::default()).await?;
//!
//! bank.audited_by(auditor.clone()).tell().await?;      // encoded here, handled there
//! bank.deposit(10).tell().await?;
//! bank.deposit(5).ask().await?;                        // ask a `()` handler: it has run
//! assert_eq!(auditor.seen().ask().await?, [10, 5]);    // in order, once each
//! assert_eq!(bank.balance().ask().await?, 15);
//!
//! net_two.shutdown().await;
//! net_one.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # When a node is lost
//!
//! A node is *lost* when its connection closes and dialing it again fails (a killed process:
//! within milliseconds), or when it stays silent for
//! [`NetConfig::down_after`](crate::NetConfig::down_after) (2 s by default). Then:
//!
//! * asks waiting on it fail at once with
//!   [`AskError::Unreachable`](thespian::AskError::Unreachable), not at their timeout;
//! * watchers of its actors hear [`ExitReason::NodeLost`](thespian::ExitReason::NodeLost), and
//!   so do parents of children there and waits made with `wait_for_exit`;
//! * messages it had not acknowledged become dead letters here;
//! * until a background dial reaches it again, sends to it fail at once, the message handed
//!   back.
//!
//! Why a node cannot be reached is typed, so a program can decide by the kind
//! ([`Unreachable`](thespian::remote::Unreachable), inside
//! [`WireError::Unreachable`](thespian::remote::WireError::Unreachable)):
//!
//! | kind | means | what to do |
//! |---|---|---|
//! | [`NodeLost`](thespian::remote::Unreachable::NodeLost) | its connection failed, or it went silent | retry later: the transport keeps trying |
//! | [`NodeGone`](thespian::remote::Unreachable::NodeGone) | gone for good: a new run answers at its address, or this node's own network shut down | give up on this address |
//! | [`Backlog`](thespian::remote::Unreachable::Backlog) | too much is waiting for it already | slow down |
//! | [`NoTransport`](thespian::remote::Unreachable::NoTransport) | this system is not networked | start a `NetSystem` |
//! | [`Remote`](thespian::remote::Unreachable::Remote) | the answering node could not reach further | as its text says |
//!
//! ```
//! use std::time::Duration;
//! use thespian::prelude::*;
//! use thespian::remote::{Unreachable, WireError};
//! use thespian::SendFailure;
//! use thespian_net::{NetConfig, NetSystem, Secret};
//!
//! #[derive(Default)]
//! struct Counter { total: u64 }
//!
//! #[actor]
//! impl Counter {
//!     async fn add(&mut self, n: u64) { self.total += n; }
//!     async fn total(&self) -> u64 { self.total }
//! }
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let secret = Secret::generate()?;
//! # let config = || NetConfig::new("127.0.0.1:0".parse().unwrap(), secret.clone());
//! # let one = ActorSystem::new();
//! # let net_one = NetSystem::start(&one, config()).await?;
//! # one.create_actor_with(Counter::default(), ActorOptions::new().name("counter")).await?;
//! # let two = ActorSystem::new();
//! # let net_two = NetSystem::start(&two, config()).await?;
//! let lost_node = net_one.local_addr();
//! let counter: Addr<Counter> =
//!     net_two.lookup(lost_node, "counter", Duration::from_secs(2)).await?;
//! let ended = counter.wait_for_exit();       // a death watch, from code that is not an actor
//! assert_eq!(counter.total().ask().await?, 0); // the watch is in place over there now
//!
//! net_one.shutdown().await;                  // node one's network goes; its actors live on
//! // Seen from here, node one is lost: its connection closed and it cannot be dialed.
//! assert_eq!(ended.await, ExitReason::NodeLost);
//!
//! // Known lost: sends fail at once, typed, and a tell hands its message back.
//! let refused = counter.add(1).tell().await.unwrap_err();
//! assert!(matches!(
//!     refused.reason(),
//!     SendFailure::NotSent(WireError::Unreachable(Unreachable::NodeLost { node, .. }))
//!         if node.addr == lost_node
//! ));
//! assert_eq!(refused.into_inner().map(|m| m.n), Some(1));
//! let asked = counter.total().ask().await;
//! assert!(matches!(
//!     asked,
//!     Err(AskError::Unreachable(WireError::Unreachable(Unreachable::NodeLost { .. })))
//! ));
//!
//! // This node's own network shut down: nothing sent from here will arrive anywhere.
//! net_two.shutdown().await;
//! let asked = counter.total().ask().await;
//! assert!(matches!(
//!     asked,
//!     Err(AskError::Unreachable(WireError::Unreachable(Unreachable::NodeGone { .. })))
//! ));
//! # one.shutdown().await;
//! # two.shutdown().await;
//! # Ok(())
//! # }
//! ```
