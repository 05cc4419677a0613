//! Waiting for an actor to end from outside it: `Addr::wait_for_exit`, on both bases.

mod common;

use std::time::Duration;

use thespian::prelude::*;

/// Exits when told to.
#[derive(Default)]
struct Job;

impl Actor for Job {
    type Message = ();

    async fn handle(&mut self, _: (), ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

const TIMEOUT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_wait_ends_with_the_reason_of_the_exit() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let job = system.create_actor(Job).await.unwrap();
        let ended = job.wait_for_exit();
        let also = job.wait_for_exit();
        job.tell(()).await.unwrap();
        assert_eq!(
            tokio::time::timeout(TIMEOUT, ended).await,
            Ok(ExitReason::Requested)
        );
        assert_eq!(
            tokio::time::timeout(TIMEOUT, also).await,
            Ok(ExitReason::Requested)
        );
        assert!(!job.is_alive());
        // Waited for after the end: told at once that it had ended.
        assert_eq!(job.wait_for_exit().await, ExitReason::AlreadyExited);
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_shutdown_ends_the_wait() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let job = system.create_actor(Job).await.unwrap();
        let ended = job.wait_for_exit();
        system.shutdown().await;
        assert_eq!(
            tokio::time::timeout(TIMEOUT, ended).await,
            Ok(ExitReason::SystemShutdown)
        );
    }
}

#[tokio::test]
async fn a_wait_given_up_leaves_the_actor_alone() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let job = system.create_actor(Job).await.unwrap();
        let given_up = job.wait_for_exit();
        assert!(tokio::time::timeout(Duration::from_millis(20), given_up)
            .await
            .is_err());
        assert!(job.is_alive());
        let ended = job.wait_for_exit();
        job.tell(()).await.unwrap();
        assert_eq!(ended.await, ExitReason::Requested);
        system.shutdown().await;
    }
}

#[cfg(feature = "sequential")]
#[tokio::test]
async fn in_a_sequential_system_the_wait_drives_it() {
    let system = ActorSystem::builder().sequential().build();
    let job = system.create_actor(Job).await.unwrap();
    let ended = job.wait_for_exit();
    job.tell(()).await.unwrap();
    // Nothing else drives the system: the wait does.
    assert_eq!(
        tokio::time::timeout(TIMEOUT, ended).await,
        Ok(ExitReason::Requested)
    );
    system.shutdown().await;
}
