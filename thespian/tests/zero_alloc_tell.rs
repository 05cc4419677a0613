//! Memory: a warm `tell` to an unbounded mailbox allocates nothing, an idle actor stays small, and
//! an actor gives back the storage of a burst once it has drained it.
//!
//! A counting global allocator keeps its counts per thread, so that the tests of this file, which
//! the harness runs on threads of their own, do not see each other's allocations. Each test runs a
//! `current_thread` runtime: its actors run on the test's thread, and are counted with it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use thespian::prelude::*;

struct Counting;

thread_local! {
    /// Allocations (and reallocations) made by this thread.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    /// Bytes allocated minus bytes freed by this thread.
    static LIVE_BYTES: Cell<isize> = const { Cell::new(0) };
}

fn note(allocations: usize, bytes: isize) {
    // `try_with`: the thread's locals may be gone while it exits.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + allocations));
    let _ = LIVE_BYTES.try_with(|c| c.set(c.get() + bytes));
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counting touches only
// `Cell`s of const-initialized thread locals without destructors, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(1, layout.size() as isize);
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(1, layout.size() as isize);
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(1, new_size as isize - layout.size() as isize);
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(0, -(layout.size() as isize));
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

fn live_bytes() -> isize {
    LIVE_BYTES.with(Cell::get)
}

#[derive(Default)]
struct Counter {
    total: u64,
}

#[actor]
impl Counter {
    async fn add(&mut self, n: u64) {
        self.total += n;
    }

    async fn total(&self) -> u64 {
        self.total
    }
}

/// Tells per round: bursts of this size reuse the mailbox's storage.
const ROUND: u64 = 400;

#[tokio::test(flavor = "current_thread")]
async fn a_warm_tell_to_an_unbounded_mailbox_allocates_nothing() {
    // The counter does count this thread's allocations.
    let probe = allocations();
    drop(std::hint::black_box(Box::new(0u64)));
    assert_eq!(allocations(), probe + 1);

    let system = ActorSystem::new();
    let counter = system.create_actor(Counter::default()).await.unwrap();
    // Warm up: three rounds, so that the mailbox has linked the blocks a round needs and got
    // them back. A round stays within what a drained mailbox keeps for reuse (storage for 512
    // messages, the memory rule in `mailbox`).
    for round in 1..=3u64 {
        for _ in 0..ROUND {
            counter.tell(CounterAdd { n: 1 }).await.unwrap();
        }
        assert_eq!(counter.total().ask().await, Ok(round * ROUND));
    }

    // No await in this window can run another task: the `Tell` of an unbounded mailbox is done
    // when it is returned, so awaiting it never yields.
    let before = allocations();
    for _ in 0..ROUND {
        counter.tell(CounterAdd { n: 1 }).await.unwrap();
    }
    let allocated = allocations() - before;

    assert_eq!(counter.total().ask().await, Ok(4 * ROUND));
    assert_eq!(
        allocated, 0,
        "{ROUND} warm tells allocated {allocated} times"
    );
    system.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn an_actor_gives_back_the_storage_of_a_burst_once_drained() {
    const BURST: u64 = 1_000_000;
    let system = ActorSystem::new();
    let counter = system.create_actor(Counter::default()).await.unwrap();
    assert_eq!(counter.total().ask().await, Ok(0));

    let before = live_bytes();
    // The actor does not run during the burst (nothing here yields): all of it is queued.
    for _ in 0..BURST {
        counter.tell(CounterAdd { n: 1 }).await.unwrap();
    }
    let queued = live_bytes() - before;
    assert!(
        queued >= (BURST as isize) * 16,
        "the burst took only {queued} bytes: was it queued?"
    );

    assert_eq!(counter.total().ask().await, Ok(BURST));
    let kept = live_bytes() - before;
    assert!(
        kept < 64 * 1024,
        "after draining a burst of {BURST} messages ({queued} bytes), the actor keeps {kept} bytes"
    );
    system.shutdown().await;
}

/// What an idle actor allocates, counted in requested bytes: its tokio task (whose future holds
/// the actor and its loop; tokio sizes a task in steps of 128 bytes), its cell, and its share of
/// the system's map of top-level actors. The task of this actor fits a 256-byte step (a
/// 4-byte value kept across the loop's await once took it to 384 bytes, an idle actor from 489
/// to 617 B resident, BENCHMARKS.md): an actor then allocates about 420 bytes here, about 550 at
/// the next step.
#[tokio::test(flavor = "current_thread")]
async fn an_idle_actor_allocates_less_than_480_bytes() {
    const ACTORS: usize = 1_000;
    let system = ActorSystem::new();
    let warm = system.create_actor(Counter::default()).await.unwrap();
    assert_eq!(warm.total().ask().await, Ok(0));
    let mut actors = Vec::with_capacity(ACTORS);
    let before = live_bytes();
    for _ in 0..ACTORS {
        actors.push(system.create_actor(Counter::default()).await.unwrap());
    }
    let per_actor = (live_bytes() - before) / ACTORS as isize;
    assert!(per_actor < 480, "an idle actor allocates {per_actor} bytes");
    drop(actors);
    system.shutdown().await;
}
