//! Ask deadlines: one timer per system instead of one per ask.
//!
//! A tokio timer per pending ask costs a timer-wheel insert and removal and makes idle workers park
//! with a timeout, which together dominated ask latency. Here an ask only records its timeout
//! with its reply slot; one reaper task per system stamps the recorded asks with their deadlines,
//! sleeps until the earliest, and fails the slots still waiting then.
//!
//! The reaper, not the ask, reads the clock: an ask made while the reaper watches is stamped when
//! the reaper next looks, at most a *tick* later (a sixteenth of the shortest timeout it watches,
//! at least a millisecond, the resolution of tokio's own timers), so a deadline is never early
//! and at most a tick late. Reading the clock and ordering deadlines per ask cost as much as the
//! rest of an ask's bookkeeping.
//!
//! An ask answered in time leaves a closed entry behind: entries at the front are dropped by the
//! next registration (asks with one timeout end in order), the others when the table is next
//! compacted (whenever it has doubled), so the table stays proportional to the asks actually
//! pending. An entry holds its slot strongly (one reference count, where a weak reference cost
//! three atomic operations per ask) and tells a closed one by its state.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::error::AskError;
use crate::reply::slot::ErasedSlot;
use crate::sync::{Compaction, Unpoisoned};

/// A timeout this long never expires in practice: an ask given one is not timed at all.
pub(crate) const NEVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `now + timeout`, or [`NEVER`] after `now` when that overflows.
pub(crate) fn deadline_from(now: Instant, timeout: Duration) -> Instant {
    now.checked_add(timeout).unwrap_or_else(|| now + NEVER)
}

/// How many deadlines the table holds (answered ones included, until they are dropped).
#[cfg(test)]
pub(crate) fn table_len(deadlines: &Deadlines) -> usize {
    deadlines.lock().len()
}

struct Entry {
    deadline: Instant,
    timeout: Duration,
    slot: Arc<dyn ErasedSlot>,
}

/// An ask recorded since the reaper last looked: not stamped with its deadline yet.
struct Fresh {
    timeout: Duration,
    slot: Arc<dyn ErasedSlot>,
}

/// How soon after an ask with `timeout` is recorded the reaper must stamp it.
fn tick_for(timeout: Duration) -> Duration {
    (timeout / 16).max(Duration::from_millis(1))
}

impl Entry {
    /// Answered, or its asker gave up: nothing to time out.
    fn is_closed(&self) -> bool {
        self.slot.is_closed()
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.deadline == other.deadline
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    /// Earliest deadline first (a max-heap of reversed order).
    fn cmp(&self, other: &Self) -> Ordering {
        other.deadline.cmp(&self.deadline)
    }
}

#[derive(Default)]
struct Table {
    /// Asks recorded since the reaper last looked, in order.
    fresh: VecDeque<Fresh>,
    /// How often the reaper looks for fresh asks while it watches them (`None`: it does not,
    /// and the next ask wakes it).
    tick: Option<Duration>,
    /// Deadlines in increasing order: the common case, as most asks use the same timeout.
    fifo: VecDeque<Entry>,
    /// Deadlines that came out of order.
    heap: BinaryHeap<Entry>,
    /// The deadline the reaper sleeps until, if it sleeps on one.
    armed: Option<Instant>,
    /// Size after the last compaction: compact again when the table has doubled.
    compaction: Compaction,
    reaper_running: bool,
    closed: bool,
    /// How many times the reaper has looked at the table.
    #[cfg(test)]
    rounds: u64,
}

impl Table {
    /// How many entries it holds (answered ones included, until they are dropped).
    fn len(&self) -> usize {
        self.fresh.len() + self.fifo.len() + self.heap.len()
    }
}

/// The pending-ask deadlines of one system.
#[derive(Default)]
pub(crate) struct Deadlines {
    table: Mutex<Table>,
    rearm: Notify,
}

impl Deadlines {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock_unpoisoned()
    }

    /// Fails `slot` with a timeout `timeout` from now (at most a tick later) unless it has been
    /// answered by then. The reaper runs on `runtime` (or the current one). Returns `false` when
    /// there is no runtime to run it (the caller then times itself).
    pub(crate) fn register(
        self: &Arc<Self>,
        runtime: Option<&Handle>,
        timeout: Duration,
        slot: Arc<dyn ErasedSlot>,
    ) -> bool {
        let mut table = self.lock();
        if !table.reaper_running {
            let Some(handle) = runtime.cloned().or_else(|| Handle::try_current().ok()) else {
                return false;
            };
            table.reaper_running = true;
            handle.spawn(reap(self.clone()));
        }
        // Asks answered in order leave their entries at the front: drop them as we go.
        while table.fresh.front().is_some_and(|f| f.slot.is_closed()) {
            table.fresh.pop_front();
        }
        if table.compaction.due(table.len(), 1024) {
            table.fresh.retain(|f| !f.slot.is_closed());
            table.fifo.retain(|e| !e.is_closed());
            table.heap.retain(|e| !e.is_closed());
            let left = table.len();
            table.compaction.done(left);
        }
        table.fresh.push_back(Fresh { timeout, slot });
        let tick = tick_for(timeout);
        if table.tick.is_none_or(|t| tick < t) {
            // The reaper does not look often enough for this ask: it must look now.
            table.tick = Some(tick);
            drop(table);
            self.rearm.notify_one();
        }
        true
    }

    /// Lets the reaper end once nothing is pending.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.rearm.notify_one();
    }
}

/// The reaper: sleeps until the earliest deadline and fails what is still waiting then.
async fn reap(deadlines: Arc<Deadlines>) {
    /// If the reaper's runtime goes away, the next ask starts a new one.
    struct Running(Option<Arc<Deadlines>>);
    impl Drop for Running {
        fn drop(&mut self) {
            if let Some(deadlines) = self.0.take() {
                deadlines.lock().reaper_running = false;
            }
        }
    }
    let mut running = Running(Some(deadlines.clone()));
    loop {
        let (next, expired) = {
            let mut table = deadlines.lock();
            #[cfg(test)]
            {
                table.rounds += 1;
            }
            let now = Instant::now();
            // Stamp the asks recorded since the last look (those answered already are done),
            // noting the tick they need (`None`: none were made).
            let mut tick = None;
            while let Some(fresh) = table.fresh.pop_front() {
                let needed = tick_for(fresh.timeout);
                tick = Some(tick.map_or(needed, |t: Duration| t.min(needed)));
                if fresh.slot.is_closed() {
                    continue;
                }
                let entry = Entry {
                    deadline: deadline_from(now, fresh.timeout),
                    timeout: fresh.timeout,
                    slot: fresh.slot,
                };
                if table
                    .fifo
                    .back()
                    .is_none_or(|last| last.deadline <= entry.deadline)
                {
                    table.fifo.push_back(entry);
                } else {
                    table.heap.push(entry);
                }
            }
            let mut expired = Vec::new();
            while table.fifo.front().is_some_and(|e| e.deadline <= now) {
                expired.extend(table.fifo.pop_front());
            }
            while table.heap.peek().is_some_and(|e| e.deadline <= now) {
                expired.extend(table.heap.pop());
            }
            // Skip entries already answered, so an idle system does not wake for them.
            let mut answered = None;
            while let Some(e) = table.fifo.front().filter(|e| e.is_closed()) {
                answered = answered.max(Some(e.deadline));
                table.fifo.pop_front();
            }
            while let Some(e) = table.heap.peek().filter(|e| e.is_closed()) {
                answered = answered.max(Some(e.deadline));
                table.heap.pop();
            }
            let mut next = match (table.fifo.front(), table.heap.peek()) {
                (Some(a), Some(b)) => Some(a.deadline.min(b.deadline)),
                (a, b) => a.or(b).map(|e| e.deadline),
            };
            // Asks are being made: look again within the tick they need, so that the next ones
            // are stamped in time without waking the reaper for each. Quiet since the last
            // look: the next ask wakes the reaper.
            table.tick = tick;
            if let Some(tick) = tick {
                let look = now + tick;
                next = Some(next.map_or(look, |n| n.min(look)));
            }
            if next.is_none() && !table.closed {
                // Everything was answered. Stay armed at the latest deadline seen (or the one
                // armed before) all the same, so that the tokio timer is not taken down and set
                // up again for every burst of asks. The cost is one idle wake-up a timeout later.
                next = answered.or(table.armed).filter(|&at| at > now);
            }
            if next.is_none() && table.closed && expired.is_empty() {
                // Cleared under the lock that decided it, so a registration that comes next
                // starts a new reaper.
                table.reaper_running = false;
                running.0 = None;
                return;
            }
            table.armed = next;
            (next, expired)
        };
        // Failing a slot wakes its asker: done outside the lock.
        for entry in expired {
            entry.slot.fail(AskError::Timeout(entry.timeout));
        }
        match next {
            Some(deadline) => {
                tokio::select! {
                    () = tokio::time::sleep_until(deadline) => {}
                    () = deadlines.rearm.notified() => {}
                }
            }
            None => deadlines.rearm.notified().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::slot::ReplySlot;

    /// Asks answered one after another (each registered after the previous one was answered, so
    /// the table is often empty) leave the reaper asleep: it stays armed rather than being woken
    /// by every registration.
    #[tokio::test(flavor = "current_thread")]
    async fn answered_asks_do_not_wake_the_reaper_each_time() {
        let deadlines = Arc::new(Deadlines::default());
        let timeout = Duration::from_secs(5);
        for _ in 0..1_000 {
            let slot = Arc::new(ReplySlot::<u8>::new());
            assert!(deadlines.register(None, timeout, slot.clone()));
            slot.complete(Ok(1)).expect("open");
            // The reaper runs now if this registration woke it.
            tokio::task::yield_now().await;
        }
        let rounds = deadlines.lock().rounds;
        assert!(rounds <= 3, "the reaper looked at the table {rounds} times");
    }

    #[tokio::test(start_paused = true)]
    async fn answered_asks_do_not_pile_up_and_waiting_ones_time_out() {
        let deadlines = Arc::new(Deadlines::default());
        for _ in 0..100_000 {
            // An ask answered in time: its slot is closed by the next registration.
            let slot = Arc::new(ReplySlot::<u8>::new());
            assert!(deadlines.register(None, Duration::from_secs(5), slot.clone()));
            slot.complete(Ok(1)).expect("open");
        }
        let table_len = deadlines.lock().len();
        assert!(table_len < 4096, "the table was not compacted");
        let waiting = Arc::new(ReplySlot::<u8>::new());
        deadlines.register(None, Duration::from_secs(5), waiting.clone());
        tokio::time::sleep(Duration::from_secs(6)).await;
        let result = std::future::poll_fn(|cx| waiting.poll_result(cx)).await;
        assert_eq!(result, Err(AskError::Timeout(Duration::from_secs(5))));
    }

    /// Whether `slot` has been failed (with a timeout).
    fn timed_out(slot: &ReplySlot<u8>) -> bool {
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        matches!(
            slot.poll_result(&mut cx),
            std::task::Poll::Ready(Err(AskError::Timeout(_)))
        )
    }

    /// A deadline is never early, and at most a tick late; an ask with a short timeout made
    /// while the reaper looks only now and then (for long timeouts) is stamped at once.
    #[tokio::test(start_paused = true)]
    async fn deadlines_are_never_early_and_at_most_a_tick_late() {
        let deadlines = Arc::new(Deadlines::default());
        let long = Duration::from_secs(64);
        let slow = Arc::new(ReplySlot::<u8>::new());
        assert!(deadlines.register(None, long, slow.clone()));
        tokio::time::sleep(Duration::from_millis(10)).await;
        // A second long ask while the reaper watches: it now looks every 4 s.
        let slow_too = Arc::new(ReplySlot::<u8>::new());
        assert!(deadlines.register(None, long, slow_too.clone()));
        tokio::time::sleep(Duration::from_millis(10)).await;
        // This ask needs the reaper to look within 6.25 ms.
        let short = Duration::from_millis(100);
        let quick = Arc::new(ReplySlot::<u8>::new());
        let asked = Instant::now();
        assert!(deadlines.register(None, short, quick.clone()));
        tokio::time::sleep(short - Duration::from_millis(1)).await;
        assert!(!timed_out(&quick), "timed out early");
        tokio::time::sleep_until(asked + short + tick_for(short)).await;
        tokio::task::yield_now().await;
        assert!(timed_out(&quick), "not timed out a tick after its deadline");
        assert!(!timed_out(&slow));
        tokio::time::sleep_until(asked + long - Duration::from_millis(20)).await;
        assert!(!timed_out(&slow), "timed out early");
        tokio::time::sleep_until(asked + long + tick_for(long)).await;
        tokio::task::yield_now().await;
        assert!(timed_out(&slow), "not timed out a tick after its deadline");
    }
}
