//! The outside of an actor system: the endpoint that code outside any actor receives through.
//!
//! It has an address like an actor's, so actors can send to it (or reply to a message that came from
//! outside); what arrives is read with [`ActorSystem::listen`](crate::ActorSystem::listen). Replies
//! to `ask` never arrive here: they go straight to the waiting ask.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::address::{ActorAddress, ActorId, AnyCell};
use crate::envelope::SystemMessage;
use crate::error::ListenError;
use crate::messages::ReceivedMessage;
use crate::reply::ReplyTo;
use crate::sync::Unpoisoned;
use crate::time::Clock;

pub(crate) struct OutsideCell {
    id: ActorId,
    system_id: u64,
    inbox: Mutex<VecDeque<ReceivedMessage>>,
    arrived: Notify,
}

impl OutsideCell {
    pub(crate) fn new(system_id: u64) -> Arc<Self> {
        Arc::new(OutsideCell {
            id: ActorId::next(),
            system_id,
            inbox: Mutex::new(VecDeque::new()),
            arrived: Notify::new(),
        })
    }

    fn push(&self, message: ReceivedMessage) {
        self.inbox.lock_unpoisoned().push_back(message);
        self.arrived.notify_one();
    }

    pub(crate) fn pop(&self) -> Option<ReceivedMessage> {
        self.inbox.lock_unpoisoned().pop_front()
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

    fn trace_name(&self) -> String {
        "outside".to_owned()
    }

    fn push_system(&self, msg: SystemMessage) -> Result<(), SystemMessage> {
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
        self.push(ReceivedMessage {
            sender: None,
            message,
        });
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
        self.push(ReceivedMessage {
            sender,
            message: msg,
        });
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
