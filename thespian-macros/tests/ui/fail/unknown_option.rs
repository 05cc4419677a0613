// An unknown `#[actor(...)]` option.
use thespian::prelude::*;

struct A;

#[actor(bogus)]
impl A {
    async fn ping(&mut self) {}
}

fn main() {}
