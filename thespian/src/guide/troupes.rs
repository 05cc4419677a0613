//! Chapter 5: troupes.
//!
//! One actor handles one message at a time. When the work is slow and independent (resizing
//! images, calling a service), one address in front of several identical actors serves more:
//! a *troupe* (Thespian's `@troupe`).
//! [`ActorSystem::create_troupe(factory, options)`](crate::ActorSystem::create_troupe) (or
//! [`Context::create_troupe`](crate::Context::create_troupe), for a troupe with a parent)
//! returns a [`Troupe`](crate::Troupe), which takes the actor's messages and generated methods
//! like an [`Addr`](crate::Addr).
//!
//! * A message goes to an idle worker. While none is idle, a new worker is made from the
//!   factory, up to [`max_count`](crate::TroupeOptions::max_count) (10 by default); past that,
//!   messages wait in order.
//! * Workers answer the original sender: asks, reply handles and `ctx.sender()` all see the
//!   caller, not the troupe.
//! * Workers idle for [`idle_timeout`](crate::TroupeOptions::idle_timeout) (2 s) are dismissed
//!   down to [`idle_count`](crate::TroupeOptions::idle_count) (2).
//!   [`Troupe::set_limits`](crate::Troupe::set_limits) changes the limits while it runs.
//!
//! **The rule that matters:** workers share nothing, so a troupe suits work whose state is
//! not the actor's. Order holds per worker only: two messages of one sender may be handled at
//! once by two workers. A job whose worker dies is not handed to another (the worker owned the
//! message): its ask fails at once.
//!
//! Four workers at once: each job waits at a barrier for three others, so this finishes only
//! if the troupe really runs four workers side by side.
//!
//! ```
//! use std::sync::Arc;
//! use thespian::prelude::*;
//! use thespian::TroupeOptions;
//! use tokio::sync::Barrier;
//!
//! struct Resizer { barrier: Arc<Barrier> }
//!
//! #[actor]
//! impl Resizer {
//!     async fn resize(&mut self, width: u32) -> u32 {
//!         self.barrier.wait().await; // stands for slow work
//!         width / 2
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let barrier = Arc::new(Barrier::new(4));
//! let factory = move || Resizer { barrier: barrier.clone() };
//! let troupe = system.create_troupe(factory, TroupeOptions::new().max_count(4)).await?;
//! let jobs: Vec<_> = [100, 200, 300, 400].map(|w| troupe.resize(w).ask()).into();
//! let mut widths = Vec::new();
//! for job in jobs {
//!     widths.push(job.await?);
//! }
//! assert_eq!(widths, [50, 100, 150, 200]); // each answer to its own ask
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Who the workers see: the caller, as if the troupe were not there. A troupe created by an
//! actor is its child; it takes its workers along when it exits.
//!
//! ```
//! use thespian::prelude::*;
//! use thespian::{Troupe, TroupeOptions};
//!
//! struct Clerk;
//!
//! #[actor]
//! impl Clerk {
//!     async fn stamp(&self, ctx: &Context<Self>) -> (ActorAddress, ActorAddress) {
//!         (ctx.sender(), ctx.myself().address())
//!     }
//! }
//!
//! #[derive(Default)]
//! struct Office { clerks: Option<Troupe<Clerk>> }
//!
//! #[actor]
//! impl Office {
//!     async fn open(&mut self, ctx: &mut Context<Self>) -> bool {
//!         let options = TroupeOptions::new().max_count(2).idle_count(1);
//!         self.clerks = ctx.create_troupe(|| Clerk, options).await.ok();
//!         self.clerks.is_some()
//!     }
//!
//!     async fn clerks(&self) -> Option<Troupe<Clerk>> { self.clerks.clone() }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let office = system.create_actor(Office::default()).await?;
//! assert!(office.open().ask().await?);
//! let clerks = office.clerks().ask().await?.ok_or("closed")?;
//! let (sender, worker) = clerks.stamp().ask().await?;
//! assert_eq!(sender, system.outside_address());        // the caller, not the troupe
//! assert_ne!(worker, clerks.addr().address());         // a worker behind the address
//!
//! let closed = clerks.addr().wait_for_exit();
//! office.request_exit();                               // the troupe goes with its parent
//! assert_eq!(closed.await, ExitReason::Requested);
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
