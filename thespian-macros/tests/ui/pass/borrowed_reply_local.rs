// A local-only actor (`no_serde`) may answer with a borrowed `'static` value.
use thespian::prelude::*;

struct Greeter;

#[actor(no_serde)]
impl Greeter {
    async fn greet(&self) -> &'static str {
        "hello"
    }
}

async fn greeting(greeter: &Addr<Greeter>) -> Result<&'static str, AskError> {
    greeter.greet().ask().await
}

fn main() {
    let _ = greeting;
    let _ = Greeter;
}
