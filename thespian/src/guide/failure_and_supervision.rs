//! Chapter 3: failure and supervision.
//!
//! A handler can go wrong in two ways, and they are not alike.
//!
//! * **It returns an error.** A handler returning `Result<T, E>` answers with it. Asked, the
//!   caller gets `Result<T, AskError<E>>`, the handler's error in
//!   [`AskError::Handler`](crate::AskError::Handler). Told, nobody waits for the error: it is
//!   logged as a `tracing` warning. Either way the actor goes on: an error is an answer.
//! * **It panics.** That is a *failure*. The panic is caught; no other actor and not the system
//!   is harmed. The message is *poisoned*: an asker gets
//!   [`AskError::Poisoned`](crate::AskError::Poisoned), an actor that told it gets a
//!   [`PoisonMessage`](crate::PoisonMessage) in its `poisoned` hook, and the outside reads the
//!   `PoisonMessage` with [`ActorSystem::listen`](crate::ActorSystem::listen). Then the actor goes
//!   on with its next message and its state as the panic left it (Thespian's rule).
//!
//! ```
//! use std::time::Duration;
//! use thespian::prelude::*;
//! use thespian::PoisonMessage;
//!
//! #[derive(Default)]
//! struct Account { balance: u64 }
//!
//! #[actor]
//! impl Account {
//!     async fn deposit(&mut self, n: u64) { self.balance += n; }
//!     async fn withdraw(&mut self, n: u64) -> Result<u64, String> {
//!         self.balance = self.balance.checked_sub(n).ok_or("insufficient funds")?;
//!         Ok(self.balance)
//!     }
//!     async fn audit(&self) { panic!("the auditor is out") }
//!     async fn balance(&self) -> u64 { self.balance }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let account = system.create_actor(Account::default()).await?;
//! account.deposit(10).tell().await?;
//!
//! // An error is an answer.
//! assert_eq!(account.withdraw(4).ask().await?, 6);
//! let refused = account.withdraw(50).ask().await;
//! assert_eq!(refused, Err(AskError::Handler("insufficient funds".to_owned())));
//!
//! // A panic poisons the message, and only the message.
//! let poisoned = account.audit().ask().await;
//! assert_eq!(poisoned, Err(AskError::Poisoned(Poison::Panicked("the auditor is out".to_owned()))));
//! assert_eq!(account.balance().ask().await?, 6);     // the actor went on, state kept
//!
//! // Told from outside, the notice comes to the outside.
//! account.audit().tell().await?;
//! let notice = system.listen(Duration::from_secs(1)).await?;
//! let notice = notice.downcast::<PoisonMessage>().map_err(|_| "not a poison notice")?;
//! assert_eq!(notice.target, account.address());
//! assert_eq!(notice.details, "the auditor is out");
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Retries are opt-in
//!
//! Thespian hands a failed message to the actor once more before giving up. Here a retry is a
//! choice: it runs the handler's side effects twice, so only its author can say it is safe.
//! `#[message(retry)]` retries one handler's message, `#[actor(retry)]` every message of the
//! actor ([`RETRIES`](crate::RETRIES) more attempt, with a copy made before the first). Being
//! `Clone` alone retries nothing.
//!
//! ```
//! use thespian::prelude::*;
//!
//! #[derive(Default)]
//! struct Flaky { attempts: u32 }
//!
//! #[actor]
//! impl Flaky {
//!     /// Fails on its first attempt, succeeds on the second: safe to run twice.
//!     #[message(retry)]
//!     async fn fetch(&mut self) -> u32 {
//!         self.attempts += 1;
//!         if self.attempts == 1 { panic!("connection reset") }
//!         self.attempts
//!     }
//!
//!     /// The same, without a retry.
//!     async fn fetch_once(&mut self) -> u32 {
//!         self.attempts += 1;
//!         if self.attempts % 2 == 1 { panic!("connection reset") }
//!         self.attempts
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let flaky = system.create_actor(Flaky::default()).await?;
//! assert_eq!(flaky.fetch().ask().await?, 2);               // the retry succeeded
//! assert!(matches!(flaky.fetch_once().ask().await, Err(AskError::Poisoned(_))));
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Supervision: the parent chooses
//!
//! What a failure does to the actor is chosen when it is created, with
//! [`ActorOptions::supervision`](crate::ActorOptions::supervision):
//!
//! * [`Supervision::Resume`](crate::Supervision::Resume), the default: keep the state, go on.
//! * [`Supervision::restart(factory)`](crate::Supervision::restart): a fresh actor from the
//!   factory takes over, at the same address, with the same mailbox (queued messages are kept);
//!   its `started` runs again. A [`RestartPolicy`](crate::RestartPolicy) bounds it:
//!   [`at_most(n, within)`](crate::RestartPolicy::at_most). One failure more and the actor stops.
//! * [`Supervision::Stop`](crate::Supervision::Stop): the actor exits.
//!
//! A supervised actor that stops ends with
//! [`ExitReason::Failed`](crate::ExitReason::Failed), and its parent hears it in
//! `child_exited`. The failing message is poisoned under every policy: its sender always hears.
//!
//! ```
//! use std::time::Duration;
//! use thespian::prelude::*;
//! use thespian::Supervision;
//!
//! #[derive(Default)]
//! struct Cache { entries: u32 }
//!
//! #[actor]
//! impl Cache {
//!     async fn insert(&mut self) -> u32 { self.entries += 1; self.entries }
//!     async fn corrupt(&mut self) { panic!("corrupt") }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let policy = Supervision::restart(Cache::default).at_most(1, Duration::from_secs(60));
//! let cache = system
//!     .create_actor_with(Cache::default(), ActorOptions::new().supervision(policy))
//!     .await?;
//! let ended = cache.wait_for_exit();
//!
//! cache.insert().tell().await?;
//! assert_eq!(cache.insert().ask().await?, 2);
//! assert!(cache.corrupt().ask().await.is_err());      // poisoned; the cache restarts
//! assert_eq!(cache.insert().ask().await?, 1);         // same address, fresh state
//!
//! assert!(cache.corrupt().ask().await.is_err());      // a second failure within the minute
//! assert_eq!(ended.await, ExitReason::Failed("corrupt".to_owned()));
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
