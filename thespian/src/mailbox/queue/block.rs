//! A queue's blocks: [`BLOCK`](super::BLOCK) slots each, after a header on a cache line of its
//! own that is never written per message, allocated unaligned and aligned by hand.

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

/// A block: its header on a cache line of its own, then the slots.
///
/// No field of the header is written per message: a header word the senders marked for each
/// written slot (a locked `or`) was read by the receiver each time it went to sleep, so in a
/// fan-out to sleeping actors every send waited for that line to come back from the receiver's
/// core (three quarters of the send's time, `perf annotate`).
#[repr(C, align(64))]
pub(super) struct Block<T> {
    /// The position of slot 0, a multiple of `BLOCK`; set before the block is linked.
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
    _line: [u64; 3],
    pub(super) slots: [Slot<T>; BLOCK],
}

/// The alignment the global allocator gives a plain allocation of this size (with the system
/// allocator: `malloc`'s, 16 bytes on the 64-bit targets tokio runs on).
const PLAIN_ALIGN: usize = 16;

impl<T> Block<T> {
    /// The allocation under a block: its size plus room to align it by hand. An aligned
    /// allocation (`posix_memalign` under glibc) cost about 1,000 instructions per block, ten
    /// times a plain one: it was a tenth of creating an actor and giving it a first message.
    fn layout() -> Layout {
        let block = Layout::new::<Block<T>>();
        Layout::from_size_align(block.size() + block.align() - PLAIN_ALIGN, PLAIN_ALIGN)
            .expect("a block's layout is valid")
    }

    pub(super) fn alloc(start: Pos) -> *mut Block<T> {
        let layout = Self::layout();
        // SAFETY: the layout has a non-zero size.
        let base = unsafe { std::alloc::alloc(layout) };
        if base.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        // SAFETY: the allocation has room for an aligned block (see `layout`).
        unsafe { Self::init_in(base, base, start) }
    }

    /// Writes a block at the first line boundary at or after `at`, and returns it; `base` is
    /// what `free` gives back (null: nothing).
    ///
    /// # Safety
    /// `at` is `PLAIN_ALIGN`-aligned and has room for a block and `align - PLAIN_ALIGN` bytes
    /// more, unused.
    pub(super) unsafe fn init_in(at: *mut u8, base: *mut u8, start: Pos) -> *mut Block<T> {
        // `at` is at least `PLAIN_ALIGN`-aligned, so the offset to the next line is at most
        // `align - PLAIN_ALIGN`, the room left: the block ends within the allocation.
        let align = std::mem::align_of::<Block<T>>();
        let offset = at.align_offset(align);
        debug_assert!(offset <= align - PLAIN_ALIGN);
        // SAFETY: `offset` stays within the allocation (above).
        let block = unsafe { at.add(offset) }.cast::<Block<T>>();
        // SAFETY: `block` is aligned and within the allocation; every field that needs a value
        // gets one (the slots' values stay uninitialized, as `MaybeUninit` allows).
        unsafe {
            ptr::addr_of_mut!((*block).start).write(AtomicU64::new(start));
            ptr::addr_of_mut!((*block).next).write(AtomicPtr::new(ptr::null_mut()));
            ptr::addr_of_mut!((*block).released_at).write(AtomicU64::new(0));
            ptr::addr_of_mut!((*block).chain).write(AtomicU64::new(0));
            ptr::addr_of_mut!((*block).base).write(base);
            ptr::addr_of_mut!((*block)._line).write([0; 3]);
            let slots = ptr::addr_of_mut!((*block).slots).cast::<Slot<T>>();
            for i in 0..BLOCK {
                slots.add(i).write(Slot {
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
        // SAFETY: the caller's contract; `base` is the allocation `alloc` made with `layout()`,
        // or null for a block that its core's allocation holds.
        unsafe {
            let base = (*block).base;
            ptr::drop_in_place(block);
            if !base.is_null() {
                std::alloc::dealloc(base, Self::layout());
            }
        }
    }

    /// The room a block takes within a larger allocation (see `init_in`).
    pub(super) fn room() -> usize {
        Self::layout().size()
    }

    /// Readies a finished block for reuse (its `next` is set as it goes on the spare stack).
    /// The caller owns it.
    pub(super) fn reset(&self) {
        self.released_at.store(0, Ordering::Relaxed);
    }

    /// Writes the slot of position `pos` (in this block) and stamps it written.
    ///
    /// # Safety
    /// The caller claimed `pos`: nobody else writes its slot, and the receiver reads it only
    /// once its stamp says so.
    #[inline]
    pub(super) unsafe fn write(&self, pos: Pos, value: T) {
        let slot = &self.slots[offset_of(pos)];
        // SAFETY: the caller's contract.
        slot.value.with_mut(|v| unsafe { (*v).write(value) });
        // On the line just written. Sequentially consistent: the sender's half of the handshake
        // with a receiver going to sleep (module docs); on x86 one locked instruction, as the
        // release store and the header's `or` it replaces were one plain store and one locked.
        slot.stamp.store(pos + 1, Ordering::SeqCst);
    }

    /// Whether every slot is written (for the block's start; acquire: with the values). The
    /// senders ask once per block, to move `tail_block` (see `Core::block_for`).
    pub(super) fn all_written(&self) -> bool {
        let start = self.start();
        // Last slot first: a block not full yet usually fails at the first look.
        (0..BLOCK)
            .rev()
            .all(|offset| self.slots[offset].holds(start + offset as Pos))
    }

    pub(super) fn start(&self) -> Pos {
        // Relaxed: set before the block was published by a release store of its pointer.
        self.start.load(Ordering::Relaxed)
    }
}

/// A claimed slot while its value is being made: if that panics, the slot gets the filler
/// (with none, the receiver would wait for it forever: only infallible makers go without).
pub(super) struct Unwritten<'a, T> {
    pub(super) block: &'a Block<T>,
    pub(super) pos: Pos,
    pub(super) filler: Option<fn() -> T>,
}

impl<T> Drop for Unwritten<'_, T> {
    fn drop(&mut self) {
        if let Some(filler) = self.filler {
            // SAFETY: the slot was claimed by the push that is unwinding, and never written.
            unsafe { self.block.write(self.pos, filler()) };
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
