//! Creation, children, exit requests and shutdown, on both bases.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thespian::prelude::*;

/// Records what happens to it and to its children.
struct Parent {
    events: Arc<Mutex<Vec<String>>>,
}

#[actor(no_serde)]
impl Parent {
    async fn spawn_children(&mut self, count: usize, ctx: &mut Context<Self>) -> Vec<Addr<Child>> {
        let mut children = Vec::new();
        for i in 0..count {
            let child = Child {
                name: format!("child{i}"),
                events: self.events.clone(),
            };
            children.push(ctx.create_actor(child).await.unwrap());
        }
        children
    }

    async fn children(&self, ctx: &Context<Self>) -> usize {
        ctx.children().count()
    }

    #[child_exited]
    async fn on_child_exited(&mut self, exited: ChildActorExited) {
        self.events
            .lock()
            .unwrap()
            .push(format!("parent saw child exit: {}", exited.reason));
    }

    #[stopping]
    async fn on_stopping(&mut self) {
        self.events.lock().unwrap().push("parent stopping".into());
    }
}

struct Child {
    name: String,
    events: Arc<Mutex<Vec<String>>>,
}

#[actor(no_serde)]
impl Child {
    async fn ping(&self) -> String {
        self.name.clone()
    }

    async fn note(&mut self, text: String) {
        self.events.lock().unwrap().push(text);
    }

    #[started]
    async fn on_started(&mut self) {
        self.events
            .lock()
            .unwrap()
            .push(format!("{} started", self.name));
    }

    #[stopping]
    async fn on_stopping(&mut self) {
        self.events
            .lock()
            .unwrap()
            .push(format!("{} stopping", self.name));
    }
}

fn parent() -> (Parent, Arc<Mutex<Vec<String>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    (
        Parent {
            events: events.clone(),
        },
        events,
    )
}

#[tokio::test]
async fn a_parent_is_told_when_its_child_exits() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (actor, events) = parent();
        let parent = system.create_actor(actor).await.unwrap();
        let children = parent.spawn_children(2).ask().await.unwrap();
        assert_eq!(children[0].ping().ask().await.unwrap(), "child0");
        children[0].request_exit();
        common::wait_until_dead(&system, &children[0]).await;
        // The notice is queued behind nothing else: the next ask sees one child left.
        assert_eq!(parent.children().ask().await.unwrap(), 1);
        assert!(events
            .lock()
            .unwrap()
            .contains(&"parent saw child exit: asked to exit".to_string()));
        system.shutdown().await;
    }
}

#[tokio::test]
async fn children_exit_before_their_parent() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (actor, events) = parent();
        let parent = system.create_actor(actor).await.unwrap();
        let children = parent.spawn_children(3).ask().await.unwrap();
        parent.request_exit();
        common::wait_until_dead(&system, &parent).await;
        for child in &children {
            assert!(!child.is_alive());
        }
        let events = events.lock().unwrap().clone();
        let stopping = events.iter().position(|e| e == "parent stopping").unwrap();
        let exits: Vec<usize> = events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.starts_with("parent saw"))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(exits.len(), 3, "{events:?}");
        assert!(exits.iter().all(|&i| i > stopping), "{events:?}");
        system.shutdown().await;
    }
}

#[tokio::test]
async fn messages_sent_before_the_exit_request_are_handled_first() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (actor, events) = parent();
        let parent = system.create_actor(actor).await.unwrap();
        let child = parent.spawn_children(1).ask().await.unwrap().remove(0);
        for i in 0..10 {
            child.note(format!("note {i}")).tell().await.unwrap();
        }
        child.request_exit();
        common::wait_until_dead(&system, &child).await;
        assert_eq!(child.ping().ask().await, Err(AskError::DeadActor));
        let events = events.lock().unwrap().clone();
        let notes: Vec<&String> = events.iter().filter(|e| e.starts_with("note")).collect();
        assert_eq!(notes.len(), 10);
        let last_note = events.iter().position(|e| e == "note 9").unwrap();
        let stopping = events.iter().position(|e| e == "child0 stopping").unwrap();
        assert!(last_note < stopping, "{events:?}");
        system.shutdown().await;
    }
}

#[tokio::test]
async fn shutdown_stops_every_actor_and_can_be_called_twice() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let mut all = Vec::new();
        for _ in 0..5 {
            let (actor, _) = parent();
            let parent = system.create_actor(actor).await.unwrap();
            all.extend(
                parent
                    .spawn_children(4)
                    .ask()
                    .await
                    .unwrap()
                    .iter()
                    .map(Addr::address),
            );
            all.push(parent.address());
        }
        assert_eq!(system.live_actors(), 25);
        system.shutdown().await;
        assert_eq!(system.live_actors(), 0);
        assert!(all.iter().all(|a| !a.is_alive()));
        system.shutdown().await;
        let (actor, _) = parent();
        assert_eq!(
            system.create_actor(actor).await.unwrap_err(),
            thespian::CreateError::SystemShutDown
        );
    }
}

#[tokio::test]
async fn shutdown_reports_system_shutdown_as_the_reason() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (actor, events) = parent();
        let parent = system.create_actor(actor).await.unwrap();
        parent.spawn_children(1).ask().await.unwrap();
        system.shutdown().await;
        assert!(events
            .lock()
            .unwrap()
            .contains(&"parent saw child exit: system shut down".to_string()));
    }
}

struct Empty;

#[actor]
impl Empty {
    async fn nothing(&mut self) {}
}

// Default base only: counts the tasks of a multi-thread tokio runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_actors_come_and_go_without_leaking_tasks() {
    let system = ActorSystem::new();
    let metrics = tokio::runtime::Handle::current().metrics();
    let before = metrics.num_alive_tasks();
    let mut actors = Vec::new();
    for _ in 0..10_000 {
        actors.push(system.create_actor(Empty).await.unwrap());
    }
    for a in &actors {
        a.nothing().tell().await.unwrap();
    }
    assert_eq!(system.live_actors(), 10_000);
    for a in &actors {
        a.request_exit();
    }
    for a in &actors {
        common::wait_until_dead(&system, a).await;
    }
    // The last step of each task follows its mailbox closing: give them a moment to finish.
    for _ in 0..1000 {
        if system.live_actors() == 0 && metrics.num_alive_tasks() == before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(system.live_actors(), 0);
    assert_eq!(metrics.num_alive_tasks(), before);
    system.shutdown().await;
}

struct FailsToStart {
    started: Arc<AtomicUsize>,
}

#[actor(no_serde)]
impl FailsToStart {
    async fn hello(&self) -> u8 {
        1
    }

    #[started]
    async fn on_started(&mut self) {
        self.started.fetch_add(1, Ordering::SeqCst);
        panic!("cannot start");
    }
}

struct Watcher {
    exits: Vec<ExitReason>,
}

#[actor(no_serde)]
impl Watcher {
    async fn spawn_failing(&mut self, ctx: &mut Context<Self>) -> Addr<FailsToStart> {
        ctx.create_actor(FailsToStart {
            started: Arc::new(AtomicUsize::new(0)),
        })
        .await
        .unwrap()
    }

    async fn exits(&self) -> Vec<ExitReason> {
        self.exits.clone()
    }

    #[child_exited]
    async fn on_child_exited(&mut self, exited: ChildActorExited) {
        self.exits.push(exited.reason);
    }
}

#[tokio::test]
async fn a_child_that_fails_to_start_is_reported_and_its_messages_are_dead() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let watcher = system
            .create_actor(Watcher { exits: vec![] })
            .await
            .unwrap();
        let child = watcher.spawn_failing().ask().await.unwrap();
        assert_eq!(child.hello().ask().await, Err(AskError::DeadActor));
        common::wait_until_dead(&system, &child).await;
        assert_eq!(
            watcher.exits().ask().await.unwrap(),
            vec![ExitReason::StartFailed("cannot start".into())]
        );
        system.shutdown().await;
    }
}

struct FailsToStop;

#[actor(no_serde)]
impl FailsToStop {
    async fn ping_stopper(&self) -> u8 {
        1
    }

    #[stopping]
    async fn on_stopping(&mut self) {
        panic!("cannot stop cleanly");
    }
}

/// The parent of a child that fails as it stops or as it is dropped: records its children's exits.
struct ExitWatcher {
    exits: Arc<Mutex<Vec<ExitReason>>>,
    drops: Arc<AtomicUsize>,
}

#[actor(no_serde)]
impl ExitWatcher {
    async fn spawn_stopper(&mut self, ctx: &mut Context<Self>) -> Addr<FailsToStop> {
        ctx.create_actor(FailsToStop).await.unwrap()
    }

    async fn spawn_dropper(&mut self, ctx: &mut Context<Self>) -> Addr<DropsBadly> {
        let guard = PanicsWhenDropped(self.exits.clone(), self.drops.clone());
        ctx.create_actor(DropsBadly { _guard: guard })
            .await
            .unwrap()
    }

    #[child_exited]
    async fn on_child_exited(&mut self, exited: ChildActorExited) {
        self.exits.lock().unwrap().push(exited.reason);
    }
}

/// A watcher in `system`, with the exits it records and the drops its droppers count.
async fn exit_watcher(
    system: &ActorSystem,
) -> (
    Addr<ExitWatcher>,
    Arc<Mutex<Vec<ExitReason>>>,
    Arc<AtomicUsize>,
) {
    let exits = Arc::new(Mutex::new(Vec::new()));
    let drops = Arc::new(AtomicUsize::new(0));
    let watcher = ExitWatcher {
        exits: exits.clone(),
        drops: drops.clone(),
    };
    (system.create_actor(watcher).await.unwrap(), exits, drops)
}

/// Drives `system` and waits (up to `millis` ms) until `done` holds; the caller asserts what it
/// waited for.
async fn wait_until(system: &ActorSystem, millis: u32, done: impl Fn() -> bool) {
    for _ in 0..millis {
        system.run_until_idle().await;
        if done() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Waits (up to 100 ms) until a parent has recorded a child's exit.
async fn wait_for_an_exit(system: &ActorSystem, exits: &Mutex<Vec<ExitReason>>) {
    wait_until(system, 100, || !exits.lock().unwrap().is_empty()).await;
}

#[tokio::test]
async fn a_panic_in_stopping_still_exits_and_tells_the_parent() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (watcher, exits, _) = exit_watcher(&system).await;
        let child = watcher.spawn_stopper().ask().await.unwrap();
        assert_eq!(child.ping_stopper().ask().await, Ok(1));
        child.request_exit();
        common::wait_until_dead(&system, &child).await;
        wait_for_an_exit(&system, &exits).await;
        assert_eq!(*exits.lock().unwrap(), vec![ExitReason::Requested]);
        system.shutdown().await;
        assert_eq!(system.live_actors(), 0);
    }
}

/// Panics when dropped, after noting that it was.
struct PanicsWhenDropped(Arc<Mutex<Vec<ExitReason>>>, Arc<AtomicUsize>);

impl Drop for PanicsWhenDropped {
    fn drop(&mut self) {
        // The parent cannot have heard of the exit yet: the actor is dropped first.
        assert!(self.0.lock().unwrap().is_empty());
        self.1.fetch_add(1, Ordering::SeqCst);
        panic!("cannot let go");
    }
}

struct DropsBadly {
    _guard: PanicsWhenDropped,
}

#[actor(no_serde)]
impl DropsBadly {
    async fn ping_dropper(&self) -> u8 {
        2
    }

    /// Asks for a wake-up in an hour, whose payload counts its drop in `dropped`.
    async fn arm_wakeup(&mut self, dropped: Arc<AtomicUsize>, ctx: &mut Context<Self>) {
        ctx.wakeup_after(Duration::from_secs(3600), CountsDrop(dropped));
    }
}

/// Counts its drop.
struct CountsDrop(Arc<AtomicUsize>);

impl Drop for CountsDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn an_actor_whose_drop_panics_still_exits_and_its_parent_hears_it_failed() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (watcher, exits, drops) = exit_watcher(&system).await;
        let child = watcher.spawn_dropper().ask().await.unwrap();
        assert_eq!(child.ping_dropper().ask().await, Ok(2));
        let wakeup_dropped = Arc::new(AtomicUsize::new(0));
        child
            .arm_wakeup(wakeup_dropped.clone())
            .tell()
            .await
            .unwrap();
        child.request_exit();
        common::wait_until_dead(&system, &child).await;
        wait_for_an_exit(&system, &exits).await;
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "dropped once, before the parent heard"
        );
        let exits = exits.lock().unwrap().clone();
        assert!(
            matches!(&exits[..], [ExitReason::Failed(details)] if details.contains("cannot let go")),
            "{exits:?}"
        );
        // Its pending wake-up was cancelled with it, although the panic took its context away.
        wait_until(&system, 1000, || wakeup_dropped.load(Ordering::SeqCst) == 1).await;
        assert_eq!(
            wakeup_dropped.load(Ordering::SeqCst),
            1,
            "the wake-up is cancelled"
        );
        system.shutdown().await;
        assert_eq!(system.live_actors(), 0);
    }
}
