//! The state every handle of one system shares, and what an actor's cell asks of it: the
//! clock and the runtime, the count of live actors, dead letters. Creating actors (`spawn.rs`)
//! and the public [`ActorSystem`](crate::ActorSystem) (`mod.rs`) build on it.

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::Notify;

use crate::actor::Actor;
use crate::address::ActorAddress;
use crate::capabilities::Capabilities;
use crate::deadline::Deadlines;
use crate::envelope::{Envelope, SystemMessage};
use crate::error::AskError;
use crate::id::ActorId;
use crate::mail::Mail;
use crate::messages::DeadEnvelope;
use crate::outside::OutsideCell;
use crate::registry::{GlobalNames, TopLevel};
use crate::remote::proxy::Proxies;
use crate::remote::transport::Transport;
#[cfg(feature = "sequential")]
use crate::sequential::Sequential;
use crate::sync::Unpoisoned;
use crate::time::{Clock, Runtime, TaskHandle};

/// The state every handle of one system shares.
pub(crate) struct SystemShared {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) handle: Option<Handle>,
    pub(crate) default_ask_timeout: Duration,
    pub(crate) mailbox_capacity: Option<usize>,
    pub(crate) outside: Arc<OutsideCell>,
    /// Actors created from outside: the system is their parent.
    pub(crate) top_level: TopLevel,
    pub(crate) live: AtomicUsize,
    pub(crate) all_exited: Notify,
    pub(crate) shutting_down: AtomicBool,
    pub(crate) dead_letters: AtomicU64,
    pub(crate) dead_letter_handler: Mutex<Option<ActorAddress>>,
    /// The handler's actor id (0 for none): exiting actors check it without the lock.
    pub(crate) dead_letter_handler_id: AtomicU64,
    pub(crate) capabilities: RwLock<Capabilities>,
    pub(crate) names: Mutex<GlobalNames>,
    pub(crate) ordinals: AtomicU32,
    /// The scheduler of a sequential system.
    #[cfg(feature = "sequential")]
    pub(crate) sequential: Option<Arc<Sequential>>,
    /// Whether any actor was ever named: spares unnamed actors the names lock when they exit.
    pub(crate) named: AtomicBool,
    pub(crate) restarts: AtomicU64,
    /// The deadlines of pending asks to this system's actors.
    pub(crate) deadlines: Arc<Deadlines>,
    /// How many `ActorSystem` handles exist (actors hold the shared state, not handles).
    pub(crate) handles: AtomicUsize,
    /// The transport of a networked system (see [`crate::remote`]).
    pub(crate) remote: OnceLock<Arc<dyn Transport>>,
    /// Proxies of actors of other nodes.
    pub(crate) proxies: Mutex<Proxies>,
    /// Death watches, and what the actors wait to hear from other nodes.
    pub(crate) watches: crate::watch::Watches,
    /// Runs the actors that want a process of their own (see [`crate::remote::transport::Processes`]).
    pub(crate) processes: OnceLock<Arc<dyn crate::remote::transport::Processes>>,
    /// The actors whose addresses left as bytes, by wire id (see [`crate::wire`]).
    pub(crate) exports: Mutex<crate::wire::Exports>,
    /// The asks whose reply handles were sent to another node, by id.
    #[cfg(feature = "remote")]
    pub(crate) exported_replies: Mutex<crate::remote::ExportedReplies>,
}

impl Drop for SystemShared {
    fn drop(&mut self) {
        super::directory::leave(self.id);
    }
}

impl SystemShared {
    /// The node of a networked system.
    pub(crate) fn node(&self) -> Option<crate::codec::NodeId> {
        self.remote.get().map(|t| t.node())
    }

    pub(crate) fn outside_address(&self) -> ActorAddress {
        ActorAddress::from_cell(self.outside.clone())
    }

    /// Where the system's tasks run: its sequential executor, the runtime it was given, or the
    /// current one.
    pub(crate) fn runtime(&self) -> Option<Runtime> {
        #[cfg(feature = "sequential")]
        if let Some(seq) = &self.sequential {
            return Some(Runtime::Sequential(seq.clone()));
        }
        match &self.handle {
            Some(handle) => Some(Runtime::Tokio(handle.clone())),
            None => Handle::try_current().ok().map(Runtime::Tokio),
        }
    }

    /// Starts a task (wake-ups, streams) where the system's tasks run, if anywhere.
    pub(crate) fn spawn_task(
        &self,
        task: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Option<TaskHandle> {
        Some(self.runtime()?.spawn(task))
    }

    /// `work`'s output, awaited in the system's time: a sequential system, whose turns are
    /// granted only while someone waits on it, is driven meanwhile (`None` if it stops first).
    pub(crate) async fn drive<T>(&self, work: impl std::future::Future<Output = T>) -> Option<T> {
        #[cfg(feature = "sequential")]
        if let Some(seq) = &self.sequential {
            return seq.drive(work).await;
        }
        Some(work.await)
    }

    /// The system's clock: tokio's, or a sequential system's virtual one.
    pub(crate) fn clock(&self) -> Clock<'_> {
        #[cfg(feature = "sequential")]
        if let Some(seq) = &self.sequential {
            return Clock::Virtual(seq.clock());
        }
        Clock::Tokio
    }

    /// An actor of type `actor` was restarted by its supervision.
    pub(crate) fn count_restart(&self, actor: &'static str) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
        crate::metrics::restarted(actor);
    }

    /// Called by each actor's task as it ends, before its watchers and parent hear of it.
    pub(crate) fn actor_ended(&self, id: ActorId, top_level: bool) {
        #[cfg(feature = "sequential")]
        if let Some(seq) = &self.sequential {
            seq.forget(id);
        }
        if self.named.load(Ordering::Acquire) {
            let mut names = self.names.lock_unpoisoned();
            if let Some(name) = names.by_id.remove(&id) {
                // The name may already belong to a successor, created once this actor's mailbox
                // closed: only free it if it is still this actor's.
                if names.by_name.get(&name).is_some_and(|a| a.id() == id) {
                    names.by_name.remove(&name);
                }
            }
        }
        if top_level {
            self.top_level.remove(id);
        }
        crate::metrics::alive(false);
        if self.live.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.all_exited.notify_waiters();
        }
    }

    /// A message of an actor's own type as a dead letter, boxed and named by its `Mail`. Cold:
    /// it sits on branches of the actor's loop that a handled message never takes.
    #[cold]
    pub(crate) fn dead_letter_mail<M: Mail>(
        &self,
        target: ActorAddress,
        sender: Option<ActorAddress>,
        message: M,
    ) {
        let name = M::name(&message);
        self.dead_letter(target, sender, M::into_any(message), name);
    }

    /// Records an undeliverable message: counted, logged, and handed to the dead-letter handler.
    pub(crate) fn dead_letter(
        &self,
        target: ActorAddress,
        sender: Option<ActorAddress>,
        message: Box<dyn Any + Send>,
        message_type: &'static str,
    ) {
        self.dead_letters.fetch_add(1, Ordering::Relaxed);
        crate::metrics::dead_letter(message_type);
        tracing::debug!(target: "thespian::dead_letters", %target, message_type, "dead letter");
        if self.dead_letter_handler_id.load(Ordering::Acquire) == 0 {
            return;
        }
        let handler = self.dead_letter_handler.lock_unpoisoned().clone();
        if let Some(handler) = handler {
            if handler == target {
                return;
            }
            let envelope = DeadEnvelope {
                target,
                sender,
                message,
                message_type,
            };
            // A dead letter that cannot reach the handler is dropped here: it was counted already,
            // and a handler that has exited unregisters itself.
            let _ = handler
                .cell
                .push_system(SystemMessage::DeadLetter(Box::new(envelope)));
        }
    }

    /// Turns what was left in an exited actor's mailbox into dead letters; pending asks fail.
    pub(crate) fn dead_letter_envelopes<A: Actor>(
        &self,
        target: &ActorAddress,
        envelopes: impl IntoIterator<Item = Envelope<A::Message>>,
    ) {
        for env in envelopes {
            if let Some(reply) = env.reply {
                reply.fail(AskError::DeadActor);
            }
            match env.payload.into_user() {
                Ok((m, _)) => self.dead_letter_mail(target.clone(), env.sender, m),
                Err(SystemMessage::DeadLetter(d)) => {
                    // Counted when it became a dead letter; only its delivery is lost.
                    tracing::debug!(target: "thespian::dead_letters", target = %d.target,
                        message_type = d.message_type, "dead letter lost with its handler");
                }
                Err(_) => {}
            }
        }
    }

    pub(crate) fn set_dead_letter_handler(&self, handler: Option<ActorAddress>) {
        let mut slot = self.dead_letter_handler.lock_unpoisoned();
        let id = handler.as_ref().map_or(0, |h| h.id().as_u64());
        *slot = handler;
        self.dead_letter_handler_id.store(id, Ordering::Release);
    }

    /// Unregisters `id` if it is the dead-letter handler.
    pub(crate) fn clear_dead_letter_handler(&self, id: ActorId) {
        // Every exiting actor asks: only the handler itself takes the lock.
        if self.dead_letter_handler_id.load(Ordering::Acquire) != id.as_u64() {
            return;
        }
        let mut handler = self.dead_letter_handler.lock_unpoisoned();
        if handler.as_ref().is_some_and(|h| h.id() == id) {
            *handler = None;
            self.dead_letter_handler_id.store(0, Ordering::Release);
        }
    }
}
