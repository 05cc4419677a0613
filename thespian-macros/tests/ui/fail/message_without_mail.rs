// A hand-written actor's message type must implement `Mail`; the error says how.
use thespian::prelude::*;

enum Command {
    Go,
}

struct Runner;

impl Actor for Runner {
    type Message = Command;

    async fn handle(&mut self, message: Command, _ctx: &mut Context<Self>) {
        let Command::Go = message;
    }
}

fn main() {}
