//! The mailbox: where messages wait for their actor.
//!
//! A mailbox is a short critical section over a `VecDeque` that allocates nothing until the first
//! message arrives. The receiving task stores its waker inside the lock and, when woken, swaps the
//! whole queue out in one step, handing the senders back the (empty) storage it just drained. So in
//! steady state a `tell` allocates nothing and takes the lock once, and the receiver takes it once
//! per *batch* rather than once per message.
//!
//! Memory rule: storage that grew past [`SHRINK_ABOVE`] slots during a burst is freed as soon as the
//! actor has drained it, so an actor returns to its idle size once a burst is over.
//!
//! A bounded mailbox adds a semaphore of `capacity` permits: a sender takes one per message (waiting
//! when there are none, or failing with `Full` in `try_tell`); the receiver gives them back as it takes
//! messages out.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use tokio::sync::Semaphore;

use crate::address::ActorId;
use crate::envelope::Envelope;
use crate::sequential::Sequential;
use crate::sync::Unpoisoned;

/// Drained storage larger than this many slots is freed instead of reused.
pub(crate) const SHRINK_ABOVE: usize = 1024;

pub(crate) struct Mailbox<M> {
    queue: Mutex<Queue<M>>,
    bound: Option<Box<Semaphore>>,
    /// Set in a sequential system: messages then wait for their turn (see `sequential.rs`).
    seq: Option<Box<SeqLink>>,
}

/// A mailbox's place in a sequential system.
pub(crate) struct SeqLink {
    pub(crate) seq: Arc<Sequential>,
    pub(crate) id: ActorId,
}

struct Queue<M> {
    items: VecDeque<Envelope<M>>,
    waker: Option<Waker>,
    closed: bool,
    /// Whether the receiver should be woken by the *next* push: false while it is known to be
    /// running (it will look again before it sleeps), which saves a wake per message under load.
    sleeping: bool,
    /// How many user envelopes in `items` took no permit of a bounded mailbox (initial messages,
    /// untyped sends): taking them out must not give permits back.
    unpermitted: usize,
}

/// What the receiver found.
pub(crate) enum Take {
    /// A batch was moved into the receiver's buffer.
    Batch,
    /// The mailbox is closed and empty.
    Closed,
}

impl<M> Mailbox<M> {
    pub(crate) fn new(capacity: Option<usize>, seq: Option<SeqLink>) -> Self {
        Mailbox {
            queue: Mutex::new(Queue {
                items: VecDeque::new(),
                waker: None,
                closed: false,
                sleeping: false,
                unpermitted: 0,
            }),
            bound: capacity.map(|c| Box::new(Semaphore::new(c.max(1)))),
            seq: seq.map(Box::new),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue<M>> {
        // A panic never happens while the lock is held (no user code runs under it), so a
        // poisoned lock still guards a consistent queue.
        self.queue.lock_unpoisoned()
    }

    /// The semaphore of a bounded mailbox.
    pub(crate) fn bound(&self) -> Option<&Semaphore> {
        self.bound.as_deref()
    }

    /// Appends an envelope that took no permit of a bounded mailbox (a system message, an initial
    /// message, an untyped send), or hands it back if the mailbox is closed.
    #[inline]
    pub(crate) fn push(&self, env: Envelope<M>) -> Result<(), Envelope<M>> {
        let unpermitted = env.is_user();
        self.push_inner(env, |env| env, unpermitted)
    }

    /// Appends envelopes that took no permit (messages from another node) under one lock and
    /// at most one wake-up; hands them all back if the mailbox is closed.
    pub(crate) fn push_many(&self, envs: Vec<Envelope<M>>) -> Result<(), Vec<Envelope<M>>> {
        if self.seq.is_some() {
            // One place in the system-wide order per message: the plain path.
            let mut refused = Vec::new();
            for env in envs {
                if let Err(env) = self.push(env) {
                    refused.push(env);
                }
            }
            return if refused.is_empty() {
                Ok(())
            } else {
                Err(refused)
            };
        }
        let mut q = self.lock();
        if q.closed {
            return Err(envs);
        }
        q.unpermitted += envs.iter().filter(|e| e.is_user()).count();
        q.items.extend(envs);
        if q.sleeping {
            q.sleeping = false;
            let waker = q.waker.take();
            drop(q);
            if let Some(w) = waker {
                w.wake();
            }
        }
        Ok(())
    }

    /// Appends the envelope built from `value` (only once the mailbox is known to be open, so a
    /// refused value comes back exactly as it was given). The caller holds a permit when the
    /// mailbox is bounded.
    #[inline]
    pub(crate) fn push_with<T>(
        &self,
        value: T,
        make: impl FnOnce(T) -> Envelope<M>,
    ) -> Result<(), T> {
        self.push_inner(value, make, false)
    }

    #[inline]
    fn push_inner<T>(
        &self,
        value: T,
        make: impl FnOnce(T) -> Envelope<M>,
        unpermitted: bool,
    ) -> Result<(), T> {
        let mut q = self.lock();
        if q.closed || self.seq.as_ref().is_some_and(|link| link.seq.is_stopped()) {
            return Err(value);
        }
        if unpermitted {
            q.unpermitted += 1;
        }
        q.items.push_back(make(value));
        if let Some(link) = &self.seq {
            // Under the mailbox lock, so that the actor cannot end (and be forgotten by the
            // scheduler) between the push and its place in the queue.
            link.seq.arrived(link.id);
            return Ok(());
        }
        if q.sleeping {
            q.sleeping = false;
            let waker = q.waker.take();
            drop(q);
            if let Some(w) = waker {
                w.wake();
            }
        }
        Ok(())
    }

    /// Moves every waiting envelope into `batch` (which must be empty), or registers the waker.
    pub(crate) fn poll_take(
        &self,
        batch: &mut VecDeque<Envelope<M>>,
        cx: &mut Context<'_>,
    ) -> Poll<Take> {
        debug_assert!(batch.is_empty());
        if let Some(link) = &self.seq {
            // One message per turn, when the system's scheduler says so.
            return link
                .seq
                .poll_turn(link.id, cx, || {
                    let mut q = self.lock();
                    let Some(env) = q.items.pop_front() else {
                        return false;
                    };
                    // Permits are interchangeable: while unpermitted envelopes wait, the first
                    // user envelopes out give none back, which only ever tightens the bound.
                    let permitted = env.is_user() && {
                        let unpermitted = q.unpermitted > 0;
                        q.unpermitted -= usize::from(unpermitted);
                        !unpermitted
                    };
                    drop(q);
                    if let (Some(sem), true) = (self.bound(), permitted) {
                        sem.add_permits(1);
                    }
                    batch.push_back(env);
                    true
                })
                .map(|()| Take::Batch);
        }
        let mut q = self.lock();
        if !q.items.is_empty() {
            std::mem::swap(&mut q.items, batch);
            let unpermitted = std::mem::take(&mut q.unpermitted);
            drop(q);
            if let Some(sem) = self.bound() {
                // Only user messages sent through the bound took a permit: system messages,
                // initial messages and untyped sends bypass it.
                let users = batch.iter().filter(|e| e.is_user()).count();
                sem.add_permits(users - unpermitted);
            }
            return Poll::Ready(Take::Batch);
        }
        if q.closed {
            return Poll::Ready(Take::Closed);
        }
        match &mut q.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        q.sleeping = true;
        Poll::Pending
    }

    /// In a sequential system, waits for a turn in which nothing is taken (the actor's start);
    /// at once otherwise.
    pub(crate) async fn wait_turn(&self) {
        if let Some(link) = &self.seq {
            std::future::poll_fn(|cx| link.seq.poll_turn(link.id, cx, || true)).await;
        }
    }

    /// Reserves a turn for the actor's start, before any message (sequential systems only).
    pub(crate) fn reserve_start_turn(&self) {
        if let Some(link) = &self.seq {
            link.seq.arrived(link.id);
        }
    }

    /// Awaits the next batch.
    pub(crate) async fn take(&self, batch: &mut VecDeque<Envelope<M>>) -> Take {
        std::future::poll_fn(|cx| self.poll_take(batch, cx)).await
    }

    /// Closes the mailbox: later pushes fail. Returns what was still waiting.
    pub(crate) fn close(&self) -> VecDeque<Envelope<M>> {
        let mut q = self.lock();
        q.closed = true;
        q.waker = None;
        let rest = std::mem::take(&mut q.items);
        q.unpermitted = 0;
        drop(q);
        if let Some(sem) = self.bound() {
            sem.close();
        }
        rest
    }

    /// Closed, or its sequential system has ended.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed || self.seq.as_ref().is_some_and(|link| link.seq.is_stopped())
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().items.len()
    }
}
