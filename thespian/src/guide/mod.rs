//! Seven short chapters, in the order a newcomer needs them. Every example below is compiled and
//! run as a test, so what it shows is what the library does today.
//!
//! 1. [Actors and messages](crate::guide::actors_and_messages): an actor is a value and its
//!    handlers; [`#[actor]`](macro@crate::actor) or a hand-written [`Actor`](crate::Actor).
//! 2. [Sending](crate::guide::sending): the call site says tell or ask; timeouts;
//!    [`Request`](crate::Request); `try_tell`; Thespian's `system.tell`; who the sender is; what
//!    each call does when the message cannot be delivered.
//! 3. [Failure and supervision](crate::guide::failure_and_supervision): panics poison one
//!    message, retries are opt-in, a parent chooses [`Supervision`](crate::Supervision), handler
//!    errors are answers.
//! 4. [Timers](crate::guide::timers): [`wakeup_after`](crate::Context::wakeup_after),
//!    [`notify_after`](crate::Context::notify_after), [`cancel`](crate::Context::cancel).
//! 5. [Troupes](crate::guide::troupes): one address in front of a pool of workers.
//! 6. [Testing on the sequential base](crate::guide::testing): one thread, one order, virtual
//!    time, traces.
//! 7. [Observing](crate::guide::observing): logs and `tracing` spans, status, metrics.
//!
//! Actors on other machines, the convention and actors in processes of their own have a guide
//! of their own in `thespian-net` (its `guide` module).
//!
//! [The semantics](crate::semantics) state every rule precisely; the guide teaches them, and
//! where the two seem to differ, the semantics win.

pub mod actors_and_messages;
pub mod failure_and_supervision;
pub mod observing;
pub mod sending;
pub mod testing;
pub mod timers;
pub mod troupes;
