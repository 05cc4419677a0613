//! The writer of a connection, and what the two sides tell each other about heartbeats.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

use crate::frame::{self, Header};
use crate::link::{Ended, LinkInner, ACK_EVERY};
use crate::node::NetInner;
use crate::stream::WriteSide;

/// What the two sides of one connection tell each other about heartbeats. A side whose
/// convention membership watches the other (SWIM probes it) needs no heartbeats to know it is
/// alive: it says so with a `Heartbeats { wanted: false }` frame, stops its own silence limit,
/// and asks for them again when the membership stops watching. At rest, a convention's
/// connections then carry nothing but the membership's own probes.
#[derive(Default)]
pub(crate) struct Pace {
    /// The peer asked for no heartbeats on this connection.
    peer_quiet: AtomicBool,
    /// Wakes the writer: the peer changed its request, or an acknowledgement is due.
    changed: Notify,
    /// The writer waits with no timer: frames handed on from this connection must wake it, so
    /// that it acknowledges them.
    frames_wait: AtomicBool,
    /// The link's count of frames handed on, when this connection's reader last handed some
    /// on, and the last acknowledgement this connection's writer sent. Each connection
    /// acknowledges what arrived on it, back on it: the one direction known to work.
    delivered: AtomicU64,
    acked: AtomicU64,
}

impl Pace {
    pub(crate) fn peer_quiet(&self) -> bool {
        self.peer_quiet.load(Ordering::Acquire)
    }

    /// The peer wants heartbeats on this connection, or not.
    pub(crate) fn peer_wants(&self, wanted: bool) {
        if self.peer_quiet.swap(!wanted, Ordering::AcqRel) == wanted {
            self.changed.notify_one();
        }
    }

    /// This connection's reader handed on frames up to `delivered`: an acknowledgement is due
    /// every [`ACK_EVERY`] frames (the writer also sends one with anything it writes, and
    /// after a heartbeat's time), and a writer waiting with no timer must start one.
    pub(crate) fn handed_on(&self, delivered: u64) {
        // SeqCst with `wait_for_frames`: the writer sees the acknowledgement owed, or this
        // sees it waiting.
        self.delivered.store(delivered, Ordering::SeqCst);
        let owed = delivered.saturating_sub(self.acked.load(Ordering::Acquire));
        let untimed = owed > 0
            && self.frames_wait.load(Ordering::SeqCst)
            && self.frames_wait.swap(false, Ordering::SeqCst);
        if owed >= ACK_EVERY || untimed {
            self.changed.notify_one();
        }
    }

    /// Whether frames handed on from this connection wait for their acknowledgement.
    fn ack_owed(&self) -> bool {
        self.delivered.load(Ordering::SeqCst) > self.acked.load(Ordering::Acquire)
    }

    /// The writer is about to wait with no timer unless an acknowledgement is owed (returned).
    fn wait_for_frames(&self) -> bool {
        self.frames_wait.store(true, Ordering::SeqCst);
        self.ack_owed()
    }

    /// The acknowledgement to send now: one is due every [`ACK_EVERY`] frames handed on, or,
    /// with `any`, whenever frames were handed on since the last one.
    fn ack_due(&self, any: bool) -> Option<u64> {
        let delivered = self.delivered.load(Ordering::SeqCst);
        let sent = self.acked.load(Ordering::Acquire);
        if delivered <= sent || (!any && delivered - sent < ACK_EVERY) {
            return None;
        }
        self.acked.store(delivered, Ordering::Release);
        Some(delivered)
    }
}

/// The writer of one connection.
pub(crate) struct Writer {
    net: Arc<NetInner>,
    link: Arc<LinkInner>,
    id: u64,
    cancel: CancellationToken,
    pace: Arc<Pace>,
    /// Whether the membership watches the peer...
    watched: watch::Receiver<bool>,
    /// ...and what this side last told the peer about it.
    told_quiet: bool,
}

impl Writer {
    pub(crate) fn new(
        net: Arc<NetInner>,
        link: Arc<LinkInner>,
        id: u64,
        cancel: CancellationToken,
        pace: Arc<Pace>,
    ) -> Self {
        let watched = link.watched();
        Writer {
            net,
            link,
            id,
            cancel,
            pace,
            watched,
            told_quiet: false,
        }
    }

    /// Adds the frames about this connection that are due: whether heartbeats are wanted (when
    /// the membership began or stopped watching the peer), and an acknowledgement (at the end:
    /// its place does not matter): with other frames, every
    /// [`ACK_EVERY`](crate::link::ACK_EVERY) frames handed on, or
    /// with `force` (a timer ran out) whatever is owed.
    fn control(&mut self, batch: &mut Vec<u8>, ack: bool, force: bool) {
        let quiet = *self.watched.borrow_and_update();
        if quiet != self.told_quiet {
            self.told_quiet = quiet;
            let wanted = Header::Heartbeats { wanted: !quiet };
            let _ = frame::append_frame(batch, usize::MAX, &wanted, |_| Ok(()));
        }
        if !ack {
            return;
        }
        if let Some(upto) = self.pace.ack_due(force || !batch.is_empty()) {
            let _ = frame::append_frame(batch, usize::MAX, &Header::Ack { upto }, |_| Ok(()));
        }
    }

    /// Waits until the next heartbeat is due (never, while the peer wants none), the
    /// membership starts or stops watching the peer, or the peer changes its request.
    /// Returns whether a heartbeat is due.
    async fn idle(&mut self, timed: bool) -> bool {
        let heartbeat = self.net.config.heartbeat;
        tokio::select! {
            biased;
            _ = self.watched.changed() => false,
            // A peer that wants heartbeats again hears one at once: it may be checking
            // whether this node is still there.
            _ = self.pace.changed.notified() => !self.pace.peer_quiet(),
            _ = tokio::time::sleep(heartbeat), if timed => true,
        }
    }

    /// Writes what the link queues: whole buffers at once; a heartbeat when there is nothing
    /// else, if the peer wants them. While it waits, a sender may seal and write its frame
    /// itself (see `LinkInner::push`). `carrier` is the wake-up of a connection that carries
    /// the link's frames (others only send heartbeats and acknowledgements).
    pub(crate) async fn run(mut self, mut write: WriteSide, carrier: Option<Arc<Notify>>) {
        let (link, id, cancel) = (self.link.clone(), self.id, self.cancel.clone());
        let mut batch = Vec::new();
        // Sealed bytes a sender could not write itself: they go out first.
        let mut unsent = Vec::new();
        let heartbeat = {
            let mut out = Vec::new();
            let _ = frame::append_frame(&mut out, usize::MAX, &Header::Heartbeat, |_| Ok(()));
            out
        };
        let why = loop {
            if let Some(wake) = &carrier {
                gather(&link).await;
                let carries = {
                    let mut state = link.lock();
                    // A writer whose connection no longer carries the link must not touch its
                    // frames (they belong to the next connection now).
                    let carries = !cancel.is_cancelled() && state.carried_by(id);
                    if carries {
                        state.take_batch(&mut batch);
                        std::mem::swap(&mut state.unsent, &mut unsent);
                        // Decided under the lock, with the acknowledgement in the batch: while
                        // this writer writes, no sender may.
                        let force = !unsent.is_empty();
                        self.control(&mut batch, true, force);
                        state.writer_waiting = batch.is_empty() && unsent.is_empty();
                        if state.writer_waiting {
                            state.quiet_since = std::time::Instant::now();
                        }
                    }
                    carries
                };
                if !carries {
                    break "replaced";
                }
                if batch.is_empty() && unsent.is_empty() {
                    // With no heartbeats wanted, a timer runs only while an acknowledgement is
                    // owed (frames handed on since wake this writer: see `Pace::handed_on`).
                    let quiet = self.pace.peer_quiet();
                    let timed = !quiet || self.pace.wait_for_frames();
                    let due = tokio::select! {
                        biased;
                        _ = cancel.cancelled() => break "closed",
                        _ = wake.notified() => false,
                        due = self.idle(timed) => due,
                    };
                    self.pace.frames_wait.store(false, Ordering::SeqCst);
                    if !due {
                        continue;
                    }
                    // Take the socket back from senders before writing to it.
                    let idle = {
                        let mut state = link.lock();
                        let idle =
                            state.writer_waiting && state.waiting() == 0 && state.carried_by(id);
                        state.writer_waiting &= !idle;
                        idle
                    };
                    if !idle {
                        continue;
                    }
                    // Asked again while this writer waited: the peer hears one at once.
                    if !self.pace.peer_quiet() {
                        batch.extend_from_slice(&heartbeat);
                        self.net.heartbeats.fetch_add(1, Ordering::Relaxed);
                    }
                    self.control(&mut batch, true, true);
                    if batch.is_empty() {
                        continue;
                    }
                }
            } else {
                // Not carrying the link, this connection still acknowledges what it reads
                // (after a heartbeat's time, or with one): the link may have no other
                // connection up, or only one that no longer works.
                self.control(&mut batch, false, false);
                if batch.is_empty() {
                    let timed = !self.pace.peer_quiet() || self.pace.wait_for_frames();
                    let due = tokio::select! {
                        biased;
                        _ = cancel.cancelled() => break "closed",
                        due = self.idle(timed) => due,
                    };
                    self.pace.frames_wait.store(false, Ordering::SeqCst);
                    if !due {
                        continue;
                    }
                    if !self.pace.peer_quiet() {
                        batch.extend_from_slice(&heartbeat);
                        self.net.heartbeats.fetch_add(1, Ordering::Relaxed);
                    }
                    if let Some(upto) = self.pace.ack_due(true) {
                        let ack = Header::Ack { upto };
                        let _ = frame::append_frame(&mut batch, usize::MAX, &ack, |_| Ok(()));
                    }
                    if batch.is_empty() {
                        continue;
                    }
                }
            }
            let mut written = 0;
            let limit = self.net.config.down_after;
            let result = tokio::select! {
                biased;
                _ = cancel.cancelled() => Err("closed"),
                result = write.write_all(&unsent, &batch, &mut written, limit) => {
                    result.map_err(|_| "write failed or the peer stopped reading")
                }
            };
            if let Err(why) = result {
                // Nothing is lost: what was not acknowledged is sent again on the next
                // connection.
                let _ = written;
                break why;
            }
            link.wrote();
            batch.clear();
            unsent.clear();
            if batch.capacity() > 1 << 20 {
                batch = Vec::new();
            }
        };
        link.connection_ended(id, why, Ended::Closed);
        cancel.cancel();
        write.shutdown().await;
    }
}

/// A batch this large is written at once; a smaller one waits while it grows (see [`gather`]).
const BATCH: usize = 64 << 10;
/// The most yields one batch waits for.
const GATHER_MAX: u32 = 128;

/// Lets the frames waiting for the writer grow into one batch before they are taken: while they
/// are fewer than [`BATCH`] bytes and grew since the last look (one yield apart), the writer
/// yields. A lone frame costs one yield; a stream costs one write per batch instead of one per
/// look (100,000 tells to one node, counted by `NetStats::writes` in a debug build: about 18,500
/// writes without gathering, 125 with it), and each write runs the whole TCP path.
async fn gather(link: &LinkInner) {
    let mut seen = 0;
    for _ in 0..GATHER_MAX {
        let waiting = link.lock().waiting();
        if waiting == 0 || waiting >= BATCH || waiting == seen {
            return;
        }
        seen = waiting;
        tokio::task::yield_now().await;
    }
}
