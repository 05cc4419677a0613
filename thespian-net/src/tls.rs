//! TLS under the connections (feature `tls`, rustls with the `ring` provider).
//!
//! TLS replaces the record layer of plain connections; the handshake still proves the secret
//! inside it, bound to the TLS session (keying material exported from it is part of the
//! transcript). Every node presents its certificate chain and verifies its peer's against the
//! trusted roots, both ways (mutual TLS), and a certificate must name the IP address of the node
//! its holder claims to be: a node cannot pass for another with its own certificate.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector, TlsStream};

use thespian::remote::NodeId;

use crate::error::{HandshakeError, NetError};
use crate::stream::Channel;

/// A node's TLS identity and whom it trusts.
#[derive(Clone)]
pub struct TlsConfig {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
    roots: Vec<CertificateDer<'static>>,
}

impl TlsConfig {
    /// This node's certificate `chain` and private `key`; peers' certificates must chain to one
    /// of `roots`. Every node's certificate names, as an IP address subject alternative name,
    /// the IP address the node advertises (its [`NetConfig::advertise`](crate::NetConfig::advertise)
    /// or listening address): a peer whose certificate does not name the address of the node it
    /// claims to be is refused. Ports are not named: nodes sharing an IP address can share one
    /// certificate.
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        roots: Vec<CertificateDer<'static>>,
    ) -> Self {
        TlsConfig {
            chain,
            key: Arc::new(key),
            roots,
        }
    }
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("certificates", &self.chain.len())
            .field("roots", &self.roots.len())
            .finish_non_exhaustive()
    }
}

/// The rustls configurations built once per node.
pub(crate) struct Tls {
    connector: TlsConnector,
    acceptor: TlsAcceptor,
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
        Ok(Tls {
            connector: TlsConnector::from(Arc::new(client)),
            acceptor: TlsAcceptor::from(Arc::new(server)),
        })
    }

    /// Connects as a client; the server's certificate must name the IP address dialed.
    pub(crate) async fn connect(
        &self,
        tcp: TcpStream,
        addr: SocketAddr,
    ) -> io::Result<TlsStream<TcpStream>> {
        let name = ServerName::IpAddress(addr.ip().into());
        let stream = self.connector.connect(name, tcp).await?;
        Ok(TlsStream::Client(stream))
    }

    pub(crate) async fn accept(&self, tcp: TcpStream) -> io::Result<TlsStream<TcpStream>> {
        Ok(TlsStream::Server(self.acceptor.accept(tcp).await?))
    }
}

/// Keying material exported from the TLS session, which the handshake's proofs cover, and the
/// peer's certificate.
pub(crate) fn channel(tls: &TlsStream<TcpStream>) -> Result<Channel, HandshakeError> {
    let mut binding = vec![0; 32];
    let label = b"EXPORTER-thespian-net-handshake";
    let (exported, certificates) = match tls {
        TlsStream::Client(s) => {
            let c = s.get_ref().1;
            (
                c.export_keying_material(&mut binding, label, None),
                c.peer_certificates(),
            )
        }
        TlsStream::Server(s) => {
            let c = s.get_ref().1;
            (
                c.export_keying_material(&mut binding, label, None),
                c.peer_certificates(),
            )
        }
    };
    exported.map_err(|e| HandshakeError::Certificate(format!("no keying material: {e}")))?;
    let certificate = certificates
        .and_then(|c| c.first())
        .ok_or_else(|| HandshakeError::Certificate("the peer presented none".into()))?;
    Ok(Channel {
        binding,
        certificate: Some(certificate.clone().into_owned()),
    })
}

/// Checks that a peer's certificate names the IP address of the node it claims to be.
pub(crate) fn check_peer(
    certificate: &CertificateDer<'static>,
    node: NodeId,
) -> Result<(), HandshakeError> {
    let wrong = |why: &str| HandshakeError::Certificate(format!("node {node}: {why}"));
    let cert = webpki::EndEntityCert::try_from(certificate).map_err(|e| wrong(&e.to_string()))?;
    cert.verify_is_valid_for_subject_name(&ServerName::IpAddress(node.addr.ip().into()))
        .map_err(|_| wrong("its certificate does not name its address"))
}
