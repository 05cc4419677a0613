//! A queue's blocks: [`BLOCK`](super::BLOCK) slots each (a core's first block, fewer), after a
//! header on a cache line of its own that is never written per message, allocated unaligned and
//! aligned by hand.

use std::alloc::Layout;
use std::mem::MaybeUninit;
use std::ptr;

use super::sync::{AtomicPtr, AtomicU64, Ordering, UnsafeCell};
use super::{offset_of, Pos, BLOCK};

/// One message's place, with its stamp beside it: a message crosses from the sender's core to
/// the receiver's with the line(s) of its own slot (one line for a 56-byte envelope), and the
/// receiver reads nothing else that every send writes.
pub(super) struct Slot<T> {
    pub(super) value: UnsafeCell<MaybeUninit<T>>,
    /// The position last written here, plus one (0: never written), set by the sender once
    /// `value` is written. A stamp rather than a flag the receiver clears: the receiver only
    /// reads the slot's line, so the next sender to write it does not wait for the line to
    /// come back from the receiver's core (a fan-out to sleeping actors spent most of its
    /// sending there).
    pub(super) stamp: AtomicU64,
}

impl<T> Slot<T> {
    /// Whether the value of position `pos` is written here (acquire: with the value).
    #[inline(always)]
    pub(super) fn holds(&self, pos: Pos) -> bool {
        self.stamp.load(Ordering::Acquire) == pos + 1
    }
}

/// A block's header, on a cache line of its own; its slots follow it in memory (see
/// [`Block::slot`]): [`BLOCK`] of them, or [`FIRST`] for the block a queue's core is allocated
/// with, which covers only the last offsets of its positions (the queue starts there).
///
/// No field of the header is written per message: a header word the senders marked for each
/// written slot (a locked `or`) was read by the receiver each time it went to sleep, so in a
/// fan-out to sleeping actors every send waited for that line to come back from the receiver's
/// core (three quarters of the send's time, `perf annotate`).
///
/// The slots are reached through the block's raw pointer, never through a reference to the
/// header, whose borrow covers the header alone.
#[repr(C, align(64))]
pub(super) struct Block<T> {
    /// The position of offset 0, a multiple of `BLOCK`; set before the block is linked.
    pub(super) start: AtomicU64,
    pub(super) next: AtomicPtr<Block<T>>,
    /// One more than the tail position seen when the senders let go of the block; 0 while
    /// they have not (see `Core::block_for`).
    pub(super) released_at: AtomicU64,
    /// While the block is on its queue's stack of spare blocks: how many blocks the stack
    /// holds from this one down. Written by the receiver only.
    pub(super) chain: AtomicU64,
    /// Where the allocation under the block begins (see `alloc`); null for a block allocated
    /// with its queue's core, which frees it (see `core.rs`).
    base: *mut u8,
    /// The first offset the block has a slot for: 0, or `BLOCK - FIRST` for a core's block.
    first: usize,
    /// Where the slot of offset 0 is, or would be: `first` slots before the first slot the block
    /// has, an address of its allocation (or before it, for a core's block: computed with
    /// wrapping arithmetic, and only offsets the block has a slot for are read through it). One
    /// addition per slot reached, where computing it from `first` made every send 17
    /// instructions longer (callgrind `hop_profile tell`).
    slots: *mut Slot<T>,
}

/// The slots of the block a queue's core is allocated with: a queue's first messages need no
/// more, and the core of an actor that received a few messages stays small (with a whole block
/// in it, it took 1,248 bytes, its allocation and its freeing a quarter of spawning an actor,
/// giving it two messages and stopping it).
#[cfg(not(thespian_loom))]
pub(crate) const FIRST: usize = 4;
/// Under loom, one: the model crosses from the small block to full ones in few steps.
#[cfg(thespian_loom)]
pub(crate) const FIRST: usize = 1;
const _: () = assert!(
    FIRST >= 1 && FIRST <= BLOCK,
    "a first block holds 1 to BLOCK slots"
);

/// The alignment the global allocator gives a plain allocation of this size (with the system
/// allocator: `malloc`'s, 16 bytes on the 64-bit targets tokio runs on).
const PLAIN_ALIGN: usize = 16;

impl<T> Block<T> {
    /// Where the slots begin, from the block's start: after the header, at the slots' alignment.
    pub(super) const SLOTS_AT: usize = {
        let align = std::mem::align_of::<Slot<T>>();
        std::mem::size_of::<Self>().div_ceil(align) * align
    };

    /// The alignment of a block with its slots.
    const ALIGN: usize = {
        let (header, slot) = (
            std::mem::align_of::<Self>(),
            std::mem::align_of::<Slot<T>>(),
        );
        if header > slot {
            header
        } else {
            slot
        }
    };

    /// The allocation under a block of `slots` slots: its size plus room to align it by hand.
    /// An aligned allocation (`posix_memalign` under glibc) cost about 1,000 instructions per
    /// block, ten times a plain one: it was a tenth of creating an actor and giving it a first
    /// message.
    fn layout(slots: usize) -> Layout {
        let size = Self::SLOTS_AT + slots * std::mem::size_of::<Slot<T>>();
        Layout::from_size_align(size + Self::ALIGN - PLAIN_ALIGN, PLAIN_ALIGN)
            .expect("a block's layout is valid")
    }

    /// A full block whose offset 0 is position `start`.
    pub(super) fn alloc(start: Pos) -> *mut Block<T> {
        let layout = Self::layout(BLOCK);
        // SAFETY: the layout has a non-zero size.
        let base = unsafe { std::alloc::alloc(layout) };
        if base.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        // SAFETY: the allocation has room for an aligned block (see `layout`).
        unsafe { Self::init_in(base, base, start, BLOCK) }
    }

    /// Writes a block of the last `slots` offsets at the first aligned address at or after
    /// `at`, and returns it; `base` is what `free` gives back (null: nothing).
    ///
    /// # Safety
    /// `at` is `PLAIN_ALIGN`-aligned and has room for [`Block::room`]`(slots)` bytes, unused.
    pub(super) unsafe fn init_in(
        at: *mut u8,
        base: *mut u8,
        start: Pos,
        slots: usize,
    ) -> *mut Block<T> {
        debug_assert!((1..=BLOCK).contains(&slots));
        // `at` is at least `PLAIN_ALIGN`-aligned, so the offset to the next aligned address is
        // at most `ALIGN - PLAIN_ALIGN`, the room left: the block ends within the allocation.
        let offset = at.align_offset(Self::ALIGN);
        debug_assert!(offset <= Self::ALIGN - PLAIN_ALIGN);
        // SAFETY: `offset` stays within the allocation (above).
        let block = unsafe { at.add(offset) }.cast::<Block<T>>();
        // SAFETY: `block` is aligned and within the allocation, and so are its slots; every
        // field that needs a value gets one (the slots' values stay uninitialized, as
        // `MaybeUninit` allows).
        unsafe {
            let first = block.cast::<u8>().add(Self::SLOTS_AT).cast::<Slot<T>>();
            block.write(Block {
                start: AtomicU64::new(start),
                next: AtomicPtr::new(ptr::null_mut()),
                released_at: AtomicU64::new(0),
                chain: AtomicU64::new(0),
                base,
                first: BLOCK - slots,
                slots: first.wrapping_sub(BLOCK - slots),
            });
            for i in 0..slots {
                first.add(i).write(Slot {
                    value: UnsafeCell::new(MaybeUninit::uninit()),
                    stamp: AtomicU64::new(0),
                });
            }
        }
        block
    }

    /// # Safety
    /// `block` came from [`Block::alloc`] or [`Block::init_in`], nobody else uses it, and its
    /// slots hold no values.
    pub(super) unsafe fn free(block: *mut Block<T>) {
        // SAFETY: the caller's contract; `base` is the allocation `alloc` made with `layout`, or
        // null for a block that its core's allocation holds. The slots' values are gone: only
        // their cells are dropped.
        unsafe {
            let base = (*block).base;
            for offset in (*block).first..BLOCK {
                ptr::drop_in_place(Self::slot_ptr(block, offset));
            }
            ptr::drop_in_place(block);
            if !base.is_null() {
                std::alloc::dealloc(base, Self::layout(BLOCK));
            }
        }
    }

    /// The room a block of `slots` slots takes within a larger allocation (see `init_in`).
    pub(super) fn room(slots: usize) -> usize {
        Self::layout(slots).size()
    }

    /// Whether the block is a core's small one, which is never reused as a full block.
    pub(super) fn is_first(&self) -> bool {
        self.first != 0
    }

    /// The slot of `offset` in the block at `block`.
    ///
    /// # Safety
    /// `block` is a live block (from `alloc` or `init_in`, not freed), reached through a pointer
    /// that derives from its allocation, and `offset` is one it has a slot for (at least its
    /// `first`, below `BLOCK`).
    #[inline(always)]
    pub(super) unsafe fn slot<'a>(block: *const Block<T>, offset: usize) -> &'a Slot<T> {
        // SAFETY: the caller's contract.
        unsafe { &*Self::slot_ptr(block, offset) }
    }

    /// [`Block::slot`] as a pointer. Same contract.
    #[inline(always)]
    unsafe fn slot_ptr(block: *const Block<T>, offset: usize) -> *mut Slot<T> {
        // SAFETY: the caller's contract: the header is live; the slot lies within the block's
        // allocation (the pointer derives from it, see `slots`).
        unsafe {
            debug_assert!(
                (*block).first <= offset && offset < BLOCK,
                "{offset} has no slot here"
            );
            (*block).slots.wrapping_add(offset)
        }
    }

    /// Readies a finished block for reuse (its `next` is set as it goes on the spare stack).
    /// The caller owns it.
    pub(super) fn reset(&self) {
        self.released_at.store(0, Ordering::Relaxed);
    }

    /// Writes the slot of position `pos` (in the block at `block`) and stamps it written.
    ///
    /// # Safety
    /// As for [`Block::slot`]; the caller claimed `pos`: nobody else writes its slot, and the
    /// receiver reads it only once its stamp says so.
    #[inline]
    pub(super) unsafe fn write(block: *const Block<T>, pos: Pos, value: T) {
        // SAFETY: the caller's contract.
        let slot = unsafe { Self::slot(block, offset_of(pos)) };
        // SAFETY: the caller's contract.
        slot.value.with_mut(|v| unsafe { (*v).write(value) });
        // On the line just written. Release only, a plain store on x86: the handshake with a
        // receiver going to sleep is on the claim (module docs), so a sender does not wait here
        // for the line to come from the receiver's core before it goes on.
        slot.stamp.store(pos + 1, Ordering::Release);
    }

    /// Whether every slot of the block at `block` is written (for the block's start; acquire:
    /// with the values). The senders ask once per block, to move `tail_block` (see
    /// `Core::block_for`).
    ///
    /// # Safety
    /// As for [`Block::slot`].
    pub(super) unsafe fn all_written(block: *const Block<T>) -> bool {
        // SAFETY: the caller's contract.
        let (start, first) = unsafe { ((*block).start(), (*block).first) };
        // Last slot first: a block not full yet usually fails at the first look.
        (first..BLOCK)
            .rev()
            // SAFETY: the caller's contract; `offset` has a slot.
            .all(|offset| unsafe { Self::slot(block, offset) }.holds(start + offset as Pos))
    }

    pub(super) fn start(&self) -> Pos {
        // Relaxed: set before the block was published by a release store of its pointer.
        self.start.load(Ordering::Relaxed)
    }
}

/// A claimed slot while its value is being made: if that panics, the slot gets the filler
/// (with none, the receiver would wait for it forever: only infallible makers go without).
pub(super) struct Unwritten<T> {
    pub(super) block: *const Block<T>,
    pub(super) pos: Pos,
    pub(super) filler: Option<fn() -> T>,
}

impl<T> Drop for Unwritten<T> {
    fn drop(&mut self) {
        if let Some(filler) = self.filler {
            // SAFETY: the slot was claimed by the push that is unwinding, and never written; the
            // block lives until it is.
            unsafe { Block::write(self.block, self.pos, filler()) };
        }
    }
}

/// Numbers a chain of blocks from `start`: each block's slot 0 is `BLOCK` positions after the
/// previous one's.
///
/// # Safety
/// The chain is the caller's alone (not linked yet).
pub(super) unsafe fn number_from<T>(mut link: *mut Block<T>, mut start: Pos) {
    while !link.is_null() {
        // SAFETY: the caller's contract.
        let l = unsafe { &*link };
        l.start.store(start, Ordering::Relaxed);
        start += BLOCK as Pos;
        link = l.next.load(Ordering::Relaxed);
    }
}

/// Frees a chain of blocks that hold no values.
///
/// # Safety
/// Nobody else reaches the chain.
pub(super) unsafe fn free_chain<T>(mut link: *mut Block<T>) {
    while !link.is_null() {
        // SAFETY: the caller's contract.
        let next = unsafe { (*link).next.load(Ordering::Relaxed) };
        unsafe { Block::free(link) };
        link = next;
    }
}
