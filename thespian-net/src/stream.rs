//! The byte stream under a connection: plain TCP with sealed records (see `seal`), or TLS over
//! TCP (feature `tls`).
//!
//! A plain connection's write half and sealer are shared, so that a sender can seal and write a
//! lone frame itself (see `LinkInner::push`); a TLS connection's is owned by its writer task.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

#[cfg(feature = "tls")]
use tokio::io::AsyncWriteExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;

use crate::error::HandshakeError;
use crate::node::NetInner;
use crate::seal::{Keys, Opener, Sealer};

/// One connection's bytes.
pub(crate) enum Stream {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<tokio_rustls::TlsStream<TcpStream>>),
}

/// What the transport under the handshake contributes to it: under TLS, keying material exported
/// from the session (the proofs cover it, so they cannot be relayed into another session) and
/// the peer's certificate (which must name the node the peer claims); nothing on plain TCP,
/// where the secret is the only identity.
#[derive(Default)]
pub(crate) struct Channel {
    pub(crate) binding: Vec<u8>,
    #[cfg(feature = "tls")]
    pub(crate) certificate: Option<tokio_rustls::rustls::pki_types::CertificateDer<'static>>,
}

impl Channel {
    /// Checks the node a peer claims against what the transport knows of it.
    pub(crate) fn check(&self, node: thespian::remote::NodeId) -> Result<(), HandshakeError> {
        #[cfg(feature = "tls")]
        if let Some(certificate) = &self.certificate {
            return crate::tls::check_peer(certificate, node);
        }
        let _ = node;
        Ok(())
    }
}

/// The read half handed to the connection's reader.
pub(crate) enum ReadSide {
    Sealed(tokio::net::tcp::OwnedReadHalf, Box<Opener>),
    #[cfg(feature = "tls")]
    Tls(tokio::io::ReadHalf<Stream>),
}

/// What a sender needs to write a lone frame itself: the socket and the sealer of a plain
/// connection. Used only while the connection's writer is idle (see `LinkState::writer_waiting`),
/// so records go out in the order they were sealed.
#[derive(Clone)]
pub(crate) struct Direct {
    pub(crate) socket: Arc<OwnedWriteHalf>,
    pub(crate) sealer: Arc<Mutex<Sealer>>,
}

impl Direct {
    /// Seals `plain` into `out`.
    pub(crate) fn seal(&self, plain: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        self.sealer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .seal(plain, out)
    }
}

/// The write half handed to the connection's writer.
pub(crate) enum WriteSide {
    Plain {
        direct: Direct,
        sealed: Vec<u8>,
    },
    #[cfg(feature = "tls")]
    Tls(tokio::io::WriteHalf<Stream>),
}

impl Stream {
    /// Connects to `addr` (and, with TLS configured, makes the TLS handshake as its client).
    pub(crate) async fn connect(net: &NetInner, addr: SocketAddr) -> io::Result<Stream> {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        #[cfg(feature = "tls")]
        if let Some(tls) = &net.tls {
            return Ok(Stream::Tls(Box::new(tls.connect(tcp, addr).await?)));
        }
        let _ = net;
        Ok(Stream::Plain(tcp))
    }

    /// Takes an accepted connection (and, with TLS configured, makes the TLS handshake as its
    /// server).
    pub(crate) async fn accept(net: &NetInner, tcp: TcpStream) -> io::Result<Stream> {
        tcp.set_nodelay(true)?;
        #[cfg(feature = "tls")]
        if let Some(tls) = &net.tls {
            return Ok(Stream::Tls(Box::new(tls.accept(tcp).await?)));
        }
        let _ = net;
        Ok(Stream::Plain(tcp))
    }

    /// What the transport under the handshake says about the peer (see [`Channel`]).
    pub(crate) fn channel(&self) -> Result<Channel, HandshakeError> {
        match self {
            Stream::Plain(_) => Ok(Channel::default()),
            #[cfg(feature = "tls")]
            Stream::Tls(tls) => crate::tls::channel(tls),
        }
    }

    /// Splits the stream for its reader and writer; `keys` seal a plain connection's records.
    pub(crate) fn split(self, keys: Keys) -> (ReadSide, WriteSide) {
        match self {
            Stream::Plain(tcp) => {
                let (read, write) = tcp.into_split();
                let direct = Direct {
                    socket: Arc::new(write),
                    sealer: Arc::new(Mutex::new(keys.send)),
                };
                (
                    ReadSide::Sealed(read, Box::new(keys.receive)),
                    WriteSide::Plain {
                        direct,
                        sealed: Vec::new(),
                    },
                )
            }
            #[cfg(feature = "tls")]
            tls @ Stream::Tls(_) => {
                let _ = keys;
                let (read, write) = tokio::io::split(tls);
                (ReadSide::Tls(read), WriteSide::Tls(write))
            }
        }
    }
}

impl ReadSide {
    /// Reads what arrives and appends the plaintext to `plain`; returns how many bytes came
    /// from the socket (0: it closed). A record that does not open is an error.
    pub(crate) async fn read_into(&mut self, plain: &mut Vec<u8>) -> io::Result<usize> {
        match self {
            ReadSide::Sealed(read, opener) => {
                let sealed = opener.sealed();
                if sealed.capacity() - sealed.len() < READ_CHUNK / 2 {
                    sealed.reserve(READ_CHUNK);
                }
                let n = read.read_buf(sealed).await?;
                opener.open(plain)?;
                Ok(n)
            }
            #[cfg(feature = "tls")]
            ReadSide::Tls(read) => {
                if plain.capacity() - plain.len() < READ_CHUNK / 2 {
                    plain.reserve(READ_CHUNK);
                }
                read.read_buf(plain).await
            }
        }
    }

    /// Whether part of a record waits for the rest (a close now cuts it).
    pub(crate) fn mid_record(&self) -> bool {
        match self {
            ReadSide::Sealed(_, opener) => opener.partial(),
            #[cfg(feature = "tls")]
            ReadSide::Tls(_) => false,
        }
    }
}

/// How much the reader asks the socket for at a time.
const READ_CHUNK: usize = 64 << 10;

impl WriteSide {
    /// The socket and sealer a sender may write with itself, for a plain connection.
    pub(crate) fn direct(&self) -> Option<Direct> {
        match self {
            WriteSide::Plain { direct, .. } => Some(direct.clone()),
            #[cfg(feature = "tls")]
            WriteSide::Tls(_) => None,
        }
    }

    /// Writes `unsent` (already sealed: what a sender could not write itself), then `plain`
    /// (sealed here), counting in `written` what went out; fails when the socket takes nothing
    /// for `stall` (a slow peer that keeps reading is not a dead one).
    pub(crate) async fn write_all(
        &mut self,
        unsent: &[u8],
        plain: &[u8],
        written: &mut usize,
        stall: std::time::Duration,
    ) -> io::Result<()> {
        let stalled = || io::Error::new(io::ErrorKind::TimedOut, "the peer stopped reading");
        match self {
            WriteSide::Plain { direct, sealed } => {
                sealed.clear();
                sealed.extend_from_slice(unsent);
                direct.seal(plain, sealed)?;
                let mut bytes = &sealed[..];
                while !bytes.is_empty() {
                    tokio::time::timeout(stall, direct.socket.writable())
                        .await
                        .map_err(|_| stalled())??;
                    match direct.socket.try_write(bytes) {
                        Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                        Ok(n) => {
                            bytes = &bytes[n..];
                            *written += n;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    }
                }
                if sealed.capacity() > 1 << 20 {
                    *sealed = Vec::new();
                }
                Ok(())
            }
            #[cfg(feature = "tls")]
            WriteSide::Tls(write) => {
                debug_assert!(unsent.is_empty(), "senders never write under TLS");
                let mut bytes = plain;
                while !bytes.is_empty() {
                    let n = tokio::time::timeout(stall, write.write(bytes))
                        .await
                        .map_err(|_| stalled())??;
                    if n == 0 {
                        return Err(io::ErrorKind::WriteZero.into());
                    }
                    bytes = &bytes[n..];
                    *written += n;
                }
                tokio::time::timeout(stall, write.flush())
                    .await
                    .map_err(|_| stalled())?
            }
        }
    }

    pub(crate) async fn shutdown(&mut self) {
        match self {
            WriteSide::Plain { .. } => {}
            #[cfg(feature = "tls")]
            WriteSide::Tls(write) => {
                let _ = write.shutdown().await;
            }
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
