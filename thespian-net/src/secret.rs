//! The shared secret of a convention: at least 128 random bits, never a password.
//!
//! The handshake's proofs are keyed by the secret, so a recorded handshake lets an attacker test
//! guesses offline: a secret a person chose ("sunshine42") falls in seconds. [`Secret`] therefore
//! accepts only keys of at least 16 bytes given as bytes, hexadecimal text, an environment
//! variable or a file — made with [`Secret::generate`] (or `openssl rand -hex 32`), never typed
//! in — and the handshake's key is derived from it with PBKDF2-HMAC-SHA-256 (a slow step that
//! multiplies an attacker's work per guess, should a weak key ever slip through).

use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Why a secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// Fewer than 16 bytes (128 bits).
    #[error("a secret needs at least {min} bytes (128 bits); this one has {got}")]
    TooShort {
        /// The minimum.
        min: usize,
        /// What was given.
        got: usize,
    },
    /// The same byte repeated: not a random key.
    #[error("a secret must be random: this one repeats one byte")]
    NotRandom,
    /// Not hexadecimal text.
    #[error("not a hexadecimal secret: {0}")]
    NotHex(String),
    /// The environment variable is not set (or not Unicode).
    #[error("environment variable {0} is not set")]
    NoVariable(String),
    /// The file could not be read.
    #[error("cannot read the secret's file: {0}")]
    File(String),
    /// The operating system gave no randomness.
    #[error("no randomness to make a secret: {0}")]
    NoRandomness(String),
}

/// A convention's shared secret: at least 128 random bits, never a password. The handshake's
/// key is derived from it with PBKDF2-HMAC-SHA-256, a slow step per guess.
///
/// ```
/// use thespian_net::Secret;
///
/// let secret = Secret::generate().unwrap();          // 32 random bytes
/// let again = Secret::from_hex(&secret.to_hex()).unwrap();
/// assert_eq!(secret, again);
/// assert!(Secret::from_hex("73756e7368696e653432").is_err()); // "sunshine42": too short
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<[u8]>);

impl Secret {
    /// The fewest bytes a secret may have.
    pub const MIN_BYTES: usize = 16;

    /// A new random secret of 32 bytes, from the operating system's randomness.
    pub fn generate() -> Result<Secret, SecretError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| SecretError::NoRandomness(e.to_string()))?;
        Secret::from_bytes(bytes)
    }

    /// A secret of these bytes (at least [`MIN_BYTES`](Self::MIN_BYTES), not one byte repeated).
    pub fn from_bytes(bytes: impl AsRef<[u8]>) -> Result<Secret, SecretError> {
        let bytes = bytes.as_ref();
        if bytes.len() < Self::MIN_BYTES {
            return Err(SecretError::TooShort {
                min: Self::MIN_BYTES,
                got: bytes.len(),
            });
        }
        if bytes.iter().all(|b| *b == bytes[0]) {
            return Err(SecretError::NotRandom);
        }
        Ok(Secret(bytes.into()))
    }

    /// A secret written in hexadecimal (as [`to_hex`](Self::to_hex) writes it; spaces around are
    /// ignored).
    pub fn from_hex(text: &str) -> Result<Secret, SecretError> {
        let text = text.trim();
        if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(SecretError::NotHex(format!("{} characters", text.len())));
        }
        let bytes: Vec<u8> = (0..text.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
            .collect();
        Secret::from_bytes(bytes)
    }

    /// The secret in environment variable `name`, in hexadecimal.
    pub fn from_env(name: &str) -> Result<Secret, SecretError> {
        let text = std::env::var(name).map_err(|_| SecretError::NoVariable(name.to_owned()))?;
        Secret::from_hex(&text)
    }

    /// The secret in a file, in hexadecimal.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Secret, SecretError> {
        let text = std::fs::read_to_string(path).map_err(|e| SecretError::File(e.to_string()))?;
        Secret::from_hex(&text)
    }

    /// The secret in hexadecimal, to hand to the other nodes (keep it as secret as a password).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The key the handshake's proofs are made with: PBKDF2-HMAC-SHA-256 of the secret.
    pub(crate) fn handshake_key(&self) -> Arc<[u8]> {
        const SALT: &[u8] = b"thespian-net handshake key v1";
        const ROUNDS: u32 = 10_000;
        let mut key = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(&self.0, SALT, ROUNDS, &mut key);
        key.as_slice().into()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::str::FromStr for Secret {
    type Err = SecretError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Secret::from_hex(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_secrets_are_refused_with_a_reason() {
        assert!(matches!(
            Secret::from_bytes(b"sunshine42"),
            Err(SecretError::TooShort { got: 10, .. })
        ));
        assert_eq!(Secret::from_bytes([7u8; 32]), Err(SecretError::NotRandom));
        assert!(matches!(
            Secret::from_hex("xyz"),
            Err(SecretError::NotHex(_))
        ));
        assert!(matches!(
            Secret::from_env("THESPIAN_NO_SUCH_VARIABLE"),
            Err(SecretError::NoVariable(_))
        ));
        let made = Secret::generate().unwrap();
        assert_eq!(Secret::from_hex(&made.to_hex()), Ok(made.clone()));
        assert_eq!(format!("{made:?}"), "Secret(<redacted>)");
        assert_ne!(
            made.handshake_key(),
            Secret::generate().unwrap().handshake_key()
        );
    }
}
