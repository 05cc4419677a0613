//! An attacker on the path: a relay between two nodes alters bytes after the handshake. Every
//! record is authenticated, so an altered one ends its connection instead of reaching an actor;
//! the frames not acknowledged go again on the next connection, and nothing is lost.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use thespian::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Forwards the connections `listener` accepts to `target`. In each of the first `tampered`
/// connections, one bit of what the dialer sends is flipped, at byte `at(n)` of connection `n`.
fn tampering_relay(
    listener: TcpListener,
    target: SocketAddr,
    tampered: u64,
    at: fn(u64) -> u64,
) -> Arc<AtomicU64> {
    let flipped = Arc::new(AtomicU64::new(0));
    let counted = flipped.clone();
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(target).await else {
                continue;
            };
            let flip = (n < tampered).then(|| at(n));
            n += 1;
            let counted = counted.clone();
            tokio::spawn(async move {
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::select! {
                    _ = copy(client_read, server_write, flip, counted) => {}
                    _ = copy(server_read, client_write, None, Arc::default()) => {}
                }
            });
        }
    });
    flipped
}

/// Copies one way, flipping the lowest bit of byte `flip` if given.
async fn copy(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    flip: Option<u64>,
    flipped: Arc<AtomicU64>,
) {
    let mut buf = vec![0u8; 8192];
    let mut seen = 0u64;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if let Some(at) = flip.filter(|at| (seen..seen + n as u64).contains(at)) {
            buf[(at - seen) as usize] ^= 1;
            flipped.fetch_add(1, Ordering::Relaxed);
        }
        seen += n as u64;
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

const MESSAGES: u64 = 20_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altered_bytes_never_reach_an_actor_and_nothing_is_lost() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = listener.local_addr().unwrap();
    let (one, net_one) = node_with(config().advertise(relay)).await;
    let counter_there = named_counter(&one, "counter").await;
    // Past the handshake (a few hundred bytes), among the messages: in their numbers, their
    // headers, the records' lengths and tags alike.
    let flipped = tampering_relay(listener, net_one.local_addr(), 6, |n| 1_000 + n * 7_919);
    let (two, net_two) = node().await;
    let counter: Addr<Counter> = net_two.lookup(relay, "counter", TIMEOUT).await.unwrap();
    for n in 0..MESSAGES {
        counter.numbered(n).tell().await.unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let (received, in_order) = loop {
        let (received, in_order) = counter_there.stream().ask().await.unwrap();
        if received >= MESSAGES || !in_order || std::time::Instant::now() > deadline {
            break (received, in_order);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(in_order, "an altered message reached the actor");
    let flipped = flipped.load(Ordering::Relaxed);
    assert!(flipped >= 3, "only {flipped} bytes altered");
    assert_eq!(received, MESSAGES);
    assert_eq!(two.dead_letter_count(), 0, "the node stayed reachable");
    net_two.shutdown().await;
    net_one.shutdown().await;
}
