//! The lock-free queue under every mailbox: many senders, one receiver (the actor's own task).
//!
//! Why not a lock: with a lock around a `VecDeque`, the sender and the receiver of a busy actor
//! fought over one cache line for every message, and on a two-core machine the lock holder was
//! sometimes descheduled while the other side waited on it (the A/B runs against tokio's `mpsc`
//! and a locked deque are in `git log -p -- BENCHMARKS.md`). Here a send is one atomic add to
//! claim a position, a write into that position's slot and a store of its stamp there; the
//! receiver reads slots in position order and reads nothing else a sender writes per message, nor
//! writes a line a sender writes.
//!
//! Layout: what an actor's cell holds is one word (the address of the queue's *core*, and the
//! receiver's state in its low bits) and the receiver's waker: 24 bytes. The core, with the
//! positions, the receiver's own state and a small first block (one allocation), is allocated by
//! the first send (`install`), so an actor that never receives a message costs no more (an idle
//! actor took 555 bytes with the whole queue in its cell, 489 with the word: BENCHMARKS.md).
//! Positions live in *blocks* of [`BLOCK`] slots, linked in position order; the core's block has
//! only the last few slots of its positions (`block::FIRST`), the queue starting at the first of
//! them, so that an actor that receives a few messages holds a third of a full block's memory
//! (496 bytes instead of 1,248 for 56-byte envelopes). A sender that claims the first
//! position of a block that does not exist yet links one: the whole stack of spare blocks when
//! the receiver has handed some back, so a steady stream allocates nothing, a new one otherwise.
//! Each block the receiver has finished with goes on that stack at once, up to [`KEEP_BLOCKS`]
//! on it; the rest are freed, which is the memory rule of a mailbox (`mailbox/mod.rs`). A sender
//! that loses the race to link a block puts its own at the end of the list, for later positions,
//! so that only the receiver ever frees a block.
//!
//! When a block may be recycled: a sender looks for its block starting from `tail_block`, so a
//! block can only be reused once no sender can still be walking through it. The sender that moves
//! `tail_block` past a fully written block records the tail position it then sees (`released_at`):
//! every sender that claimed a position after that read the new `tail_block` (its claim
//! synchronizes with the recording), and every sender that claimed one before has finished with all
//! blocks once its own slot is written, which the receiver knows when it has read that far.
//!
//! Sleeping: the receiver, before it sleeps, stores its waker, moves its state to `SLEEPING` and
//! then looks at the tail: has a sender claimed its next position? A sender, after it has
//! claimed a position and stamped its slot, looks at the state, even when making the value
//! panicked (the slot then holds the filler). The claim, the state's move and both looks are
//! sequentially ordered (and a sender installing the core keeps the state bits, with a
//! read-modify-write of the same word), so either the receiver sees the claim or the sender sees
//! that it sleeps (and wakes it: `SLEEPING` to `WAKING`, call the waker, `AWAKE`). A receiver that
//! sees a claim whose value is not written yet cannot count on that sender's wake-up (its look at
//! the state may have come first): it looks again on its next poll instead of sleeping. A send to
//! a busy receiver costs no wake-up, touches no lock and has one locked instruction (its claim):
//! the stamp is a plain release store, so that the sender need not wait for its slot's line,
//! which the receiver last read, before it goes on; the receiver reads the tail's line only when
//! it is about to sleep.
//!
//! Closing is done by the receiver: it sets the `CLOSED` bit of the tail, after which every claim
//! fails, and takes out everything claimed before, waiting (yielding its thread) for senders caught
//! between their claim and their write; a queue without a core is closed in its word
//! (`CLOSED_BARE`), which a sender about to install one sees. The core itself lives as long as the
//! queue: a sender may hold its address.
//!
//! The two waits, and their bounds: `close` waits for a sender between its claim and its write,
//! which is running the message's conversion (`From`, user code: SEMANTICS.md asks that it not
//! block), so at most one conversion per such sender; a receiver taking back its waker
//! (`own_waker`) waits for a sender in `WAKING`, which only clones the waker (a reference count for
//! tokio's) before it hands the state back.

use std::marker::PhantomData;
use std::ptr;
use std::task::Waker;

use crate::sync::lockfree as sync;
use sync::{AtomicPtr, Ordering, UnsafeCell};

mod block;
mod core;
#[cfg(all(test, thespian_loom))]
mod loom_tests;
#[cfg(all(test, not(thespian_loom)))]
mod tests;

use self::core::Core;
pub(crate) use self::core::Look;

#[cfg(all(test, not(thespian_loom)))]
thread_local! {
    /// How many times a receiver on this thread went to sleep (the tests of lingering).
    pub(crate) static SLEEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Slots per block.
#[cfg(not(thespian_loom))]
pub(crate) const BLOCK: usize = 16;
/// Small blocks under loom, so that its tests cross blocks in few steps.
#[cfg(thespian_loom)]
pub(crate) const BLOCK: usize = 2;

/// How many finished blocks a queue keeps for reuse; the others are freed.
#[cfg(not(thespian_loom))]
pub(crate) const KEEP_BLOCKS: u32 = 32;
#[cfg(thespian_loom)]
pub(crate) const KEEP_BLOCKS: u32 = 1;

/// A position in the queue: 64 bits on every target, so that a mailbox never wraps (2^63
/// messages at a billion a second last three centuries; a 32-bit count wrapped after 2^31).
type Pos = u64;

/// Bit 0 of the tail: the queue is closed. Positions count in steps of two above it.
const CLOSED: Pos = 1;
const STEP: Pos = 2;

/// The offset of position `pos` within its block.
#[inline(always)]
fn offset_of(pos: Pos) -> usize {
    (pos % BLOCK as Pos) as usize
}

/// The receiver's states, in the low bits of `Queue::word`'s address.
const STATE: usize = 0b11;
const AWAKE: usize = 0;
const SLEEPING: usize = 1;
const WAKING: usize = 2;
/// Closed before it had a core (with a core, its tail says so).
const CLOSED_BARE: usize = 0b100;
/// The core's address (a `Core` is aligned to 8, so the three bits below are free).
const CORE: usize = !0b111;
const _: () = assert!(
    std::mem::align_of::<Core<()>>() >= 8,
    "the tags need three free bits"
);

/// A multi-producer, single-consumer queue; see the module documentation.
///
/// What an idle actor's cell holds of it is one word and the receiver's waker: the positions
/// and blocks are in a [`Core`] allocated with the first value.
pub(crate) struct Queue<T> {
    /// The core's address (null before the first value), tagged in its low bits with the
    /// receiver's state and `CLOSED_BARE`.
    word: AtomicPtr<Core<T>>,
    /// The receiver's waker: written by the receiver only while `AWAKE` and no sender reads it;
    /// read by the one sender that moved the state from `SLEEPING` to `WAKING`.
    waker: UnsafeCell<Option<Waker>>,
    _core: PhantomData<Box<Core<T>>>,
}

// SAFETY: values of `T` move from the senders' threads to the receiver's, hence `T: Send`. The
// core is reached through the word and owned by the queue; the receiver's state is only touched
// by the single receiver (a contract of the `unsafe` receiver methods).
unsafe impl<T: Send> Send for Queue<T> {}
// SAFETY: as above; what senders share is made of atomics.
unsafe impl<T: Send> Sync for Queue<T> {}

impl<T> Queue<T> {
    pub(crate) fn new() -> Self {
        Queue {
            word: AtomicPtr::new(ptr::null_mut()),
            waker: UnsafeCell::new(None),
            _core: PhantomData,
        }
    }

    /// A queue closed from the start, which never allocates: every push is refused.
    pub(crate) fn closed() -> Self {
        Queue {
            word: AtomicPtr::new(ptr::without_provenance_mut(CLOSED_BARE)),
            waker: UnsafeCell::new(None),
            _core: PhantomData,
        }
    }

    /// A queue whose next position is `pos`, as if `pos` values had passed through it (the
    /// tests of positions past 32 bits).
    #[cfg(all(test, not(thespian_loom)))]
    fn starting_at(pos: Pos) -> Self {
        let queue = Self::new();
        let core = Core::alloc(pos);
        queue.word.store(core, Ordering::Relaxed);
        queue
    }

    /// The core named by `word`, a value of this queue's word, if it names one.
    #[inline(always)]
    fn core_of(&self, word: *mut Core<T>) -> Option<&Core<T>> {
        // SAFETY: a core, once installed, lives as long as the queue.
        unsafe { untagged(word).as_ref() }
    }

    /// The core, if a value ever came.
    #[inline(always)]
    fn core(&self, order: Ordering) -> Option<&Core<T>> {
        self.core_of(self.word.load(order))
    }

    /// Whether the receiver has closed the queue.
    pub(crate) fn is_closed(&self) -> bool {
        let word = self.word.load(Ordering::Acquire);
        match self.core_of(word) {
            Some(core) => core.is_closed(),
            None => word.addr() & CLOSED_BARE != 0,
        }
    }

    /// Whether the queue is closed, asked by the receiver, which is the one that closes it: it
    /// looks only at what it wrote itself, not at the tail, whose line every send writes (a
    /// receiver reading it each time it ran dry made the next send wait for the line).
    ///
    /// The twin of `is_closed` but for the core's check: one helper taking the check as a
    /// closure cost 11 instructions per ping-pong round trip (callgrind), on the path every
    /// receiver takes before it sleeps.
    ///
    /// # Safety
    /// The receiver's own call.
    pub(crate) unsafe fn closed_by_receiver(&self) -> bool {
        let word = self.word.load(Ordering::Acquire);
        match self.core_of(word) {
            // SAFETY: the receiver's own call.
            Some(core) => unsafe { core.is_freed() },
            None => word.addr() & CLOSED_BARE != 0,
        }
    }

    /// How many values wait (an estimate while values move).
    pub(crate) fn len(&self) -> usize {
        self.core(Ordering::Acquire).map_or(0, Core::len)
    }

    /// Appends `value` (waking the receiver if it sleeps), or hands it back if the queue is
    /// closed.
    #[cfg(test)]
    pub(crate) fn push(&self, value: T) -> Result<(), T> {
        self.push_with(value, |value| value, None)
    }

    /// Appends `make(value)`, or hands `value` back if the queue is closed (before `make` runs,
    /// so a refused value comes back exactly as given). If `make` panics, the claimed place is
    /// filled with `filler()` instead, so that the receiver is not left waiting for it.
    #[inline(always)]
    pub(crate) fn push_with<V>(
        &self,
        value: V,
        make: impl FnOnce(V) -> T,
        filler: Option<fn() -> T>,
    ) -> Result<(), V> {
        let Some(core) = self.core(Ordering::Acquire) else {
            return self.push_first(value, make, filler);
        };
        self.push_into(core, value, make, filler)
    }

    /// `push_with` into `core`, then the sender's half of the handshake.
    #[inline(always)]
    fn push_into<V>(
        &self,
        core: &Core<T>,
        value: V,
        make: impl FnOnce(V) -> T,
        filler: Option<fn() -> T>,
    ) -> Result<(), V> {
        /// The sender's half of the handshake, also when `make` panics: the claimed slot then
        /// holds the filler, and a receiver that went to sleep waiting for it must be woken (or
        /// it and every value behind it would wait for some later send).
        struct Handshake<'a, T>(&'a Queue<T>);
        impl<T> Drop for Handshake<'_, T> {
            #[inline(always)]
            fn drop(&mut self) {
                sync::handshake();
                if self.0.word.load(Ordering::SeqCst).addr() & STATE == SLEEPING {
                    self.0.wake();
                }
            }
        }
        let handshake = Handshake(self);
        if let Err(refused) = core.push_with(value, make, filler) {
            // Nothing was written: nobody to wake.
            std::mem::forget(handshake);
            return Err(refused);
        }
        drop(handshake);
        Ok(())
    }

    /// The first push: gives the queue its core, out of the senders' way.
    #[cold]
    #[inline(never)]
    fn push_first<V>(
        &self,
        value: V,
        make: impl FnOnce(V) -> T,
        filler: Option<fn() -> T>,
    ) -> Result<(), V> {
        match self.install() {
            Some(core) => self.push_into(core, value, make, filler),
            None => Err(value),
        }
    }

    /// Gives the queue its core (or finds the one another sender gave it); `None` if the
    /// receiver closed it first.
    #[cold]
    fn install(&self) -> Option<&Core<T>> {
        let mut word = self.word.load(Ordering::Acquire);
        // A queue closed bare stays so: refused without allocating (a proxy's, on every send).
        if self.core_of(word).is_none() && word.addr() & CLOSED_BARE != 0 {
            return None;
        }
        let fresh = Core::alloc(0);
        loop {
            if let Some(core) = self.core_of(word) {
                // SAFETY: never shared.
                unsafe { Core::free(fresh) };
                return Some(core);
            }
            if word.addr() & CLOSED_BARE != 0 {
                // SAFETY: never shared.
                unsafe { Core::free(fresh) };
                return None;
            }
            // Keeps the receiver's state. Release: the core's fields, for whoever reads the word.
            match self.word.compare_exchange_weak(
                word,
                fresh.map_addr(|core| core | word.addr() & STATE),
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                // SAFETY: installed, so it lives as long as the queue.
                Ok(_) => return Some(unsafe { &*fresh }),
                Err(now) => word = now,
            }
        }
    }

    /// Wakes the receiver, which announced that it sleeps (unless another sender does).
    #[cold]
    fn wake(&self) {
        if !self.move_state(SLEEPING, WAKING, Ordering::Acquire) {
            return;
        }
        /// Hands the state back, even if cloning the waker panics: a plain store, since nobody
        /// else changes the word while it says `WAKING` (the core is installed, the receiver
        /// waits, the other senders find no `SLEEPING`).
        struct Awake<'a, T>(&'a AtomicPtr<Core<T>>, *mut Core<T>);
        impl<T> Drop for Awake<'_, T> {
            fn drop(&mut self) {
                let awake = self.1.map_addr(|tagged| tagged & !STATE | AWAKE);
                self.0.store(awake, Ordering::Release);
            }
        }
        let awake = Awake(&self.word, self.word.load(Ordering::Relaxed));
        // SAFETY: in `WAKING`, this sender alone reads the waker and the receiver does not write
        // it; the acquire above saw the receiver's write made before it announced `SLEEPING`.
        // Cloned (a reference count) so that the state is handed back at once: the receiver,
        // woken on another core, must not find a sender still in `WAKING` when it next sleeps.
        let waker = self.waker.with(|waker| unsafe { (*waker).clone() });
        drop(awake);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Moves the receiver's state from `from` to `to` if it is `from`; whether it did. The
    /// core's address may change meanwhile (installed by a sender): it is kept.
    #[inline]
    fn move_state(&self, from: usize, to: usize, success: Ordering) -> bool {
        let mut word = self.word.load(Ordering::Relaxed);
        loop {
            if word.addr() & STATE != from {
                return false;
            }
            match self.word.compare_exchange_weak(
                word,
                word.map_addr(|tagged| tagged & !STATE | to),
                success,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => word = now,
            }
        }
    }

    /// Takes the next value, if it has been written.
    ///
    /// # Safety
    /// Only the receiver calls this (and the other receiver methods), never two at once.
    #[inline]
    pub(crate) unsafe fn pop(&self) -> Option<T> {
        // SAFETY: the caller's contract.
        self.core(Ordering::Acquire)
            .and_then(|core| unsafe { core.take() })
    }

    /// The receiver's half of the handshake (after `sleep`): looks once more, at whether a
    /// sender has claimed its next position (see [`Look`]).
    ///
    /// # Safety
    /// As for [`pop`](Self::pop).
    pub(crate) unsafe fn look_after_sleep(&self) -> Look<T> {
        match self.core(Ordering::SeqCst) {
            // SAFETY: the caller's contract.
            Some(core) => unsafe { core.look_after_sleep() },
            None => Look::Nothing,
        }
    }

    /// Announces that the receiver is about to sleep, once it found the queue empty: `waker`
    /// is stored for the senders, and every push that completes after this wakes it (once).
    /// The receiver must then look once more (`look_after_sleep`) for a value claimed before.
    ///
    /// # Safety
    /// The receiver's own call.
    pub(crate) unsafe fn sleep(&self, waker: &Waker) {
        #[cfg(all(test, not(thespian_loom)))]
        SLEEPS.with(|s| s.set(s.get() + 1));
        // SAFETY: only the receiver writes the waker, so its own read races with nothing.
        let same = self
            .waker
            .with(|w| unsafe { (*w).as_ref().is_some_and(|w| w.will_wake(waker)) });
        if !same {
            // SAFETY: the receiver owns the waker once the state is `AWAKE`.
            unsafe { self.own_waker(|w| *w = Some(waker.clone())) };
        }
        // Sequentially consistent, as is the look at the tail that follows (module docs).
        // `SLEEPING`: announced by an earlier poll, and no sender has taken it up yet.
        // `WAKING`: a sender has taken the waker and calls it once it has handed the state back,
        // so that wake-up is still to come, after this poll: it needs no announcement.
        self.move_state(AWAKE, SLEEPING, Ordering::SeqCst);
        sync::handshake();
    }

    /// Runs `f` on the waker slot once no sender can read it: the state back to `AWAKE`.
    ///
    /// # Safety
    /// The receiver's own call.
    unsafe fn own_waker(&self, f: impl FnOnce(*mut Option<Waker>)) {
        loop {
            match self.word.load(Ordering::Acquire).addr() & STATE {
                AWAKE => break,
                SLEEPING if self.move_state(SLEEPING, AWAKE, Ordering::Acquire) => break,
                SLEEPING => {}
                // A sender is calling the waker: it hands the state back at once.
                _ => sync::pause(),
            }
        }
        self.waker.with_mut(f);
    }

    /// See `Core::lingers`; no before the first value.
    ///
    /// # Safety
    /// The receiver's own call.
    pub(crate) unsafe fn lingers(
        &self,
        decide: impl FnOnce() -> u32,
        polls: impl FnOnce() -> u32,
        busy: u32,
    ) -> bool {
        // SAFETY: the receiver's own call.
        self.core(Ordering::Acquire)
            .is_some_and(|core| unsafe { core.lingers(decide, polls, busy) })
    }

    /// The receiver found a value after all: pushes need not wake it.
    pub(crate) fn awake(&self) {
        self.move_state(SLEEPING, AWAKE, Ordering::Relaxed);
    }

    /// Closes the queue: every later push fails. Returns what was still waiting, in order.
    ///
    /// # Safety
    /// The receiver's own call.
    pub(crate) unsafe fn close(&self) -> Vec<T> {
        let mut word = self.word.load(Ordering::Acquire);
        let rest = loop {
            if let Some(core) = self.core_of(word) {
                // SAFETY: the receiver's own call.
                break unsafe { core.close() };
            }
            match self.word.compare_exchange_weak(
                word,
                word.map_addr(|tagged| tagged | CLOSED_BARE),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break Vec::new(),
                Err(now) => word = now,
            }
        };
        // SAFETY: the receiver's own call. Dropping the waker lets go of the receiving task.
        unsafe { self.own_waker(|w| drop((*w).take())) };
        rest
    }
}

impl<T> Drop for Queue<T> {
    fn drop(&mut self) {
        let core = untagged(self.word.load(Ordering::Acquire));
        if !core.is_null() {
            // SAFETY: installed from a `Box` and owned by the queue, which nobody else holds:
            // values not taken are dropped with their blocks.
            unsafe { Core::free(core) };
        }
    }
}

/// The core's address in a value of the word, without the tags.
#[inline(always)]
fn untagged<T>(word: *mut Core<T>) -> *mut Core<T> {
    word.map_addr(|tagged| tagged & CORE)
}
