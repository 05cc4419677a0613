//! A queue's core: its positions and its chain of blocks, allocated with the first value (an
//! actor that never receives a message never has one), in one allocation with its small first
//! block (a block whose `base` is null: it is freed with the core, not on its own, and never
//! reused as a full block). The senders' side
//! claims positions and links blocks; the receiver's side reads them in order and recycles
//! finished blocks.

use std::alloc::Layout;
use std::ptr;

use super::block::{free_chain, number_from, Block, Unwritten, FIRST};
use super::sync::{AtomicPtr, AtomicU64, Ordering, UnsafeCell};
use super::{offset_of, Pos, BLOCK, CLOSED, KEEP_BLOCKS, STEP};

/// The core, laid out in order: the senders' fields, a gap, the receiver's.
///
/// The gap keeps the receiver's writes (its position, for every message it takes) off the line
/// of the tail, which every send writes, wherever the allocation starts (a line shared with what
/// the other side writes costs a cache miss per message); `tests.rs` checks the distance. A gap
/// rather than an alignment of the core, since an aligned allocation costs ten times a plain one
/// (see `block.rs`).
#[repr(C)]
pub(super) struct Core<T> {
    pub(super) tx: Tx<T>,
    _gap: [u64; 5],
    /// `Rx::pos`, for `len`.
    pub(super) head: AtomicU64,
    pub(super) rx: UnsafeCell<Rx<T>>,
}

/// The senders' side: the tail, which every send writes, the hint every send reads, then the
/// spare blocks the receiver hands back once per block.
#[repr(C)]
pub(super) struct Tx<T> {
    /// The next position to claim, in steps of [`STEP`], with the [`CLOSED`] bit.
    pub(super) tail: AtomicU64,
    /// A hint: a block at or before the block of every position not yet written (null once
    /// the receiver has freed every block).
    pub(super) tail_block: AtomicPtr<Block<T>>,
    /// A stack of recycled blocks, linked through `next`: the receiver pushes each block it
    /// has finished with (up to [`KEEP_BLOCKS`] on the stack, counted in the top block's
    /// `chain`); the next sender that needs a block takes the whole stack. Only the receiver
    /// pushes and only the receiver frees blocks, so the receiver's push meets no ABA.
    pub(super) spare: AtomicPtr<Block<T>>,
}

/// What a receiver that announced it sleeps finds when it looks once more
/// ([`Core::look_after_sleep`]).
pub(crate) enum Look<T> {
    /// No sender has claimed its next position: any that does wakes it.
    Nothing,
    /// The next value, written meanwhile.
    Took(T),
    /// A sender has claimed its next position and is still writing it, and may not have seen
    /// that the receiver sleeps: the receiver must look again soon rather than wait for a wake-up.
    Claimed,
}

/// The receiver's own state.
pub(super) struct Rx<T> {
    /// The block holding `pos` (null once every block is freed).
    pub(super) block: *mut Block<T>,
    /// That block's first position, kept here so that taking a value reads no line but its
    /// slot's (the block's header was read per message, and a sender writing it then waited).
    pub(super) start: Pos,
    /// The oldest block not yet recycled.
    pub(super) oldest: *mut Block<T>,
    /// The next position to read.
    pub(super) pos: Pos,
    /// Values taken since the receiver last ran dry (`lingers`), up to `u32::MAX`.
    pub(super) streak: u32,
    /// The count of actor polls on the receiver's thread (`mailbox::count_poll`) when it last
    /// looked at it (`lingers`).
    pub(super) polls: u32,
    /// The streak after which the receiver lingers (`mailbox::STREAK`), decided the first time it
    /// runs dry (`lingers`); 0 before. Kept here rather than in the actor's task, where its four
    /// bytes took an idle actor's task past a 128-byte step of tokio's (489 -> 617 B per idle
    /// actor).
    pub(super) linger_after: u32,
}

/// Where, within a core, the fields every send writes or reads end, and the receiver's begin.
#[cfg(all(test, not(thespian_loom), target_pointer_width = "64"))]
pub(super) const SENDERS_END: usize =
    std::mem::offset_of!(Core<()>, tx) + std::mem::offset_of!(Tx<()>, tail_block) + 8;
#[cfg(all(test, not(thespian_loom), target_pointer_width = "64"))]
pub(super) const RECEIVER_START: usize = std::mem::offset_of!(Core<()>, head);

impl<T> Core<T> {
    /// The allocation under a core: the core, then room for its first block (one allocation
    /// instead of two). Returns the layout and where the block's room begins (aligned to 16, as
    /// `init_in` asks).
    pub(super) fn layout() -> (Layout, usize) {
        let room =
            Layout::from_size_align(Block::<T>::room(FIRST), 16).expect("a block's room is valid");
        Layout::new::<Core<T>>()
            .align_to(16)
            .and_then(|core| core.extend(room))
            .expect("a core's layout is valid")
    }

    /// A core whose next position is the first at or after `pos` that its small first block
    /// has a slot for (one of the last [`FIRST`] offsets of a block), with that block linked,
    /// allocated together; [`Core::free`] frees them.
    pub(super) fn alloc(pos: Pos) -> *mut Core<T> {
        let pos = pos.max(pos - offset_of(pos) as Pos + (BLOCK - FIRST) as Pos);
        let (layout, room) = Self::layout();
        // SAFETY: the layout has a non-zero size.
        let core = unsafe { std::alloc::alloc(layout) }.cast::<Core<T>>();
        if core.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        let offset = offset_of(pos);
        // SAFETY: the room after the core, 16-aligned, holds a block (see `layout`); null as the
        // block's base: it is freed with the core.
        let first = unsafe {
            Block::init_in(
                core.cast::<u8>().add(room),
                ptr::null_mut(),
                pos - offset as Pos,
                FIRST,
            )
        };
        // SAFETY: `core` is aligned and ours.
        unsafe { core.write(Self::with_first(first, pos)) };
        core
    }

    /// Drops the core (its values, its blocks) and frees its allocation.
    ///
    /// # Safety
    /// `core` came from [`Core::alloc`] and nobody else uses it.
    pub(super) unsafe fn free(core: *mut Core<T>) {
        // SAFETY: the caller's contract.
        unsafe {
            ptr::drop_in_place(core);
            std::alloc::dealloc(core.cast(), Self::layout().0);
        }
    }

    /// The core's fields, with `first` the block of position `pos`.
    fn with_first(first: *mut Block<T>, pos: Pos) -> Self {
        let start = pos - offset_of(pos) as Pos;
        // The places of the block before `pos` count as written and read.
        for at in start + (BLOCK - FIRST) as Pos..pos {
            // SAFETY: not shared yet; `at` has a slot in the block (`alloc` chose `pos`).
            let slot = unsafe { Block::slot(first, offset_of(at)) };
            slot.stamp.store(at + 1, Ordering::Relaxed);
        }
        Core {
            tx: Tx {
                tail: AtomicU64::new(pos * STEP),
                tail_block: AtomicPtr::new(first),
                spare: AtomicPtr::new(ptr::null_mut()),
            },
            _gap: [0; 5],
            head: AtomicU64::new(pos),
            rx: UnsafeCell::new(Rx {
                block: first,
                start,
                oldest: first,
                pos,
                streak: 0,
                polls: 0,
                linger_after: 0,
            }),
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        self.tx.tail.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Whether the receiver has closed the core (and so freed its blocks).
    ///
    /// # Safety
    /// The receiver's own call.
    pub(super) unsafe fn is_freed(&self) -> bool {
        // SAFETY: the receiver's state, read by the receiver.
        self.rx.with_mut(|rx| unsafe { (*rx).block.is_null() })
    }

    /// How many values wait (an estimate while values move).
    pub(super) fn len(&self) -> usize {
        let tail = self.tx.tail.load(Ordering::Acquire);
        if tail & CLOSED != 0 {
            return 0;
        }
        let waiting = (tail / STEP).saturating_sub(self.head.load(Ordering::Relaxed));
        usize::try_from(waiting).unwrap_or(usize::MAX)
    }

    /// Claims a position and writes `make(value)` there, or hands `value` back if the core is
    /// closed. If `make` panics, the place gets `filler()` (see `Unwritten`).
    #[inline(always)]
    pub(super) fn push_with<V>(
        &self,
        value: V,
        make: impl FnOnce(V) -> T,
        filler: Option<fn() -> T>,
    ) -> Result<(), V> {
        // Acquire: synchronizes with the sender that last moved `tail_block` (see `block_for`).
        // Sequentially consistent: the claim is the sender's half of the handshake with a
        // receiver going to sleep (module docs); on x86 the same locked add either way.
        let tail = self.tx.tail.fetch_add(STEP, Ordering::SeqCst);
        if tail & CLOSED != 0 {
            return Err(value);
        }
        let pos = tail / STEP;
        // No block at or after the tail block is recycled before this claim is written.
        let block = self.block_for(pos);
        let unwritten = Unwritten { block, pos, filler };
        let value = make(value);
        std::mem::forget(unwritten);
        // SAFETY: `pos` was claimed by this call alone, in `block`, which lives until it is
        // written.
        unsafe { Block::write(block, pos, value) };
        Ok(())
    }

    /// The block of position `pos`, linking blocks as needed.
    #[inline]
    fn block_for(&self, pos: Pos) -> *mut Block<T> {
        let start = pos - offset_of(pos) as Pos;
        let mut block = self.tx.tail_block.load(Ordering::Acquire);
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
            // SAFETY: as above.
            advance = advance && unsafe { Block::all_written(block) };
            if advance {
                if self
                    .tx
                    .tail_block
                    .compare_exchange(block, next, Ordering::Release, Ordering::Relaxed)
                    .is_ok()
                {
                    // A read-modify-write, so that every later claim synchronizes with it.
                    let seen = self.tx.tail.fetch_add(0, Ordering::Release) / STEP;
                    b.released_at.store(seen + 1, Ordering::Release);
                } else {
                    advance = false;
                }
            }
            block = next;
        }
    }

    /// Links a block after `b` (whose start is `b_start`): the stack of spare blocks when the
    /// receiver has handed some back, a new block otherwise. Returns the block after `b`.
    fn grow(&self, b: &Block<T>, b_start: Pos) -> *mut Block<T> {
        let mut chain = self.tx.spare.swap(ptr::null_mut(), Ordering::Acquire);
        if chain.is_null() {
            chain = Block::alloc(b_start + BLOCK as Pos);
        } else {
            // SAFETY: the chain is this sender's alone until it is linked.
            unsafe { number_from(chain, b_start + BLOCK as Pos) };
        }
        let mut at = b;
        loop {
            match at.next.compare_exchange(
                ptr::null_mut(),
                chain,
                Ordering::Release,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(linked) => {
                    // Another sender linked a block first: ours goes at the end of the list,
                    // for later positions (blocks are freed by the receiver alone). Nothing from
                    // `b` on is recycled while this sender's claim is unwritten.
                    // SAFETY: as said.
                    at = unsafe { &*linked };
                    // SAFETY: still ours alone.
                    unsafe { number_from(chain, at.start() + BLOCK as Pos) };
                }
            }
        }
        b.next.load(Ordering::Acquire)
    }

    /// Takes the next value if it has been written, as its slot's stamp says.
    ///
    /// # Safety
    /// Only the receiver calls this (and the other receiver methods), never two at once.
    #[inline(always)]
    pub(super) unsafe fn take(&self) -> Option<T> {
        // SAFETY: the receiver's state is the receiver's alone (the caller's contract).
        self.rx.with_mut(|rx| unsafe { self.take_from(&mut *rx) })
    }

    /// The receiver's half of the handshake, after it announced that it sleeps: whether a
    /// sender has claimed its next position, read sequentially consistent (module docs); and if
    /// so, the value, if it is written already.
    ///
    /// # Safety
    /// As for [`take`](Self::take).
    pub(super) unsafe fn look_after_sleep(&self) -> Look<T> {
        let claimed = self.tx.tail.load(Ordering::SeqCst) / STEP;
        // SAFETY: the receiver's state is the receiver's alone (the caller's contract).
        self.rx.with_mut(|rx| unsafe {
            // A closed core (blocks freed) has nothing to take, though the claims it refused
            // still moved its tail.
            if (*rx).block.is_null() || claimed <= (*rx).pos {
                return Look::Nothing;
            }
            match self.take_from(&mut *rx) {
                Some(value) => Look::Took(value),
                None => Look::Claimed,
            }
        })
    }

    /// The body of `take`, a function of its own so that it inlines (the closure did not always).
    ///
    /// # Safety
    /// As for [`take`](Self::take); `rx` is the core's receiver state.
    #[inline(always)]
    unsafe fn take_from(&self, rx: &mut Rx<T>) -> Option<T> {
        if rx.block.is_null() {
            // Every block was freed: the queue is closed.
            return None;
        }
        let offset = offset_of(rx.pos);
        // SAFETY: blocks from `rx.oldest` on are only recycled by the receiver itself.
        let mut b = unsafe { &*rx.block };
        if rx.start != rx.pos - offset as Pos {
            let next = b.next.load(Ordering::Acquire);
            if next.is_null() {
                return None;
            }
            rx.block = next;
            // SAFETY: as above.
            b = unsafe { &*next };
            rx.start = b.start();
            debug_assert_eq!(rx.start, rx.pos - offset as Pos, "blocks follow in order");
            // SAFETY: the receiver's own call.
            unsafe { self.recycle(rx) };
        }
        // SAFETY: as above; the receiver's position has a slot in its block.
        let slot = unsafe { Block::slot(rx.block, offset) };
        if !slot.holds(rx.pos) {
            return None;
        }
        // SAFETY: the stamp says the slot was written (acquire: with its value),
        // and positions are read once.
        let value = slot.value.with_mut(|v| unsafe { (*v).assume_init_read() });
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
            // Acquire: the release by the sender that moved `tail_block` past it.
            let released_at = b.released_at.load(Ordering::Acquire);
            if released_at == 0 || released_at - 1 > rx.pos {
                break;
            }
            let done = rx.oldest;
            rx.oldest = b.next.load(Ordering::Acquire);
            // SAFETY: no sender can reach it any more, and its values were all read.
            unsafe { self.hand_back(done) };
        }
    }

    /// Pushes a finished block on the stack of spare blocks, or frees it when the stack holds
    /// [`KEEP_BLOCKS`] already.
    ///
    /// # Safety
    /// The receiver's own call; nobody else reaches `done`, which holds no values.
    unsafe fn hand_back(&self, done: *mut Block<T>) {
        // SAFETY: the caller's contract.
        let b = unsafe { &*done };
        if b.is_first() {
            // Too small to reuse: it lives on, unused, in the core's allocation.
            // SAFETY: the caller's contract; it holds no values.
            unsafe { Block::free(done) };
            return;
        }
        b.reset();
        let mut top = self.tx.spare.load(Ordering::Acquire);
        loop {
            // The count is the receiver's own write: `top` is a block it pushed (taken since,
            // perhaps, but only the receiver frees blocks, so it is there to read).
            let below = match top.is_null() {
                true => 0,
                // SAFETY: as said.
                false => unsafe { (*top).chain.load(Ordering::Relaxed) },
            };
            if below >= u64::from(KEEP_BLOCKS) {
                // SAFETY: the caller's contract.
                unsafe { Block::free(done) };
                return;
            }
            b.next.store(top, Ordering::Relaxed);
            b.chain.store(below + 1, Ordering::Relaxed);
            // Release: the reset block, for the sender that takes the stack.
            match self.tx.spare.compare_exchange_weak(
                top,
                done,
                Ordering::Release,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(now) => top = now,
            }
        }
    }

    /// The receiver ran dry: whether it lingers before sleeping. Takes the streak of values it
    /// took since it last ran dry (starting a new one): none, no; at least the streak after
    /// which it lingers (`decide()` the first time, then kept), yes; otherwise, whether at least
    /// `busy` actor polls ran on its thread since it last looked, `polls()` being this thread's
    /// count (meaningless if the receiver moved to another thread meanwhile: a hint), which it
    /// then records.
    ///
    /// # Safety
    /// The receiver's own call.
    pub(super) unsafe fn lingers(
        &self,
        decide: impl FnOnce() -> u32,
        polls: impl FnOnce() -> u32,
        busy: u32,
    ) -> bool {
        // SAFETY: the receiver's state, by the receiver.
        let rx = self.rx.with_mut(|rx| unsafe { &mut *rx });
        let streak = std::mem::take(&mut rx.streak);
        if streak == 0 {
            return false;
        }
        if rx.linger_after == 0 {
            rx.linger_after = decide().max(1);
        }
        if streak >= rx.linger_after {
            return true;
        }
        let now = polls();
        now.wrapping_sub(std::mem::replace(&mut rx.polls, now)) >= busy
    }

    /// Closes the core: every later claim fails. Returns what was still waiting, in order, and
    /// frees every block.
    ///
    /// # Safety
    /// The receiver's own call.
    pub(super) unsafe fn close(&self) -> Vec<T> {
        let tail = self.tx.tail.fetch_or(CLOSED, Ordering::AcqRel);
        let mut rest = Vec::new();
        if tail & CLOSED != 0 {
            return rest;
        }
        let end = tail / STEP;
        // SAFETY: the receiver's state, read by the receiver.
        while self.rx.with_mut(|rx| unsafe { (*rx).pos }) < end {
            // SAFETY: the receiver's own call.
            match unsafe { self.take() } {
                Some(value) => rest.push(value),
                // A sender claimed this position before the close and is still writing it.
                None => super::sync::pause(),
            }
        }
        // Every claim is written, so no sender touches a block any more: free them all.
        // SAFETY: as said.
        unsafe { self.free_all() };
        rest
    }

    /// Frees every block, dropping the values not yet read.
    ///
    /// # Safety
    /// No sender uses a block any more, and the receiver is not taking.
    unsafe fn free_all(&self) {
        // SAFETY: the caller's contract.
        let rx = self.rx.with_mut(|rx| unsafe { &mut *rx });
        // Values can only wait at claimed positions the receiver has not read: none at all after
        // `close`, which took them out (looking at every slot cost an exiting actor a read of
        // each slot's line).
        let end = self.tx.tail.load(Ordering::Acquire) / STEP;
        let mut link = rx.oldest;
        while !link.is_null() {
            // SAFETY: linked blocks, owned by the core.
            let b = unsafe { &*link };
            let next = b.next.load(Ordering::Acquire);
            let start = b.start();
            for pos in rx.pos.max(start)..end.min(start + BLOCK as Pos) {
                // SAFETY: a linked block, and a position it has a slot for (the queue began at
                // its first).
                let slot = unsafe { Block::slot(link, offset_of(pos)) };
                if slot.holds(pos) {
                    // SAFETY: written (its stamp) and never read (at or after the receiver's
                    // position).
                    slot.value.with_mut(|v| unsafe { (*v).assume_init_drop() });
                }
            }
            // SAFETY: its values are dropped or were read.
            unsafe { Block::free(link) };
            link = next;
        }
        // SAFETY: recycled blocks hold no values.
        unsafe { free_chain(self.tx.spare.swap(ptr::null_mut(), Ordering::Acquire)) };
        rx.block = ptr::null_mut();
        rx.oldest = ptr::null_mut();
        self.tx.tail_block.store(ptr::null_mut(), Ordering::Release);
    }
}

impl<T> Drop for Core<T> {
    fn drop(&mut self) {
        // Nobody else holds the core: values not taken are dropped with their blocks.
        // SAFETY: exclusive access.
        unsafe { self.free_all() };
    }
}
