//! The [`Context`]: what a handler can do besides changing its own state.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use futures::{Stream, StreamExt};

use crate::actor::{Actor, Message};
use crate::address::{ActorAddress, Addr, AnyCell};
use crate::envelope::{ExitCause, SystemMessage};
use crate::error::CreateError;
use crate::id::{ActorId, IdMap};
use crate::messages::{ExitReason, WatchedActorExited};
use crate::options::ActorOptions;
use crate::reply::{ReplyHandle, ReplyTo, SendReplyError};
use crate::send::{tell_via, Ask, Delivery, Destination};
use crate::sync::Compaction;
use crate::system::ActorSystem;
use crate::system::SystemShared;
use crate::time::TaskHandle;
use crate::wakeup::{TimerId, WakeupMessage};
use crate::watch::Interest;

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
    /// [`ActorSystem::listen`]).
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

    /// The actor system this actor runs in.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// struct Named;
    ///
    /// #[actor]
    /// impl Named {
    ///     async fn system_name(&self, ctx: &Context<Self>) -> String {
    ///         ctx.system().name().to_string()
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// # let system = ActorSystem::builder().name("docs").build();
    /// let named = system.create_actor(Named).await?;
    /// assert_eq!(named.system_name().ask().await?, "docs");
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn system(&self) -> ActorSystem {
        ActorSystem::from_shared(self.myself.cell.system.clone())
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

    /// Creates a child actor: this actor is its parent, is told when it ends
    /// ([`Actor::child_exited`]), and takes it along when exiting.
    ///
    /// # Errors
    ///
    /// [`CreateError`]: this actor is exiting, the system is shut down, or the child's
    /// `capability_check` refuses the system's capabilities.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// #[derive(Default)]
    /// struct Worker { done: u32 }
    ///
    /// #[actor]
    /// impl Worker {
    ///     async fn work(&mut self) -> u32 { self.done += 1; self.done }
    /// }
    ///
    /// struct Boss;
    ///
    /// #[actor]
    /// impl Boss {
    ///     async fn hire(&mut self, ctx: &mut Context<Self>) -> Option<Addr<Worker>> {
    ///         ctx.create_actor(Worker::default()).await.ok()
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let boss = system.create_actor(Boss).await?;
    /// let worker = boss.hire().ask().await?.ok_or("not hired")?;
    /// assert_eq!(worker.work().ask().await?, 1);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_actor<B: Actor>(&mut self, actor: B) -> Result<Addr<B>, CreateError> {
        self.create_actor_with(actor, ActorOptions::new()).await
    }

    /// Creates a child actor with options (supervision, mailbox bound, ...). A named actor
    /// ([`ActorOptions::name`]) is the system's child rather than this actor's.
    ///
    /// # Errors
    ///
    /// As for [`create_actor`](Self::create_actor), and [`CreateError::NameTaken`] for a name
    /// held by an actor of another type.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// use thespian::ActorOptions;
    ///
    /// #[derive(Default)]
    /// struct Buffer;
    ///
    /// #[actor]
    /// impl Buffer {
    ///     async fn push(&mut self, _n: u64) {}
    /// }
    ///
    /// struct Owner;
    ///
    /// #[actor]
    /// impl Owner {
    ///     async fn make(&mut self, ctx: &mut Context<Self>) -> Option<Addr<Buffer>> {
    ///         let options = ActorOptions::new().mailbox_capacity(10);
    ///         ctx.create_actor_with(Buffer, options).await.ok()
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let owner = system.create_actor(Owner).await?;
    /// let buffer = owner.make().ask().await?.ok_or("not made")?;
    /// buffer.push(1).tell().await?;
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_actor_with<B: Actor>(
        &mut self,
        actor: B,
        options: ActorOptions<B>,
    ) -> Result<Addr<B>, CreateError> {
        if self.exiting().is_some() {
            return Err(CreateError::ParentExiting);
        }
        let system = self.myself.cell.system.clone();
        if options.name.is_some() {
            return system.create(actor, None, options);
        }
        let child = system.create(actor, Some(self.myself.address()), options)?;
        self.extras().children.insert(child.id(), child.address());
        Ok(child)
    }

    /// Creates a troupe as a child of this actor (see [`Troupe`](crate::Troupe)): it is asked to
    /// exit with this actor, and its exit is reported to [`Actor::child_exited`].
    ///
    /// # Errors
    ///
    /// As for [`create_actor`](Self::create_actor).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// use thespian::{Troupe, TroupeOptions};
    ///
    /// #[derive(Default)]
    /// struct Resizer;
    ///
    /// #[actor]
    /// impl Resizer {
    ///     async fn half(&mut self, n: u32) -> u32 { n / 2 }
    /// }
    ///
    /// struct Studio;
    ///
    /// #[actor]
    /// impl Studio {
    ///     async fn open(&mut self, ctx: &mut Context<Self>) -> Option<Addr<Resizer>> {
    ///         let options = TroupeOptions::new().max_count(4);
    ///         let troupe: Troupe<Resizer> = ctx.create_troupe(Resizer::default, options).await.ok()?;
    ///         Some(troupe.addr().clone())
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let studio = system.create_actor(Studio).await?;
    /// let resizers = studio.open().ask().await?.ok_or("no troupe")?;
    /// assert_eq!(resizers.half(10).ask().await?, 5);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_troupe<B, F>(
        &mut self,
        factory: F,
        options: crate::TroupeOptions,
    ) -> Result<crate::Troupe<B>, CreateError>
    where
        B: Actor,
        F: FnMut() -> B + Send + 'static,
    {
        if self.exiting().is_some() {
            return Err(CreateError::ParentExiting);
        }
        let system = self.myself.cell.system.clone();
        let troupe = crate::troupe::create(&system, factory, options, Some(self.myself.address()))?;
        let addr = troupe.addr().address();
        self.extras().children.insert(addr.id(), addr);
        Ok(troupe)
    }

    /// Starts `task` on the system's runtime, owned by this actor: it is aborted when the actor
    /// exits or the returned id is cancelled.
    fn own_task(&mut self, task: impl Future<Output = ()> + Send + 'static) -> TimerId {
        let id = self.next_timer_id();
        self.own_task_with_id(id, task)
    }

    /// Asks for a [`WakeupMessage`](crate::WakeupMessage) carrying `payload` after `delay`,
    /// delivered to [`Actor::wakeup`]. Many may be pending; each can be cancelled with
    /// [`cancel`](Self::cancel); all end with the actor.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// use thespian::WakeupMessage;
    ///
    /// struct Alarm;
    ///
    /// #[actor]
    /// impl Alarm {
    ///     async fn set(&mut self, ctx: &mut Context<Self>) {
    ///         ctx.wakeup_after(Duration::from_millis(10), "wake up");
    ///     }
    ///
    ///     #[wakeup]
    ///     async fn on_wakeup(&mut self, wakeup: WakeupMessage, ctx: &mut Context<Self>) {
    ///         if let Ok(text) = wakeup.payload.downcast::<&str>() {
    ///             ctx.send(&ctx.system().outside_address(), *text);
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let alarm = system.create_actor(Alarm).await?;
    /// alarm.set().tell().await?;
    /// let heard = system.listen(Duration::from_secs(5)).await?;
    /// assert_eq!(heard.downcast::<&str>().ok(), Some("wake up"));
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn wakeup_after(&mut self, delay: Duration, payload: impl Any + Send) -> TimerId {
        let cell = self.myself.cell.clone();
        let id = self.next_timer_id();
        let payload: Box<dyn Any + Send> = Box::new(payload);
        self.own_task_with_id(id, async move {
            cell.system.clock().sleep(delay).await;
            let wakeup = WakeupMessage { id, delay, payload };
            let _ = cell.push_system(SystemMessage::Wakeup(Box::new(wakeup)));
        })
    }

    /// Sends this actor `msg`, one of its own messages, after `delay` (cancellable like a
    /// wake-up). The actor itself is its sender.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// struct Kettle;
    ///
    /// #[actor]
    /// impl Kettle {
    ///     async fn switch_on(&mut self, ctx: &mut Context<Self>) {
    ///         ctx.notify_after(Duration::from_millis(10), KettleBoil);
    ///     }
    ///
    ///     async fn boil(&mut self, ctx: &mut Context<Self>) {
    ///         ctx.send(&ctx.system().outside_address(), "boiled");
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let kettle = system.create_actor(Kettle).await?;
    /// kettle.switch_on().tell().await?;
    /// let heard = system.listen(Duration::from_secs(5)).await?;
    /// assert_eq!(heard.downcast::<&str>().ok(), Some("boiled"));
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn notify_after<M>(&mut self, delay: Duration, msg: M) -> TimerId
    where
        M: Send + 'static,
        A::Message: From<M>,
    {
        let me = self.myself.clone();
        self.own_task(async move {
            me.cell.system.clock().sleep(delay).await;
            let _ = tell_via(&me.cell, msg, Some(me.address())).await;
        })
    }

    /// Feeds `stream`'s items to this actor as messages, in order, then `on_end` (if any) when the
    /// stream ends (the Rust form of Thespian's `WatchMessage`). Cancellable; ends with the actor.
    /// The actor itself is the sender of these messages.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// #[derive(Default)]
    /// struct Summer { sum: u64 }
    ///
    /// #[actor]
    /// impl Summer {
    ///     async fn attach(&mut self, ctx: &mut Context<Self>) {
    ///         let numbers = [1u64, 2, 3].map(|n| SummerMessage::from(SummerAdd { n }));
    ///         ctx.attach_stream(futures::stream::iter(numbers), Some(SummerEnd.into()));
    ///     }
    ///
    ///     async fn add(&mut self, n: u64) { self.sum += n; }
    ///
    ///     async fn end(&mut self, ctx: &mut Context<Self>) {
    ///         ctx.send(&ctx.system().outside_address(), self.sum);
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let summer = system.create_actor(Summer::default()).await?;
    /// summer.attach().tell().await?;
    /// let heard = system.listen(Duration::from_secs(5)).await?;
    /// assert_eq!(heard.downcast::<u64>().ok(), Some(6));
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn attach_stream<S, M>(&mut self, stream: S, on_end: Option<M>) -> TimerId
    where
        S: Stream<Item = M> + Send + 'static,
        M: Send + 'static,
        A::Message: From<M>,
    {
        let me = self.myself.clone();
        self.own_task(async move {
            let mut stream = std::pin::pin!(stream);
            while let Some(item) = stream.next().await {
                if tell_via(&me.cell, item, Some(me.address())).await.is_err() {
                    return;
                }
            }
            if let Some(end) = on_end {
                let _ = tell_via(&me.cell, end, Some(me.address())).await;
            }
        })
    }

    /// Cancels a pending wake-up, delayed message or stream. `false` if it had already finished.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// use thespian::TimerId;
    ///
    /// #[derive(Default)]
    /// struct Snooze { pending: Option<TimerId> }
    ///
    /// #[actor]
    /// impl Snooze {
    ///     async fn set(&mut self, ctx: &mut Context<Self>) {
    ///         self.pending = Some(ctx.wakeup_after(Duration::from_secs(60), ()));
    ///     }
    ///
    ///     async fn snooze(&mut self, ctx: &mut Context<Self>) -> bool {
    ///         self.pending.take().is_some_and(|id| ctx.cancel(id))
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let alarm = system.create_actor(Snooze::default()).await?;
    /// alarm.set().tell().await?;
    /// assert!(alarm.snooze().ask().await?);   // cancelled before it was due
    /// assert!(!alarm.snooze().ask().await?);  // nothing left to cancel
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn cancel(&mut self, id: TimerId) -> bool {
        match self.extras.as_mut().and_then(|e| e.tasks.remove(&id)) {
            Some(task) => {
                let pending = !task.is_finished();
                task.abort();
                pending
            }
            None => false,
        }
    }

    fn next_timer_id(&mut self) -> TimerId {
        let extras = self.extras();
        extras.next_task += 1;
        TimerId(extras.next_task)
    }

    fn own_task_with_id(
        &mut self,
        id: TimerId,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> TimerId {
        if let Some(handle) = self.myself.cell.system.spawn_task(task) {
            let Extras {
                tasks,
                tasks_compaction,
                ..
            } = self.extras();
            // Delayed messages and streams leave no notice when they finish: prune now and then.
            if tasks_compaction.due(tasks.len(), 64) {
                tasks.retain(|_, t| !t.is_finished());
                tasks_compaction.done(tasks.len());
            }
            tasks.insert(id, handle);
        }
        id
    }

    /// Sends `msg` to `to` with this actor as its sender. If the target has exited, the message
    /// becomes a dead letter. Waits only for room in a bounded mailbox.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// #[derive(Default)]
    /// struct Log { lines: Vec<String> }
    ///
    /// #[actor]
    /// impl Log {
    ///     async fn line(&mut self, text: String) { self.lines.push(text); }
    ///     async fn lines(&self) -> Vec<String> { self.lines.clone() }
    /// }
    ///
    /// struct Worker { log: Addr<Log> }
    ///
    /// #[actor]
    /// impl Worker {
    ///     /// Answers (an ask) once the line is in the log's mailbox.
    ///     async fn work(&mut self, ctx: &Context<Self>) -> bool {
    ///         ctx.tell(&self.log, LogLine { text: "worked".into() }).await;
    ///         true
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let log = system.create_actor(Log::default()).await?;
    /// let worker = system.create_actor(Worker { log: log.clone() }).await?;
    /// assert!(worker.work().ask().await?);
    /// assert_eq!(log.lines().ask().await?, ["worked"]);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn tell<M, D>(&self, to: &D, msg: M) -> Delivery
    where
        M: Send + 'static,
        D: Destination<M>,
    {
        to.deliver(msg, Some(self.myself.address()))
    }

    /// Sends a message checked at run time to any address (Thespian's `send`), including the
    /// outside of the system. A message the target does not accept, or a target that has exited,
    /// makes a dead letter.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// struct Announcer;
    ///
    /// #[actor]
    /// impl Announcer {
    ///     async fn announce(&mut self, ctx: &Context<Self>) {
    ///         ctx.send(&ctx.system().outside_address(), 42u32);
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let announcer = system.create_actor(Announcer).await?;
    /// announcer.announce().tell().await?;
    /// let heard = system.listen(Duration::from_secs(1)).await?;
    /// assert_eq!(heard.downcast::<u32>().ok(), Some(42));
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn send<M: Any + Send>(&self, to: &ActorAddress, msg: M) {
        let me = self.myself.address();
        if let Err(msg) = to
            .cell
            .clone()
            .push_any(Box::new(msg), Some(me.clone()), None)
        {
            self.myself.cell.system.dead_letter(
                to.clone(),
                Some(me),
                msg,
                std::any::type_name::<M>(),
            );
        }
    }

    /// Sends a request to `to` and waits at most `timeout` for its reply. This actor handles
    /// nothing else meanwhile.
    ///
    /// # Errors
    ///
    /// [`AskError`](crate::AskError), as for [`Addr::ask`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// #[derive(Default)]
    /// struct Store { value: u64 }
    ///
    /// #[actor]
    /// impl Store {
    ///     async fn get(&self) -> u64 { self.value }
    /// }
    ///
    /// struct Reader { store: Addr<Store> }
    ///
    /// #[actor]
    /// impl Reader {
    ///     async fn read(&mut self, ctx: &Context<Self>) -> Option<u64> {
    ///         ctx.ask(&self.store, StoreGet, Duration::from_secs(1)).await.ok()
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let store = system.create_actor(Store { value: 7 }).await?;
    /// let reader = system.create_actor(Reader { store }).await?;
    /// assert_eq!(reader.read().ask().await?, Some(7));
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn ask<M, D>(&self, to: &D, msg: M, timeout: Duration) -> Ask<M::Reply>
    where
        M: Message,
        D: Destination<M>,
    {
        to.request(msg, Some(self.myself.address()), timeout)
    }

    /// Answers the message being handled. For an `ask`, `value` is the reply (it must be of the
    /// request's reply type); for a message that was only told, `value` is sent to its sender as an
    /// ordinary message, as Thespian's `send(sender, ...)` would.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// use thespian::{Actor, Message};
    ///
    /// /// A hand-written actor answers with `ctx.reply`.
    /// struct Doubler;
    ///
    /// struct Double(u64);
    ///
    /// impl Message for Double {
    ///     type Reply = u64;
    /// }
    ///
    /// impl Actor for Doubler {
    ///     type Message = Double;
    ///
    ///     async fn handle(&mut self, message: Double, ctx: &mut Context<Self>) {
    ///         ctx.reply(message.0 * 2);
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let doubler = system.create_actor(Doubler).await?;
    /// assert_eq!(doubler.ask(Double(21), Duration::from_secs(1)).await?, 42);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn reply<T: Send + 'static>(&mut self, value: T) {
        match self.reply.take() {
            Some(route) => match route.send(value) {
                Ok(()) => {}
                Err(SendReplyError::AskerGone(v)) => self.late_reply(v),
                Err(SendReplyError::WrongType(_)) => tracing::error!(
                    actor = %self.myself,
                    found = std::any::type_name::<T>(),
                    "reply of the wrong type; the ask fails"
                ),
            },
            None => {
                let to = self.sender();
                self.send(&to, value);
            }
        }
    }

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

    /// Whether the message being handled is an `ask` still waiting for its reply.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// #[derive(Default)]
    /// struct Probe { told: u32 }
    ///
    /// #[actor]
    /// impl Probe {
    ///     async fn poke(&mut self, ctx: &Context<Self>) -> bool {
    ///         ctx.is_ask()
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let probe = system.create_actor(Probe::default()).await?;
    /// assert!(probe.poke().ask().await?);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_ask(&self) -> bool {
        self.reply.is_some()
    }

    /// Takes the right to answer the message being handled, to answer it later or from elsewhere
    /// (the handle can travel inside a message to another actor). For an `ask`, the handle completes
    /// it; otherwise it sends to the message's sender.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// use thespian::{Actor, Message};
    ///
    /// /// Answered with a `u64`, once a `Release` comes.
    /// struct Wait;
    /// impl Message for Wait { type Reply = u64; }
    ///
    /// struct Release(u64);
    /// impl Message for Release { type Reply = (); }
    ///
    /// enum Request { Wait, Release(u64) }
    /// impl From<Wait> for Request { fn from(_: Wait) -> Self { Request::Wait } }
    /// impl From<Release> for Request { fn from(r: Release) -> Self { Request::Release(r.0) } }
    ///
    /// #[derive(Default)]
    /// struct Later { waiting: Option<ReplyHandle<u64>> }
    ///
    /// impl Actor for Later {
    ///     type Message = Request;
    ///
    ///     async fn handle(&mut self, message: Request, ctx: &mut Context<Self>) {
    ///         match message {
    ///             Request::Wait => self.waiting = Some(ctx.reply_handle::<u64>()),
    ///             Request::Release(value) => {
    ///                 if let Some(waiting) = self.waiting.take() {
    ///                     let _ = waiting.send(value);
    ///                 }
    ///             }
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let later = system.create_actor(Later::default()).await?;
    /// let answer = later.ask(Wait, Duration::from_secs(1));
    /// later.tell(Release(5)).await?;
    /// assert_eq!(answer.await?, 5);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn reply_handle<T: Send + 'static>(&mut self) -> ReplyHandle<T> {
        match self.reply.take() {
            Some(to) => ReplyHandle::ask(to),
            None => ReplyHandle::sender(self.sender(), self.myself.address()),
        }
    }

    /// Watches `actor`, local or on another node: when it ends, this actor's
    /// [`watched_exited`](Actor::watched_exited) hook gets one [`WatchedActorExited`] with the
    /// reason. An actor that had already ended is reported at once
    /// ([`ExitReason::AlreadyExited`](crate::ExitReason::AlreadyExited)); one whose node is lost,
    /// within the link's failure detection time
    /// ([`ExitReason::NodeLost`](crate::ExitReason::NodeLost)). Watching an actor twice is
    /// watching it once; watching oneself does nothing. The watch ends with the notice, with
    /// [`unwatch`](Self::unwatch), or when this actor exits. Watching costs the watched actor
    /// nothing per message: the watch is kept beside it and looked at when it ends.
    ///
    /// ```
    /// use thespian::prelude::*;
    ///
    /// struct Worker;
    /// #[actor]
    /// impl Worker {
    ///     async fn quit(&mut self, ctx: &mut Context<Self>) { ctx.stop(); }
    /// }
    ///
    /// #[derive(Default)]
    /// struct Monitor { seen: Vec<ExitReason> }
    /// #[actor]
    /// impl Monitor {
    ///     async fn watch_it(&mut self, worker: Addr<Worker>, ctx: &mut Context<Self>) {
    ///         ctx.watch(&worker.address());
    ///     }
    ///     async fn seen(&self) -> Vec<ExitReason> { self.seen.clone() }
    ///     #[watched_exited]
    ///     async fn on_exit(&mut self, exited: WatchedActorExited) {
    ///         self.seen.push(exited.reason);
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let system = ActorSystem::builder().sequential().build();
    /// let worker = system.create_actor(Worker).await.unwrap();
    /// let monitor = system.create_actor(Monitor::default()).await.unwrap();
    /// monitor.watch_it(worker.clone()).tell().await.unwrap();
    /// worker.quit().tell().await.unwrap();
    /// system.run_until_idle().await;
    /// assert_eq!(monitor.seen().ask().await.unwrap(), [ExitReason::Requested]);
    /// # system.shutdown().await;
    /// # }
    /// ```
    pub fn watch(&mut self, actor: &ActorAddress) {
        if actor.id() == self.myself.id() {
            return;
        }
        if self
            .extras()
            .watching
            .insert(actor.id(), actor.clone())
            .is_some()
        {
            return;
        }
        let me = self.myself.address();
        if let Err(reason) = start_watch(&self.myself.cell.system, actor, &me) {
            let notice = WatchedActorExited {
                actor: actor.clone(),
                reason,
            };
            let _ = self
                .myself
                .cell
                .push_system(SystemMessage::Watched(Box::new(notice)));
        }
    }

    /// Stops watching `actor`: no notice of its end comes after this (one already on its way is
    /// dropped). Does nothing for an actor not watched.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use thespian::prelude::*;
    /// #[derive(Default)]
    /// struct Monitor { told: u32 }
    ///
    /// #[actor]
    /// impl Monitor {
    ///     async fn watch_then_forget(&mut self, target: ActorAddress, ctx: &mut Context<Self>) {
    ///         ctx.watch(&target);
    ///         ctx.unwatch(&target);
    ///     }
    ///
    ///     async fn told(&self) -> u32 { self.told }
    ///
    ///     #[watched_exited]
    ///     async fn on_exit(&mut self, _notice: thespian::WatchedActorExited) { self.told += 1; }
    /// }
    ///
    /// struct Target;
    ///
    /// #[actor]
    /// impl Target {
    ///     async fn ping(&self) {}
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let monitor = system.create_actor(Monitor::default()).await?;
    /// let target = system.create_actor(Target).await?;
    /// monitor.watch_then_forget(target.address()).tell().await?;
    /// let ended = target.wait_for_exit();
    /// target.request_exit();
    /// ended.await;
    /// assert_eq!(monitor.told().ask().await?, 0);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn unwatch(&mut self, actor: &ActorAddress) {
        let Some(extras) = &mut self.extras else {
            return;
        };
        if extras.watching.remove(&actor.id()).is_none() {
            return;
        }
        release_watch(&self.myself.cell.system, self.myself.id(), actor);
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
}

/// Starts a watch of `actor` by `watcher` (an actor, or an [`ExitWait`](crate::ExitWait)'s
/// cell): `Err` with the reason when it is known at once that no notice will come (the actor had
/// ended, or its node cannot be told).
pub(crate) fn start_watch(
    system: &SystemShared,
    actor: &ActorAddress,
    watcher: &ActorAddress,
) -> Result<(), ExitReason> {
    match actor.cell.remote_target() {
        Some(target) => {
            system
                .watches
                .wait_on(target.node, actor.clone(), watcher.clone(), Interest::Watch);
            crate::remote::watch(target, watcher)
                .then_some(())
                .ok_or(ExitReason::NodeLost)
        }
        None => actor
            .cell
            .add_watcher(watcher.clone())
            .then_some(())
            .ok_or(ExitReason::AlreadyExited),
    }
}

/// Ends `watcher`'s watch of `actor` (the watcher's own record is already gone).
pub(crate) fn release_watch(system: &SystemShared, watcher: ActorId, actor: &ActorAddress) {
    match actor.cell.remote_target() {
        Some(target) => {
            system
                .watches
                .done_waiting(target.node, actor.id(), watcher, Interest::Watch);
            crate::remote::unwatch(target, watcher);
        }
        None => actor.cell.remove_watcher(watcher),
    }
}
