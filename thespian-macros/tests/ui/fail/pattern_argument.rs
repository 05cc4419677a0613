// A handler argument becomes a message field, so it needs a plain name, not a pattern.
use thespian::prelude::*;

struct A;

#[actor]
impl A {
    async fn add(&mut self, (a, b): (u8, u8)) {
        let _ = a + b;
    }
}

fn main() {}
