//! The wire's vocabulary: the codec every message crosses nodes with, how a reply travels, a
//! node's identity, and what can go wrong on the way. Public through [`crate::remote`]; it
//! imports nothing of the crate, so the error types and the `Actor` trait can name it without
//! reaching up into the transport seam.

use std::any::Any;
use std::fmt;
use std::net::SocketAddr;

#[cfg(feature = "remote")]
use serde::de::DeserializeOwned;
#[cfg(feature = "remote")]
use serde::{Deserialize, Serialize};

/// Where an actor system can be reached, and which run of it this is.
///
/// The incarnation is chosen afresh each time a node starts, so an address kept from an earlier run
/// of a node at the same socket address is recognized as stale instead of reaching a stranger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "remote", derive(Serialize, Deserialize))]
pub struct NodeId {
    /// The socket address the node listens on.
    pub addr: SocketAddr,
    /// This run of the node.
    pub incarnation: u64,
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:08x}", self.addr, self.incarnation as u32)
    }
}

/// Why something could not travel between systems.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The type has no wire form: an actor type whose messages are not serde
    /// (`#[actor(no_serde)]`, or a hand-written message type that keeps `Mail`'s default wire
    /// form), or a reply type that is not.
    #[error("messages of {0} cannot travel between actor systems")]
    NotRemote(&'static str),
    /// Encoding failed.
    #[error("cannot encode: {0}")]
    Encode(CodecFault),
    /// The encoded message is larger than a frame may be (the transport's limit, e.g.
    /// `NetConfig::max_frame_len`): send less, or raise the limit on both nodes.
    #[error("a frame of {bytes} bytes exceeds the limit of {max}")]
    TooLarge {
        /// The frame's size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes are not what was expected.
    #[error("cannot decode: {0}")]
    Decode(CodecFault),
    /// No such actor on this system (never was, has exited, or belongs to an earlier run).
    #[error("no actor {0} on this system")]
    UnknownActor(u64),
    /// The actor's node cannot be reached (see [`Unreachable`] for why).
    #[error("unreachable: {0}")]
    Unreachable(Unreachable),
    /// The system cannot be set up as asked (a transport or process base installed twice, or on
    /// a sequential system).
    #[error("cannot set up the system: {0}")]
    Setup(&'static str),
}

/// What the codec found wrong with a value or its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecFault {
    /// The bytes end before the value does.
    #[error("the bytes end before the value")]
    Truncated,
    /// Bytes are left after the value (a value is always the whole of its bytes).
    #[error("{0} bytes are left after the value")]
    TrailingBytes(usize),
    /// A value its type does not allow: an unknown variant, a number out of range, a flag that
    /// is neither 0 nor 1, text that is not UTF-8.
    #[error("a value its type does not allow")]
    Invalid,
    /// The type's own serde code refused the value (a `serialize` or `deserialize` that
    /// returned an error).
    #[error("the type's serde code refused the value")]
    Refused,
    /// The wire format cannot express the value (a sequence whose length is not known in
    /// advance, say).
    #[error("the wire format cannot express the value")]
    Unsupported,
    /// The value handed over is not of the type the route expects (a reply of another type).
    #[error("the value is not a {0}")]
    WrongType(&'static str),
}

#[cfg(feature = "remote")]
impl From<postcard::Error> for CodecFault {
    fn from(e: postcard::Error) -> Self {
        use postcard::Error as E;
        match e {
            E::DeserializeUnexpectedEnd => CodecFault::Truncated,
            E::SerdeSerCustom | E::SerdeDeCustom | E::CollectStrError => CodecFault::Refused,
            E::WontImplement
            | E::NotYetImplemented
            | E::SerializeBufferFull
            | E::SerializeSeqLengthUnknown => CodecFault::Unsupported,
            _ => CodecFault::Invalid,
        }
    }
}

/// Why another node cannot be reached: what a sender can do about it differs with the kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unreachable {
    /// The node is lost for now: its connection failed or was cut and dialing it failed, or it
    /// stayed silent (a node that shut down or was killed looks the same from here). The
    /// transport keeps trying to reach it, so a later send may succeed.
    #[error("node {node} is lost ({cause})")]
    NodeLost {
        /// The node.
        node: NodeId,
        /// What the transport saw.
        cause: String,
    },
    /// The node is gone for good: a new run of it answers at its address (this run's actors are
    /// no more), or this node's transport shut down. Nothing sent there will arrive.
    #[error("node {node} is gone ({cause})")]
    NodeGone {
        /// The node.
        node: NodeId,
        /// What the transport saw.
        cause: String,
    },
    /// Too much already waits to be sent to the node or acknowledged by it: slow down.
    #[error("node {node}: {bytes} bytes wait to be sent or acknowledged already")]
    Backlog {
        /// The node.
        node: NodeId,
        /// The bytes waiting.
        bytes: usize,
    },
    /// This system has no transport to other nodes (an address of another node reached a
    /// system that is not networked).
    #[error("no transport to node {node}")]
    NoTransport {
        /// The node.
        node: NodeId,
    },
    /// The answering node reported a failure to reach further (by its description).
    #[error("the answering node: {0}")]
    Remote(String),
}

/// Encodes a value with the wire format (postcard), appending to `out`; on failure `out` is left
/// as it was.
#[cfg(feature = "remote")]
pub fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), WireError> {
    struct Append<'a>(&'a mut Vec<u8>);
    impl Extend<u8> for Append<'_> {
        fn extend<I: IntoIterator<Item = u8>>(&mut self, iter: I) {
            self.0.extend(iter)
        }
    }
    let start = out.len();
    postcard::to_extend(value, Append(out))
        .map(drop)
        .map_err(|e| {
            out.truncate(start);
            WireError::Encode(e.into())
        })
}

/// Decodes a value of the wire format; every byte must be used.
#[cfg(feature = "remote")]
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(WireError::Decode(CodecFault::TrailingBytes(rest.len()))),
        Err(e) => Err(WireError::Decode(e.into())),
    }
}

/// How the reply to one request travels: its encoder on the answering side, its decoder on the
/// asking side. Given by [`Mail::to_wire`](crate::Mail::to_wire) and
/// [`Mail::from_wire`](crate::Mail::from_wire) for each message.
#[derive(Clone, Copy)]
pub struct ReplyWire {
    encode: fn(&dyn Any, &mut Vec<u8>) -> Result<(), WireError>,
    decode: fn(&[u8]) -> Result<AnyReply, WireError>,
}

/// A decoded reply, before the asker's slot checks its type.
type AnyReply = Box<dyn Any + Send>;

impl ReplyWire {
    /// The reply is a `T`, encoded with serde.
    #[cfg(feature = "remote")]
    #[cfg_attr(docsrs, doc(cfg(feature = "remote")))]
    pub fn of<T: Serialize + DeserializeOwned + Send + 'static>() -> Self {
        ReplyWire {
            encode: |value, out| match value.downcast_ref::<T>() {
                Some(v) => encode(v, out),
                None => Err(WireError::Encode(CodecFault::WrongType(
                    std::any::type_name::<T>(),
                ))),
            },
            decode: |bytes| decode::<T>(bytes).map(|v| Box::new(v) as Box<dyn Any + Send>),
        }
    }

    /// The reply is a `T` that has no wire form: answering a remote asker fails it with
    /// [`AskError::Unreachable`](crate::AskError::Unreachable).
    pub fn unsupported<T: 'static>() -> Self {
        ReplyWire {
            encode: |_, _| Err(WireError::NotRemote(std::any::type_name::<T>())),
            decode: |_| Err(WireError::NotRemote(std::any::type_name::<T>())),
        }
    }

    pub(crate) fn encode(&self, value: &dyn Any, out: &mut Vec<u8>) -> Result<(), WireError> {
        (self.encode)(value, out)
    }

    pub(crate) fn decode(&self, bytes: &[u8]) -> Result<Box<dyn Any + Send>, WireError> {
        (self.decode)(bytes)
    }
}

impl fmt::Debug for ReplyWire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyWire").finish_non_exhaustive()
    }
}

#[cfg(all(test, feature = "remote"))]
mod tests {
    use super::*;

    /// A type whose serde code refuses every value.
    #[derive(Debug, PartialEq)]
    struct Refusing;

    impl Serialize for Refusing {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("never"))
        }
    }

    impl<'de> Deserialize<'de> for Refusing {
        fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
            Err(serde::de::Error::custom("never"))
        }
    }

    #[test]
    fn a_value_round_trips_and_uses_every_byte() {
        let mut out = vec![9];
        encode(&(7u32, String::from("seven")), &mut out).unwrap();
        assert_eq!(
            decode::<(u32, String)>(&out[1..]),
            Ok((7, "seven".to_string()))
        );
    }

    #[test]
    fn each_fault_has_its_own_kind() {
        let mut out = Vec::new();
        encode(&(7u32, true), &mut out).unwrap();
        assert_eq!(
            decode::<(u32, bool)>(&out[..1]),
            Err(WireError::Decode(CodecFault::Truncated))
        );
        let mut longer = out.clone();
        longer.extend_from_slice(&[0, 0]);
        assert_eq!(
            decode::<(u32, bool)>(&longer),
            Err(WireError::Decode(CodecFault::TrailingBytes(2)))
        );
        assert_eq!(
            decode::<(u32, bool)>(&[7, 2]),
            Err(WireError::Decode(CodecFault::Invalid))
        );
        assert_eq!(
            decode::<Refusing>(&[]),
            Err(WireError::Decode(CodecFault::Refused))
        );
    }

    #[test]
    fn a_failed_encoding_leaves_the_buffer_as_it_was() {
        let mut out = vec![1, 2];
        assert_eq!(
            encode(&(5u8, Refusing), &mut out),
            Err(WireError::Encode(CodecFault::Refused))
        );
        assert_eq!(out, [1, 2]);
    }

    #[test]
    fn a_reply_of_another_type_is_named() {
        let wire = ReplyWire::of::<u64>();
        let mut out = Vec::new();
        assert_eq!(
            wire.encode(&"text", &mut out),
            Err(WireError::Encode(CodecFault::WrongType("u64")))
        );
        wire.encode(&5u64, &mut out).unwrap();
        let back = wire.decode(&out).unwrap();
        assert_eq!(back.downcast_ref::<u64>(), Some(&5));
    }
}
