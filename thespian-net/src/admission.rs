//! Who may try the handshake, and how refusals are logged: unauthenticated peers can neither
//! shut the door on legitimate ones nor flood the log.
//!
//! A connection that has not proven the secret holds a *slot* until it does, for at most the
//! accept deadline (`NetConfig::accept_timeout`, 1 s by default: a legitimate peer proves the
//! secret in a round trip or two). Slots are bounded per source address and in all; a new
//! connection that finds its bound reached takes the slot of the *oldest* unauthenticated
//! connection (of its address, or of any), which is closed. So a flood of idle or slow
//! connections only ever evicts itself: a legitimate peer that connects gets a slot at once and
//! needs it for milliseconds, and established links hold no slot at all. (Refusing the newcomer
//! instead, as a plain semaphore does, lets a flood that is renewed in time keep everyone out.)
//!
//! Refused handshakes are logged in full a few times per interval, then counted, and the counts
//! by reason logged once the interval is over: one peer cannot write the log full.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// At most this many connections may be proving the secret at once.
pub(crate) const MAX_HANDSHAKES: usize = 256;
/// At most this many of them from one address.
pub(crate) const MAX_PER_ADDRESS: usize = 64;

/// The unauthenticated connections, oldest first.
#[derive(Default)]
pub(crate) struct Admission {
    pending: Mutex<VecDeque<(u64, IpAddr, CancellationToken)>>,
    next: std::sync::atomic::AtomicU64,
}

/// A connection's slot: freed when dropped (the handshake ended, either way).
pub(crate) struct Slot<'a> {
    admission: &'a Admission,
    id: u64,
    /// Cancelled when a newer connection takes the slot.
    pub(crate) evicted: CancellationToken,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut pending = self.admission.lock();
        pending.retain(|(id, _, _)| *id != self.id);
    }
}

impl Admission {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(u64, IpAddr, CancellationToken)>> {
        // No user code runs under this lock.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for a connection from `ip`, evicting the oldest unauthenticated connection of that
    /// address (or of any) when a bound is reached.
    pub(crate) fn admit(&self, ip: IpAddr) -> Slot<'_> {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let evicted = CancellationToken::new();
        let mut pending = self.lock();
        let from_here = pending.iter().filter(|(_, from, _)| *from == ip).count();
        let oldest = if from_here >= MAX_PER_ADDRESS {
            pending.iter().position(|(_, from, _)| *from == ip)
        } else if pending.len() >= MAX_HANDSHAKES {
            Some(0)
        } else {
            None
        };
        if let Some(at) = oldest {
            if let Some((_, _, token)) = pending.remove(at) {
                token.cancel();
            }
        }
        pending.push_back((id, ip, evicted.clone()));
        Slot {
            admission: self,
            id,
            evicted,
        }
    }

    /// How many connections hold a slot now.
    #[cfg(test)]
    pub(crate) fn pending(&self) -> usize {
        self.lock().len()
    }
}

/// How often refusals are summed up, and how many are logged in full before.
const INTERVAL: Duration = Duration::from_secs(10);
const IN_FULL: u32 = 5;

/// The log of refused connections: a few in full per interval, then counts by reason.
pub(crate) struct Refusals {
    state: Mutex<RefusalState>,
    /// Every refusal since the node started (`NetStats::refused`).
    total: std::sync::atomic::AtomicU64,
}

struct RefusalState {
    since: Instant,
    logged: u32,
    counted: HashMap<&'static str, u64>,
}

impl Default for Refusals {
    fn default() -> Self {
        Refusals {
            state: Mutex::new(RefusalState {
                since: Instant::now(),
                logged: 0,
                counted: HashMap::new(),
            }),
            total: Default::default(),
        }
    }
}

impl Refusals {
    /// How many connections were refused since the node started.
    pub(crate) fn total(&self) -> u64 {
        self.total.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A connection from `peer` was refused for `kind` (`detail` says more).
    pub(crate) fn refused(&self, peer: std::net::SocketAddr, kind: &'static str, detail: &str) {
        self.total
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.since.elapsed() >= INTERVAL {
            let counted = std::mem::take(&mut state.counted);
            if !counted.is_empty() {
                let mut counts: Vec<_> = counted.into_iter().collect();
                counts.sort();
                let summary: Vec<String> =
                    counts.iter().map(|(k, n)| format!("{k}: {n}")).collect();
                tracing::warn!(target: "thespian_net", interval = ?INTERVAL,
                    counts = %summary.join(", "), "more connections refused (not logged one by one)");
            }
            state.since = Instant::now();
            state.logged = 0;
        }
        if state.logged < IN_FULL {
            state.logged += 1;
            tracing::warn!(target: "thespian_net", %peer, reason = kind, detail, "connection refused");
        } else {
            *state.counted.entry(kind).or_default() += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newcomer_takes_the_slot_of_the_oldest_from_its_address() {
        let admission = Admission::default();
        let flood: IpAddr = [127, 0, 0, 1].into();
        let slots: Vec<_> = (0..MAX_PER_ADDRESS)
            .map(|_| admission.admit(flood))
            .collect();
        assert!(slots.iter().all(|s| !s.evicted.is_cancelled()));
        let newcomer = admission.admit(flood);
        assert!(slots[0].evicted.is_cancelled());
        assert!(!slots[1].evicted.is_cancelled());
        assert!(!newcomer.evicted.is_cancelled());
        // Another address is not limited by this one's bound.
        let other = admission.admit([10, 0, 0, 1].into());
        assert!(!other.evicted.is_cancelled());
        drop(slots);
        assert_eq!(admission.pending(), 2);
    }

    #[test]
    fn the_total_bound_evicts_the_oldest_of_all() {
        let admission = Admission::default();
        let slots: Vec<_> = (0..MAX_HANDSHAKES)
            .map(|i| admission.admit([10, 0, (i / 250) as u8, (i % 250) as u8].into()))
            .collect();
        let newcomer = admission.admit([192, 168, 0, 1].into());
        assert!(slots[0].evicted.is_cancelled());
        assert!(!newcomer.evicted.is_cancelled());
        assert_eq!(admission.pending(), MAX_HANDSHAKES);
    }
}
