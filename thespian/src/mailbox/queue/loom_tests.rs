//! Model-checked with loom: `RUSTFLAGS="--cfg thespian_loom" cargo test -p thespian-actors --lib
//! --release loom` (see `.ci/run`).

use super::*;
use crate::sync::CountingWaker;
use loom::sync::Arc;

/// Explores every interleaving with at most `PREEMPTIONS` forced switches between threads
/// (most concurrency bugs need two or three), which keeps each model within seconds.
fn model(f: impl Fn() + Sync + Send + 'static) {
    const PREEMPTIONS: usize = 3;
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(PREEMPTIONS);
    builder.check(f);
}

/// Two senders, two values each, crossing blocks; the receiver reads concurrently. Every
/// value arrives once, each sender's in order; a receiver that went to sleep with values
/// still to come was woken.
#[test]
fn senders_and_a_sleeping_receiver() {
    senders_and_a_sleeping_receiver_after(0, 2, 2);
}

/// Into recycled blocks: after five values through (with blocks of two, block 0 is then on
/// the spare stack, holding stale stamps), a sender's positions 5 to 8 reuse it, renumbered,
/// while the receiver recycles block 1 as it crosses into block 3. (One sender: with two, the
/// model took twelve minutes.)
#[test]
fn a_sender_and_a_sleeping_receiver_in_recycled_blocks() {
    senders_and_a_sleeping_receiver_after(5, 1, 4);
}

/// `senders` senders, `each` values each, after `before` values sent and taken on one thread.
fn senders_and_a_sleeping_receiver_after(before: u64, senders: u64, each: u64) {
    model(move || {
        let q = Arc::new(Queue::new());
        for n in 0..before {
            q.push(100 + n).unwrap();
            // SAFETY: this thread is the only receiver.
            assert_eq!(unsafe { q.pop() }, Some(100 + n));
        }
        let (count, waker) = CountingWaker::new();
        let all = (senders * each) as usize;
        let senders: Vec<_> = (0..senders)
            .map(|s| {
                let q = q.clone();
                loom::thread::spawn(move || {
                    for n in 0..each {
                        q.push(s * 10 + n).unwrap();
                    }
                })
            })
            .collect();
        let wakes = || count.woken();
        let mut got = Vec::new();
        // The receiver as a task: a series of polls. A poll answers every wake-up made
        // before it began; one that ends asleep needs a wake-up made after that.
        let (slept, answered) = 'polls: loop {
            let answered = wakes();
            loop {
                // SAFETY: this thread is the only receiver.
                match unsafe { q.pop() } {
                    Some(v) => got.push(v),
                    None if got.len() == all => break 'polls (false, answered),
                    None => break,
                }
            }
            // Announce, look once more, and sleep if still nothing.
            unsafe { q.sleep(&waker) };
            match unsafe { q.look_after_sleep() } {
                Look::Took(v) => {
                    q.awake();
                    got.push(v);
                }
                // A sender is writing the next place: the task would poll again, which is
                // the same as a first poll made later (modelled by other interleavings); not
                // asleep, so no wake-up is owed. (Looping here made the model 7 times longer.)
                Look::Claimed => {
                    q.awake();
                    break (false, answered);
                }
                Look::Nothing => break (true, answered),
            }
        };
        let seen_at_sleep = got.len();
        for s in senders {
            s.join().unwrap();
        }
        if slept && seen_at_sleep < all {
            assert!(
                wakes() > answered,
                "asleep with values to come, never woken"
            );
        }
        while let Some(v) = unsafe { q.pop() } {
            got.push(v);
        }
        assert_eq!(got.len(), all);
        for s in 0..(all as u64 / each) {
            let mine: Vec<_> = got.iter().filter(|v| **v / 10 == s).copied().collect();
            let sent: Vec<_> = (0..each).map(|n| s * 10 + n).collect();
            assert_eq!(mine, sent);
        }
    });
}

/// A close racing with a sender: the value is either handed back to the sender or returned
/// by the close, never lost and never both.
#[test]
fn close_racing_a_sender() {
    model(|| {
        let q = Arc::new(Queue::new());
        q.push(1u64).unwrap();
        let sender = {
            let q = q.clone();
            loom::thread::spawn(move || q.push(2).is_ok())
        };
        // SAFETY: this thread is the only receiver.
        let rest = unsafe { q.close() };
        let accepted = sender.join().unwrap();
        if accepted {
            assert_eq!(rest, vec![1, 2]);
        } else {
            assert_eq!(rest, vec![1]);
        }
    });
}

/// A close racing with the first send, which installs the core: the value is either handed back
/// (the queue was closed bare) or returned by the close, never lost and never both.
#[test]
fn close_racing_the_first_send() {
    model(|| {
        let q = Arc::new(Queue::new());
        let sender = {
            let q = q.clone();
            loom::thread::spawn(move || q.push(7u64).is_ok())
        };
        // SAFETY: this thread is the only receiver.
        let rest = unsafe { q.close() };
        let accepted = sender.join().unwrap();
        assert_eq!(rest, if accepted { vec![7] } else { vec![] });
        assert_eq!(q.push(8), Err(8));
    });
}

/// The first send, which installs the core, racing with a receiver going to sleep on a queue
/// that has none: the receiver finds the value or is woken.
#[test]
fn the_first_send_wakes_a_receiver_going_to_sleep() {
    model(|| {
        let q = Arc::new(Queue::new());
        let (count, waker) = CountingWaker::new();
        let sender = {
            let q = q.clone();
            loom::thread::spawn(move || q.push(7u64).unwrap())
        };
        // SAFETY: this thread is the only receiver.
        let found = unsafe {
            q.sleep(&waker);
            q.look_after_sleep()
        };
        sender.join().unwrap();
        match found {
            Look::Took(v) => assert_eq!(v, 7),
            // Claimed, not yet written: the receiver looks again, without a wake-up.
            Look::Claimed => assert_eq!(unsafe { q.pop() }, Some(7)),
            Look::Nothing => {
                assert_eq!(count.woken(), 1, "a sleeping receiver was not woken");
                // SAFETY: as above.
                assert_eq!(unsafe { q.pop() }, Some(7));
            }
        }
    });
}

/// One sender crossing blocks while the receiver drains (and links nothing, recycles nothing
/// before its third block: `senders_and_a_sleeping_receiver_in_recycled_blocks` covers reuse).
#[test]
fn recycling_while_sending() {
    model(|| {
        let q = Arc::new(Queue::new());
        let sender = {
            let q = q.clone();
            loom::thread::spawn(move || {
                for n in 0..3u64 {
                    q.push(n).unwrap();
                }
            })
        };
        let mut got = Vec::new();
        while got.len() < 3 {
            // SAFETY: this thread is the only receiver.
            match unsafe { q.pop() } {
                Some(v) => got.push(v),
                None => loom::thread::yield_now(),
            }
        }
        sender.join().unwrap();
        assert_eq!(got, vec![0, 1, 2]);
    });
}
