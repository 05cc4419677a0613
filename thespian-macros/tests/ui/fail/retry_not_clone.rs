// A retried message is copied for its retry: `#[receive(retry)]` needs a `Clone` message, and
// says so at `retry`.
use thespian::prelude::*;

struct Ping;

impl Message for Ping {
    type Reply = ();
}

struct A;

#[actor(no_serde)]
impl A {
    #[receive(retry)]
    async fn ping(&mut self, ping: Ping) {
        let _ = ping;
    }
}

fn main() {}
