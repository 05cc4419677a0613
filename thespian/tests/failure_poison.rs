//! A panicking handler: retried once with a copy of the message when its actor asks for retries,
//! then poisoned. On both bases.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use thespian::prelude::*;
use thespian::PoisonMessage;

struct Fragile {
    attempts: Arc<AtomicU32>,
}

#[actor(no_serde, retry)]
impl Fragile {
    /// Always fails.
    async fn explode(&mut self, why: String) -> u32 {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        panic!("{why}");
    }

    /// Fails on the first attempt only.
    async fn flaky(&mut self) -> u32 {
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst);
        if attempt == 0 {
            panic!("first attempt fails");
        }
        attempt
    }

    async fn alive(&self) -> bool {
        true
    }
}

/// `Clone` for a reason of its own: a panicking handler still runs once, unless it asks for a
/// retry.
#[derive(Clone)]
struct Careful {
    attempts: Arc<AtomicU32>,
}

#[actor(no_serde, derive(Clone))]
impl Careful {
    /// Fails on the first attempt only, but is not retried.
    async fn once(&mut self) -> u32 {
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst);
        if attempt == 0 {
            panic!("first attempt fails");
        }
        attempt
    }

    /// The same, retried.
    #[message(retry)]
    async fn twice(&mut self) -> u32 {
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst);
        if attempt == 0 {
            panic!("first attempt fails");
        }
        attempt
    }
}

struct NotCloneable(#[allow(dead_code)] std::sync::Mutex<u8>);

struct Brittle {
    attempts: Arc<AtomicU32>,
}

#[actor(no_serde)]
impl Brittle {
    async fn shatter(&mut self, _payload: NotCloneable) {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        panic!("boom");
    }
}

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn a_failing_message_is_retried_once_then_poisons_the_ask_and_the_actor_goes_on() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let attempts = Arc::new(AtomicU32::new(0));
        let fragile = system
            .create_actor(Fragile {
                attempts: attempts.clone(),
            })
            .await
            .unwrap();
        let answer = fragile.explode("kaboom".into()).ask().await;
        assert_eq!(
            answer,
            Err(AskError::Poisoned(Poison::Panicked("kaboom".into())))
        );
        assert_eq!(attempts.load(Ordering::SeqCst), 1 + thespian::RETRIES);
        assert_eq!(fragile.alive().ask().await, Ok(true));
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_retry_that_succeeds_answers_normally() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let attempts = Arc::new(AtomicU32::new(0));
        let fragile = system
            .create_actor(Fragile {
                attempts: attempts.clone(),
            })
            .await
            .unwrap();
        assert_eq!(fragile.flaky().ask().await, Ok(1));
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_clone_message_is_retried_only_when_its_handler_asks() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let attempts = Arc::new(AtomicU32::new(0));
        let careful = system
            .create_actor(Careful {
                attempts: attempts.clone(),
            })
            .await
            .unwrap();
        let answer = careful.once().ask().await;
        assert_eq!(
            answer,
            Err(AskError::Poisoned(Poison::Panicked(
                "first attempt fails".into()
            )))
        );
        assert_eq!(attempts.load(Ordering::SeqCst), 1);
        attempts.store(0, Ordering::SeqCst);
        assert_eq!(careful.twice().ask().await, Ok(1));
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_message_that_cannot_be_copied_is_poisoned_at_its_first_failure() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let attempts = Arc::new(AtomicU32::new(0));
        let brittle = system
            .create_actor(Brittle {
                attempts: attempts.clone(),
            })
            .await
            .unwrap();
        let answer = system
            .ask(
                &brittle,
                BrittleShatter {
                    _payload: NotCloneable(Default::default()),
                },
                SECOND,
            )
            .await;
        assert_eq!(
            answer,
            Err(AskError::Poisoned(Poison::Panicked("boom".into())))
        );
        assert_eq!(attempts.load(Ordering::SeqCst), 1);
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_told_message_that_fails_sends_a_poison_notice_to_the_outside() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let fragile = system
            .create_actor(Fragile {
                attempts: Arc::new(AtomicU32::new(0)),
            })
            .await
            .unwrap();
        system
            .tell(&fragile, FragileExplode { why: "told".into() })
            .await;
        let notice = system.listen(SECOND).await.unwrap();
        let poison = notice.downcast::<PoisonMessage>().ok().unwrap();
        assert_eq!(poison.details, "told");
        assert_eq!(poison.target, fragile.address());
        system.shutdown().await;
    }
}

/// Sends a failing message to a `Fragile` and records the poison it gets back.
struct Sender {
    target: Addr<Fragile>,
    poisons: Vec<String>,
}

#[actor(no_serde)]
impl Sender {
    async fn provoke(&mut self, ctx: &mut Context<Self>) {
        ctx.tell(
            &self.target,
            FragileExplode {
                why: "from an actor".into(),
            },
        )
        .await;
    }

    async fn poisons(&self) -> Vec<String> {
        self.poisons.clone()
    }

    #[poisoned]
    async fn on_poison(&mut self, poison: PoisonMessage) {
        self.poisons
            .push(format!("{}: {}", poison.message_type, poison.details));
    }
}

#[tokio::test]
async fn an_actor_that_sent_a_failing_message_gets_its_poison_hook() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let fragile = system
            .create_actor(Fragile {
                attempts: Arc::new(AtomicU32::new(0)),
            })
            .await
            .unwrap();
        let sender = system
            .create_actor(Sender {
                target: fragile.clone(),
                poisons: vec![],
            })
            .await
            .unwrap();
        sender.provoke().tell().await.unwrap();
        let mut poisons = vec![];
        for _ in 0..100 {
            poisons = sender.poisons().ask().await.unwrap();
            if !poisons.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(poisons, vec!["FragileExplode: from an actor".to_string()]);
        system.shutdown().await;
    }
}

/// A message whose copy panics: user code that runs outside the guarded handler.
struct Treacherous;

impl Clone for Treacherous {
    fn clone(&self) -> Self {
        panic!("clone refused")
    }
}

struct Victim;

// `derive(Clone)` makes the message copyable, so the runtime clones it before each attempt (for
// the poison notice).
#[actor(no_serde, derive(Clone))]
impl Victim {
    async fn take(&mut self, _payload: Treacherous) -> u8 {
        1
    }

    async fn after(&mut self) {}
}

#[tokio::test]
async fn a_panic_outside_the_handlers_still_ends_the_actor_properly() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let victim = system.create_actor(Victim).await.unwrap();
        let answer = system
            .ask(
                &victim,
                VictimTake {
                    _payload: Treacherous,
                },
                SECOND,
            )
            .await;
        assert!(answer.is_err());
        // The actor ended: its parent (the system) was told, so shutdown does not wait for it.
        tokio::time::timeout(SECOND, system.shutdown())
            .await
            .unwrap();
        assert_eq!(system.live_actors(), 0);
    }
}

#[tokio::test]
async fn messages_behind_a_panic_outside_the_handlers_become_dead_letters() {
    for system in common::both_bases() {
        println!("base: {}", system.name());
        let victim = system.create_actor(Victim).await.unwrap();
        let doomed = system.ask(
            &victim,
            VictimTake {
                _payload: Treacherous,
            },
            SECOND,
        );
        for _ in 0..5 {
            victim.after().tell().await.unwrap();
        }
        assert!(doomed.await.is_err());
        tokio::time::timeout(SECOND, system.shutdown())
            .await
            .unwrap();
        assert_eq!(system.dead_letter_count(), 5);
    }
}
