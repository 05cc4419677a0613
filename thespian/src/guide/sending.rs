//! Chapter 2: sending.
//!
//! A method that `#[actor]` generates makes a [`Request`](crate::Request): a message and its
//! address, not sent yet. The call site decides how it goes:
//!
//! | call | what it does | awaited, it gives |
//! |---|---|---|
//! | [`.tell()`](crate::Request::tell) | sends now; does not wait for the handler | `Ok(())` once a mailbox took it |
//! | [`.ask()`](crate::Request::ask) | sends now; waits for the answer, within the default timeout | the answer, or an [`AskError`](crate::AskError) |
//! | [`.timeout(d)`](crate::Request::timeout)`.ask()` | the same, with another timeout | the same |
//! | [`.try_tell()`](crate::Request::try_tell) | sends only if there is room now (not a future) | `Err(TrySendError::Full(msg))` when full |
//!
//! **The rule that matters:** whether a send waits is written where the call is, never decided
//! by the handler's return type. Any handler can be asked: one that returns `()` answers `()`
//! once it has run, which is how to wait for a tell's effect without sleeping. A told handler's
//! answer is dropped. A request that is neither told nor asked is never sent. A handler that
//! returns `Result<T, E>` is asked as `Result<T, AskError<E>>` (chapter 3).
//!
//! The default timeout is the system's
//! ([`default_ask_timeout`](crate::ActorSystemBuilder::default_ask_timeout), 5 s). An ask whose
//! answer does not come in time fails with [`AskError::Timeout`](crate::AskError::Timeout); a
//! late answer never answers a later ask.
//!
//! ```
//! use std::time::Duration;
//! use thespian::prelude::*;
//!
//! #[derive(Default)]
//! struct Counter { total: u64, held: Option<ReplyHandle<u64>> }
//!
//! #[actor]
//! impl Counter {
//!     async fn add(&mut self, n: u64) { self.total += n; }
//!     async fn total(&self) -> u64 { self.total }
//!     /// Keeps the right to answer and never uses it.
//!     async fn never(&mut self, reply: ReplyHandle<u64>) { self.held = Some(reply); }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let counter = system.create_actor(Counter::default()).await?;
//!
//! counter.add(5).tell().await?;                       // tell: does not wait for the handler
//! counter.add(1).try_tell()?;                         // no waiting at all
//! counter.add(4).ask().await?;                        // ask a `()` handler: it has run now
//! assert_eq!(counter.total().ask().await?, 10);       // ask: the answer
//! let n = counter.total().timeout(Duration::from_millis(50)).ask().await?;
//! assert_eq!(n, 10);
//!
//! let late = counter.never().timeout(Duration::from_millis(20)).ask().await;
//! assert_eq!(late, Err(AskError::Timeout(Duration::from_millis(20))));
//!
//! // A request is a value: unsent, it gives its message back.
//! let unsent = counter.add(100).into_message();
//! assert_eq!(unsent.n, 100);
//! assert_eq!(counter.total().ask().await?, 10);       // it was never sent
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Thespian's calls, and who the sender is
//!
//! [`ActorSystem::tell`](crate::ActorSystem::tell) and
//! [`ActorSystem::ask`](crate::ActorSystem::ask) take the message itself, as Thespian's
//! `ActorSystem.tell` and `ask` do; [`Context::tell`](crate::Context::tell),
//! [`Context::send`](crate::Context::send) (to any [`ActorAddress`](crate::ActorAddress)) and
//! [`Context::ask`](crate::Context::ask) are their forms inside a handler.
//!
//! The sender is what the receiver sees in [`Context::sender`](crate::Context::sender), and who
//! hears of a poisoned message. A send made inside a handler comes from its actor; made outside
//! any actor, from the outside. `system.tell` and `system.ask` always come from the outside.
//!
//! ```
//! use std::time::Duration;
//! use thespian::prelude::*;
//!
//! struct Who;
//!
//! #[actor]
//! impl Who {
//!     async fn asked_by(&self, ctx: &Context<Self>) -> ActorAddress { ctx.sender() }
//! }
//!
//! struct Relay { who: Addr<Who> }
//!
//! #[actor]
//! impl Relay {
//!     async fn via_address(&self) -> Option<ActorAddress> {     // from this actor
//!         self.who.asked_by().ask().await.ok()
//!     }
//!     async fn via_system(&self, ctx: &Context<Self>) -> Option<ActorAddress> { // the outside
//!         ctx.system().ask(&self.who, WhoAskedBy, Duration::from_secs(1)).await.ok()
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let who = system.create_actor(Who).await?;
//! let relay = system.create_actor(Relay { who: who.clone() }).await?;
//! let outside = system.outside_address();
//! assert_eq!(who.asked_by().ask().await?, outside);
//! assert_eq!(relay.via_address().ask().await?, Some(relay.address()));
//! assert_eq!(relay.via_system().ask().await?, Some(outside));
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # When a message cannot be delivered
//!
//! Nothing vanishes. A message that no mailbox accepted is handed back to the caller; one that
//! a mailbox accepted is handled or becomes a *dead letter* (counted, logged, and given to the
//! registered handler). Which of the two a caller gets depends on the call:
//!
//! | call | full bounded mailbox | target exited |
//! |---|---|---|
//! | `.tell()`, [`Addr::tell`](crate::Addr::tell) | waits for room | `Err(SendError)`, [`SendFailure::Exited`](crate::SendFailure::Exited); `into_inner()` gives the message back |
//! | `.try_tell()`, [`Addr::try_tell`](crate::Addr::try_tell) | `Err(TrySendError::Full(msg))` | `Err(TrySendError::Closed(msg))` |
//! | [`ActorSystem::tell`](crate::ActorSystem::tell), [`Context::tell`](crate::Context::tell) | waits for room | a dead letter |
//! | [`Context::send`](crate::Context::send) | never held back | a dead letter (also for a type the actor does not take) |
//! | `.ask()` (any form) | waits for room | `Err(AskError::DeadActor)` at once; the request a dead letter |
//!
//! For an actor on another node, "cannot be delivered" also means "cannot be sent there": the
//! same calls fail with [`SendFailure::NotSent`](crate::SendFailure::NotSent) and
//! [`AskError::Unreachable`](crate::AskError::Unreachable) (see `thespian-net`). On the
//! sequential base, a handler's send that would wait for room in a full mailbox of its own
//! system fails at once instead ([`SendFailure::Full`](crate::SendFailure::Full); a dead letter
//! for the Thespian-style sends): the receiver could only make room after the handler ends.
//!
//! ```
//! use thespian::prelude::*;
//! use thespian::{SendFailure, TrySendError};
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
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let options = ActorOptions::new().mailbox_capacity(1);
//! let counter = system.create_actor_with(Counter::default(), options).await?;
//! // On this one-thread runtime the actor cannot run between these two calls.
//! counter.add(1).try_tell()?;
//! match counter.add(2).try_tell() {
//!     Err(TrySendError::Full(msg)) => assert_eq!(msg.n, 2), // handed back
//!     other => panic!("expected a full mailbox, got {other:?}"),
//! }
//! assert_eq!(counter.total().ask().await?, 1);
//!
//! let ended = counter.wait_for_exit();
//! counter.request_exit();
//! assert_eq!(ended.await, ExitReason::Requested);
//!
//! let refused = counter.add(3).tell().await.unwrap_err();
//! assert_eq!(refused.reason(), &SendFailure::Exited);
//! assert_eq!(refused.into_inner().map(|m| m.n), Some(3));
//! assert!(matches!(counter.add(4).try_tell(), Err(TrySendError::Closed(_))));
//! system.tell(&counter, CounterAdd { n: 5 }).await;      // Thespian-style: a dead letter
//! assert_eq!(system.dead_letter_count(), 1);
//! assert_eq!(counter.total().ask().await, Err(AskError::DeadActor));
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
