//! `ActorSystem::status`: every actor, parents before children, children, queue lengths, pending
//! timers, global names, live actors and dead letters; on both bases where the scenario allows.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use thespian::prelude::*;
use thespian::{ActorOptions, ActorStatus, SystemStatus};
use tokio::sync::oneshot;

struct Node;

#[actor(no_serde)]
impl Node {
    async fn spawn_child(&mut self, ctx: &mut Context<Self>) -> Addr<Node> {
        ctx.create_actor(Node).await.unwrap()
    }

    async fn name_child(&mut self, name: String, ctx: &mut Context<Self>) -> Addr<Node> {
        ctx.create_actor_with(Node, ActorOptions::new().name(name))
            .await
            .unwrap()
    }

    async fn nap(&mut self, delay: Duration, ctx: &mut Context<Self>) {
        ctx.wakeup_after(delay, ());
    }

    async fn work(&mut self, n: u32) {
        let _ = n;
    }

    async fn ping(&self) -> bool {
        true
    }

    /// Signals `entered`, then waits for `gate`.
    async fn hold(&mut self, entered: oneshot::Sender<()>, gate: oneshot::Receiver<()>) {
        let _ = entered.send(());
        let _ = gate.await;
    }
}

const SECOND: Duration = Duration::from_secs(1);

fn find<'a>(status: &'a SystemStatus, addr: &Addr<Node>) -> &'a ActorStatus {
    status
        .actors
        .iter()
        .find(|a| a.address == *addr)
        .unwrap_or_else(|| panic!("{addr} missing from {status:#?}"))
}

fn set(addrs: &[ActorAddress]) -> HashSet<ActorAddress> {
    addrs.iter().cloned().collect()
}

#[tokio::test]
async fn status_lists_every_actor_parents_before_children_with_their_children() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let root = system.create_actor(Node).await.unwrap();
        let b1 = root.spawn_child().ask().await.unwrap();
        let b2 = root.spawn_child().ask().await.unwrap();
        let c = b1.spawn_child().ask().await.unwrap();
        let other = system.create_actor(Node).await.unwrap();

        let status = system.status(SECOND).await;
        assert_eq!(status.name, system.name());
        assert_eq!(status.live_actors, 5);
        assert_eq!(status.actors.len(), 5, "{status:#?}");

        // Parents before their children.
        let position = |addr: &ActorAddress| {
            status
                .actors
                .iter()
                .position(|a| a.address == *addr)
                .unwrap()
        };
        for actor in &status.actors {
            if let Some(parent) = &actor.parent {
                assert!(position(parent) < position(&actor.address), "{status:#?}");
            }
        }

        assert_eq!(find(&status, &root).parent, None);
        assert_eq!(find(&status, &other).parent, None);
        assert_eq!(find(&status, &b1).parent, Some(root.address()));
        assert_eq!(find(&status, &b2).parent, Some(root.address()));
        assert_eq!(find(&status, &c).parent, Some(b1.address()));
        assert_eq!(
            set(&find(&status, &root).children),
            set(&[b1.address(), b2.address()])
        );
        assert_eq!(set(&find(&status, &b1).children), set(&[c.address()]));
        assert!(find(&status, &b2).children.is_empty());
        assert!(find(&status, &c).children.is_empty());
        assert!(status.actors.iter().all(|a| !a.exiting));
        assert_eq!(status.queued, 0);
        assert_eq!(status.dead_letters, 0);
        assert_eq!(status.restarts, 0);
        assert!(status.global_names.is_empty());
        system.shutdown().await;
    }
}

#[tokio::test]
async fn status_reports_global_names_live_actors_and_dead_letters() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let root = system.create_actor(Node).await.unwrap();
        // Named from inside an actor: the system's child, not the creator's.
        let registry = root.name_child("registry".into()).ask().await.unwrap();
        let cache = system
            .create_actor_with(Node, ActorOptions::new().name("cache"))
            .await
            .unwrap();
        let gone = system.create_actor(Node).await.unwrap();
        gone.request_exit();
        common::wait_until_dead(&system, &gone).await;
        system.tell(&gone, NodeWork { n: 1 }).await;
        system.tell(&gone, NodeWork { n: 2 }).await;

        let status = system.status(SECOND).await;
        assert_eq!(status.live_actors, 3);
        assert_eq!(status.actors.len(), 3, "{status:#?}");
        assert!(status.actors.iter().all(|a| a.address != gone));
        assert_eq!(find(&status, &registry).parent, None);
        assert!(find(&status, &root).children.is_empty());
        assert_eq!(
            status.global_names,
            vec![
                ("cache".to_owned(), cache.address()),
                ("registry".to_owned(), registry.address())
            ]
        );
        assert_eq!(status.dead_letters, 2);
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn status_reports_pending_timers() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let sleeper = system.create_actor(Node).await.unwrap();
        sleeper.nap(Duration::from_secs(60)).tell().await.unwrap();
        sleeper.nap(Duration::from_secs(120)).tell().await.unwrap();
        let status = system.status(SECOND).await;
        assert_eq!(find(&status, &sleeper).pending_timers, 2);

        common::let_pass(&system, Duration::from_secs(90)).await;
        let status = system.status(SECOND).await;
        assert_eq!(find(&status, &sleeper).pending_timers, 1);
        system.shutdown().await;
    }
}

// Default base only: a handler waits on a gate opened from outside, which would hold the
// sequential base's turn.
#[tokio::test(start_paused = true)]
async fn status_reports_the_messages_waiting_in_each_mailbox() {
    let system = ActorSystem::new();
    let busy = system.create_actor(Node).await.unwrap();
    let idle = system.create_actor(Node).await.unwrap();
    assert_eq!(busy.ping().ask().await, Ok(true));
    assert_eq!(idle.ping().ask().await, Ok(true));

    // The busy actor takes the `hold` and is held, the status request waiting behind it...
    let (entered_tx, entered) = oneshot::channel();
    let (open, gate) = oneshot::channel();
    busy.hold(entered_tx, gate).tell().await.unwrap();
    let report = system.status(SECOND);
    tokio::pin!(report);
    assert!(futures::poll!(report.as_mut()).is_pending());
    entered.await.unwrap();
    // ...and five messages more.
    for n in 0..5 {
        busy.work(n).tell().await.unwrap();
    }
    assert_eq!(busy.queue_len(), 6);
    open.send(()).unwrap();

    let status = report.await;
    assert_eq!(status.actors.len(), 2, "{status:#?}");
    assert_eq!(find(&status, &idle).queued, 0);
    assert_eq!(find(&status, &busy).queued, 5, "{status:#?}");
    assert_eq!(status.queued, 5);
    system.shutdown().await;
}

// Default base only: a handler waits on a gate opened from outside, which would hold the
// sequential base's turn.
#[tokio::test(start_paused = true)]
async fn an_actor_busy_for_longer_than_the_timeout_is_left_out() {
    let system = ActorSystem::new();
    let busy = system.create_actor(Node).await.unwrap();
    let idle = system.create_actor(Node).await.unwrap();
    let (entered_tx, entered) = oneshot::channel();
    let (open, gate) = oneshot::channel();
    busy.hold(entered_tx, gate).tell().await.unwrap();
    entered.await.unwrap();

    let status = system.status(Duration::from_millis(100)).await;
    assert_eq!(status.live_actors, 2);
    assert_eq!(status.actors.len(), 1, "{status:#?}");
    assert_eq!(status.actors[0].address, idle.address());
    open.send(()).unwrap();
    system.shutdown().await;
}
