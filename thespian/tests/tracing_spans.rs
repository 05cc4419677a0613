//! Every handled message runs in a `handle` span, inside its actor's `actor` span, once a
//! subscriber enables `thespian` at DEBUG: what the handler logs is recorded inside it, with the
//! actor, the message type, the sender and the trace; a failing message keeps its span through its retry. A message one handler
//! tells another actor of the same node carries its trace with the feature `local-traces` only.

mod common;

use common::Log;
use thespian::prelude::*;

/// The value of `field=` in a span's fields on a line.
fn field(line: &str, name: &str) -> String {
    let start = line.find(&format!("{name}=")).expect("the field") + name.len() + 1;
    line[start..]
        .split([' ', '}'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[derive(Default)]
struct Clerk {
    failed_once: bool,
}

#[actor]
impl Clerk {
    async fn file(&mut self, n: u32) -> u32 {
        tracing::info!("filing {n}");
        n * 2
    }

    /// Fails its first attempt; the retry succeeds.
    #[message(retry)]
    async fn flaky(&mut self, n: u32) -> u32 {
        if !std::mem::replace(&mut self.failed_once, true) {
            tracing::info!("flaky attempt 1");
            panic!("first attempt");
        }
        tracing::info!("flaky attempt 2");
        n
    }
}

#[tokio::test]
async fn a_handler_logs_inside_its_span_with_actor_message_sender_and_trace() {
    let (log, _default) = Log::capture("thespian=debug,tracing_spans=info");

    let system = ActorSystem::new();
    let clerk = system.create_actor(Clerk::default()).await.unwrap();
    assert_eq!(clerk.file(1).ask().await, Ok(2));
    assert_eq!(clerk.file(2).ask().await, Ok(4));
    assert_eq!(clerk.flaky(5).ask().await, Ok(5));
    system.shutdown().await;

    let first = log.line("filing 1");
    assert!(first.contains("handle{"), "{first}");
    // Each message's span is inside its actor's.
    let (actor, handle) = (first.find("actor{"), first.find("handle{"));
    assert!(actor.is_some() && actor < handle, "{first}");
    assert!(field(&first, "actor_type").contains("Clerk"), "{first}");
    assert!(field(&first, "actor").contains("Clerk"), "{first}");
    assert!(field(&first, "message_type").contains("File"), "{first}");
    assert_eq!(field(&first, "sender"), "outside");
    let second = log.line("filing 2");
    assert_ne!(field(&first, "trace"), field(&second, "trace"));
    // The retry runs in the failed attempt's span: same trace, both attempts inside it.
    let attempt_1 = log.line("flaky attempt 1");
    let attempt_2 = log.line("flaky attempt 2");
    assert!(
        field(&attempt_1, "message_type").contains("Flaky"),
        "{attempt_1}"
    );
    assert_eq!(field(&attempt_1, "trace"), field(&attempt_2, "trace"));
}

/// Passes a number on to a clerk.
struct Desk;

#[actor]
impl Desk {
    async fn pass(&mut self, to: Addr<Clerk>, n: u32) {
        tracing::info!("passing {n}");
        to.file(n).tell().await.expect("the clerk is alive");
    }
}

/// The trace of the desk's handler and of the clerk's, which a message the first told the
/// second links.
async fn traces_of_a_local_hand_over() -> (String, String) {
    let (log, _default) = Log::capture("thespian=debug,tracing_spans=info");
    let system = ActorSystem::new();
    let clerk = system.create_actor(Clerk::default()).await.unwrap();
    let desk = system.create_actor(Desk).await.unwrap();
    desk.pass(clerk.clone(), 7).ask().await.unwrap();
    // Handled after the desk's message, which arrived first.
    assert_eq!(clerk.file(8).ask().await, Ok(16));
    system.shutdown().await;
    let passing = log.line("passing 7");
    let filing = log.line("filing 7");
    assert!(field(&filing, "sender").contains("Desk"), "{filing}");
    (field(&passing, "trace"), field(&filing, "trace"))
}

#[cfg(feature = "local-traces")]
#[tokio::test]
async fn with_local_traces_a_message_told_within_a_node_carries_its_senders_trace() {
    let (desk, clerk) = traces_of_a_local_hand_over().await;
    assert_eq!(desk, clerk);
}

#[cfg(not(feature = "local-traces"))]
#[tokio::test]
async fn without_local_traces_a_message_told_within_a_node_starts_a_new_trace() {
    let (desk, clerk) = traces_of_a_local_hand_over().await;
    assert_ne!(desk, clerk);
}

#[tokio::test]
async fn without_a_subscriber_that_wants_them_no_span_is_made() {
    let (log, _default) = Log::capture("tracing_spans=info");

    let system = ActorSystem::new();
    let clerk = system.create_actor(Clerk::default()).await.unwrap();
    assert_eq!(clerk.file(3).ask().await, Ok(6));
    system.shutdown().await;
    let line = log.line("filing 3");
    assert!(!line.contains("handle{"), "{line}");
}
