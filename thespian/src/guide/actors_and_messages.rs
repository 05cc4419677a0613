//! Chapter 1: actors and messages.
//!
//! An actor is a plain value: its fields are its state. It handles one message at a time, so
//! that state needs no lock. It never shares it: other code reaches it only by sending messages
//! to its address. An [`ActorSystem`](crate::ActorSystem) runs each actor as one tokio task.
//!
//! **The rule that matters:** while a handler runs, and while it awaits, its actor handles
//! nothing else. Messages from one sender arrive in the order they were sent.
//!
//! # With `#[actor]`
//!
//! [`#[actor]`](macro@crate::actor) reads an `impl` block. Every `async fn` taking `&self` or
//! `&mut self` is a handler. Each handler becomes a message type named after the actor and the
//! method (`Greeter::greet` gives `GreeterGreet`, its arguments as fields), and the address gets
//! a method of the same name. Such a method makes a [`Request`](crate::Request) and sends
//! nothing yet: the call site says `.tell()` or `.ask()` (chapter 2).
//!
//! A handler may also take the [`Context`](crate::Context), its window on the system: its own
//! address, the sender, its parent and children, timers. Hooks are marked with an attribute
//! (`#[started]`, `#[child_exited]`, `#[wakeup]`...); the table is on the macro's page.
//!
//! ```
//! use thespian::prelude::*;
//! use thespian::ActorId;
//!
//! #[derive(Default)]
//! struct Greeter { greeted: Vec<String> }
//!
//! #[actor]
//! impl Greeter {
//!     // `&mut self`: a handler may change the state.
//!     async fn greet(&mut self, name: String) -> String {
//!         self.greeted.push(name.clone());
//!         format!("Hello, {name}!")
//!     }
//!
//!     // `&self` and a `Context`: reads only, and knows its own address.
//!     async fn count(&self, ctx: &Context<Self>) -> (usize, ActorId) {
//!         (self.greeted.len(), ctx.myself().id())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let greeter: Addr<Greeter> = system.create_actor(Greeter::default()).await?;
//! assert_eq!(greeter.greet("World".into()).ask().await?, "Hello, World!");
//! greeter.greet("Thespian".into()).tell().await?;       // no answer wanted
//! assert_eq!(greeter.count().ask().await?, (2, greeter.id())); // same sender: in order
//! // The generated message types are ordinary types, usable without the methods.
//! let message = GreeterGreet { name: "again".into() };
//! assert_eq!(greeter.ask(message, std::time::Duration::from_secs(1)).await?, "Hello, again!");
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # By hand
//!
//! The macro is a convenience, not a requirement. Implement [`Actor`](crate::Actor) yourself
//! when you want one message enum and one `match`, as in Thespian's `receiveMessage`. The
//! handler answers an ask with [`Context::reply`](crate::Context::reply); the reply type is
//! the message's [`Message::Reply`](crate::Message::Reply). Such an address has no generated
//! methods: use [`Addr::tell`](crate::Addr::tell) and [`Addr::ask`](crate::Addr::ask).
//! The message type also implements [`Mail`](crate::Mail), usually with one empty `impl`: its
//! functions say what else the system may do with a message (copy it for a retry, send it to
//! another node), and their defaults keep it local and never retried.
//!
//! ```
//! use std::time::Duration;
//! use thespian::prelude::*;
//!
//! #[derive(Default)]
//! struct Tally { total: i64 }
//!
//! enum TallyMessage { Add(i64), Total }
//!
//! // One reply type for the enum: `Add` answers its new total too.
//! impl Message for TallyMessage { type Reply = i64; }
//! impl Mail for TallyMessage {}
//!
//! impl Actor for Tally {
//!     type Message = TallyMessage;
//!
//!     async fn handle(&mut self, msg: TallyMessage, ctx: &mut Context<Self>) {
//!         if let TallyMessage::Add(n) = msg {
//!             self.total += n;
//!         }
//!         ctx.reply(self.total); // ignored when the message was only told
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let tally = system.create_actor(Tally::default()).await?;
//! tally.tell(TallyMessage::Add(40)).await?;
//! assert_eq!(tally.ask(TallyMessage::Add(2), Duration::from_secs(1)).await?, 42);
//! assert_eq!(tally.ask(TallyMessage::Total, Duration::from_secs(1)).await?, 42);
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Parents and children
//!
//! An actor that creates another with
//! [`Context::create_actor`](crate::Context::create_actor) becomes its parent. When the child
//! ends, for whatever reason, the parent hears it once, as a
//! [`ChildActorExited`](crate::ChildActorExited) in its `child_exited` hook. Nothing restarts
//! the child unless a policy says so (chapter 3): the parent decides. Asking a parent to exit
//! asks its children first, and waits for them.
//!
//! To wait for something an actor will learn later, do not sleep: ask, and let the actor keep
//! the [`ReplyHandle`](crate::ReplyHandle) until it knows.
//!
//! ```
//! use thespian::prelude::*;
//!
//! struct Worker;
//!
//! #[actor]
//! impl Worker {
//!     async fn ping(&self) -> String { "pong".into() }
//! }
//!
//! #[derive(Default)]
//! struct Foreman {
//!     ended: Option<ExitReason>,
//!     waiting: Option<ReplyHandle<ExitReason>>,
//! }
//!
//! #[actor]
//! impl Foreman {
//!     async fn hire(&mut self, ctx: &mut Context<Self>) -> Option<Addr<Worker>> {
//!         ctx.create_actor(Worker).await.ok()
//!     }
//!
//!     /// Answers once the worker has ended: at once if it has, later otherwise.
//!     async fn worker_ended(&mut self, reply: ReplyHandle<ExitReason>) {
//!         match self.ended.clone() {
//!             Some(reason) => drop(reply.send(reason)),
//!             None => self.waiting = Some(reply),
//!         }
//!     }
//!
//!     #[child_exited]
//!     async fn on_child_exited(&mut self, exited: ChildActorExited) {
//!         if let Some(waiting) = self.waiting.take() {
//!             let _ = waiting.send(exited.reason.clone());
//!         }
//!         self.ended = Some(exited.reason);
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let foreman = system.create_actor(Foreman::default()).await?;
//! let worker = foreman.hire().ask().await?.ok_or("no worker")?;
//! assert_eq!(worker.ping().ask().await?, "pong");
//! worker.request_exit();                                  // handled after the ping
//! assert_eq!(foreman.worker_ended().ask().await?, ExitReason::Requested);
//! assert!(!worker.is_alive());
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
