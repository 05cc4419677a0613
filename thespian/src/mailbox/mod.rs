//! The mailbox: where messages wait for their actor.
//!
//! Underneath is a lock-free queue of fixed-size blocks ([`queue`]): a `tell` claims a place with
//! one atomic add and writes the envelope there; nothing is allocated before the first message,
//! and blocks are recycled, so a steady stream allocates nothing. The receiving task takes
//! envelopes one by one and sleeps only when the queue is empty; a sender wakes it only if it
//! sleeps, so a busy actor costs its senders no wake-ups.
//!
//! Memory rule: once a burst is drained, a mailbox keeps storage for at most 512 messages
//! (`queue::KEEP_BLOCKS` recycled blocks of `queue::BLOCK` slots, besides the block in use) and
//! frees the rest.
//!
//! A bounded mailbox adds a semaphore of `capacity` permits: a sender takes one per message (waiting
//! when there are none, or failing with `Full` in `try_tell`); the receiver gives them back as it takes
//! messages out.

mod queue;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::sync::Semaphore;

use crate::envelope::{Envelope, SystemMessage};
use crate::id::ActorId;
use crate::sequential::Sequential;
use crate::sync::Unpoisoned;
pub(crate) use queue::Gap;
use queue::Queue;

/// After taking this many messages in a row, a receiver that finds its mailbox empty yields
/// once before it sleeps (see `poll_recv`).
const STREAK: u32 = 4;

/// Laid out in order: what senders read, the queue, and what the receiver reads (see `Queue`).
///
/// `C` is the owner's cold data, kept in the gap the queue leaves between its two sides.
#[repr(C)]
pub(crate) struct Mailbox<M, C = Gap> {
    bound: Option<Box<Bound>>,
    /// Set in a sequential system: messages then wait for their turn (see `sequential.rs`).
    seq: Option<Box<SeqLink>>,
    queue: Queue<Envelope<M>, C>,
    /// Neither bounded nor sequential: what the receiver reads for every message instead of
    /// `bound` and `seq`, which share a line with the senders' writes.
    plain: bool,
}

/// Where, within a mailbox, the fields a send writes end, and the receiver's begin.
#[cfg(test)]
pub(crate) const SENDERS_END: usize = std::mem::offset_of!(Mailbox<()>, queue) + queue::SENDERS_END;
#[cfg(test)]
pub(crate) const RECEIVER_START: usize =
    std::mem::offset_of!(Mailbox<()>, queue) + queue::RECEIVER_START;
#[cfg(test)]
pub(crate) use queue::next_line_after;

/// The permits of a bounded mailbox.
struct Bound {
    permits: Semaphore,
    /// How many user envelopes in the queue took no permit (initial messages, untyped sends):
    /// taking them out must not give permits back.
    unpermitted: AtomicUsize,
}

/// A mailbox's place in a sequential system.
pub(crate) struct SeqLink {
    pub(crate) seq: Arc<Sequential>,
    pub(crate) id: ActorId,
    /// Held while a message is queued and takes its place in the system's order, and while the
    /// mailbox closes: the places follow the messages' order in the queue (turns are matched to
    /// messages by count), and the actor cannot end (and be forgotten by the scheduler) in
    /// between.
    order: Mutex<()>,
    /// Turns granted to this actor in a row that it has not used yet (see `poll_turn`); only
    /// its own task reads and writes it.
    spare_turns: AtomicU32,
}

impl SeqLink {
    pub(crate) fn new(seq: Arc<Sequential>, id: ActorId) -> Self {
        SeqLink {
            seq,
            id,
            order: Mutex::new(()),
            spare_turns: AtomicU32::new(0),
        }
    }

    /// Waits for this actor's turn (see `Sequential::poll_turn`), keeping the turns granted with
    /// it for the messages after.
    fn poll_turn(&self, cx: &mut Context<'_>, take_one: impl FnMut() -> bool) -> Poll<()> {
        self.seq
            .poll_turn(self.id, cx, take_one)
            .map(|spare| self.spare_turns.store(spare, Ordering::Relaxed))
    }
}

/// Registers a message's turn when dropped, so that a send unwinding from a panicking
/// conversion still does (forgotten when no place was taken).
struct Arrival<'a>(&'a SeqLink);

impl Drop for Arrival<'_> {
    fn drop(&mut self) {
        self.0.seq.arrived(self.0.id);
    }
}

/// What the receiver found.
pub(crate) enum Take {
    /// A batch was moved into the receiver's buffer.
    Batch,
    /// The mailbox is closed and empty.
    Closed,
}

impl<M, C> Mailbox<M, C> {
    pub(crate) fn new(capacity: Option<usize>, seq: Option<SeqLink>, attic: C) -> Self {
        Mailbox {
            plain: capacity.is_none() && seq.is_none(),
            queue: Queue::with_attic(attic),
            bound: capacity.map(|c| {
                Box::new(Bound {
                    permits: Semaphore::new(c.max(1)),
                    unpermitted: AtomicUsize::new(0),
                })
            }),
            seq: seq.map(Box::new),
        }
    }

    /// The owner's cold data (see `Queue`).
    #[inline]
    pub(crate) fn attic(&self) -> &C {
        self.queue.attic()
    }

    /// The semaphore of a bounded mailbox.
    pub(crate) fn bound(&self) -> Option<&Semaphore> {
        self.bound.as_deref().map(|b| &b.permits)
    }

    /// Appends an envelope that took no permit of a bounded mailbox (a system message, an initial
    /// message, an untyped send), or hands it back if the mailbox is closed.
    #[inline]
    pub(crate) fn push(&self, env: Envelope<M>) -> Result<(), Envelope<M>> {
        let unpermitted = self.bound.as_deref().filter(|_| env.is_user());
        if let Some(bound) = unpermitted {
            bound.unpermitted.fetch_add(1, Ordering::AcqRel);
        }
        let pushed = self.push_inner(env, |env| env, None);
        if let (Some(bound), Err(_)) = (unpermitted, &pushed) {
            bound.unpermitted.fetch_sub(1, Ordering::AcqRel);
        }
        pushed
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
        // `make` runs user code (a `From` conversion): if it panics, its place holds a void.
        self.push_inner(value, make, Some(|| Envelope::system(SystemMessage::Void)))
    }

    #[inline]
    fn push_inner<T>(
        &self,
        value: T,
        make: impl FnOnce(T) -> Envelope<M>,
        filler: Option<fn() -> Envelope<M>>,
    ) -> Result<(), T> {
        if let Some(link) = &self.seq {
            return self.push_in_turn(link, value, make, filler);
        }
        self.queue.push_with(value, make, filler)
    }

    /// A push in a sequential system: a function of its own, so that a push on the default base,
    /// which only tests whether its mailbox is in one, stays small enough to be inlined into the
    /// send (callgrind `hop_profile`: tell 390 → 368 instructions with the proxy's path cold too).
    #[inline]
    fn push_in_turn<T>(
        &self,
        link: &SeqLink,
        value: T,
        make: impl FnOnce(T) -> Envelope<M>,
        filler: Option<fn() -> Envelope<M>>,
    ) -> Result<(), T> {
        let _order = link.order.lock_unpoisoned();
        if link.seq.is_stopped() {
            return Err(value);
        }
        // Turns, not wake-ups, drive a sequential system: one turn per place taken. `make`
        // (user code: a `From` conversion) runs under the order lock, after the place is
        // claimed; if it panics, the place holds a void message, which takes its turn too
        // (registered as the panic unwinds), so turns and messages stay matched.
        let arrival = Arrival(link);
        if let Err(value) = self.queue.push_with(value, make, filler) {
            std::mem::forget(arrival);
            return Err(value);
        }
        Ok(())
    }

    /// Gives back the permit of a user envelope taken out of a bounded mailbox.
    #[inline]
    fn taken(&self, env: Envelope<M>) -> Envelope<M> {
        if self.plain {
            return env;
        }
        if let Some(bound) = self.bound.as_deref() {
            if env.is_user() {
                // Permits are interchangeable: while unpermitted envelopes wait, the first user
                // envelopes out give none back, which only ever tightens the bound.
                let unpermitted = bound
                    .unpermitted
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                    .is_ok();
                if !unpermitted {
                    bound.permits.add_permits(1);
                }
            }
        }
        env
    }

    /// The next envelope; `None` once the mailbox is closed and empty.
    ///
    /// # Safety
    /// Only the actor's own task receives (calls this, `recv`, `take` or `close`).
    #[inline(always)]
    pub(crate) unsafe fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<Envelope<M>>> {
        // The hot path, inlined into the actor's loop: a plain mailbox with a message waiting.
        if self.plain {
            // SAFETY: the caller's contract.
            if let Some(env) = unsafe { self.queue.pop() } {
                return Poll::Ready(Some(env));
            }
        }
        // SAFETY: the caller's contract.
        unsafe { self.poll_recv_slow(cx) }
    }

    /// Everything else: turns, bounds, an empty mailbox, sleeping. A plain mailbox comes here
    /// only once `poll_recv` has found it empty.
    ///
    /// # Safety
    /// As for [`poll_recv`](Self::poll_recv).
    #[inline(never)]
    unsafe fn poll_recv_slow(&self, cx: &mut Context<'_>) -> Poll<Option<Envelope<M>>> {
        if !self.plain {
            if let Some(link) = &self.seq {
                // One message per turn, when the system's scheduler says so; turns granted in a
                // row are used without asking it again.
                let spare = link.spare_turns.load(Ordering::Relaxed);
                if spare > 0 {
                    // SAFETY: the caller's contract.
                    if let Some(env) = unsafe { self.queue.pop() } {
                        link.spare_turns.store(spare - 1, Ordering::Relaxed);
                        return Poll::Ready(Some(self.taken(env)));
                    }
                    // Its messages are gone (the mailbox closed): so are its turns.
                    link.spare_turns.store(0, Ordering::Relaxed);
                }
                let mut taken = None;
                let turn = link.poll_turn(cx, || {
                    // SAFETY: the caller's contract.
                    taken = unsafe { self.queue.pop() };
                    taken.is_some()
                });
                return turn.map(|()| taken.map(|env| self.taken(env)));
            }
            // A bounded mailbox: its take gives a permit back. (A plain one has just looked.)
            // SAFETY: the caller's contract.
            if let Some(env) = unsafe { self.queue.pop() } {
                return Poll::Ready(Some(self.taken(env)));
            }
        }
        if self.queue.is_closed() {
            return Poll::Ready(None);
        }
        // SAFETY: the caller's contract.
        if unsafe { self.queue.take_streak() } >= STREAK {
            // A stream of messages has just run dry: more are likely on their way. Let the other
            // tasks run once before sleeping, rather than make the senders pay for a wake-up
            // (which, from outside the runtime or to a parked worker, costs a system call).
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        // SAFETY: the caller's contract.
        unsafe { self.queue.sleep(cx.waker()) };
        // Look again: a message written before the announcement was not woken for.
        // SAFETY: the caller's contract.
        if let Some(env) = unsafe { self.queue.pop_after_sleep() } {
            self.queue.awake();
            return Poll::Ready(Some(self.taken(env)));
        }
        Poll::Pending
    }

    /// Awaits the next envelope; `None` once the mailbox is closed and empty.
    ///
    /// # Safety
    /// As for [`poll_recv`](Self::poll_recv).
    pub(crate) async unsafe fn recv(&self) -> Option<Envelope<M>> {
        // SAFETY: the caller's contract.
        std::future::poll_fn(|cx| unsafe { self.poll_recv(cx) }).await
    }

    /// Moves every envelope waiting now into `batch`, after waiting for the first.
    ///
    /// # Safety
    /// As for [`poll_recv`](Self::poll_recv).
    pub(crate) async unsafe fn take(&self, batch: &mut VecDeque<Envelope<M>>) -> Take {
        // SAFETY: the caller's contract.
        let Some(first) = (unsafe { self.recv() }).await else {
            return Take::Closed;
        };
        batch.push_back(first);
        if self.seq.is_none() {
            // SAFETY: the caller's contract.
            while let Some(env) = unsafe { self.queue.pop() } {
                batch.push_back(self.taken(env));
            }
        }
        Take::Batch
    }

    /// In a sequential system, waits for a turn in which nothing is taken (the actor's start);
    /// at once otherwise.
    pub(crate) async fn wait_turn(&self) {
        if let Some(link) = &self.seq {
            std::future::poll_fn(|cx| link.poll_turn(cx, || true)).await;
        }
    }

    /// Reserves a turn for the actor's start, before any message (sequential systems only).
    pub(crate) fn reserve_start_turn(&self) {
        if let Some(link) = &self.seq {
            link.seq.arrived(link.id);
        }
    }

    /// Closes the mailbox: later pushes fail. Returns what was still waiting.
    ///
    /// # Safety
    /// As for [`poll_recv`](Self::poll_recv).
    pub(crate) unsafe fn close(&self) -> Vec<Envelope<M>> {
        let _order = self.seq.as_ref().map(|link| link.order.lock_unpoisoned());
        // SAFETY: the caller's contract.
        let rest = unsafe { self.queue.close() };
        if let Some(bound) = self.bound.as_deref() {
            bound.permits.close();
        }
        rest
    }

    /// Closed, or its sequential system has ended.
    pub(crate) fn is_closed(&self) -> bool {
        self.queue.is_closed() || self.seq.as_ref().is_some_and(|link| link.seq.is_stopped())
    }

    /// How many messages wait.
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }
}
