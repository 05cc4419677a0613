// A handler answering through a `ReplyHandle` cannot also return the answer.
use thespian::prelude::*;

struct A;

#[actor]
impl A {
    async fn get(&mut self, reply: ReplyHandle<u32>) -> u32 {
        drop(reply);
        0
    }
}

fn main() {}
