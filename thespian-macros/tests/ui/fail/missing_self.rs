// A handler must take `&mut self` or `&self` first.
use thespian::prelude::*;

struct A;

#[actor]
impl A {
    async fn ping(n: u8) {
        let _ = n;
    }
}

fn main() {}
