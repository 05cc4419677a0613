// Retries are asked for: on the actor, on one handler, on a `#[receive]` handler. A message whose
// handler did not ask is not retried, `Clone` or not.
use thespian::prelude::*;

#[derive(Clone)]
struct Ping;

impl Message for Ping {
    type Reply = ();
}

struct Mixed;

#[actor(no_serde)]
impl Mixed {
    #[message(retry)]
    async fn again(&mut self, text: String) {
        let _ = text;
    }

    #[message(name = "Named", retry)]
    async fn renamed(&mut self) {}

    #[receive(retry)]
    async fn ping(&mut self, ping: Ping) {
        let _ = ping;
    }

    async fn once(&mut self, text: String) {
        let _ = text;
    }
}

struct All;

#[actor(no_serde, retry, derive(Clone))]
impl All {
    async fn first(&mut self, n: u8) {
        let _ = n;
    }

    async fn second(&mut self) {}
}

fn main() {
    let retried = |m: MixedMessage| <MixedMessage as Mail>::retried(&m);
    assert!(retried(MixedAgain { text: "a".into() }.into()));
    assert!(retried(Named.into()));
    assert!(retried(Ping.into()));
    assert!(!retried(MixedOnce { text: "a".into() }.into()));
    // The retried message derives `Clone`, so it can be copied for the retry.
    let copy = <MixedMessage as Mail>::copy(&MixedAgain { text: "a".into() }.into());
    assert!(copy.is_some());
    assert!(<AllMessage as Mail>::retried(&AllFirst { n: 1 }.into()));
    assert!(<AllMessage as Mail>::retried(&AllSecond.into()));
}
