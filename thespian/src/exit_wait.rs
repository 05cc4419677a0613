//! Waiting for an actor to end from code that is not an actor: [`Addr::wait_for_exit`].
//!
//! The wait is a death watch whose watcher is not an actor but a cell that takes the one notice
//! of the end and hands its reason to the waiting future. So it holds exactly where a watch
//! holds: for an actor of this system, and for one on another node (told by that node, or
//! [`ExitReason::NodeLost`] when the node is lost).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::address::{ActorAddress, Addr};
use crate::cell::AnyCell;
use crate::envelope::SystemMessage;
use crate::id::ActorId;
use crate::messages::ExitReason;
use crate::reply::ReplyTo;
use crate::sync::Unpoisoned;
use crate::system::shared::SystemShared;

/// The watcher of one wait: takes the notice of the watched actor's end.
struct ExitWaiter {
    id: ActorId,
    system_id: u64,
    told: Mutex<Option<oneshot::Sender<ExitReason>>>,
}

impl AnyCell for ExitWaiter {
    fn id(&self) -> ActorId {
        self.id
    }

    fn type_name(&self) -> &'static str {
        "exit wait"
    }

    fn system_id(&self) -> u64 {
        self.system_id
    }

    fn push_system(&self, msg: SystemMessage) -> Result<(), SystemMessage> {
        if let SystemMessage::Watched(notice) = msg {
            if let Some(told) = self.told.lock_unpoisoned().take() {
                // The wait may have been given up: then nobody needs the reason.
                let _ = told.send(notice.reason);
            }
        }
        Ok(())
    }

    fn push_any(
        self: Arc<Self>,
        msg: Box<dyn Any + Send>,
        _sender: Option<ActorAddress>,
        reply: Option<ReplyTo>,
    ) -> Result<(), Box<dyn Any + Send>> {
        // Not an actor: nothing is handled, and an ask through it fails at once.
        drop(reply);
        Err(msg)
    }

    fn is_alive(&self) -> bool {
        self.told.lock_unpoisoned().is_some()
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// The end of an actor, awaited: resolves with why it exited (see [`Addr::wait_for_exit`]).
///
/// # Cancel safety
///
/// Dropping it gives up the wait (the watch behind it is removed); the actor is not affected.
#[must_use = "a wait does nothing unless awaited"]
pub struct ExitWait {
    state: State,
}

enum State {
    Done(Option<ExitReason>),
    Waiting {
        told: oneshot::Receiver<ExitReason>,
        watch: Watch,
    },
    /// In a sequential system the wait drives the system.
    #[cfg(feature = "sequential")]
    Driven(Pin<Box<dyn Future<Output = ExitReason> + Send>>),
}

/// A watch in place: removed when the wait is given up before the notice came.
struct Watch {
    system: Arc<SystemShared>,
    waiter: ActorId,
    actor: ActorAddress,
    done: bool,
}

impl Drop for Watch {
    fn drop(&mut self) {
        if self.done {
            let watch = crate::watch::Interest::Watch;
            self.system.watches.told(&self.actor, self.waiter, watch);
        } else {
            crate::context::release_watch(&self.system, self.waiter, &self.actor);
        }
    }
}

/// Why a wait ended without a notice: the watch behind it was dropped unanswered, which
/// happens only when the watched actor's system ended without telling its watchers.
const GONE: ExitReason = ExitReason::SystemShutdown;

impl Future for ExitWait {
    type Output = ExitReason;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ExitReason> {
        match &mut self.state {
            State::Done(reason) => Poll::Ready(reason.take().unwrap_or(GONE)),
            #[cfg(feature = "sequential")]
            State::Driven(wait) => wait.as_mut().poll(cx),
            State::Waiting { told, watch } => {
                let reason = std::task::ready!(Pin::new(told).poll(cx)).unwrap_or(GONE);
                watch.done = true;
                Poll::Ready(reason)
            }
        }
    }
}

impl fmt::Debug for ExitWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Done(_) => "done",
            State::Waiting { .. } => "waiting",
            #[cfg(feature = "sequential")]
            State::Driven(_) => "driving its system",
        };
        f.debug_struct("ExitWait").field("state", &state).finish()
    }
}

/// Waiting for an actor to end, from outside it.
impl<A: Actor> Addr<A> {
    /// Waits until the actor has exited, and says why: the reason its parent and its watchers
    /// hear ([`ExitReason`](crate::ExitReason)). An actor that had already ended gives
    /// [`AlreadyExited`](crate::ExitReason::AlreadyExited); one on another node gives its own
    /// reason when its node tells, or [`NodeLost`](crate::ExitReason::NodeLost). The wait starts
    /// when this is called, not when it is first awaited, so an exit in between is not missed.
    ///
    /// ```
    /// # use thespian::prelude::*;
    /// # struct Job;
    /// # impl Actor for Job {
    /// #     type Message = ();
    /// #     async fn handle(&mut self, _: (), ctx: &mut Context<Self>) { ctx.stop(); }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let system = ActorSystem::new();
    /// let job = system.create_actor(Job).await.unwrap();
    /// let ended = job.wait_for_exit();
    /// job.tell(()).await.unwrap();
    /// assert_eq!(ended.await, ExitReason::Requested);
    /// # system.shutdown().await;
    /// # }
    /// ```
    pub fn wait_for_exit(&self) -> ExitWait {
        let system = self.cell.system.clone();
        let (tx, told) = oneshot::channel();
        let waiter = Arc::new(ExitWaiter {
            id: ActorId::next(),
            system_id: system.id,
            told: Mutex::new(Some(tx)),
        });
        let waiter_id = waiter.id;
        let actor = self.address();
        if let Err(reason) =
            crate::context::start_watch(&system, &actor, &ActorAddress::from_cell(waiter))
        {
            return ExitWait {
                state: State::Done(Some(reason)),
            };
        }
        let watch = Watch {
            system: system.clone(),
            waiter: waiter_id,
            actor,
            done: false,
        };
        #[cfg(feature = "sequential")]
        if let Some(seq) = system.sequential.clone() {
            let waiting = ExitWait {
                state: State::Waiting { told, watch },
            };
            return ExitWait {
                state: State::Driven(Box::pin(
                    async move { seq.drive(waiting).await.unwrap_or(GONE) },
                )),
            };
        }
        let state = State::Waiting { told, watch };
        ExitWait { state }
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    struct Idle;

    impl Actor for Idle {
        type Message = ();
        async fn handle(&mut self, _: (), _ctx: &mut Context<Self>) {}
    }

    /// A wait given up takes its watch with it: waits that come and go (a wait under a timeout,
    /// in a loop) do not pile up on a long-lived actor.
    #[tokio::test]
    async fn a_wait_given_up_removes_its_watch() {
        let system = ActorSystem::new();
        let idle = system.create_actor(Idle).await.unwrap();
        for _ in 0..100 {
            let wait = idle.wait_for_exit();
            assert_eq!(system.shared.watches.sizes().0, 1);
            drop(wait);
        }
        assert_eq!(system.shared.watches.sizes(), (0, 0, 0));
        system.shutdown().await;
    }
}
