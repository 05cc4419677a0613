//! A mailbox in a sequential system (feature `sequential`): each message takes a place in the
//! system's order as it is pushed, and is taken out only in its turn (see `crate::sequential`).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use super::Mailbox;
use crate::envelope::Envelope;
use crate::id::ActorId;
use crate::sequential::Sequential;

/// A mailbox's place in a sequential system.
pub(crate) struct SeqLink {
    pub(crate) seq: Arc<Sequential>,
    pub(crate) id: ActorId,
    /// Turns granted to this actor in a row that it has not used yet (see `poll_turn`); only
    /// its own task reads and writes it.
    spare_turns: AtomicU32,
}

impl SeqLink {
    pub(crate) fn new(seq: Arc<Sequential>, id: ActorId) -> Self {
        SeqLink {
            seq,
            id,
            spare_turns: AtomicU32::new(0),
        }
    }

    /// Reserves a turn for the actor's start, before any message.
    pub(super) fn reserve_turn(&self) {
        self.seq.arrived(self.id);
    }

    /// Whether the system has ended.
    pub(super) fn is_stopped(&self) -> bool {
        self.seq.is_stopped()
    }

    /// Waits for this actor's turn (see `Sequential::poll_turn`), keeping the turns granted with
    /// it for the messages after.
    pub(super) fn poll_turn(
        &self,
        cx: &mut Context<'_>,
        take_one: impl FnMut() -> bool,
    ) -> Poll<()> {
        self.seq
            .poll_turn(self.id, cx, take_one)
            .map(|spare| self.spare_turns.store(spare, Ordering::Relaxed))
    }
}

impl<M> Mailbox<M> {
    /// A mailbox whose messages wait for their turns in a sequential system.
    pub(crate) fn with_turns(capacity: Option<usize>, link: SeqLink) -> Self {
        let mut mailbox = Mailbox::new(capacity);
        mailbox.rare.get_or_insert_with(Box::default).seq = Some(link);
        mailbox
    }

    /// The mailbox's place in a sequential system, if it is in one.
    #[inline]
    pub(super) fn turns(&self) -> Option<&SeqLink> {
        self.rare.as_deref().and_then(|rare| rare.seq.as_ref())
    }

    /// A push in a sequential system: a function of its own, so that a push on the default base,
    /// which only tests whether its mailbox is in one, stays small enough to be inlined into the
    /// send (callgrind `hop_profile`: tell 390 → 368 instructions with the proxy's path cold too).
    #[inline]
    pub(super) fn push_in_turn<T>(
        &self,
        link: &SeqLink,
        value: T,
        make: impl FnOnce(T) -> Envelope<M>,
        filler: Option<fn() -> Envelope<M>>,
    ) -> Result<(), T> {
        link.seq.push_in_order(link.id, value, |value| {
            self.queue.push_with(value, make, filler)
        })
    }

    /// The receiver's take in a sequential system: one message per turn, when the system's
    /// scheduler says so; turns granted in a row are used without asking it again.
    ///
    /// # Safety
    /// As for [`Mailbox::poll_recv`].
    pub(super) unsafe fn poll_in_turn(
        &self,
        link: &SeqLink,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Envelope<M>>> {
        let spare = link.spare_turns.load(Ordering::Relaxed);
        if spare > 0 {
            // SAFETY: the caller's contract.
            if let Some(env) = unsafe { self.queue.pop() } {
                link.spare_turns.store(spare - 1, Ordering::Relaxed);
                return Poll::Ready(Some(self.taken(env)));
            }
            // Its messages are gone (the mailbox closed): so are its turns.
            link.spare_turns.store(0, Ordering::Relaxed);
        }
        let mut taken = None;
        let turn = link.poll_turn(cx, || {
            // SAFETY: the caller's contract.
            taken = unsafe { self.queue.pop() };
            taken.is_some()
        });
        turn.map(|()| taken.map(|env| self.taken(env)))
    }
}
