//! Chapter 7: observing a running system: logs and spans, status, metrics.
//!
//! * **Logs and spans.** The library logs through [`tracing`](https://docs.rs/tracing), so it
//!   shows up wherever the program's own logs go. Set up a subscriber once, at the start of
//!   `main`. With the target `thespian` enabled at `DEBUG`, every message an actor handles runs
//!   in a span named `handle`, with the fields `message_type`, `sender` and `trace`, inside the
//!   actor's own span, `actor` (fields `actor` and `actor_type`):
//!   whatever the handler logs is recorded inside it, and so is what the library reports about
//!   the message (a panic, its retry, a restart, an error nobody waited for). `trace` is a
//!   number that a message carries to another node, so one request can be followed through the
//!   logs of every node it crossed. At `INFO` the spans are off and cost a level check per
//!   message.
//! * **Status.** [`ActorSystem::status`](crate::ActorSystem::status) counts the system's live
//!   actors, queued messages, restarts and dead letters, and lists each actor with its parent,
//!   children, queue and timers.
//! * **Metrics.** With the feature `metrics`, the library publishes handler latency and mailbox
//!   depth per actor type, restarts, poisoned messages, dead letters and live actors through the
//!   [`metrics`](https://docs.rs/metrics) facade, to the exporter the program installs; the
//!   names are in the crate docs (*Observing a running system*).
//!
//! ```
//! use std::time::Duration;
//!
//! use thespian::prelude::*;
//! use tracing_subscriber::EnvFilter;
//!
//! struct Greeter;
//!
//! #[actor]
//! impl Greeter {
//!     async fn greet(&mut self, name: String) -> String {
//!         // Logged inside this message's `handle` span.
//!         tracing::info!(name, "greeting");
//!         format!("Hello, {name}!")
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Once, at the start of `main`. `RUST_LOG`, when set, chooses instead.
//! let filter = EnvFilter::try_from_default_env()
//!     .unwrap_or_else(|_| EnvFilter::new("info,thespian=debug"));
//! tracing_subscriber::fmt().with_env_filter(filter).init();
//!
//! let system = ActorSystem::new();
//! let greeter = system.create_actor(Greeter).await?;
//! assert_eq!(greeter.greet("World".into()).ask().await?, "Hello, World!");
//! // The subscriber printed (with the time first):
//! //  INFO actor{actor=Greeter#2 actor_type=…}:handle{message_type=GreeterGreet sender=outside trace=…}: …: greeting name="World"
//!
//! let status = system.status(Duration::from_secs(1)).await;
//! assert_eq!((status.live_actors, status.dead_letters, status.restarts), (1, 0, 0));
//! system.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! The `tracing_setup` example runs a longer version and shows what each line means.
