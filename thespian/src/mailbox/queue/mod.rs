//! The lock-free queue under every mailbox: many senders, one receiver (the actor's own task).
//!
//! Why not a lock: with a lock around a `VecDeque`, the sender and the receiver of a busy actor
//! fought over one cache line for every message, and on a two-core machine the lock holder was
//! sometimes descheduled while the other side waited on it (see BENCHMARKS.md). Here a send is one
//! atomic add to claim a position, a write into that position's slot and one atomic `or` to mark
//! it written; the receiver reads slots in position order and never writes a line a sender writes
//! per message.
//!
//! Layout: positions live in *blocks* of [`BLOCK`] slots, linked in position order. Nothing is
//! allocated before the first message. A sender that claims the first position of a block that
//! does not exist yet links one (a recycled one when the receiver has handed some back, so a
//! steady stream allocates nothing). Blocks the receiver has finished with are recycled, up to
//! [`KEEP_BLOCKS`] of them; the rest are freed, which is the memory rule of a mailbox: once a
//! burst is drained, an actor keeps storage for at most `KEEP_BLOCKS × BLOCK` messages.
//!
//! When a block may be recycled: a sender looks for its block starting from `tail_block`, so a
//! block can only be reused once no sender can still be walking through it. The sender that moves
//! `tail_block` past a fully written block records the tail position it then sees (`released_at`):
//! every sender that claimed a position after that read the new `tail_block` (its claim
//! synchronizes with the recording), and every sender that claimed one before has finished with
//! all blocks once its own slot is written, which the receiver knows when it has read that far.
//!
//! Sleeping: the receiver, before it sleeps, stores its waker, moves `state` to `SLEEPING` and
//! then looks at the ready bits again; a sender, after it has set its ready bit, looks at `state`.
//! Both pairs are sequentially ordered, so either the receiver sees the value (and does not
//! sleep) or the sender sees that it sleeps (and wakes it: `SLEEPING` to `WAKING`, call the
//! waker, `AWAKE`). A send to a busy receiver costs no wake-up and touches no lock.
//!
//! Closing is done by the receiver: it sets the `CLOSED` bit of the tail, after which every claim
//! fails, and takes out everything claimed before, waiting (yielding its thread) for senders
//! caught between their claim and their write.
//!
//! The two waits, and their bounds: `close` waits for a sender between its claim and its write,
//! which is running the message's conversion (`From`, user code: SEMANTICS.md asks that it not
//! block), so at most one conversion per such sender; a receiver taking back its waker
//! (`own_waker`) waits for a sender in `WAKING`, which only clones the waker (a reference count
//! for tokio's) before it hands the state back.

use std::ptr;
use std::task::Waker;

use crate::sync::lockfree as sync;
use sync::{AtomicPtr, AtomicU64, AtomicU8, Ordering, UnsafeCell};

mod block;
#[cfg(all(test, thespian_loom))]
mod loom_tests;
#[cfg(all(test, not(thespian_loom)))]
mod tests;

use block::{free_chain, Block, Unwritten};

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

/// Every slot of a block written.
const ALL_WRITTEN: u64 = (1 << BLOCK) - 1;
/// The senders have let go of the block (`released_at` is set).
const RELEASED: u64 = 1 << BLOCK;

/// The receiver's states (`Tx::state`).
const AWAKE: u8 = 0;
const SLEEPING: u8 = 1;
const WAKING: u8 = 2;

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

/// The receiver's own state.
struct Rx<T> {
    /// The block holding `pos` (null before the first message).
    block: *mut Block<T>,
    /// The oldest block not yet recycled.
    oldest: *mut Block<T>,
    /// The next position to read.
    pos: Pos,
    /// Recycled blocks, linked through `next`, not yet offered to the senders.
    kept: *mut Block<T>,
    kept_count: u32,
    /// Values taken since the receiver last asked (`take_streak`), up to `u32::MAX`.
    streak: u32,
}

/// A multi-producer, single-consumer queue; see the module documentation.
///
/// The senders' fields come first and the receiver's last, far enough apart that the receiver's
/// writes (its position, for every message it takes) never land on a line the senders use for
/// every message, and the senders' writes never land on a line the receiver reads for every
/// message, wherever the queue sits: a line shared with what the other side writes costs a cache
/// miss per message. (The rarely used fields, touched once per block, may share a line with
/// either side.)
/// A gap keeps them apart rather than an alignment of the queue, since an aligned allocation per
/// actor cost memory and time (BENCHMARKS.md). The gap is the owner's `attic`: cold data, written
/// once and read rarely, that would otherwise take room of its own (an actor's cell keeps its
/// parent there); 24 bytes keep the two sides apart. The fields before the queue (in the mailbox and
/// the actor's cell) are the senders' to read: the receiver reads the mailbox's `plain` flag,
/// after the queue, instead. `message_loop.rs` checks the distances for the whole cell.
#[repr(C)]
pub(crate) struct Queue<T, C = Gap> {
    tx: Tx<T>,
    attic: C,
    /// `Rx::pos`, for `len`.
    head: AtomicU64,
    rx: UnsafeCell<Rx<T>>,
}

/// The attic of a queue whose owner keeps nothing there: the distance alone.
pub(crate) type Gap = [usize; 3];

/// The senders' side: the fields a send writes, then the rarely used ones.
#[repr(C)]
struct Tx<T> {
    tail: AtomicU64,
    /// A hint: a block at or before the block of every position not yet written.
    tail_block: AtomicPtr<Block<T>>,
    /// `AWAKE`, `SLEEPING` (the receiver announced it sleeps) or `WAKING` (a sender is taking
    /// its waker).
    state: AtomicU8,
    /// The first block ever linked.
    first: AtomicPtr<Block<T>>,
    /// A chain of recycled blocks offered by the receiver to the next sender that needs one.
    spare: AtomicPtr<Block<T>>,
    /// The receiver's waker: written by the receiver only while `AWAKE` and no sender reads it;
    /// read by the one sender that moved the state from `SLEEPING` to `WAKING`.
    waker: UnsafeCell<Option<Waker>>,
}

/// Where, within a queue, the fields a send writes end, and the receiver's begin.
#[cfg(test)]
pub(crate) const SENDERS_END: usize =
    std::mem::offset_of!(Queue<()>, tx) + std::mem::offset_of!(Tx<()>, state) + 1;
#[cfg(test)]
pub(crate) const RECEIVER_START: usize = std::mem::offset_of!(Queue<()>, head);

/// The first offset surely on a later cache line than the byte at `end - 1`, in a struct that
/// starts on a multiple of 16 (as every allocation does): that line ends at most this far away.
#[cfg(test)]
pub(crate) const fn next_line_after(end: usize) -> usize {
    end + 63 - (end - 1) % 16
}

// SAFETY: values of `T` move from the senders' threads to the receiver's, hence `T: Send`. The
// raw pointers are to blocks owned by the queue; the receiver's state is only touched by the
// single receiver (a contract of the `unsafe` receiver methods).
unsafe impl<T: Send, C: Send> Send for Queue<T, C> {}
// SAFETY: as above; the senders' side is made of atomics, and the attic is shared only as `&C`.
unsafe impl<T: Send, C: Sync> Sync for Queue<T, C> {}

#[cfg(test)]
impl<T> Queue<T> {
    pub(crate) fn new() -> Self {
        Self::with_attic([0; 3])
    }
}

impl<T, C> Queue<T, C> {
    pub(crate) fn with_attic(attic: C) -> Self {
        Queue {
            tx: Tx {
                tail: AtomicU64::new(0),
                tail_block: AtomicPtr::new(ptr::null_mut()),
                state: AtomicU8::new(AWAKE),
                first: AtomicPtr::new(ptr::null_mut()),
                spare: AtomicPtr::new(ptr::null_mut()),
                waker: UnsafeCell::new(None),
            },
            attic,
            head: AtomicU64::new(0),
            rx: UnsafeCell::new(Rx {
                block: ptr::null_mut(),
                oldest: ptr::null_mut(),
                pos: 0,
                kept: ptr::null_mut(),
                kept_count: 0,
                streak: 0,
            }),
        }
    }

    /// A queue whose next position is `pos`, as if `pos` values had passed through it (the
    /// tests of positions past 32 bits).
    #[cfg(test)]
    fn starting_at(pos: Pos, attic: C) -> Self {
        let queue = Self::with_attic(attic);
        let offset = offset_of(pos);
        let first = Block::alloc(pos - offset as Pos);
        // SAFETY: not shared yet. The places before `pos` count as written and read.
        let b = unsafe { &*first };
        b.ready.store((1 << offset) - 1, Ordering::Relaxed);
        queue.tx.first.store(first, Ordering::Relaxed);
        queue.tx.tail.store(pos * STEP, Ordering::Relaxed);
        queue.head.store(pos, Ordering::Relaxed);
        queue.rx.with_mut(|rx| unsafe { (*rx).pos = pos });
        queue
    }

    /// Whether the receiver has closed the queue.
    pub(crate) fn is_closed(&self) -> bool {
        self.tx.tail.load(Ordering::Acquire) & CLOSED != 0
    }

    /// How many values wait (an estimate while values move).
    /// The owner's cold data, kept in the gap between the two sides.
    #[inline]
    pub(crate) fn attic(&self) -> &C {
        &self.attic
    }

    pub(crate) fn len(&self) -> usize {
        let tail = self.tx.tail.load(Ordering::Acquire);
        if tail & CLOSED != 0 {
            return 0;
        }
        let waiting = (tail / STEP).saturating_sub(self.head.load(Ordering::Relaxed));
        usize::try_from(waiting).unwrap_or(usize::MAX)
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
        // Acquire: synchronizes with the sender that last moved `tail_block` (see `block_for`).
        let tail = self.tx.tail.fetch_add(STEP, Ordering::Acquire);
        if tail & CLOSED != 0 {
            return Err(value);
        }
        let pos = tail / STEP;
        // SAFETY: no block at or after the tail block is recycled before this claim is written.
        let block = unsafe { &*self.block_for(pos) };
        let unwritten = Unwritten {
            block,
            offset: offset_of(pos),
            filler,
        };
        let value = make(value);
        std::mem::forget(unwritten);
        // SAFETY: `pos` was claimed by this call alone.
        unsafe { block.write(offset_of(pos), value) };
        sync::handshake();
        if self.tx.state.load(Ordering::SeqCst) == SLEEPING {
            self.wake();
        }
        Ok(())
    }

    /// Wakes the receiver, which announced that it sleeps (unless another sender does).
    #[cold]
    fn wake(&self) {
        if !self.move_state(SLEEPING, WAKING, Ordering::Acquire) {
            return;
        }
        /// Hands the state back, even if cloning the waker panics.
        struct Awake<'a>(&'a AtomicU8);
        impl Drop for Awake<'_> {
            fn drop(&mut self) {
                self.0.store(AWAKE, Ordering::Release);
            }
        }
        let awake = Awake(&self.tx.state);
        // SAFETY: in `WAKING`, this sender alone reads the waker and the receiver does not write
        // it; the acquire above saw the receiver's write made before it announced `SLEEPING`.
        // Cloned (a reference count) so that the state is handed back at once: the receiver,
        // woken on another core, must not find a sender still in `WAKING` when it next sleeps.
        let waker = self.tx.waker.with(|waker| unsafe { (*waker).clone() });
        drop(awake);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Moves the receiver's state from `from` to `to` if it is `from`; whether it did.
    #[inline]
    fn move_state(&self, from: u8, to: u8, success: Ordering) -> bool {
        self.tx
            .state
            .compare_exchange(from, to, success, Ordering::Relaxed)
            .is_ok()
    }

    /// The block of position `pos`, linking blocks as needed.
    #[inline]
    fn block_for(&self, pos: Pos) -> *mut Block<T> {
        let start = pos - offset_of(pos) as Pos;
        let mut block = self.tx.tail_block.load(Ordering::Acquire);
        if block.is_null() {
            block = self.first_block();
        }
        let mut advance = true;
        loop {
            // SAFETY: no block at or after the tail block this sender saw is recycled before
            // this sender's slot is written (module docs).
            let b = unsafe { &*block };
            let b_start = b.start();
            if b_start == start {
                return block;
            }
            debug_assert!(
                b_start < start,
                "the tail block is never past a claimed position"
            );
            let mut next = b.next.load(Ordering::Acquire);
            if next.is_null() {
                next = self.grow(b, b_start);
            }
            // Move the hint past a block every slot of which is written: no sender needs it.
            advance = advance && b.ready.load(Ordering::Acquire) & ALL_WRITTEN == ALL_WRITTEN;
            if advance {
                if self
                    .tx
                    .tail_block
                    .compare_exchange(block, next, Ordering::Release, Ordering::Relaxed)
                    .is_ok()
                {
                    // A read-modify-write, so that every later claim synchronizes with it.
                    let seen = self.tx.tail.fetch_add(0, Ordering::Release) / STEP;
                    b.released_at.store(seen, Ordering::Relaxed);
                    b.ready.fetch_or(RELEASED, Ordering::Release);
                } else {
                    advance = false;
                }
            }
            block = next;
        }
    }

    /// Links the first block (or finds the one another sender linked).
    #[cold]
    fn first_block(&self) -> *mut Block<T> {
        let mut first = self.tx.first.load(Ordering::Acquire);
        if first.is_null() {
            let fresh = Block::alloc(0);
            match self.tx.first.compare_exchange(
                ptr::null_mut(),
                fresh,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => first = fresh,
                Err(linked) => {
                    // SAFETY: never shared.
                    unsafe { Block::free(fresh) };
                    first = linked;
                }
            }
        }
        let _ = self.tx.tail_block.compare_exchange(
            ptr::null_mut(),
            first,
            Ordering::Release,
            Ordering::Relaxed,
        );
        first
    }

    /// Links a block after `b` (whose start is `b_start`): the chain of spare blocks when the
    /// receiver offers one, a new block otherwise. Returns the block after `b`.
    fn grow(&self, b: &Block<T>, b_start: Pos) -> *mut Block<T> {
        let mut chain = self.tx.spare.swap(ptr::null_mut(), Ordering::Acquire);
        if chain.is_null() {
            chain = Block::alloc(b_start + BLOCK as Pos);
        } else {
            // SAFETY: the chain is this sender's alone until it is linked.
            let mut link = chain;
            let mut start = b_start + BLOCK as Pos;
            while !link.is_null() {
                let l = unsafe { &*link };
                l.start.store(start, Ordering::Relaxed);
                start += BLOCK as Pos;
                link = l.next.load(Ordering::Relaxed);
            }
        }
        match b
            .next
            .compare_exchange(ptr::null_mut(), chain, Ordering::SeqCst, Ordering::Acquire)
        {
            Ok(_) => chain,
            Err(linked) => {
                // Another sender linked one first: offer ours back, or free it.
                if let Err(_offered) = self.tx.spare.compare_exchange(
                    ptr::null_mut(),
                    chain,
                    Ordering::Release,
                    Ordering::Relaxed,
                ) {
                    // SAFETY: never linked, so never shared.
                    unsafe { free_chain(chain) };
                }
                linked
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
        unsafe { self.take(false) }
    }

    /// Takes the next value, if it has been written, looking at the ready bits of the block
    /// rather than the slot's flag: the receiver's half of the handshake (after `sleep`).
    ///
    /// # Safety
    /// As for [`pop`](Self::pop).
    pub(crate) unsafe fn pop_after_sleep(&self) -> Option<T> {
        // SAFETY: the caller's contract.
        unsafe { self.take(true) }
    }

    #[inline(always)]
    unsafe fn take(&self, handshake: bool) -> Option<T> {
        // SAFETY: the receiver's state is the receiver's alone (the caller's contract).
        self.rx
            .with_mut(|rx| unsafe { self.take_from(&mut *rx, handshake) })
    }

    /// The body of `take`, a function of its own so that it inlines (the closure did not always).
    ///
    /// # Safety
    /// As for [`pop`](Self::pop); `rx` is the queue's receiver state.
    #[inline(always)]
    unsafe fn take_from(&self, rx: &mut Rx<T>, handshake: bool) -> Option<T> {
        if rx.block.is_null() {
            let first = self.tx.first.load(Ordering::SeqCst);
            if first.is_null() {
                return None;
            }
            rx.block = first;
            rx.oldest = first;
        }
        let offset = offset_of(rx.pos);
        // SAFETY: blocks from `rx.oldest` on are only recycled by the receiver itself.
        let mut b = unsafe { &*rx.block };
        if b.start() != rx.pos - offset as Pos {
            let next = b.next.load(Ordering::SeqCst);
            if next.is_null() {
                return None;
            }
            rx.block = next;
            // SAFETY: as above.
            b = unsafe { &*next };
            // SAFETY: the receiver's own call.
            unsafe { self.recycle(rx) };
        }
        let slot = &b.slots[offset];
        let written = if handshake {
            b.ready.load(Ordering::SeqCst) & (1 << offset) != 0
        } else {
            slot.full.load(Ordering::Acquire)
        };
        if !written {
            return None;
        }
        // SAFETY: the flag says the slot was written (acquire: with its value), and
        // positions are read once.
        let value = slot.value.with_mut(|v| unsafe { (*v).assume_init_read() });
        slot.full.store(false, Ordering::Relaxed);
        rx.pos += 1;
        rx.streak = rx.streak.saturating_add(1);
        self.head.store(rx.pos, Ordering::Relaxed);
        Some(value)
    }

    /// Recycles the blocks the senders have let go of and the receiver has read.
    ///
    /// # Safety
    /// The receiver's own call, with its state.
    #[inline(never)]
    unsafe fn recycle(&self, rx: &mut Rx<T>) {
        while rx.oldest != rx.block {
            // SAFETY: not recycled yet.
            let b = unsafe { &*rx.oldest };
            if b.ready.load(Ordering::Acquire) & RELEASED == 0
                || b.released_at.load(Ordering::Relaxed) > rx.pos
            {
                break;
            }
            let done = rx.oldest;
            rx.oldest = b.next.load(Ordering::Acquire);
            if rx.kept_count < KEEP_BLOCKS {
                b.reset();
                b.next.store(rx.kept, Ordering::Relaxed);
                rx.kept = done;
                rx.kept_count += 1;
            } else {
                // SAFETY: no sender can reach it any more, and its values were all read.
                unsafe { Block::free(done) };
            }
        }
        // Offer the kept blocks to the senders when they have taken the last offer.
        if !rx.kept.is_null() && self.tx.spare.load(Ordering::Relaxed).is_null() {
            let kept = rx.kept;
            if self
                .tx
                .spare
                .compare_exchange(ptr::null_mut(), kept, Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                rx.kept = ptr::null_mut();
                rx.kept_count = 0;
            }
        }
    }

    /// Gathers the kept blocks and the senders' untaken offer into one offer of at most
    /// `KEEP_BLOCKS` blocks, so that the next burst finds them all (the receiver is going idle).
    ///
    /// # Safety
    /// The receiver's own call, with its state.
    unsafe fn offer_all(&self, rx: &mut Rx<T>) {
        if rx.kept.is_null() {
            return;
        }
        let mut chain = self.tx.spare.swap(ptr::null_mut(), Ordering::Acquire);
        // Append the untaken offer to the kept blocks, up to the limit; free the rest.
        let mut last = rx.kept;
        // SAFETY: kept blocks are the receiver's; the offer taken back is too.
        unsafe {
            while !(*last).next.load(Ordering::Relaxed).is_null() {
                last = (*last).next.load(Ordering::Relaxed);
            }
            let mut count = rx.kept_count;
            while !chain.is_null() && count < KEEP_BLOCKS {
                let next = (*chain).next.load(Ordering::Relaxed);
                (*chain).next.store(ptr::null_mut(), Ordering::Relaxed);
                (*last).next.store(chain, Ordering::Relaxed);
                last = chain;
                chain = next;
                count += 1;
            }
            free_chain(chain);
        }
        if self
            .tx
            .spare
            .compare_exchange(
                ptr::null_mut(),
                rx.kept,
                Ordering::Release,
                Ordering::Relaxed,
            )
            .is_ok()
        {
            rx.kept = ptr::null_mut();
            rx.kept_count = 0;
        } else {
            // A sender put a block back meanwhile: keep ours for the next offer.
            let mut count = 0;
            let mut link = rx.kept;
            // SAFETY: the receiver's own blocks.
            while !link.is_null() {
                count += 1;
                link = unsafe { (*link).next.load(Ordering::Relaxed) };
            }
            rx.kept_count = count;
        }
    }

    /// Announces that the receiver is about to sleep, once it found the queue empty: `waker`
    /// is stored for the senders, and every push that completes after this wakes it (once).
    /// The receiver must then look once more (`pop_after_sleep`) for a value written before.
    ///
    /// # Safety
    /// The receiver's own call.
    pub(crate) unsafe fn sleep(&self, waker: &Waker) {
        // SAFETY: the receiver's own call.
        self.rx.with_mut(|rx| unsafe { self.offer_all(&mut *rx) });
        // SAFETY: only the receiver writes the waker, so its own read races with nothing.
        let same = self
            .tx
            .waker
            .with(|w| unsafe { (*w).as_ref().is_some_and(|w| w.will_wake(waker)) });
        if !same {
            // SAFETY: the receiver owns the waker once the state is `AWAKE`.
            unsafe { self.own_waker(|w| *w = Some(waker.clone())) };
        }
        // Sequentially consistent, as is the look at the ready bits that follows (module docs).
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
            match self.tx.state.load(Ordering::Acquire) {
                AWAKE => break,
                SLEEPING if self.move_state(SLEEPING, AWAKE, Ordering::Acquire) => break,
                SLEEPING => {}
                // A sender is calling the waker: it hands the state back at once.
                _ => sync::pause(),
            }
        }
        self.tx.waker.with_mut(f);
    }

    /// How many values the receiver has taken since it last asked; asking starts a new count.
    ///
    /// # Safety
    /// The receiver's own call.
    pub(crate) unsafe fn take_streak(&self) -> u32 {
        // SAFETY: the receiver's state, by the receiver.
        self.rx
            .with_mut(|rx| unsafe { std::mem::take(&mut (*rx).streak) })
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
        let tail = self.tx.tail.fetch_or(CLOSED, Ordering::AcqRel);
        let mut rest = Vec::new();
        if tail & CLOSED != 0 {
            return rest;
        }
        let end = tail / STEP;
        // SAFETY: the receiver's state, read by the receiver.
        while self.rx.with_mut(|rx| unsafe { (*rx).pos }) < end {
            // SAFETY: the receiver's own call.
            match unsafe { self.pop() } {
                Some(value) => rest.push(value),
                // A sender claimed this position before the close and is still writing it.
                None => sync::pause(),
            }
        }
        // SAFETY: the receiver's own call. Dropping the waker lets go of the receiving task.
        unsafe { self.own_waker(|w| drop((*w).take())) };
        // Every claim is written, so no sender touches a block any more: free them all.
        self.rx.with_mut(|rx| {
            // SAFETY: the receiver's state, and blocks nobody reaches any more.
            unsafe { (*rx).free_all(self) };
        });
        rest
    }
}

impl<T> Rx<T> {
    /// Frees every block, dropping the values not yet read.
    ///
    /// # Safety
    /// No sender uses a block any more.
    unsafe fn free_all<C>(&mut self, queue: &Queue<T, C>) {
        let mut link = if self.oldest.is_null() {
            queue.tx.first.load(Ordering::Acquire)
        } else {
            self.oldest
        };
        while !link.is_null() {
            // SAFETY: linked blocks, owned by the queue.
            let b = unsafe { &*link };
            let next = b.next.load(Ordering::Acquire);
            for slot in &b.slots {
                if slot.full.load(Ordering::Acquire) {
                    // SAFETY: written and never read (the receiver clears the flag as it reads).
                    slot.value.with_mut(|v| unsafe { (*v).assume_init_drop() });
                }
            }
            // SAFETY: its values are dropped or were read.
            unsafe { Block::free(link) };
            link = next;
        }
        // SAFETY: recycled blocks hold no values.
        unsafe {
            free_chain(self.kept);
            free_chain(queue.tx.spare.swap(ptr::null_mut(), Ordering::Acquire));
        }
        self.block = ptr::null_mut();
        self.oldest = ptr::null_mut();
        self.kept = ptr::null_mut();
        self.kept_count = 0;
        queue.tx.first.store(ptr::null_mut(), Ordering::Release);
        queue
            .tx
            .tail_block
            .store(ptr::null_mut(), Ordering::Release);
    }
}

impl<T, C> Drop for Queue<T, C> {
    fn drop(&mut self) {
        // Nobody else holds the queue: values not taken are dropped with their blocks.
        self.rx.with_mut(|rx| {
            // SAFETY: exclusive access.
            unsafe { (*rx).free_all(self) };
        });
    }
}
