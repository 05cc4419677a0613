// The error of a handler returning a `Result` is reported when the message was told, so it must
// be `Debug`: the error points at the return type.
use thespian::prelude::*;

struct Secret;

#[derive(Default)]
struct Vault;

#[actor(no_serde)]
impl Vault {
    async fn open(&mut self) -> Result<(), Secret> {
        Err(Secret)
    }
}

fn main() {
    let _ = Vault;
}
