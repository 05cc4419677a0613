//! Hello World Redux: three actors pass a greeting along, and the last one answers the original ask.
//!
//! As in the Thespian original, `Hello` creates a `World` and a `Punctuate` actor, gives the
//! greeting a route (first `Punctuate`, then whoever asked), and sends it to `World`. Each actor
//! adds its part and passes it to the next stop of the route. Actor addresses and the asker's reply
//! handle travel inside the message. After the exit request, the third ask has no actor to answer
//! it and prints `None`, as Thespian's `ask` returns `None`.
//!
//! The same program runs on the sequential base with `cargo run --example hello_redux -- --sequential`
//! (add `--trace` to print every message it handled, in order).
//!
//! ```text
//! $ cargo run --example hello_redux
//! Hello, World!
//! Hello, World!
//! None
//! ```

use std::error::Error;
use std::time::Duration;

use thespian::prelude::*;

/// A greeting on its way, with the stops it still has to make.
struct Greeting {
    message: String,
    send_to: Vec<Stop>,
}

impl Message for Greeting {
    type Reply = ();
}

/// One stop of a greeting's route: an actor that accepts greetings, or the original asker.
enum Stop {
    Actor(Recipient<Greeting>),
    Asker(ReplyHandle<String>),
}

impl Greeting {
    /// Sends the greeting on to its next stop.
    async fn forward<A: Actor>(mut self, ctx: &Context<A>) {
        if self.send_to.is_empty() {
            return;
        }
        match self.send_to.remove(0) {
            Stop::Actor(next) => ctx.tell(&next, self).await,
            Stop::Asker(reply) => {
                let _ = reply.send(self.message);
            }
        }
    }
}

struct Hello;

#[actor(no_serde)]
impl Hello {
    async fn hi(&mut self, reply: ReplyHandle<String>, ctx: &mut Context<Self>) {
        let Ok(world) = ctx.create_actor(World).await else {
            return;
        };
        let Ok(punct) = ctx.create_actor(Punctuate).await else {
            return;
        };
        let greeting = Greeting {
            message: "Hello".to_string(),
            send_to: vec![Stop::Actor(punct.recipient()), Stop::Asker(reply)],
        };
        ctx.tell(&world, greeting).await;
    }
}

struct World;

#[actor(no_serde)]
impl World {
    #[receive]
    async fn greet(&mut self, mut greeting: Greeting, ctx: &mut Context<Self>) {
        greeting.message.push_str(", World");
        greeting.forward(ctx).await;
    }
}

struct Punctuate;

#[actor(no_serde)]
impl Punctuate {
    #[receive]
    async fn greet(&mut self, mut greeting: Greeting, ctx: &mut Context<Self>) {
        greeting.message.push('!');
        greeting.forward(ctx).await;
    }
}

/// Prints an ask's answer, or `None` when there was none (Thespian's `print(ask(...))`).
fn show(answer: Result<String, AskError>) {
    match answer {
        Ok(text) => println!("{text}"),
        Err(_) => println!("None"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // `--sequential` runs the same actors on the sequential base (Thespian's simpleSystemBase).
    // `--trace` also records every message handled (sequential base only) and prints the trace
    // on stderr at the end.
    let trace = std::env::args().any(|a| a == "--trace");
    let system = if trace {
        ActorSystem::builder().trace().build()
    } else if std::env::args().any(|a| a == "--sequential") {
        ActorSystem::builder().sequential().build()
    } else {
        ActorSystem::new()
    };
    let hello = system.create_actor(Hello).await?;
    let timeout = Duration::from_millis(200);
    show(system.ask(&hello, HelloHi, timeout).await);
    show(system.ask(&hello, HelloHi, timeout).await);
    hello.request_exit();
    show(system.ask(&hello, HelloHi, timeout).await);
    system.shutdown().await;
    for entry in system.trace() {
        eprintln!("{entry}");
    }
    Ok(())
}
