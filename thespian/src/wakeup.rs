//! Wake-ups and other timed work an actor owns: [`WakeupMessage`] and [`TimerId`].
//!
//! [`Context::wakeup_after`](crate::Context::wakeup_after) delivers a [`WakeupMessage`] to the
//! actor's [`wakeup`](crate::Actor::wakeup) hook; [`Context::notify_after`](crate::Context::notify_after)
//! sends the actor one of its own messages later. Both can be cancelled, and both end with the
//! actor: a wake-up never outlives the actor that asked for it.

use std::any::Any;
use std::fmt;
use std::time::Duration;

/// Names a pending wake-up (or attached stream) so it can be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerId(pub(crate) u64);

/// Delivered to [`Actor::wakeup`](crate::Actor::wakeup) when a wake-up is due.
pub struct WakeupMessage {
    /// The timer that fired.
    pub id: TimerId,
    /// The delay that was asked for.
    pub delay: Duration,
    /// What was given to `wakeup_after`; downcast it to the type you gave.
    pub payload: Box<dyn Any + Send>,
}

impl fmt::Debug for WakeupMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WakeupMessage")
            .field("id", &self.id)
            .field("delay", &self.delay)
            .finish_non_exhaustive()
    }
}
