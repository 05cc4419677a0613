//! Actors for Rust, native to tokio.
//!
//! An *actor* is a value with state and a handler for messages. It handles one message at a time,
//! so its state needs no lock; it can send messages, create other actors (it becomes their parent),
//! and exit. Actors never share state: they talk only through messages sent to *addresses*.
//! An [`ActorSystem`] runs them — each as one tokio task — and is how ordinary code reaches them.
//!
//! New to it? The [`guide`] teaches it in six short chapters, every example run as a test.
//!
//! # A first actor
//!
//! [`#[actor]`](macro@actor) turns an `impl` block into an actor: each `async fn` becomes a message
//! type (named after the actor and the method, `CounterAdd` for `Counter::add`, its arguments as
//! fields), and the address gets a method per message. Such a method makes a [`Request`] and sends
//! nothing: the call site says whether it tells (`.tell()`, without waiting for the handler) or
//! asks (`.ask()`, waiting for the answer).
//!
//! ```
//! use std::time::Duration;
//! use thespian::prelude::*;
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
//! let counter: Addr<Counter> = system.create_actor(Counter::default()).await?;
//! counter.add(2).tell().await?;                    // tells `CounterAdd { n: 2 }`
//! system.tell(&counter, CounterAdd { n: 3 }).await; // the same, Thespian-style
//! assert_eq!(counter.total().ask().await?, 5);      // asks `CounterTotal`, waits for the reply
//! let total = system.ask(&counter, CounterTotal, Duration::from_secs(1)).await?;
//! assert_eq!(total, 5);
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # The model
//!
//! * **Ordering.** Messages from one sender to one receiver arrive in the order they were sent.
//! * **Asks are correlated.** [`ActorSystem::ask`] (or `addr.ask`) gets the reply to *that*
//!   request or a typed [`AskError`]: timeout, dead actor, poisoned, or (for a handler that
//!   returns a `Result`) the handler's own error. A late reply never answers a later ask. Whatever actors send to the outside otherwise is read with
//!   [`ActorSystem::listen`].
//! * **Parents and children.** An actor created with [`Context::create_actor`] is a child of its
//!   creator, which hears of its end through [`Actor::child_exited`] ([`ChildActorExited`]).
//!   Asking an actor to exit ([`Addr::request_exit`]) first lets it handle what was already sent,
//!   runs its `stopping` hook, asks its children to exit and waits for them, and only then tells
//!   its parent. [`ActorSystem::shutdown`] does this for every actor.
//! * **Death watch.** Any actor can [watch](Context::watch) any other, local or on another node,
//!   and hears once when it ends ([`WatchedActorExited`], in [`Actor::watched_exited`]).
//! * **Failure.** A handler that panics harms nobody else: its sender gets a [`PoisonMessage`]
//!   (an asker [`AskError::Poisoned`]) and the actor goes on. A message is first retried
//!   ([`RETRIES`] times) only where its actor asks for it (`#[actor(retry)]`,
//!   `#[message(retry)]`, [`Mail::retried`]).
//! * **Nothing vanishes.** A message that cannot be delivered is a *dead letter*: counted, logged,
//!   and handed to the registered handler ([`Context::register_dead_letters`]).
//! * **Observable.** The library logs through `tracing`. With `thespian=debug` enabled, every
//!   handled message runs in a `handle` span inside its actor's span (actor, message type,
//!   sender, and a trace number that crosses nodes with the messages a handler sends there), so
//!   what a handler logs says where it comes from; off, it costs a level check per message (see
//!   the `tracing_setup` example).
//!
//! [`semantics`] states every rule precisely (it is `SEMANTICS.md` in the repository).
//!
//! # Sending, and asking to exit: which call
//!
//! Every send is made when the call is made, not when its result is awaited (an unawaited
//! [`Tell`] still sends, a dropped [`Ask`] still asks, its reply a dead letter); awaiting waits only
//! for room in a bounded mailbox, or for the reply. A [`Request`] made by a generated method is not
//! a send: it goes when it is told or asked. The calls differ in how the message is typed and in
//! what a failure gives back:
//!
//! | call | message checked | if it cannot be delivered (actor exited, node unreachable) |
//! |---|---|---|
//! | `addr.add(n).tell()` (generated), [`Addr::tell`] | at compile time | `Err(`[`SendError`]`)`: the message handed back, with its [`SendFailure`] |
//! | [`Addr::try_tell`] (never waits) | at compile time | `Err(`[`TrySendError`]`)`: the message handed back, also when a bounded mailbox is full |
//! | [`ActorSystem::tell`], [`Context::tell`] (Thespian's `tell`) | at compile time ([`Destination`]) | a counted dead letter |
//! | [`Context::send`] (Thespian's `send`, to any [`ActorAddress`]) | at run time | a dead letter, also for a type the actor does not take |
//! | [`ActorAddress::tell_any`] | at run time | `Err(msg)`: the message handed back |
//! | `addr.total().ask()` (generated), [`Addr::ask`], [`ActorSystem::ask`], [`Context::ask`] | at compile time | `Err(`[`AskError`]`)` at once (`DeadActor`, `Unreachable`); the request a dead letter |
//!
//! The sender is the actor whose handler makes the call (for `ActorSystem`'s, the outside of the
//! system). To end an actor: [`Context::stop`] from its own handlers, [`Addr::request_exit`] or
//! [`ActorAddress::request_exit`] from anywhere; both let it handle what was already sent first.
//! [`semantics`] (*Sending*) has the rules in full.
//!
//! # Without the macro
//!
//! [`Actor`] can be implemented by hand, with any message type — usually an enum matched in
//! [`Actor::handle`], like Thespian's `receiveMessage`. See the example on [`Actor`].
//!
//! # Addresses
//!
//! [`Addr<A>`] is typed: it takes exactly `A`'s messages. [`ActorAddress`] names any actor (and
//! the outside of a system), compares, hashes, prints, and checks message types at run time.
//! [`Recipient<M>`] points at any actor that accepts `M`. All of them are cheap to clone and
//! serialize with serde (feature `remote`).
//!
//! # Observing a running system
//!
//! * **Logs and spans** through `tracing` (above, and the `tracing_setup` example).
//! * **Status**: [`ActorSystem::status`] counts actors, restarts and dead letters.
//! * **Metrics** (feature `metrics`) through the [`metrics`](https://docs.rs/metrics) facade, to
//!   whichever exporter the program installs (before it creates actors: an actor takes its
//!   handles when it handles its first message). Off, the feature costs nothing.
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `thespian_actors` | gauge | | actors alive, in every actor system of the process |
//! | `thespian_handler_seconds` | histogram | `actor` (its type) | how long a handler ran (the first attempt) |
//! | `thespian_mailbox_depth` | histogram | `actor` | messages left in the mailbox as the actor takes one |
//! | `thespian_restarts_total` | counter | `actor` | actors restarted by their supervision |
//! | `thespian_poisoned_total` | counter | `actor` | messages that failed every attempt |
//! | `thespian_dead_letters_total` | counter | `message_type` | messages that became dead letters |
//!
//! # Features
//!
//! * `remote` (default): actors that travel. `#[actor]` derives serde for its messages,
//!   addresses and reply handles serialize, and [`remote`] has the seam a transport
//!   (`thespian-net`) and the process base plug into. Without it (`default-features = false`)
//!   the crate builds without serde and postcard, for programs whose actors stay in their
//!   process; `#[actor]` then derives nothing for the wire and needs no `no_serde`.
//! * `sequential` (default): the sequential base ([`ActorSystemBuilder::sequential`], the
//!   [`sequential`] module). Without it the base, and every branch that serves it in the send,
//!   the mailbox and the system, are compiled out.
//! * `metrics`: the metrics above.
//! * `local-traces`: a tracing span's `trace` follows a request from actor to actor within a
//!   node too, not only across nodes (see SEMANTICS.md, "Tracing spans"); it costs every local
//!   send a thread-local read.
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub, rust_2018_idioms)]
// Without `remote`, the seam's entry points (`thespian::remote`) are compiled out and what only
// they call goes unused; it stays compiled, so the local paths are the same with and without.
// The default build, which has the feature, still reports dead code.
#![cfg_attr(not(feature = "remote"), allow(dead_code))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod acting;
mod actor;
mod address;
mod builder;
mod capabilities;
mod cell;
mod codec;
mod context;
mod deadline;
mod envelope;
mod error;
mod exit_wait;
/// The guide: actors, sending, failure, timers, troupes and testing, chapter by chapter.
pub mod guide;
mod id;
mod mail;
mod mailbox;
mod message_loop;
mod messages;
mod metrics;
mod options;
mod outside;
mod registry;
#[cfg(feature = "remote")]
mod relay;
pub mod remote;
/// The runtime semantics, stated once: what a user can rely on, and where Thespian (Python)
/// differs. Normative: a change of behaviour changes this text (`SEMANTICS.md` in the
/// repository) in the same commit.
#[doc = ""]
#[doc = include_str!("../SEMANTICS.md")]
pub mod semantics {}
mod reply;
mod request;
mod send;
#[cfg(feature = "sequential")]
#[cfg_attr(docsrs, doc(cfg(feature = "sequential")))]
pub mod sequential;
mod spans;
mod status;
mod supervision;
mod sync;
mod system;
mod time;
mod troupe;
mod wakeup;
mod watch;
mod wire;

pub use actor::{Actor, Message};
pub use address::{ActorAddress, Addr, Recipient};
pub use builder::ActorSystemBuilder;
pub use capabilities::{Capabilities, CapabilityValue};
pub use context::Context;
pub use error::{AskError, CreateError, ListenError, Poison, SendError, SendFailure, TrySendError};
pub use exit_wait::ExitWait;
pub use id::ActorId;
pub use mail::Mail;
pub use message_loop::RETRIES;
pub use messages::{
    ActorExitRequest, ChildActorExited, DeadEnvelope, ExitReason, PoisonMessage, ReceivedMessage,
    WatchedActorExited,
};
pub use options::ActorOptions;
pub use reply::ReplyHandle;
pub use request::{Fallible, FallibleAsk, Plain, Request};
pub use send::{AsAddr, Ask, Delivery, Destination, Tell};
#[cfg(feature = "sequential")]
#[cfg_attr(docsrs, doc(cfg(feature = "sequential")))]
pub use sequential::TraceEntry;
pub use status::{ActorStatus, SystemStatus};
pub use supervision::{RestartPolicy, Supervision};
pub use system::{ActorSystem, WeakActorSystem};
pub use thespian_macros::actor;
pub use troupe::{Troupe, TroupeOptions};
pub use wakeup::{TimerId, WakeupMessage};

/// Items the code generated by `#[actor]` refers to. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use futures::future::{Either, FutureExt};
    #[cfg(feature = "remote")]
    pub use wire::*;

    /// What generated code needs for the wire form of messages (feature `remote`).
    #[cfg(feature = "remote")]
    mod wire {
        pub use crate::codec::{decode, encode, ReplyWire, WireError};
        pub use serde;

        /// Lets generated code give the wire form of a reply type when it is serde, and an
        /// "unsupported" one otherwise, without requiring serde.
        #[allow(missing_debug_implementations)]
        pub struct WireProbe<T>(pub core::marker::PhantomData<fn() -> T>);

        pub trait WireBySerde {
            fn reply_wire(&self) -> ReplyWire;
        }

        impl<T> WireBySerde for WireProbe<T>
        where
            T: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
        {
            #[inline]
            fn reply_wire(&self) -> ReplyWire {
                ReplyWire::of::<T>()
            }
        }

        pub trait WireNever {
            fn reply_wire(&self) -> ReplyWire;
        }

        impl<T: 'static> WireNever for &WireProbe<T> {
            #[inline]
            fn reply_wire(&self) -> ReplyWire {
                ReplyWire::unsupported::<T>()
            }
        }

        /// What a field of a generated message must be for the actor to be reachable from other
        /// nodes; generated code asks it of every field so that a field that cannot travel is
        /// explained, with the way to keep the actor local.
        #[diagnostic::on_unimplemented(
            message = "`{Self}` cannot travel between nodes, so it cannot be a field of this `#[actor]` message",
            label = "a handler argument of a remote-capable actor must be serde `Serialize + DeserializeOwned`",
            note = "`#[actor]` derives serde for its messages so that the actor can be reached from other nodes; for an actor used only in its own process, write `#[actor(no_serde)]`"
        )]
        pub trait WireField {}

        impl<T: serde::Serialize + serde::de::DeserializeOwned> WireField for T {}
    }

    /// Lets generated code copy a message when its type is `Clone`, and not otherwise, without
    /// requiring `Clone` (method resolution prefers `CopyByClone` when it applies).
    #[allow(missing_debug_implementations)]
    pub struct CopyProbe<'a, T>(pub &'a T);

    pub trait CopyByClone<T> {
        fn copy_message(&self) -> Option<T>;
    }

    impl<T: Clone> CopyByClone<T> for CopyProbe<'_, T> {
        #[inline]
        fn copy_message(&self) -> Option<T> {
            Some(self.0.clone())
        }
    }

    pub trait CopyNever<T> {
        fn copy_message(&self) -> Option<T>;
    }

    impl<T> CopyNever<T> for &CopyProbe<'_, T> {
        #[inline]
        fn copy_message(&self) -> Option<T> {
            None
        }
    }
}

/// What an actor author needs, in one import.
pub mod prelude {
    pub use crate::{
        actor, Actor, ActorAddress, ActorOptions, ActorSystem, Addr, AsAddr, AskError,
        ChildActorExited, Context, ExitReason, Mail, Message, Poison, Recipient, ReplyHandle,
        WakeupMessage, WatchedActorExited,
    };
}
