//! Frames: the unit of the byte stream between two nodes.
//!
//! Every frame is a 4-byte big-endian length followed by that many bytes (tokio-util's
//! length-delimited layout). After the handshake, a frame holds its sequence number (8 bytes,
//! little-endian; 0 for the frames about the connection, never resent: heartbeats, acknowledgements), a
//! postcard-encoded [`Header`], then, for the kinds that carry one, the encoded message or reply
//! in the rest of the frame.

use std::num::NonZeroU64;

use serde::{Deserialize, Serialize};
use thespian::remote::{self, CodecFault, Notice, Unreachable, WireError};
use thespian::{ActorAddress, AskError, Poison};

/// The length prefix of a frame.
pub(crate) const PREFIX: usize = 4;

/// The sequence number after the prefix.
pub(crate) const SEQ: usize = 8;

/// What a frame is. `A` is the address type: borrowed when encoding, owned when decoding (the
/// two encode identically).
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub(crate) enum Header<A> {
    /// A message for actor `to`; the body is the message. `trace`: the trace it carries, while
    /// tracing spans are on (`Outgoing::trace`).
    Tell {
        to: u64,
        sender: Option<A>,
        trace: Option<NonZeroU64>,
    },
    /// A request for actor `to`, answered by a `Reply` or `Failed` with the same `id`.
    Ask {
        to: u64,
        sender: Option<A>,
        id: u64,
        trace: Option<NonZeroU64>,
    },
    /// The answer to request `id`; the body is the reply.
    Reply { id: u64 },
    /// Request `id` failed.
    Failed { id: u64, error: WireAskError },
    /// Actor `to` is asked to exit.
    Exit { to: u64 },
    /// The answer to a reply handle this node sent away under `id`; the body is the reply.
    Answer { id: u64 },
    /// The reply handle `id` failed (was dropped, or its answer could not be encoded).
    AnswerFailed { id: u64, error: WireAskError },
    /// Which actor holds global name `name`? Answered by `Found` with the same `id`.
    Lookup { id: u64, name: String },
    /// The answer to lookup `id`; the body is an `Option<ActorAddress>`.
    Found { id: u64 },
    /// Nothing: keeps a quiet connection known to be alive.
    Heartbeat,
    /// Every frame up to sequence number `upto` has arrived: the sender may forget them.
    Ack { upto: u64 },
    /// A notice for actor `to`: a child or a watched actor ended, a watch began or ended.
    Notice { to: u64, notice: Notice<A> },
    /// Membership gossip; the body is a kind byte and its payload (see `membership`).
    Gossip,
    /// Whether the sender wants heartbeats on this connection: not while its convention's
    /// membership watches the receiver (see `writer::Pace`).
    Heartbeats { wanted: bool },
    /// The first frame of a connection carrying a link: the frames numbered up to `after` were
    /// handed on already or given up by the sender (dead letters there, when it had lost the
    /// receiver); the next frame is numbered `after + 1`.
    Resume { after: u64 },
}

/// An [`AskError`] on the wire.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) enum WireAskError {
    Timeout { millis: u64 },
    DeadActor,
    Poisoned(WirePoison),
    NoReply,
    WrongReplyType,
    Unreachable(String),
}

/// A [`Poison`] on the wire.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) enum WirePoison {
    Panicked(String),
    HolderPanicked,
    Failed(String),
}

impl From<Poison> for WirePoison {
    fn from(poison: Poison) -> Self {
        match poison {
            Poison::Panicked(details) => WirePoison::Panicked(details),
            Poison::HolderPanicked => WirePoison::HolderPanicked,
            Poison::Failed(details) => WirePoison::Failed(details),
            // Kinds this version does not know: by their description.
            other => WirePoison::Failed(other.details().to_owned()),
        }
    }
}

impl From<WirePoison> for Poison {
    fn from(poison: WirePoison) -> Self {
        match poison {
            WirePoison::Panicked(details) => Poison::Panicked(details),
            WirePoison::HolderPanicked => Poison::HolderPanicked,
            WirePoison::Failed(details) => Poison::Failed(details),
        }
    }
}

impl From<AskError> for WireAskError {
    fn from(error: AskError) -> Self {
        match error {
            AskError::Timeout(t) => WireAskError::Timeout {
                millis: t.as_millis().min(u64::MAX as u128) as u64,
            },
            AskError::DeadActor => WireAskError::DeadActor,
            AskError::Poisoned(poison) => WireAskError::Poisoned(poison.into()),
            AskError::NoReply => WireAskError::NoReply,
            AskError::WrongReplyType { .. } => WireAskError::WrongReplyType,
            AskError::Unreachable(why) => WireAskError::Unreachable(why.to_string()),
            // Kinds this version does not know: by their description.
            other => WireAskError::Unreachable(other.to_string()),
        }
    }
}

impl From<WireAskError> for AskError {
    fn from(error: WireAskError) -> Self {
        match error {
            WireAskError::Timeout { millis } => {
                AskError::Timeout(std::time::Duration::from_millis(millis))
            }
            WireAskError::DeadActor => AskError::DeadActor,
            WireAskError::Poisoned(poison) => AskError::Poisoned(poison.into()),
            WireAskError::NoReply => AskError::NoReply,
            WireAskError::WrongReplyType => AskError::WrongReplyType {
                found: "a reply of another type (remote)",
            },
            WireAskError::Unreachable(why) => {
                AskError::Unreachable(WireError::Unreachable(Unreachable::Remote(why)))
            }
        }
    }
}

/// Appends one frame to `out`: the header, then what `body` appends. On any failure (an encoding
/// error, a frame over `max` bytes, even a panic in `body`) `out` is left exactly as it was, so
/// the stream never holds half a frame.
pub(crate) fn append_frame<R>(
    out: &mut Vec<u8>,
    max: usize,
    header: &Header<&ActorAddress>,
    body: impl FnOnce(&mut Vec<u8>) -> Result<R, WireError>,
) -> Result<R, WireError> {
    struct Rollback<'a> {
        out: &'a mut Vec<u8>,
        start: usize,
        done: bool,
    }
    impl Drop for Rollback<'_> {
        fn drop(&mut self) {
            if !self.done {
                self.out.truncate(self.start);
            }
        }
    }
    let start = out.len();
    let mut frame = Rollback {
        out,
        start,
        done: false,
    };
    frame.out.extend_from_slice(&[0; PREFIX + SEQ]);
    remote::encode(header, frame.out)?;
    let value = body(frame.out)?;
    let len = frame.out.len() - start - PREFIX;
    if len > max {
        return Err(WireError::TooLarge { bytes: len, max });
    }
    frame.out[start..start + PREFIX].copy_from_slice(&(len as u32).to_be_bytes());
    frame.done = true;
    Ok(value)
}

/// Gives a whole frame (with its prefix) its sequence number.
pub(crate) fn set_seq(frame: &mut [u8], seq: u64) {
    if let Some(slot) = frame.get_mut(PREFIX..PREFIX + SEQ) {
        slot.copy_from_slice(&seq.to_le_bytes());
    }
}

/// Splits a frame (without its length prefix) into its sequence number, header and body.
/// Addresses in the header resolve on the decoding system, so call it inside
/// [`remote::decoding`].
pub(crate) fn decode_header(frame: &[u8]) -> Result<(u64, Header<ActorAddress>, &[u8]), WireError> {
    let (seq, rest) = frame
        .split_first_chunk::<SEQ>()
        .ok_or(WireError::Decode(CodecFault::Truncated))?;
    let (header, body) =
        postcard::take_from_bytes(rest).map_err(|e| WireError::Decode(e.into()))?;
    Ok((u64::from_le_bytes(*seq), header, body))
}

/// The first frame of `buffer` (without its prefix) and how many bytes it takes with it, `None`
/// while it is not whole yet, or `Err(length)` when it announces more than `max` bytes.
pub(crate) fn next_frame(buffer: &[u8], max: usize) -> Result<Option<(&[u8], usize)>, usize> {
    let Some(&[a, b, c, d]) = buffer.get(..PREFIX) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes([a, b, c, d]) as usize;
    if len > max {
        return Err(len);
    }
    Ok(buffer
        .get(PREFIX..PREFIX + len)
        .map(|frame| (frame, PREFIX + len)))
}

/// Splits a buffer of whole frames (as queued for sending) into frames without their prefixes.
pub(crate) fn frames(mut buffer: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let prefix: [u8; PREFIX] = buffer.get(..PREFIX)?.try_into().ok()?;
        let len = u32::from_be_bytes(prefix) as usize;
        let frame = buffer.get(PREFIX..PREFIX + len)?;
        buffer = &buffer[PREFIX + len..];
        Some(frame)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_ask_keeps_its_kind_and_details_across_the_wire() {
        for poison in [
            Poison::Panicked("the cache is corrupt".into()),
            Poison::HolderPanicked,
            Poison::Failed("no such page".into()),
        ] {
            let sent = WireAskError::from(AskError::Poisoned(poison.clone()));
            let bytes = postcard::to_allocvec(&sent).unwrap();
            let received: WireAskError = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(AskError::from(received), AskError::Poisoned(poison));
        }
    }

    #[test]
    fn a_failed_body_leaves_the_buffer_as_it_was() {
        let mut out = vec![1, 2, 3];
        let header = Header::Tell {
            to: 7,
            sender: None,
            trace: None,
        };
        let err = append_frame(&mut out, 1024, &header, |_| -> Result<(), WireError> {
            Err(WireError::Encode(CodecFault::Refused))
        });
        assert!(err.is_err());
        assert_eq!(out, [1, 2, 3]);
        let err = append_frame(&mut out, 4, &header, |b| {
            b.extend_from_slice(&[0; 16]);
            Ok(())
        });
        assert!(matches!(
            err,
            Err(WireError::TooLarge { bytes: 28, max: 4 })
        ));
        assert_eq!(out, [1, 2, 3]);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = append_frame(&mut out, 1024, &header, |b| -> Result<(), WireError> {
                b.push(9);
                panic!("a Serialize impl panicked")
            });
        }));
        assert!(panicked.is_err());
        assert_eq!(out, [1, 2, 3]);
    }

    #[test]
    fn a_frame_carries_its_sequence_number() {
        let mut out = Vec::new();
        append_frame(&mut out, 1024, &Header::Exit { to: 9 }, |_| Ok(())).unwrap();
        let (frame, _) = next_frame(&out, 1024).unwrap().unwrap();
        assert_eq!(decode_header(frame).unwrap().0, 0);
        set_seq(&mut out, 300);
        let (frame, _) = next_frame(&out, 1024).unwrap().unwrap();
        let (seq, header, body) = decode_header(frame).unwrap();
        assert_eq!((seq, header, body), (300, Header::Exit { to: 9 }, &[][..]));
        assert!(decode_header(&[1, 2, 3]).is_err());
    }

    /// The layout is tokio-util's length-delimited codec's (4-byte big-endian length): what this
    /// side writes, the codec reads, and what the codec writes, this side reads.
    #[test]
    fn frames_are_the_length_delimited_codecs() {
        use tokio_util::codec::{Decoder, Encoder, LengthDelimitedCodec};
        let mut ours = Vec::new();
        append_frame(&mut ours, 1024, &Header::Exit { to: 300 }, |b| {
            b.extend_from_slice(b"body");
            Ok(())
        })
        .unwrap();
        let mut codec = LengthDelimitedCodec::new();
        let mut read = bytes::BytesMut::from(&ours[..]);
        let frame = codec.decode(&mut read).unwrap().unwrap();
        let (seq, header, body) = decode_header(&frame).unwrap();
        assert_eq!(
            (seq, header, body),
            (0, Header::Exit { to: 300 }, &b"body"[..])
        );

        let mut theirs = bytes::BytesMut::new();
        codec
            .encode(bytes::Bytes::from(frame.to_vec()), &mut theirs)
            .unwrap();
        let (frame, used) = next_frame(&theirs, 1024).unwrap().unwrap();
        assert_eq!(used, theirs.len());
        assert_eq!(frame, &ours[PREFIX..]);
        assert_eq!(next_frame(&theirs[..used - 1], 1024), Ok(None));
        assert_eq!(next_frame(&theirs, 3), Err(used - PREFIX));
    }

    #[test]
    fn frames_round_trip_through_the_buffer() {
        let mut out = Vec::new();
        for id in 0..3u64 {
            append_frame(&mut out, 1024, &Header::Reply { id }, |b| {
                b.extend_from_slice(&[id as u8; 3]);
                Ok(())
            })
            .unwrap();
        }
        let decoded: Vec<_> = frames(&out)
            .map(|f| {
                let (_, h, body) = decode_header(f).unwrap();
                (h, body.to_vec())
            })
            .collect();
        assert_eq!(decoded.len(), 3);
        assert_eq!(decoded[2], (Header::Reply { id: 2 }, vec![2, 2, 2]));
    }
}
