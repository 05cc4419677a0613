// `#[started]` takes only the optional context, no other argument.
use thespian::prelude::*;

struct A;

#[actor]
impl A {
    async fn ping(&mut self) {}

    #[started]
    async fn on_start(&mut self, ctx: &mut Context<Self>, extra: u8) {
        let _ = (ctx, extra);
    }
}

fn main() {}
