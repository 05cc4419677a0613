//! Hello World: one actor, one ask, one exit request.
//!
//! The Thespian original creates a `Hello` actor, asks it `'hi'` with a one-second timeout, prints
//! the answer, and tells it `ActorExitRequest()`. The same program here:
//!
//! The same program runs on the sequential base with `cargo run --example hello -- --sequential`.
//!
//! ```text
//! $ cargo run --example hello
//! Hello, World!
//! ```

use std::error::Error;
use std::time::Duration;

use thespian::prelude::*;

struct Hello;

#[actor]
impl Hello {
    /// Any greeting gets the same answer.
    async fn hi(&mut self) -> String {
        "Hello, World!".to_string()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // `--sequential` runs the same actors on the sequential base (Thespian's simpleSystemBase).
    let system = if std::env::args().any(|a| a == "--sequential") {
        ActorSystem::builder().sequential().build()
    } else {
        ActorSystem::new()
    };
    let hello = system.create_actor(Hello).await?;
    println!(
        "{}",
        system.ask(&hello, HelloHi, Duration::from_secs(1)).await?
    );
    hello.request_exit();
    system.shutdown().await;
    Ok(())
}
