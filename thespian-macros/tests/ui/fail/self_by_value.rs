// A handler cannot consume the actor: it takes `&mut self` or `&self`, not `self`.
use thespian::prelude::*;

struct A;

#[actor]
impl A {
    async fn ping(self) {}
}

fn main() {}
