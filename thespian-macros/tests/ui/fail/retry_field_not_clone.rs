// `#[message(retry)]` derives `Clone` for the message: an argument that cannot be cloned is an
// error.
use thespian::prelude::*;

struct A;

#[actor(no_serde)]
impl A {
    #[message(retry)]
    async fn lock(&mut self, guard: std::sync::Mutex<u8>) {
        let _ = guard;
    }
}

fn main() {}
