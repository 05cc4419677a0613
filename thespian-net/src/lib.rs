//! Remote actors for [thespian](https://docs.rs/thespian-actors): an actor system reachable over TCP, so
//! that an address of an actor on another machine works exactly like a local one.
//!
//! ```text
//! let net = NetSystem::start(&system, NetConfig::new(addr, secret)).await?;
//! let counter: Addr<Counter> = net.lookup(peer_addr, "counter", timeout).await?;
//! counter.add(2).tell().await?;             // encoded here, sent to the peer, handled there
//! ```
//!
//! New to it? The [`guide`] walks through remote actors, the convention and process isolation,
//! every example compiled.
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
//! Nodes form a [`Convention`] (Thespian's multi-system model) with no leader: every node keeps
//! the membership with SWIM (the `foca` crate) over its sealed links, probing one random member
//! per `heartbeat` (300 ms by default), suspecting one that answers neither directly nor through
//! others and dropping it after `member_timeout` (0.9 s); what it learns rides on its probes, so
//! the traffic per node does not grow with the convention. The convention address a node is
//! given (and any [`ConventionConfig::seeds`]) is where it announces itself; losing any node, a
//! seed included, stops nothing. Capabilities and actor counts are published when they change
//! and spread the same way.
//!
//! * **Placement.** [`Convention::create_actor`] asks the actor type's
//!   [`capability_check`](thespian::Actor::capability_check) about every node's capabilities
//!   and tries those that accept in the order of the [`PlacementPolicy`]: by default the node
//!   running the fewest actors first (so a node that joins takes new actors at once), or
//!   Thespian's rule (this node, then the members in address order); the chosen node creates
//!   the actor from its serialized value (the type must be serde and
//!   [registered](Convention::register) there). A node that refuses or cannot be reached is
//!   skipped; a node that does not answer within `create_timeout` ends the placement (it may still
//!   create the actor, and trying another could make two).
//! * **Parents across nodes.** [`Convention::create_child`] does the same with the calling actor
//!   as the new actor's parent, wherever it lands: the parent hears of its end in `child_exited`
//!   for every reason, including the loss of its node
//!   ([`ExitReason::NodeLost`](thespian::ExitReason::NodeLost)), and takes it along when it
//!   exits. The [`Placement`]'s supervision travels with it and acts on its node.
//! * **Updates.** [`Convention::subscribe`] tells an actor the present membership first (a
//!   `Joined` per node), then every [`ConventionUpdate`].
//! * **Capabilities.** [`Convention::update_capability`] changes this node's capabilities and
//!   publishes them at once; actors running here that no longer accept them are asked to exit.
//! * **Status.** Any node answers [`Convention::status`], which the `thespian-status` tool prints.
//!
//! [`thespian::semantics`] (*Remote actors*) states each rule with its timings.
//!
//! # Actors in processes of their own
//!
//! [`Processes`] is the process base (Thespian's multiprocess bases): an actor created with
//! [`ActorOptions::in_own_process`](thespian::ActorOptions::in_own_process) runs in a child
//! process of the program's own executable, so that an abort, a stack overflow or a segfault in
//! it ends only that process; its parent hears how the process ended, and a restart policy starts
//! a fresh one at the same address. See the [`process`] module.
//!
//! # Watching and node loss
//!
//! [`Context::watch`](thespian::Context::watch) works on the address of an actor of any node:
//! the watch is sent to the actor's node, which tells the watcher when the actor ends. A node is
//! *lost* when its connection stays silent for [`NetConfig::down_after`], or when its connection
//! closes and dialing it again at once fails (a killed process is noticed in milliseconds), or
//! when dialing it fails; a connection that closes while the node still answers is not a loss.
//! On a loss, every local watcher of an actor there, and every local parent of a child there,
//! hears `NodeLost`; every local actor whose parent was there is asked to exit.
//!
//! # Connections
//!
//! One connection per pair of nodes, opened by the first send and reused; a connection the
//! other node opened is used both ways when this side has none. Messages from one sender to one
//! receiver stay in order. Senders encode their message in their own task and append it to the
//! link's buffer; the link's writer writes everything queued with one system call, and writes at
//! once when idle (`TCP_NODELAY`). A slow or dead peer never blocks a sender: its queue is bounded
//! ([`NetConfig::max_backlog`]), past which sends fail with a typed error
//! ([`Unreachable::Backlog`](thespian::remote::Unreachable::Backlog)).
//!
//! # Authentication
//!
//! Nodes share a [`Secret`]: at least 128 random bits, made with [`Secret::generate`] (or
//! `openssl rand -hex 32`), handed to every node out of band (an environment variable or a file
//! readable only by the service, a secret manager) and read with [`Secret::from_env`] or
//! [`Secret::from_file`]; a typed password is refused. Before anything else is read, both sides prove they know it: each
//! sends a fresh random nonce and an ephemeral X25519 key share, and each proves itself with an
//! HMAC-SHA-256, keyed by the secret, of its role (dialing or accepting) and a hash of both
//! sides' first messages: a proof covers the other side's fresh nonce, so it cannot be replayed
//! on another connection, its role, so it cannot be reflected back, and its node identity, so
//! it cannot claim another. A peer that fails, or takes longer than
//! [`NetConfig::handshake_timeout`] ([`NetConfig::accept_timeout`] for a peer that connects
//! here), is logged and disconnected and never reaches an actor. Unauthenticated connections
//! hold one of a bounded number of admission slots, per source address and in all; a newcomer
//! takes the slot of the oldest, so a flood of idle connections cannot keep a legitimate peer
//! out. Refusals are logged a few at a time, then counted.
//!
//! **What is protected.** After the handshake every byte travels in records sealed with
//! AES-256-GCM (ring), one key per direction, derived (HKDF-SHA-256) from the X25519 exchange
//! and both first messages, salted with the secret's key; each record's nonce is its number on
//! the connection. So frames are confidential and authenticated: a record altered, injected,
//! replayed, reordered or dropped by anyone on the path does not open, its connection ends
//! without anything of it reaching an actor, and what was not acknowledged is sent again on the
//! next connection. Recording a connection and learning the secret later does not open it
//! (forward secrecy). Not protected: the sizes and timing of records, the node identities in
//! the first messages, and availability (anyone on the path can cut a connection). Every holder
//! of the secret is trusted alike: the secret, not a per-node key, is the identity, so a holder
//! can claim any node identity. With the `tls` feature (`TlsConfig`) TLS replaces the record
//! layer, the proofs cover keying material exported from the TLS session, and a peer's
//! certificate must name the IP address of the node it claims to be.
//!
//! # Delivery and failure
//!
//! Frames on a link are numbered and acknowledged (cumulatively, every 64 frames or with other
//! traffic); when a connection is cut and the same run of the node is reached again, what was
//! not acknowledged is sent again and duplicates are dropped: every message is handled once, in
//! order per sender. A peer silent for [`NetConfig::down_after`] (2 s by default; heartbeats keep
//! quiet links alive, except between members of a [`Convention`], whose membership probes each
//! other instead), or whose connection closes and which cannot be dialed again, is *lost*:
//! requests waiting on it fail at once with
//! [`AskError::Unreachable`](thespian::AskError::Unreachable) (of kind
//! [`NodeLost`](thespian::remote::Unreachable::NodeLost); [`NodeGone`](thespian::remote::Unreachable::NodeGone)
//! once a new run of it answers), messages it had not acknowledged
//! become dead letters on this side, and until a background dial (with backoff) reaches it
//! again, sends to it fail at once. A node that restarts gets a new incarnation: addresses of its
//! previous run fail with `Unreachable` instead of reaching strangers.
//!
//! # Wire format
//!
//! First the handshake, in messages of a 4-byte big-endian length and at most 256 bytes (magic
//! `THSP`, protocol version [`PROTOCOL_VERSION`], node, nonce, key share; the proofs; a
//! welcome). After it, sealed records (a 4-byte big-endian length, the ciphertext, a 16-byte
//! tag; at most 64 KiB of plaintext each) whose plaintext is a stream of frames: a 4-byte
//! big-endian length, then that many bytes. A frame is its sequence number (8 bytes,
//! little-endian, 0 for frames about the connection: heartbeats, acknowledgements, `Heartbeats`,
//! `Resume`), then a postcard-encoded header, one of
//!
//! | header | body |
//! |---|---|
//! | `Tell { to, sender, trace }` | the message, encoded by the actor type's wire form |
//! | `Ask { to, sender, id, trace }` | the message |
//! | `Reply { id }` | the reply |
//! | `Failed { id, error }` | — |
//! | `Exit { to }` | — |
//! | `Lookup { id, name }` / `Found { id }` | — / the `Option<ActorAddress>` |
//! | `Heartbeat` | — |
//! | `Ack { upto }` | — (every frame up to `upto` arrived) |
//! | `Notice { to, notice }` | — (a child or watched actor ended, a watch began or ended) |
//! | `Gossip` | a membership packet (a kind byte, then its payload) |
//! | `Heartbeats { wanted }` | — (whether the sender wants heartbeats on this connection) |
//! | `Resume { after }` | — (first on a connection: frames up to `after` came or were given up) |
//!
//! where `to` is an actor id on the receiving node, an address is `(node, system, actor, type
//! name)`, and `trace` is the sending handler's trace while tracing spans are on (the core
//! crate's *Observing* guide), or none. Frames above [`NetConfig::max_frame_len`] are refused on both sides (a send of one
//! fails with `WireError::TooLarge`). A header
//! that cannot be decoded closes the connection; a message that cannot be decoded or whose actor
//! is unknown is logged (its request failed) and the connection goes on.
#![deny(missing_docs)]
// On docs.rs (all features), items of a feature say which.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_debug_implementations, unreachable_pub, rust_2018_idioms)]

mod admission;
mod config;
mod conn;
mod convention;
mod error;
mod frame;
/// The guide: remote actors, the convention and process isolation, chapter by chapter.
pub mod guide;
mod handshake;
mod link;
mod membership;
mod node;
pub mod process;
mod reader;
mod seal;
mod secret;
mod stream;
#[cfg(feature = "tls")]
mod tls;
mod writer;

pub use config::NetConfig;
pub use convention::{
    Convention, ConventionConfig, ConventionStatus, ConventionUpdate, Member, MembershipTraffic,
    Placement, PlacementPolicy,
};
pub use error::{HandshakeError, NetError};
pub use node::{NetStats, NetSystem};
pub use process::{ProcessConfig, ProcessInfo, Processes};
pub use secret::{Secret, SecretError};
pub use thespian::remote::NodeId;
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub use tls::TlsConfig;
/// The certificate and key types [`TlsConfig`] takes (rustls' `pki_types`).
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
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

    /// Runs the accepting side of a handshake against a peer that sends `input` (and reads
    /// whatever it is sent); must never panic, and never succeeds without the secret.
    pub fn accept_handshake(input: &[u8]) -> bool {
        // Reads `input`, then the end of the stream (which `read_exact` reports); takes
        // everything written.
        let mut peer = tokio::io::join(input, tokio::io::sink());
        let me = NodeId {
            addr: SocketAddr::from(([127, 0, 0, 1], 9)),
            incarnation: 1,
        };
        let channel = crate::stream::Channel::default();
        let accepted = crate::handshake::accept(&mut peer, b"a fuzzing key", me, &channel);
        futures::executor::block_on(accepted).is_ok()
    }

    /// A well-formed first step of a handshake (a `Hello`, length prefix and all) from a
    /// made-up node.
    pub fn hello() -> Vec<u8> {
        let peer = NodeId {
            addr: SocketAddr::from(([127, 0, 0, 1], 7)),
            incarnation: 3,
        };
        crate::handshake::framed_hello(peer).unwrap_or_default()
    }

    /// Opens `input` as records from a peer that holds the keys (nothing forged opens), then
    /// seals `input` and opens it again read in pieces of the sizes its bytes give: what comes
    /// out must be what went in. Panics if either fails; returns whether `input` itself was
    /// refused outright (not merely the start of a record).
    pub fn open_records(input: &[u8]) -> bool {
        let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"fuzz").extract(b"records");
        let mut hostile = crate::seal::Keys::derive(&prk, false).receive;
        hostile.sealed().extend_from_slice(input);
        let mut plain = Vec::new();
        let refused = hostile.open(&mut plain).is_err();
        assert!(plain.is_empty(), "bytes nobody sealed opened as a record");

        let mut sender = crate::seal::Keys::derive(&prk, true).send;
        let mut receiver = crate::seal::Keys::derive(&prk, false).receive;
        let mut sealed = Vec::new();
        sender.seal(input, &mut sealed).expect("sealing a record");
        let mut back = Vec::new();
        let mut sizes = input.iter().map(|&b| usize::from(b) * 97 + 1).cycle();
        let mut rest = &sealed[..];
        while !rest.is_empty() {
            let n = sizes.next().unwrap_or(rest.len()).min(rest.len());
            receiver.sealed().extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            receiver.open(&mut back).expect("a sealed record opens");
        }
        assert_eq!(back, input, "records gave back other bytes");
        assert!(!receiver.partial(), "a whole record left unopened");
        refused
    }

    /// A well-formed `Tell` frame (with its length prefix) for actor `to`, carrying `body`, with
    /// sequence number `seq` (a connection's frames count from 1).
    pub fn tell_frame(seq: u64, to: u64, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let header = crate::frame::Header::Tell {
            to,
            sender: None,
            trace: None,
        };
        let _ = crate::frame::append_frame(&mut out, usize::MAX, &header, |b| {
            b.extend_from_slice(body);
            Ok(())
        });
        crate::frame::set_seq(&mut out, seq);
        out
    }

    /// A well-formed `Exit` frame (with its length prefix) for actor `to`, numbered `seq`.
    pub fn exit_frame(seq: u64, to: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = crate::frame::append_frame(
            &mut out,
            usize::MAX,
            &crate::frame::Header::Exit { to },
            |_| Ok(()),
        );
        crate::frame::set_seq(&mut out, seq);
        out
    }

    /// A frame saying whether its sender wants heartbeats (with its length prefix).
    pub fn heartbeats_frame(wanted: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let header = crate::frame::Header::Heartbeats { wanted };
        let _ = crate::frame::append_frame(&mut out, usize::MAX, &header, |_| Ok(()));
        out
    }

    /// Makes `net` take `node` as watched by a membership (or no longer), as the convention's
    /// membership does for the members it holds alive.
    pub fn watch(net: &crate::NetSystem, node: NodeId, watched: bool) {
        net.inner().link(node).set_watched(watched);
    }

    /// Asks actor `to` on `node` to exit: a frame on the link to `node`, kept until the node
    /// acknowledges it.
    pub fn request_exit(net: &crate::NetSystem, node: NodeId, to: u64) -> bool {
        net.inner()
            .link(node)
            .control(crate::frame::Header::Exit { to })
    }

    /// Cuts `net` off from the nodes at `addrs` (their connections close and none opens, both
    /// ways once done on both sides), or, with none, heals: a partition for tests.
    pub fn partition(net: &crate::NetSystem, addrs: &[SocketAddr]) {
        net.inner().partition(addrs);
    }

    /// An authenticated connection made by hand, for a test to misbehave on.
    #[allow(missing_debug_implementations)]
    pub struct Peer {
        /// The connection: what is written to it directly is not sealed (an injection).
        pub stream: TcpStream,
        /// The node it claims to be.
        pub node: NodeId,
        sealer: crate::seal::Sealer,
    }

    impl Peer {
        /// Seals `frames` into records, as a node would, and writes them.
        pub async fn send(&mut self, frames: &[u8]) -> std::io::Result<()> {
            use tokio::io::AsyncWriteExt;
            let mut sealed = Vec::new();
            self.sealer.seal(frames, &mut sealed)?;
            self.stream.write_all(&sealed).await
        }
    }

    /// Connects and passes the handshake as a made-up node, for a test to misbehave after it.
    pub async fn dial(addr: SocketAddr, secret: &crate::Secret) -> Result<Peer, HandshakeError> {
        let mut stream = TcpStream::connect(addr)
            .await
            .map_err(|_| HandshakeError::Closed)?;
        let me = NodeId {
            addr: "127.0.0.1:9".parse().expect("a valid address"),
            incarnation: 7,
        };
        let shaken = crate::handshake::dial(
            &mut stream,
            &secret.handshake_key(),
            me,
            None,
            &Default::default(),
        )
        .await?;
        Ok(Peer {
            stream,
            node: me,
            sealer: shaken.keys.send,
        })
    }
}
