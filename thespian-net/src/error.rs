//! Errors of the network layer.

use std::net::SocketAddr;

use thespian::remote::{NodeId, WireError};
use thespian::{AskError, CreateError};

/// Why a networked operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// A socket operation failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The peer did not complete the handshake.
    #[error("handshake with {peer} failed: {reason}")]
    Handshake {
        /// The peer's socket address.
        peer: SocketAddr,
        /// What went wrong.
        reason: HandshakeError,
    },
    /// Encoding or decoding failed.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The connection to the node was lost before it answered.
    #[error("the connection to {0} was lost before it answered")]
    Lost(NodeId),
    /// An actor asked on another node (a status query of the convention or the process base)
    /// did not answer.
    #[error("the actor asked at {peer} did not answer: {error}")]
    Ask {
        /// The node's socket address.
        peer: SocketAddr,
        /// Why the ask failed.
        #[source]
        error: AskError,
    },
    /// An actor the network layer runs (the convention's agent, the process base's registry)
    /// could not be created on the local system.
    #[error("cannot start the network layer's actor: {0}")]
    Create(#[from] CreateError),
    /// This node has joined a convention already (one per node).
    #[error("this node has joined a convention already")]
    AlreadyJoined,
    /// No answer within the time given.
    #[error("no answer within {0:?}")]
    Timeout(std::time::Duration),
    /// No actor holds that global name on the peer (or it is not of the type asked for).
    #[error("no actor named {0:?} there")]
    NotFound(String),
    /// The network system has been shut down.
    #[error("the network system is shut down")]
    Shutdown,
    /// TLS could not be set up with the configuration given.
    #[error("TLS: {0}")]
    Tls(String),
    /// A transport is already installed on the actor system, or it is sequential.
    #[error("cannot network this actor system: {0}")]
    Install(WireError),
}

/// Why a handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The peer does not speak this protocol.
    #[error("not a thespian-net peer")]
    BadMagic,
    /// The peer speaks another version of the protocol.
    #[error("protocol version {theirs}, this side speaks {ours}")]
    Version {
        /// This side's version.
        ours: u16,
        /// The peer's version.
        theirs: u16,
    },
    /// The peer could not prove the shared secret.
    #[error("the peer does not know the secret")]
    BadProof,
    /// The peer refused this side's proof (it holds another secret), or closed the connection.
    #[error("the peer closed the connection during the handshake")]
    Closed,
    /// The node listening there is another run than the one addressed: its actors are gone.
    #[error("the node was restarted (incarnation {found:x}, expected {expected:x})")]
    Stale {
        /// The incarnation addressed.
        expected: u64,
        /// The incarnation found.
        found: u64,
    },
    /// The handshake took too long.
    #[error("timed out")]
    Timeout,
    /// Under TLS, the peer's certificate does not name the node it claims to be.
    #[error("certificate: {0}")]
    Certificate(String),
    /// A handshake message was malformed or too large.
    #[error("malformed handshake message: {0}")]
    Malformed(String),
}
