//! Bounded mailboxes: `tell` waits for room and loses nothing, `try_tell` hands back what does not
//! fit, a refused message comes back to the caller, and the bound stays what it was set to. On both
//! bases where the scenario allows.

mod common;

use std::time::Duration;

use thespian::prelude::*;
use thespian::{ActorOptions, SendFailure, TrySendError};
use tokio::sync::oneshot;

/// A consumer that is slower than its producers: it yields to the scheduler on every message.
#[derive(Default)]
struct Sink {
    seen: Vec<u64>,
}

#[actor(no_serde)]
impl Sink {
    async fn put(&mut self, n: u64) {
        common::yield_once().await;
        self.seen.push(n);
    }

    async fn seen(&self) -> Vec<u64> {
        self.seen.clone()
    }

    async fn seen_count(&self) -> usize {
        self.seen.len()
    }

    /// Signals `entered`, then waits for `gate`: what is sent meanwhile stays in the mailbox.
    async fn hold(&mut self, entered: oneshot::Sender<()>, gate: oneshot::Receiver<()>) {
        let _ = entered.send(());
        let _ = gate.await;
    }
}

const CAPACITY: usize = 8;
const SECOND: Duration = Duration::from_secs(1);

fn bounded<A: Actor>(capacity: usize) -> ActorOptions<A> {
    ActorOptions::new().mailbox_capacity(capacity)
}

/// What keeps a sink from taking messages until it is opened.
enum Gate {
    /// Default base: the sink waits inside a handler for this sender.
    InHandler(oneshot::Sender<()>),
    /// Sequential base: nothing runs until the system is driven (by the next ask), so the sink
    /// takes nothing meanwhile without a gate (a handler waiting on one would hold the driver).
    Undriven,
}

impl Gate {
    fn open(self) {
        if let Gate::InHandler(open) = self {
            open.send(()).unwrap();
        }
    }
}

/// Keeps `sink` from taking messages until the gate returned is opened.
async fn hold(system: &ActorSystem, sink: &Addr<Sink>) -> Gate {
    if system.name() == common::SEQUENTIAL {
        return Gate::Undriven;
    }
    let (entered_tx, entered) = oneshot::channel();
    let (open, gate) = oneshot::channel();
    sink.hold(entered_tx, gate).tell().await.unwrap();
    entered.await.unwrap();
    Gate::InHandler(open)
}

/// Fills the mailbox with `try_tell` until it is full; how many fit.
fn fill(sink: &Addr<Sink>, first: u64) -> usize {
    let mut n = first;
    loop {
        match sink.try_tell(SinkPut { n }) {
            Ok(()) => n += 1,
            Err(TrySendError::Full(put)) => {
                assert_eq!(put.n, n, "try_tell must hand back the message it was given");
                return (n - first) as usize;
            }
            Err(other) => panic!("a local sink refused: {other}"),
        }
        assert!(n - first <= 1_000, "the bound does not hold");
    }
}

#[tokio::test]
async fn a_fast_producer_loses_nothing_to_a_slow_consumer_behind_a_bound() {
    // On the sequential base a tell waiting for room drives the system until there is room.
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let sink = system
            .create_actor_with(Sink::default(), bounded(CAPACITY))
            .await
            .unwrap();
        let mut most_queued = 0;
        for n in 0..10_000u64 {
            sink.put(n).tell().await.unwrap();
            most_queued = most_queued.max(sink.queue_len());
        }
        assert!(
            most_queued <= CAPACITY,
            "{}: {most_queued} queued",
            system.name()
        );
        assert_eq!(
            sink.seen().ask().await.unwrap(),
            (0..10_000).collect::<Vec<_>>(),
            "{}",
            system.name()
        );
        system.shutdown().await;
    }
}

// Default base only: concurrent producers on a multi-thread runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_producers_lose_nothing_and_keep_their_own_order_behind_a_bound() {
    let system = ActorSystem::new();
    let sink = system
        .create_actor_with(Sink::default(), bounded(CAPACITY))
        .await
        .unwrap();
    let producers: Vec<_> = (0..4u64)
        .map(|p| {
            let sink = sink.clone();
            tokio::spawn(async move {
                for i in 0..2_500u64 {
                    sink.put(p * 1_000_000 + i).tell().await.unwrap();
                }
            })
        })
        .collect();
    for producer in producers {
        producer.await.unwrap();
    }
    let seen = sink.seen().timeout(10 * SECOND).ask().await.unwrap();
    assert_eq!(seen.len(), 10_000);
    for p in 0..4u64 {
        let mine: Vec<u64> = seen
            .iter()
            .filter(|n| **n / 1_000_000 == p)
            .map(|n| n % 1_000_000)
            .collect();
        assert_eq!(mine, (0..2_500).collect::<Vec<_>>(), "producer {p}");
    }
    system.shutdown().await;
}

#[tokio::test]
async fn the_system_wide_bound_applies_to_every_actor() {
    for system in common::both_bases_with(|b| b.mailbox_capacity(CAPACITY)) {
        println!("base: {}", system.name());
        let sink = system.create_actor(Sink::default()).await.unwrap();
        let open = hold(&system, &sink).await;
        assert_eq!(fill(&sink, 0), CAPACITY);
        open.open();
        assert_eq!(sink.seen_count().ask().await, Ok(CAPACITY));
        system.shutdown().await;
    }
}

#[tokio::test]
async fn try_tell_on_a_full_mailbox_hands_the_message_back() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let sink = system
            .create_actor_with(Sink::default(), bounded(CAPACITY))
            .await
            .unwrap();
        let open = hold(&system, &sink).await;
        for n in 0..CAPACITY as u64 {
            sink.try_tell(SinkPut { n }).unwrap();
        }
        match sink.try_tell(SinkPut { n: 99 }) {
            Err(TrySendError::Full(put)) => assert_eq!(put.n, 99),
            other => panic!("expected Full, got {other:?}"),
        }
        assert_eq!(sink.queue_len(), CAPACITY);

        // Once the consumer has taken them, there is room again.
        open.open();
        assert_eq!(sink.seen_count().ask().await, Ok(CAPACITY));
        sink.try_tell(SinkPut { n: 100 }).unwrap();
        let mut expected: Vec<u64> = (0..CAPACITY as u64).collect();
        expected.push(100);
        assert_eq!(sink.seen().ask().await.unwrap(), expected);
        system.shutdown().await;
    }
}

#[tokio::test]
async fn tell_to_an_exited_actor_hands_the_message_back() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let sink = system
            .create_actor_with(Sink::default(), bounded(CAPACITY))
            .await
            .unwrap();
        sink.request_exit();
        common::wait_until_dead(&system, &sink).await;

        let put = sink
            .put(42)
            .tell()
            .await
            .unwrap_err()
            .into_inner()
            .expect("handed back");
        assert_eq!(put.n, 42);
        match sink.try_tell(SinkPut { n: 43 }) {
            Err(TrySendError::Closed(put)) => assert_eq!(put.n, 43),
            other => panic!("expected Closed, got {other:?}"),
        }
        assert_eq!(system.dead_letter_count(), 0);
        system.shutdown().await;
    }
}

// Default base only: a tell from outside waits for room in a spawned task while the actor exits,
// concurrently.
#[tokio::test]
async fn a_tell_waiting_for_room_gets_its_message_back_when_the_actor_exits() {
    let system = ActorSystem::new();
    let sink = system
        .create_actor_with(Sink::default(), bounded(1))
        .await
        .unwrap();
    let open = hold(&system, &sink).await;
    sink.try_tell(SinkPut { n: 1 }).unwrap();
    let waiting = sink.tell(SinkPut { n: 2 });
    let waiter = tokio::spawn(waiting);
    tokio::task::yield_now().await;
    assert!(!waiter.is_finished(), "the tell should wait for room");

    // The exit request bypasses the bound; `Put { n: 1 }` is handled, then the actor exits.
    assert!(sink.request_exit());
    open.open();
    common::wait_until_dead(&system, &sink).await;
    match waiter.await.unwrap() {
        // Either it got in before the exit (and was then a dead letter), or it was handed back.
        Ok(()) => assert_eq!(system.dead_letter_count(), 1),
        Err(refused) => assert_eq!(refused.into_inner().map(|m| m.n), Some(2)),
    }
    system.shutdown().await;
}

#[tokio::test]
async fn system_messages_do_not_enlarge_a_bounded_mailbox() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let sink = system
            .create_actor_with(Sink::default(), bounded(2))
            .await
            .unwrap();
        // Status requests travel in the mailbox but take no room in it.
        for _ in 0..5 {
            assert_eq!(system.status(SECOND).await.actors.len(), 1);
        }
        let open = hold(&system, &sink).await;
        assert_eq!(fill(&sink, 0), 2);
        open.open();
        system.shutdown().await;
    }
}

#[tokio::test]
async fn initial_messages_do_not_enlarge_a_bounded_mailbox() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let mut options = bounded(2);
        for n in 0..5 {
            options = options.initial_message(SinkPut { n });
        }
        let sink = system
            .create_actor_with(Sink::default(), options)
            .await
            .unwrap();
        assert_eq!(sink.seen_count().ask().await, Ok(5));
        let open = hold(&system, &sink).await;
        assert_eq!(fill(&sink, 5), 2);
        open.open();
        system.shutdown().await;
    }
}

#[tokio::test]
async fn untyped_sends_pass_the_bound_without_enlarging_it() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let sink = system
            .create_actor_with(Sink::default(), bounded(2))
            .await
            .unwrap();
        let open = hold(&system, &sink).await;
        assert_eq!(fill(&sink, 0), 2);
        // Untyped sends are never held back by the bound...
        for n in 2..5 {
            sink.address().tell_any(SinkPut { n }).unwrap();
        }
        open.open();
        assert_eq!(sink.seen().ask().await.unwrap(), vec![0, 1, 2, 3, 4]);
        // ...and leave it as it was.
        let open = hold(&system, &sink).await;
        assert_eq!(fill(&sink, 5), 2);
        open.open();
        system.shutdown().await;
    }
}

#[tokio::test]
async fn an_ask_waiting_for_room_behind_other_waiters_is_delivered() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let sink = system
            .create_actor_with(Sink::default(), bounded(1))
            .await
            .unwrap();
        let open = hold(&system, &sink).await;
        sink.put(0).tell().await.unwrap(); // fills the one slot
                                           // Two tells wait for room, then an ask behind them.
        let waiting: Vec<_> = (1..=2).map(|n| sink.put(n).tell()).collect();
        let ask = sink.seen_count().timeout(Duration::from_secs(5)).ask();
        open.open();
        for tell in waiting {
            tell.await.unwrap();
        }
        // Everything before the ask was handled before it, and the ask was not lost.
        assert_eq!(ask.await, Ok(3), "{}", system.name());
        system.shutdown().await;
    }
}

/// Tells a sink from inside a handler, and keeps what came back.
struct Feeder {
    sink: Addr<Sink>,
    refused: Option<(u64, SendFailure)>,
}

#[actor(no_serde)]
impl Feeder {
    async fn feed(&mut self, n: u64) {
        if let Err(refused) = self.sink.put(n).tell().await {
            let reason = refused.reason().clone();
            self.refused = refused.into_inner().map(|m| (m.n, reason));
        }
    }

    async fn refused(&self) -> Option<(u64, SendFailure)> {
        self.refused.clone()
    }
}

// Sequential base only: on the default base the receiver runs meanwhile and the tell waits.
#[cfg(feature = "sequential")]
#[tokio::test]
async fn a_handler_of_a_sequential_system_gets_its_message_back_from_a_full_mailbox() {
    let system = ActorSystem::builder().sequential().build();
    let sink = system
        .create_actor_with(Sink::default(), bounded(1))
        .await
        .unwrap();
    let feeder = system
        .create_actor(Feeder {
            sink: sink.clone(),
            refused: None,
        })
        .await
        .unwrap();
    // The feeder's turn comes first; by then the sink's one place is taken, and the sink cannot
    // run before the feeder's handler ends: waiting would never end.
    feeder.feed(1).tell().await.unwrap();
    sink.try_tell(SinkPut { n: 0 }).unwrap();
    assert_eq!(
        feeder.refused().ask().await.unwrap(),
        Some((1, SendFailure::Full))
    );
    assert_eq!(sink.seen().ask().await.unwrap(), vec![0]);
    system.shutdown().await;
}

/// Sends itself two delayed messages due at the same instant.
#[derive(Default)]
struct Ticker {
    ticks: Vec<u64>,
}

#[actor(no_serde)]
impl Ticker {
    async fn arm(&mut self, ctx: &mut Context<Self>) {
        ctx.notify_after(SECOND, TickerTick { n: 1 });
        ctx.notify_after(SECOND, TickerTick { n: 2 });
    }

    async fn tick(&mut self, n: u64) {
        self.ticks.push(n);
    }

    async fn ticks(&self) -> Vec<u64> {
        self.ticks.clone()
    }
}

#[tokio::test(start_paused = true)]
async fn a_delayed_message_waits_for_room_and_arrives() {
    // The second delayed message finds the one place taken by the first; it holds no actor's
    // turn, so on the sequential base too it waits until the ticker has taken the first.
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let ticker = system
            .create_actor_with(Ticker::default(), bounded(1))
            .await
            .unwrap();
        ticker.arm().ask().await.unwrap();
        common::let_pass(&system, 2 * SECOND).await;
        let mut ticks = ticker.ticks().ask().await.unwrap();
        ticks.sort_unstable();
        assert_eq!(ticks, vec![1, 2], "{}", system.name());
        assert_eq!(system.dead_letter_count(), 0, "{}", system.name());
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_send_dropped_while_it_waits_for_room_leaves_a_dead_letter() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let sink = system
            .create_actor_with(Sink::default(), bounded(1))
            .await
            .unwrap();
        let open = hold(&system, &sink).await;
        sink.try_tell(SinkPut { n: 1 }).unwrap();
        // Thespian-style, then typed: each waits for room, and is dropped unawaited.
        let delivery = system.tell(&sink, SinkPut { n: 2 });
        let tell = sink.tell(SinkPut { n: 3 });
        assert_eq!(system.dead_letter_count(), 0);
        drop(delivery);
        drop(tell);
        assert_eq!(system.dead_letter_count(), 2, "dropped sends vanished");
        open.open();
        assert_eq!(sink.seen().ask().await, Ok(vec![1]));
        system.shutdown().await;
    }
}
