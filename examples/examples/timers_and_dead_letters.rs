//! Timers and dead letters: an actor schedules wake-ups for itself (`ctx.wakeup_after`, the
//! payload coming back in its `wakeup` hook), and a registered dead-letter handler receives
//! what is sent to an actor that has exited, instead of it vanishing.
//!
//! ```text
//! $ cargo run --example timers_and_dead_letters
//! reminders, in the order they were due: ["stretch", "water", "lunch"]
//! dead letter: a Note("too late") for an actor that has exited
//! dead letters counted: 1
//! ```

use std::error::Error;
use std::time::Duration;

use thespian::prelude::*;
use thespian::{DeadEnvelope, WakeupMessage};

/// Keeps reminders: each is a wake-up with the reminder as its payload.
#[derive(Default)]
struct Reminders {
    fired: Vec<String>,
    /// Who asked for the reminders, answered when the last one fires.
    waiting: Option<(usize, ReplyHandle<Vec<String>>)>,
}

#[actor(no_serde)]
impl Reminders {
    async fn remind(&mut self, what: String, after_ms: u64, ctx: &mut Context<Self>) {
        ctx.wakeup_after(Duration::from_millis(after_ms), what);
    }

    /// Every reminder fired so far, once `count` of them have.
    async fn fired(&mut self, count: usize, reply: ReplyHandle<Vec<String>>) {
        if self.fired.len() >= count {
            let _ = reply.send(self.fired.clone());
        } else {
            self.waiting = Some((count, reply));
        }
    }

    #[wakeup]
    async fn on_wakeup(&mut self, wakeup: WakeupMessage) {
        if let Ok(what) = wakeup.payload.downcast::<String>() {
            self.fired.push(*what);
        }
        if let Some((count, _)) = &self.waiting {
            if self.fired.len() >= *count {
                if let Some((_, reply)) = self.waiting.take() {
                    let _ = reply.send(self.fired.clone());
                }
            }
        }
    }
}

/// A message for the mailbox of an actor that is gone.
#[derive(Debug, Clone, PartialEq)]
struct Note(&'static str);

impl thespian::Message for Note {
    type Reply = ();
}

/// Takes notes, until it is asked to exit.
struct Notebook;

#[actor(no_serde)]
impl Notebook {
    #[receive]
    async fn note(&mut self, _note: Note) {}
}

/// The system's dead-letter handler.
#[derive(Default)]
struct Undelivered {
    seen: Vec<String>,
}

#[actor(no_serde)]
impl Undelivered {
    /// Registers as the handler. It answers (an ask, not a tell), so that the caller knows the
    /// registration is done before it sends anything that could become a dead letter.
    async fn register(&mut self, ctx: &mut Context<Self>) -> bool {
        ctx.register_dead_letters();
        true
    }

    async fn seen(&self) -> Vec<String> {
        self.seen.clone()
    }

    #[dead_letter]
    async fn on_dead_letter(&mut self, dead: DeadEnvelope) {
        let what = match dead.message.downcast::<Note>() {
            Ok(note) => format!("a {note:?}"),
            Err(_) => format!("a {}", dead.message_type),
        };
        self.seen.push(what);
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let system = ActorSystem::new();

    let reminders = system.create_actor(Reminders::default()).await?;
    reminders.remind("lunch".into(), 60).tell().await?;
    reminders.remind("stretch".into(), 20).tell().await?;
    reminders.remind("water".into(), 40).tell().await?;
    let fired = reminders.fired(3).ask().await?;
    println!("reminders, in the order they were due: {fired:?}");

    let undelivered = system.create_actor(Undelivered::default()).await?;
    let registered = undelivered.register().ask().await?;
    assert!(registered);
    let notebook = system.create_actor(Notebook).await?;
    let gone = notebook.wait_for_exit();
    notebook.request_exit();
    gone.await;
    // Sent to an actor that has exited: it becomes a dead letter, handed to the handler.
    system.tell(&notebook, Note("too late")).await;
    // The handler has it once it answers an ask sent after it (one sender, in order).
    for what in undelivered.seen().ask().await? {
        println!("dead letter: {what} for an actor that has exited");
    }
    println!("dead letters counted: {}", system.dead_letter_count());
    system.shutdown().await;
    Ok(())
}
