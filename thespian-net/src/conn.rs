//! Connections: dialing, the writer and reader of each connection, and what arrives on one.

use std::net::SocketAddr;
use std::sync::Arc;

use std::collections::HashMap;

use thespian::remote::{self, LocalActor, NodeId, ReplySink, WireError};
use thespian::{ActorAddress, ActorSystem, AskError};
use tokio_util::sync::CancellationToken;

use crate::error::{HandshakeError, NetError};
use crate::frame::{self, Header};
use crate::handshake::{self, Shaken};
use crate::link::{Ended, LinkInner, Pending, Sink};
use crate::node::NetInner;
use crate::seal::Keys;
use crate::stream::{ReadSide, Stream, WriteSide};

/// Opens a connection to `addr` and proves the secret; `expected` is the incarnation addressed.
pub(crate) async fn dial(
    net: &NetInner,
    addr: SocketAddr,
    expected: Option<u64>,
) -> Result<(Stream, Shaken), NetError> {
    if net.cut_off(addr) {
        return Err(NetError::Handshake {
            peer: addr,
            reason: HandshakeError::Closed,
        });
    }
    let limit = net.config.handshake_timeout;
    let attempt = async {
        let mut stream = Stream::connect(net, addr).await?;
        let refused = |reason| NetError::Handshake { peer: addr, reason };
        let channel = stream.channel().map_err(refused)?;
        let shaken = handshake::dial(&mut stream, &net.config.key, net.node, expected, &channel)
            .await
            .map_err(refused)?;
        Ok::<_, NetError>((stream, shaken))
    };
    match tokio::time::timeout(limit, attempt).await {
        Ok(result) => result,
        Err(_) => Err(NetError::Handshake {
            peer: addr,
            reason: HandshakeError::Timeout,
        }),
    }
}

/// The connector of a link: dials once. On success the connection carries the link (sending
/// again whatever was not acknowledged); on failure the node is lost.
pub(crate) async fn connect(net: Arc<NetInner>, link: Arc<LinkInner>) {
    if net.cancel.is_cancelled() {
        link.lost("the network system is shut down", true);
        return;
    }
    match dial(&net, link.node.addr, Some(link.node.incarnation)).await {
        Ok((stream, shaken)) => carry(&net, &link, stream, shaken.keys),
        Err(NetError::Handshake {
            reason: reason @ HandshakeError::Stale { .. },
            ..
        }) => {
            link.lost(&reason.to_string(), true);
            net.node_down(link.node);
        }
        Err(e) => {
            tracing::warn!(target: "thespian_net", node = %link.node, error = %e,
                "cannot reach node");
            link.unreachable(&e.to_string());
            // Whatever waits on the node learns it cannot be reached: watchers and parents
            // of actors there hear `NodeLost`.
            net.node_down(link.node);
        }
    }
}

/// A background dial of a node known lost (started by a send, see `LinkInner::enqueue`).
pub(crate) async fn redial(net: Arc<NetInner>, link: Arc<LinkInner>) {
    if net.cancel.is_cancelled() {
        return;
    }
    match dial(&net, link.node.addr, Some(link.node.incarnation)).await {
        Ok((stream, shaken)) => {
            tracing::info!(target: "thespian_net", node = %link.node, "node reachable again");
            carry(&net, &link, stream, shaken.keys);
        }
        Err(NetError::Handshake {
            reason: reason @ HandshakeError::Stale { .. },
            ..
        }) => link.lost(&reason.to_string(), true),
        Err(e) => {
            tracing::debug!(target: "thespian_net", node = %link.node, error = %e,
                "node still unreachable");
            link.redial_failed();
            link.unreachable(&e.to_string());
        }
    }
}

/// A dialed connection takes the link (unless another took it meanwhile) and runs.
fn carry(net: &Arc<NetInner>, link: &Arc<LinkInner>, stream: Stream, keys: Keys) {
    let cancel = net.cancel.child_token();
    let id = net.next_connection_id();
    let taken = link.dialed(id, &cancel);
    run(net.clone(), stream, keys, link.node, id, cancel, taken);
}

/// Starts the writer (if `writes`, for the link of `peer`) and the reader of a connection whose
/// records `keys` seal.
pub(crate) fn run(
    net: Arc<NetInner>,
    stream: Stream,
    keys: Keys,
    peer: NodeId,
    id: u64,
    cancel: CancellationToken,
    writes: bool,
) {
    let (read, write) = stream.split(keys);
    let link = net.link(peer);
    let wake = Arc::new(tokio::sync::Notify::new());
    if writes {
        let mut state = link.lock();
        if state.carried_by(id) {
            state.direct = write.direct();
            state.wake = wake.clone();
        }
    }
    // A connection that does not carry this link's frames (the peer opened it while this side
    // had its own) still sends heartbeats, so the peer does not take it for dead.
    net.spawn(writer(
        net.clone(),
        link.clone(),
        write,
        id,
        cancel.clone(),
        writes.then_some(wake),
    ));
    net.spawn(reader(net.clone(), link, read, id, cancel));
}

/// Writes what the link queues: whole buffers at once; a heartbeat when there is nothing else.
/// While it waits, a sender may seal and write its frame itself (see `LinkInner::push`).
/// `carrier` is the wake-up of a connection that carries the link's frames (others only send
/// heartbeats).
async fn writer(
    net: Arc<NetInner>,
    link: Arc<LinkInner>,
    mut write: WriteSide,
    id: u64,
    cancel: CancellationToken,
    carrier: Option<Arc<tokio::sync::Notify>>,
) {
    let mut batch = Vec::new();
    // Sealed bytes a sender could not write itself: they go out first.
    let mut unsent = Vec::new();
    let heartbeat = {
        let mut out = Vec::new();
        let _ = frame::append_frame(&mut out, usize::MAX, &Header::Heartbeat, |_| Ok(()));
        out
    };
    // An acknowledgement rides with whatever is written (at the end: its place does not matter).
    let ack = |batch: &mut Vec<u8>| {
        if let Some(upto) = link.ack_due() {
            let _ = frame::append_frame(batch, usize::MAX, &Header::Ack { upto }, |_| Ok(()));
        }
    };
    let why = loop {
        if let Some(wake) = &carrier {
            let carries = {
                let mut state = link.lock();
                // A writer whose connection no longer carries the link must not touch its
                // frames (they belong to the next connection now).
                let carries = !cancel.is_cancelled() && state.carried_by(id);
                if carries {
                    std::mem::swap(&mut state.out, &mut batch);
                    std::mem::swap(&mut state.unsent, &mut unsent);
                    // Decided under the lock, with the acknowledgement in the batch: while
                    // this writer writes, no sender may.
                    ack(&mut batch);
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
                tokio::select! {
                    biased;
                    _ = cancel.cancelled() => break "closed",
                    _ = wake.notified() => continue,
                    _ = tokio::time::sleep(net.config.heartbeat) => {
                        // Take the socket back from senders before writing to it.
                        let quiet = {
                            let mut state = link.lock();
                            let quiet = state.writer_waiting
                                && state.out.is_empty()
                                && state.carried_by(id);
                            state.writer_waiting &= !quiet;
                            quiet
                        };
                        if !quiet {
                            continue;
                        }
                        batch.extend_from_slice(&heartbeat);
                        ack(&mut batch);
                    }
                }
            }
        } else {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break "closed",
                _ = tokio::time::sleep(net.config.heartbeat) => batch.extend_from_slice(&heartbeat),
            }
        }
        let mut written = 0;
        let result = tokio::select! {
            biased;
            _ = cancel.cancelled() => Err("closed"),
            result = write.write_all(&unsent, &batch, &mut written, net.config.down_after) => {
                result.map_err(|_| "write failed or the peer stopped reading")
            }
        };
        if let Err(why) = result {
            // Nothing is lost: what was not acknowledged is sent again on the next connection.
            let _ = written;
            break why;
        }
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

/// Reads frames until the peer goes quiet for too long, closes, or breaks the protocol.
async fn reader(
    net: Arc<NetInner>,
    link: Arc<LinkInner>,
    read: ReadSide,
    id: u64,
    cancel: CancellationToken,
) {
    let mut source = read;
    let mut buffer: Vec<u8> = Vec::new();
    let mut actors = Actors::default();
    let mut ended = Ended::Closed;
    let why = loop {
        // The silence limit applies to each read: a slow peer that keeps sending is alive.
        let read = tokio::select! {
            read = tokio::time::timeout(net.config.down_after, source.read_into(&mut buffer)) => read,
            _ = cancel.cancelled() => break "closed".to_owned(),
        };
        match read {
            Err(_) => {
                ended = Ended::Lost;
                break format!("silent for {:?}", net.config.down_after);
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                break format!("protocol violation: {e}")
            }
            Ok(Err(e)) => break format!("read failed: {e}"),
            Ok(Ok(0)) if buffer.is_empty() && !source.mid_record() => {
                break "connection closed by the peer".to_owned()
            }
            Ok(Ok(0)) => {
                break "bad frame: the connection closed in the middle of a frame".to_owned()
            }
            Ok(Ok(_)) => {}
        }
        if net.cut_off(link.node.addr) {
            break "cut off by a test (partition)".to_owned();
        }
        let Some(system) = net.system.upgrade() else {
            break "the actor system is gone".to_owned();
        };
        // Every whole frame read so far is handled under one decoding scope, straight from the
        // buffer. User code runs in here (Deserialize impls, dead-letter handling): a panic ends
        // this connection like any other failure, never the reader alone.
        let max = net.config.max_frame;
        let handled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // Held while this buffer's frames are handed on (see `LinkInner::delivered`).
            let mut delivered = link.delivered.lock().unwrap_or_else(|e| e.into_inner());
            let handled = remote::decoding(&system, || {
                let mut at = 0;
                let result = loop {
                    match frame::next_frame(&buffer[at..], max) {
                        Ok(Some((frame, used))) => {
                            at += used;
                            let handled = frame::decode_header(frame)
                                .map_err(|e| format!("protocol violation: {e}"))
                                .and_then(|(seq, header, body)| {
                                    match in_sequence(&mut delivered, seq)? {
                                        true => dispatch(&system, &link, &mut actors, header, body),
                                        // Sent again after a reconnection: handed on already.
                                        false => Ok(()),
                                    }
                                });
                            if let Err(why) = handled {
                                break Err(why);
                            }
                        }
                        Ok(None) => break Ok(()),
                        Err(len) => {
                            break Err(format!(
                                "bad frame: {len} bytes announced, the limit is {max}"
                            ))
                        }
                    }
                };
                buffer.drain(..at);
                result
            });
            link.handed_on(*delivered);
            handled
        }));
        match handled {
            Ok(Ok(())) => {}
            Ok(Err(why)) => break why,
            Err(_) => break "protocol violation: a panic while handling a frame".to_owned(),
        }
        if buffer.is_empty() && buffer.capacity() > 1 << 20 {
            // A large frame grew the buffer: give the memory back.
            buffer = Vec::new();
        }
    };
    tracing::debug!(target: "thespian_net", node = %link.node, connection = id, reason = %why,
        "connection ended");
    if why.starts_with("bad frame") || why.starts_with("protocol") {
        tracing::warn!(target: "thespian_net", node = %link.node, reason = %why,
            "peer disconnected");
    }
    cancel.cancel();
    link.connection_ended(id, &why, ended);
}

/// Whether a frame with sequence number `seq` is the next one from its node (then counted), one
/// handed on already (`false`), or out of order (a protocol violation). 0 is a frame that is
/// never sent again (heartbeats, acknowledgements): always handed on.
fn in_sequence(delivered: &mut u64, seq: u64) -> Result<bool, String> {
    if seq == 0 {
        return Ok(true);
    }
    if seq <= *delivered {
        return Ok(false);
    }
    if seq != *delivered + 1 {
        return Err(format!(
            "protocol violation: frame {seq} after frame {delivered}"
        ));
    }
    *delivered = seq;
    Ok(true)
}

/// The local actors a connection has delivered to, so that a stream of messages to one actor
/// resolves it once (and the last one without even hashing). Ids are never reused, so an entry
/// for an actor that has exited stays correct: its messages become dead letters. Bounded: a peer
/// naming many actors only empties it more often.
#[derive(Default)]
struct Actors {
    last: Option<(u64, LocalActor)>,
    known: HashMap<u64, LocalActor>,
}

impl Actors {
    const MAX: usize = 1024;

    fn get(&mut self, system: &ActorSystem, to: u64) -> Option<&LocalActor> {
        if self.last.as_ref().is_none_or(|(id, _)| *id != to) {
            let actor = match self.known.get(&to) {
                Some(actor) => actor.clone(),
                None => {
                    let actor = remote::local_actor(system, to)?;
                    if self.known.len() >= Self::MAX {
                        self.known.retain(|_, a| a.is_alive());
                        if self.known.len() >= Self::MAX {
                            self.known.clear();
                        }
                    }
                    self.known.insert(to, actor.clone());
                    actor
                }
            };
            self.last = Some((to, actor));
        }
        self.last.as_ref().map(|(_, actor)| actor)
    }
}

/// Hands one message to its local actor; logs what cannot be delivered.
fn deliver(
    system: &ActorSystem,
    link: &LinkInner,
    actors: &mut Actors,
    to: u64,
    sender: Option<ActorAddress>,
    reply: Option<Box<dyn ReplySink>>,
    body: &[u8],
) {
    let result = match actors.get(system, to) {
        Some(actor) => actor.deliver(sender, reply, body),
        None => {
            if let Some(reply) = reply {
                reply.send(Err(AskError::DeadActor));
            }
            Err(WireError::UnknownActor(to))
        }
    };
    if let Err(e) = result {
        tracing::debug!(target: "thespian_net", node = %link.node, actor = to, error = %e,
            "message not delivered");
    }
}

/// Handles one frame from the link's node (inside the system's decoding scope). An error closes
/// the connection (the header could not be read); a message that cannot be handed to its actor
/// is only logged.
fn dispatch(
    system: &ActorSystem,
    link: &Arc<LinkInner>,
    actors: &mut Actors,
    header: Header<ActorAddress>,
    body: &[u8],
) -> Result<(), String> {
    match header {
        Header::Tell { to, sender } => deliver(system, link, actors, to, sender, None, body),
        Header::Ask { to, sender, id } => {
            let sink = Box::new(Sink {
                link: link.clone(),
                id,
            });
            deliver(system, link, actors, to, sender, Some(sink), body);
        }
        Header::Reply { id } => match link.take_pending(id) {
            Some(Pending::Ask(route, wire)) => route.answer(&wire, body),
            Some(Pending::Lookup(tx)) => {
                let _ = tx.send(body.to_vec());
            }
            None => {}
        },
        Header::Failed { id, error } => {
            if let Some(Pending::Ask(route, _)) = link.take_pending(id) {
                route.fail(error.into());
            }
        }
        Header::Found { id } => {
            if let Some(Pending::Lookup(tx)) = link.take_pending(id) {
                let _ = tx.send(body.to_vec());
            }
        }
        Header::Answer { id } => remote::answer(system, id, Ok(body)),
        Header::AnswerFailed { id, error } => remote::answer(system, id, Err(error.into())),
        Header::Exit { to } => {
            remote::request_exit(system, to);
        }
        Header::Lookup { id, name } => {
            let found = system.named_address(&name);
            let answered = link.push(
                |_| Header::Found { id },
                false,
                |out| remote::encode(&found, out),
                |()| None,
            );
            if let Err(e) = answered {
                // The asker times out; the connection is not at fault.
                tracing::debug!(target: "thespian_net", node = %link.node, error = %e,
                    "lookup not answered");
            }
        }
        Header::Heartbeat => {}
        Header::Ack { upto } => link.acked(upto),
        Header::Notice { to, notice } => remote::notice(system, link.node, to, notice),
        Header::Gossip => {
            if let Some(net) = link.net.upgrade() {
                net.gossip_in(link.node, body);
            }
        }
    }
    Ok(())
}
