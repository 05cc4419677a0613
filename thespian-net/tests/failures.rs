//! Peers that go away: pending asks fail fast, sends reconnect, restarted nodes are recognized.

mod common;

use std::time::{Duration, Instant};

use common::*;
use thespian::prelude::*;
use thespian::remote::{Unreachable, WireError};
use thespian::{SendFailure, TrySendError};
use thespian_net::{HandshakeError, NetConfig, NetError, NetSystem};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_lost_mid_stream_fails_pending_asks_at_once_and_later_sends_reconnect() {
    let (one, net_one) = node().await;
    let addr = net_one.local_addr();
    let (two, net_two) = node().await;
    named_counter(&one, "counter").await;
    named_counter(&one, "other").await;
    let remote: Addr<Counter> = net_two.lookup(addr, "counter", TIMEOUT).await.unwrap();
    let other: Addr<Counter> = net_two.lookup(addr, "other", TIMEOUT).await.unwrap();
    for _ in 0..100 {
        remote.add(1).tell().await.unwrap();
    }
    // A long request is in progress when node one goes away: an ask sent after it on the same
    // link is answered only once node one has read it.
    let pending = remote.slow(10_000).timeout(Duration::from_secs(30)).ask();
    assert_eq!(other.total().ask().await, Ok(0));
    let lost_at = Instant::now();
    net_one.shutdown().await;
    let failed = pending.await;
    // Typed: the node is lost (its address refuses), and which node it is.
    assert!(
        matches!(&failed, Err(AskError::Unreachable(WireError::Unreachable(
            Unreachable::NodeLost { node, .. }))) if node.addr == addr),
        "{failed:?}"
    );
    assert!(
        lost_at.elapsed() < Duration::from_secs(1),
        "{:?}",
        lost_at.elapsed()
    );
    // Its old actors are unreachable: the proxy fails at once with a typed error (lost, since a
    // node that shut down cannot be told from one that crashed).
    let again = remote.total().ask().await;
    assert!(
        matches!(&again, Err(AskError::Unreachable(WireError::Unreachable(
            Unreachable::NodeLost { node, .. }))) if node.addr == addr),
        "{again:?}"
    );

    // A new run of the node on the same address: found again, and reached.
    let restarted = ActorSystem::new();
    let net_restarted = NetSystem::start(&restarted, NetConfig::new(addr, secret()))
        .await
        .expect("the address is free again");
    assert_ne!(net_restarted.node(), net_one.node());
    named_counter(&restarted, "counter").await;
    let again: Addr<Counter> = net_two.lookup(addr, "counter", TIMEOUT).await.unwrap();
    again.add(7).tell().await.unwrap();
    assert_eq!(again.total().ask().await, Ok(7));
    // The address of the earlier run still does not reach the new run's actors.
    assert!(remote.total().ask().await.is_err());
    assert!(!remote.is_alive());
    net_restarted.shutdown().await;
    net_two.shutdown().await;
    let _ = (one, two);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_for_a_lost_node_are_refused_at_once_and_never_lost_silently() {
    let (one, net_one) = node().await;
    let addr = net_one.local_addr();
    let (two, net_two) =
        node_with(config().reconnect_backoff(Duration::from_millis(10), Duration::from_millis(20)))
            .await;
    named_counter(&one, "counter").await;
    let remote: Addr<Counter> = net_two.lookup(addr, "counter", TIMEOUT).await.unwrap();
    net_one.shutdown().await;
    one.shutdown().await;
    // Wait until node two noticed (its redial was refused: the node is lost).
    tokio::time::timeout(TIMEOUT, async {
        while remote.address().is_alive() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    // Known lost: a send fails at once and hands the message back; a Thespian-style send
    // makes it a dead letter; an ask fails at once, not at its timeout.
    let started = Instant::now();
    for _ in 0..3 {
        let refused = remote.add(1).tell().await.unwrap_err();
        assert!(
            matches!(
                refused.reason(),
                SendFailure::NotSent(WireError::Unreachable(Unreachable::NodeLost { node, .. }))
                    if node.addr == addr
            ),
            "{refused}"
        );
        assert_eq!(refused.into_inner().map(|m| m.n), Some(1));
    }
    // Sent as the actor's own message type, it comes back as that type too.
    let refused = remote
        .tell(CounterMessage::from(CounterAdd { n: 3 }))
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused.into_inner(),
            Some(CounterMessage::Add(CounterAdd { n: 3 }))
        ),
        "the actor's own message type comes back"
    );
    // `try_tell` gives the same reason, not "exited".
    let refused = remote.try_tell(CounterAdd { n: 2 }).unwrap_err();
    assert!(
        matches!(
            &refused,
            TrySendError::NotSent(_, WireError::Unreachable(_))
        ),
        "{refused}"
    );
    assert_eq!(refused.into_inner().map(|m| m.n), Some(2));
    let before = two.dead_letter_count();
    two.tell(&remote, CounterAdd { n: 1 }).await;
    assert_eq!(two.dead_letter_count(), before + 1);
    let asked = remote.total().timeout(Duration::from_secs(5)).ask().await;
    assert!(matches!(asked, Err(AskError::Unreachable(_))), "{asked:?}");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    net_two.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_cannot_reach_any_actor() {
    let guessed = thespian_net::Secret::generate().unwrap();
    let (one, net_one) = node().await;
    named_counter(&one, "counter").await;
    let (_intruder, net_intruder) = node_with(NetConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        guessed.clone(),
    ))
    .await;
    let refused = net_intruder
        .lookup::<Counter>(net_one.local_addr(), "counter", TIMEOUT)
        .await;
    assert!(
        matches!(
            refused,
            Err(NetError::Handshake {
                reason: HandshakeError::BadProof,
                ..
            })
        ),
        "{refused:?}"
    );
    // The node serves peers that know the secret as before.
    let (_two, net_two) = node().await;
    let counter: Addr<Counter> = net_two
        .lookup(net_one.local_addr(), "counter", TIMEOUT)
        .await
        .unwrap();
    counter.add(1).tell().await.unwrap();
    assert_eq!(counter.total().ask().await, Ok(1));
    // And a node that knows it refuses an intruder that dials it.
    let dialing = thespian_net::__testing::dial(net_one.local_addr(), &guessed).await;
    assert_eq!(dialing.err(), Some(HandshakeError::BadProof));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_is_declared_down_within_the_configured_time() {
    // A peer that passes the handshake and then says nothing (a frozen process looks the same).
    let (one, net_one) = node_with(config().down_after(Duration::from_millis(400))).await;
    named_counter(&one, "counter").await;
    let mut silent = thespian_net::__testing::dial(net_one.local_addr(), &secret())
        .await
        .unwrap();
    let started = Instant::now();
    // Node one sends heartbeats, then closes the connection once the silence is too long.
    until_closed(&mut silent.stream).await;
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    net_one.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_the_membership_watches_needs_no_heartbeats_until_it_stops_watching() {
    use thespian_net::__testing;
    // Heartbeats every 250 ms, a peer lost after 1 s of silence.
    let (one, net_one) = node_with(config().down_after(Duration::from_secs(1))).await;
    let mut peer = __testing::dial(net_one.local_addr(), &secret())
        .await
        .unwrap();
    // A membership watches the peer: its silence is no reason to drop it, and once it asks
    // for none, node one sends it no heartbeats.
    __testing::watch(&net_one, peer.node, true);
    peer.send(&__testing::heartbeats_frame(false))
        .await
        .unwrap();
    // What was sent before the request arrived (heartbeats, node one's own request).
    drain(&mut peer.stream, Duration::from_millis(200)).await;
    let quiet_from = net_one.stats().heartbeats;
    // Nothing arrives (no heartbeat), and the connection outlives the silence limit.
    let heard = read(&mut peer.stream, Duration::from_millis(1300)).await;
    assert!(heard.is_err(), "{heard:?}");
    assert_eq!(net_one.stats().heartbeats, quiet_from);
    // Asked for them again, node one sends one at once (well within a heartbeat's 250 ms).
    peer.send(&__testing::heartbeats_frame(true)).await.unwrap();
    let heard = read(&mut peer.stream, Duration::from_millis(150)).await;
    assert!(matches!(heard, Ok(n) if n > 0), "{heard:?}");
    assert!(net_one.stats().heartbeats > quiet_from);
    // No longer watched, the peer, silent for longer than the limit, has half of it more.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let unwatched_at = Instant::now();
    __testing::watch(&net_one, peer.node, false);
    until_closed(&mut peer.stream).await;
    let elapsed = unwatched_at.elapsed();
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2000), "{elapsed:?}");
    net_one.shutdown().await;
    drop(one);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_given_up_while_a_node_was_unreachable_do_not_block_later_ones() {
    use thespian_net::__testing;
    let (one, net_one) = node().await;
    let (two, net_two) = node().await;
    let counter = named_counter(&one, "counter").await;
    // Node two knows the counter's address without having reached node one yet.
    let mut bytes = Vec::new();
    thespian::remote::encode(&counter, &mut bytes).unwrap();
    let remote: Addr<Counter> = net_two.decode(&bytes).unwrap();
    // Messages queued for the first dial, which fails: they are given up (dead letters), and
    // their numbers are never sent.
    __testing::partition(&net_two, &[net_one.local_addr()]);
    for _ in 0..5 {
        let _ = remote.add(100).tell().await;
    }
    let deadline = Instant::now() + TIMEOUT;
    while remote.is_alive() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!remote.is_alive(), "node one never seen unreachable");
    // Reachable again: later messages arrive, in order, the ones given up never.
    __testing::partition(&net_two, &[]);
    let total = loop {
        match remote.add(1).tell().await {
            Ok(()) => break remote.total().ask().await,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(e) => panic!("never reachable again: {e:?}"),
        }
    };
    assert_eq!(total, Ok(1));
    net_one.shutdown().await;
    net_two.shutdown().await;
    let _ = (one, two);
}

/// Reads what arrives on `stream` within `within`: how many bytes (0 once it is closed or
/// failed), or `Err` if nothing came.
async fn read(
    stream: &mut tokio::net::TcpStream,
    within: Duration,
) -> Result<usize, tokio::time::error::Elapsed> {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(within, stream.read(&mut buf)).await;
    read.map(|r| r.unwrap_or(0))
}

/// Reads from `stream` until it closes; panics if it stays open for `TIMEOUT`.
async fn until_closed(stream: &mut tokio::net::TcpStream) {
    loop {
        match read(stream, TIMEOUT).await {
            Ok(0) => return,
            Ok(_) => continue,
            Err(_) => panic!("never disconnected"),
        }
    }
}

/// Reads what arrives within `quiet` after the last bytes (at most a few rounds).
async fn drain(stream: &mut tokio::net::TcpStream, quiet: Duration) {
    for _ in 0..10 {
        match read(stream, quiet).await {
            Ok(n) => assert!(n > 0, "disconnected"),
            Err(_) => return,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_peer_that_leaves_frames_unacknowledged_is_lost() {
    use thespian_net::__testing;
    let (one, net_one) = node_with(config().down_after(Duration::from_millis(400))).await;
    let mut peer = __testing::dial(net_one.local_addr(), &secret())
        .await
        .unwrap();
    __testing::watch(&net_one, peer.node, true);
    peer.send(&__testing::heartbeats_frame(false))
        .await
        .unwrap();
    // Quiet and watched, it stays connected past the silence limit...
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(net_one.is_connected(peer.node));
    // ...until a frame waits for its acknowledgement (a live node sends one within a
    // heartbeat) for the whole limit: its connection is taken for dead, and the node, which
    // cannot be dialed again (its address is made up), is lost.
    let sent_at = Instant::now();
    assert!(__testing::request_exit(&net_one, peer.node, 1));
    until_closed(&mut peer.stream).await;
    let elapsed = sent_at.elapsed();
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2000), "{elapsed:?}");
    let deadline = Instant::now() + TIMEOUT;
    while net_one.is_connected(peer.node) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!net_one.is_connected(peer.node));
    net_one.shutdown().await;
    drop(one);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_read_on_a_connection_that_does_not_carry_the_link_are_acknowledged_on_it() {
    use thespian_net::__testing;
    let (one, net_one) = node_with(config().down_after(Duration::from_secs(1))).await;
    // Two connections from one node: the first carries node one's link to it, the second
    // (opened while the first is up) does not.
    let first = __testing::dial(net_one.local_addr(), &secret())
        .await
        .unwrap();
    let mut second = __testing::dial(net_one.local_addr(), &secret())
        .await
        .unwrap();
    assert_eq!(first.node, second.node);
    __testing::watch(&net_one, second.node, true);
    second
        .send(&__testing::heartbeats_frame(false))
        .await
        .unwrap();
    drain(&mut second.stream, Duration::from_millis(300)).await;
    // A numbered frame on the second: node one acknowledges it there, within a heartbeat
    // (250 ms), though nothing else goes out on it.
    second.send(&__testing::exit_frame(1, 999)).await.unwrap();
    let heard = read(&mut second.stream, Duration::from_secs(1)).await;
    assert!(matches!(heard, Ok(n) if n > 0), "{heard:?}");
    drop(first);
    net_one.shutdown().await;
    drop(one);
}

// One thread: nothing can acknowledge the first frame before the second send, so a backlog of one
// byte is full at the second.
#[tokio::test(flavor = "current_thread")]
async fn a_full_backlog_refuses_with_its_own_kind_and_hands_the_message_back() {
    let (one, net_one) = node().await;
    let (two, net_two) = node_with(config().max_backlog(1)).await;
    named_counter(&one, "counter").await;
    let remote: Addr<Counter> = net_two
        .lookup(net_one.local_addr(), "counter", TIMEOUT)
        .await
        .unwrap();
    // What the lookup sent may still wait for its acknowledgement: the link takes the first
    // message once it is acknowledged.
    let remote = &remote;
    let accepted = |n| async move {
        while remote.add(n).tell().await.is_err() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    tokio::time::timeout(TIMEOUT, accepted(1)).await.unwrap();
    let refused = remote.add(2).tell().await.unwrap_err();
    assert!(
        matches!(
            refused.reason(),
            SendFailure::NotSent(WireError::Unreachable(Unreachable::Backlog { node, bytes }))
                if node.addr == net_one.local_addr() && *bytes >= 1
        ),
        "{refused}"
    );
    assert_eq!(refused.into_inner().map(|m| m.n), Some(2));
    // Once the first frame is acknowledged, the link takes messages again.
    tokio::time::timeout(TIMEOUT, accepted(3)).await.unwrap();
    let total = tokio::time::timeout(TIMEOUT, async {
        loop {
            match remote.total().ask().await {
                Err(AskError::Unreachable(WireError::Unreachable(Unreachable::Backlog {
                    ..
                }))) => tokio::time::sleep(Duration::from_millis(1)).await,
                answer => break answer,
            }
        }
    })
    .await;
    assert_eq!(total, Ok(Ok(4)));
    net_two.shutdown().await;
    net_one.shutdown().await;
    let _ = (one, two);
}

/// Keeps the notes it is told.
#[derive(Default)]
pub struct Notebook {
    notes: Vec<String>,
}

#[actor]
impl Notebook {
    pub async fn note(&mut self, text: String) {
        self.notes.push(text);
    }

    pub async fn count(&self) -> usize {
        self.notes.len()
    }

    pub async fn page(&self, bytes: usize) -> String {
        "x".repeat(bytes)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_frame_limit_is_handed_back_as_too_large() {
    let (one, net_one) = node().await;
    one.create_actor_with(Notebook::default(), ActorOptions::new().name("notebook"))
        .await
        .unwrap();
    let (_two, net_two) = node_with(config().max_frame_len(4096)).await;
    let notebook: Addr<Notebook> = net_two
        .lookup(net_one.local_addr(), "notebook", TIMEOUT)
        .await
        .unwrap();
    let long = "x".repeat(10_000);
    let refused = notebook.note(long.clone()).tell().await.unwrap_err();
    assert!(
        matches!(
            refused.reason(),
            SendFailure::NotSent(WireError::TooLarge { bytes, max: 4096 }) if *bytes > 10_000
        ),
        "{refused:?}"
    );
    // Handed back whole, and the link is not harmed.
    assert_eq!(refused.into_inner().map(|m| m.text), Some(long));
    notebook.note("short".into()).tell().await.unwrap();
    assert_eq!(notebook.count().ask().await, Ok(1));
    net_two.shutdown().await;
    net_one.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_over_the_frame_limit_fails_the_ask_at_once() {
    let (one, net_one) = node_with(config().max_frame_len(4096)).await;
    one.create_actor_with(Notebook::default(), ActorOptions::new().name("notebook"))
        .await
        .unwrap();
    let (_two, net_two) = node().await;
    let notebook: Addr<Notebook> = net_two
        .lookup(net_one.local_addr(), "notebook", TIMEOUT)
        .await
        .unwrap();
    let asked = Instant::now();
    let answer = notebook.page(10_000).ask().await;
    assert!(
        matches!(&answer, Err(AskError::Unreachable(WireError::Unreachable(Unreachable::Remote(why)))) if why.contains("exceeds the limit of 4096")),
        "{answer:?}"
    );
    assert!(asked.elapsed() < TIMEOUT / 2, "{:?}", asked.elapsed());
    assert_eq!(notebook.page(10).ask().await.map(|p| p.len()), Ok(10));
    net_two.shutdown().await;
    net_one.shutdown().await;
}

/// A hand-written actor whose messages have no wire form (`Mail`'s defaults).
struct Plain;

enum PlainMessage {
    Poke,
}

impl Mail for PlainMessage {}

/// Converted into `PlainMessage`, which cannot give it back.
struct Nudge;

impl From<Nudge> for PlainMessage {
    fn from(_: Nudge) -> Self {
        PlainMessage::Poke
    }
}

impl Actor for Plain {
    type Message = PlainMessage;

    async fn handle(&mut self, message: PlainMessage, _ctx: &mut Context<Self>) {
        let PlainMessage::Poke = message;
    }
}

#[tokio::test]
async fn a_send_that_cannot_leave_fails_even_when_the_message_cannot_come_back() {
    let (one, net_one) = node().await;
    let (two, net_two) = node().await;
    let plain = placed(Plain, "plain", (&two, &net_two), &net_one).await;
    let no_wire_form =
        |reason: &SendFailure| matches!(reason, SendFailure::NotSent(WireError::NotRemote(_)));
    // Its own type: refused (no wire form), and handed back.
    let refused = plain.tell(PlainMessage::Poke).await.unwrap_err();
    assert!(no_wire_form(refused.reason()), "{refused}");
    assert!(refused.into_inner().is_some());
    // Converted on the way: it cannot come back as a `Nudge`, so it is a dead letter, and the
    // send still fails with the reason.
    let before = one.dead_letter_count();
    let refused = plain.tell(Nudge).await.unwrap_err();
    assert!(no_wire_form(refused.reason()), "{refused}");
    assert!(refused.into_inner().is_none());
    assert_eq!(one.dead_letter_count(), before + 1);
    // `try_tell` says the same.
    match plain.try_tell(Nudge) {
        Err(TrySendError::Lost(reason)) => assert!(no_wire_form(&reason), "{reason}"),
        other => panic!("expected `Lost`, got {other:?}"),
    }
    assert_eq!(one.dead_letter_count(), before + 2);
    net_one.shutdown().await;
    net_two.shutdown().await;
}
