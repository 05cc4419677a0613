//! Reply forwarding: a handler that takes a `ReplyHandle<T>` argument does not have to answer
//! itself. It can pass the handle, inside a message, to another actor, which answers the original
//! asker directly. The front desk here routes each question to whoever knows, and is free for the
//! next one at once: it never waits for an answer (no ask from actor to actor), and the answers
//! do not pass back through it.
//!
//! A handle dropped without an answer fails the ask at once with `AskError::NoReply`, instead of
//! leaving the asker to wait for its timeout.
//!
//! ```text
//! $ cargo run --example reply_forwarding
//! "When do you open?" -> "the clerk: at nine"
//! "The boiler is leaking" -> "the plumber: fixed"
//! "Can I pay in gold?" -> no answer: the actor did not reply
//! the front desk forwarded 3 questions and answered none itself
//! ```

use std::error::Error;

use thespian::prelude::*;

/// A question on its way to whoever answers it, with the asker's reply handle.
struct Question {
    text: String,
    reply: ReplyHandle<String>,
}

/// Told, not asked: the answer goes through `reply`, not back to the front desk.
impl Message for Question {
    type Reply = ();
}

struct FrontDesk {
    clerk: Addr<Clerk>,
    plumber: Addr<Plumber>,
    forwarded: u32,
}

#[actor(no_serde)]
impl FrontDesk {
    /// Asked with the question alone: the macro gives the handler the asker's reply handle.
    async fn question(
        &mut self,
        text: String,
        reply: ReplyHandle<String>,
        ctx: &mut Context<Self>,
    ) {
        let question = Question { text, reply };
        self.forwarded += 1;
        if question.text.contains("boiler") {
            ctx.tell(&self.plumber, question).await;
        } else {
            ctx.tell(&self.clerk, question).await;
        }
    }

    async fn forwarded(&self) -> u32 {
        self.forwarded
    }
}

struct Clerk;

#[actor(no_serde)]
impl Clerk {
    #[receive]
    async fn answer(&mut self, question: Question) {
        if question.text.contains("open") {
            let _ = question.reply.send("the clerk: at nine".to_owned());
        }
        // Anything else: the handle is dropped here, and the asker hears `NoReply` at once.
    }
}

struct Plumber;

#[actor(no_serde)]
impl Plumber {
    #[receive]
    async fn answer(&mut self, question: Question) {
        let _ = question.reply.send("the plumber: fixed".to_owned());
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let system = ActorSystem::new();
    let desk = FrontDesk {
        clerk: system.create_actor(Clerk).await?,
        plumber: system.create_actor(Plumber).await?,
        forwarded: 0,
    };
    let desk = system.create_actor(desk).await?;

    for text in [
        "When do you open?",
        "The boiler is leaking",
        "Can I pay in gold?",
    ] {
        match desk.question(text.to_owned()).ask().await {
            Ok(answer) => println!("{text:?} -> {answer:?}"),
            Err(error) => println!("{text:?} -> no answer: {error}"),
        }
    }
    let forwarded = desk.forwarded().ask().await?;
    println!("the front desk forwarded {forwarded} questions and answered none itself");
    system.shutdown().await;
    Ok(())
}
