//! Death watch: hearing when another actor ends, wherever it runs.

use crate::actor::Actor;
use crate::address::ActorAddress;
use crate::cell::AnyCell;
use crate::envelope::SystemMessage;
use crate::id::ActorId;
use crate::messages::{ExitReason, WatchedActorExited};
use crate::system::shared::SystemShared;
use crate::watch::Interest;

use super::Context;

impl<A: Actor> Context<A> {
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
