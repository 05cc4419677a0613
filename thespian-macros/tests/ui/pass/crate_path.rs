// `#[actor(crate = ...)]`: the generated code reaches thespian by the path given, as when the
// dependency is renamed in Cargo.toml (here, an alias of the extern crate).
extern crate thespian as stage;

use stage::prelude::*;

#[derive(Default)]
struct Tally(u64);

#[actor(crate = ::stage)]
impl Tally {
    async fn add(&mut self, n: u64) {
        self.0 += n;
    }

    async fn total(&self) -> u64 {
        self.0
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = ActorSystem::new();
    let tally = system.create_actor(Tally::default()).await.unwrap();
    tally.add(2).tell().await.unwrap();
    assert_eq!(tally.total().ask().await, Ok(2));
    system.shutdown().await;
}
