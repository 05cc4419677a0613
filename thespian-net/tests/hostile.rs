//! Hostile input: garbage, oversized frames, unknown actors and variants, handshakes that never
//! finish. Each costs at most its own connection; the node and its other peers go on.

mod common;

use std::time::Duration;

use common::*;
use proptest::prelude::*;
use thespian::prelude::*;
use thespian_net::{__testing, NetSystem};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Waits until the node closes `stream` (EOF or reset), at most `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 256];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .is_ok()
}

/// A node with a counter, and a good peer already talking to it.
async fn served() -> (
    ActorSystem,
    NetSystem,
    NetSystem,
    Addr<Counter>,
    Addr<Counter>,
) {
    let (one, net_one) = node_with(
        config()
            .max_frame_len(4096)
            .handshake_timeout(Duration::from_millis(300)),
    )
    .await;
    let local = one
        .create_actor_with(Counter::new(), ActorOptions::new().name("counter"))
        .await
        .unwrap();
    let (_two, net_two) = node().await;
    let remote: Addr<Counter> = net_two
        .lookup(net_one.local_addr(), "counter", TIMEOUT)
        .await
        .unwrap();
    remote.add(1).tell().await.unwrap();
    (one, net_one, net_two, local, remote)
}

/// The good peer still gets through.
async fn still_served(remote: &Addr<Counter>, expected: u64) {
    remote.add(1).tell().await.unwrap();
    assert_eq!(remote.total().ask().await, Ok(expected));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_before_the_handshake_is_refused() {
    let (_one, net_one, _net_two, _local, remote) = served().await;
    let mut garbage = TcpStream::connect(net_one.local_addr()).await.unwrap();
    garbage
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(closed_within(&mut garbage, TIMEOUT).await);
    // A length prefix announcing a gigabyte.
    let mut huge = TcpStream::connect(net_one.local_addr()).await.unwrap();
    huge.write_all(&(1u32 << 30).to_be_bytes()).await.unwrap();
    assert!(closed_within(&mut huge, TIMEOUT).await);
    still_served(&remote, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handshake_that_never_finishes_is_timed_out() {
    let (_one, net_one, _net_two, _local, remote) = served().await;
    let mut mute = TcpStream::connect(net_one.local_addr()).await.unwrap();
    let started = std::time::Instant::now();
    assert!(closed_within(&mut mute, TIMEOUT).await);
    assert!(started.elapsed() < Duration::from_secs(2));
    // Half a handshake message, then nothing.
    let mut half = TcpStream::connect(net_one.local_addr()).await.unwrap();
    half.write_all(&[0, 0, 0, 40, 1, 2, 3]).await.unwrap();
    assert!(closed_within(&mut half, TIMEOUT).await);
    still_served(&remote, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_after_the_handshake_closes_only_that_connection() {
    let (_one, net_one, _net_two, local, remote) = served().await;
    let mut peer = __testing::dial(net_one.local_addr(), &secret())
        .await
        .unwrap();
    let frame = __testing::tell_frame(
        1,
        thespian::remote::wire_id(&local.address()),
        &vec![0u8; 10_000],
    );
    peer.send(&frame).await.unwrap();
    assert!(closed_within(&mut peer.stream, TIMEOUT).await);
    still_served(&remote, 2).await;
}

/// Frames injected into an authenticated connection without its keys (by anyone on the path)
/// end that connection and never reach an actor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_injected_without_the_keys_never_reaches_an_actor() {
    let (_one, net_one, _net_two, local, remote) = served().await;
    let mut peer = __testing::dial(net_one.local_addr(), &secret())
        .await
        .unwrap();
    let wire = thespian::remote::wire_id(&local.address());
    // A well-formed exit request for the counter, written as plain bytes.
    peer.stream
        .write_all(&__testing::exit_frame(1, wire))
        .await
        .unwrap();
    assert!(closed_within(&mut peer.stream, TIMEOUT).await);
    assert!(local.address().is_alive(), "the injected exit was handled");
    still_served(&remote, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_header_closes_only_that_connection() {
    let (_one, net_one, _net_two, _local, remote) = served().await;
    let mut peer = __testing::dial(net_one.local_addr(), &secret())
        .await
        .unwrap();
    // A frame whose header is an unknown kind.
    peer.send(&[0, 0, 0, 3, 0xee, 0xff, 0x01]).await.unwrap();
    assert!(closed_within(&mut peer.stream, TIMEOUT).await);
    still_served(&remote, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_actors_and_variants_are_logged_and_the_connection_goes_on() {
    let (_one, net_one, _net_two, local, remote) = served().await;
    let mut peer = __testing::dial(net_one.local_addr(), &secret())
        .await
        .unwrap();
    // An actor id nobody has, then a message variant the counter does not have, then a
    // well-formed `CounterAdd { n: 5 }` (variant 0, n = 5): only the last one counts.
    let mut frames = __testing::tell_frame(1, u64::MAX / 3, &[0, 5]);
    let to = thespian::remote::wire_id(&local.address());
    frames.extend(__testing::tell_frame(2, to, &[99, 1]));
    frames.extend(__testing::tell_frame(3, to, &[0, 5]));
    peer.send(&frames).await.unwrap();
    tokio::time::timeout(TIMEOUT, async {
        while local.total().ask().await != Ok(6) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the well-formed message was handled");
    // The hostile-but-authenticated connection is still open.
    let mut buf = [0u8; 64];
    let open = tokio::time::timeout(Duration::from_millis(100), peer.stream.read(&mut buf)).await;
    assert!(!matches!(open, Ok(Ok(0))), "closed after a bad message");
    still_served(&remote, 7).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authenticated_peer_cannot_reach_an_actor_by_guessing_its_id() {
    let (one, net_one, _net_two, local, remote) = served().await;
    // An actor whose address never left the node, created just before and after the counter.
    let bystander = one.create_actor(Counter::new()).await.unwrap();
    let mut peer = __testing::dial(net_one.local_addr(), &secret())
        .await
        .unwrap();
    // Exit requests to every id near the actors' own (process-wide counters): none is a wire id.
    let mut frames = Vec::new();
    let mut seq = 0;
    let near = local.id().as_u64().min(bystander.id().as_u64());
    for id in near.saturating_sub(64)..near + 64 {
        seq += 1;
        frames.extend(__testing::exit_frame(seq, id));
    }
    peer.send(&frames).await.unwrap();
    still_served(&remote, 2).await;
    assert!(local.address().is_alive() && bystander.address().is_alive());
    assert_eq!(bystander.total().ask().await, Ok(0));
    // The wire id the counter's address carries does reach it.
    let wire = thespian::remote::wire_id(&local.address());
    assert!(wire > near + 64 || wire < near.saturating_sub(64));
    peer.send(&__testing::exit_frame(seq + 1, wire))
        .await
        .unwrap();
    tokio::time::timeout(TIMEOUT, async {
        while local.address().is_alive() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the exit request by wire id was handled");
}

/// A well-formed frame body to mutate.
fn valid_frames() -> Vec<Vec<u8>> {
    vec![
        __testing::tell_frame(1, 3, &[0, 5])[4..].to_vec(),
        __testing::tell_frame(2, u64::MAX, &[])[4..].to_vec(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_decoder_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = __testing::decode_frame(&bytes);
    }

    #[test]
    fn the_decoder_never_panics_on_mutated_frames(
        which in 0usize..2,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        cut in any::<usize>(),
    ) {
        let mut frame = valid_frames()[which].clone();
        for (at, byte) in flips {
            let len = frame.len();
            frame[at % len] ^= byte;
        }
        let keep = cut % (frame.len() + 1);
        frame.truncate(keep);
        let _ = __testing::decode_frame(&frame);
    }

    /// Whatever a peer sends before it has proven the secret, the handshake refuses it
    /// without panicking.
    #[test]
    fn the_handshake_refuses_random_peers(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        prop_assert!(!__testing::accept_handshake(&bytes));
        // With a length prefix the handshake takes, the bytes reach its decoder.
        let mut framed = (bytes.len().min(256) as u32).to_be_bytes().to_vec();
        framed.extend_from_slice(&bytes);
        prop_assert!(!__testing::accept_handshake(&framed));
        // After a well-formed `Hello`, the bytes are the peer's proof and what follows.
        let mut after_hello = __testing::hello();
        after_hello.extend_from_slice(&bytes);
        prop_assert!(!__testing::accept_handshake(&after_hello));
    }

    #[test]
    fn the_handshake_refuses_mutated_hellos(
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        cut in any::<usize>(),
    ) {
        let mut hello = __testing::hello();
        for (at, byte) in flips {
            let len = hello.len();
            hello[at % len] ^= byte;
        }
        let keep = cut % (hello.len() + 1);
        hello.truncate(keep);
        prop_assert!(!__testing::accept_handshake(&hello));
    }

    /// Records: random bytes never open, and sealed bytes read in any pieces open to what was
    /// sealed.
    #[test]
    fn records_open_only_what_was_sealed(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        // It checks both itself; what it returns (refused outright, or an unfinished
        // record) is up to the bytes.
        let _ = __testing::open_records(&bytes);
    }

    /// Message bodies: the actor type's decoder, with addresses and reply handles resolved on a
    /// system (one without a transport, so remote addresses are refused, not followed).
    #[test]
    fn message_decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
        let _ = <CounterMessage as Mail>::from_wire(&bytes);
        let system = ActorSystem::new();
        thespian::remote::decoding(&system, || {
            let _ = <WorldMessage as Mail>::from_wire(&bytes);
            let _ = thespian::remote::decode::<Option<ActorAddress>>(&bytes);
        });
    }
}
