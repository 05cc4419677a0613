//! Death watch, and what a system waits to hear from other nodes.
//!
//! One table per system, beside the actors rather than in them: an actor nobody watches pays
//! nothing, and an ending actor looks at the table only once some watch was ever made (a flag
//! read without the lock). Three kinds of entries:
//!
//! * who watches each local actor (local actors, or proxies of watchers on other nodes), told when
//!   it ends;
//! * what this system's actors wait to hear from other nodes (actors they watch there, children
//!   placed there), by node, so that losing a node tells them at once;
//! * local actors whose parent is on another node, by that node, asked to exit when it is lost.
//!
//! A watch of a local actor is registered under the table's lock after checking that the actor
//! is alive; an ending actor closes its mailbox before it takes its watchers under the same lock.
//! So a watch made as the actor ends is either taken by it or sees it closed, never neither: every
//! watch gets exactly one notice.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::address::ActorAddress;
use crate::codec::NodeId;
use crate::id::{ActorId, IdMap};
use crate::sync::Unpoisoned;

/// Why a local actor waits on an actor of another node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interest {
    /// It watches it.
    Watch,
    /// It is its parent.
    Child,
}

/// One actor's wait on an actor of another node.
pub(crate) struct Remote {
    /// The actor on the other node (a proxy).
    pub(crate) target: ActorAddress,
    /// The local actor waiting.
    pub(crate) watcher: ActorAddress,
    pub(crate) interest: Interest,
}

#[derive(Default)]
struct Table {
    watchers: IdMap<Vec<ActorAddress>>,
    remote: HashMap<NodeId, Vec<Remote>>,
    adopted: HashMap<NodeId, IdMap<ActorAddress>>,
}

/// A system's watches (see the module's documentation).
#[derive(Default)]
pub(crate) struct Watches {
    /// Raised by the first entry ever made: until then, ending actors skip the lock.
    used: AtomicBool,
    table: Mutex<Table>,
}

/// What losing a node means for this system.
pub(crate) struct Lost {
    /// Local actors' waits on actors of that node: each gets its notice.
    pub(crate) waits: Vec<Remote>,
    /// Local actors whose parent was there.
    pub(crate) orphans: Vec<ActorAddress>,
}

impl Watches {
    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.used.store(true, Ordering::Release);
        self.table.lock_unpoisoned()
    }

    /// Adds `watcher` to the watchers of the local actor `target`, unless `alive` says it has
    /// ended (checked under the lock): then `false`, and the caller tells the watcher at once.
    pub(crate) fn watch(
        &self,
        target: ActorId,
        alive: impl FnOnce() -> bool,
        watcher: ActorAddress,
    ) -> bool {
        let mut table = self.table();
        if !alive() {
            return false;
        }
        let watchers = table.watchers.entry(target).or_default();
        if !watchers.contains(&watcher) {
            watchers.push(watcher);
        }
        true
    }

    /// Removes `watcher` from the watchers of the local actor `target`.
    pub(crate) fn unwatch(&self, target: ActorId, watcher: ActorId) {
        if !self.used.load(Ordering::Acquire) {
            return;
        }
        let mut table = self.table.lock_unpoisoned();
        if let Some(watchers) = table.watchers.get_mut(&target) {
            watchers.retain(|w| w.id() != watcher);
            if watchers.is_empty() {
                table.watchers.remove(&target);
            }
        }
    }

    /// The watchers of a local actor that has ended (its mailbox is closed), taken.
    pub(crate) fn ended(&self, target: ActorId) -> Vec<ActorAddress> {
        if !self.used.load(Ordering::Acquire) {
            return Vec::new();
        }
        self.table
            .lock_unpoisoned()
            .watchers
            .remove(&target)
            .unwrap_or_default()
    }

    /// Records that local actor `watcher` waits on `target`, an actor of `node`.
    pub(crate) fn wait_on(
        &self,
        node: NodeId,
        target: ActorAddress,
        watcher: ActorAddress,
        interest: Interest,
    ) {
        let mut table = self.table();
        let waits = table.remote.entry(node).or_default();
        let known = waits
            .iter()
            .any(|w| w.interest == interest && w.target == target && w.watcher == watcher);
        if !known {
            waits.push(Remote {
                target,
                watcher,
                interest,
            });
        }
    }

    /// `watcher` was told of `actor`'s end: a wait on an actor of another node is over.
    pub(crate) fn told(&self, actor: &ActorAddress, watcher: ActorId, interest: Interest) {
        if let Some(target) = actor.cell.remote_target() {
            self.done_waiting(target.node, actor.id(), watcher, interest);
        }
    }

    /// Forgets a wait on an actor of `node` (it was heard from, or given up).
    pub(crate) fn done_waiting(
        &self,
        node: NodeId,
        target: ActorId,
        watcher: ActorId,
        interest: Interest,
    ) {
        if !self.used.load(Ordering::Acquire) {
            return;
        }
        let mut table = self.table.lock_unpoisoned();
        if let Some(waits) = table.remote.get_mut(&node) {
            waits.retain(|w| {
                !(w.interest == interest && w.target.id() == target && w.watcher.id() == watcher)
            });
            if waits.is_empty() {
                table.remote.remove(&node);
            }
        }
    }

    /// Records a local actor whose parent is on `node`.
    pub(crate) fn adopt(&self, node: NodeId, child: ActorAddress) {
        self.table()
            .adopted
            .entry(node)
            .or_default()
            .insert(child.id(), child);
    }

    /// Forgets a local actor whose parent is on `node` (it has ended).
    pub(crate) fn forget_adopted(&self, node: NodeId, child: ActorId) {
        let mut table = self.table.lock_unpoisoned();
        if let Some(adopted) = table.adopted.get_mut(&node) {
            adopted.remove(&child);
            if adopted.is_empty() {
                table.adopted.remove(&node);
            }
        }
    }

    /// `node` is lost: takes every wait on it and every actor whose parent was there, and drops
    /// the watchers that were there.
    pub(crate) fn node_lost(&self, node: NodeId) -> Lost {
        if !self.used.load(Ordering::Acquire) {
            return Lost {
                waits: Vec::new(),
                orphans: Vec::new(),
            };
        }
        let mut table = self.table.lock_unpoisoned();
        let waits = table.remote.remove(&node).unwrap_or_default();
        let orphans = table
            .adopted
            .remove(&node)
            .map(|a| a.into_values().collect())
            .unwrap_or_default();
        table.watchers.retain(|_, watchers| {
            watchers.retain(|w| w.cell.remote_target().is_none_or(|t| t.node != node));
            !watchers.is_empty()
        });
        Lost { waits, orphans }
    }

    /// How many entries of each kind the table holds: watched local actors, nodes waited on,
    /// nodes of adopted actors' parents (for tests and status).
    #[cfg(test)]
    pub(crate) fn sizes(&self) -> (usize, usize, usize) {
        let table = self.table.lock_unpoisoned();
        (
            table.watchers.len(),
            table.remote.len(),
            table.adopted.len(),
        )
    }
}

// On the sequential base, so that the table is read when every message has been handled.
#[cfg(all(test, feature = "sequential"))]
mod tests {
    use crate::prelude::*;

    /// Watches the actor it is told of.
    struct Watcher;

    struct Watch(ActorAddress);

    impl Message for Watch {
        type Reply = ();
    }
    impl Mail for Watch {}

    impl Actor for Watcher {
        type Message = Watch;
        async fn handle(&mut self, Watch(actor): Watch, ctx: &mut Context<Self>) {
            ctx.watch(&actor);
            ctx.reply(());
        }
    }

    struct Idle;

    impl Actor for Idle {
        type Message = ();
        async fn handle(&mut self, _: (), _ctx: &mut Context<Self>) {}
    }

    #[test]
    fn a_watch_ends_with_its_watcher_and_with_the_watched_actor() {
        let system = ActorSystem::builder().sequential().build();
        futures::executor::block_on(async {
            let timeout = std::time::Duration::from_secs(1);
            let idle = system.create_actor(Idle).await.unwrap();
            let other = system.create_actor(Idle).await.unwrap();
            let watcher = system.create_actor(Watcher).await.unwrap();
            watcher.ask(Watch(idle.address()), timeout).await.unwrap();
            watcher.ask(Watch(other.address()), timeout).await.unwrap();
            let watches = &system.shared().watches;
            assert_eq!(watches.sizes(), (2, 0, 0));
            // The watched actor's end takes its entry.
            other.request_exit();
            system.run_until_idle().await;
            assert_eq!(watches.sizes(), (1, 0, 0));
            // The watcher's end takes what it watched.
            watcher.request_exit();
            system.run_until_idle().await;
            assert_eq!(watches.sizes(), (0, 0, 0));
            system.shutdown().await;
        });
    }
}
