//! Dead letters: counted without a handler, handed to a registered handler, none after it
//! unregisters, and what was queued in an actor when it exits; on both bases.

mod common;

use std::time::Duration;

use thespian::prelude::*;
use thespian::DeadEnvelope;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// The target: exits on request, and can be held inside a handler until a gate opens.
struct Target;

#[actor(no_serde)]
impl Target {
    async fn ping(&mut self, n: u32) {
        let _ = n;
    }

    async fn echo(&self, n: u32) -> u32 {
        n
    }

    /// Signals `entered`, then waits for `gate`: what is sent meanwhile stays queued.
    async fn hold(&mut self, entered: oneshot::Sender<()>, gate: oneshot::Receiver<()>) {
        let _ = entered.send(());
        let _ = gate.await;
    }
}

/// A dead letter as the watcher recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Letter {
    target: ActorAddress,
    from_outside: bool,
    ping: Option<u32>,
    echo: Option<u32>,
    message_type: &'static str,
}

#[derive(Default)]
struct Watcher {
    seen: Vec<Letter>,
}

#[actor(no_serde)]
impl Watcher {
    /// Asked, not told: once it answers, the registration is in effect.
    async fn register(&mut self, ctx: &mut Context<Self>) -> bool {
        ctx.register_dead_letters();
        true
    }

    async fn unregister(&mut self, ctx: &mut Context<Self>) -> bool {
        ctx.unregister_dead_letters();
        true
    }

    async fn letters(&self) -> Vec<Letter> {
        self.seen.clone()
    }

    #[dead_letter]
    async fn on_dead_letter(&mut self, envelope: DeadEnvelope) {
        self.seen.push(Letter {
            target: envelope.target,
            from_outside: envelope.sender.is_none(),
            ping: envelope.message.downcast_ref::<TargetPing>().map(|p| p.n),
            echo: envelope.message.downcast_ref::<TargetEcho>().map(|e| e.n),
            message_type: envelope.message_type,
        });
    }
}

const SECOND: Duration = Duration::from_secs(1);

async fn exited_target(system: &ActorSystem) -> Addr<Target> {
    let target = system.create_actor(Target).await.unwrap();
    target.request_exit();
    common::wait_until_dead(system, &target).await;
    target
}

#[tokio::test]
async fn without_a_handler_messages_to_an_exited_actor_are_counted() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let target = exited_target(&system).await;
        assert_eq!(system.dead_letter_count(), 0);

        system.tell(&target, TargetPing { n: 1 }).await;
        system.tell(&target, TargetPing { n: 2 }).await;
        assert_eq!(system.dead_letter_count(), 2);

        // A refused ask is a dead letter too, and fails at once.
        assert_eq!(target.echo(3).ask().await, Err(AskError::DeadActor));
        assert_eq!(system.dead_letter_count(), 3);

        // `Addr::tell` hands the message back instead: not a dead letter.
        let refused = target.ping(4).tell().await.unwrap_err();
        assert_eq!(refused.into_inner().map(|m| m.n), Some(4));
        assert_eq!(system.dead_letter_count(), 3);
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_registered_handler_receives_dead_envelopes_with_target_and_typed_message() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let watcher = system.create_actor(Watcher::default()).await.unwrap();
        watcher.register().ask().await.unwrap();
        let target = exited_target(&system).await;

        system.tell(&target, TargetPing { n: 7 }).await;
        assert_eq!(target.echo(8).ask().await, Err(AskError::DeadActor));
        assert_eq!(system.dead_letter_count(), 2);

        let seen = watcher.letters().ask().await.unwrap();
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(seen[0].target, target.address());
        assert!(seen[0].from_outside);
        assert_eq!(seen[0].ping, Some(7));
        assert!(seen[0].message_type.ends_with("Ping"), "{seen:?}");
        assert_eq!(seen[1].target, target.address());
        assert_eq!(seen[1].echo, Some(8));
        assert!(seen[1].message_type.ends_with("Echo"), "{seen:?}");
        system.shutdown().await;
    }
}

#[tokio::test]
async fn after_unregistering_a_handler_receives_no_more_dead_letters() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let watcher = system.create_actor(Watcher::default()).await.unwrap();
        watcher.register().ask().await.unwrap();
        let target = exited_target(&system).await;

        system.tell(&target, TargetPing { n: 1 }).await;
        assert_eq!(watcher.letters().ask().await.unwrap().len(), 1);

        watcher.unregister().ask().await.unwrap();
        system.tell(&target, TargetPing { n: 2 }).await;
        system.tell(&target, TargetPing { n: 3 }).await;
        // Still counted, but nobody is handed them.
        assert_eq!(system.dead_letter_count(), 3);
        let seen = watcher.letters().ask().await.unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0].ping, Some(1));
        system.shutdown().await;
    }
}

// Default base only: the target's handler waits on a gate while the test sends behind it and a
// spawned task asks, concurrently.
#[tokio::test(start_paused = true)]
async fn messages_queued_when_an_actor_exits_become_dead_letters_and_their_asks_fail_at_once() {
    let system = ActorSystem::new();
    let watcher = system.create_actor(Watcher::default()).await.unwrap();
    watcher.register().ask().await.unwrap();
    let target = system.create_actor(Target).await.unwrap();

    let (entered_tx, entered) = oneshot::channel();
    let (open, gate) = oneshot::channel();
    target.hold(entered_tx, gate).tell().await.unwrap();
    entered.await.unwrap();

    // Queued behind the exit request: none of these will be handled.
    assert!(target.request_exit());
    target.ping(1).tell().await.unwrap();
    target.ping(2).tell().await.unwrap();
    let asker = {
        let target = target.clone();
        tokio::spawn(async move {
            let t0 = Instant::now();
            let answer = target
                .echo(3)
                .timeout(Duration::from_secs(3600))
                .ask()
                .await;
            (answer, t0.elapsed())
        })
    };
    while target.queue_len() < 4 {
        tokio::task::yield_now().await;
    }
    assert_eq!(system.dead_letter_count(), 0);

    open.send(()).unwrap();
    let (answer, waited) = asker.await.unwrap();
    assert_eq!(answer, Err(AskError::DeadActor));
    assert!(waited < SECOND, "the ask failed only after {waited:?}");
    common::wait_until_dead(&system, &target).await;

    assert_eq!(system.dead_letter_count(), 3);
    let seen = watcher.letters().ask().await.unwrap();
    let pings: Vec<u32> = seen.iter().filter_map(|s| s.ping).collect();
    let echoes: Vec<u32> = seen.iter().filter_map(|s| s.echo).collect();
    assert_eq!(pings, vec![1, 2], "{seen:?}");
    assert_eq!(echoes, vec![3], "{seen:?}");
    assert!(seen.iter().all(|s| s.target == target.address()));
    system.shutdown().await;
}

#[tokio::test]
async fn the_last_actor_to_register_receives_the_dead_letters() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let first = system.create_actor(Watcher::default()).await.unwrap();
        let second = system.create_actor(Watcher::default()).await.unwrap();
        assert_eq!(first.register().ask().await, Ok(true));
        assert_eq!(second.register().ask().await, Ok(true));
        // Unregistering an actor that is not the handler changes nothing.
        assert_eq!(first.unregister().ask().await, Ok(true));
        let target = exited_target(&system).await;

        system.tell(&target, TargetPing { n: 1 }).await;
        assert!(first.letters().ask().await.unwrap().is_empty());
        assert_eq!(second.letters().ask().await.unwrap().len(), 1);
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_handler_that_exits_is_unregistered_and_dead_letters_are_still_counted() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let watcher = system.create_actor(Watcher::default()).await.unwrap();
        assert_eq!(watcher.register().ask().await, Ok(true));
        watcher.request_exit();
        common::wait_until_dead(&system, &watcher).await;
        let target = exited_target(&system).await;

        system.tell(&target, TargetPing { n: 1 }).await;
        assert_eq!(system.dead_letter_count(), 1);
        system.shutdown().await;
    }
}
