//! Chapter 3: process isolation.
//!
//! A panic in a handler is caught (core guide, chapter 3). An abort, a stack overflow or a
//! segmentation fault in a C library is not: it ends the whole process, every actor in it.
//! For an actor that may do that, run it in a child process of its own. Then a crash ends only
//! that process, and its parent hears how (Thespian's multiprocess bases).
//!
//! A program opts in twice:
//!
//! 1. **At the top of `main`**, [`process::serve_if_child`](crate::process::serve_if_child)
//!    registers the actor types a child may run. The child processes are the program's own
//!    executable, started again: in such a child this call serves the one actor and never
//!    returns; in the program itself it returns at once. (A new process can run only an
//!    executable, and this one is the one that knows the actor types.)
//! 2. **A process base**, [`Processes::start`](crate::Processes::start) (or
//!    [`Processes::install`](crate::Processes::install) on a system networked already). Then
//!    every actor created with
//!    [`ActorOptions::in_own_process`](thespian::ActorOptions::in_own_process) runs in a
//!    process of its own. Its type must be serde: its initial value travels to the child.
//!
//! The address handed back is a local stand-in's. Messages, asks, exit requests and watches
//! behave as for an actor of another node (they travel encoded, over loopback TCP sealed with
//! a secret made for the run). When the process ends without its actor exiting, the stand-in
//! ends with [`ExitReason::ProcessEnded`](thespian::ExitReason::ProcessEnded), naming the exit
//! status or signal; asks waiting on it fail at once; the program and every other actor go
//! on. Every child is reaped, and a child exits when its parent ends, however it ends.
//!
//! **The rule that matters:** supervision works across the process boundary. Under
//! [`Supervision::restart`](thespian::Supervision::restart) a crash starts a fresh process
//! with a fresh actor from the factory, at the same address, within the same restart
//! intensity as in-process restarts. Messages that reach the stand-in while the new process
//! starts wait for it; those already forwarded to the dead one fail like messages to a lost
//! node. (`cargo run -p thespian-net --example isolated` shows three crashes and restarts.)
//!
//! The example is a whole program, `main` included, because its child processes are copies of
//! its own executable. It runs as a doc test too: the test's executable is such a program.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use thespian::prelude::*;
//! use thespian_net::Processes;
//!
//! #[derive(Serialize, Deserialize, Default)]
//! struct Parser { parsed: u64 }
//!
//! #[actor]
//! impl Parser {
//!     async fn parse(&mut self, input: String) -> usize {
//!         if input == "crash" {
//!             // Stands for a segmentation fault deep in a C library: no unwinding.
//!             std::process::abort();
//!         }
//!         self.parsed += 1;
//!         input.len()
//!     }
//!
//!     async fn pid(&self) -> u32 { std::process::id() }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // In a child process of the process base, this serves the parser and never returns.
//!     thespian_net::process::serve_if_child(|types| {
//!         types.register::<Parser>();
//!     });
//!
//!     let system = ActorSystem::new();
//!     let processes = Processes::start(&system).await?;
//!     let options = ActorOptions::new().in_own_process();
//!     let parser = system.create_actor_with(Parser::default(), options).await?;
//!     assert_ne!(parser.pid().ask().await?, std::process::id()); // another process
//!     assert_eq!(parser.parse("text".into()).ask().await?, 4);
//!     assert_eq!(processes.running().len(), 1);
//!
//!     let ended = parser.wait_for_exit();
//!     assert!(parser.parse("crash".into()).ask().await.is_err()); // fails at once
//!     match ended.await {
//!         ExitReason::ProcessEnded(how) => assert!(how.contains("SIGABRT"), "{how}"),
//!         other => panic!("expected the process to end, got {other}"),
//!     }
//!     assert!(processes.running().is_empty()); // reaped
//!     system.shutdown().await;                 // the program went on
//!     Ok(())
//! }
//! ```
