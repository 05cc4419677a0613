//! Transient actors (`exit_when_idle`), initial messages, and attached streams.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use thespian::prelude::*;
use thespian::{ActorOptions, Message};

/// What a stream feeds: items, then the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    Item(u64),
    End,
}

impl Message for Feed {
    type Reply = ();
}

/// Records everything it is told, in order.
#[derive(Default)]
struct Recorder {
    log: Vec<String>,
}

#[actor(no_serde)]
impl Recorder {
    async fn record(&mut self, text: String) {
        self.log.push(text);
    }

    async fn log(&self) -> Vec<String> {
        self.log.clone()
    }

    #[receive]
    async fn feed(&mut self, feed: Feed) {
        self.log.push(match feed {
            Feed::Item(n) => format!("item {n}"),
            Feed::End => "end".to_owned(),
        });
    }

    /// Attaches a stream of `Feed::Item(0..count)`, ended by `Feed::End`.
    async fn watch(&mut self, count: u64, ctx: &mut Context<Self>) {
        let items = futures::stream::iter((0..count).map(Feed::Item));
        ctx.attach_stream(items, Some(Feed::End));
    }

    #[started]
    async fn on_started(&mut self) {
        self.log.push("started".to_owned());
    }
}

/// Creates transient children and records how they end.
#[derive(Default)]
struct Nursery {
    exits: Arc<Mutex<Vec<(ActorAddress, ExitReason)>>>,
}

#[actor(no_serde)]
impl Nursery {
    async fn adopt(&mut self, idle: Duration, ctx: &mut Context<Self>) -> Addr<Recorder> {
        ctx.create_actor_with(
            Recorder::default(),
            ActorOptions::new().exit_when_idle(idle),
        )
        .await
        .unwrap()
    }

    async fn children(&self, ctx: &Context<Self>) -> usize {
        ctx.children().count()
    }

    #[child_exited]
    async fn on_child_exited(&mut self, exited: ChildActorExited) {
        self.exits
            .lock()
            .unwrap()
            .push((exited.child, exited.reason));
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Asks `recorder` for its log until `done` holds (virtual time: each wait costs nothing).
async fn log_until(recorder: &Addr<Recorder>, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    for _ in 0..1_000 {
        let log = recorder.log().ask().await.unwrap();
        if done(&log) {
            return log;
        }
        tokio::time::sleep(ms(1)).await;
    }
    recorder.log().ask().await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_transient_actor_exits_after_its_idle_time_and_its_parent_sees_it_go() {
    let system = ActorSystem::new();
    let exits = Arc::new(Mutex::new(Vec::new()));
    let nursery = system
        .create_actor(Nursery {
            exits: exits.clone(),
        })
        .await
        .unwrap();
    let child = nursery.adopt(ms(100)).ask().await.unwrap();
    assert_eq!(system.live_actors(), 2);

    tokio::time::sleep(ms(90)).await;
    assert!(child.is_alive(), "exited before its idle time");

    tokio::time::sleep(ms(20)).await;
    assert!(!child.is_alive(), "still alive after its idle time");
    assert_eq!(system.live_actors(), 1);
    assert_eq!(nursery.children().ask().await, Ok(0));
    let exits = exits.lock().unwrap().clone();
    assert_eq!(exits, vec![(child.address(), ExitReason::Requested)]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_transient_top_level_actor_exits_after_its_idle_time() {
    let system = ActorSystem::new();
    let recorder = system
        .create_actor_with(
            Recorder::default(),
            ActorOptions::new().exit_when_idle(ms(100)),
        )
        .await
        .unwrap();
    tokio::time::sleep(ms(150)).await;
    assert!(!recorder.is_alive());
    assert_eq!(system.live_actors(), 0);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_transient_actor_stays_while_it_keeps_getting_messages() {
    let system = ActorSystem::new();
    let recorder = system
        .create_actor_with(
            Recorder::default(),
            ActorOptions::new().exit_when_idle(ms(100)),
        )
        .await
        .unwrap();
    // Ten times its idle time in all, but never more than half of it without a message.
    for i in 0..20 {
        tokio::time::sleep(ms(50)).await;
        assert!(recorder.is_alive(), "exited while busy, at message {i}");
        recorder.record(format!("{i}")).tell().await.unwrap();
    }
    let log = recorder.log().ask().await.unwrap();
    assert_eq!(log.len(), 21, "{log:?}");

    // Then idle: it goes.
    tokio::time::sleep(ms(150)).await;
    assert!(!recorder.is_alive());
    assert_eq!(system.live_actors(), 0);
    system.shutdown().await;
}

#[tokio::test]
async fn initial_messages_are_handled_first_in_order_after_started() {
    let system = ActorSystem::new();
    let options = ActorOptions::new()
        .initial_message(RecorderRecord {
            text: "first".into(),
        })
        .initial_message(RecorderRecord {
            text: "second".into(),
        });
    let recorder = system
        .create_actor_with(Recorder::default(), options)
        .await
        .unwrap();
    recorder.record("told".into()).tell().await.unwrap();
    assert_eq!(
        recorder.log().ask().await.unwrap(),
        vec!["started", "first", "second", "told"]
    );
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_attached_stream_delivers_every_item_in_order_then_the_end_message() {
    let system = ActorSystem::new();
    let recorder = system.create_actor(Recorder::default()).await.unwrap();
    recorder.watch(1_000).tell().await.unwrap();
    let log = log_until(&recorder, |log| log.iter().any(|l| l == "end")).await;
    let mut expected = vec!["started".to_owned()];
    expected.extend((0..1_000).map(|n| format!("item {n}")));
    expected.push("end".to_owned());
    assert_eq!(log, expected);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_attached_stream_waits_for_room_in_a_bounded_mailbox_and_loses_nothing() {
    let system = ActorSystem::new();
    let recorder = system
        .create_actor_with(Recorder::default(), ActorOptions::new().mailbox_capacity(4))
        .await
        .unwrap();
    recorder.watch(500).tell().await.unwrap();
    let log = log_until(&recorder, |log| log.iter().any(|l| l == "end")).await;
    let items: Vec<&String> = log.iter().filter(|l| l.starts_with("item")).collect();
    assert_eq!(items.len(), 500);
    for (n, item) in items.iter().enumerate() {
        assert_eq!(**item, format!("item {n}"));
    }
    assert_eq!(log.last().map(String::as_str), Some("end"));
    system.shutdown().await;
}
