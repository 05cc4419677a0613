//! Chapter 6: testing on the sequential base.
//!
//! On the default base, actors run concurrently on tokio, and two runs of one test may
//! interleave messages differently. For tests, build the system on the *sequential base*
//! instead (Thespian's `simpleSystemBase`, made reproducible):
//! [`ActorSystem::builder().sequential()`](crate::ActorSystemBuilder::sequential). The actors
//! do not change.
//!
//! * **One thread, one order.** The system has no thread of its own. Its actors run inside the
//!   calls that drive it (an ask, [`listen`](crate::ActorSystem::listen),
//!   [`run_until_idle`](crate::ActorSystem::run_until_idle), `status`, `shutdown`), one message
//!   at a time, in the order the messages were generated. Nothing happens between two calls.
//! * **Virtual time.** The clock ([`ActorSystem::now`](crate::ActorSystem::now)) stands still
//!   while anything can happen without it, and jumps to the next timer when nothing can. An
//!   hour of wake-ups passes at once.
//! * **Traces and seeds.** [`.trace()`](crate::ActorSystemBuilder::trace) records every handled
//!   message ([`ActorSystem::trace`](crate::ActorSystem::trace), naming actors `Type#n` by
//!   creation order). [`.seed(n)`](crate::ActorSystemBuilder::seed) permutes the messages one
//!   handler sends, reproducibly: run a test under a handful of seeds to try other schedules,
//!   and replay a failing one with its seed.
//!
//! **The rule that matters:** the same calls give the same schedule, every run. Two limits
//! follow from one thread. A handler that asks another actor of the same system and awaits the
//! answer holds its turn, so that answer cannot come and the inner ask times out (in virtual
//! time): tell instead, and let the answer come as a message. And a handler that sleeps or does
//! I/O with tokio directly runs in real time while the virtual clock jumps ahead: use timers.
//!
//! A ping-pong, traced. No tokio runtime is needed at all:
//!
//! ```
//! use thespian::prelude::*;
//!
//! #[derive(Default)]
//! struct Pong { pings: u32 }
//!
//! #[actor]
//! impl Pong {
//!     async fn ping(&mut self, from: Addr<Ping>) {
//!         self.pings += 1;
//!         let _ = from.pong().tell().await; // told, not asked: see the limits above
//!     }
//! }
//!
//! #[derive(Default)]
//! struct Ping { pongs: u32 }
//!
//! #[actor]
//! impl Ping {
//!     async fn serve(&mut self, to: Addr<Pong>, ctx: &Context<Self>) {
//!         let _ = to.ping(ctx.myself().clone()).tell().await;
//!     }
//!     async fn pong(&mut self) { self.pongs += 1; }
//!     async fn pongs(&self) -> u32 { self.pongs }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! futures::executor::block_on(async {
//!     let system = ActorSystem::builder().sequential().trace().build();
//!     let ping = system.create_actor(Ping::default()).await?;
//!     let pong = system.create_actor(Pong::default()).await?;
//!     ping.serve(pong.clone()).tell().await?;
//!     ping.serve(pong).tell().await?;
//!     system.run_until_idle().await;               // handle everything, and what it causes
//!     assert_eq!(ping.pongs().ask().await?, 2);
//!
//!     let trace: Vec<String> = system.trace().iter().map(|t| t.to_string()).collect();
//!     assert_eq!(trace, [
//!         "outside -> Ping#1: PingServe",
//!         "outside -> Ping#1: PingServe",
//!         "Ping#1 -> Pong#2: PongPing",
//!         "Ping#1 -> Pong#2: PongPing",
//!         "Pong#2 -> Ping#1: PingPong",
//!         "Pong#2 -> Ping#1: PingPong",
//!         "outside -> Ping#1: PingPongs",
//!     ]);
//!     system.shutdown().await;
//!     Ok::<_, Box<dyn std::error::Error>>(())
//! })
//! # }
//! ```
//!
//! Virtual time: a session that expires after an idle hour, tested in no time. The ask waits
//! in the system's time, so the hour passes while it waits.
//!
//! ```
//! use std::time::Duration;
//! use thespian::prelude::*;
//! use thespian::TimerId;
//!
//! #[derive(Default)]
//! struct Session { timer: Option<TimerId>, expired: bool, waiting: Option<ReplyHandle<bool>> }
//!
//! #[actor]
//! impl Session {
//!     async fn touch(&mut self, ctx: &mut Context<Self>) {
//!         if let Some(id) = self.timer.take() { ctx.cancel(id); }
//!         self.timer = Some(ctx.wakeup_after(Duration::from_secs(3600), ()));
//!     }
//!
//!     /// Answers once the session has expired.
//!     async fn expired(&mut self, reply: ReplyHandle<bool>) {
//!         match self.expired {
//!             true => { let _ = reply.send(true); }
//!             false => self.waiting = Some(reply),
//!         }
//!     }
//!
//!     #[wakeup]
//!     async fn expire(&mut self, _wakeup: WakeupMessage) {
//!         self.expired = true;
//!         if let Some(waiting) = self.waiting.take() { let _ = waiting.send(true); }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::builder().sequential().build();
//! let session = system.create_actor(Session::default()).await?;
//! let start = system.now();
//! session.touch().tell().await?;
//! let expired = session.expired().timeout(Duration::from_secs(7200)).ask();
//! assert!(expired.await?);
//! assert_eq!(system.now() - start, Duration::from_secs(3600)); // one virtual hour
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
