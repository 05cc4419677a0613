//! Identities: the actor id, the cheap map keyed by it, and short type names. The ground every
//! other module stands on; it imports nothing of the crate.

use std::fmt;
use std::hash::Hasher;
use std::sync::atomic::{AtomicU64, Ordering};

/// The identity of an actor, unique within the process for its whole life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
pub struct ActorId(pub(crate) u64);

impl ActorId {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ActorId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The id as a number.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

/// A map keyed by actor id. Ids are handed out by the process, never taken from input, so a
/// cheap mixing hash serves (std's default, SipHash, made every registry insert and removal of a
/// spawn-heavy workload cost about a hundred instructions of hashing).
pub(crate) type IdMap<V> = std::collections::HashMap<ActorId, V, BuildIdHasher>;

/// Builds [`IdHasher`]s.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct BuildIdHasher;

impl std::hash::BuildHasher for BuildIdHasher {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

/// Hashes an actor id (one `u64`) with splitmix64's finalizer: every bit of the id moves every
/// bit of the hash, so ids that share their low bits (as in one shard of the registry) still
/// spread over the table.
#[derive(Debug)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached for keys other than an id: fold the bytes in.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The last path segment of a type name, without generic arguments' paths.
pub(crate) fn short_type_name(full: &'static str) -> &'static str {
    let base = full.split('<').next().unwrap_or(full);
    let start = base.rfind("::").map_or(0, |i| i + 2);
    &full[start..]
}
