// An actor cannot borrow: no lifetime parameters on its `impl`.
use thespian::prelude::*;

struct A<'a>(&'a str);

#[actor]
impl<'a> A<'a> {
    async fn ping(&mut self) {}
}

fn main() {}
