//! What a failure tells, and who the sender is in each hook: the poison notice carries a copy of
//! a message that can be copied, a handler that panics holding its reply handle poisons the ask, and every
//! hook's `ctx.sender()` is the actor the hook is about. On both bases.

use std::time::Duration;

use thespian::prelude::*;
use thespian::{Message, PoisonMessage};

const T: Duration = Duration::from_secs(5);

fn systems() -> Vec<ActorSystem> {
    vec![
        ActorSystem::new(),
        #[cfg(feature = "sequential")]
        ActorSystem::builder().sequential().build(),
    ]
}

/// Fails on every message, whatever it is.
struct Doomed;

#[actor(no_serde, derive(Clone, Debug))]
impl Doomed {
    async fn crash(&mut self, n: u64) {
        panic!("crash {n}");
    }

    async fn crash_holding(&mut self, reply: ReplyHandle<u64>) {
        let _held = reply;
        panic!("crash while holding the reply handle");
    }
}

/// The same failure, written by hand, with its messages copied (for the notice; not retried).
struct HandDoomed;

#[derive(Clone, Debug, PartialEq)]
struct Boom(u64);

impl Message for Boom {
    type Reply = ();
}

impl Mail for Boom {
    fn copy(message: &Boom) -> Option<Boom> {
        Some(message.clone())
    }
}

impl Actor for HandDoomed {
    type Message = Boom;

    async fn handle(&mut self, message: Boom, _ctx: &mut Context<Self>) {
        panic!("boom {}", message.0);
    }
}

/// Sends to the doomed actors, and records the poison notices and the hooks' senders.
#[derive(Default)]
struct Witness {
    poisons: Vec<(Option<u64>, ActorAddress, ActorAddress)>,
    senders: Vec<(&'static str, ActorAddress)>,
}

#[actor(no_serde)]
impl Witness {
    async fn send_crash(&mut self, to: Addr<Doomed>, n: u64, ctx: &mut Context<Self>) -> bool {
        ctx.tell(&to, DoomedCrash { n }).await;
        true
    }

    async fn send_boom(&mut self, to: Addr<HandDoomed>, n: u64, ctx: &mut Context<Self>) -> bool {
        ctx.tell(&to, Boom(n)).await;
        true
    }

    async fn make_child(&mut self, ctx: &mut Context<Self>) -> Addr<Doomed> {
        ctx.create_actor(Doomed).await.unwrap()
    }

    async fn wake_soon(&mut self, ctx: &mut Context<Self>) -> bool {
        ctx.wakeup_after(Duration::from_millis(1), ());
        true
    }

    async fn seen(
        &self,
    ) -> (
        Vec<(Option<u64>, ActorAddress, ActorAddress)>,
        Vec<(&'static str, ActorAddress)>,
    ) {
        (self.poisons.clone(), self.senders.clone())
    }

    #[started]
    async fn begin(&mut self, ctx: &mut Context<Self>) {
        self.senders.push(("started", ctx.sender()));
    }

    #[poisoned]
    async fn on_poison(&mut self, poison: PoisonMessage, ctx: &mut Context<Self>) {
        let n = poison.message.and_then(|m| {
            m.downcast::<DoomedCrash>()
                .map(|c| c.n)
                .or_else(|m| m.downcast::<Boom>().map(|b| b.0))
                .ok()
        });
        self.poisons.push((n, poison.target, ctx.sender()));
    }

    #[child_exited]
    async fn on_child(&mut self, _exited: ChildActorExited, ctx: &mut Context<Self>) {
        self.senders.push(("child_exited", ctx.sender()));
    }

    #[wakeup]
    async fn on_wakeup(&mut self, _wakeup: WakeupMessage, ctx: &mut Context<Self>) {
        self.senders.push(("wakeup", ctx.sender()));
    }
}

/// Waits until the witness has seen `poisons` notices and `senders` hooks.
async fn seen(
    system: &ActorSystem,
    witness: &Addr<Witness>,
    poisons: usize,
    senders: usize,
) -> (
    Vec<(Option<u64>, ActorAddress, ActorAddress)>,
    Vec<(&'static str, ActorAddress)>,
) {
    let deadline = std::time::Instant::now() + T;
    loop {
        system.run_until_idle().await;
        let seen = witness.seen().ask().await.unwrap();
        if (seen.0.len() >= poisons && seen.1.len() >= senders)
            || std::time::Instant::now() > deadline
        {
            return seen;
        }
        // Lets time pass, virtual time too (the wake-up), while driving the system.
        let _ = system.listen(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_poison_notice_carries_a_copy_of_the_message() {
    for system in systems() {
        let doomed = system.create_actor(Doomed).await.unwrap();
        let by_hand = system.create_actor(HandDoomed).await.unwrap();
        let witness = system.create_actor(Witness::default()).await.unwrap();
        assert_eq!(witness.send_crash(doomed.clone(), 7).ask().await, Ok(true));
        assert_eq!(witness.send_boom(by_hand.clone(), 9).ask().await, Ok(true));
        let (poisons, _) = seen(&system, &witness, 2, 0).await;
        assert_eq!(poisons.len(), 2, "{poisons:?}");
        let mut got: Vec<_> = poisons
            .iter()
            .map(|(n, target, _)| (*n, target.clone()))
            .collect();
        got.sort_by_key(|(n, _)| *n);
        assert_eq!(
            got,
            [(Some(7), doomed.address()), (Some(9), by_hand.address())]
        );
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_handler_that_panics_holding_its_reply_handle_poisons_the_ask() {
    for system in systems() {
        let doomed = system.create_actor(Doomed).await.unwrap();
        let asked = doomed.crash_holding().timeout(T).ask().await;
        assert_eq!(asked, Err(AskError::Poisoned(Poison::HolderPanicked)));
        system.shutdown().await;
    }
}

#[tokio::test]
async fn every_hook_has_the_sender_a_user_expects() {
    for system in systems() {
        let witness = system.create_actor(Witness::default()).await.unwrap();
        let me = witness.address();
        // The poisoned hook: the actor that failed.
        let doomed = system.create_actor(Doomed).await.unwrap();
        witness.send_crash(doomed.clone(), 1).ask().await.unwrap();
        // The wake-up: the actor itself. The child's exit: the child.
        witness.wake_soon().ask().await.unwrap();
        let child = witness.make_child().ask().await.unwrap();
        child.request_exit();
        let (poisons, senders) = seen(&system, &witness, 1, 3).await;
        assert_eq!(poisons[0].2, doomed.address(), "poisoned");
        let sender_of = |hook: &str| {
            senders
                .iter()
                .find(|(h, _)| *h == hook)
                .map(|(_, s)| s.clone())
        };
        assert_eq!(sender_of("started"), Some(me.clone()));
        assert_eq!(sender_of("wakeup"), Some(me.clone()));
        assert_eq!(sender_of("child_exited"), Some(child.address()));
        system.shutdown().await;
    }
}
