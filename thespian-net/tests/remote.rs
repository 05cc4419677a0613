//! Remote actors behave like local ones: tell, ask, addresses and reply handles passed along,
//! exit requests, ordering.

mod common;

use std::time::Duration;

use common::*;
use thespian::prelude::*;
use thespian_net::NetError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tell_and_ask_a_remote_actor() {
    let Pair {
        net_one,
        net_two,
        local,
        remote,
        ..
    } = pair().await;
    remote.add(40).tell().await.unwrap();
    remote.add(2).tell().await.unwrap();
    assert_eq!(remote.total().ask().await, Ok(42));
    assert_eq!(local.total().ask().await, Ok(42));
    // The remote actor's own address, sent back as a reply, is the same proxy.
    assert_eq!(remote.whoami().ask().await.unwrap(), remote);
    assert!(remote.is_alive());
    net_two.shutdown().await;
    net_one.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_errors_are_typed() {
    let (one, net_one) = node().await;
    let (_two, net_two) = node().await;
    named_counter(&one, "counter").await;
    let missing = net_two
        .lookup::<Counter>(net_one.local_addr(), "nobody", TIMEOUT)
        .await;
    assert!(matches!(missing, Err(NetError::NotFound(name)) if name == "nobody"));
    let wrong_type = net_two
        .lookup::<Forwarder>(net_one.local_addr(), "counter", TIMEOUT)
        .await;
    assert!(matches!(wrong_type, Err(NetError::NotFound(_))));
    // Nobody listens there.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let unreachable = net_two.lookup::<Counter>(closed, "counter", TIMEOUT).await;
    assert!(
        matches!(unreachable, Err(NetError::Io(_))),
        "{unreachable:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_passed_through_a_third_system_routes_to_its_actor() {
    let (one, net_one) = node().await;
    let (two, net_two) = node().await;
    let (_three, net_three) = node().await;
    let counter = named_counter(&one, "counter").await;
    two.create_actor_with(Forwarder::default(), ActorOptions::new().name("relay"))
        .await
        .unwrap();
    // Node three learns of both, and tells the relay (on two) about the counter (on one).
    let counter_at_three: Addr<Counter> = net_three
        .lookup(net_one.local_addr(), "counter", TIMEOUT)
        .await
        .unwrap();
    let relay: Addr<Forwarder> = net_three
        .lookup(net_two.local_addr(), "relay", TIMEOUT)
        .await
        .unwrap();
    relay.aim(counter_at_three).tell().await.unwrap();
    // The relay reaches the counter on node one directly.
    assert_eq!(relay.relay(5).ask().await, Ok(Some(5)));
    assert_eq!(counter.total().ask().await, Ok(5));
    for net in [net_one, net_two, net_three] {
        net.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_world_redux_across_three_systems() {
    let (one, net_one) = node().await;
    let (two, net_two) = node().await;
    let (three, net_three) = node().await;
    two.create_actor_with(World, ActorOptions::new().name("world"))
        .await
        .unwrap();
    three
        .create_actor_with(Punctuate, ActorOptions::new().name("punctuate"))
        .await
        .unwrap();
    let world = net_one
        .lookup(net_two.local_addr(), "world", TIMEOUT)
        .await
        .unwrap();
    let punctuate = net_one
        .lookup(net_three.local_addr(), "punctuate", TIMEOUT)
        .await
        .unwrap();
    let hello = one.create_actor(Hello { world, punctuate }).await.unwrap();
    // The asker's reply handle goes from one to two to three, and three answers the ask on one.
    for _ in 0..2 {
        assert_eq!(hello.hi().ask().await.as_deref(), Ok("Hello, World!"));
    }
    hello.request_exit();
    let after_exit = one.ask(&hello, HelloHi, Duration::from_millis(200)).await;
    assert!(after_exit.is_err());
    for net in [net_one, net_two, net_three] {
        net.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_actor_that_exits() {
    let Pair {
        one,
        net_one,
        net_two,
        local,
        remote,
        ..
    } = pair().await;
    // A request in progress when the exit request arrives is still answered (it was first).
    let slow = remote.slow(100).ask();
    let exited = local.wait_for_exit();
    assert!(remote.request_exit());
    assert_eq!(slow.await, Ok(100));
    let reason = tokio::time::timeout(TIMEOUT, exited).await;
    assert_eq!(reason, Ok(ExitReason::Requested));
    // Later requests fail at once with a typed error, not at their timeout.
    let started = std::time::Instant::now();
    assert_eq!(remote.total().ask().await, Err(AskError::DeadActor));
    assert!(started.elapsed() < Duration::from_secs(1));
    // A told message to it is a dead letter on its node.
    let before = one.dead_letter_count();
    remote.add(1).tell().await.unwrap();
    tokio::time::timeout(TIMEOUT, async {
        while one.dead_letter_count() == before {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the message became a dead letter");
    net_two.shutdown().await;
    net_one.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_messages_arrive_in_order() {
    let Pair {
        net_one,
        net_two,
        remote,
        ..
    } = pair().await;
    let writes_before = net_two.stats().writes;
    for n in 0..100_000 {
        remote.numbered(n).tell().await.unwrap();
    }
    let (received, in_order) = remote
        .stream()
        .timeout(Duration::from_secs(30))
        .ask()
        .await
        .unwrap();
    assert_eq!(received, 100_000);
    assert!(in_order);
    // The stream went out in batches: without them it took 18,500–19,500 writes (one per look
    // of the connection's writer); with them 44 in a release build and 125 in a debug one alone,
    // up to 3,300 beside the other tests of this file (a sender kept off the CPU stops a batch
    // from growing, and the writer writes what it has).
    let writes = net_two.stats().writes - writes_before;
    assert!(writes < 10_000, "{writes} writes for 100,000 messages");
    net_two.shutdown().await;
    net_one.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_nodes_talk_over_their_connection_both_ways() {
    let (one, net_one) = node().await;
    let (two, net_two) = node().await;
    named_counter(&one, "a").await;
    named_counter(&two, "b").await;
    let a: Addr<Counter> = net_two
        .lookup(net_one.local_addr(), "a", TIMEOUT)
        .await
        .unwrap();
    let b: Addr<Counter> = net_one
        .lookup(net_two.local_addr(), "b", TIMEOUT)
        .await
        .unwrap();
    let (x, y) = tokio::join!(
        async {
            for _ in 0..1000 {
                a.add(1).tell().await.unwrap();
            }
            a.total().ask().await
        },
        async {
            for _ in 0..1000 {
                b.add(2).tell().await.unwrap();
            }
            b.total().ask().await
        }
    );
    assert_eq!((x, y), (Ok(1000), Ok(2000)));
    net_two.shutdown().await;
    net_one.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_no_node_can_reach_travels_as_no_sender() {
    let Pair {
        net_one,
        net_two,
        local,
        remote,
        ..
    } = pair().await;
    // An actor of a system without a transport, in node two's process, tells the proxy: its
    // address means nothing on node one, so it must not break the connection there.
    let plain = ActorSystem::new();
    let pusher = plain.create_actor(Pusher).await.unwrap();
    for _ in 0..10 {
        pusher.push(remote.clone(), 1).tell().await.unwrap();
    }
    tokio::time::timeout(TIMEOUT, async {
        while local.total().ask().await != Ok(10) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("all ten arrived");
    assert!(net_two.is_connected(net_one.node()));
    assert_eq!(remote.total().ask().await, Ok(10));
    plain.shutdown().await;
    net_two.shutdown().await;
    net_one.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_reuse_the_connection_to_a_node() {
    let (one, net_one) = node().await;
    let (_two, net_two) = node().await;
    named_counter(&one, "counter").await;
    let first: Addr<Counter> = net_two
        .lookup(net_one.local_addr(), "counter", TIMEOUT)
        .await
        .unwrap();
    let node = net_two.connect(net_one.local_addr()).await.unwrap();
    assert_eq!(node, net_one.node());
    for _ in 0..20 {
        let again: Addr<Counter> = net_two
            .lookup(net_one.local_addr(), "counter", TIMEOUT)
            .await
            .unwrap();
        assert_eq!(again, first);
    }
    assert_eq!(net_one.stats().connections, 1);
    net_two.shutdown().await;
    net_one.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_to_the_sender_of_a_told_message_cross_nodes_for_registered_types() {
    let (one, net_one) = node().await;
    let (two, net_two) = node().await;
    let echo = placed(Echo, "echo", (&one, &net_one), &net_two).await;
    let collector = two.create_actor(Collector::default()).await.unwrap();
    // Node one knows the sender only by an untyped address: before its type is registered
    // there, the answer cannot be encoded, and is a dead letter on node one.
    let before = one.dead_letter_count();
    collector.start(echo.clone(), 99).tell().await.unwrap();
    tokio::time::timeout(TIMEOUT, async {
        while one.dead_letter_count() == before {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the unencodable answer became a dead letter");
    assert_eq!(collector.pongs().ask().await, Ok(vec![]));
    thespian::remote::register::<Collector>();
    for n in 0..3 {
        collector.start(echo.clone(), n).tell().await.unwrap();
    }
    tokio::time::timeout(TIMEOUT, async {
        while collector.pongs().ask().await.unwrap().len() < 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("three pongs came back");
    assert_eq!(collector.pongs().ask().await, Ok(vec![0, 1, 2]));
    net_two.shutdown().await;
    net_one.shutdown().await;
}
