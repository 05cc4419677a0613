//! Creating children: actors and troupes this actor is the parent of.

use crate::actor::Actor;
use crate::address::Addr;
use crate::error::CreateError;
use crate::options::ActorOptions;

use super::Context;

impl<A: Actor> Context<A> {
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
}
