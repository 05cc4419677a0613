//! Remote actors for [thespian](https://docs.rs/thespian): actor systems on several machines
//! joined into one convention, over authenticated TCP.
//!
//! Nothing is public yet: the transport (framing, handshake, remote addresses) is the next piece
//! of work. The core crate is already shaped for it: an actor's address resolves through its
//! cell, where a remote route will plug in underneath, and addresses serialize as
//! `(system id, actor id)`.
#![deny(missing_docs)]
