//! Troupes: a pool of workers behind one address, grown on demand and shrunk when quiet.
//!
//! What a troupe does with its workers runs on both bases. The first two tests measure how many
//! jobs run at once: their jobs sleep with tokio, so they run on the default base only (on the
//! sequential base one handler runs at a time, by design).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use thespian::prelude::*;
use thespian::TroupeOptions;

/// Tracks how many jobs run at once across all workers.
#[derive(Default)]
struct Gauge {
    running: AtomicUsize,
    peak: AtomicUsize,
}

struct Slow {
    gauge: Arc<Gauge>,
}

#[actor(no_serde)]
impl Slow {
    async fn job(&mut self, n: u32, ctx: &Context<Self>) -> (u32, bool) {
        let now = self.gauge.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.gauge.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(10)).await;
        self.gauge.running.fetch_sub(1, Ordering::SeqCst);
        (n, ctx.sender_is_outside())
    }
}

async fn workers<A: Actor>(system: &ActorSystem, troupe: &thespian::Troupe<A>) -> usize {
    let status = system.status(Duration::from_secs(1)).await;
    status
        .actors
        .iter()
        .find(|a| a.address == troupe.addr().address())
        .map(|a| a.children.len())
        .unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn a_troupe_of_four_runs_a_thousand_slow_jobs_in_parallel_and_shrinks_back() {
    let system = ActorSystem::new();
    let gauge = Arc::new(Gauge::default());
    let factory_gauge = gauge.clone();
    let troupe = system
        .create_troupe(
            move || Slow {
                gauge: factory_gauge.clone(),
            },
            TroupeOptions::new().max_count(4).idle_count(1),
        )
        .await
        .unwrap();
    let jobs: Vec<_> = (0..1000).map(|n| troupe.job(n).ask()).collect();
    for (n, job) in jobs.into_iter().enumerate() {
        // Answered by a worker, to the original (outside) sender.
        assert_eq!(job.await, Ok((n as u32, true)));
    }
    assert_eq!(gauge.peak.load(Ordering::SeqCst), 4);
    assert_eq!(workers(&system, &troupe).await, 4);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(workers(&system, &troupe).await, 1);
    system.shutdown().await;
    assert_eq!(system.live_actors(), 0);
}

#[tokio::test(start_paused = true)]
async fn the_limits_can_change_while_the_troupe_runs() {
    let system = ActorSystem::new();
    let gauge = Arc::new(Gauge::default());
    let factory_gauge = gauge.clone();
    let troupe = system
        .create_troupe(
            move || Slow {
                gauge: factory_gauge.clone(),
            },
            TroupeOptions::new().max_count(2).idle_count(0),
        )
        .await
        .unwrap();
    troupe.set_limits(6, 0);
    let jobs: Vec<_> = (0..60).map(|n| troupe.job(n).ask()).collect();
    for job in jobs {
        job.await.unwrap();
    }
    assert_eq!(gauge.peak.load(Ordering::SeqCst), 6);
    system.shutdown().await;
}

/// A worker whose jobs answer at once: the same on both bases.
struct Quick;

#[actor(no_serde)]
impl Quick {
    async fn job(&mut self, n: u32, ctx: &Context<Self>) -> (u32, bool) {
        (n, ctx.sender_is_outside())
    }

    async fn fail(&mut self) -> u8 {
        panic!("worker failure")
    }
}

#[tokio::test(start_paused = true)]
async fn a_failing_job_poisons_its_asker_and_the_troupe_goes_on() {
    for system in common::both_bases() {
        let troupe = system
            .create_troupe(|| Quick, TroupeOptions::new().max_count(2))
            .await
            .unwrap();
        assert_eq!(
            troupe.fail().ask().await,
            Err(AskError::Poisoned(Poison::Panicked(
                "worker failure".into()
            ))),
            "{}",
            system.name()
        );
        assert_eq!(
            troupe.job(7).ask().await,
            Ok((7, true)),
            "{}",
            system.name()
        );
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn jobs_sent_to_an_exited_troupe_are_dead_letters() {
    for system in common::both_bases() {
        let troupe = system
            .create_troupe(|| Quick, TroupeOptions::new())
            .await
            .unwrap();
        assert!(troupe.job(1).ask().await.is_ok(), "{}", system.name());
        troupe.addr().request_exit();
        common::wait_until_dead(&system, troupe.addr()).await;
        assert_eq!(
            troupe.job(2).ask().await,
            Err(AskError::DeadActor),
            "{}",
            system.name()
        );
        assert_eq!(system.live_actors(), 0, "{}", system.name());
        system.shutdown().await;
    }
}

/// Owns a troupe of its own.
struct Owner {
    troupe: Option<thespian::Troupe<Quick>>,
    exits: u32,
}

#[actor(no_serde)]
impl Owner {
    async fn start(&mut self, ctx: &mut Context<Self>) {
        let troupe = ctx
            .create_troupe(|| Quick, TroupeOptions::new().max_count(2))
            .await
            .unwrap();
        self.troupe = Some(troupe);
    }

    async fn work(&mut self, n: u32, ctx: &Context<Self>) -> (u32, bool) {
        let troupe = self.troupe.as_ref().unwrap();
        // Asked from an actor: the worker sees an actor as the sender.
        ctx.ask(troupe.addr(), QuickJob { n }, Duration::from_secs(1))
            .await
            .unwrap()
    }

    async fn stop_troupe(&mut self) {
        self.troupe.as_ref().unwrap().addr().request_exit();
    }

    async fn exits(&self) -> u32 {
        self.exits
    }

    #[child_exited]
    async fn on_child_exited(&mut self, _exited: ChildActorExited) {
        self.exits += 1;
    }
}

#[tokio::test(start_paused = true)]
async fn an_actor_can_own_a_troupe_and_hears_when_it_ends() {
    for system in common::both_bases() {
        let owner = system
            .create_actor(Owner {
                troupe: None,
                exits: 0,
            })
            .await
            .unwrap();
        owner.start().tell().await.unwrap();
        // A handler awaiting a reply holds the sequential base's only turn (SEMANTICS.md), so
        // the ask from the owner's handler is made on the default base only.
        if system.name() != common::SEQUENTIAL {
            assert_eq!(owner.work(3).ask().await, Ok((3, false)));
        }
        owner.stop_troupe().tell().await.unwrap();
        let mut exits = 0;
        for _ in 0..100 {
            exits = owner.exits().ask().await.unwrap();
            if exits == 1 {
                break;
            }
            common::let_pass(&system, Duration::from_millis(1)).await;
        }
        assert_eq!(exits, 1, "{}", system.name());
        system.shutdown().await;
        assert_eq!(system.live_actors(), 0, "{}", system.name());
    }
}

struct NeverMade;

#[actor(no_serde)]
impl NeverMade {
    async fn never_done(&self) -> u8 {
        0
    }
}

#[tokio::test(start_paused = true)]
async fn a_troupe_whose_factory_panics_ends_and_does_not_hold_up_shutdown() {
    for system in common::both_bases() {
        let troupe = system
            .create_troupe(
                || -> NeverMade { panic!("no database") },
                TroupeOptions::new(),
            )
            .await
            .unwrap();
        assert!(
            troupe.never_done().ask().await.is_err(),
            "{}",
            system.name()
        );
        tokio::time::timeout(Duration::from_secs(5), system.shutdown())
            .await
            .unwrap();
        assert_eq!(system.live_actors(), 0, "{}", system.name());
    }
}
