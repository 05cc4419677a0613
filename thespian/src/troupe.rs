//! Troupes: one address in front of a pool of identical workers (Thespian's `@troupe`).
//!
//! Messages sent to a troupe go to an idle worker; while none is idle, a new worker is made, up to
//! `max_count`; past that, messages wait in order. Workers answer the original sender directly
//! (asks, reply handles and `ctx.sender()` all see the original sender). Workers that stay idle
//! for `idle_timeout` are dismissed down to `idle_count`. The limits can be changed while the
//! troupe runs. A troupe is asked to exit like any actor; it takes its workers along.
//!
//! ```
//! use std::time::Duration;
//! use thespian::prelude::*;
//! use thespian::TroupeOptions;
//!
//! #[derive(Default)]
//! struct Resizer;
//!
//! #[actor]
//! impl Resizer {
//!     async fn resize(&mut self, width: u32) -> u32 {
//!         tokio::time::sleep(Duration::from_millis(10)).await; // slow work
//!         width / 2
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let system = ActorSystem::new();
//! let troupe = system
//!     .create_troupe(Resizer::default, TroupeOptions::new().max_count(4).idle_count(1))
//!     .await
//!     .unwrap();
//! let jobs: Vec<_> = (0..8).map(|w| troupe.resize(w * 100)).collect(); // 4 run at once
//! for (w, job) in jobs.into_iter().enumerate() {
//!     assert_eq!(job.ask().await, Ok(w as u32 * 50));
//! }
//! # system.shutdown().await;
//! # }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;
use tokio::time::Instant;

use crate::actor::Actor;
use crate::address::{ActorAddress, Addr};
use crate::cell::AnyCell;
use crate::context::Context;
use crate::envelope::{Envelope, ExitCause, Payload, SystemMessage};
use crate::error::CreateError;
use crate::mailbox::Take;
use crate::messages::{panic_details, ExitReason};
use crate::options::ActorOptions;
use crate::send::AsAddr;
use crate::status::ActorStatus;
use crate::system::shared::SystemShared;

/// The limits of a troupe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TroupeOptions {
    max_count: u32,
    idle_count: u32,
    idle_timeout: Duration,
}

impl Default for TroupeOptions {
    fn default() -> Self {
        TroupeOptions {
            max_count: 10,
            idle_count: 2,
            idle_timeout: Duration::from_secs(2),
        }
    }
}

impl TroupeOptions {
    /// Thespian's defaults: at most 10 workers, 2 kept when idle, dismissed after 2 s idle.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most this many workers (at least 1).
    pub fn max_count(mut self, max: u32) -> Self {
        self.max_count = max.max(1);
        self
    }

    /// Keep this many idle workers.
    pub fn idle_count(mut self, idle: u32) -> Self {
        self.idle_count = idle;
        self
    }

    /// Dismiss extra workers idle for this long.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }
}

/// A running troupe: its address and its controls. It designates the troupe for the methods
/// `#[actor]` generates, like an [`Addr`].
pub struct Troupe<A: Actor> {
    addr: Addr<A>,
}

impl<A: Actor> Clone for Troupe<A> {
    fn clone(&self) -> Self {
        Troupe {
            addr: self.addr.clone(),
        }
    }
}

impl<A: Actor> fmt::Debug for Troupe<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Troupe({})", self.addr)
    }
}

impl<A: Actor> Troupe<A> {
    /// The troupe's address: send it `A`'s messages.
    pub fn addr(&self) -> &Addr<A> {
        &self.addr
    }

    /// Changes the limits while the troupe runs.
    pub fn set_limits(&self, max_count: u32, idle_count: u32) {
        let _ = self.addr.cell.push_system(SystemMessage::TroupeLimits {
            max: max_count.max(1),
            idle: idle_count,
        });
    }
}

impl<A: Actor> AsAddr<A> for Troupe<A> {
    fn addr(&self) -> &Addr<A> {
        &self.addr
    }
}

struct Worker<A: Actor> {
    addr: Addr<A>,
    busy: bool,
    idle_since: Instant,
}

/// Starts a troupe's leader.
pub(crate) fn create<A, F>(
    system: &std::sync::Arc<SystemShared>,
    factory: F,
    options: TroupeOptions,
    parent: Option<ActorAddress>,
) -> Result<Troupe<A>, CreateError>
where
    A: Actor,
    F: FnMut() -> A + Send + 'static,
{
    let (runtime, ctx) = system.new_actor::<A>(parent, None)?;
    let addr = ctx.myself.clone();
    runtime.start(lead(ctx, factory, options));
    Ok(Troupe { addr })
}

/// The leader: dispatches jobs, grows and shrinks the pool.
async fn lead<A, F>(ctx: Context<A>, factory: F, limits: TroupeOptions)
where
    A: Actor,
    F: FnMut() -> A + Send + 'static,
{
    let mut jobs: VecDeque<Envelope<A::Message>> = VecDeque::new();
    let mut batch = VecDeque::new();
    // In the sequential base the leader starts in a turn of its own, as an actor does.
    ctx.myself.cell.mailbox.wait_turn().await;
    // The factory is user code: whatever panics, the troupe still ends properly.
    let directed = AssertUnwindSafe(direct(&ctx, factory, limits, &mut jobs, &mut batch))
        .catch_unwind()
        .await;
    let reason = directed.unwrap_or_else(|panic| {
        let details = panic_details(&*panic);
        tracing::error!(troupe = %ctx.myself, details, "troupe leader failed");
        ExitReason::Failed(details)
    });
    let me = ctx.myself.address();
    let system = ctx.myself.cell.system.clone();
    system.dead_letter_envelopes::<A>(&me, jobs.drain(..).chain(batch.drain(..)));
    crate::message_loop::finish(ctx, reason);
}

/// The leader's loop, until the troupe exits.
async fn direct<A, F>(
    ctx: &Context<A>,
    mut factory: F,
    mut limits: TroupeOptions,
    jobs: &mut VecDeque<Envelope<A::Message>>,
    batch: &mut VecDeque<Envelope<A::Message>>,
) -> ExitReason
where
    A: Actor,
    F: FnMut() -> A + Send + 'static,
{
    let cell = ctx.myself.cell.clone();
    let system = cell.system.clone();
    let me = ctx.myself.address();
    let mut workers: Vec<Worker<A>> = Vec::new();
    let mut exiting: Option<ExitCause> = None;
    'lead: loop {
        let trim_at = next_trim(&workers, &limits);
        // SAFETY: the leader's task is its mailbox's only receiver.
        let next = unsafe { cell.mailbox.take(batch) };
        let took = match trim_at {
            None => Some(next.await),
            Some(at) => tokio::select! {
                biased;
                took = next => Some(took),
                () = system.clock().sleep_until(at) => None,
            },
        };
        if let Some(Take::Closed) = took {
            break ExitReason::Requested;
        }
        for env in batch.drain(..) {
            match env.payload {
                Payload::User(_) | Payload::Traced(_) if exiting.is_some() => {
                    system.dead_letter_envelopes::<A>(&me, [env]);
                }
                Payload::User(_) | Payload::Traced(_) => jobs.push_back(env),
                Payload::System(SystemMessage::Exit(cause)) => {
                    if exiting.is_none() {
                        exiting = Some(cause);
                        for w in &workers {
                            let _ = w.addr.cell.push_system(SystemMessage::Exit(cause));
                        }
                    }
                }
                Payload::System(SystemMessage::ChildExited(notice)) => {
                    workers.retain(|w| w.addr.id() != notice.child.id());
                }
                Payload::System(SystemMessage::WorkerIdle(id)) => {
                    if let Some(w) = workers.iter_mut().find(|w| w.addr.id() == id) {
                        w.busy = false;
                        w.idle_since = system.clock().now();
                    }
                }
                // The workers check the new capabilities themselves.
                Payload::System(SystemMessage::Capabilities(capabilities)) => {
                    for w in &workers {
                        let _ = w
                            .addr
                            .cell
                            .push_system(SystemMessage::Capabilities(capabilities.clone()));
                    }
                }
                Payload::System(SystemMessage::TroupeLimits { max, idle }) => {
                    limits.max_count = max;
                    limits.idle_count = idle;
                }
                Payload::System(SystemMessage::Status(reply)) => {
                    let status = ActorStatus {
                        address: me.clone(),
                        parent: ctx.parent(),
                        children: workers.iter().map(|w| w.addr.address()).collect(),
                        queued: jobs.len() + cell.mailbox.len(),
                        pending_timers: 0,
                        exiting: exiting.is_some(),
                    };
                    let _ = reply.send(status);
                }
                Payload::System(_) => {}
            }
        }
        if let Some(cause) = exiting {
            if workers.is_empty() {
                break 'lead cause.into();
            }
            continue;
        }
        dismiss_idle(&mut workers, &limits, system.clock().now());
        while let Some(job) = jobs.pop_front() {
            let worker = match workers.iter_mut().position(|w| !w.busy) {
                Some(i) => i,
                None if workers.len() < limits.max_count as usize => {
                    let options = ActorOptions {
                        leader: Some(me.clone()),
                        ..ActorOptions::new()
                    };
                    match system.create(factory(), Some(me.clone()), options) {
                        Ok(addr) => {
                            workers.push(Worker {
                                addr,
                                busy: false,
                                idle_since: system.clock().now(),
                            });
                            workers.len() - 1
                        }
                        Err(e) => {
                            tracing::warn!(troupe = %me, error = %e, "cannot add a worker");
                            jobs.push_front(job);
                            break;
                        }
                    }
                }
                None => {
                    jobs.push_front(job);
                    break;
                }
            };
            match workers[worker].addr.cell.mailbox.push(job) {
                Ok(()) => workers[worker].busy = true,
                // The worker is gone: its exit notice is on its way; try another.
                Err(job) => {
                    workers.remove(worker);
                    jobs.push_front(job);
                }
            }
        }
    }
}

/// When the next idle worker beyond `idle_count` is due to be dismissed.
fn next_trim<A: Actor>(workers: &[Worker<A>], limits: &TroupeOptions) -> Option<Instant> {
    let idle = workers.iter().filter(|w| !w.busy).count();
    if idle <= limits.idle_count as usize {
        return None;
    }
    workers
        .iter()
        .filter(|w| !w.busy)
        .filter_map(|w| w.idle_since.checked_add(limits.idle_timeout))
        .min()
}

/// Dismisses the idle workers beyond `idle_count` that have been idle long enough (and any beyond
/// `max_count`, after the limits were lowered).
fn dismiss_idle<A: Actor>(workers: &mut Vec<Worker<A>>, limits: &TroupeOptions, now: Instant) {
    let mut idle = workers.iter().filter(|w| !w.busy).count();
    let mut total = workers.len();
    workers.retain(|w| {
        let over_max = total > limits.max_count as usize;
        let stale = now.duration_since(w.idle_since) >= limits.idle_timeout;
        if !w.busy && idle > limits.idle_count as usize && (stale || over_max) {
            w.addr.request_exit();
            idle -= 1;
            total -= 1;
            false
        } else {
            true
        }
    });
}
