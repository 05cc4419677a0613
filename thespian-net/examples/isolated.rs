//! An actor in a process of its own: a parser wrapping a crash-prone call (a C library that may
//! abort, say) crashes three times, and the program, supervised, goes on each time with a fresh
//! parser in a fresh process, at the same address.
//!
//! ```text
//! $ cargo run --example isolated
//! parsed "hello": 5 bytes
//! crash 1: the request failed, the parser's process died; parsed "again": 5 bytes, in a fresh process
//! crash 2: the request failed, the parser's process died; parsed "again": 5 bytes, in a fresh process
//! crash 3: the request failed, the parser's process died; parsed "again": 5 bytes, in a fresh process
//! the program survived 3 crashes
//! ```

use std::error::Error;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thespian::prelude::*;
use thespian::{ActorOptions, Supervision};
use thespian_net::Processes;

#[derive(Serialize, Deserialize, Default)]
struct Parser {
    parsed: u64,
}

#[actor]
impl Parser {
    async fn parse(&mut self, input: String) -> usize {
        if input == "crash" {
            // Stands for a segmentation fault deep in a C library: no unwinding, no cleanup.
            std::process::abort();
        }
        self.parsed += 1;
        input.len()
    }

    async fn pid(&self) -> u32 {
        std::process::id()
    }
}

/// Asks `parse` again while the parser's fresh process starts.
async fn parse_again(parser: &Addr<Parser>) -> Result<usize, Box<dyn Error>> {
    for _ in 0..200 {
        if let Ok(n) = parser.parse("again".into()).ask().await {
            return Ok(n);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err("the parser did not come back".into())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // In a child process of the process base, this serves the parser and never returns.
    thespian_net::process::serve_if_child(|types| {
        types.register::<Parser>();
    });

    let system = ActorSystem::new();
    let _processes = Processes::start(&system).await?;
    let options = ActorOptions::new()
        .in_own_process()
        .supervision(Supervision::restart(Parser::default).at_most(5, Duration::from_secs(60)));
    let parser = system.create_actor_with(Parser::default(), options).await?;
    println!(
        "parsed \"hello\": {} bytes",
        parser.parse("hello".into()).ask().await?
    );

    for crash in 1..=3 {
        let before = parser.pid().ask().await?;
        let failed = parser.parse("crash".into()).ask().await.is_err();
        let parsed = parse_again(&parser).await?;
        let fresh = parser.pid().ask().await? != before;
        println!(
            "crash {crash}: {}; parsed \"again\": {parsed} bytes, {}",
            match failed {
                true => "the request failed, the parser's process died",
                false => "the request did not fail",
            },
            match fresh {
                true => "in a fresh process",
                false => "in the same process",
            }
        );
    }
    println!("the program survived 3 crashes");
    system.shutdown().await;
    Ok(())
}
