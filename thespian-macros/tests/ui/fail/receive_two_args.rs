// A `#[receive]` handler takes exactly one existing message.
use thespian::prelude::*;

struct Ping;
impl Message for Ping {
    type Reply = ();
}

struct A;

#[actor]
impl A {
    #[receive]
    async fn ping(&mut self, a: Ping, b: Ping) {
        let _ = (a, b);
    }
}

fn main() {}
