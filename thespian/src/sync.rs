//! Small helpers over std's locks, shared by every module that keeps state behind one, and the
//! primitives of the lock-free modules (the mailbox's queue, the reply slot).

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Locks that ignore poisoning: a lock poisoned by a panic elsewhere still guards consistent
/// state. User code runs under one of the crate's locks in one place only: a message's `From`
/// conversion, under a sequential system's turns (so that its place in the system's order is its
/// place in the queue). That lock is re-entrant, so the conversion may itself send into the
/// system; if it panics, its slot holds a void message that still takes its turn (see
/// `Sequential::push_in_order`), so that state too stays consistent.
pub(crate) trait Unpoisoned<T> {
    fn lock_unpoisoned(&self) -> MutexGuard<'_, T>;
}

impl<T> Unpoisoned<T> for Mutex<T> {
    #[inline]
    fn lock_unpoisoned(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The same for a `RwLock`.
pub(crate) trait UnpoisonedRw<T> {
    fn read_unpoisoned(&self) -> RwLockReadGuard<'_, T>;
    fn write_unpoisoned(&self) -> RwLockWriteGuard<'_, T>;
}

impl<T> UnpoisonedRw<T> for RwLock<T> {
    fn read_unpoisoned(&self) -> RwLockReadGuard<'_, T> {
        self.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_unpoisoned(&self) -> RwLockWriteGuard<'_, T> {
        self.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// When to prune a table whose dead entries are only dropped in bulk: once it has doubled since
/// the last pruning (and holds at least `min` entries), so the work per insert stays constant and
/// the table stays proportional to its live entries.
#[derive(Debug, Default)]
pub(crate) struct Compaction {
    after: usize,
}

impl Compaction {
    /// Whether a table of `len` entries (of which at least `min` must be there) is due.
    pub(crate) fn due(&self, len: usize, min: usize) -> bool {
        len >= min.max(2 * self.after)
    }

    /// Records the size left by a pruning.
    pub(crate) fn done(&mut self, len: usize) {
        self.after = len;
    }
}

/// The primitives the crate's lock-free code is written with: std's, or loom's when its model
/// checker runs the tests (`--cfg thespian_loom`).
pub(crate) mod lockfree {
    #[cfg(thespian_loom)]
    pub(crate) use loom::cell::UnsafeCell;
    #[cfg(all(thespian_loom, test))]
    pub(crate) use loom::sync::atomic::AtomicUsize;
    #[cfg(thespian_loom)]
    pub(crate) use loom::sync::atomic::{fence, AtomicPtr, AtomicU64, AtomicU8};
    #[cfg(all(not(thespian_loom), test))]
    pub(crate) use std::sync::atomic::AtomicUsize;
    pub(crate) use std::sync::atomic::Ordering;
    #[cfg(not(thespian_loom))]
    pub(crate) use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8};

    /// `std::cell::UnsafeCell` with loom's access API.
    #[cfg(not(thespian_loom))]
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    #[cfg(not(thespian_loom))]
    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }

        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }
    }

    /// The store-buffer handshake between a sender (its slot's stamp, then its look at `state`)
    /// and a receiver going to sleep (`state`, then its look at that stamp): every access
    /// in it is `SeqCst`, which is all it needs (on x86, the writes are locked instructions and
    /// the looks plain loads). Loom models `SeqCst` accesses as acquire-release only, so under loom a
    /// fence on each side restores the total order.
    #[inline(always)]
    pub(crate) fn handshake() {
        #[cfg(thespian_loom)]
        fence(Ordering::SeqCst);
    }

    /// Lets a sender caught between its claim and its write go on (while closing).
    pub(crate) fn pause() {
        #[cfg(thespian_loom)]
        loom::thread::yield_now();
        #[cfg(not(thespian_loom))]
        std::thread::yield_now();
    }
}

/// A waker that counts its wake-ups (in loom's atomics under the model checker), for the tests of
/// the lock-free modules.
#[cfg(test)]
pub(crate) struct CountingWaker(lockfree::AtomicUsize);

#[cfg(test)]
impl CountingWaker {
    /// The counter and a waker that bumps it.
    pub(crate) fn new() -> (std::sync::Arc<Self>, std::task::Waker) {
        let count = std::sync::Arc::new(CountingWaker(lockfree::AtomicUsize::new(0)));
        (count.clone(), std::task::Waker::from(count))
    }

    /// How many times it was woken.
    pub(crate) fn woken(&self) -> usize {
        self.0.load(lockfree::Ordering::Acquire)
    }
}

#[cfg(test)]
impl std::task::Wake for CountingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.fetch_add(1, lockfree::Ordering::AcqRel);
    }
}
