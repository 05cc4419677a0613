//! TLS under the connections (feature `tls`, rustls with the `ring` provider).
//!
//! The handshake's HMAC still authenticates the nodes; TLS adds confidentiality and integrity of
//! everything after it. Every node presents its certificate chain and verifies its peer's against
//! the trusted roots, both ways (mutual TLS).

use std::io;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector, TlsStream};

use crate::error::NetError;

/// A node's TLS identity and whom it trusts.
#[derive(Clone)]
pub struct TlsConfig {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
    roots: Vec<CertificateDer<'static>>,
    server_name: String,
}

impl TlsConfig {
    /// This node's certificate `chain` and private `key`; peers' certificates must chain to one
    /// of `roots`, and name `server_name` (the same name for every node of a convention, like a
    /// cluster name).
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        roots: Vec<CertificateDer<'static>>,
        server_name: impl Into<String>,
    ) -> Self {
        TlsConfig {
            chain,
            key: Arc::new(key),
            roots,
            server_name: server_name.into(),
        }
    }
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("server_name", &self.server_name)
            .field("certificates", &self.chain.len())
            .field("roots", &self.roots.len())
            .finish_non_exhaustive()
    }
}

/// The rustls configurations built once per node.
pub(crate) struct Tls {
    connector: TlsConnector,
    acceptor: TlsAcceptor,
    server_name: ServerName<'static>,
}

fn tls_error(e: impl std::fmt::Display) -> NetError {
    NetError::Tls(e.to_string())
}

impl Tls {
    pub(crate) fn new(config: &TlsConfig) -> Result<Tls, NetError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        for root in &config.roots {
            roots.add(root.clone()).map_err(tls_error)?;
        }
        let roots = Arc::new(roots);
        let client = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(tls_error)?
            .with_root_certificates(roots.clone())
            .with_client_auth_cert(config.chain.clone(), config.key.clone_key())
            .map_err(tls_error)?;
        let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(tls_error)?;
        let server = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_error)?
            .with_client_cert_verifier(verifier)
            .with_single_cert(config.chain.clone(), config.key.clone_key())
            .map_err(tls_error)?;
        let server_name = ServerName::try_from(config.server_name.clone()).map_err(tls_error)?;
        Ok(Tls {
            connector: TlsConnector::from(Arc::new(client)),
            acceptor: TlsAcceptor::from(Arc::new(server)),
            server_name,
        })
    }

    pub(crate) async fn connect(&self, tcp: TcpStream) -> io::Result<TlsStream<TcpStream>> {
        let stream = self
            .connector
            .connect(self.server_name.clone(), tcp)
            .await?;
        Ok(TlsStream::Client(stream))
    }

    pub(crate) async fn accept(&self, tcp: TcpStream) -> io::Result<TlsStream<TcpStream>> {
        Ok(TlsStream::Server(self.acceptor.accept(tcp).await?))
    }
}
