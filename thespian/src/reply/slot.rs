//! The one-shot slot an `ask` waits on, without a lock.
//!
//! Several parties may try to complete one slot (the handler's answer, the deadline reaper's
//! timeout, a transport's failure): the first to *claim* it writes the value, the others get
//! their value back. One party waits: the asker, which polls. Its waker lives in the slot beside
//! the value, and a completer reads it (never moves it) to wake the asker.
//!
//! The state is one byte of flags:
//! - `WAKER`: the waker cell holds the asker's waker. The asker writes the cell only while this is
//!   clear; a completer reads it only if this was set when it published the value.
//! - `CLAIMED`: a completer owns the value cell (at most one ever does).
//! - `READY`: the value is written; the completer no longer touches the value cell.
//! - `CLOSED`: the asker took the result or gave up; later answers are refused.
//!
//! An ask thus costs two atomic `or`s on the completer's side and, on the asker's, one to announce
//! its waker and one to close, where a lock cost two atomics per access and was taken three times.

use std::any::Any;
use std::task::{Context, Poll, Waker};

use crate::error::AskError;
use crate::sync::lockfree::{AtomicU8, Ordering, UnsafeCell};

const WAKER: u8 = 1;
const CLAIMED: u8 = 2;
const READY: u8 = 4;
const CLOSED: u8 = 8;

/// The slot an ask waits on.
pub(crate) struct ReplySlot<T> {
    state: AtomicU8,
    waker: UnsafeCell<Option<Waker>>,
    value: UnsafeCell<Option<Result<T, AskError>>>,
}

// SAFETY: the cells are shared under the protocol above: the value cell is written by the one
// completer that claimed it, before `READY`, and read by the asker after it saw `READY`; the waker
// cell is written by the asker while `WAKER` is clear and only read by others. A `T` crosses from
// the completer's thread to the asker's, hence `T: Send`.
unsafe impl<T: Send> Send for ReplySlot<T> {}
// SAFETY: as above; no `&T` is ever handed out to two threads.
unsafe impl<T: Send> Sync for ReplySlot<T> {}

impl<T> ReplySlot<T> {
    pub(crate) fn new() -> Self {
        ReplySlot {
            state: AtomicU8::new(0),
            waker: UnsafeCell::new(None),
            value: UnsafeCell::new(None),
        }
    }

    /// Completes the slot; hands the value back if the asker is gone or was already answered.
    #[inline]
    pub(crate) fn complete(&self, result: Result<T, AskError>) -> Result<(), Result<T, AskError>> {
        let before = self.state.fetch_or(CLAIMED, Ordering::Acquire);
        if before & (CLAIMED | CLOSED) != 0 {
            return Err(result);
        }
        // SAFETY: this completer claimed the cell; the asker reads it only after `READY`.
        self.value.with_mut(|v| unsafe { *v = Some(result) });
        // Release: publishes the value. Acquire: sees the waker written before `WAKER` was set.
        let before = self.state.fetch_or(READY, Ordering::AcqRel);
        if before & WAKER != 0 && before & CLOSED == 0 {
            // SAFETY: `WAKER` was set when `READY` was published, so the asker no longer writes
            // the cell (it clears `WAKER` first, which fails once `READY` is set); reads only.
            self.waker.with(|w| unsafe {
                if let Some(w) = &*w {
                    w.wake_by_ref();
                }
            });
        }
        Ok(())
    }

    /// Marks the asker as gone: a later answer is refused (and becomes a dead letter).
    pub(crate) fn abandon(&self) {
        self.state.fetch_or(CLOSED, Ordering::Release);
    }

    /// Whether nobody waits any more (the asker took a result or gave up), or an answer is in.
    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(Ordering::Acquire) & (CLAIMED | CLOSED) != 0
    }

    /// The error the slot was already failed with, if any. Only the asker calls this.
    pub(crate) fn ready_error(&self) -> Option<AskError> {
        if self.state.load(Ordering::Acquire) & (READY | CLOSED) != READY {
            return None;
        }
        // SAFETY: `READY` was seen with acquire ordering, so the write is complete and nobody
        // writes the cell again; the asker (the caller) is the only one that takes it out.
        self.value.with(|v| match unsafe { &*v } {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        })
    }

    /// Polls for the result. Only the asker calls this.
    pub(crate) fn poll_result(&self, cx: &mut Context<'_>) -> Poll<Result<T, AskError>> {
        let state = self.state.load(Ordering::Acquire);
        if state & CLOSED != 0 {
            return Poll::Ready(Err(AskError::NoReply));
        }
        if state & READY != 0 {
            return Poll::Ready(self.take());
        }
        if state & WAKER != 0 {
            // SAFETY: a read, which completers may do too; nobody writes while `WAKER` is set.
            let same = self
                .waker
                .with(|w| unsafe { (*w).as_ref().is_some_and(|w| w.will_wake(cx.waker())) });
            if same {
                return Poll::Pending;
            }
            // Take the cell back before writing it; fails if the answer came in meanwhile.
            let cleared = self
                .state
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                    (s & READY == 0).then_some(s & !WAKER)
                });
            if cleared.is_err() {
                return Poll::Ready(self.take());
            }
        }
        let waker = cx.waker().clone();
        // SAFETY: `WAKER` is clear, so no completer reads the cell, and only the asker writes it.
        self.waker.with_mut(|w| unsafe { *w = Some(waker) });
        // Release: publishes the waker. Acquire: sees a value that came in meanwhile.
        let before = self.state.fetch_or(WAKER, Ordering::AcqRel);
        if before & READY != 0 {
            // Its completer saw no waker and woke nobody: take the answer now.
            return Poll::Ready(self.take());
        }
        Poll::Pending
    }

    /// Takes the value out, once `READY` was seen.
    fn take(&self) -> Result<T, AskError> {
        // SAFETY: `READY` was seen with acquire ordering: the completer is done with the cell, and
        // only the asker (the caller) takes the value, once (`CLOSED` stops later polls).
        let value = self.value.with_mut(|v| unsafe { (*v).take() });
        self.state.fetch_or(CLOSED, Ordering::Relaxed);
        value.unwrap_or(Err(AskError::NoReply))
    }
}

/// The type-erased view of a slot that travels in an envelope.
pub(crate) trait ErasedSlot: Send + Sync {
    fn fail(&self, error: AskError);
    fn as_any(&self) -> &dyn Any;
    /// Answers a slot that is not a `ReplySlot` (the answer goes to another node); `false` if
    /// this slot cannot take it.
    fn complete_dyn(&self, value: &dyn Any) -> bool {
        let _ = value;
        false
    }
    /// Whether nobody waits any more (the asker took a result or gave up).
    fn is_closed(&self) -> bool {
        false
    }
    /// Answers with a boxed value of the slot's type (a reply decoded from another node).
    fn complete_boxed(&self, value: Box<dyn Any + Send>) {
        if !self.complete_dyn(&*value) {
            self.fail(AskError::WrongReplyType {
                found: "a decoded reply",
            });
        }
    }
}

#[cfg(all(test, not(thespian_loom)))]
mod tests {
    use super::*;
    use crate::sync::CountingWaker;
    use std::sync::Arc;

    #[test]
    fn an_answer_wakes_the_waiting_asker_once_and_is_taken_once() {
        let slot = ReplySlot::<u32>::new();
        let (count, waker) = CountingWaker::new();
        let mut cx = Context::from_waker(&waker);
        assert!(slot.poll_result(&mut cx).is_pending());
        assert!(
            slot.poll_result(&mut cx).is_pending(),
            "the same waker again"
        );
        assert!(!slot.is_closed());
        assert_eq!(slot.complete(Ok(7)), Ok(()));
        assert_eq!(count.woken(), 1);
        assert!(slot.is_closed());
        assert_eq!(slot.poll_result(&mut cx), Poll::Ready(Ok(7)));
        assert_eq!(
            slot.poll_result(&mut cx),
            Poll::Ready(Err(AskError::NoReply))
        );
    }

    #[test]
    fn the_first_answer_wins_and_later_ones_come_back() {
        let slot = ReplySlot::<u32>::new();
        assert_eq!(slot.complete(Err(AskError::DeadActor)), Ok(()));
        assert_eq!(slot.ready_error(), Some(AskError::DeadActor));
        assert_eq!(slot.complete(Ok(1)), Err(Ok(1)));
        let (count, waker) = CountingWaker::new();
        let mut cx = Context::from_waker(&waker);
        assert_eq!(
            slot.poll_result(&mut cx),
            Poll::Ready(Err(AskError::DeadActor))
        );
        assert_eq!(count.woken(), 0);
    }

    #[test]
    fn an_abandoned_slot_refuses_answers() {
        let slot = ReplySlot::<String>::new();
        slot.abandon();
        assert!(slot.is_closed());
        assert_eq!(
            slot.complete(Ok("late".to_owned())),
            Err(Ok("late".to_owned()))
        );
    }

    #[test]
    fn a_new_waker_replaces_the_old_one() {
        let slot = ReplySlot::<u32>::new();
        let (first, first_waker) = CountingWaker::new();
        let (second, second_waker) = CountingWaker::new();
        assert!(slot
            .poll_result(&mut Context::from_waker(&first_waker))
            .is_pending());
        assert!(slot
            .poll_result(&mut Context::from_waker(&second_waker))
            .is_pending());
        slot.complete(Ok(3)).expect("open");
        assert_eq!(first.woken(), 0);
        assert_eq!(second.woken(), 1);
    }

    #[test]
    fn an_unread_answer_is_dropped_with_the_slot() {
        let value = Arc::new(());
        let slot = ReplySlot::<Arc<()>>::new();
        slot.complete(Ok(value.clone())).expect("open");
        slot.abandon();
        drop(slot);
        assert_eq!(Arc::strong_count(&value), 1);
    }

    #[test]
    fn racing_answers_and_polls_lose_no_wake_up() {
        for _ in 0..2_000 {
            let slot = Arc::new(ReplySlot::<u32>::new());
            let (count, waker) = CountingWaker::new();
            let answers: Vec<_> = (0..2)
                .map(|n| {
                    let slot = slot.clone();
                    std::thread::spawn(move || slot.complete(Ok(n)).is_ok())
                })
                .collect();
            let mut cx = Context::from_waker(&waker);
            let got = loop {
                match slot.poll_result(&mut cx) {
                    Poll::Ready(v) => break v,
                    Poll::Pending => {
                        // Pending means a completer will wake us: wait for that wake-up.
                        while count.woken() == 0 {
                            std::hint::spin_loop();
                        }
                    }
                }
            };
            let won: usize = answers
                .into_iter()
                .map(|a| usize::from(a.join().expect("answer")))
                .sum();
            assert_eq!(won, 1, "exactly one answer is taken");
            assert!(matches!(got, Ok(0 | 1)));
        }
    }
}

/// Model-checked with loom (see `.ci/run`).
#[cfg(all(test, thespian_loom))]
mod loom_tests {
    use super::*;
    use crate::sync::CountingWaker;
    use loom::sync::Arc;

    /// Two completers race an asker that polls with one waker, then another: exactly one answer
    /// is taken; an asker left pending was woken through the waker it gave last.
    #[test]
    fn answers_racing_polls() {
        loom::model(|| {
            let slot = Arc::new(ReplySlot::<u32>::new());
            let completers: Vec<_> = (0..2)
                .map(|n| {
                    let slot = slot.clone();
                    loom::thread::spawn(move || slot.complete(Ok(n)).is_ok())
                })
                .collect();
            let (_first, first_waker) = CountingWaker::new();
            let (second, second_waker) = CountingWaker::new();
            let mut got = None;
            for waker in [&first_waker, &second_waker] {
                if let Poll::Ready(v) = slot.poll_result(&mut Context::from_waker(waker)) {
                    got = Some(v);
                    break;
                }
            }
            let won: usize = completers
                .into_iter()
                .map(|c| usize::from(c.join().unwrap()))
                .sum();
            assert_eq!(won, 1);
            match got {
                Some(v) => assert!(matches!(v, Ok(0 | 1))),
                None => {
                    assert_eq!(second.woken(), 1, "the last waker is woken");
                    let v = slot.poll_result(&mut Context::from_waker(&second_waker));
                    assert!(matches!(v, Poll::Ready(Ok(0 | 1))));
                }
            }
        });
    }
}
