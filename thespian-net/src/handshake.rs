//! The handshake: both sides prove they hold the shared secret before anything else is read.
//!
//! ```text
//! dialer                                   acceptor
//!   Hello { magic, version, node, nonce_d } ->
//!                                          <- Hello { magic, version, node, nonce_a }
//!                                          <- Proof(HMAC(secret, "A" | nonce_d | nonce_a | node_a))
//!   Proof(HMAC(secret, "D" | nonce_a | nonce_d | node_d)) ->
//!                                          <- Welcome
//! ```
//!
//! Each proof covers the verifier's fresh nonce (no replay), the prover's role (no reflection of
//! the other side's proof) and the prover's node (it cannot claim another). Handshake messages are
//! length-prefixed like frames but limited to a few hundred bytes, and the whole exchange is timed
//! by the caller.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use thespian::remote::NodeId;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::HandshakeError;

/// The first bytes of every connection's first message.
pub(crate) const MAGIC: [u8; 4] = *b"THSP";
/// The protocol version; both sides must speak the same.
pub(crate) const VERSION: u16 = 3;
/// The largest handshake message accepted.
const MAX_STEP: usize = 256;

type Nonce = [u8; 32];

#[derive(Debug, Serialize, Deserialize)]
struct Hello {
    magic: [u8; 4],
    version: u16,
    node: NodeId,
    nonce: Nonce,
}

#[derive(Debug, Serialize, Deserialize)]
enum Step {
    Hello(Hello),
    Proof([u8; 32]),
    Welcome,
}

/// Fresh random bytes from the operating system.
pub(crate) fn random<const N: usize>() -> Result<[u8; N], HandshakeError> {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| HandshakeError::Malformed(format!("no randomness: {e}")))?;
    Ok(bytes)
}

fn proof(secret: &[u8], role: u8, verifier: &Nonce, prover: &Nonce, node: &NodeId) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts any key");
    mac.update(b"thespian-net/1");
    mac.update(&[role]);
    mac.update(verifier);
    mac.update(prover);
    mac.update(&postcard::to_allocvec(node).unwrap_or_default());
    mac
}

async fn send<S: AsyncWrite + Unpin>(stream: &mut S, step: &Step) -> Result<(), HandshakeError> {
    let body = postcard::to_allocvec(step).map_err(|e| HandshakeError::Malformed(e.to_string()))?;
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    stream
        .write_all(&frame)
        .await
        .map_err(|_| HandshakeError::Closed)?;
    // A TLS stream holds what is written until flushed.
    stream.flush().await.map_err(|_| HandshakeError::Closed)
}

async fn receive<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Step, HandshakeError> {
    let mut prefix = [0; 4];
    stream
        .read_exact(&mut prefix)
        .await
        .map_err(|_| HandshakeError::Closed)?;
    let len = u32::from_be_bytes(prefix) as usize;
    if len > MAX_STEP {
        // Not a handshake: an old or foreign protocol, or garbage.
        return Err(HandshakeError::BadMagic);
    }
    let mut body = vec![0; len];
    stream
        .read_exact(&mut body)
        .await
        .map_err(|_| HandshakeError::Closed)?;
    postcard::from_bytes(&body).map_err(|e| HandshakeError::Malformed(e.to_string()))
}

fn check(hello: &Hello) -> Result<(), HandshakeError> {
    if hello.magic != MAGIC {
        return Err(HandshakeError::BadMagic);
    }
    if hello.version != VERSION {
        return Err(HandshakeError::Version {
            ours: VERSION,
            theirs: hello.version,
        });
    }
    Ok(())
}

/// Receives the peer's `Hello`; refuses one from this very node (it dialed itself).
async fn receive_hello<S: AsyncRead + Unpin>(
    stream: &mut S,
    me: NodeId,
) -> Result<Hello, HandshakeError> {
    match receive(stream).await? {
        Step::Hello(hello) => {
            check(&hello)?;
            if hello.node == me {
                return Err(HandshakeError::Malformed("connected to itself".into()));
            }
            Ok(hello)
        }
        _ => Err(HandshakeError::Malformed("expected Hello".into())),
    }
}

async fn send_hello<S: AsyncWrite + Unpin>(
    stream: &mut S,
    me: NodeId,
    nonce: Nonce,
) -> Result<(), HandshakeError> {
    let hello = Hello {
        magic: MAGIC,
        version: VERSION,
        node: me,
        nonce,
    };
    send(stream, &Step::Hello(hello)).await
}

/// Receives the peer's proof and checks it against the one `expected` computes.
async fn check_proof<S: AsyncRead + Unpin>(
    stream: &mut S,
    expected: Hmac<Sha256>,
) -> Result<(), HandshakeError> {
    let Step::Proof(theirs) = receive(stream).await? else {
        return Err(HandshakeError::Malformed("expected Proof".into()));
    };
    expected
        .verify_slice(&theirs)
        .map_err(|_| HandshakeError::BadProof)
}

/// The dialing side. `expected` is the incarnation addressed, if known. Returns the peer's node.
pub(crate) async fn dial<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    secret: &[u8],
    me: NodeId,
    expected: Option<u64>,
) -> Result<NodeId, HandshakeError> {
    let nonce: Nonce = random()?;
    send_hello(stream, me, nonce).await?;
    let theirs = receive_hello(stream, me).await?;
    check_proof(
        stream,
        proof(secret, b'A', &nonce, &theirs.nonce, &theirs.node),
    )
    .await?;
    if let Some(expected) = expected.filter(|e| *e != theirs.node.incarnation) {
        return Err(HandshakeError::Stale {
            expected,
            found: theirs.node.incarnation,
        });
    }
    let mine = proof(secret, b'D', &theirs.nonce, &nonce, &me).finalize();
    send(stream, &Step::Proof(mine.into_bytes().into())).await?;
    match receive(stream).await? {
        Step::Welcome => Ok(theirs.node),
        _ => Err(HandshakeError::Malformed("expected Welcome".into())),
    }
}

/// The accepting side. Returns the peer's node.
pub(crate) async fn accept<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    secret: &[u8],
    me: NodeId,
) -> Result<NodeId, HandshakeError> {
    let theirs = receive_hello(stream, me).await?;
    let nonce: Nonce = random()?;
    send_hello(stream, me, nonce).await?;
    let mine = proof(secret, b'A', &theirs.nonce, &nonce, &me).finalize();
    send(stream, &Step::Proof(mine.into_bytes().into())).await?;
    check_proof(
        stream,
        proof(secret, b'D', &nonce, &theirs.nonce, &theirs.node),
    )
    .await?;
    send(stream, &Step::Welcome).await?;
    Ok(theirs.node)
}
