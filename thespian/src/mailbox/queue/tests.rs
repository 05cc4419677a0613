//! The queue on one thread and under stress, with the layout checks.

use super::block::{Block, Slot};
use super::*;
use crate::sync::CountingWaker;
use std::ptr;
use std::sync::Arc;

fn drain(q: &Queue<u64>) -> Vec<u64> {
    // SAFETY: the test is the only receiver.
    std::iter::from_fn(|| unsafe { q.pop() }).collect()
}

/// How many blocks the queue holds: spare, and linked.
fn count(q: &Queue<u64>) -> u32 {
    let core = q.core(Ordering::Acquire).expect("a value came");
    // SAFETY: the test is the only receiver, and nothing moves now.
    let rx = core.rx.with_mut(|rx| unsafe { &*rx });
    let mut n = 0;
    let mut link = core.tx.spare.load(Ordering::Relaxed);
    while !link.is_null() {
        n += 1;
        link = unsafe { (*link).next.load(Ordering::Relaxed) };
    }
    let mut link = rx.oldest;
    while !link.is_null() {
        n += 1;
        link = unsafe { (*link).next.load(Ordering::Relaxed) };
    }
    n
}

#[test]
fn values_come_out_in_order_across_blocks() {
    let q = Queue::new();
    for n in 0..(BLOCK as u64 * 5 + 3) {
        assert_eq!(q.push(n), Ok(()));
    }
    assert_eq!(q.len(), BLOCK * 5 + 3);
    assert_eq!(drain(&q), (0..(BLOCK as u64 * 5 + 3)).collect::<Vec<_>>());
    assert_eq!(q.len(), 0);
}

/// Positions are 64-bit on every target: past 2^31 values (where a 32-bit count of steps of
/// two wrapped) and 2^32, values still come out in order, and blocks are reused as before.
#[test]
fn positions_go_past_32_bits() {
    for start in [(1 << 31) - 24, (1 << 32) - 24, u64::MAX / 4 - 7] {
        let q = Queue::starting_at(start);
        assert_eq!(q.len(), 0);
        for round in 0..4u64 {
            for n in 0..(BLOCK as u64 * 3 + 5) {
                assert_eq!(q.push(round * 1000 + n), Ok(()));
            }
            assert_eq!(q.len(), BLOCK * 3 + 5);
            let expected: Vec<u64> = (0..(BLOCK as u64 * 3 + 5))
                .map(|n| round * 1000 + n)
                .collect();
            assert_eq!(drain(&q), expected);
            if round == 0 {
                // The full blocks that followed the core's small one were let go of and recycled.
                let core = q.core(Ordering::Acquire).expect("a value came");
                assert!(!core.tx.spare.load(Ordering::Relaxed).is_null(), "{start}");
            }
        }
        assert!(
            count(&q) <= 2 * KEEP_BLOCKS + 2,
            "blocks grew without bound"
        );
    }
}

/// The header fills one cache line; a 56-byte envelope and its stamp fill the next; the core keeps
/// the receiver's fields a line away from those of the senders, wherever it is allocated (on a
/// multiple of 16). The layout is tuned for 64-bit targets.
#[test]
#[cfg(target_pointer_width = "64")]
fn a_block_and_a_core_are_laid_out_in_cache_lines() {
    // Neither the queue nor its core is aligned (see `Core`).
    assert_eq!(std::mem::size_of::<Queue<u64>>(), 24);
    assert_eq!(std::mem::align_of::<Queue<u64>>(), 8);
    assert_eq!(std::mem::align_of::<Core<u64>>(), 8);
    let (senders_end, receiver) = (super::core::SENDERS_END, super::core::RECEIVER_START);
    let next_line = senders_end + 63 - (senders_end - 1) % 16;
    assert!(
        receiver >= next_line,
        "the senders' fields end at {senders_end}, the receiver's begin at {receiver}"
    );
    assert_eq!(Block::<[u64; 7]>::SLOTS_AT, 64);
    assert_eq!(std::mem::size_of::<Block<[u64; 7]>>(), 64);
    assert_eq!(std::mem::size_of::<Slot<[u64; 7]>>(), 64);
    assert_eq!(std::mem::align_of::<Block<u64>>(), 64);
    // Aligned by hand within plain allocations: every block starts on a line.
    let blocks: Vec<_> = (0..64)
        .map(|n| Block::<[u64; 7]>::alloc((n * BLOCK) as Pos))
        .collect();
    for &b in &blocks {
        assert_eq!(b as usize % 64, 0);
        // SAFETY: allocated above, never shared, no values written.
        unsafe { Block::free(b) };
    }
}

/// The core comes with a block of [`FIRST`](super::block::FIRST) slots only: with a whole block
/// in it, it took 1,248 bytes for 56-byte envelopes, allocated for an actor's first message.
#[test]
#[cfg(target_pointer_width = "64")]
fn a_core_is_allocated_with_a_small_first_block() {
    let size = Core::<[u64; 7]>::layout().0.size();
    assert!(size <= 512, "a core and its first block take {size} bytes");
    // The first value goes into that block, at its first slot.
    let q = Queue::new();
    assert_eq!(q.push(7u64), Ok(()));
    let core = q.core(Ordering::Acquire).expect("a value came");
    let at = core.rx.with_mut(|rx| unsafe { (*rx).pos });
    assert_eq!(at as usize % BLOCK, BLOCK - super::block::FIRST);
    assert_eq!(drain(&q), vec![7]);
}

#[test]
fn nothing_is_allocated_before_the_first_value() {
    let q: Queue<u64> = Queue::new();
    assert!(q.core(Ordering::Relaxed).is_none());
    // SAFETY: the test is the only receiver.
    assert_eq!(unsafe { q.pop() }, None);
}

#[test]
fn a_closed_queue_hands_values_back_and_returns_what_waited() {
    let q = Queue::new();
    for n in 0..40u64 {
        q.push(n).unwrap();
    }
    // SAFETY: the test is the only receiver.
    assert_eq!(unsafe { q.pop() }, Some(0));
    let rest = unsafe { q.close() };
    assert_eq!(rest, (1..40).collect::<Vec<_>>());
    assert_eq!(q.push(99), Err(99));
    assert!(q.is_closed());
    assert_eq!(q.len(), 0);
    assert!(unsafe { q.close() }.is_empty());
}

#[test]
fn the_receiver_is_woken_once_and_only_when_it_sleeps() {
    let (count, waker) = CountingWaker::new();
    let woken = || count.woken();
    let q = Queue::new();
    q.push(1u64).unwrap();
    assert_eq!(woken(), 0);
    // SAFETY: the test is the only receiver.
    unsafe {
        assert_eq!(q.pop(), Some(1));
        q.sleep(&waker);
        assert!(matches!(q.look_after_sleep(), Look::Nothing));
    }
    q.push(2).unwrap();
    q.push(3).unwrap();
    assert_eq!(woken(), 1);
    assert_eq!(drain(&q), vec![2, 3]);
    // Found something after announcing: no wake-up needed.
    q.push(4).unwrap();
    unsafe {
        q.sleep(&waker);
        assert!(matches!(q.look_after_sleep(), Look::Took(4)));
    }
    q.awake();
    q.push(5).unwrap();
    assert_eq!(woken(), 1);
    // The waker is let go of when the queue closes.
    assert_eq!(Arc::strong_count(&count), 3);
    drop(unsafe { q.close() });
    assert_eq!(Arc::strong_count(&count), 2);
}

/// A waker whose clone panics hands the state back: the receiver is not left unable to
/// store another waker or to sleep, and the value is queued all the same.
#[test]
fn a_waker_that_panics_when_cloned_does_not_wedge_the_queue() {
    use std::sync::atomic::AtomicUsize;
    use std::task::{RawWaker, RawWakerVTable};
    static CLONES: AtomicUsize = AtomicUsize::new(0);
    fn clone(data: *const ()) -> RawWaker {
        assert!(CLONES.fetch_add(1, Ordering::Relaxed) == 0, "clone refused");
        RawWaker::new(data, &VTABLE)
    }
    fn noop(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
    // SAFETY: the vtable's functions ignore the data pointer.
    let fragile = unsafe { Waker::from_raw(RawWaker::new(ptr::null(), &VTABLE)) };

    let q = Queue::new();
    // SAFETY: the test is the only receiver.
    unsafe { q.sleep(&fragile) };
    let pushed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| q.push(7u64)));
    assert!(pushed.is_err(), "the second clone panics");
    assert_eq!(q.word.load(Ordering::Relaxed).addr() & STATE, AWAKE);
    let (_count, waker) = CountingWaker::new();
    // SAFETY: the test is the only receiver.
    unsafe {
        q.sleep(&waker);
        assert!(matches!(q.look_after_sleep(), Look::Took(7)));
    }
}

#[test]
fn values_left_in_a_dropped_queue_are_dropped() {
    let value = Arc::new(());
    {
        let q = Queue::new();
        for _ in 0..(BLOCK * 3) {
            q.push(value.clone()).unwrap();
        }
        // SAFETY: the test is the only receiver.
        drop(unsafe { q.pop() });
    }
    assert_eq!(Arc::strong_count(&value), 1);
}

/// A queue that starts within a block drops, with itself, exactly the values not taken: none
/// of the places before its start, which count as written.
#[test]
fn a_dropped_queue_that_started_mid_block_drops_only_its_values() {
    let value = Arc::new(());
    {
        let q = Queue::starting_at((1 << 32) - 3);
        for _ in 0..(BLOCK + 5) {
            q.push(value.clone()).unwrap();
        }
        for _ in 0..2 {
            // SAFETY: the test is the only receiver.
            drop(unsafe { q.pop() }.expect("written"));
        }
        assert_eq!(Arc::strong_count(&value), 1 + BLOCK + 3);
    }
    assert_eq!(Arc::strong_count(&value), 1);
}

/// A sender whose value panics while being made still looks whether the receiver sleeps: the
/// receiver went to sleep before that place was claimed, and must be woken for it (filled with
/// the filler) and for what came behind it.
#[test]
fn a_panicking_maker_still_wakes_a_receiver_that_waits_for_its_place() {
    let (count, waker) = CountingWaker::new();
    let q = Queue::new();
    // SAFETY: the test is the only receiver (here and inside `make`, on the same thread).
    unsafe {
        q.sleep(&waker);
        assert!(matches!(q.look_after_sleep(), Look::Nothing));
    }
    let pushed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        q.push_with(
            1u64,
            |_| {
                // Another sender, behind this one: it wakes the receiver, which finds this
                // place claimed but not written yet, and must look again rather than sleep.
                q.push(2).unwrap();
                assert_eq!(count.woken(), 1);
                // SAFETY: as above.
                unsafe {
                    assert_eq!(q.pop(), None);
                    q.sleep(&waker);
                    assert!(matches!(q.look_after_sleep(), Look::Claimed));
                    // It sleeps all the same (as if its next look came before the stamp): this
                    // sender, which claimed before that announcement, still wakes it.
                }
                panic!("the conversion fails");
            },
            Some(|| 0),
        )
    }));
    assert!(pushed.is_err());
    assert_eq!(count.woken(), 2, "the receiver was left asleep");
    assert_eq!(drain(&q), vec![0, 2]);
}

/// Recycled blocks keep the stamps of the values they held: a stale stamp is neither taken nor
/// dropped as a value, and the values written again are, exactly once.
#[test]
fn recycled_blocks_hold_no_stale_values() {
    let value = Arc::new(());
    {
        let q = Queue::new();
        for round in 0..4 {
            for _ in 0..(BLOCK * 3) {
                q.push(value.clone()).unwrap();
            }
            // SAFETY: the test is the only receiver.
            let taken = std::iter::from_fn(|| unsafe { q.pop() }).count();
            assert_eq!(taken, BLOCK * 3, "round {round}");
            assert_eq!(Arc::strong_count(&value), 1);
        }
        // Into recycled blocks, half read: the rest is dropped with the queue.
        for _ in 0..(BLOCK * 2 + 3) {
            q.push(value.clone()).unwrap();
        }
        for _ in 0..(BLOCK + 1) {
            // SAFETY: as above.
            drop(unsafe { q.pop() }.expect("written"));
        }
        assert_eq!(Arc::strong_count(&value), 1 + BLOCK + 2);
    }
    assert_eq!(Arc::strong_count(&value), 1);
}

/// A steady stream reuses blocks; after a burst at most `KEEP_BLOCKS` stay.
#[test]
fn blocks_are_recycled_and_bounded() {
    let q = Queue::new();
    for n in 0..100_000u64 {
        q.push(n).unwrap();
    }
    assert_eq!(drain(&q).len(), 100_000);
    let after_burst = count(&q);
    assert!(
        after_burst <= 2 * KEEP_BLOCKS + 2,
        "{after_burst} blocks kept"
    );
    for round in 0..100u64 {
        for n in 0..(BLOCK as u64 * 4) {
            q.push(round * 1000 + n).unwrap();
        }
        assert_eq!(drain(&q).len(), BLOCK * 4);
    }
    assert!(count(&q) <= 2 * KEEP_BLOCKS + 2);
}

#[test]
fn many_senders_lose_nothing_and_keep_each_senders_order() {
    const SENDERS: u64 = 4;
    const EACH: u64 = 50_000;
    let q = Arc::new(Queue::new());
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let q = q.clone();
            std::thread::spawn(move || {
                for n in 0..EACH {
                    q.push(s << 32 | n).unwrap();
                }
            })
        })
        .collect();
    let mut next = [0u64; SENDERS as usize];
    let mut got = 0;
    while got < SENDERS * EACH {
        // SAFETY: this thread is the only receiver.
        match unsafe { q.pop() } {
            Some(v) => {
                let (s, n) = ((v >> 32) as usize, v & 0xFFFF_FFFF);
                assert_eq!(n, next[s]);
                next[s] += 1;
                got += 1;
            }
            None => std::thread::yield_now(),
        }
    }
    for s in senders {
        s.join().unwrap();
    }
    assert_eq!(unsafe { q.pop() }, None);
}

#[test]
fn a_queue_closed_from_the_start_refuses_every_push_without_allocating() {
    let q = Queue::<u64>::closed();
    assert!(q.is_closed());
    for n in 0..3 {
        assert_eq!(q.push(n), Err(n));
    }
    // No core was installed for the refused pushes: a proxy's sends allocate nothing here.
    assert!(q.core(Ordering::Acquire).is_none());
    assert_eq!(q.len(), 0);
    // SAFETY: the test is the only receiver.
    assert_eq!(unsafe { q.pop() }, None);
}
