//! The settings of a networked actor system.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How a [`NetSystem`](crate::NetSystem) listens, authenticates and watches its peers.
///
/// ```
/// use std::time::Duration;
/// use thespian_net::NetConfig;
///
/// use thespian_net::Secret;
///
/// let secret = Secret::generate().unwrap(); // or Secret::from_env("THESPIAN_SECRET")
/// let config = NetConfig::new("127.0.0.1:0".parse().unwrap(), secret)
///     .down_after(Duration::from_secs(2))
///     .max_frame_len(1 << 20);
/// assert_eq!(config.listen_addr().port(), 0);
/// ```
#[derive(Clone)]
pub struct NetConfig {
    pub(crate) listen: SocketAddr,
    pub(crate) secret: crate::Secret,
    /// The handshake's key, derived from the secret once (see `Secret`).
    pub(crate) key: Arc<[u8]>,
    pub(crate) max_frame: usize,
    pub(crate) heartbeat: Duration,
    pub(crate) down_after: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) accept_timeout: Duration,
    pub(crate) backoff_min: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) max_backlog: usize,
    /// The address peers dial, when it is not the one listened on.
    pub(crate) advertise: Option<SocketAddr>,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::TlsConfig>,
}

impl NetConfig {
    /// Listens on `listen` (port 0 picks a free port; the address must be one peers can dial,
    /// not `0.0.0.0`) and proves `secret` to peers, which must share it (a
    /// [`Secret`](crate::Secret): at least 128 random bits). Add TLS (feature `tls`) when the network is
    /// not trusted: frames after the handshake are not otherwise protected.
    pub fn new(listen: SocketAddr, secret: crate::Secret) -> Self {
        NetConfig {
            listen,
            key: secret.handshake_key(),
            secret,
            max_frame: 8 << 20,
            heartbeat: Duration::from_millis(500),
            down_after: Duration::from_secs(2),
            handshake_timeout: Duration::from_secs(5),
            accept_timeout: Duration::from_secs(1),
            backoff_min: Duration::from_millis(50),
            backoff_max: Duration::from_secs(2),
            max_backlog: 64 << 20,
            advertise: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// The address to listen on.
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
    }

    /// The largest frame (one message with its header) sent or accepted; a peer sending a larger
    /// one is disconnected. Default 8 MiB.
    pub fn max_frame_len(mut self, bytes: usize) -> Self {
        self.max_frame = bytes.clamp(64, u32::MAX as usize);
        self
    }

    /// A peer silent for this long (no message, no heartbeat) is declared down, its connection
    /// closed and the asks waiting on it failed. Default 2 s. Heartbeats go out at a quarter of
    /// it, except to the members of a convention this node's membership holds alive (SWIM
    /// probes them); a member it declares down is asked for heartbeats again and has half of
    /// this more to be heard.
    pub fn down_after(mut self, silence: Duration) -> Self {
        self.down_after = silence.max(Duration::from_millis(20));
        self.heartbeat = self.down_after / 4;
        self
    }

    /// How long a connection may take to prove the secret, either way. Default 5 s.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// How long a peer that connects to this node has to prove the secret (at most the
    /// handshake timeout). Default 1 s: a legitimate peer needs a round trip or two, and an
    /// unauthenticated connection holds one of a bounded number of slots meanwhile.
    pub fn accept_timeout(mut self, timeout: Duration) -> Self {
        self.accept_timeout = timeout;
        self
    }

    /// The first and the longest wait between two attempts to reach a peer that could not be
    /// reached. Default 50 ms, doubling up to 2 s.
    pub fn reconnect_backoff(mut self, first: Duration, longest: Duration) -> Self {
        let first = first.max(Duration::from_millis(1));
        self.backoff_min = first;
        self.backoff_max = longest.max(first);
        self
    }

    /// The most bytes queued for one peer and not acknowledged by it yet; sends beyond fail
    /// (the message is handed back, an ask fails with `Unreachable`). Default 64 MiB.
    pub fn max_backlog(mut self, bytes: usize) -> Self {
        self.max_backlog = bytes;
        self
    }

    /// The address peers dial to reach this node, when it is not the address it listens on (a
    /// port forwarded by a proxy or a container runtime). It names the node: every address of
    /// its actors carries it. Default: the address listened on.
    pub fn advertise(mut self, addr: SocketAddr) -> Self {
        self.advertise = Some(addr);
        self
    }
}

#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
impl NetConfig {
    /// Runs every connection over TLS (after TCP, before the secret's handshake). Every node of a
    /// convention must then use TLS.
    pub fn tls(mut self, tls: crate::TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }
}

impl fmt::Debug for NetConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetConfig")
            .field("listen", &self.listen)
            .field("secret", &"<redacted>")
            .field("max_frame", &self.max_frame)
            .field("heartbeat", &self.heartbeat)
            .field("down_after", &self.down_after)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}
