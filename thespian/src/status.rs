//! Status reports: what a system and its actors are doing, answered by the runtime itself (the
//! actors never see the request).

use crate::address::ActorAddress;

/// One actor's state, as its own task reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorStatus {
    /// The actor.
    pub address: ActorAddress,
    /// Its parent (`None` when the system is its parent).
    pub parent: Option<ActorAddress>,
    /// Its children.
    pub children: Vec<ActorAddress>,
    /// Messages waiting in its mailbox.
    pub queued: usize,
    /// Wake-ups and streams it has pending.
    pub pending_timers: usize,
    /// Whether it is exiting (waiting for its children).
    pub exiting: bool,
}

/// A snapshot of a whole system (see [`ActorSystem::status`](crate::ActorSystem::status)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemStatus {
    /// The system's name.
    pub name: String,
    /// Actors running, including those exiting.
    pub live_actors: usize,
    /// Messages waiting in all mailboxes of the actors reported.
    pub queued: usize,
    /// Dead letters so far.
    pub dead_letters: u64,
    /// Restarts by supervision so far.
    pub restarts: u64,
    /// The actor holding each global name.
    pub global_names: Vec<(String, ActorAddress)>,
    /// Every actor that answered, parents before their children.
    pub actors: Vec<ActorStatus>,
}
