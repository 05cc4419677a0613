//! TLS under the connections (`cargo test -p thespian-net --features tls`).
#![cfg(feature = "tls")]

mod common;

use common::*;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use thespian::prelude::*;
use thespian_net::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use thespian_net::{NetError, TlsConfig};

/// A certificate authority, and node certificates it signs.
struct Authority {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Authority {
    fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        Authority {
            cert: params.self_signed(&key).unwrap(),
            key,
        }
    }

    /// A node on 127.0.0.1.
    fn node(&self) -> TlsConfig {
        self.node_named("127.0.0.1")
    }

    /// A node whose certificate names `address` (an IP address, or a DNS name).
    fn node_named(&self, address: &str) -> TlsConfig {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![address.to_owned()])
            .unwrap()
            .signed_by(&key, &self.cert, &self.key)
            .unwrap();
        TlsConfig::new(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            vec![CertificateDer::from(self.cert.der().to_vec())],
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_actors_over_tls() {
    let authority = Authority::new();
    let (one, net_one) = node_with(config().tls(authority.node())).await;
    let (_two, net_two) = node_with(config().tls(authority.node())).await;
    one.create_actor_with(Counter::new(), ActorOptions::new().name("counter"))
        .await
        .unwrap();
    let counter: Addr<Counter> = net_two
        .lookup(net_one.local_addr(), "counter", TIMEOUT)
        .await
        .unwrap();
    for n in 0..1000 {
        counter.numbered(n).tell().await.unwrap();
    }
    assert_eq!(counter.stream().ask().await, Ok((1000, true)));
    counter.add(2).tell().await.unwrap();
    assert_eq!(counter.total().ask().await, Ok(2));
    net_two.shutdown().await;
    net_one.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_tls_or_with_a_stranger_certificate_is_refused() {
    let authority = Authority::new();
    let (one, net_one) = node_with(config().tls(authority.node())).await;
    one.create_actor_with(Counter::new(), ActorOptions::new().name("counter"))
        .await
        .unwrap();
    let (_plain, net_plain) = node().await;
    let refused = net_plain
        .lookup::<Counter>(net_one.local_addr(), "counter", TIMEOUT)
        .await;
    assert!(
        matches!(refused, Err(NetError::Handshake { .. })),
        "{refused:?}"
    );
    let stranger = Authority::new();
    let (_other, net_other) = node_with(config().tls(stranger.node())).await;
    let refused = net_other
        .lookup::<Counter>(net_one.local_addr(), "counter", TIMEOUT)
        .await;
    assert!(refused.is_err(), "{refused:?}");
    net_one.shutdown().await;
}

/// A certificate signed by the convention's own authority, but for another address, cannot pass
/// for a node here: neither dialing (the server's certificate must name the address dialed) nor
/// dialed (the client's must name the address its node claims).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_cannot_claim_an_address_its_certificate_does_not_name() {
    let authority = Authority::new();
    let (one, net_one) = node_with(config().tls(authority.node())).await;
    one.create_actor_with(Counter::new(), ActorOptions::new().name("counter"))
        .await
        .unwrap();
    // Only the certificate differs: it is the authority's, for 10.9.9.9 (never dialed).
    let (_other, net_other) = node_with(config().tls(authority.node_named("10.9.9.9"))).await;
    let refused = net_other
        .lookup::<Counter>(net_one.local_addr(), "counter", TIMEOUT)
        .await;
    assert!(
        matches!(refused, Err(NetError::Handshake { .. })),
        "{refused:?}"
    );
    let (_two, net_two) = node_with(config().tls(authority.node())).await;
    // Dialing it, TLS itself refuses its certificate for the address dialed.
    let refused = net_one
        .lookup::<Counter>(net_other.local_addr(), "counter", TIMEOUT)
        .await;
    assert!(
        matches!(refused, Err(NetError::Io(_) | NetError::Handshake { .. })),
        "{refused:?}"
    );
    // A DNS name is not an address either.
    let (_named, net_named) = node_with(config().tls(authority.node_named("node.test"))).await;
    let refused = net_named
        .lookup::<Counter>(net_one.local_addr(), "counter", TIMEOUT)
        .await;
    assert!(refused.is_err(), "{refused:?}");
    // The honest node gets through.
    let counter: Addr<Counter> = net_two
        .lookup(net_one.local_addr(), "counter", TIMEOUT)
        .await
        .unwrap();
    counter.add(3).tell().await.unwrap();
    assert_eq!(counter.total().ask().await, Ok(3));
    net_one.shutdown().await;
}
