//! Supervision: a parent creates a cache that may fail, with a policy of restarting it with a
//! fresh state at most twice in ten seconds. Each failure poisons the request that caused it (the
//! caller gets the error), the first two restart the cache at the same address, and the third
//! stops it: the parent hears why in its `child_exited` hook.
//!
//! ```text
//! $ cargo run --example supervision
//! entries: 1
//! entries: 2
//! failure 1: message poisoned the actor: the cache is corrupt
//! entries: 1
//! failure 2: message poisoned the actor: the cache is corrupt
//! entries: 1
//! failure 3: message poisoned the actor: the cache is corrupt
//! the cache ended: failed: the cache is corrupt
//! restarts: 2
//! ```

use std::error::Error;
use std::time::Duration;

use thespian::prelude::*;
use thespian::{ActorOptions, ChildActorExited, Supervision};

/// A child whose state a bad request can corrupt.
#[derive(Default)]
struct Cache {
    entries: u32,
}

#[actor]
impl Cache {
    async fn insert(&mut self) -> u32 {
        self.entries += 1;
        self.entries
    }

    async fn corrupt(&mut self) -> u32 {
        panic!("the cache is corrupt");
    }
}

/// The cache's parent: it chooses the policy, and hears of the cache's end.
#[derive(Default)]
struct Owner {
    ended: Option<String>,
    /// Who asked how the cache ended, before it had: answered when it has.
    waiting: Option<ReplyHandle<String>>,
}

#[actor]
impl Owner {
    async fn start_cache(&mut self, ctx: &mut Context<Self>) -> Option<Addr<Cache>> {
        let policy = Supervision::restart(Cache::default).at_most(2, Duration::from_secs(10));
        let options = ActorOptions::new().supervision(policy);
        ctx.create_actor_with(Cache::default(), options).await.ok()
    }

    /// How the cache ended, once it has.
    async fn cache_ended(&mut self, reply: ReplyHandle<String>) {
        match &self.ended {
            Some(how) => {
                let _ = reply.send(how.clone());
            }
            None => self.waiting = Some(reply),
        }
    }

    #[child_exited]
    async fn on_child_exited(&mut self, exited: ChildActorExited) {
        let how = exited.reason.to_string();
        if let Some(waiting) = self.waiting.take() {
            let _ = waiting.send(how.clone());
        }
        self.ended = Some(how);
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let system = ActorSystem::new();
    let owner = system.create_actor(Owner::default()).await?;
    let cache = owner
        .start_cache()
        .ask()
        .await?
        .ok_or("the cache was not created")?;
    println!("entries: {}", cache.insert().ask().await?);
    println!("entries: {}", cache.insert().ask().await?);
    for failure in 1..=3 {
        match cache.corrupt().ask().await {
            Ok(_) => println!("failure {failure}: none"),
            Err(error) => println!("failure {failure}: {error}"),
        }
        // Restarted twice: the same address, a fresh state. The third failure within ten
        // seconds stops it.
        if failure < 3 {
            println!("entries: {}", cache.insert().ask().await?);
        }
    }
    println!("the cache ended: {}", owner.cache_ended().ask().await?);
    let status = system.status(Duration::from_secs(1)).await;
    println!("restarts: {}", status.restarts);
    system.shutdown().await;
    Ok(())
}
