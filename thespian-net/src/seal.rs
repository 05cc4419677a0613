//! The record layer of a plain TCP connection: after the handshake, every byte travels inside
//! records sealed with AES-256-GCM (ring), one key per direction, derived from the handshake.
//!
//! ```text
//! record = [length: u32 BE][ciphertext][tag: 16 bytes]     length = ciphertext + tag
//! ```
//!
//! The nonce of a record is its number on the connection (counted by both sides, never sent), so
//! a record that is altered, injected, dropped, replayed or reordered fails to open and the
//! connection ends; frames not acknowledged go again on the next one (see `link`). The length
//! prefix is the record's additional data. Records carry at most [`RECORD_MAX`] bytes of
//! frames; frames may span records (the plaintext is one stream). Under TLS there is no record
//! layer here: TLS has its own.

use std::io;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hkdf;

/// The most plaintext one record carries.
pub(crate) const RECORD_MAX: usize = 64 << 10;
const LEN: usize = 4;
const TAG: usize = 16;

/// The two keys of a connection, as this side uses them.
pub(crate) struct Keys {
    pub(crate) send: Sealer,
    pub(crate) receive: Opener,
}

impl Keys {
    /// Expands the handshake's pseudo-random key into one key per direction; `dialer` says
    /// which side this is.
    pub(crate) fn derive(prk: &hkdf::Prk, dialer: bool) -> Keys {
        let key = |direction: &[u8]| {
            let info = [&b"thespian-net records "[..], direction];
            let okm = prk
                .expand(&info, &AES_256_GCM)
                .expect("an AES-256 key is a valid HKDF-SHA-256 length");
            LessSafeKey::new(UnboundKey::from(okm))
        };
        let (mine, theirs) = if dialer {
            (&b"dialer"[..], &b"acceptor"[..])
        } else {
            (&b"acceptor"[..], &b"dialer"[..])
        };
        Keys {
            send: Sealer {
                key: key(mine),
                next: 0,
            },
            receive: Opener {
                key: key(theirs),
                next: 0,
                sealed: Vec::new(),
            },
        }
    }
}

fn nonce(counter: &mut u64) -> io::Result<Nonce> {
    let n = *counter;
    // 2^64 records: never in practice, but a repeated nonce must be impossible, not unlikely.
    *counter = n
        .checked_add(1)
        .ok_or_else(|| io::Error::other("record counter exhausted"))?;
    let mut bytes = [0; NONCE_LEN];
    bytes[NONCE_LEN - 8..].copy_from_slice(&n.to_be_bytes());
    Ok(Nonce::assume_unique_for_key(bytes))
}

/// Seals what this side writes.
pub(crate) struct Sealer {
    key: LessSafeKey,
    next: u64,
}

impl Sealer {
    /// Appends `plain` to `out` as sealed records.
    pub(crate) fn seal(&mut self, plain: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        out.reserve(plain.len() + plain.len().div_ceil(RECORD_MAX) * (LEN + TAG));
        for chunk in plain.chunks(RECORD_MAX) {
            let prefix = ((chunk.len() + TAG) as u32).to_be_bytes();
            out.extend_from_slice(&prefix);
            let start = out.len();
            out.extend_from_slice(chunk);
            let tag = self
                .key
                .seal_in_place_separate_tag(
                    nonce(&mut self.next)?,
                    Aad::from(prefix),
                    &mut out[start..],
                )
                .map_err(|_| io::Error::other("sealing failed"))?;
            out.extend_from_slice(tag.as_ref());
        }
        Ok(())
    }
}

/// Opens what the peer writes.
pub(crate) struct Opener {
    key: LessSafeKey,
    next: u64,
    /// Bytes read and not opened yet (the start of a record).
    sealed: Vec<u8>,
}

impl Opener {
    /// The buffer to read sealed bytes into.
    pub(crate) fn sealed(&mut self) -> &mut Vec<u8> {
        &mut self.sealed
    }

    /// Opens every whole record read so far and appends its plaintext to `plain`. A record that
    /// does not open (altered, injected, out of place) or announces too much is an error.
    pub(crate) fn open(&mut self, plain: &mut Vec<u8>) -> io::Result<()> {
        let mut at = 0;
        while let Some(prefix) = self.sealed.get(at..at + LEN) {
            let prefix: [u8; LEN] = prefix.try_into().expect("LEN bytes");
            let len = u32::from_be_bytes(prefix) as usize;
            if !(TAG..=RECORD_MAX + TAG).contains(&len) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("bad record: {len} bytes announced"),
                ));
            }
            let Some(record) = self.sealed.get_mut(at + LEN..at + LEN + len) else {
                break;
            };
            let opened = self
                .key
                .open_in_place(nonce(&mut self.next)?, Aad::from(prefix), record)
                .map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        "bad record: it does not authenticate (altered, injected or out of place)",
                    )
                })?;
            plain.extend_from_slice(opened);
            at += LEN + len;
        }
        self.sealed.drain(..at);
        if self.sealed.is_empty() && self.sealed.capacity() > 4 * RECORD_MAX {
            self.sealed = Vec::new();
        }
        Ok(())
    }

    /// Whether part of a record is waiting for the rest.
    pub(crate) fn partial(&self) -> bool {
        !self.sealed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Keys, Keys) {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"salt").extract(b"shared");
        (Keys::derive(&prk, true), Keys::derive(&prk, false))
    }

    #[test]
    fn records_round_trip_in_pieces_and_across_the_size_limit() {
        let (mut dialer, mut acceptor) = pair();
        let big: Vec<u8> = (0..RECORD_MAX * 2 + 100).map(|i| i as u8).collect();
        let mut wire = Vec::new();
        dialer.send.seal(b"hello", &mut wire).unwrap();
        dialer.send.seal(&big, &mut wire).unwrap();
        let mut plain = Vec::new();
        // Delivered a few bytes at a time, as a socket may.
        for piece in wire.chunks(7) {
            acceptor.receive.sealed().extend_from_slice(piece);
            acceptor.receive.open(&mut plain).unwrap();
        }
        assert!(!acceptor.receive.partial());
        assert_eq!(&plain[..5], b"hello");
        assert_eq!(&plain[5..], &big[..]);
    }

    #[test]
    fn an_altered_replayed_or_reflected_record_does_not_open() {
        let (mut dialer, _) = pair();
        let mut wire = Vec::new();
        dialer.send.seal(b"exit 7", &mut wire).unwrap();
        for at in 0..wire.len() {
            let (_, mut acceptor) = pair();
            let mut altered = wire.clone();
            altered[at] ^= 1;
            acceptor.receive.sealed().extend_from_slice(&altered);
            let mut plain = Vec::new();
            let opened = acceptor.receive.open(&mut plain);
            assert!(
                opened.is_err() || plain.is_empty(),
                "byte {at} altered went through"
            );
        }
        // Replayed: the second copy carries the first one's number.
        let (_, mut acceptor) = pair();
        acceptor.receive.sealed().extend_from_slice(&wire);
        acceptor.receive.sealed().extend_from_slice(&wire);
        assert!(acceptor.receive.open(&mut Vec::new()).is_err());
        // Reflected: a side cannot open its own records.
        let (_, mut acceptor) = pair();
        let mut back = Vec::new();
        acceptor.send.seal(b"exit 7", &mut back).unwrap();
        acceptor.receive.sealed().extend_from_slice(&back);
        assert!(acceptor.receive.open(&mut Vec::new()).is_err());
    }

    #[test]
    fn an_oversized_record_is_refused_before_it_is_read() {
        let (_, mut acceptor) = pair();
        let len = (RECORD_MAX + TAG + 1) as u32;
        acceptor
            .receive
            .sealed()
            .extend_from_slice(&len.to_be_bytes());
        assert!(acceptor.receive.open(&mut Vec::new()).is_err());
    }
}
