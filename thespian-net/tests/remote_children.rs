//! One actor model across nodes: children placed on another node have their creator as parent,
//! any actor can watch any other wherever it runs, a capability withdrawn ends the actors that
//! need it, and subscribers hear the present first. Every node on 127.0.0.1.

mod common;

use std::time::{Duration, Instant};

use common::family::*;
use common::*;
use thespian::prelude::*;
use thespian_net::ConventionUpdate;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_child_that_exits_or_fails_is_reported_to_its_parent() {
    let (home, away, parent) = two_nodes().await;
    let before = away.system.live_actors();
    let child = parent
        .place(false)
        .ask()
        .await
        .unwrap()
        .expect("placed away");
    assert_eq!(away.system.live_actors(), before + 1);
    assert_eq!(child.work().ask().await, Ok(1));
    assert_eq!(parent.children().ask().await, Ok(1));
    // Asked to exit: the parent hears it, with the address it was given.
    assert_eq!(child.quit().ask().await, Ok(true));
    let seen = exits(&parent, 1).await;
    assert_eq!(seen, [(child.address(), ExitReason::Requested)]);
    assert_eq!(parent.children().ask().await, Ok(0));

    // Failed, stopped by its supervision.
    let child = parent
        .place(false)
        .ask()
        .await
        .unwrap()
        .expect("placed away");
    // The panic's kind and message cross back to the asking node.
    let asked = child.crash().ask().await;
    assert!(
        matches!(&asked, Err(AskError::Poisoned(Poison::Panicked(d))) if d.contains("the child crashed")),
        "{asked:?}"
    );
    let seen = exits(&parent, 2).await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[1].0, child.address());
    assert!(
        matches!(&seen[1].1, ExitReason::Failed(d) if d.contains("the child crashed")),
        "{seen:?}"
    );
    home.net.shutdown().await;
    away.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_child_restarts_on_its_node_under_its_parents_supervision() {
    let (home, away, parent) = two_nodes().await;
    let child = parent
        .place(true)
        .ask()
        .await
        .unwrap()
        .expect("placed away");
    assert_eq!(child.work().ask().await, Ok(1));
    assert_eq!(child.work().ask().await, Ok(2));
    assert!(matches!(
        child.crash().ask().await,
        Err(AskError::Poisoned(_))
    ));
    // Same address, fresh state from the initial value, still the parent's child.
    assert_eq!(child.work().ask().await, Ok(1));
    assert_eq!(away.system.status(TIMEOUT).await.restarts, 1);
    assert_eq!(parent.exits().ask().await, Ok(vec![]));
    assert_eq!(parent.children().ask().await, Ok(1));
    home.net.shutdown().await;
    away.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_that_exits_takes_its_remote_children_along() {
    let (home, away, parent) = two_nodes().await;
    let before = away.system.live_actors();
    let one = parent
        .place(false)
        .ask()
        .await
        .unwrap()
        .expect("placed away");
    let two = parent
        .place(false)
        .ask()
        .await
        .unwrap()
        .expect("placed away");
    assert_eq!(away.system.live_actors(), before + 2);
    parent.request_exit();
    // The parent waits for its children: by the time it is gone, so are they.
    eventually("the parent exits", || !parent.address().is_alive()).await;
    assert_eq!(away.system.live_actors(), before);
    assert!(one.work().ask().await.is_err());
    assert!(two.work().ask().await.is_err());
    home.net.shutdown().await;
    away.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_node_is_reported_as_the_end_of_its_children_and_watched_actors() {
    let (home, away, parent) = two_nodes().await;
    let child = parent
        .place(false)
        .ask()
        .await
        .unwrap()
        .expect("placed away");
    let _held_away = named_counter(&away.system, "counter").await;
    let counter = remote_counter(&home, &away, "counter").await;
    assert_eq!(parent.watch_it(counter.address()).ask().await, Ok(true));
    assert_eq!(counter.total().ask().await, Ok(0));
    // The child's node goes away (its listener closes with it: it cannot be dialed again).
    let lost_at = Instant::now();
    away.net.shutdown().await;
    let seen = exits(&parent, 1).await;
    let took = lost_at.elapsed();
    assert_eq!(seen, [(child.address(), ExitReason::NodeLost)]);
    assert!(took < Duration::from_millis(500), "{took:?}");
    let seen = watched(&parent, 1).await;
    assert_eq!(seen, [(counter.address(), ExitReason::NodeLost)]);
    assert_eq!(parent.children().ask().await, Ok(0));
    // Told once: the loss took what waited on the node, so a second report of it finds nothing
    // left to tell. Its notices would be queued before these asks, which would then count them.
    thespian::remote::node_lost(&home.system, away.net.node());
    assert_eq!(parent.exits().ask().await.unwrap().len(), 1);
    assert_eq!(parent.watched().ask().await.unwrap().len(), 1);
    // And the parent can exit: it does not wait for the lost child.
    let exited = parent.wait_for_exit();
    parent.request_exit();
    assert_eq!(
        tokio::time::timeout(TIMEOUT, exited).await,
        Ok(ExitReason::Requested)
    );
    home.net.shutdown().await;
    away.system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_actor_can_watch_an_actor_of_another_node() {
    let (home, away, parent) = two_nodes().await;
    let counter = named_counter(&away.system, "counter").await;
    let remote = remote_counter(&home, &away, "counter").await;
    assert_eq!(parent.watch_it(remote.address()).ask().await, Ok(true));
    assert_eq!(parent.watch_it(remote.address()).ask().await, Ok(true));
    // The watch is in place on the other node once a message sent after it has arrived.
    assert_eq!(remote.total().ask().await, Ok(0));
    counter.request_exit();
    let seen = watched(&parent, 1).await;
    assert_eq!(seen, [(remote.address(), ExitReason::Requested)]);

    // An actor that has already ended: told at once.
    assert_eq!(parent.watch_it(remote.address()).ask().await, Ok(true));
    let seen = watched(&parent, 2).await;
    assert_eq!(seen[1], (remote.address(), ExitReason::AlreadyExited));

    // Unwatched: its end goes unheard.
    let other = named_counter(&away.system, "other").await;
    let other_remote = remote_counter(&home, &away, "other").await;
    assert_eq!(
        parent.watch_it(other_remote.address()).ask().await,
        Ok(true)
    );
    assert_eq!(other_remote.total().ask().await, Ok(0));
    assert_eq!(
        parent.unwatch_it(other_remote.address()).ask().await,
        Ok(true)
    );
    assert_eq!(other_remote.total().ask().await, Ok(0));
    let third = named_counter(&away.system, "third").await;
    let third_remote = remote_counter(&home, &away, "third").await;
    other.request_exit();
    eventually("the other counter exits", || !other.address().is_alive()).await;
    // A notice of its end, had it been sent, would come before this answer on the link, and
    // reach the parent before the question below.
    assert_eq!(third_remote.total().ask().await, Ok(0));
    assert_eq!(parent.watched().ask().await.unwrap().len(), 2);
    drop(third);
    home.net.shutdown().await;
    away.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_end_of_an_actor_of_another_node_can_be_awaited() {
    let (home, away, _parent) = two_nodes().await;
    let counter = named_counter(&away.system, "counter").await;
    let remote = remote_counter(&home, &away, "counter").await;
    let ended = remote.wait_for_exit();
    // The watch is in place on the other node once a message sent after it has arrived.
    assert_eq!(remote.total().ask().await, Ok(0));
    counter.request_exit();
    let reason = tokio::time::timeout(TIMEOUT, ended).await;
    assert_eq!(reason, Ok(ExitReason::Requested));
    let again = tokio::time::timeout(TIMEOUT, remote.wait_for_exit()).await;
    assert_eq!(again, Ok(ExitReason::AlreadyExited));

    // Its node lost: the wait ends at once with that.
    let _other = named_counter(&away.system, "other").await;
    let other = remote_counter(&home, &away, "other").await;
    let ended = other.wait_for_exit();
    assert_eq!(other.total().ask().await, Ok(0));
    away.net.shutdown().await;
    let reason = tokio::time::timeout(TIMEOUT, ended).await;
    assert_eq!(reason, Ok(ExitReason::NodeLost));
    home.net.shutdown().await;
    away.system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_capability_ends_the_remote_child_that_needs_it() {
    let (home, away, parent) = two_nodes().await;
    let child = parent
        .place(false)
        .ask()
        .await
        .unwrap()
        .expect("placed away");
    let before = away.system.live_actors();
    away.convention
        .update_capability("remote", Some(false.into()))
        .await;
    let seen = exits(&parent, 1).await;
    assert_eq!(seen, [(child.address(), ExitReason::CapabilitiesChanged)]);
    assert_eq!(away.system.live_actors(), before - 1);
    home.net.shutdown().await;
    away.net.shutdown().await;
}

/// Collects membership updates.
#[derive(Default)]
struct Subscriber {
    seen: Vec<ConventionUpdate>,
}

#[actor]
impl Subscriber {
    #[receive]
    async fn update(&mut self, update: ConventionUpdate) {
        self.seen.push(update);
    }

    async fn seen(&self) -> Vec<ConventionUpdate> {
        self.seen.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_hears_the_present_membership_first() {
    let (home, away, _parent) = two_nodes().await;
    let subscriber = home
        .system
        .create_actor(Subscriber::default())
        .await
        .unwrap();
    home.convention.subscribe(subscriber.clone());
    let seen = subscriber.seen().ask().await.unwrap();
    let mut joined: Vec<_> = seen
        .iter()
        .map(|u| match u {
            ConventionUpdate::Joined(m) => m.node,
            other => panic!("not a join: {other:?}"),
        })
        .collect();
    joined.sort();
    let mut expected = vec![home.net.node(), away.net.node()];
    expected.sort();
    assert_eq!(joined, expected);
    // Subscribing again tells nothing new.
    home.convention.subscribe(subscriber.clone());
    assert_eq!(subscriber.seen().ask().await.unwrap().len(), 2);
    home.net.shutdown().await;
    away.net.shutdown().await;
}
