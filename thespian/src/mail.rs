//! [`Mail`]: what the system may do with an actor's message besides handing it to the handler.

use std::any::{Any, TypeId};

use crate::codec::{ReplyWire, WireError};

/// What the system may do with a message of an actor's mailbox besides handing it to the
/// handler: convert it from and to an untyped box, copy it for a retry, encode it for another
/// node, name it. Every function has a default (local-only, never retried, accepted untyped only
/// as itself), so a hand-written actor's message type needs one line:
///
/// ```
/// use thespian::prelude::*;
///
/// enum CounterMessage { Add(u64), Total }
/// impl Mail for CounterMessage {}
/// ```
///
/// `#[actor]` implements it for the message enum it generates (copies of `Clone` messages,
/// serde's wire form unless told `no_serde`, retries where asked). The standard scalar types,
/// `String` and `()` implement it with the defaults. A message type of another crate needs a
/// newtype (Rust's orphan rule).
///
/// The functions take the message as an argument rather than as `self`, so that none of them is a
/// method of the message type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a mailbox's message type: it does not implement `Mail`",
    label = "the actor's `type Message`",
    note = "add `impl thespian::Mail for {Self} {{}}` (a local-only message, never retried), \
            or write the actor with `#[actor]`, which implements it"
)]
pub trait Mail: Send + Sized + 'static {
    /// Converts a message that arrived through an untyped address (`tell_any`, a
    /// [`Recipient`](crate::Recipient) of another type). By default only `Self` itself is
    /// accepted; `#[actor]` also accepts each generated message struct.
    fn from_any(message: Box<dyn Any + Send>) -> Result<Self, Box<dyn Any + Send>> {
        message.downcast::<Self>().map(|m| *m)
    }

    /// Boxes a message for a dead letter or a poison notice. `#[actor]` boxes the message struct
    /// rather than the enum around it.
    fn into_any(message: Self) -> Box<dyn Any + Send> {
        Box::new(message)
    }

    /// A copy of a message, made before it is handled: for the retry after a failed attempt
    /// when [`retried`](Mail::retried) asks for one, and for the
    /// [`PoisonMessage`](crate::PoisonMessage) that tells its sender of the failure. `None`, the
    /// default, means "cannot be copied": no retry, and a notice without the message.
    /// `#[actor]` copies messages whose type is `Clone`.
    fn copy(message: &Self) -> Option<Self> {
        let _ = message;
        None
    }

    /// Whether a message whose handler panicked is handed to the actor once more
    /// ([`RETRIES`](crate::RETRIES) times, with a copy from [`copy`](Mail::copy)) before its
    /// sender hears of the failure. `false`, the default: a retry is a choice (it runs the
    /// handler's side effects twice), never a consequence of the message being `Clone`.
    /// `#[actor(retry)]` retries every message of the actor, `#[message(retry)]` (or
    /// `#[receive(retry)]`) one handler's.
    fn retried(message: &Self) -> bool {
        let _ = message;
        false
    }

    /// Encodes a message for an actor on another node (appending to `out`), and says how its
    /// reply travels back. The default refuses: the message is local-only. `#[actor]` implements
    /// it with serde unless told `no_serde`.
    fn to_wire(message: &Self, out: &mut Vec<u8>) -> Result<ReplyWire, WireError> {
        let _ = (message, out);
        Err(WireError::NotRemote(std::any::type_name::<Self>()))
    }

    /// Decodes a message that arrived from another node, and says how its reply travels back
    /// (the counterpart of [`to_wire`](Mail::to_wire)).
    fn from_wire(bytes: &[u8]) -> Result<(Self, ReplyWire), WireError> {
        let _ = bytes;
        Err(WireError::NotRemote(std::any::type_name::<Self>()))
    }

    /// The name of a message's type, for logs, traces and dead letters. `#[actor]` names the
    /// message struct inside the enum.
    fn name(message: &Self) -> &'static str {
        let _ = message;
        std::any::type_name::<Self>()
    }
}

/// `message` boxed to be handed back to a sender that gave a `wanted`: as itself when that is its
/// own type (`into_any` may box something else, as `#[actor]`'s boxes the struct inside the
/// variant), else as `into_any` boxes it. The caller checks that the box holds a `wanted`.
pub(crate) fn boxed_as<M: Mail>(message: M, wanted: TypeId) -> Box<dyn Any + Send> {
    if wanted == TypeId::of::<M>() {
        Box::new(message)
    } else {
        M::into_any(message)
    }
}

/// The defaults, for the types an actor may take as its message without a newtype.
macro_rules! plain_mail {
    ($($ty:ty),* $(,)?) => { $(impl Mail for $ty {})* };
}

plain_mail!(
    (),
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    String,
    &'static str,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_keep_a_message_local_and_unretried() {
        assert_eq!(u64::from_any(Box::new(7_u64)).ok(), Some(7));
        assert!(u64::from_any(Box::new("seven")).is_err());
        assert_eq!(u64::copy(&7), None);
        assert!(!u64::retried(&7));
        assert_eq!(u64::name(&7), "u64");
        assert!(matches!(
            u64::to_wire(&7, &mut Vec::new()),
            Err(WireError::NotRemote("u64"))
        ));
        assert!(matches!(
            u64::from_wire(&[7]),
            Err(WireError::NotRemote("u64"))
        ));
        let any = u64::into_any(7);
        assert_eq!(any.downcast_ref::<u64>(), Some(&7));
    }
}
