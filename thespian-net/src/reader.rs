//! The reader of a connection: frames in order, handed to their actors.

use std::collections::HashMap;
use std::num::NonZeroU64;
use std::sync::Arc;

use thespian::remote::{self, LocalActor, ReplySink, WireError};
use thespian::{ActorAddress, ActorSystem, AskError};
use tokio_util::sync::CancellationToken;

use crate::frame::{self, Header};
use crate::link::{Ended, LinkInner, Pending, Sink};
use crate::node::NetInner;
use crate::stream::ReadSide;
use crate::writer::Pace;

/// Reads frames until the peer goes quiet for too long, closes, or breaks the protocol. While
/// the membership watches the peer (see [`Pace`]), silence only ends the connection if frames
/// it carries have waited twice as long for their acknowledgement (the peer is then lost, as if
/// silent); once the membership stops watching, a peer silent for the limit already has half
/// of it more to be heard.
pub(crate) async fn reader(
    net: Arc<NetInner>,
    link: Arc<LinkInner>,
    read: ReadSide,
    id: u64,
    cancel: CancellationToken,
    pace: Arc<Pace>,
) {
    let mut source = read;
    let mut buffer: Vec<u8> = Vec::new();
    let mut actors = Actors::default();
    let mut ended = Ended::Closed;
    let mut watched = link.watched();
    let limit = net.config.down_after;
    let mut heard = tokio::time::Instant::now();
    let silence = tokio::time::sleep_until(heard + limit);
    tokio::pin!(silence);
    let why = loop {
        let quiet = *watched.borrow_and_update();
        let read = tokio::select! {
            biased;
            _ = cancel.cancelled() => break "closed".to_owned(),
            read = source.read_into(&mut buffer) => read,
            _ = watched.changed() => {
                // No longer watched (the membership declared the peer down): it has been
                // asked for heartbeats, and has half the limit to answer if it was silent
                // longer than that already.
                let now = tokio::time::Instant::now();
                silence.as_mut().reset((heard + limit).max(now + limit / 2));
                continue;
            }
            _ = &mut silence => {
                if !quiet {
                    ended = Ended::Lost;
                    break format!("silent for {limit:?}");
                }
                // Watched, a quiet peer is fine, unless frames this connection carries wait
                // for its acknowledgement (a live peer sends one back on the connection they
                // came by, within a heartbeat) for twice the limit: this connection is dead,
                // though the peer may be alive (cut without a close), and the peer is lost as
                // if silent (a later send dials again). Twice: a node starved of CPU (a
                // convention forming) answers late, and a needless loss costs it a rejoin.
                if link.ack_overdue(id, limit * 2) {
                    ended = Ended::Lost;
                    break format!("frames unacknowledged for {:?}", limit * 2);
                }
                silence.as_mut().reset(tokio::time::Instant::now() + limit);
                continue;
            }
        };
        // The silence limit applies to each read: a slow peer that keeps sending is alive.
        heard = tokio::time::Instant::now();
        silence.as_mut().reset(heard + limit);
        match read {
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                break format!("protocol violation: {e}")
            }
            Err(e) => break format!("read failed: {e}"),
            Ok(0) if buffer.is_empty() && !source.mid_record() => {
                break "connection closed by the peer".to_owned()
            }
            Ok(0) => break "bad frame: the connection closed in the middle of a frame".to_owned(),
            Ok(_) => {}
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
                                    if let Header::Resume { after } = header {
                                        // Frames up to `after` will never come (given up by
                                        // the sender) or came already.
                                        *delivered = (*delivered).max(after);
                                        return Ok(());
                                    }
                                    match in_sequence(&mut delivered, seq)? {
                                        true => dispatch(
                                            &system,
                                            &link,
                                            &mut actors,
                                            &pace,
                                            header,
                                            body,
                                        ),
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
            pace.handed_on(*delivered);
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

/// A message or request that arrived for a local actor, as its frame's header named it.
struct Arrived {
    to: u64,
    sender: Option<ActorAddress>,
    reply: Option<Box<dyn ReplySink>>,
    trace: Option<NonZeroU64>,
}

/// Hands one message to its local actor; logs what cannot be delivered.
fn deliver(
    system: &ActorSystem,
    link: &LinkInner,
    actors: &mut Actors,
    arrived: Arrived,
    body: &[u8],
) {
    let Arrived {
        to,
        sender,
        reply,
        trace,
    } = arrived;
    let result = match actors.get(system, to) {
        Some(actor) => actor.deliver(sender, reply, trace, body),
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
    pace: &Pace,
    header: Header<ActorAddress>,
    body: &[u8],
) -> Result<(), String> {
    match header {
        Header::Tell { to, sender, trace } => {
            let reply = None;
            let arrived = Arrived {
                to,
                sender,
                reply,
                trace,
            };
            deliver(system, link, actors, arrived, body)
        }
        Header::Ask {
            to,
            sender,
            id,
            trace,
        } => {
            let reply = Some(Box::new(Sink {
                link: link.clone(),
                id,
            }) as Box<dyn ReplySink>);
            let arrived = Arrived {
                to,
                sender,
                reply,
                trace,
            };
            deliver(system, link, actors, arrived, body);
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
        Header::Heartbeats { wanted } => pace.peer_wants(wanted),
        // Taken by the reader's loop, which counts frames.
        Header::Resume { .. } => {}
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
