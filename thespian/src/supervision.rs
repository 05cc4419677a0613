//! Supervision: what a failure (a message that failed every attempt) does to an actor.
//!
//! Thespian's rule is [`Supervision::Resume`]; a parent can choose otherwise for each child it
//! creates, as in Erlang/OTP (see [`Supervision`]).
//!
//! ```
//! use std::time::Duration;
//! use thespian::prelude::*;
//! use thespian::{ActorOptions, Supervision};
//!
//! #[derive(Default)]
//! struct Cache { entries: u32 }
//!
//! #[actor]
//! impl Cache {
//!     async fn insert(&mut self) -> u32 { self.entries += 1; self.entries }
//!     async fn corrupt(&mut self) { panic!("corrupted") }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let system = ActorSystem::new();
//! let options = ActorOptions::new()
//!     .supervision(Supervision::restart(Cache::default).at_most(3, Duration::from_secs(10)));
//! let cache = system.create_actor_with(Cache::default(), options).await.unwrap();
//! assert_eq!(cache.insert().ask().await, Ok(1));
//! let _ = cache.corrupt().tell().await;                 // fails: the cache restarts from scratch
//! assert_eq!(cache.insert().ask().await, Ok(1));       // same address, fresh state
//! # system.shutdown().await;
//! # }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

/// What a failure does to an actor.
///
/// | policy | after a failure | when it fails too often |
/// |---|---|---|
/// | [`Resume`](Supervision::Resume) (default) | the actor keeps its state and goes on | — |
/// | [`Restart`](Supervision::restart) | a fresh actor from the factory takes over: same address, same mailbox, `started` runs again | more than `max` restarts within `within`: it stops with [`ExitReason::Failed`](crate::ExitReason::Failed) |
/// | [`Stop`](Supervision::Stop) | it exits with [`ExitReason::Failed`](crate::ExitReason::Failed) (its children first) | — |
#[derive(Default)]
pub enum Supervision<A> {
    /// Tell the sender and go on with the same state (Thespian's rule).
    #[default]
    Resume,
    /// Replace the actor with a fresh one from the factory, keeping its address and mailbox.
    Restart(RestartPolicy<A>),
    /// Exit with [`ExitReason::Failed`](crate::ExitReason::Failed).
    Stop,
}

impl<A> fmt::Debug for Supervision<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Supervision::Resume => f.write_str("Resume"),
            Supervision::Restart(p) => f
                .debug_struct("Restart")
                .field("max_restarts", &p.max_restarts)
                .field("within", &p.within)
                .finish(),
            Supervision::Stop => f.write_str("Stop"),
        }
    }
}

impl<A> Supervision<A> {
    /// Restart from `factory`, at most 3 times within 5 seconds.
    pub fn restart(factory: impl FnMut() -> A + Send + 'static) -> RestartPolicy<A> {
        RestartPolicy {
            factory: Box::new(factory),
            max_restarts: 3,
            within: Duration::from_secs(5),
        }
    }
}

/// A restart policy: the factory of fresh actors and the restart intensity.
pub struct RestartPolicy<A> {
    pub(crate) factory: Box<dyn FnMut() -> A + Send>,
    pub(crate) max_restarts: u32,
    pub(crate) within: Duration,
}

impl<A> RestartPolicy<A> {
    /// Allows at most `max_restarts` restarts within any `within` period; one more failure stops
    /// the actor.
    pub fn at_most(mut self, max_restarts: u32, within: Duration) -> Self {
        self.max_restarts = max_restarts;
        self.within = within;
        self
    }
}

impl<A> From<RestartPolicy<A>> for Supervision<A> {
    fn from(policy: RestartPolicy<A>) -> Self {
        Supervision::Restart(policy)
    }
}

impl<A> fmt::Debug for RestartPolicy<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestartPolicy")
            .field("max_restarts", &self.max_restarts)
            .field("within", &self.within)
            .finish_non_exhaustive()
    }
}

/// What the runtime does after a failure.
pub(crate) enum Verdict<A> {
    Resume,
    Restart(A),
    Stop,
}

/// A running actor's supervision: the policy and its recent restarts.
pub(crate) struct Supervisor<A> {
    policy: Supervision<A>,
    restarts: VecDeque<Instant>,
}

impl<A> Supervisor<A> {
    pub(crate) fn new(policy: Supervision<A>) -> Self {
        Supervisor {
            policy,
            restarts: VecDeque::new(),
        }
    }

    /// Decides what a failure does, counting a restart against the intensity limit.
    pub(crate) fn on_failure(&mut self, now: Instant) -> Verdict<A> {
        match &mut self.policy {
            Supervision::Resume => Verdict::Resume,
            Supervision::Stop => Verdict::Stop,
            Supervision::Restart(policy) => {
                while self
                    .restarts
                    .front()
                    .is_some_and(|&t| now.duration_since(t) > policy.within)
                {
                    self.restarts.pop_front();
                }
                if self.restarts.len() >= policy.max_restarts as usize {
                    Verdict::Stop
                } else {
                    self.restarts.push_back(now);
                    Verdict::Restart((policy.factory)())
                }
            }
        }
    }
}
