//! The [`Actor`] trait: state plus one handler, run one message at a time.

use std::future::Future;

use crate::capabilities::Capabilities;
use crate::context::Context;
use crate::mail::Mail;
use crate::messages::{ChildActorExited, DeadEnvelope, PoisonMessage, WatchedActorExited};
use crate::wakeup::WakeupMessage;

/// A message type and the type of its reply.
///
/// `ask` returns `Reply`; for messages that are only told, use `()`. `#[actor]` implements this for
/// the message types it generates.
pub trait Message: Send + 'static {
    /// What the handler answers to this message.
    type Reply: Send + 'static;
}

/// An actor: a plain value whose state is its fields, and a handler for its messages.
///
/// The system runs each actor as one tokio task that handles one message at a time, in the order
/// they arrived from each sender. Handlers are `async`; while one awaits, the actor handles nothing
/// else. Every hook has a default that does nothing, so only [`handle`](Actor::handle) is required.
///
/// In each hook, [`Context::sender`] is the actor the hook is about: the actor itself in
/// `started`, `stopping` and `wakeup`; the child in `child_exited`; the watched actor in
/// `watched_exited`; the actor that failed in `poisoned`; and in `dead_letter` the sender of the
/// undelivered message (the outside when it came from outside).
///
/// Most actors are written with [`#[actor]`](macro@crate::actor), which generates this
/// implementation, the message types and the typed address methods. Implementing it by hand means
/// choosing the message type (usually an enum) and matching on it, as in Thespian's
/// `receiveMessage`:
///
/// ```
/// use std::time::Duration;
/// use thespian::prelude::*;
///
/// #[derive(Default)]
/// struct Counter { total: u64 }
///
/// enum CounterMessage { Add(u64), Total }
/// impl Mail for CounterMessage {}
/// impl Message for CounterMessage { type Reply = u64; }
///
/// impl Actor for Counter {
///     type Message = CounterMessage;
///
///     async fn handle(&mut self, msg: CounterMessage, ctx: &mut Context<Self>) {
///         match msg {
///             CounterMessage::Add(n) => self.total += n,
///             CounterMessage::Total => ctx.reply(self.total),
///         }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let system = ActorSystem::new();
/// let counter = system.create_actor(Counter::default()).await.unwrap();
/// counter.tell(CounterMessage::Add(2)).await.unwrap();
/// counter.tell(CounterMessage::Add(3)).await.unwrap();
/// let total = counter.ask(CounterMessage::Total, Duration::from_secs(1)).await;
/// assert_eq!(total, Ok(5));
/// system.shutdown().await;
/// # }
/// ```
pub trait Actor: Sized + Send + 'static {
    /// Every message this actor accepts: the item type of its mailbox. What the system may do
    /// with one besides handing it to [`handle`](Actor::handle) (copy it for a retry, send it to
    /// another node) is its [`Mail`] implementation's to say.
    type Message: Mail;

    /// Handles one message. Answer an `ask` with [`Context::reply`], or keep the answer for later
    /// with [`Context::reply_handle`].
    ///
    /// # Failure
    ///
    /// A panic in a handler never takes down the system or other actors. The message is handed
    /// to the same actor once more ([`RETRIES`](crate::RETRIES) times) if its type asks for
    /// retries ([`Mail::retried`]) and a copy of it could be made ([`Mail::copy`]); if every
    /// attempt fails, its sender gets a [`PoisonMessage`] (an `ask` fails with
    /// [`AskError::Poisoned`](crate::AskError::Poisoned)) and the actor goes on with its next
    /// message.
    fn handle(
        &mut self,
        message: Self::Message,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send;

    /// Runs once, before the first message. A panic here ends the actor (its parent is told
    /// [`ExitReason::StartFailed`](crate::ExitReason::StartFailed)).
    fn started(&mut self, ctx: &mut Context<Self>) -> impl Future<Output = ()> + Send {
        let _ = ctx;
        async {}
    }

    /// Runs when the actor has been asked to exit, before its children are asked to exit too.
    fn stopping(&mut self, ctx: &mut Context<Self>) -> impl Future<Output = ()> + Send {
        let _ = ctx;
        async {}
    }

    /// A child of this actor has ended.
    fn child_exited(
        &mut self,
        exited: ChildActorExited,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send {
        let _ = (exited, ctx);
        async {}
    }

    /// An actor this one watches has ended (see [`Context::watch`]): once per watch, also when
    /// it had ended before it was watched, and when its node is lost.
    fn watched_exited(
        &mut self,
        exited: WatchedActorExited,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send {
        let _ = (exited, ctx);
        async {}
    }

    /// A message could not be delivered (only for an actor registered as its system's dead-letter
    /// handler, see [`Context::register_dead_letters`]).
    fn dead_letter(
        &mut self,
        envelope: DeadEnvelope,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send {
        let _ = (envelope, ctx);
        async {}
    }

    /// A message this actor sent failed every attempt to handle it.
    fn poisoned(
        &mut self,
        poison: PoisonMessage,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send {
        let _ = (poison, ctx);
        async {}
    }

    /// A wake-up asked for with [`Context::wakeup_after`] is due.
    fn wakeup(
        &mut self,
        wakeup: WakeupMessage,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send {
        let _ = (wakeup, ctx);
        async {}
    }

    /// May this actor run on a system with these `capabilities`, given the `requirements` passed to
    /// its creation? (Thespian's `actorSystemCapabilityCheck`.) By default it runs anywhere.
    fn capability_check(capabilities: &Capabilities, requirements: &Capabilities) -> bool {
        let _ = (capabilities, requirements);
        true
    }

    /// A stable name of the actor type, used in logs and to create it remotely.
    fn type_name() -> &'static str {
        std::any::type_name::<Self>()
    }
}
