//! Who a message is from: sends through an address inside a handler come from the handling actor,
//! on both bases.

mod common;

use std::time::Duration;

use thespian::prelude::*;
use thespian::PoisonMessage;

const SECOND: Duration = Duration::from_secs(1);

/// The two bases every test runs on.
fn systems() -> Vec<ActorSystem> {
    vec![
        ActorSystem::new(),
        #[cfg(feature = "sequential")]
        ActorSystem::builder().sequential().build(),
    ]
}

struct Fragile;

#[actor(no_serde)]
impl Fragile {
    async fn explode(&mut self) {
        panic!("boom");
    }
}

#[derive(Default)]
struct Recorder {
    last: Option<ActorAddress>,
}

#[actor(no_serde)]
impl Recorder {
    async fn note(&mut self, ctx: &Context<Self>) {
        self.last = Some(ctx.sender());
    }

    async fn last(&self) -> Option<ActorAddress> {
        self.last.clone()
    }
}

/// How a relay sends.
#[derive(Debug, Clone, Copy)]
enum Via {
    /// `addr.tell(..)`.
    Tell,
    /// The `#[actor]`-generated method, after an await that lets other tasks run.
    Method,
    /// `Recipient::tell`.
    Recipient,
    /// `ActorAddress::tell_any`.
    Untyped,
    /// `ActorSystem::tell`: from outside, even inside a handler.
    System,
}

/// What a relay's `poisoned` hook passes on to the outside.
struct Caught(&'static str);

struct Relay {
    fragile: Addr<Fragile>,
    recorder: Addr<Recorder>,
}

#[actor(no_serde)]
impl Relay {
    async fn provoke(&mut self, via: Via, ctx: &Context<Self>) -> bool {
        match via {
            Via::Tell => self.fragile.tell(FragileExplode).await.is_ok(),
            Via::Method => {
                common::yield_once().await;
                self.fragile.explode().tell().await.is_ok()
            }
            Via::Recipient => self
                .fragile
                .recipient::<FragileExplode>()
                .tell(FragileExplode)
                .await
                .is_ok(),
            Via::Untyped => self.fragile.address().tell_any(FragileExplode).is_ok(),
            Via::System => {
                ctx.system().tell(&self.fragile, FragileExplode).await;
                true
            }
        }
    }

    async fn pass_note(&mut self, via: Via, ctx: &Context<Self>) -> bool {
        match via {
            Via::Tell => self.recorder.tell(RecorderNote).await.is_ok(),
            Via::Method => {
                common::yield_once().await;
                self.recorder.note().tell().await.is_ok()
            }
            Via::Recipient => self
                .recorder
                .recipient::<RecorderNote>()
                .tell(RecorderNote)
                .await
                .is_ok(),
            Via::Untyped => self.recorder.address().tell_any(RecorderNote).is_ok(),
            Via::System => {
                ctx.system().tell(&self.recorder, RecorderNote).await;
                true
            }
        }
    }

    #[poisoned]
    async fn on_poison(&mut self, poison: PoisonMessage, ctx: &Context<Self>) {
        ctx.send(&ctx.system().outside_address(), Caught(poison.message_type));
    }
}

async fn relay(system: &ActorSystem) -> (Addr<Relay>, Addr<Recorder>) {
    let fragile = system.create_actor(Fragile).await.unwrap();
    let recorder = system.create_actor(Recorder::default()).await.unwrap();
    let relay = Relay {
        fragile,
        recorder: recorder.clone(),
    };
    (system.create_actor(relay).await.unwrap(), recorder)
}

#[tokio::test]
async fn a_send_through_an_address_inside_a_handler_is_from_the_handling_actor() {
    for system in systems() {
        let (relay, recorder) = relay(&system).await;
        for via in [Via::Tell, Via::Method, Via::Recipient, Via::Untyped] {
            assert_eq!(relay.provoke(via).ask().await, Ok(true));
            let heard = system.listen(SECOND).await.unwrap();
            match heard.downcast::<Caught>() {
                Ok(Caught(message)) => assert_eq!(message, "FragileExplode"),
                Err(other) => panic!("{via:?}: the outside heard {other:?}, not the relay"),
            }
            // The note is in the recorder's mailbox before the relay answers.
            assert_eq!(relay.pass_note(via).ask().await, Ok(true));
            let last = recorder.last().ask().await.unwrap();
            assert_eq!(last, Some(relay.address()), "{via:?}");
        }
        system.shutdown().await;
    }
}

#[tokio::test]
async fn the_system_tells_from_outside_even_inside_a_handler() {
    for system in systems() {
        let (relay, recorder) = relay(&system).await;
        assert_eq!(relay.provoke(Via::System).ask().await, Ok(true));
        let heard = system.listen(SECOND).await.unwrap();
        let poison = heard.downcast::<PoisonMessage>().ok().unwrap();
        assert_eq!(poison.message_type, "FragileExplode");
        assert_eq!(relay.pass_note(Via::System).ask().await, Ok(true));
        let last = recorder.last().ask().await.unwrap();
        assert_eq!(last, Some(system.outside_address()));
        system.shutdown().await;
    }
}

#[tokio::test]
async fn a_send_through_an_address_outside_any_actor_is_from_the_outside() {
    for system in systems() {
        let recorder = system.create_actor(Recorder::default()).await.unwrap();
        recorder.note().tell().await.unwrap();
        assert_eq!(
            recorder.last().ask().await.unwrap(),
            Some(system.outside_address())
        );
        system.shutdown().await;
    }
}
