// Two actors of one module with handlers of the same name, and a handler named like a type of
// the module: each message type is named after its actor, so none of them collide.
use thespian::prelude::*;

/// A type of the user's, named like the handler `total` of both actors below.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Total(u64);

#[derive(Default)]
struct Left {
    sum: u64,
}

#[actor]
impl Left {
    async fn add(&mut self, n: u64) {
        self.sum += n;
    }

    async fn total(&self) -> Total {
        Total(self.sum)
    }
}

#[derive(Default)]
struct Right {
    sum: u64,
}

#[actor]
impl Right {
    async fn add(&mut self, n: u64) {
        self.sum += 2 * n;
    }

    async fn total(&self) -> Total {
        Total(self.sum)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = ActorSystem::new();
    let left = system.create_actor(Left::default()).await.unwrap();
    let right = system.create_actor(Right::default()).await.unwrap();
    left.add(1).tell().await.unwrap();
    right.add(1).tell().await.unwrap();
    system.tell(&left, LeftAdd { n: 2 }).await;
    system.tell(&right, RightAdd { n: 2 }).await;
    assert_eq!(left.total().ask().await, Ok(Total(3)));
    assert_eq!(right.total().ask().await, Ok(Total(6)));
    let _: LeftMessage = LeftTotal.into();
    let _: RightMessage = RightTotal.into();
    system.shutdown().await;
}
