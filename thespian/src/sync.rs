//! Small helpers over std's locks, shared by every module that keeps state behind one.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Locks that ignore poisoning. No user code ever runs while one of the crate's locks is held, so
/// a lock poisoned by a panic elsewhere still guards consistent state.
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
