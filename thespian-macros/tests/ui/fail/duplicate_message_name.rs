// Two handlers whose names make the same message type (`AGetTotal`).
use thespian::prelude::*;

struct A;

#[actor]
impl A {
    async fn get_total(&self) -> u64 {
        0
    }

    async fn get__total(&self) -> u64 {
        1
    }
}

fn main() {}
