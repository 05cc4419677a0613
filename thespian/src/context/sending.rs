//! Sending from a handler, and answering the message it handles.

use std::any::Any;
use std::time::Duration;

use crate::actor::{Actor, Message};
use crate::address::ActorAddress;
use crate::reply::{ReplyHandle, SendReplyError};
use crate::send::{Ask, Delivery, Destination};

use super::Context;

impl<A: Actor> Context<A> {
    /// Sends `msg` to `to` with this actor as its sender. If the target has exited, the message
    /// becomes a dead letter. Waits only for room in a bounded mailbox.
    ///
    /// # Cancel safety
    ///
    /// The message is sent when this returns; dropping the [`Delivery`] does not take it back.
    /// Dropped while it waits for room in a full bounded mailbox, its message becomes a dead
    /// letter.
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
    /// [`AskError`](crate::AskError), as for [`Addr::ask`](crate::Addr::ask).
    ///
    /// # Cancel safety
    ///
    /// As for [`ActorSystem::ask`](crate::ActorSystem::ask): the request is sent when this
    /// returns, unless the target's bounded mailbox is full. Dropping the [`Ask`] does not take a
    /// sent request back (its reply becomes a dead letter); one still waiting for room is dropped
    /// unsent.
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
    /// impl Mail for Double {}
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
    /// impl Mail for Request {}
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
}
