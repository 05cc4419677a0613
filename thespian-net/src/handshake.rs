//! The handshake: both sides prove they hold the shared secret before anything else is read,
//! and agree on the keys of the connection's records.
//!
//! ```text
//! dialer                                          acceptor
//!   Hello { magic, version, node, nonce, share } ->
//!                                                 <- Hello { magic, version, node, nonce, share }
//!                                                 <- Proof(HMAC(key, "A" | transcript))
//!   Proof(HMAC(key, "D" | transcript)) ->
//!                                                 <- Welcome
//! ```
//!
//! `transcript` is a hash of both `Hello`s as sent (and, under TLS, of keying material exported
//! from the TLS session). So each proof covers the verifier's fresh nonce (no replay), the
//! prover's role (no reflection of the other side's proof), the prover's node (it cannot claim
//! another) and both key shares (nobody in the middle can swap them); under TLS it cannot be
//! relayed into another TLS session. `share` is an ephemeral X25519 public key: the records'
//! keys come from HKDF over the Diffie-Hellman result and the transcript, salted with the
//! secret's key, so recording a connection and learning the secret later still does not open
//! it (forward secrecy). Handshake messages are length-prefixed like frames but limited to a
//! few hundred bytes, and the whole exchange is timed by the caller.

use hmac::{Hmac, Mac};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, X25519};
use ring::hkdf;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thespian::remote::NodeId;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::HandshakeError;
use crate::seal::Keys;
use crate::stream::Channel;

/// The first bytes of every connection's first message.
pub(crate) const MAGIC: [u8; 4] = *b"THSP";
/// The protocol version; both sides must speak the same.
pub(crate) const VERSION: u16 = 7;
/// The largest handshake message accepted.
const MAX_STEP: usize = 256;

type Nonce = [u8; 32];

#[derive(Debug, Serialize, Deserialize)]
struct Hello {
    magic: [u8; 4],
    version: u16,
    node: NodeId,
    nonce: Nonce,
    /// An ephemeral X25519 public key.
    share: [u8; 32],
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

/// What a finished handshake gives: the peer, and the keys of the connection's records.
pub(crate) struct Shaken {
    pub(crate) node: NodeId,
    pub(crate) keys: Keys,
}

/// Both `Hello`s as sent, and the channel binding: what the proofs and the keys cover.
fn transcript(dialer: &[u8], acceptor: &[u8], binding: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"thespian-net/4 transcript");
    for part in [dialer, acceptor, binding] {
        hash.update((part.len() as u32).to_be_bytes());
        hash.update(part);
    }
    hash.finalize().into()
}

fn proof(key: &[u8], role: u8, transcript: &[u8; 32]) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key");
    mac.update(b"thespian-net/4 proof");
    mac.update(&[role]);
    mac.update(transcript);
    mac
}

/// An ephemeral key pair for one handshake.
fn key_share() -> Result<(EphemeralPrivateKey, [u8; 32]), HandshakeError> {
    let rng = ring::rand::SystemRandom::new();
    let no_randomness = |_| HandshakeError::Malformed("no randomness".into());
    let private = EphemeralPrivateKey::generate(&X25519, &rng).map_err(no_randomness)?;
    let public = private.compute_public_key().map_err(no_randomness)?;
    let share = public
        .as_ref()
        .try_into()
        .map_err(|_| HandshakeError::Malformed("an X25519 key is 32 bytes".into()))?;
    Ok((private, share))
}

/// The records' keys: HKDF over the Diffie-Hellman result and the transcript, salted with the
/// secret's key.
fn keys(
    key: &[u8],
    private: EphemeralPrivateKey,
    theirs: &[u8; 32],
    transcript: &[u8; 32],
    dialer: bool,
) -> Result<Keys, HandshakeError> {
    let peer = UnparsedPublicKey::new(&X25519, theirs);
    agreement::agree_ephemeral(private, &peer, |shared| {
        let mut ikm = [0; 64];
        ikm[..32].copy_from_slice(shared);
        ikm[32..].copy_from_slice(transcript);
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, key).extract(&ikm);
        Keys::derive(&prk, dialer)
    })
    .map_err(|_| HandshakeError::Malformed("an unusable key share".into()))
}

/// Encodes one step as sent (its length prefix aside).
fn encode(step: &Step) -> Result<Vec<u8>, HandshakeError> {
    postcard::to_allocvec(step).map_err(|e| HandshakeError::Malformed(e.to_string()))
}

/// A step's bytes as they travel: a length prefix, then the body.
fn framed(body: &[u8]) -> Vec<u8> {
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(body);
    frame
}

async fn send<S: AsyncWrite + Unpin>(stream: &mut S, body: &[u8]) -> Result<(), HandshakeError> {
    stream
        .write_all(&framed(body))
        .await
        .map_err(|_| HandshakeError::Closed)?;
    // A TLS stream holds what is written until flushed.
    stream.flush().await.map_err(|_| HandshakeError::Closed)
}

/// The next step, and its bytes as received.
async fn receive<S: AsyncRead + Unpin>(stream: &mut S) -> Result<(Step, Vec<u8>), HandshakeError> {
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
    let step = postcard::from_bytes(&body).map_err(|e| HandshakeError::Malformed(e.to_string()))?;
    Ok((step, body))
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

/// Receives the peer's `Hello` (and its bytes); refuses one from this very node (it dialed
/// itself).
async fn receive_hello<S: AsyncRead + Unpin>(
    stream: &mut S,
    me: NodeId,
) -> Result<(Hello, Vec<u8>), HandshakeError> {
    match receive(stream).await? {
        (Step::Hello(hello), bytes) => {
            check(&hello)?;
            if hello.node == me {
                return Err(HandshakeError::Malformed("connected to itself".into()));
            }
            Ok((hello, bytes))
        }
        _ => Err(HandshakeError::Malformed("expected Hello".into())),
    }
}

/// This side's `Hello`, encoded as sent (its length prefix aside).
fn hello(me: NodeId, share: [u8; 32]) -> Result<Vec<u8>, HandshakeError> {
    let hello = Hello {
        magic: MAGIC,
        version: VERSION,
        node: me,
        nonce: random()?,
        share,
    };
    encode(&Step::Hello(hello))
}

/// Sends this side's `Hello`; returns its bytes.
async fn send_hello<S: AsyncWrite + Unpin>(
    stream: &mut S,
    me: NodeId,
    share: [u8; 32],
) -> Result<Vec<u8>, HandshakeError> {
    let bytes = hello(me, share)?;
    send(stream, &bytes).await?;
    Ok(bytes)
}

/// A well-formed `Hello` from `me` as sent, length prefix and all: where the hostile-peer tests
/// and the fuzzer start to reach past the first step.
pub(crate) fn framed_hello(me: NodeId) -> Result<Vec<u8>, HandshakeError> {
    let (_, share) = key_share()?;
    Ok(framed(&hello(me, share)?))
}

/// Receives the peer's proof and checks it against the one `expected` computes.
async fn check_proof<S: AsyncRead + Unpin>(
    stream: &mut S,
    expected: Hmac<Sha256>,
) -> Result<(), HandshakeError> {
    let (Step::Proof(theirs), _) = receive(stream).await? else {
        return Err(HandshakeError::Malformed("expected Proof".into()));
    };
    expected
        .verify_slice(&theirs)
        .map_err(|_| HandshakeError::BadProof)
}

async fn send_proof<S: AsyncWrite + Unpin>(
    stream: &mut S,
    proof: Hmac<Sha256>,
) -> Result<(), HandshakeError> {
    send(
        stream,
        &encode(&Step::Proof(proof.finalize().into_bytes().into()))?,
    )
    .await
}

/// The dialing side. `expected` is the incarnation addressed, if known; `channel` what the
/// transport under it knows.
pub(crate) async fn dial<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    key: &[u8],
    me: NodeId,
    expected: Option<u64>,
    channel: &Channel,
) -> Result<Shaken, HandshakeError> {
    let (private, share) = key_share()?;
    let mine = send_hello(stream, me, share).await?;
    let (theirs, their_bytes) = receive_hello(stream, me).await?;
    channel.check(theirs.node)?;
    let transcript = transcript(&mine, &their_bytes, &channel.binding);
    check_proof(stream, proof(key, b'A', &transcript)).await?;
    if let Some(expected) = expected.filter(|e| *e != theirs.node.incarnation) {
        return Err(HandshakeError::Stale {
            expected,
            found: theirs.node.incarnation,
        });
    }
    send_proof(stream, proof(key, b'D', &transcript)).await?;
    match receive(stream).await? {
        (Step::Welcome, _) => Ok(Shaken {
            node: theirs.node,
            keys: keys(key, private, &theirs.share, &transcript, true)?,
        }),
        _ => Err(HandshakeError::Malformed("expected Welcome".into())),
    }
}

/// The accepting side; `channel` as for [`dial`].
pub(crate) async fn accept<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    key: &[u8],
    me: NodeId,
    channel: &Channel,
) -> Result<Shaken, HandshakeError> {
    let (theirs, their_bytes) = receive_hello(stream, me).await?;
    // Before anything is proven: a peer whose certificate does not name its node goes no
    // further.
    channel.check(theirs.node)?;
    let (private, share) = key_share()?;
    let mine = send_hello(stream, me, share).await?;
    let transcript = transcript(&their_bytes, &mine, &channel.binding);
    send_proof(stream, proof(key, b'A', &transcript)).await?;
    check_proof(stream, proof(key, b'D', &transcript)).await?;
    send(stream, &encode(&Step::Welcome)?).await?;
    Ok(Shaken {
        node: theirs.node,
        keys: keys(key, private, &theirs.share, &transcript, false)?,
    })
}
