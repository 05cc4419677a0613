// A reply that borrows cannot be decoded on another node: the error says so at the return type,
// and names both ways out.
use thespian::prelude::*;

struct Greeter;

#[actor]
impl Greeter {
    async fn greet(&self) -> &'static str {
        "hello"
    }
}

fn main() {
    let _ = Greeter;
}
