//! The [`Context`]: what a handler can do besides changing its own state.
//!
//! This file holds the context itself: who the actor is, who sent the message being handled,
//! its parent and children, stopping, and the answer to an ask. What a handler does with it is
//! split by kind: `children.rs` (creating actors and troupes), `sending.rs` (tell, ask, reply
//! handles), `timers.rs` (wake-ups, delayed messages, streams), `watching.rs` (death watch).

mod children;
mod sending;
mod timers;
mod watching;

pub(crate) use watching::{release_watch, start_watch};

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use crate::actor::Actor;
use crate::address::{ActorAddress, Addr};
use crate::cell::AnyCell;
use crate::envelope::ExitCause;
use crate::id::IdMap;
use crate::reply::ReplyTo;
use crate::sync::Compaction;
use crate::time::TaskHandle;
use crate::wakeup::TimerId;
/// The parts of a context that few actors use.
#[derive(Default)]
pub(crate) struct Extras {
    pub(crate) children: IdMap<ActorAddress>,
    /// Pending wake-ups, delayed messages and attached streams.
    pub(crate) tasks: HashMap<TimerId, TaskHandle>,
    tasks_compaction: Compaction,
    next_task: u64,
    /// Why the actor is exiting, when a failure stopped it.
    pub(crate) failure: Option<String>,
    pub(crate) exit_when_idle: Option<Duration>,
    /// For a troupe's worker: the leader to tell when a job is done.
    pub(crate) leader: Option<ActorAddress>,
    /// The actors this one watches.
    pub(crate) watching: IdMap<ActorAddress>,
    /// What it was created with, checked again when the system's capabilities change.
    pub(crate) requirements: Option<Box<crate::Capabilities>>,
    /// The actor's `Supervisor<A>`, consulted only after a failure (in a lock only to make the
    /// context `Sync`: a restart factory need not be).
    pub(crate) supervisor: Option<std::sync::Mutex<Box<dyn Any + Send>>>,
    /// The actor's metric handles (feature `metrics`), made with its first message.
    #[cfg(feature = "metrics")]
    pub(crate) metrics: Option<crate::metrics::ActorMetrics>,
    /// The actor's tracing span, the parent of each message's: made with the first message
    /// handled while spans are on, closed when the actor ends.
    pub(crate) span: Option<tracing::Span>,
}

/// The actor's wake-ups, delayed messages and attached streams end with it, however it ends
/// (even when a panic outside its handlers took its context away).
impl Drop for Extras {
    fn drop(&mut self) {
        for task in self.tasks.values() {
            task.abort();
        }
    }
}

/// An actor's view of the system, handed to every handler and hook.
///
/// It knows the actor's own address, the sender of the message being handled, the actor's parent
/// and children; it sends (with this actor as the sender), creates child actors, and answers asks.
pub struct Context<A: Actor> {
    pub(crate) myself: Addr<A>,
    /// Children, timers and options: allocated on first use, since most actors need none of them
    /// and every idle actor would pay for them.
    pub(crate) extras: Option<Box<Extras>>,
    pub(crate) sender: Option<ActorAddress>,
    pub(crate) reply: Option<ReplyTo>,
}

impl<A: Actor> fmt::Debug for Context<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("myself", &self.myself)
            .field("parent", &self.parent())
            .field("children", &self.children().count())
            .field("exiting", &self.exiting().is_some())
            .finish_non_exhaustive()
    }
}

impl<A: Actor> crate::metrics::Measured for Context<A> {
    #[cfg(feature = "metrics")]
    fn actor_type(&self) -> &'static str {
        A::type_name()
    }

    #[cfg(feature = "metrics")]
    fn depth(&self) -> usize {
        self.myself.cell.mailbox.len()
    }

    #[cfg(feature = "metrics")]
    fn handles(&mut self) -> &mut Option<crate::metrics::ActorMetrics> {
        &mut self.extras().metrics
    }

    #[cfg(feature = "metrics")]
    fn handles_made(&self) -> Option<&crate::metrics::ActorMetrics> {
        self.extras.as_ref().and_then(|e| e.metrics.as_ref())
    }
}

impl<A: Actor> Context<A> {
    pub(crate) fn new(myself: Addr<A>) -> Self {
        Context {
            myself,
            extras: None,
            sender: None,
            reply: None,
        }
    }

    /// This actor's own address (Thespian's `myAddress`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// struct Echo;
    ///
    /// #[actor]
    /// impl Echo {
    ///     async fn me(&self, ctx: &Context<Self>) -> thespian::ActorId {
    ///         ctx.myself().id()
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let echo = system.create_actor(Echo).await?;
    /// assert_eq!(echo.me().ask().await?, echo.id());
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn myself(&self) -> &Addr<A> {
        &self.myself
    }

    /// The sender of the message being handled: an actor, or the outside of the system (see
    /// [`ActorSystem::listen`](crate::ActorSystem::listen)).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// struct Who;
    ///
    /// #[actor]
    /// impl Who {
    ///     async fn asked_by(&self, ctx: &Context<Self>) -> ActorAddress {
    ///         ctx.sender()
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let who = system.create_actor(Who).await?;
    /// assert_eq!(who.asked_by().ask().await?, system.outside_address());
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn sender(&self) -> ActorAddress {
        match &self.sender {
            Some(s) => s.clone(),
            None => self.myself.cell.system.outside_address(),
        }
    }

    /// Whether the message being handled came from outside the actor system.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// struct Who;
    ///
    /// #[actor]
    /// impl Who {
    ///     async fn from_outside(&self, ctx: &Context<Self>) -> bool {
    ///         ctx.sender_is_outside()
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let who = system.create_actor(Who).await?;
    /// assert!(who.from_outside().ask().await?);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn sender_is_outside(&self) -> bool {
        self.sender.is_none()
    }

    /// The actor that created this one; `None` for actors created from outside (the system is
    /// their parent).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// struct Family;
    ///
    /// #[actor]
    /// impl Family {
    ///     async fn has_parent(&self, ctx: &Context<Self>) -> bool {
    ///         ctx.parent().is_some()
    ///     }
    ///
    ///     async fn child_has_parent(&mut self, ctx: &mut Context<Self>) -> bool {
    ///         match ctx.create_actor(Family).await {
    ///             Ok(child) => child.has_parent().ask().await.unwrap_or(false),
    ///             Err(_) => false,
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let top = system.create_actor(Family).await?;
    /// assert!(!top.has_parent().ask().await?); // the system is its parent
    /// assert!(top.child_has_parent().ask().await?);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn parent(&self) -> Option<ActorAddress> {
        self.myself.cell.parent()
    }

    /// The children of this actor that have not ended yet.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// struct Parent;
    /// struct Child;
    ///
    /// #[actor]
    /// impl Child {
    ///     async fn ping(&self) {}
    /// }
    ///
    /// #[actor]
    /// impl Parent {
    ///     async fn spawn(&mut self, ctx: &mut Context<Self>) -> usize {
    ///         let _ = ctx.create_actor(Child).await;
    ///         ctx.children().count()
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let parent = system.create_actor(Parent).await?;
    /// assert_eq!(parent.spawn().ask().await?, 1);
    /// assert_eq!(parent.spawn().ask().await?, 2);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn children(&self) -> impl Iterator<Item = &ActorAddress> {
        self.extras.iter().flat_map(|e| e.children.values())
    }

    pub(crate) fn extras(&mut self) -> &mut Extras {
        self.extras.get_or_insert_with(Default::default)
    }

    /// Keeps the actor's supervisor until a failure needs it.
    pub(crate) fn keep_supervisor(&mut self, supervisor: Box<crate::supervision::Supervisor<A>>) {
        let supervisor: Box<dyn Any + Send> = supervisor;
        self.extras().supervisor = Some(std::sync::Mutex::new(supervisor));
    }

    /// The actor's supervisor, if it has one, taken out while a failure is dealt with.
    pub(crate) fn take_supervisor(&mut self) -> Option<Box<crate::supervision::Supervisor<A>>> {
        let kept = self.extras.as_mut()?.supervisor.take()?;
        let kept = kept.into_inner().unwrap_or_else(|e| e.into_inner());
        kept.downcast().ok()
    }

    /// Why the actor is exiting, once it is.
    #[inline]
    pub(crate) fn exiting(&self) -> Option<ExitCause> {
        self.myself.cell.exiting()
    }

    /// Asks this actor to exit after the messages already in its mailbox (Thespian's
    /// `send(myAddress, ActorExitRequest())`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// use thespian::ExitReason;
    ///
    /// struct OneShot;
    ///
    /// #[actor]
    /// impl OneShot {
    ///     async fn fire(&mut self, ctx: &Context<Self>) {
    ///         ctx.stop();
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let shot = system.create_actor(OneShot).await?;
    /// let ended = shot.wait_for_exit();
    /// shot.fire().tell().await?;
    /// assert_eq!(ended.await, ExitReason::Requested);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn stop(&self) {
        self.myself.cell.request_exit();
    }

    /// Makes this actor the system's dead-letter handler: it receives every undeliverable message
    /// in [`Actor::dead_letter`]. The last actor to register wins; exiting unregisters.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// use thespian::DeadEnvelope;
    ///
    /// #[derive(Default)]
    /// struct Undelivered { seen: u32 }
    ///
    /// #[actor]
    /// impl Undelivered {
    ///     async fn register(&mut self, ctx: &Context<Self>) -> bool {
    ///         ctx.register_dead_letters();
    ///         true
    ///     }
    ///
    ///     async fn seen(&self) -> u32 { self.seen }
    ///
    ///     #[dead_letter]
    ///     async fn on_dead_letter(&mut self, _dead: DeadEnvelope) { self.seen += 1; }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let handler = system.create_actor(Undelivered::default()).await?;
    /// assert!(handler.register().ask().await?); // an ask: registered once it answers
    /// let gone = system.create_actor(Undelivered::default()).await?;
    /// let ended = gone.wait_for_exit();
    /// gone.request_exit();
    /// ended.await;
    /// system.tell(&gone, UndeliveredSeen).await;
    /// assert_eq!(handler.seen().ask().await?, 1);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn register_dead_letters(&self) {
        self.myself
            .cell
            .system
            .set_dead_letter_handler(Some(self.myself.address()));
    }

    /// Stops receiving dead letters, if this actor is the handler.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// use thespian::DeadEnvelope;
    ///
    /// #[derive(Default)]
    /// struct Undelivered { seen: u32 }
    ///
    /// #[actor]
    /// impl Undelivered {
    ///     async fn register(&mut self, on: bool, ctx: &Context<Self>) -> bool {
    ///         if on { ctx.register_dead_letters() } else { ctx.unregister_dead_letters() }
    ///         on
    ///     }
    ///
    ///     async fn seen(&self) -> u32 { self.seen }
    ///
    ///     #[dead_letter]
    ///     async fn on_dead_letter(&mut self, _dead: DeadEnvelope) { self.seen += 1; }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let handler = system.create_actor(Undelivered::default()).await?;
    /// handler.register(true).ask().await?;
    /// handler.register(false).ask().await?;
    /// let gone = system.create_actor(Undelivered::default()).await?;
    /// let ended = gone.wait_for_exit();
    /// gone.request_exit();
    /// ended.await;
    /// system.tell(&gone, UndeliveredSeen).await;
    /// assert_eq!(handler.seen().ask().await?, 0); // counted, but no longer handed to it
    /// assert_eq!(system.dead_letter_count(), 1);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn unregister_dead_letters(&self) {
        self.myself
            .cell
            .system
            .clear_dead_letter_handler(self.myself.id());
    }

    // What `#[actor]`-generated handlers call to answer: kept beside the type, so that a
    // compile error in generated code names `Context::answer_result`, not a private module.
    /// Answers the `ask` being handled, if it is one; otherwise drops `value`. This is what the
    /// code generated by `#[actor]` does with a handler's return value.
    #[doc(hidden)]
    #[inline]
    pub fn answer<T: Send + 'static>(&mut self, value: T) {
        if self.reply.is_some() {
            self.reply(value);
        }
    }

    /// As [`answer`](Self::answer), for a handler that returns a `Result`: when the message was
    /// told, not asked, an error has no asker to reach, so it is reported through `tracing` (a
    /// `warn` event naming the actor and the message) instead of vanishing.
    #[doc(hidden)]
    #[inline]
    pub fn answer_result<T: Send + 'static, E: fmt::Debug + Send + 'static>(
        &mut self,
        value: Result<T, E>,
        message: &'static str,
    ) {
        if self.reply.is_some() {
            self.reply(value);
        } else if let Err(error) = value {
            tracing::warn!(
                actor = %self.myself,
                message_type = message,
                ?error,
                "the handler of a told message returned an error"
            );
        }
    }

    /// A reply nobody waits for any more (the ask timed out) is a dead letter.
    fn late_reply<T: Send + 'static>(&self, value: T) {
        self.myself.cell.system.dead_letter(
            self.sender(),
            Some(self.myself.address()),
            Box::new(value),
            std::any::type_name::<T>(),
        );
    }
}
