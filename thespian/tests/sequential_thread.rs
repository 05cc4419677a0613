//! A sequential system runs on its caller's thread: it starts none of its own, and its actors end
//! with its last handle, even without `shutdown`. (Alone in its own test binary: it counts the
//! process's threads.)
#![cfg(feature = "sequential")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use thespian::prelude::*;

/// The tests of this file one at a time: the harness runs each in a thread of its own, which
/// the thread count would see.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

#[actor(no_serde)]
impl Counted {
    async fn ping(&mut self) -> u8 {
        1
    }
}

#[test]
fn a_sequential_system_starts_no_thread_and_its_actors_end_with_its_last_handle() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let before = threads();
    let dropped = Arc::new(AtomicUsize::new(0));
    let system = ActorSystem::builder().sequential().build();
    let copy = system.clone();
    let actor = runtime.block_on(async {
        let actor = system
            .create_actor(Counted(dropped.clone()))
            .await
            .expect("created");
        assert_eq!(actor.ping().ask().await, Ok(1));
        actor
    });
    // At most as many: the harness's thread of the other test, done, may still be exiting.
    let after = threads();
    assert!(
        after <= before,
        "no thread of the system's own ({before} -> {after})"
    );
    drop(system);
    assert_eq!(
        dropped.load(Ordering::Acquire),
        0,
        "a handle is still alive"
    );
    drop(copy);
    assert_eq!(
        dropped.load(Ordering::Acquire),
        1,
        "the actor ended with the system"
    );
    assert!(!actor.is_alive());
}

#[test]
fn a_sequential_system_dropped_with_named_actors_is_freed() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let dropped = Arc::new(AtomicUsize::new(0));
    let system = ActorSystem::builder().sequential().build();
    let weak = system.downgrade();
    runtime.block_on(async {
        let actor = system
            .create_actor_with(
                Counted(dropped.clone()),
                ActorOptions::new().name("counted"),
            )
            .await
            .expect("created");
        assert_eq!(actor.ping().ask().await, Ok(1));
    });
    drop(system);
    assert_eq!(dropped.load(Ordering::Acquire), 1);
    assert!(
        weak.upgrade().is_none(),
        "the system's state was kept alive"
    );
}
