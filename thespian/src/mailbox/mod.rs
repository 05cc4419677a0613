//! The mailbox: where messages wait for their actor.
//!
//! Underneath is a lock-free queue of fixed-size blocks ([`queue`]): a `tell` claims a place with
//! one atomic add and writes the envelope there; nothing is allocated before the first message,
//! and blocks are recycled, so a steady stream allocates nothing. The receiving task takes
//! envelopes one by one and sleeps only when the queue is empty; a sender wakes it only if it
//! sleeps, so a busy actor costs its senders no wake-ups.
//!
//! Memory rule: once a burst is drained, a mailbox keeps at most `queue::KEEP_BLOCKS` spare
//! blocks of `queue::BLOCK` slots (512 messages) and frees the rest; besides them and the block in
//! use, the blocks already linked for the next messages (at most as many again, from the spares a
//! sender last took, and one per sender that raced another to link a block).
//!
//! A bounded mailbox adds a semaphore of `capacity` permits: a sender takes one per message
//! (waiting when there are none, or failing with `Full` in `try_tell`); the receiver gives them
//! back as it takes messages out.

mod queue;
#[cfg(feature = "sequential")]
mod turns;
#[cfg(all(test, not(thespian_loom)))]
pub(crate) use queue::SLEEPS;
#[cfg(feature = "sequential")]
pub(crate) use turns::SeqLink;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use tokio::sync::Semaphore;

use crate::envelope::{Envelope, SystemMessage};
use queue::{Look, Queue};

/// After taking this many messages in a row, a receiver that finds its mailbox empty yields
/// once before it sleeps (*lingers*, see `poll_recv_slow`), so that a message sent meanwhile
/// needs no wake-up. On a current-thread runtime it lingers after every message ([`LINGER_ONE`]),
/// and on a thread busy with other actors after one ([`BUSY`]).
///
/// Why not after every message on every runtime (measured, bench binaries alternated):
/// lingering after each one took the local ping-pong on a current-thread runtime from 35–38 to
/// 28 ms (raw tokio 28.5) and the fan-out to 1,000 actors from 202–222 to 144–150 ms, but
/// doubled a remote ask between two nodes in two of three runs (25–34 → 35–72 ms per 1,000):
/// where workers are idle, each linger is a yield that wakes a parked worker. Lingering only
/// while lingers kept catching messages lost the local gains; tokio's deferred yield
/// (`yield_now`) tripled the ping-pong.
pub(crate) const STREAK: u32 = 4;

/// On a multi-thread runtime, an actor that has taken a message lingers before sleeping also
/// when at least this many actor polls ran on its thread since it last ran dry (found its
/// mailbox empty after taking messages): the thread is busy with other actors, so its linger
/// waits behind them, giving its senders time to send again, and an idle worker to wake is
/// unlikely. This catches the actors of a fan-out, woken for one or two messages at a time,
/// without lingering in a ping-pong (one other poll between two of an actor's) or for a lone
/// request. Measured with bench binaries alternated (2026-12-07): the fan-out driven from inside
/// 148–158 → 123–137 ms (8, 16 and 64 alike), from outside 295 → 226 ms, a remote ask 55–62 →
/// 41–47 ms; the tell, the ask, the ping-pong and the remote tell within noise.
pub(crate) const BUSY: u32 = 16;

thread_local! {
    /// Polls of actors' tasks on this thread, wrapping (see [`BUSY`]).
    static POLLS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Counts a poll of an actor's task on this thread (`Acting` calls it).
#[inline(always)]
pub(crate) fn count_poll() {
    POLLS.with(|p| p.set(p.get().wrapping_add(1)));
}

/// The streak after which an actor on a current-thread runtime lingers: every message. There is
/// no other worker there for a yield to wake, so a linger costs one more poll of the actor, and
/// saves the sender a wake-up and the receiver its sleep whenever a reply comes back at once.
pub(crate) const LINGER_ONE: u32 = 1;

/// The streak after which the receiving task lingers, from the runtime it runs on ([`STREAK`], or
/// [`LINGER_ONE`] on a current-thread runtime). Asked once per mailbox (the queue keeps it).
fn linger_after_here() -> u32 {
    match tokio::runtime::Handle::try_current() {
        Ok(rt) if rt.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread => LINGER_ONE,
        _ => STREAK,
    }
}

/// Four words in an actor's cell: a plain mailbox (neither bounded nor in a sequential system)
/// has no `rare` part, and its queue allocates its core with the first message.
pub(crate) struct Mailbox<M> {
    /// A bound, or a sequential system's turns; `None` for a plain mailbox, which is all a send
    /// and a take test for.
    rare: Option<Box<Rare>>,
    queue: Queue<Envelope<M>>,
}

/// What only some mailboxes have.
#[derive(Default)]
struct Rare {
    bound: Option<Bound>,
    /// Set in a sequential system: messages then wait for their turn (see `turns.rs`).
    #[cfg(feature = "sequential")]
    seq: Option<SeqLink>,
}

/// The permits of a bounded mailbox.
struct Bound {
    permits: Semaphore,
    /// How many user envelopes in the queue took no permit (initial messages, untyped sends):
    /// taking them out must not give permits back.
    unpermitted: AtomicUsize,
}

/// What the receiver found.
pub(crate) enum Take {
    /// A batch was moved into the receiver's buffer.
    Batch,
    /// The mailbox is closed and empty.
    Closed,
}

/// The future of [`Mailbox::recv`]: a type of its own, so that its poll (the actor's hot path
/// when a message waits) inlines into the actor's loop; a `poll_fn` sometimes did not (measured:
/// about 20 instructions more per message when it stayed a call).
pub(crate) struct Recv<'a, M>(&'a Mailbox<M>);

impl<M> std::future::Future for Recv<'_, M> {
    type Output = Option<Envelope<M>>;

    #[inline(always)]
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: a `Recv` is made by the unsafe `recv`, whose caller is the only receiver.
        unsafe { self.0.poll_recv(cx) }
    }
}

impl<M> Mailbox<M> {
    pub(crate) fn new(capacity: Option<usize>) -> Self {
        Mailbox {
            rare: capacity.map(|c| {
                Box::new(Rare {
                    bound: Some(Bound {
                        permits: Semaphore::new(c.max(1)),
                        unpermitted: AtomicUsize::new(0),
                    }),
                    #[cfg(feature = "sequential")]
                    seq: None,
                })
            }),
            queue: Queue::new(),
        }
    }

    /// The mailbox of a cell that queues nothing (a proxy's: its messages go to another node):
    /// closed from the start, so a push fails at once, with no allocation.
    pub(crate) fn closed() -> Self {
        Mailbox {
            rare: None,
            queue: Queue::closed(),
        }
    }

    /// The bound of a bounded mailbox.
    #[inline]
    fn bound_part(&self) -> Option<&Bound> {
        self.rare.as_deref().and_then(|rare| rare.bound.as_ref())
    }

    /// The semaphore of a bounded mailbox.
    pub(crate) fn bound(&self) -> Option<&Semaphore> {
        self.bound_part().map(|b| &b.permits)
    }

    /// Appends an envelope that took no permit of a bounded mailbox (a system message, an initial
    /// message, an untyped send), or hands it back if the mailbox is closed.
    #[inline]
    pub(crate) fn push(&self, env: Envelope<M>) -> Result<(), Envelope<M>> {
        if self.rare.is_none() {
            return self.queue.push_with(env, |env| env, None);
        }
        self.push_unpermitted(env)
    }

    /// `push` into a bounded mailbox or one in a sequential system.
    #[inline(never)]
    fn push_unpermitted(&self, env: Envelope<M>) -> Result<(), Envelope<M>> {
        let unpermitted = self.bound_part().filter(|_| env.is_user());
        if let Some(bound) = unpermitted {
            bound.unpermitted.fetch_add(1, Ordering::AcqRel);
        }
        let pushed = self.push_rare(env, |env| env, None);
        if let (Some(bound), Err(_)) = (unpermitted, &pushed) {
            bound.unpermitted.fetch_sub(1, Ordering::AcqRel);
        }
        pushed
    }

    /// Appends the envelope built from `value` (only once the mailbox is known to be open, so a
    /// refused value comes back exactly as it was given). The caller holds a permit when the
    /// mailbox is bounded.
    #[inline(always)]
    pub(crate) fn push_with<T>(
        &self,
        value: T,
        make: impl FnOnce(T) -> Envelope<M>,
    ) -> Result<(), T> {
        // `make` runs user code (a `From` conversion): if it panics, its place holds a void.
        let filler = Some((|| Envelope::system(SystemMessage::Void)) as fn() -> Envelope<M>);
        if self.rare.is_none() {
            return self.queue.push_with(value, make, filler);
        }
        self.push_rare(value, make, filler)
    }

    /// A push into a bounded mailbox or one in a sequential system: out of line, so that the
    /// plain push stays small enough to be inlined into the send.
    #[inline(never)]
    fn push_rare<T>(
        &self,
        value: T,
        make: impl FnOnce(T) -> Envelope<M>,
        filler: Option<fn() -> Envelope<M>>,
    ) -> Result<(), T> {
        #[cfg(feature = "sequential")]
        if let Some(link) = self.turns() {
            return self.push_in_turn(link, value, make, filler);
        }
        self.queue.push_with(value, make, filler)
    }

    /// Gives back the permit of a user envelope taken out of a bounded mailbox.
    #[inline]
    fn taken(&self, env: Envelope<M>) -> Envelope<M> {
        if let Some(bound) = self.bound_part() {
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
        if self.rare.is_none() {
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
        if self.rare.is_some() {
            #[cfg(feature = "sequential")]
            if let Some(link) = self.turns() {
                // SAFETY: the caller's contract.
                return unsafe { self.poll_in_turn(link, cx) };
            }
            // A bounded mailbox: its take gives a permit back. (A plain one has just looked.)
            // SAFETY: the caller's contract.
            if let Some(env) = unsafe { self.queue.pop() } {
                return Poll::Ready(Some(self.taken(env)));
            }
        }
        // SAFETY: the caller's contract.
        if unsafe { self.queue.closed_by_receiver() } {
            return Poll::Ready(None);
        }
        // SAFETY: the caller's contract.
        if unsafe {
            self.queue
                .lingers(linger_after_here, || POLLS.with(|p| p.get()), BUSY)
        } {
            // A stream of messages has just run dry, or other actors keep this thread busy: more
            // are likely on their way. Let the other tasks run once before sleeping, rather than
            // make the senders pay for a wake-up (which, from outside the runtime or to a parked
            // worker, costs a system call).
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        // SAFETY: the caller's contract.
        unsafe { self.queue.sleep(cx.waker()) };
        // Look again: a message claimed before the announcement was not woken for.
        // SAFETY: the caller's contract.
        match unsafe { self.queue.look_after_sleep() } {
            Look::Nothing => Poll::Pending,
            Look::Took(env) => {
                self.queue.awake();
                Poll::Ready(Some(self.taken(env)))
            }
            Look::Claimed => {
                // Its sender is between its claim and its stamp, running the message's
                // conversion (which must not block: SEMANTICS.md): look again after the other
                // tasks have run once, polling until it is written rather than sleeping.
                self.queue.awake();
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    /// Awaits the next envelope; `None` once the mailbox is closed and empty.
    ///
    /// # Safety
    /// As for [`poll_recv`](Self::poll_recv).
    pub(crate) unsafe fn recv(&self) -> Recv<'_, M> {
        Recv(self)
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
        if !self.in_turns() {
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
        #[cfg(feature = "sequential")]
        if let Some(link) = self.turns() {
            std::future::poll_fn(|cx| link.poll_turn(cx, || true)).await;
        }
    }

    /// Reserves a turn for the actor's start, before any message (sequential systems only).
    pub(crate) fn reserve_start_turn(&self) {
        #[cfg(feature = "sequential")]
        if let Some(link) = self.turns() {
            link.reserve_turn();
        }
    }

    /// Closes the mailbox: later pushes fail. Returns what was still waiting.
    ///
    /// # Safety
    /// As for [`poll_recv`](Self::poll_recv).
    pub(crate) unsafe fn close(&self) -> Vec<Envelope<M>> {
        // In a sequential system, the turns are held: no message takes a place meanwhile, and
        // the actor cannot end (and be forgotten by the scheduler) between a push and its place.
        #[cfg(feature = "sequential")]
        let _turns = self.turns().map(|link| link.seq.hold());
        // SAFETY: the caller's contract.
        let rest = unsafe { self.queue.close() };
        if let Some(bound) = self.bound_part() {
            bound.permits.close();
        }
        rest
    }

    /// Closed, or its sequential system has ended.
    pub(crate) fn is_closed(&self) -> bool {
        #[cfg(feature = "sequential")]
        if self.turns().is_some_and(|link| link.is_stopped()) {
            return true;
        }
        self.queue.is_closed()
    }

    /// Whether the mailbox is in a sequential system (one message per turn).
    #[inline]
    fn in_turns(&self) -> bool {
        #[cfg(feature = "sequential")]
        return self.turns().is_some();
        #[cfg(not(feature = "sequential"))]
        false
    }

    /// How many messages wait.
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(all(test, not(thespian_loom)))]
mod tests {
    use super::*;

    /// Pushes a message, takes it, counts `others` polls of other actors on this thread, and
    /// looks again: whether the receiver lingered (yielded without sleeping).
    fn lingers(mailbox: &Mailbox<u64>, others: u32) -> bool {
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        let sleeps = || queue::SLEEPS.with(std::cell::Cell::get);
        assert!(mailbox.push(Envelope::user(1, None, None)).is_ok());
        // SAFETY (all three): this test is the mailbox's only receiver.
        let took = unsafe { mailbox.poll_recv(&mut cx) };
        assert!(matches!(took, Poll::Ready(Some(_))));
        for _ in 0..others {
            count_poll();
        }
        let before = sleeps();
        assert!(unsafe { mailbox.poll_recv(&mut cx) }.is_pending());
        let lingered = sleeps() == before;
        if lingered {
            // Once: the next look, with nothing taken meanwhile, sleeps.
            assert!(unsafe { mailbox.poll_recv(&mut cx) }.is_pending());
            assert_eq!(sleeps(), before + 1);
        }
        lingered
    }

    /// A receiver that finds its next place claimed but not written yet does not sleep (its
    /// sender may have looked at the receiver's state before the receiver announced that it
    /// sleeps): it wakes itself to look again, and takes the message on its next poll.
    #[test]
    fn a_receiver_that_finds_its_next_place_being_written_looks_again() {
        let (count, waker) = crate::sync::CountingWaker::new();
        let mut cx = Context::from_waker(&waker);
        let mailbox = Mailbox::new(None);
        let pushed = mailbox.push_with(1u64, |n| {
            // SAFETY (both): this test is the mailbox's only receiver.
            assert!(unsafe { mailbox.poll_recv(&mut cx) }.is_pending());
            assert_eq!(count.woken(), 1, "it woke itself");
            Envelope::user(n, None, None)
        });
        assert!(pushed.is_ok());
        assert_eq!(count.woken(), 1, "it did not announce that it sleeps");
        let took = unsafe { mailbox.poll_recv(&mut cx) };
        assert!(matches!(took, Poll::Ready(Some(_))));
    }

    #[test]
    fn a_receiver_lingers_after_one_message_only_on_a_thread_busy_with_other_actors() {
        let mailbox = Mailbox::new(None);
        // Where it last looked.
        lingers(&mailbox, 0);
        assert!(!lingers(&mailbox, 0), "a quiet thread");
        assert!(!lingers(&mailbox, BUSY - 1), "a ping-pong's thread");
        assert!(lingers(&mailbox, BUSY), "a busy thread");
        assert!(lingers(&mailbox, 100 * BUSY));
        assert!(!lingers(&mailbox, 0), "quiet again");
    }
}
