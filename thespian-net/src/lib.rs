//! Remote actors for [thespian](https://docs.rs/thespian): an actor system reachable over TCP, so
//! that an address of an actor on another machine works exactly like a local one.
//!
//! ```text
//! let net = NetSystem::start(&system, NetConfig::new(addr, secret)).await?;
//! let counter: Addr<Counter> = net.lookup(peer_addr, "counter", timeout).await?;
//! counter.add(2).await?;                    // encoded here, sent to the peer, handled there
//! ```
//!
//! Once a system is networked, every address it hands out names its node; an [`Addr`](thespian::Addr)
//! sent inside a message to another node arrives there as an address that routes back. `tell`,
//! `ask` with its timeout, reply handles, exit requests and dead letters behave as they do
//! locally: actor code does not change. An *untyped* address of another node (the sender of a
//! told message, typically) takes sends once its actor type is registered in this process with
//! [`thespian::remote::register`], which is how `ctx.send(&ctx.sender(), answer)` reaches a
//! remote sender; unregistered, such a send becomes a dead letter. Typed addresses and replies
//! to asks need nothing.
//!
//! # The convention
//!
//! Nodes form a [`Convention`]: one leads, the others register with it; actors are placed on the
//! first node whose capabilities their type accepts ([`Convention::create_actor`]), nodes hear of
//! each other joining, changing and leaving ([`ConventionUpdate`]), and any node answers a status
//! query ([`Convention::status`], printed by the `thespian-status` tool). The rules are in the
//! `convention` module's source and in `SEMANTICS.md`.
//!
//! # Connections
//!
//! One connection per pair of nodes, opened by the first send and reused; a connection the
//! other node opened is used both ways when this side has none. Messages from one sender to one
//! receiver stay in order. Senders encode their message in their own task and append it to the
//! link's buffer; the link's writer writes everything queued with one system call, and writes at
//! once when idle (`TCP_NODELAY`). A slow or dead peer never blocks a sender: its queue is bounded
//! ([`NetConfig::max_backlog`]), past which sends fail with a typed error.
//!
//! # Authentication
//!
//! Nodes share a secret. Before anything else is read, both sides prove they know it with an
//! HMAC-SHA-256 challenge-response over fresh nonces (see the `handshake` module's source); a
//! peer that fails is logged and disconnected and never reaches an actor.
//!
//! # Failure
//!
//! A peer silent for [`NetConfig::down_after`] (2 s by default; heartbeats keep quiet links alive)
//! or whose connection closes is *down*: requests waiting on it fail at once with
//! [`AskError::Unreachable`](thespian::AskError::Unreachable), messages still queued for it become
//! dead letters on this side, and the next send reconnects (with backoff). Messages already
//! written to a connection that then dies may be lost, as with any transport without
//! acknowledgements. A node that restarts gets a new incarnation: addresses of its previous run
//! fail with `Unreachable` instead of reaching strangers.
//!
//! # Wire format
//!
//! A stream of frames: a 4-byte big-endian length, then that many bytes. The first frames are
//! the handshake (magic `THSP`, protocol version [`PROTOCOL_VERSION`], node, nonce; the proofs;
//! a welcome), limited to 256 bytes each. After it, a frame is a postcard-encoded header, one of
//!
//! | header | body |
//! |---|---|
//! | `Tell { to, sender }` | the message, encoded by the actor type's wire form |
//! | `Ask { to, sender, id }` | the message |
//! | `Reply { id }` | the reply |
//! | `Failed { id, error }` | — |
//! | `Exit { to }` | — |
//! | `Lookup { id, name }` / `Found { id }` | — / the `Option<ActorAddress>` |
//! | `Heartbeat` | — |
//!
//! where `to` is an actor id on the receiving node and an address is `(node, system, actor,
//! type name)`. Frames above [`NetConfig::max_frame_len`] are refused on both sides. A header
//! that cannot be decoded closes the connection; a message that cannot be decoded or whose actor
//! is unknown is logged (its request failed) and the connection goes on.
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub, rust_2018_idioms)]

mod config;
mod conn;
mod convention;
mod error;
mod frame;
mod handshake;
mod link;
mod node;
mod stream;
#[cfg(feature = "tls")]
mod tls;

pub use config::NetConfig;
pub use convention::{
    Convention, ConventionConfig, ConventionStatus, ConventionUpdate, Member, Placement,
};
pub use error::{HandshakeError, NetError};
pub use node::NetSystem;
pub use thespian::remote::NodeId;
#[cfg(feature = "tls")]
pub use tls::TlsConfig;
/// The certificate and key types [`TlsConfig`] takes (rustls' `pki_types`).
#[cfg(feature = "tls")]
pub use tokio_rustls::rustls::pki_types;

/// The README's examples are compiled and run as doc tests here (this crate sees both `thespian`
/// and `thespian-net`), so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// The protocol version spoken in the handshake.
pub const PROTOCOL_VERSION: u16 = handshake::VERSION;

#[doc(hidden)]
pub mod __testing {
    //! Entry points for the fuzz target and the hostile-peer tests. Not a public API.

    use std::net::SocketAddr;

    use thespian::remote::NodeId;
    use tokio::net::TcpStream;

    use crate::error::HandshakeError;

    /// Decodes one frame's header the way a connection does; must never panic.
    pub fn decode_frame(frame: &[u8]) -> bool {
        crate::frame::decode_header(frame).is_ok()
    }

    /// A well-formed `Tell` frame (with its length prefix) for actor `to`, carrying `body`.
    pub fn tell_frame(to: u64, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let header = crate::frame::Header::Tell { to, sender: None };
        let _ = crate::frame::append_frame(&mut out, usize::MAX, &header, |b| {
            b.extend_from_slice(body);
            Ok(())
        });
        out
    }

    /// Connects and passes the handshake as a made-up node, for a test to misbehave after it.
    pub async fn dial(addr: SocketAddr, secret: &[u8]) -> Result<TcpStream, HandshakeError> {
        let mut stream = TcpStream::connect(addr)
            .await
            .map_err(|_| HandshakeError::Closed)?;
        let me = NodeId {
            addr: "127.0.0.1:9".parse().expect("a valid address"),
            incarnation: 7,
        };
        crate::handshake::dial(&mut stream, secret, me, None).await?;
        Ok(stream)
    }
}
