//! An actor's timers and tasks: wake-ups, delayed messages, attached streams; all end with the actor.

use std::any::Any;
use std::future::Future;
use std::time::Duration;

use futures::Stream;

use crate::actor::Actor;
use crate::cell::AnyCell;
use crate::envelope::SystemMessage;
use crate::send::tell_via;
use crate::wakeup::{TimerId, WakeupMessage};
use futures::StreamExt;

use super::{Context, Extras};

impl<A: Actor> Context<A> {
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
}
