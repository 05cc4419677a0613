//! An actor written without `#[actor]`: the message enum and the `match` by hand, as in
//! Thespian's `receiveMessage`. Everything `#[actor]` generates can be written this way.
//!
//! ```text
//! $ cargo run --example counter_by_hand
//! total: 15
//! ```

use std::error::Error;
use std::time::Duration;

use thespian::prelude::*;

#[derive(Default)]
struct Counter {
    total: u64,
}

/// Every message of the counter.
enum CounterMessage {
    /// Adds to the total; told.
    Add(u64),
    /// Asks for the total.
    Total,
}

/// The reply to an ask of a `CounterMessage` (only `Total` is asked).
impl Message for CounterMessage {
    type Reply = u64;
}
impl Mail for CounterMessage {}

impl Actor for Counter {
    type Message = CounterMessage;

    async fn handle(&mut self, message: CounterMessage, ctx: &mut Context<Self>) {
        match message {
            CounterMessage::Add(n) => self.total += n,
            CounterMessage::Total => ctx.reply(self.total),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let system = ActorSystem::new();
    let counter = system.create_actor(Counter::default()).await?;
    for n in 1..=5 {
        system.tell(&counter, CounterMessage::Add(n)).await;
    }
    let total = system
        .ask(&counter, CounterMessage::Total, Duration::from_secs(1))
        .await?;
    println!("total: {total}");
    system.shutdown().await;
    Ok(())
}
