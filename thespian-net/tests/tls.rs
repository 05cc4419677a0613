//! TLS under the connections (`cargo test -p thespian-net --features tls`).
#![cfg(feature = "tls")]

mod common;

use common::*;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use thespian::prelude::*;
use thespian_net::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use thespian_net::{NetError, TlsConfig};

const NAME: &str = "convention.test";

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

    fn node(&self) -> TlsConfig {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![NAME.to_owned()])
            .unwrap()
            .signed_by(&key, &self.cert, &self.key)
            .unwrap();
        TlsConfig::new(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            vec![CertificateDer::from(self.cert.der().to_vec())],
            NAME,
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
        counter.numbered(n).await.unwrap();
    }
    assert_eq!(counter.stream().await, Ok((1000, true)));
    counter.add(2).await.unwrap();
    assert_eq!(counter.total().await, Ok(2));
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
