//! Links that lose nothing: a relay between two nodes cuts their connection at random points,
//! many times per run, and every message still arrives exactly once, in order.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use thespian::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A small seeded generator (splitmix64): the cuts of a run are the same each time.
struct Cuts(u64);

impl Cuts {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Forwards the connections `listener` accepts to `target`, closing each (both ways) after a
/// random number of bytes between `min` and `max` has gone through it. Counts the cuts.
fn cutting_relay(
    listener: TcpListener,
    target: SocketAddr,
    seed: u64,
    (min, max): (u64, u64),
) -> Arc<AtomicU64> {
    let cuts = Arc::new(AtomicU64::new(0));
    let counted = cuts.clone();
    tokio::spawn(async move {
        let mut random = Cuts(seed);
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(target).await else {
                continue;
            };
            let budget = min + random.next() % (max - min);
            tokio::spawn(relay(client, server, budget, counted.clone()));
        }
    });
    cuts
}

/// Copies both ways until `budget` bytes have gone through, then drops both sockets.
async fn relay(client: TcpStream, server: TcpStream, budget: u64, cuts: Arc<AtomicU64>) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let left = Arc::new(AtomicU64::new(budget));
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let cut = tokio::select! {
        cut = copy(client_read, server_write, left.clone()) => cut,
        cut = copy(server_read, client_write, left) => cut,
    };
    if cut {
        cuts.fetch_add(1, Ordering::Relaxed);
    }
}

/// Copies one way; `true` when the budget ran out (a cut), `false` when a side closed.
async fn copy(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    left: Arc<AtomicU64>,
) -> bool {
    let mut buf = vec![0u8; 8192];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        let before = left.fetch_sub(n as u64, Ordering::AcqRel);
        if before <= n as u64 {
            // Cut in the middle of what was read: only part of it goes through.
            let _ = to.write_all(&buf[..before as usize]).await;
            return true;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return false;
        }
    }
}

const MESSAGES: u64 = 100_000;

/// Sends `MESSAGES` numbered tells through a relay cutting at random points (seeded), and
/// checks that each arrived once, in order: delivered + dead letters = sent, no duplicate.
async fn through_cuts(seed: u64) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = listener.local_addr().unwrap();
    // Node one is known by the relay's address: every dial to it goes through the cuts.
    let (one, net_one) = node_with(config().advertise(relay)).await;
    let counter_there = named_counter(&one, "counter").await;
    // Past the handshake (a few hundred bytes), anywhere in the stream of messages.
    let cuts = cutting_relay(listener, net_one.local_addr(), seed, (4 << 10, 96 << 10));
    let (two, net_two) = node().await;
    let counter: Addr<Counter> = net_two.lookup(relay, "counter", TIMEOUT).await.unwrap();
    let mut sent = 0;
    for n in 0..MESSAGES {
        if counter.numbered(n).tell().await.is_ok() {
            sent += 1;
        }
    }
    assert_eq!(sent, MESSAGES, "a send was refused");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let (received, in_order) = loop {
        let (received, in_order) = counter_there.stream().ask().await.unwrap();
        let dead = two.dead_letter_count();
        if received + dead >= sent || std::time::Instant::now() > deadline {
            break (received, in_order);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let cut = cuts.load(Ordering::Relaxed);
    eprintln!(
        "seed {seed}: {cut} cuts, {received} of {sent} delivered, {} dead letters",
        two.dead_letter_count()
    );
    assert_eq!(received + two.dead_letter_count(), sent);
    assert_eq!(two.dead_letter_count(), 0, "the node stayed reachable");
    assert!(in_order, "a message was duplicated or reordered");
    assert!(cut >= 3, "only {cut} cuts");
    net_two.shutdown().await;
    net_one.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbered_messages_arrive_once_and_in_order_across_cut_connections() {
    for seed in [1, 2, 3] {
        through_cuts(seed).await;
    }
}

/// Forwards the connections `listener` accepts to `target` until `freeze` is called: from then
/// on, the connections opened before forward nothing more and close nothing (a black hole, as a
/// failed route leaves them); later ones work.
fn freezing_relay(listener: TcpListener, target: SocketAddr) -> impl Fn() {
    let opened = Arc::new(AtomicU64::new(0));
    let frozen_below = Arc::new(AtomicU64::new(0));
    let (count, frozen) = (opened.clone(), frozen_below.clone());
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(target).await else {
                continue;
            };
            let number = count.fetch_add(1, Ordering::AcqRel) + 1;
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            for (from, to) in [(client_read, server_write), (server_read, client_write)] {
                let frozen = frozen.clone();
                tokio::spawn(forward_until_frozen(from, to, number, frozen));
            }
        }
    });
    move || frozen_below.store(opened.load(Ordering::Acquire) + 1, Ordering::Release)
}

async fn forward_until_frozen(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    number: u64,
    frozen_below: Arc<AtomicU64>,
) {
    let mut buf = vec![0u8; 8192];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if number < frozen_below.load(Ordering::Acquire) {
            // Swallows everything from now on, and holds both sockets open.
            std::future::pending::<()>().await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_black_holed_connection_between_members_is_found_and_replaced() {
    use thespian_net::__testing;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = listener.local_addr().unwrap();
    let limit = Duration::from_millis(400);
    let (one, net_one) = node_with(config().advertise(relay).down_after(limit)).await;
    let counter_there = named_counter(&one, "counter").await;
    let freeze = freezing_relay(listener, net_one.local_addr());
    let (two, net_two) = node_with(config().down_after(limit)).await;
    let counter: Addr<Counter> = net_two.lookup(relay, "counter", TIMEOUT).await.unwrap();
    // Members of a convention watch each other by SWIM: their connection carries no
    // heartbeats, and no silence alone ends it.
    __testing::watch(&net_two, net_one.node(), true);
    __testing::watch(&net_one, net_two.node(), true);
    for n in 0..10 {
        counter.numbered(n).tell().await.unwrap();
    }
    assert_eq!(counter.total().ask().await, Ok(0));
    // Everything sent so far acknowledged (within a heartbeat, 100 ms): only what is sent
    // after the cut is at stake.
    // Acknowledged within a heartbeat (100 ms): only what is sent after the cut is at stake.
    // (Polling the link's unacknowledged frames down to 0 instead, and cutting at once, failed
    // the premise in 4 runs of 4: all 100 later messages arrived, none a dead letter. Right
    // after the first exchange the link may still be carried by another connection than the
    // relayed one, which the cut does not touch; after a few heartbeats it has settled.)
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The route fails without a close: what is sent now goes nowhere, unacknowledged, until
    // node two takes the node for lost (twice the silence limit): those messages become dead
    // letters there, none vanishes.
    freeze();
    let frozen_at = std::time::Instant::now();
    for n in 1000..1100 {
        counter.numbered(n).tell().await.unwrap();
    }
    let deadline = frozen_at + TIMEOUT;
    while two.dead_letter_count() < 100 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let found = frozen_at.elapsed();
    eprintln!("black hole found after {found:?}");
    assert_eq!(
        two.dead_letter_count(),
        100,
        "messages stuck in the black hole"
    );
    assert!(found >= limit * 2, "{found:?}");
    // A new connection (the relay forwards new ones) takes the next messages, in order.
    let mut n = 10;
    while n < 20 && std::time::Instant::now() < deadline + TIMEOUT {
        match counter.numbered(n).tell().await {
            Ok(()) => n += 1,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    assert_eq!(counter.total().ask().await, Ok(0));
    let (received, in_order) = counter_there.stream().ask().await.unwrap();
    assert_eq!(received, 20, "the first ten and the last ten");
    assert!(in_order, "a message was duplicated or reordered");
    net_two.shutdown().await;
    net_one.shutdown().await;
}
