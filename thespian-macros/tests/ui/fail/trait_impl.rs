// `#[actor]` goes on an inherent impl, not a trait impl.
use thespian::prelude::*;

trait Ping {
    async fn ping(&mut self);
}

struct A;

#[actor]
impl Ping for A {
    async fn ping(&mut self) {}
}

fn main() {}
