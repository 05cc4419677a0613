// An actor needs at least one handler; helpers alone are not enough.
use thespian::prelude::*;

struct A;

#[actor]
impl A {
    #[helper]
    fn new() -> Self {
        A
    }
}

fn main() {}
