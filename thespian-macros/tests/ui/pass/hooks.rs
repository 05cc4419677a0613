// Every hook attribute, a capability check and a helper, with and without the context argument.
use thespian::prelude::*;

struct A {
    log: Vec<String>,
}

#[actor]
impl A {
    async fn ping(&mut self) {}

    #[started]
    async fn on_start(&mut self, ctx: &mut Context<Self>) {
        let _ = ctx;
        self.note("started");
    }

    #[stopping]
    async fn on_stop(&mut self) {
        self.note("stopping");
    }

    #[child_exited]
    async fn on_child(&mut self, exited: thespian::ChildActorExited, ctx: &mut Context<Self>) {
        let _ = (exited, ctx);
    }

    #[dead_letter]
    async fn on_dead(&mut self, envelope: thespian::DeadEnvelope) {
        let _ = envelope;
    }

    #[poisoned]
    async fn on_poison(&mut self, ctx: &Context<Self>, poison: thespian::PoisonMessage) {
        let _ = (ctx, poison);
    }

    #[capability_check]
    fn check(c: &thespian::Capabilities, r: &thespian::Capabilities) -> bool {
        let _ = (c, r);
        true
    }

    #[helper]
    fn note(&mut self, what: &str) {
        self.log.push(what.to_string());
    }
}

fn main() {
    let _ = A { log: Vec::new() };
    let _ = APing;
    let _ = <A as Actor>::capability_check;
}
