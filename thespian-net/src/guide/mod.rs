//! Three chapters, after the core crate's guide ([`thespian::guide`]): the same actors, now on
//! other machines and in other processes. Every example is compiled and run as a test. Network
//! examples listen on 127.0.0.1, port 0 (a free port).
//!
//! 1. [Remote actors](crate::guide::remote_actors): two nodes, a lookup, tells and asks across
//!    them, and what a sender sees when a node is lost
//!    ([`Unreachable`](thespian::remote::Unreachable)).
//! 2. [The convention](crate::guide::convention): nodes that find each other without a leader,
//!    and actors placed by capabilities.
//! 3. [Process isolation](crate::guide::process_isolation): an actor in a child process of its
//!    own, so that a crash ends only that process.
//!
//! [`thespian::semantics`] (*Remote actors*, *The convention*, *Actors in processes of their
//! own*) states each rule with its timings.

pub mod convention;
pub mod process_isolation;
pub mod remote_actors;
