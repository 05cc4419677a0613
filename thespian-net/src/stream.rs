//! The byte stream under a connection: plain TCP, or TLS over TCP (feature `tls`).
//!
//! A plain connection's write half is shared, so that a sender can write a lone frame itself
//! (see `LinkInner::push`); a TLS connection's is owned by its writer task, which encrypts.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

#[cfg(feature = "tls")]
use tokio::io::AsyncWriteExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;

use crate::node::NetInner;

/// One connection's bytes.
pub(crate) enum Stream {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<tokio_rustls::TlsStream<TcpStream>>),
}

/// The read half handed to the connection's reader.
pub(crate) type ReadSide = Box<dyn AsyncRead + Send + Unpin>;

/// The write half handed to the connection's writer.
pub(crate) enum WriteSide {
    Plain(Arc<OwnedWriteHalf>),
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
            return Ok(Stream::Tls(Box::new(tls.connect(tcp).await?)));
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

    pub(crate) fn split(self) -> (ReadSide, WriteSide) {
        match self {
            Stream::Plain(tcp) => {
                let (read, write) = tcp.into_split();
                (Box::new(read), WriteSide::Plain(Arc::new(write)))
            }
            #[cfg(feature = "tls")]
            tls @ Stream::Tls(_) => {
                let (read, write) = tokio::io::split(tls);
                (Box::new(read), WriteSide::Tls(write))
            }
        }
    }
}

impl WriteSide {
    /// The socket a sender may write to itself, for a plain connection.
    pub(crate) fn shared(&self) -> Option<Arc<OwnedWriteHalf>> {
        match self {
            WriteSide::Plain(socket) => Some(socket.clone()),
            #[cfg(feature = "tls")]
            WriteSide::Tls(_) => None,
        }
    }

    /// Writes all of `bytes`, counting in `written` what went out; fails when the socket takes
    /// nothing for `stall` (a slow peer that keeps reading is not a dead one).
    pub(crate) async fn write_all(
        &mut self,
        mut bytes: &[u8],
        written: &mut usize,
        stall: std::time::Duration,
    ) -> io::Result<()> {
        let stalled = || io::Error::new(io::ErrorKind::TimedOut, "the peer stopped reading");
        match self {
            WriteSide::Plain(socket) => {
                while !bytes.is_empty() {
                    tokio::time::timeout(stall, socket.writable())
                        .await
                        .map_err(|_| stalled())??;
                    match socket.try_write(bytes) {
                        Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                        Ok(n) => {
                            bytes = &bytes[n..];
                            *written += n;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }
            #[cfg(feature = "tls")]
            WriteSide::Tls(write) => {
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
            WriteSide::Plain(_) => {}
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
