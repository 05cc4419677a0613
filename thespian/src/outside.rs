//! The outside of an actor system: the endpoint that code outside any actor receives through.
//!
//! It has an address like an actor's, so actors can send to it (or reply to a message that came from
//! outside); what arrives is read with [`ActorSystem::listen`](crate::ActorSystem::listen). Replies
//! to `ask` never arrive here: they go straight to the waiting ask.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::Notify;

use crate::address::ActorAddress;
use crate::cell::AnyCell;
use crate::envelope::SystemMessage;
use crate::error::ListenError;
use crate::id::ActorId;
use crate::messages::ReceivedMessage;
use crate::reply::ReplyTo;
use crate::sync::Unpoisoned;
use crate::system::shared::SystemShared;
use crate::time::Clock;

pub(crate) struct OutsideCell {
    id: ActorId,
    system_id: u64,
    inbox: Mutex<VecDeque<ReceivedMessage>>,
    arrived: Notify,
    /// At most this many messages wait for `listen`; more become dead letters.
    capacity: usize,
    /// Its system, to count those dead letters (weak: the system holds this cell).
    system: Weak<SystemShared>,
    /// Whether the inbox is full: warned about once per burst, until it drains to half.
    overflowing: AtomicBool,
    /// Its wire id once exported (0 before): the outside is the sender of every message sent
    /// to another node from outside the system, and finds its id here without a lock.
    wire_id: AtomicU64,
}

impl OutsideCell {
    pub(crate) fn new(system_id: u64, capacity: usize, system: Weak<SystemShared>) -> Arc<Self> {
        Arc::new(OutsideCell {
            id: ActorId::next(),
            system_id,
            inbox: Mutex::new(VecDeque::new()),
            arrived: Notify::new(),
            capacity: capacity.max(1),
            system,
            overflowing: AtomicBool::new(false),
            wire_id: AtomicU64::new(0),
        })
    }

    fn push(self: &Arc<Self>, message: ReceivedMessage, message_type: &'static str) {
        let mut inbox = self.inbox.lock_unpoisoned();
        if inbox.len() < self.capacity {
            inbox.push_back(message);
            drop(inbox);
            self.arrived.notify_one();
            return;
        }
        drop(inbox);
        if !self.overflowing.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                capacity = self.capacity,
                "nobody listens to the outside of the system: it keeps no more messages, and \
                 those that come become dead letters (warned once until it drains)"
            );
        }
        if let Some(system) = self.system.upgrade() {
            let me = ActorAddress::from_cell(self.clone());
            system.dead_letter(me, message.sender, message.message, message_type);
        }
    }

    pub(crate) fn pop(&self) -> Option<ReceivedMessage> {
        let mut inbox = self.inbox.lock_unpoisoned();
        let message = inbox.pop_front();
        if inbox.len() <= self.capacity / 2 {
            self.overflowing.store(false, Ordering::Release);
        }
        message
    }

    /// Takes the next message, waiting at most `timeout` on `clock`.
    pub(crate) async fn listen(
        &self,
        clock: Clock<'_>,
        timeout: Duration,
    ) -> Result<ReceivedMessage, ListenError> {
        let wait = async {
            loop {
                if let Some(m) = self.pop() {
                    return m;
                }
                // `notify_one` keeps a permit when nobody waits, so a push between the `pop` above
                // and this await is not missed.
                self.arrived.notified().await;
            }
        };
        clock
            .timeout(timeout, wait)
            .await
            .map_err(|_| ListenError::Timeout(timeout))
    }
}

impl AnyCell for OutsideCell {
    fn id(&self) -> ActorId {
        self.id
    }

    fn type_name(&self) -> &'static str {
        "outside"
    }

    fn system_id(&self) -> u64 {
        self.system_id
    }

    fn export(&self, this: &Arc<dyn AnyCell>) -> u64 {
        match self.wire_id.load(Ordering::Relaxed) {
            // Two first exports at once get the same id: the table gives one per actor.
            0 => {
                let id = crate::wire::export(this);
                self.wire_id.store(id, Ordering::Relaxed);
                id
            }
            id => id,
        }
    }

    fn push_system(&self, msg: SystemMessage) -> Result<(), SystemMessage> {
        let name = msg.name();
        let message: Box<dyn Any + Send> = match msg {
            SystemMessage::Poison(p) => p,
            SystemMessage::ChildExited(c) => c,
            SystemMessage::Watched(w) => w,
            SystemMessage::DeadLetter(d) => d,
            SystemMessage::Wakeup(w) => w,
            SystemMessage::Exit(_)
            | SystemMessage::Status(_)
            | SystemMessage::Capabilities(_)
            | SystemMessage::WorkerIdle(_)
            | SystemMessage::TroupeLimits { .. }
            | SystemMessage::Void => return Ok(()),
        };
        let me = self.system.upgrade().map(|system| system.outside.clone());
        if let Some(me) = me {
            me.push(
                ReceivedMessage {
                    sender: None,
                    message,
                },
                name,
            );
        }
        Ok(())
    }

    fn push_any(
        self: Arc<Self>,
        msg: Box<dyn Any + Send>,
        sender: Option<ActorAddress>,
        reply: Option<ReplyTo>,
    ) -> Result<(), Box<dyn Any + Send>> {
        // Nobody outside answers asks: dropping the route tells the asker so at once.
        drop(reply);
        let message = ReceivedMessage {
            sender,
            message: msg,
        };
        self.push(message, "a message to the outside");
        Ok(())
    }

    fn is_alive(&self) -> bool {
        true
    }

    fn queue_len(&self) -> usize {
        self.inbox.lock_unpoisoned().len()
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
