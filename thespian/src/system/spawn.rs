//! Creating an actor: the one path for actors created from outside and for children, on either
//! base, in this process or (with a process base) in a process of its own.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::shared::SystemShared;
use crate::actor::Actor;
use crate::address::{ActorAddress, Addr};
use crate::cell::{ActorCell, Lineage};
use crate::context::Context;
use crate::envelope::Envelope;
use crate::error::CreateError;
use crate::id::ActorId;
use crate::mailbox::Mailbox;
#[cfg(feature = "sequential")]
use crate::mailbox::SeqLink;
use crate::options::ActorOptions;
use crate::supervision::{Supervision, Supervisor};
use crate::sync::{Unpoisoned, UnpoisonedRw};
use crate::time::Runtime;

impl SystemShared {
    /// Creates an actor: checks its capabilities, resolves a global name, starts its task.
    /// `parent` is `None` for actors whose parent is the system.
    pub(crate) fn create<A: Actor>(
        self: &Arc<Self>,
        actor: A,
        parent: Option<ActorAddress>,
        mut options: ActorOptions<A>,
    ) -> Result<Addr<A>, CreateError> {
        let allowed = {
            let capabilities = self.capabilities.read_unpoisoned();
            A::capability_check(&capabilities, &options.requirements)
        };
        if !allowed {
            return Err(CreateError::NoCompatibleSystem {
                actor: A::type_name(),
            });
        }
        match options.name.take() {
            None => self.spawn(actor, parent, options),
            Some(name) => {
                // Held across the spawn, so two concurrent creates of one name make one actor.
                let mut names = self.names.lock_unpoisoned();
                if let Some(existing) = names.by_name.get(&name) {
                    if existing.is_alive() {
                        return existing
                            .downcast::<A>()
                            .ok_or_else(|| CreateError::NameTaken {
                                name,
                                actor: existing.type_name(),
                            });
                    }
                }
                // Raised first: an actor that ends at once must find its name to free it.
                self.named.store(true, Ordering::Release);
                let addr = self.spawn(actor, None, options)?;
                names.by_name.insert(name.clone(), addr.address());
                names.by_id.insert(addr.id(), name);
                Ok(addr)
            }
        }
    }

    /// Starts `actor` as a task (or, asked for, in a process of its own).
    fn spawn<A: Actor>(
        self: &Arc<Self>,
        actor: A,
        parent: Option<ActorAddress>,
        options: ActorOptions<A>,
    ) -> Result<Addr<A>, CreateError> {
        #[cfg(feature = "remote")]
        if options.process.is_some() {
            return crate::relay::start(self, actor, parent, options);
        }
        let (runtime, mut ctx) = self.new_actor::<A>(parent, options.mailbox_capacity)?;
        let addr = ctx.myself.clone();
        for message in options.initial_messages {
            let _ = addr.cell.mailbox.push(Envelope::user(message, None, None));
        }
        if let Some(idle) = options.exit_when_idle {
            ctx.extras().exit_when_idle = Some(idle);
        }
        if let Some(leader) = options.leader {
            ctx.extras().leader = Some(leader);
        }
        if !options.requirements.is_empty() {
            ctx.extras().requirements = Some(Box::new(options.requirements));
        }
        let supervisor = match options.supervision {
            Supervision::Resume => None,
            policy => Some(Box::new(Supervisor::new(policy))),
        };
        runtime.start(crate::message_loop::run(actor, ctx, supervisor));
        Ok(addr)
    }

    /// Makes the cell and context of a new actor and counts it as live; the caller starts its
    /// task on the returned runtime.
    pub(crate) fn new_actor<A: Actor>(
        self: &Arc<Self>,
        parent: Option<ActorAddress>,
        capacity: Option<usize>,
    ) -> Result<(Runtime, Context<A>), CreateError> {
        let runtime = self.runtime().ok_or(CreateError::NoRuntime)?;
        let id = ActorId::next();
        let capacity = capacity.or(self.mailbox_capacity);
        let lineage = Lineage::new(parent.clone());
        #[cfg(feature = "sequential")]
        let mailbox = match &self.sequential {
            Some(seq) => Mailbox::with_turns(capacity, SeqLink::new(seq.clone(), id)),
            None => Mailbox::new(capacity),
        };
        #[cfg(not(feature = "sequential"))]
        let mailbox = Mailbox::new(capacity);
        let cell = Arc::new(ActorCell::<A> {
            id,
            exiting: Default::default(),
            ordinal: self.ordinals.fetch_add(1, Ordering::Relaxed) + 1,
            system: self.clone(),
            mailbox,
            lineage,
            remote: None,
        });
        let addr = Addr::from_cell(cell);
        // Counted before it becomes visible to `shutdown`, which waits for the count to drop.
        self.live.fetch_add(1, Ordering::AcqRel);
        // An actor whose parent is on another node is top-level here: a shutdown of this
        // system stops it, and it exits if its parent's node is lost.
        let remote_parent = parent
            .as_ref()
            .and_then(|p| p.cell.remote_target().map(|t| t.node));
        let admitted = match (&parent, remote_parent) {
            (Some(_), None) => !self.shutting_down.load(Ordering::Acquire),
            _ => self.top_level.insert(addr.address(), &self.shutting_down),
        };
        if let (true, Some(node)) = (admitted, remote_parent) {
            self.watches.adopt(node, addr.address());
        }
        if !admitted {
            if self.live.fetch_sub(1, Ordering::AcqRel) == 1 {
                self.all_exited.notify_waiters();
            }
            return Err(CreateError::SystemShutDown);
        }
        crate::metrics::alive(true);
        addr.cell.mailbox.reserve_start_turn();
        Ok((runtime, Context::new(addr)))
    }
}
