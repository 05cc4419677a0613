//! The virtual clock of a sequential system: it stands still while the system has work, and jumps
//! straight to the next timer when it has none, so an hour-long wake-up fires at once and the same
//! calls give the same times in every run.
//!
//! Timers are kept in a plain list (a sequential system has few at a time: its actors' wake-ups
//! and the pending asks' deadlines): setting and clearing one allocates nothing once the list
//! has grown to the system's needs.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::time::Instant;

use crate::sync::Unpoisoned;

struct Timer {
    at: Duration,
    /// Orders timers due at the same time: first set, first woken.
    key: u64,
    waker: Waker,
}

struct Inner {
    elapsed: Duration,
    next_key: u64,
    timers: Vec<Timer>,
}

/// A clock that moves only when told to (see [`advance`](Self::advance)).
pub(crate) struct VirtualClock {
    /// What `elapsed` zero stands for, as an `Instant` (deadlines are given as instants).
    start: Instant,
    inner: Mutex<Inner>,
    /// `Inner::elapsed` in nanoseconds, for `now` without the lock (written under it).
    elapsed_nanos: AtomicU64,
}

impl VirtualClock {
    pub(crate) fn new() -> Self {
        VirtualClock {
            start: Instant::now(),
            inner: Mutex::new(Inner {
                elapsed: Duration::ZERO,
                next_key: 0,
                timers: Vec::new(),
            }),
            elapsed_nanos: AtomicU64::new(0),
        }
    }

    /// The virtual now.
    pub(crate) fn now(&self) -> Instant {
        self.start + Duration::from_nanos(self.elapsed_nanos.load(Ordering::Acquire))
    }

    /// A future ready once the clock has reached `deadline`.
    pub(crate) fn sleep_until(&self, deadline: Instant) -> VirtualSleep<'_> {
        VirtualSleep {
            clock: self,
            at: deadline.saturating_duration_since(self.start),
            key: None,
        }
    }

    /// Moves the clock to the earliest timer and wakes every timer due then, in the order they
    /// were set. `false` if no timer is pending.
    pub(crate) fn advance(&self) -> bool {
        let mut inner = self.inner.lock_unpoisoned();
        let Some(next) = inner.timers.iter().map(|t| t.at).min() else {
            return false;
        };
        inner.elapsed = inner.elapsed.max(next);
        let now = inner.elapsed;
        // Saturates after some 584 years of virtual time, where timers are "never" anyway.
        let nanos = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
        self.elapsed_nanos.store(nanos, Ordering::Release);
        let mut due = Vec::new();
        inner.timers.retain(|t| {
            let is_due = t.at <= now;
            if is_due {
                due.push((t.key, t.waker.clone()));
            }
            !is_due
        });
        drop(inner);
        due.sort_by_key(|&(key, _)| key);
        due.into_iter().for_each(|(_, waker)| waker.wake());
        true
    }
}

/// See [`VirtualClock::sleep_until`].
pub(crate) struct VirtualSleep<'a> {
    clock: &'a VirtualClock,
    at: Duration,
    /// Its timer, once set.
    key: Option<u64>,
}

impl Future for VirtualSleep<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut inner = this.clock.inner.lock_unpoisoned();
        if inner.elapsed >= this.at {
            if let Some(key) = this.key.take() {
                inner.timers.retain(|t| t.key != key);
            }
            return Poll::Ready(());
        }
        match this.key {
            Some(key) => {
                if let Some(timer) = inner.timers.iter_mut().rev().find(|t| t.key == key) {
                    if !timer.waker.will_wake(cx.waker()) {
                        timer.waker = cx.waker().clone();
                    }
                } else {
                    // Woken by `advance`, which took the timer, yet not due: cannot happen (the
                    // clock only moves forward), but set it again rather than never wake.
                    let at = this.at;
                    inner.timers.push(Timer {
                        at,
                        key,
                        waker: cx.waker().clone(),
                    });
                }
            }
            None => {
                inner.next_key += 1;
                let key = inner.next_key;
                inner.timers.push(Timer {
                    at: this.at,
                    key,
                    waker: cx.waker().clone(),
                });
                this.key = Some(key);
            }
        }
        Poll::Pending
    }
}

impl Drop for VirtualSleep<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            let mut inner = self.clock.inner.lock_unpoisoned();
            if let Some(i) = inner.timers.iter().rposition(|t| t.key == key) {
                inner.timers.swap_remove(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    struct Count(AtomicUsize);
    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::AcqRel);
        }
    }

    #[test]
    fn the_clock_jumps_to_the_next_timer_only_when_advanced() {
        let clock = VirtualClock::new();
        let start = clock.now();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut hour = clock.sleep_until(start + Duration::from_secs(3600));
        let mut minute = clock.sleep_until(start + Duration::from_secs(60));
        assert!(Pin::new(&mut hour).poll(&mut cx).is_pending());
        assert!(Pin::new(&mut minute).poll(&mut cx).is_pending());
        assert_eq!(clock.now(), start);
        assert!(clock.advance());
        assert_eq!(clock.now(), start + Duration::from_secs(60));
        assert_eq!(count.0.load(Ordering::Acquire), 1);
        assert!(Pin::new(&mut minute).poll(&mut cx).is_ready());
        assert!(Pin::new(&mut hour).poll(&mut cx).is_pending());
        drop(hour);
        // The dropped timer is gone: nothing left to advance to.
        assert!(!clock.advance());
        assert_eq!(clock.now(), start + Duration::from_secs(60));
    }
}
