//! Death watch (`Context::watch`) and exits on a change of capabilities, on both bases.

use std::time::Duration;

use thespian::prelude::*;
use thespian::{ActorOptions, Capabilities, Supervision};

const T: Duration = Duration::from_secs(5);

/// Both bases, with capability "gpu" set.
fn systems() -> Vec<ActorSystem> {
    vec![
        ActorSystem::builder().capability("gpu", true).build(),
        #[cfg(feature = "sequential")]
        ActorSystem::builder()
            .capability("gpu", true)
            .sequential()
            .build(),
    ]
}

struct Worker;

#[actor]
impl Worker {
    async fn quit(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }

    async fn crash(&mut self) {
        panic!("worker crashed");
    }

    async fn ping(&self) -> u32 {
        1
    }
}

/// Watches what it is told to and records every notice.
#[derive(Default)]
struct Monitor {
    seen: Vec<(ActorAddress, ExitReason)>,
}

#[actor]
impl Monitor {
    /// Asked, not told: the watch is made when the call returns.
    async fn watch_it(&mut self, actor: ActorAddress, ctx: &mut Context<Self>) -> bool {
        ctx.watch(&actor);
        true
    }

    async fn unwatch_it(&mut self, actor: ActorAddress, ctx: &mut Context<Self>) -> bool {
        ctx.unwatch(&actor);
        true
    }

    async fn seen(&self) -> Vec<(ActorAddress, ExitReason)> {
        self.seen.clone()
    }

    #[watched_exited]
    async fn on_exit(&mut self, exited: WatchedActorExited) {
        self.seen.push((exited.actor, exited.reason));
    }
}

/// Waits until `monitor` has seen `n` notices (or the deadline), and returns them.
async fn seen_after(
    system: &ActorSystem,
    monitor: &Addr<Monitor>,
    n: usize,
) -> Vec<(ActorAddress, ExitReason)> {
    let deadline = std::time::Instant::now() + T;
    loop {
        system.run_until_idle().await;
        let seen = monitor.seen().ask().await.unwrap();
        if seen.len() >= n || std::time::Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_watcher_hears_once_when_the_watched_actor_exits() {
    for system in systems() {
        let worker = system.create_actor(Worker).await.unwrap();
        let monitor = system.create_actor(Monitor::default()).await.unwrap();
        monitor.watch_it(worker.address()).ask().await.unwrap();
        // Watching twice is watching once.
        monitor.watch_it(worker.address()).ask().await.unwrap();
        worker.quit().tell().await.unwrap();
        let seen = seen_after(&system, &monitor, 1).await;
        assert_eq!(seen, [(worker.address(), ExitReason::Requested)]);
        // Nothing more comes.
        system.run_until_idle().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(monitor.seen().ask().await.unwrap().len(), 1);
        system.shutdown().await;
    }
}

#[tokio::test]
async fn watching_an_actor_that_has_ended_tells_at_once() {
    for system in systems() {
        let worker = system.create_actor(Worker).await.unwrap();
        let monitor = system.create_actor(Monitor::default()).await.unwrap();
        worker.quit().tell().await.unwrap();
        system.run_until_idle().await;
        while worker.address().is_alive() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        monitor.watch_it(worker.address()).ask().await.unwrap();
        let seen = seen_after(&system, &monitor, 1).await;
        assert_eq!(seen, [(worker.address(), ExitReason::AlreadyExited)]);
        system.shutdown().await;
    }
}

#[tokio::test]
async fn an_unwatched_actor_ends_unheard() {
    for system in systems() {
        let worker = system.create_actor(Worker).await.unwrap();
        let other = system.create_actor(Worker).await.unwrap();
        let monitor = system.create_actor(Monitor::default()).await.unwrap();
        monitor.watch_it(worker.address()).ask().await.unwrap();
        monitor.watch_it(other.address()).ask().await.unwrap();
        monitor.unwatch_it(worker.address()).ask().await.unwrap();
        worker.quit().tell().await.unwrap();
        other.quit().tell().await.unwrap();
        let seen = seen_after(&system, &monitor, 1).await;
        assert_eq!(seen, [(other.address(), ExitReason::Requested)]);
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_watcher_hears_the_reason_of_a_failure() {
    for system in systems() {
        let options = ActorOptions::new().supervision(Supervision::Stop);
        let worker = system.create_actor_with(Worker, options).await.unwrap();
        let monitor = system.create_actor(Monitor::default()).await.unwrap();
        monitor.watch_it(worker.address()).ask().await.unwrap();
        let _ = worker.crash().tell().await;
        let seen = seen_after(&system, &monitor, 1).await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(
            matches!(&seen[0].1, ExitReason::Failed(d) if d.contains("worker crashed")),
            "{seen:?}"
        );
        system.shutdown().await;
    }
}

/// Runs only where "gpu" is true.
struct Render;

#[actor]
impl Render {
    async fn frame(&self) -> u32 {
        1
    }

    #[capability_check]
    fn check(capabilities: &Capabilities, requirements: &Capabilities) -> bool {
        capabilities.is_true("gpu")
            && requirements
                .iter()
                .all(|(name, value)| capabilities.get(name) == Some(value))
    }
}

/// Creates a renderer and a worker as its children, and records their ends.
#[derive(Default)]
struct Studio {
    exits: Vec<(ActorAddress, ExitReason)>,
}

#[actor]
impl Studio {
    async fn open(&mut self, ctx: &mut Context<Self>) -> (Addr<Render>, Addr<Worker>) {
        let render = ctx.create_actor(Render).await.unwrap();
        let worker = ctx.create_actor(Worker).await.unwrap();
        (render, worker)
    }

    async fn exits(&self) -> Vec<(ActorAddress, ExitReason)> {
        self.exits.clone()
    }

    #[child_exited]
    async fn on_child(&mut self, exited: ChildActorExited) {
        self.exits.push((exited.child, exited.reason));
    }
}

#[tokio::test]
async fn removing_a_capability_ends_the_actors_that_need_it_and_their_parents_hear() {
    for system in systems() {
        let studio = system.create_actor(Studio::default()).await.unwrap();
        let (render, worker) = studio.open().ask().await.unwrap();
        let top = system.create_actor(Render).await.unwrap();
        assert_eq!(render.frame().ask().await, Ok(1));
        system.update_capability("gpu", None);
        system.run_until_idle().await;
        let deadline = std::time::Instant::now() + T;
        while studio.exits().ask().await.unwrap().is_empty() && std::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert_eq!(
            studio.exits().ask().await.unwrap(),
            [(render.address(), ExitReason::CapabilitiesChanged)]
        );
        // The worker does not care, the top-level renderer goes too.
        assert_eq!(worker.ping().ask().await, Ok(1));
        while top.address().is_alive() && std::time::Instant::now() < deadline {
            system.run_until_idle().await;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert!(!top.address().is_alive());
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_changed_capability_is_checked_against_the_actors_requirements() {
    for system in systems() {
        system.update_capability("tier", Some(1.into()));
        let needs_tier_1 = ActorOptions::new().requirements(Capabilities::new().with("tier", 1));
        let render = system
            .create_actor_with(Render, needs_tier_1)
            .await
            .unwrap();
        let any = system.create_actor(Render).await.unwrap();
        let monitor = system.create_actor(Monitor::default()).await.unwrap();
        monitor.watch_it(render.address()).ask().await.unwrap();
        // Setting a capability to the value it has changes nothing.
        system.update_capability("tier", Some(1.into()));
        system.update_capability("tier", Some(2.into()));
        let seen = seen_after(&system, &monitor, 1).await;
        assert_eq!(seen, [(render.address(), ExitReason::CapabilitiesChanged)]);
        assert_eq!(any.frame().ask().await, Ok(1));
        system.shutdown().await;
    }
}
