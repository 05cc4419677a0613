//! Backpressure: a bounded mailbox holds at most so many messages. When it is full, `tell` waits
//! for room (a fast sender is slowed to the pace of a slow actor, instead of filling memory), and
//! `try_tell`, which never waits, fails with `TrySendError::Full(msg)`, handing the message back.
//! Either way nothing is lost.
//!
//! A printer whose tray (its mailbox) holds 4 pages runs out of paper: it waits in a handler,
//! while pages pile up in the tray.
//!
//! ```text
//! $ cargo run --example backpressure
//! try_tell: pages 1 to 4 queued, 4 in the tray
//! try_tell: page 5 refused (mailbox is full), and handed back
//! tell: page 5 waits for room
//! paper loaded: page 5 went in
//! tell: pages 6 to 12 sent, each waiting for room as needed
//! printed, in order: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
//! ```

use std::error::Error;
use std::time::Duration;

use thespian::prelude::*;
use thespian::{ActorOptions, TrySendError};
use tokio::sync::oneshot;

const TRAY: usize = 4;

#[derive(Default)]
struct Printer {
    printed: Vec<u32>,
}

#[actor(no_serde)]
impl Printer {
    async fn print(&mut self, page: u32) {
        self.printed.push(page);
    }

    /// Says it has noticed, then waits for paper: meanwhile its mailbox only fills.
    async fn out_of_paper(&mut self, noticed: oneshot::Sender<()>, paper: oneshot::Receiver<()>) {
        let _ = noticed.send(());
        let _ = paper.await;
    }

    async fn printed(&self) -> Vec<u32> {
        self.printed.clone()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let system = ActorSystem::new();
    let options = ActorOptions::new().mailbox_capacity(TRAY);
    let printer = system
        .create_actor_with(Printer::default(), options)
        .await?;

    // Hold the printer inside a handler, so that what is sent now stays in its mailbox.
    let (noticed, has_noticed) = oneshot::channel();
    let (load_paper, paper) = oneshot::channel();
    printer.out_of_paper(noticed, paper).tell().await?;
    has_noticed.await?;

    for page in 1..=4 {
        printer.print(page).try_tell()?;
    }
    println!(
        "try_tell: pages 1 to 4 queued, {} in the tray",
        printer.queue_len()
    );
    let page5 = match printer.print(5).try_tell() {
        Err(TrySendError::Full(page)) => {
            println!(
                "try_tell: page {} refused (mailbox is full), and handed back",
                page.page
            );
            page
        }
        Err(other) => return Err(other.into()),
        Ok(()) => return Err("a full tray took a fifth page".into()),
    };

    // The refused message, sent again with `tell`: it waits for room. (A zero timeout is not a
    // sleep: it polls the tell once, to show it is still waiting.)
    let mut waiting = printer.tell(page5);
    if tokio::time::timeout(Duration::ZERO, &mut waiting)
        .await
        .is_ok()
    {
        return Err("a full tray took page 5".into());
    }
    println!("tell: page 5 waits for room");
    let _ = load_paper.send(());
    waiting.await?;
    println!("paper loaded: page 5 went in");

    // A sender faster than the printer: each `tell` returns once its page is in the tray.
    for page in 6..=12 {
        printer.print(page).tell().await?;
    }
    println!("tell: pages 6 to 12 sent, each waiting for room as needed");

    // One sender, in order: the ask is answered after every page before it.
    println!("printed, in order: {:?}", printer.printed().ask().await?);
    system.shutdown().await;
    Ok(())
}
