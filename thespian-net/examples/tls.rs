//! Remote actors over mutual TLS, with certificates loaded from PEM files.
//!
//! An operator would hand each node its certificate, its key and the authority's certificate as
//! files. This example makes them first (a certificate authority and a certificate for
//! 127.0.0.1, written to a temporary folder), then does what a node does at start: loads them
//! with [`load_tls`] and starts its [`NetSystem`] with [`NetConfig::tls`]. Two such nodes talk
//! as any two nodes do; a node whose certificate another authority signed is refused before it
//! proves the secret, and so is a node without TLS.
//!
//! ```text
//! $ cargo run -p thespian-net --features tls --example tls
//! wrote ca.pem, node.pem, node.key
//! over TLS: told 1..=100 to the counter on the other node, total 5050
//! a node with a certificate from another authority: refused
//! a node without TLS: refused
//! ```

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use thespian::prelude::*;
use thespian_net::pki_types::pem::PemObject;
use thespian_net::pki_types::{CertificateDer, PrivateKeyDer};
use thespian_net::{NetConfig, NetSystem, Secret, TlsConfig};

const WAIT: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Counter {
    total: u64,
}

#[actor]
impl Counter {
    async fn add(&mut self, n: u64) {
        self.total += n;
    }

    async fn total(&self) -> u64 {
        self.total
    }
}

/// What a node does at start: its certificate chain, its key, and the authority it trusts, from
/// PEM files.
fn load_tls(dir: &Path) -> Result<TlsConfig, Box<dyn Error>> {
    let chain = CertificateDer::pem_file_iter(dir.join("node.pem"))?.collect::<Result<_, _>>()?;
    let key = PrivateKeyDer::from_pem_file(dir.join("node.key"))?;
    let roots = CertificateDer::pem_file_iter(dir.join("ca.pem"))?.collect::<Result<_, _>>()?;
    Ok(TlsConfig::new(chain, key, roots))
}

/// What an operator does once: an authority, and a certificate it signs for the address the
/// nodes advertise (an IP address; ports are not named, so nodes on one host share it).
fn write_certificates(dir: &Path) -> Result<(), Box<dyn Error>> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca.self_signed(&ca_key)?;
    let node_key = KeyPair::generate()?;
    let node =
        CertificateParams::new(vec!["127.0.0.1".to_owned()])?.signed_by(&node_key, &ca, &ca_key)?;
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("ca.pem"), ca.pem())?;
    std::fs::write(dir.join("node.pem"), node.pem())?;
    std::fs::write(dir.join("node.key"), node_key.serialize_pem())?;
    Ok(())
}

/// A node on loopback, over TLS when `tls` is given.
async fn node(secret: &Secret, tls: Option<TlsConfig>) -> Result<NetSystem, Box<dyn Error>> {
    let system = ActorSystem::builder().default_ask_timeout(WAIT).build();
    let mut config = NetConfig::new("127.0.0.1:0".parse()?, secret.clone());
    if let Some(tls) = tls {
        config = config.tls(tls);
    }
    Ok(NetSystem::start(&system, config).await?)
}

/// A folder of this run's own under the system's temporary folder, removed (keys and all)
/// when dropped, however `main` ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        Scratch(std::env::temp_dir().join(format!("thespian-tls-example-{}", std::process::id())))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let scratch = Scratch::new();
    let ours = scratch.0.join("ours");
    let theirs = scratch.0.join("theirs");
    write_certificates(&ours)?;
    write_certificates(&theirs)?;
    println!("wrote ca.pem, node.pem, node.key");

    let secret = Secret::generate()?;
    let one = node(&secret, Some(load_tls(&ours)?)).await?;
    one.system()
        .create_actor_with(Counter::default(), ActorOptions::new().name("counter"))
        .await?;
    let two = node(&secret, Some(load_tls(&ours)?)).await?;
    let counter: Addr<Counter> = two.lookup(one.local_addr(), "counter", WAIT).await?;
    for n in 1..=100 {
        counter.add(n).tell().await?;
    }
    println!(
        "over TLS: told 1..=100 to the counter on the other node, total {}",
        counter.total().ask().await?
    );

    // The same secret, but a certificate signed by another authority: refused.
    let stranger = node(&secret, Some(load_tls(&theirs)?)).await?;
    let refused = stranger
        .lookup::<Counter>(one.local_addr(), "counter", WAIT)
        .await;
    println!(
        "a node with a certificate from another authority: {}",
        verdict(&refused)
    );
    // The same secret, no TLS: refused.
    let plain = node(&secret, None).await?;
    let refused = plain
        .lookup::<Counter>(one.local_addr(), "counter", WAIT)
        .await;
    println!("a node without TLS: {}", verdict(&refused));

    for net in [plain, stranger, two, one] {
        net.shutdown().await;
    }
    Ok(())
}

fn verdict<T, E>(result: &Result<T, E>) -> &'static str {
    match result {
        Ok(_) => "let in",
        Err(_) => "refused",
    }
}
