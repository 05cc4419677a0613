//! A minimal HTTP/1.1 client over one kept-alive connection, for the test and the benchmark.
//!
//! It is hyper's own connection-level client: one TCP connection, one request at a time, no pool,
//! so "64 clients" means exactly 64 connections.

use std::fmt;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Any failure of the connection or of a request.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// One kept-alive connection to the service.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects to `addr`. The connection is driven by a task of its own, which ends when the
    /// `Connection` is dropped or the server closes it.
    pub async fn open(addr: SocketAddr) -> Result<Self, Error> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Connection {
            sender,
            host: addr.to_string(),
        })
    }

    /// Sends one request and reads the whole response.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: impl Into<Bytes>,
    ) -> Result<(StatusCode, Bytes), Error> {
        self.sender.ready().await?;
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, &self.host)
            .body(Full::new(body.into()))?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Result<(StatusCode, Bytes), Error> {
        self.send(Method::GET, path, Bytes::new()).await
    }

    /// `PUT path` with `body`.
    pub async fn put(
        &mut self,
        path: &str,
        body: impl Into<Bytes>,
    ) -> Result<(StatusCode, Bytes), Error> {
        self.send(Method::PUT, path, body).await
    }

    /// `DELETE path`.
    pub async fn delete(&mut self, path: &str) -> Result<(StatusCode, Bytes), Error> {
        self.send(Method::DELETE, path, Bytes::new()).await
    }
}
