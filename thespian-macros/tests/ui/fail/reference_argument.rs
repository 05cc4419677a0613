// A message field cannot borrow: `&str` must be `String`.
use thespian::prelude::*;

struct A;

#[actor]
impl A {
    async fn greet(&mut self, name: &str) {
        let _ = name;
    }
}

fn main() {}
