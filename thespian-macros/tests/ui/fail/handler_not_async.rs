// A handler must be `async`; a plain method needs `#[helper]`.
use thespian::prelude::*;

struct A;

#[actor]
impl A {
    fn ping(&mut self) {}
}

fn main() {}
