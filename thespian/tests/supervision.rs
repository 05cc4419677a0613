//! Supervision: restart (same address, same mailbox, fresh state), restart intensity, stop,
//! a failing `started` after a restart, and the default (resume); on both bases.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thespian::prelude::*;
use thespian::{ActorOptions, Supervision};

/// A worker whose state shows which instance handles what.
struct Worker {
    /// 0 for the first instance, then 1, 2, ... for the factory's.
    generation: u32,
    count: u32,
    /// Panic in `started` (set on the instances the factory makes, for one test).
    fail_start: bool,
    /// (generation, n) for every `note`.
    notes: Arc<Mutex<Vec<(u32, u32)>>>,
}

#[actor(no_serde)]
impl Worker {
    async fn bump(&mut self) -> u32 {
        self.count += 1;
        self.count
    }

    async fn count(&self) -> u32 {
        self.count
    }

    async fn generation(&self) -> u32 {
        self.generation
    }

    async fn note(&mut self, n: u32) {
        self.notes.lock().unwrap().push((self.generation, n));
    }

    async fn crash(&mut self) {
        panic!("worker crashed");
    }

    #[started]
    async fn on_started(&mut self) {
        if self.fail_start {
            panic!("cannot start");
        }
    }
}

/// Makes workers: the first one by hand, the others through the restart factory.
#[derive(Clone)]
struct Workshop {
    generations: Arc<AtomicU32>,
    notes: Arc<Mutex<Vec<(u32, u32)>>>,
    fail_start_after_restart: bool,
}

impl Workshop {
    fn new() -> Self {
        Workshop {
            generations: Arc::new(AtomicU32::new(0)),
            notes: Arc::new(Mutex::new(Vec::new())),
            fail_start_after_restart: false,
        }
    }

    fn worker(&self) -> Worker {
        let generation = self.generations.fetch_add(1, Ordering::SeqCst);
        Worker {
            generation,
            count: 0,
            fail_start: generation > 0 && self.fail_start_after_restart,
            notes: self.notes.clone(),
        }
    }

    fn factory(&self) -> impl FnMut() -> Worker + Send + 'static {
        let shop = self.clone();
        move || shop.worker()
    }

    fn notes(&self) -> Vec<(u32, u32)> {
        self.notes.lock().unwrap().clone()
    }
}

/// The parent: creates a worker with the supervision it is given, records how its children end.
#[derive(Default)]
struct Boss {
    exits: Arc<Mutex<Vec<(ActorAddress, ExitReason)>>>,
}

#[actor(no_serde)]
impl Boss {
    async fn hire(
        &mut self,
        worker: Worker,
        supervision: Supervision<Worker>,
        ctx: &mut Context<Self>,
    ) -> Addr<Worker> {
        ctx.create_actor_with(worker, ActorOptions::new().supervision(supervision))
            .await
            .unwrap()
    }

    async fn staff(&self, ctx: &Context<Self>) -> usize {
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

const SECOND: Duration = Duration::from_secs(1);

async fn boss(system: &ActorSystem) -> (Addr<Boss>, Arc<Mutex<Vec<(ActorAddress, ExitReason)>>>) {
    let exits = Arc::new(Mutex::new(Vec::new()));
    let boss = system
        .create_actor(Boss {
            exits: exits.clone(),
        })
        .await
        .unwrap();
    (boss, exits)
}

/// Drives `system` and waits (in virtual time) until the boss has seen `n` children end.
async fn exits_seen(
    system: &ActorSystem,
    exits: &Arc<Mutex<Vec<(ActorAddress, ExitReason)>>>,
    n: usize,
) -> Vec<(ActorAddress, ExitReason)> {
    for _ in 0..1_000 {
        system.run_until_idle().await;
        if exits.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    exits.lock().unwrap().clone()
}

#[tokio::test(start_paused = true)]
async fn a_restart_keeps_the_address_and_the_queued_messages_and_resets_the_state() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (boss, exits) = boss(&system).await;
        let shop = Workshop::new();
        let worker = boss
            .hire(shop.worker(), Supervision::restart(shop.factory()).into())
            .ask()
            .await
            .unwrap();
        for expected in 1..=3 {
            assert_eq!(worker.bump().ask().await, Ok(expected));
        }
        worker.note(0).tell().await.unwrap();

        // Queued behind the failing message, sent before it is handled.
        worker.crash().tell().await.unwrap();
        for n in 1..=5 {
            worker.note(n).tell().await.unwrap();
        }
        // Asks queued behind it too: answered by the fresh actor.
        assert_eq!(worker.count().ask().await, Ok(0));
        assert_eq!(worker.generation().ask().await, Ok(1));

        assert_eq!(
            shop.notes(),
            vec![(0, 0), (1, 1), (1, 2), (1, 3), (1, 4), (1, 5)]
        );
        assert_eq!(worker.bump().ask().await, Ok(1));
        assert!(worker.is_alive());
        assert_eq!(boss.staff().ask().await, Ok(1));
        assert!(exits.lock().unwrap().is_empty());
        let status = system.status(SECOND).await;
        assert_eq!(status.restarts, 1);
        assert_eq!(system.dead_letter_count(), 0);
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn too_many_restarts_within_the_period_stop_the_actor_with_failed() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (boss, exits) = boss(&system).await;
        let shop = Workshop::new();
        let policy = Supervision::restart(shop.factory()).at_most(2, Duration::from_secs(60));
        let worker = boss.hire(shop.worker(), policy.into()).ask().await.unwrap();

        worker.crash().tell().await.unwrap();
        assert_eq!(worker.generation().ask().await, Ok(1));
        worker.crash().tell().await.unwrap();
        assert_eq!(worker.generation().ask().await, Ok(2));
        assert!(exits.lock().unwrap().is_empty());

        // The third failure within 60 s is one too many.
        worker.crash().tell().await.unwrap();
        let exits = exits_seen(&system, &exits, 1).await;
        assert_eq!(exits.len(), 1, "{exits:?}");
        assert_eq!(exits[0].0, worker.address());
        match &exits[0].1 {
            ExitReason::Failed(details) => assert!(details.contains("worker crashed"), "{details}"),
            other => panic!("expected Failed, got {other:?}"),
        }
        assert!(!worker.is_alive());
        assert_eq!(worker.count().ask().await, Err(AskError::DeadActor));
        assert_eq!(boss.staff().ask().await, Ok(0));
        // No third instance was made.
        assert_eq!(shop.generations.load(Ordering::SeqCst), 3);
        assert_eq!(system.status(SECOND).await.restarts, 2);
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn restarts_older_than_the_period_do_not_count_against_the_limit() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (boss, exits) = boss(&system).await;
        let shop = Workshop::new();
        let policy = Supervision::restart(shop.factory()).at_most(2, Duration::from_secs(60));
        let worker = boss.hire(shop.worker(), policy.into()).ask().await.unwrap();

        for round in 1..=5 {
            worker.crash().tell().await.unwrap();
            assert_eq!(worker.generation().ask().await, Ok(round));
            common::let_pass(&system, Duration::from_secs(31)).await;
        }
        assert!(worker.is_alive());
        assert!(exits.lock().unwrap().is_empty());
        assert_eq!(system.status(SECOND).await.restarts, 5);
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn stop_ends_the_actor_at_its_first_failure_with_failed() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (boss, exits) = boss(&system).await;
        let shop = Workshop::new();
        let worker = boss
            .hire(shop.worker(), Supervision::Stop)
            .ask()
            .await
            .unwrap();
        assert_eq!(worker.bump().ask().await, Ok(1));
        worker.crash().tell().await.unwrap();
        worker.note(1).tell().await.unwrap();

        let exits = exits_seen(&system, &exits, 1).await;
        assert_eq!(exits.len(), 1, "{exits:?}");
        assert_eq!(exits[0].0, worker.address());
        match &exits[0].1 {
            ExitReason::Failed(details) => assert!(details.contains("worker crashed"), "{details}"),
            other => panic!("expected Failed, got {other:?}"),
        }
        assert!(!worker.is_alive());
        // What was queued behind the failure was not handled: it became a dead letter.
        assert!(shop.notes().is_empty());
        assert_eq!(system.dead_letter_count(), 1);
        assert_eq!(shop.generations.load(Ordering::SeqCst), 1);
        assert_eq!(system.status(SECOND).await.restarts, 0);
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_panic_in_started_after_a_restart_stops_the_actor() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (boss, exits) = boss(&system).await;
        let mut shop = Workshop::new();
        shop.fail_start_after_restart = true;
        let worker = boss
            .hire(shop.worker(), Supervision::restart(shop.factory()).into())
            .ask()
            .await
            .unwrap();
        assert_eq!(worker.bump().ask().await, Ok(1));
        worker.crash().tell().await.unwrap();

        let exits = exits_seen(&system, &exits, 1).await;
        assert_eq!(exits.len(), 1, "{exits:?}");
        assert_eq!(exits[0].0, worker.address());
        match &exits[0].1 {
            ExitReason::Failed(details) | ExitReason::StartFailed(details) => {
                assert!(details.contains("cannot start"), "{details}")
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        assert!(!worker.is_alive());
        // One restart was attempted; the fresh instance never handled anything.
        assert_eq!(shop.generations.load(Ordering::SeqCst), 2);
        assert_eq!(system.status(SECOND).await.restarts, 1);
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn by_default_a_failure_resumes_the_same_actor_with_its_state() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (boss, exits) = boss(&system).await;
        let shop = Workshop::new();
        let worker = boss
            .hire(shop.worker(), Supervision::default())
            .ask()
            .await
            .unwrap();
        assert_eq!(worker.bump().ask().await, Ok(1));
        assert_eq!(worker.bump().ask().await, Ok(2));
        worker.crash().tell().await.unwrap();
        worker.note(1).tell().await.unwrap();
        assert_eq!(worker.count().ask().await, Ok(2));
        assert_eq!(worker.generation().ask().await, Ok(0));
        assert_eq!(shop.notes(), vec![(0, 1)]);
        assert!(worker.is_alive());
        assert!(exits.lock().unwrap().is_empty());
        assert_eq!(shop.generations.load(Ordering::SeqCst), 1);
        assert_eq!(system.status(SECOND).await.restarts, 0);
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_ask_under_restart_is_poisoned_and_the_next_one_answers_fresh() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let (boss, _exits) = boss(&system).await;
        let shop = Workshop::new();
        let worker = boss
            .hire(shop.worker(), Supervision::restart(shop.factory()).into())
            .ask()
            .await
            .unwrap();
        assert_eq!(worker.bump().ask().await, Ok(1));
        let answer = system.ask(&worker, WorkerCrash, SECOND).await;
        assert_eq!(
            answer,
            Err(AskError::Poisoned(Poison::Panicked(
                "worker crashed".into()
            )))
        );
        assert_eq!(worker.bump().ask().await, Ok(1));
        system.shutdown().await;
    }
}
