//! A message whose conversion (`From`) panics as it is sent: the panic is the sender's, and the
//! actor, its other messages and (on the sequential base) the system's order of turns are
//! unaffected.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use thespian::prelude::*;

#[derive(Default)]
struct Tally {
    seen: u64,
}

enum TallyMessage {
    Add(u64),
    Total,
}

impl Message for TallyMessage {
    type Reply = u64;
}
impl Mail for TallyMessage {}

/// Converting it into a tally message panics.
struct Unconvertible;

impl From<Unconvertible> for TallyMessage {
    fn from(_: Unconvertible) -> Self {
        panic!("this conversion fails")
    }
}

impl Actor for Tally {
    type Message = TallyMessage;

    async fn handle(&mut self, message: TallyMessage, ctx: &mut Context<Self>) {
        match message {
            TallyMessage::Add(n) => self.seen += n,
            TallyMessage::Total => ctx.reply(self.seen),
        }
    }
}

const TIMEOUT: Duration = Duration::from_secs(5);

async fn a_panicking_conversion_loses_nothing_else(system: ActorSystem) {
    let tally = system.create_actor(Tally::default()).await.unwrap();
    tally.tell(TallyMessage::Add(1)).await.unwrap();
    // A `Tell` sends as it is made: making it is enough (the panic comes from there).
    let sent = std::panic::catch_unwind(AssertUnwindSafe(|| drop(tally.tell(Unconvertible))));
    assert!(sent.is_err(), "the conversion's panic is the sender's");
    tally.tell(TallyMessage::Add(2)).await.unwrap();
    assert_eq!(tally.ask(TallyMessage::Total, TIMEOUT).await, Ok(3));
    assert!(tally.is_alive());
    system.shutdown().await;
}

#[tokio::test]
async fn on_the_default_base() {
    a_panicking_conversion_loses_nothing_else(ActorSystem::new()).await;
}

#[cfg(feature = "sequential")]
#[tokio::test]
async fn on_the_sequential_base_turns_stay_matched_to_messages() {
    a_panicking_conversion_loses_nothing_else(ActorSystem::builder().sequential().build()).await;
}
