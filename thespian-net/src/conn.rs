//! Connections: dialing, and starting the writer and reader of each.

use std::net::SocketAddr;
use std::sync::Arc;

use thespian::remote::NodeId;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::error::{HandshakeError, NetError};
use crate::handshake::{self, Shaken};
use crate::link::LinkInner;
use crate::node::NetInner;
use crate::reader::reader;
use crate::seal::Keys;
use crate::stream::Stream;
use crate::writer::{Pace, Writer};

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
            // Whatever waits on the node learns it cannot be reached: watchers and parents
            // of actors there hear `NodeLost` (unless the node reached this one meanwhile).
            if link.unreachable(&e.to_string()) {
                net.node_down(link.node);
            }
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
            let _ = link.unreachable(&e.to_string());
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
    let wake = Arc::new(Notify::new());
    if writes {
        let mut state = link.lock();
        if state.carried_by(id) {
            state.direct = write.direct();
            state.wake = wake.clone();
        }
    }
    let pace = Arc::new(Pace::default());
    // A connection that does not carry this link's frames (the peer opened it while this side
    // had its own) still sends heartbeats, so the peer does not take it for dead.
    let writer = Writer::new(net.clone(), link.clone(), id, cancel.clone(), pace.clone());
    net.spawn(writer.run(write, writes.then_some(wake)));
    net.spawn(reader(net.clone(), link, read, id, cancel, pace));
}
