// `#[actor(crate = ...)]` is the path the generated code uses: a wrong one is one error, at the
// option.
use thespian::prelude::*;

struct Lost;

#[actor(crate = ::not_thespian, no_serde)]
impl Lost {
    async fn ping(&mut self) {}
}

fn main() {}
