// A handler cannot have type parameters of its own.
use thespian::prelude::*;

struct A;

#[actor]
impl A {
    async fn f<T>(&mut self, t: T) {
        let _ = t;
    }
}

fn main() {}
