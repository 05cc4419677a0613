//! The [`Context`]: what a handler can do besides changing its own state.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use futures::{Stream, StreamExt};

use crate::actor::{Actor, Message};
use crate::address::{ActorAddress, ActorId, Addr, AnyCell, IdMap};
use crate::envelope::{ExitCause, SystemMessage};
use crate::error::CreateError;
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
    pub fn myself(&self) -> &Addr<A> {
        &self.myself
    }

    /// The sender of the message being handled: an actor, or the outside of the system (see
    /// [`ActorSystem::listen`]).
    pub fn sender(&self) -> ActorAddress {
        match &self.sender {
            Some(s) => s.clone(),
            None => self.myself.cell.system.outside_address(),
        }
    }

    /// Whether the message being handled came from outside the actor system.
    pub fn sender_is_outside(&self) -> bool {
        self.sender.is_none()
    }

    /// The actor that created this one; `None` for actors created from outside (the system is
    /// their parent).
    pub fn parent(&self) -> Option<ActorAddress> {
        self.myself.cell.parent()
    }

    /// The children of this actor that have not ended yet.
    pub fn children(&self) -> impl Iterator<Item = &ActorAddress> {
        self.extras.iter().flat_map(|e| e.children.values())
    }

    /// The actor system this actor runs in.
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
    pub async fn create_actor<B: Actor>(&mut self, actor: B) -> Result<Addr<B>, CreateError> {
        self.create_actor_with(actor, ActorOptions::new()).await
    }

    /// Creates a child actor with options (supervision, mailbox bound, ...). A named actor
    /// ([`ActorOptions::name`]) is the system's child rather than this actor's.
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
    pub fn is_ask(&self) -> bool {
        self.reply.is_some()
    }

    /// Takes the right to answer the message being handled, to answer it later or from elsewhere
    /// (the handle can travel inside a message to another actor). For an `ask`, the handle completes
    /// it; otherwise it sends to the message's sender.
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
    /// monitor.watch_it(worker.clone()).await.unwrap();
    /// worker.quit().await.unwrap();
    /// system.run_until_idle().await;
    /// assert_eq!(monitor.seen().await.unwrap(), [ExitReason::Requested]);
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
    pub fn stop(&self) {
        self.myself.cell.request_exit();
    }

    /// Makes this actor the system's dead-letter handler: it receives every undeliverable message
    /// in [`Actor::dead_letter`]. The last actor to register wins; exiting unregisters.
    pub fn register_dead_letters(&self) {
        self.myself
            .cell
            .system
            .set_dead_letter_handler(Some(self.myself.address()));
    }

    /// Stops receiving dead letters, if this actor is the handler.
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
