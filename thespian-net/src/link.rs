//! A link: everything this node sends to one other node, and the requests waiting on it.
//!
//! Senders append whole frames to the link's buffer under a short lock (the message is encoded
//! right there, in the sender's task, and copied once); the connection's writer takes the buffer,
//! keeps its frames until they are acknowledged, and writes it with one call. While a stream of
//! frames keeps the buffer growing, the writer yields until a batch has gathered (see
//! `writer::gather`), so a stream goes out in a few system calls, and a lone frame after one
//! yield (or at once, written by its sender, when the link was quiet). A link with nothing to do
//! holds no connection; the first send opens one.
//!
//! Delivery is reliable across connections to the same run of the node: every frame but
//! heartbeats and acknowledgements gets a sequence number and is kept until the node acknowledges
//! it (cumulative acknowledgements, sent every [`ACK_EVERY`] frames and with any other traffic);
//! when a connection drops and the node is reached again, the frames not acknowledged are sent
//! again and the node drops those it had already handed on. So every message is handled once, in
//! order. Only when the node is *lost* (silent too long, or not reachable again) do the frames not
//! acknowledged become dead letters here and the requests waiting on it fail with `Unreachable`;
//! while it is known lost, sends fail at once, and a send starts a dial in the background (with
//! backoff) that makes it reachable again.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use thespian::remote::{
    self, Link, NodeId, Notice, Outgoing, ReplyRoute, ReplySink, ReplyWire, Unreachable, WireError,
};
use thespian::{ActorAddress, AskError};
use tokio::sync::{oneshot, watch, Notify};
use tokio_util::sync::CancellationToken;

use crate::frame::{self, Header};
use crate::node::NetInner;
use crate::stream::Direct;

/// How a connection ended, which decides whether its node is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The node is gone for good (it restarted, or this node shuts down).
    Gone,
    /// The node stayed silent for the failure detection time: it is lost now.
    Lost,
    /// The connection closed or failed: the node is lost unless it can be dialed again.
    Closed,
}

/// Something waiting for an answer from the node.
pub(crate) enum Pending {
    Ask(ReplyRoute, ReplyWire),
    Lookup(oneshot::Sender<Vec<u8>>),
}

pub(crate) enum Phase {
    /// No connection, nobody dialing.
    Idle,
    /// A connector task is dialing (or waiting to retry).
    Connecting,
    /// Connection `id` carries this link's frames; `accepted` if the node opened it.
    Up {
        id: u64,
        cancel: CancellationToken,
        accepted: bool,
    },
    /// The node is lost: sends fail at once. A send after `retry_at` starts one dial in the
    /// background (`dialing`); its success makes the link usable again.
    Down {
        retry_at: Instant,
        backoff: Duration,
        dialing: bool,
    },
    /// The node addressed is gone for good (it restarted: its actors no longer exist).
    Gone(String),
}

pub(crate) struct LinkState {
    /// Whole frames queued since the writer last took them (they join `unacked` when taken).
    out: Vec<u8>,
    /// What a new connection writes before `out`: where it resumes, then every frame not
    /// acknowledged.
    resend: Vec<u8>,
    pub(crate) phase: Phase,
    pub(crate) pending: HashMap<u64, Pending>,
    /// The writer found nothing to write and waits to be woken: only then does a send wake it,
    /// and a sender may seal and write its frame itself.
    pub(crate) writer_waiting: bool,
    /// The socket and sealer of the connection carrying this link (plain TCP only).
    pub(crate) direct: Option<Direct>,
    /// Wakes the writer of the connection carrying this link.
    pub(crate) wake: Arc<Notify>,
    /// Sealed bytes a sender could not write itself: the writer writes them before `out`.
    pub(crate) unsent: Vec<u8>,
    /// Since when the socket has been quiet (the writer finished, or a sender wrote to it). A send
    /// soon after leaves its frame to the writer, so a stream of messages is written in batches,
    /// not one system call each.
    pub(crate) quiet_since: Instant,
    /// The sequence number of the last frame queued.
    next_seq: u64,
    /// Every frame taken to be written and not acknowledged yet, in order, whole: what the next
    /// connection sends again. A sender copies its frame once, into `out`; the writer moves a
    /// whole batch here when it takes it.
    unacked: VecDeque<u8>,
    /// The sequence number and length of each frame of `unacked`, then of `out`.
    unacked_frames: VecDeque<(u64, usize)>,
    /// Since when frames have waited for an acknowledgement (the first was queued, the last
    /// acknowledgement came, or a new connection took them), if any wait.
    awaiting_ack: Option<Instant>,
}

/// A send that finds the socket quiet for longer than this is a lone message, written at once by
/// its sender; sooner, it is part of a stream, batched by the writer. Well under a loopback round
/// trip, so every ask of a request/reply exchange counts as lone.
const DIRECT_GAP: Duration = Duration::from_micros(10);

/// The receiving side acknowledges at least every this many frames (and with any frame it
/// writes anyway), so the sender's resend buffer stays small without a round trip per message.
pub(crate) const ACK_EVERY: u64 = 64;

impl LinkState {
    /// Takes every frame not acknowledged (the node is lost: they become dead letters), and the
    /// requests waiting.
    fn take_unacked(&mut self) -> (Vec<u8>, HashMap<u64, Pending>) {
        self.resend.clear();
        self.unsent.clear();
        self.unacked_frames.clear();
        self.awaiting_ack = None;
        let mut unacked = Vec::from(std::mem::take(&mut self.unacked));
        unacked.append(&mut self.out);
        (unacked, std::mem::take(&mut self.pending))
    }

    /// The writer takes what waits to be written into `batch` (empty): what a new connection
    /// sends again first, then the frames queued, which are kept until acknowledged.
    pub(crate) fn take_batch(&mut self, batch: &mut Vec<u8>) {
        if self.resend.is_empty() {
            std::mem::swap(&mut self.out, batch);
            self.unacked.extend(batch.iter());
        } else {
            std::mem::swap(&mut self.resend, batch);
            self.unacked.extend(self.out.iter());
            batch.extend_from_slice(&self.out);
            self.out.clear();
        }
    }

    /// How many bytes wait for the writer.
    pub(crate) fn waiting(&self) -> usize {
        self.resend.len() + self.out.len()
    }

    /// Whether connection `id` carries this link.
    pub(crate) fn carried_by(&self, id: u64) -> bool {
        matches!(self.phase, Phase::Up { id: up, .. } if up == id)
    }

    /// Connection `id` takes this link: where it resumes, then everything not acknowledged is
    /// sent again.
    fn carry(&mut self, id: u64, cancel: &CancellationToken, accepted: bool) {
        let replaced = std::mem::replace(
            &mut self.phase,
            Phase::Up {
                id,
                cancel: cancel.clone(),
                accepted,
            },
        );
        if let Phase::Up { cancel: old, .. } = replaced {
            // Its reader and writer end; they no longer touch this link.
            old.cancel();
        }
        self.writer_waiting = false;
        self.unsent.clear();
        // Frames queued and not taken yet are sent again with the others, in order.
        self.unacked.extend(self.out.iter());
        self.out.clear();
        self.resend.clear();
        // Frames given up when the node was lost left a gap in the numbers: the receiver
        // learns where this connection resumes.
        let after = self
            .unacked_frames
            .front()
            .map_or(self.next_seq, |&(seq, _)| seq - 1);
        let resume = Header::Resume { after };
        if self.awaiting_ack.is_some() {
            // The node has its full time to acknowledge them over the new connection.
            self.awaiting_ack = Some(Instant::now());
        }
        let _ = frame::append_frame(&mut self.resend, usize::MAX, &resume, |_| Ok(()));
        let (front, back) = self.unacked.as_slices();
        self.resend.extend_from_slice(front);
        self.resend.extend_from_slice(back);
    }
}

impl Pending {
    /// Nobody waits for the answer any more.
    fn abandoned(&self) -> bool {
        match self {
            Pending::Ask(route, _) => route.is_closed(),
            Pending::Lookup(tx) => tx.is_closed(),
        }
    }
}

pub(crate) struct LinkInner {
    pub(crate) node: NodeId,
    pub(crate) net: Weak<NetInner>,
    pub(crate) state: Mutex<LinkState>,
    max_frame: usize,
    max_backlog: usize,
    /// The ids of requests and lookups sent over this link.
    next_id: AtomicU64,
    /// The sequence number of the last frame from the node handed on: every frame up to it was
    /// handed on once. Held while frames are handed on, so that two connections of the node
    /// (an old one still being read, a new one) never hand on one frame twice or out of order.
    pub(crate) delivered: Mutex<u64>,
    /// Writes to the node's connections that carried frames (see `NetStats::writes`): one per
    /// batch, or per lone frame written by its sender.
    writes: AtomicU64,
    /// Whether the convention's membership watches the node: then the node's connections need
    /// no heartbeats of their own (readers and writers follow this; see `writer::Pace`).
    watched: watch::Sender<bool>,
}

thread_local! {
    /// Where a sender encodes its frame before queueing it (taken while in use, so a `Serialize`
    /// impl that sends again gets a fresh one).
    static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// A scratch buffer grown past this by a large message is not kept.
const SCRATCH_KEEP: usize = 64 << 10;

impl LinkInner {
    pub(crate) fn new(node: NodeId, net: &Arc<NetInner>) -> Arc<Self> {
        Arc::new(LinkInner {
            node,
            net: Arc::downgrade(net),
            state: Mutex::new(LinkState {
                out: Vec::new(),
                resend: Vec::new(),
                phase: Phase::Idle,
                pending: HashMap::new(),
                writer_waiting: false,
                direct: None,
                wake: Arc::new(Notify::new()),
                unsent: Vec::new(),
                quiet_since: Instant::now(),
                next_seq: 0,
                unacked: VecDeque::new(),
                unacked_frames: VecDeque::new(),
                awaiting_ack: None,
            }),
            max_frame: net.config.max_frame,
            max_backlog: net.config.max_backlog,
            next_id: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            delivered: Mutex::new(0),
            watched: watch::Sender::new(false),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, LinkState> {
        // No user code runs under this lock: the state stays consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends one frame and makes sure it will be written. `pending` is registered under the id
    /// the header was given.
    pub(crate) fn push<'a, R>(
        self: &Arc<Self>,
        header: impl FnOnce(u64) -> Header<&'a ActorAddress>,
        wants_id: bool,
        body: impl FnOnce(&mut Vec<u8>) -> Result<R, WireError>,
        pending: impl FnOnce(R) -> Option<Pending>,
    ) -> Result<(), WireError> {
        let id = if wants_id {
            self.next_id.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            0
        };
        // Encoded before taking the lock, into this thread's scratch buffer: user `Serialize`
        // code never runs under the link's lock (it may itself send to this node), and senders
        // hold the lock only to copy bytes.
        let mut frame = SCRATCH.take();
        frame.clear();
        let encoded = frame::append_frame(&mut frame, self.max_frame, &header(id), body);
        let result = encoded.and_then(|value| self.enqueue(&mut frame, id, value, pending));
        if frame.capacity() <= SCRATCH_KEEP {
            SCRATCH.set(frame);
        }
        result
    }

    /// Queues an encoded frame (see `push`), giving it the link's next sequence number.
    fn enqueue<R>(
        self: &Arc<Self>,
        frame: &mut [u8],
        id: u64,
        value: R,
        pending: impl FnOnce(R) -> Option<Pending>,
    ) -> Result<(), WireError> {
        let mut state = self.lock();
        match &mut state.phase {
            Phase::Gone(why) => return Err(WireError::Unreachable(self.unreachable_as(why, true))),
            Phase::Down {
                retry_at, dialing, ..
            } => {
                let dial = !*dialing && Instant::now() >= *retry_at;
                *dialing |= dial;
                drop(state);
                if dial {
                    if let Some(net) = self.net.upgrade() {
                        net.spawn(crate::conn::redial(net.clone(), self.clone()));
                    }
                }
                return Err(WireError::Unreachable(
                    self.unreachable_as("trying to reach it again", false),
                ));
            }
            _ => {}
        }
        let backlog = state.unacked.len() + state.out.len();
        if backlog >= self.max_backlog {
            return Err(WireError::Unreachable(Unreachable::Backlog {
                node: self.node,
                bytes: backlog,
            }));
        }
        state.next_seq += 1;
        let seq = state.next_seq;
        if state.awaiting_ack.is_none() {
            state.awaiting_ack = Some(Instant::now());
        }
        frame::set_seq(frame, seq);
        state.unacked_frames.push_back((seq, frame.len()));
        state.out.extend_from_slice(frame);
        if let Some(p) = pending(value) {
            let waiting = state.pending.len();
            if waiting >= 64 && waiting.is_power_of_two() {
                // Requests whose asker gave up (timed out) are answered by nobody.
                state.pending.retain(|_, p| !p.abandoned());
            }
            state.pending.insert(id, p);
        }
        let connect = matches!(state.phase, Phase::Idle);
        if connect {
            state.phase = Phase::Connecting;
        }
        if state.writer_waiting
            && matches!(state.phase, Phase::Up { .. })
            && state.quiet_since.elapsed() > DIRECT_GAP
        {
            // The writer is idle, so the buffer holds just this frame: seal and write it from
            // here, which saves a task switch on every lone message (the latency of an ask).
            // What the socket does not take at once is left to the writer, sealed.
            // Borrowed field by field (no clone of the socket and sealer per lone message).
            let st = &mut *state;
            if let Some(direct) = &st.direct {
                st.quiet_since = Instant::now();
                // Empty while the writer waits; its buffer is reused.
                let mut sealed = std::mem::take(&mut st.unsent);
                if direct.seal(&st.out, &mut sealed).is_ok() {
                    // Taken to be written, as the writer takes a batch.
                    st.unacked.extend(st.out.iter());
                    st.out.clear();
                    // The writer meets any error itself and ends the connection.
                    if let Ok(n) = direct.socket.try_write(&sealed) {
                        self.wrote();
                        sealed.drain(..n);
                    }
                }
                let done = sealed.is_empty() && st.out.is_empty();
                if !done || sealed.capacity() <= SCRATCH_KEEP {
                    st.unsent = sealed;
                }
                if done {
                    return Ok(());
                }
            }
        }
        let wake = std::mem::take(&mut state.writer_waiting).then(|| state.wake.clone());
        drop(state);
        if connect {
            match self.net.upgrade() {
                Some(net) => net.spawn(crate::conn::connect(net.clone(), self.clone())),
                None => self.lost("the network system is shut down", true),
            }
        } else if let Some(wake) = wake {
            wake.notify_one();
        }
        Ok(())
    }

    /// A write to one of the node's connections carried frames.
    pub(crate) fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }

    /// How many writes carried frames to the node.
    pub(crate) fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// The node acknowledged every frame up to `upto`: they need not be kept.
    pub(crate) fn acked(&self, upto: u64) {
        let mut state = self.lock();
        let mut bytes = 0;
        while let Some(&(seq, len)) = state.unacked_frames.front() {
            // Only frames taken to be written can have arrived: a peer acknowledging more (it
            // cannot have them) drains nothing that is not there.
            if seq > upto || bytes + len > state.unacked.len() {
                break;
            }
            state.unacked_frames.pop_front();
            bytes += len;
        }
        state.unacked.drain(..bytes);
        if bytes > 0 {
            state.awaiting_ack = (!state.unacked_frames.is_empty()).then(Instant::now);
        }
    }

    /// Whether connection `id` carries this link and frames have waited longer than `limit`
    /// for an acknowledgement from the node.
    pub(crate) fn ack_overdue(&self, id: u64, limit: Duration) -> bool {
        let state = self.lock();
        state.carried_by(id)
            && state
                .awaiting_ack
                .is_some_and(|since| since.elapsed() > limit)
    }

    /// The membership watches the node (or no longer does).
    pub(crate) fn set_watched(&self, watched: bool) {
        self.watched
            .send_if_modified(|w| std::mem::replace(w, watched) != watched);
    }

    /// Follows whether the membership watches the node.
    pub(crate) fn watched(&self) -> watch::Receiver<bool> {
        self.watched.subscribe()
    }

    /// Sends a frame without a body.
    pub(crate) fn control(self: &Arc<Self>, header: Header<&ActorAddress>) -> bool {
        self.push(move |_| header, false, |_| Ok(()), |()| None)
            .is_ok()
    }

    /// Asks the node which actor holds `name`; the answer is the encoded `Option<ActorAddress>`.
    pub(crate) fn lookup(
        self: &Arc<Self>,
        name: &str,
    ) -> Result<oneshot::Receiver<Vec<u8>>, WireError> {
        let (tx, rx) = oneshot::channel();
        self.push(
            |id| Header::Lookup {
                id,
                name: name.to_owned(),
            },
            true,
            |_| Ok(()),
            |()| Some(Pending::Lookup(tx)),
        )?;
        Ok(rx)
    }

    /// Whether nothing waits to be written: the buffer is empty and its writer idle (or there
    /// is no connection to write to).
    pub(crate) fn flushed(&self) -> bool {
        let state = self.lock();
        state.waiting() == 0 && (state.writer_waiting || !matches!(state.phase, Phase::Up { .. }))
    }

    /// Whether a connection is up.
    pub(crate) fn connected(&self) -> bool {
        matches!(self.lock().phase, Phase::Up { .. })
    }

    /// The connection carrying this link ended (or could not be made): fails what waits on the
    /// node, turns what was queued into dead letters. `forever` marks the node gone.
    pub(crate) fn lost(self: &Arc<Self>, why: &str, forever: bool) {
        let ended = if forever { Ended::Gone } else { Ended::Lost };
        self.lost_as(why, ended, None)
    }

    /// `connection`: only if that connection still carries the link (checked under the same
    /// lock as the change, so that its reader and writer ending together act once).
    fn lost_as(self: &Arc<Self>, why: &str, ended: Ended, connection: Option<u64>) {
        let net = self.net.upgrade();
        let mut was_up = false;
        let confirm = matches!(ended, Ended::Closed) && net.is_some();
        let lost = {
            let mut state = self.lock();
            if connection.is_some_and(|id| !state.carried_by(id)) {
                return;
            }
            if let Phase::Up { cancel, .. } = &state.phase {
                cancel.cancel();
                was_up = true;
            }
            state.direct = None;
            state.writer_waiting = false;
            state.unsent.clear();
            if was_up && confirm {
                // Dialing again at once tells a lost node (refused) from a lost connection;
                // meanwhile everything waits, to be sent again on the next connection.
                state.phase = Phase::Connecting;
                // Frames queued stay queued: the next connection takes them after the others.
                state.resend.clear();
                None
            } else {
                state.phase = match ended {
                    Ended::Gone => Phase::Gone(why.to_owned()),
                    _ => down(net.as_deref()),
                };
                Some(state.take_unacked())
            }
        };
        if let (true, Some(net)) = (was_up, &net) {
            if confirm {
                net.spawn(crate::conn::connect(net.clone(), self.clone()));
            } else {
                net.node_down(self.node);
            }
        }
        if let Some((unacked, pending)) = lost {
            let forever = matches!(ended, Ended::Gone);
            self.fail(self.unreachable_as(why, forever), &unacked, pending);
        }
    }

    /// A dial to the node failed: it is lost. What waits on it fails, what was queued for it
    /// becomes dead letters, and sends fail at once until a dial succeeds. Returns whether it
    /// was lost: not if a connection the node opened meanwhile carries the link.
    pub(crate) fn unreachable(&self, why: &str) -> bool {
        let net = self.net.upgrade();
        let (unacked, pending) = {
            let mut state = self.lock();
            if matches!(state.phase, Phase::Up { .. }) {
                return false;
            }
            if !matches!(state.phase, Phase::Gone(_)) {
                let backoff = match state.phase {
                    Phase::Down { backoff, .. } => next_backoff(
                        backoff,
                        net.as_ref().map_or(backoff, |n| n.config.backoff_max),
                    ),
                    _ => net
                        .as_ref()
                        .map_or(Duration::ZERO, |n| n.config.backoff_min),
                };
                state.phase = Phase::Down {
                    retry_at: Instant::now() + backoff,
                    backoff,
                    dialing: false,
                };
            }
            state.take_unacked()
        };
        self.fail(self.unreachable_as(why, false), &unacked, pending);
        true
    }

    /// Why the node cannot be reached: for now, or (`forever`) for good.
    fn unreachable_as(&self, why: &str, forever: bool) -> Unreachable {
        let (node, cause) = (self.node, why.to_owned());
        if forever {
            Unreachable::NodeGone { node, cause }
        } else {
            Unreachable::NodeLost { node, cause }
        }
    }

    /// Fails requests and dead-letters the messages of `unsent` (whole frames), outside the lock.
    pub(crate) fn fail(&self, why: Unreachable, out: &[u8], pending: HashMap<u64, Pending>) {
        if !pending.is_empty() || !out.is_empty() {
            tracing::warn!(target: "thespian_net", node = %self.node, reason = %why,
                pending = pending.len(), queued_bytes = out.len(), "link to node lost");
        }
        let error = WireError::Unreachable(why);
        for (_, p) in pending {
            if let Pending::Ask(route, _) = p {
                route.fail(AskError::Unreachable(error.clone()));
            }
        }
        let Some(system) = self.net.upgrade().and_then(|net| net.system.upgrade()) else {
            return;
        };
        // Decoding runs user code; a panic there loses these dead letters, nothing else.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            remote::decoding(&system, || {
                for frame in frame::frames(out) {
                    if let Ok((
                        _,
                        Header::Tell { to, sender, .. } | Header::Ask { to, sender, .. },
                        body,
                    )) = frame::decode_header(frame)
                    {
                        remote::undelivered(&system, self.node, to, sender, body);
                    }
                }
            })
        }));
    }

    /// Takes the connection `id` for this link if it has none (or its node was lost), or if
    /// the one it has was opened by the node too: a node dials only when it has no connection
    /// to this one, so it has given that one up (cut without a close, say). A connection the
    /// node opened then carries both ways.
    pub(crate) fn adopt(&self, id: u64, cancel: &CancellationToken) -> bool {
        let mut state = self.lock();
        match state.phase {
            Phase::Idle | Phase::Down { .. } | Phase::Up { accepted: true, .. } => {
                state.carry(id, cancel, true);
                true
            }
            _ => false,
        }
    }

    /// A dial made for this link succeeded: connection `id` carries it, unless the link has
    /// another or is gone.
    pub(crate) fn dialed(&self, id: u64, cancel: &CancellationToken) -> bool {
        let mut state = self.lock();
        match state.phase {
            Phase::Connecting | Phase::Idle | Phase::Down { .. } => {
                state.carry(id, cancel, false);
                true
            }
            _ => false,
        }
    }

    /// A background dial of a lost node failed: the next send after the backoff tries again.
    pub(crate) fn redial_failed(&self) {
        if let Phase::Down { dialing, .. } = &mut self.lock().phase {
            *dialing = false;
        }
    }

    /// Closes the connection carrying this link (a partition injected by a test); its
    /// reader and writer end as on any cut.
    pub(crate) fn cut(&self) {
        if let Phase::Up { cancel, .. } = &self.lock().phase {
            cancel.cancel();
        }
    }

    /// Connection `id` ended: if it was this link's, the link is lost. A node that stayed
    /// silent (`Ended::Lost`) is lost at once; a connection that closed or failed
    /// (`Ended::Closed`) is dialed again first, and the node is lost only if that fails.
    pub(crate) fn connection_ended(self: &Arc<Self>, id: u64, why: &str, ended: Ended) {
        self.lost_as(why, ended, Some(id));
    }

    /// Takes the request waiting under `id`.
    pub(crate) fn take_pending(&self, id: u64) -> Option<Pending> {
        self.lock().pending.remove(&id)
    }
}

/// The phase of a link whose node was just lost.
fn down(net: Option<&NetInner>) -> Phase {
    let backoff = net.map_or(Duration::ZERO, |n| n.config.backoff_min);
    Phase::Down {
        retry_at: Instant::now() + backoff,
        backoff,
        dialing: false,
    }
}

/// The link as the core sees it: where proxies send.
pub(crate) struct LinkHandle(pub(crate) Arc<LinkInner>);

impl Link for LinkHandle {
    fn is_up(&self) -> bool {
        !matches!(self.0.lock().phase, Phase::Gone(_) | Phase::Down { .. })
    }

    fn send(&self, message: Outgoing<'_>) -> Result<(), (WireError, Option<ReplyRoute>)> {
        let Outgoing {
            to,
            sender,
            mut reply,
            trace,
            body,
            ..
        } = message;
        let wants_id = reply.is_some();
        let sent = self.0.push(
            |id| match wants_id {
                true => Header::Ask {
                    to,
                    sender,
                    id,
                    trace,
                },
                false => Header::Tell { to, sender, trace },
            },
            wants_id,
            body,
            |wire| reply.take().map(|route| Pending::Ask(route, wire)),
        );
        sent.map_err(|e| (e, reply))
    }

    fn request_exit(&self, to: u64) -> bool {
        self.0.control(Header::Exit { to })
    }

    fn answer(&self, id: u64, reply: Result<Vec<u8>, AskError>) -> bool {
        self.0.reply(
            reply,
            |_| Header::Answer { id },
            |error| Header::AnswerFailed { id, error },
        )
    }

    fn notify(&self, to: u64, notice: Notice<&ActorAddress>) -> bool {
        self.0.control(Header::Notice { to, notice })
    }
}

/// Where the answer to a request from the node goes: back over the link.
pub(crate) struct Sink {
    pub(crate) link: Arc<LinkInner>,
    pub(crate) id: u64,
}

impl ReplySink for Sink {
    fn send(self: Box<Self>, reply: Result<Vec<u8>, AskError>) {
        let id = self.id;
        if !self.link.reply(
            reply,
            |_| Header::Reply { id },
            |error| Header::Failed { id, error },
        ) {
            tracing::debug!(target: "thespian_net", node = %self.link.node, id, "reply not sent");
        }
    }
}

impl LinkInner {
    /// Sends an answer: the encoded reply under one header, or the error under another.
    fn reply(
        self: &Arc<Self>,
        reply: Result<Vec<u8>, AskError>,
        ok: impl FnOnce(u64) -> Header<&'static ActorAddress>,
        failed: impl FnOnce(crate::frame::WireAskError) -> Header<&'static ActorAddress>,
    ) -> bool {
        match reply {
            Ok(bytes) => {
                let sent = self.push(
                    ok,
                    false,
                    |out| {
                        out.extend_from_slice(&bytes);
                        Ok(())
                    },
                    |()| None,
                );
                match sent {
                    Ok(_) => true,
                    // Too large for a frame: the asker hears why now, not at its timeout.
                    Err(error @ WireError::TooLarge { .. }) => {
                        self.control(failed(AskError::Unreachable(error).into()))
                    }
                    Err(_) => false,
                }
            }
            Err(error) => self.control(failed(error.into())),
        }
    }
}

/// How long to wait before dialing again.
pub(crate) fn next_backoff(current: Duration, max: Duration) -> Duration {
    current.saturating_mul(2).min(max)
}
