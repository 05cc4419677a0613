//! The task that runs one actor: start, handle messages in order, exit.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

use futures::FutureExt;

use crate::acting::Acting;
use crate::actor::Actor;
use crate::address::ActorAddress;
use crate::cell::AnyCell;
use crate::context::Context;
use crate::envelope::{Envelope, ExitCause, Payload, SystemMessage};
use crate::error::{AskError, Poison};
use crate::id::ActorId;
use crate::mail::Mail;
use crate::messages::{
    panic_details, ChildActorExited, ExitReason, PoisonMessage, WatchedActorExited,
};
use crate::metrics;
#[cfg(feature = "sequential")]
use crate::sequential::TraceEntry;
use crate::spans::{self, TraceId};
use crate::status::ActorStatus;
use crate::supervision::{Supervisor, Verdict};
use crate::watch::Interest;

/// How many times a failed message is handed to its actor again, in every system base, when its
/// actor retries it ([`Mail::retried`](crate::Mail::retried)).
pub const RETRIES: u32 = 1;

/// What handling one envelope decided.
enum Step {
    Continue,
    Exit(ExitReason),
}

/// Runs `actor` until it exits.
///
/// The task's future is every idle actor's memory, so it holds each value once: the actor and
/// its context are owned by `run`'s future and lent to `live` (one pointer), the supervisor waits
/// in the context's extras, few values stay alive across awaits, and the rare paths (system
/// messages, retries, supervision) are boxed.
pub(crate) fn run<A: Actor>(
    actor: A,
    ctx: Context<A>,
    supervisor: Option<Box<Supervisor<A>>>,
) -> impl Future<Output = ()> + Send {
    let mut stage = Stage { actor, ctx };
    if let Some(supervisor) = supervisor {
        stage.ctx.keep_supervisor(supervisor);
    }
    let cell = stage.ctx.myself.cell.clone();
    // `Acting` makes the actor the acting one while its task is polled. User code also runs
    // outside the guarded handlers (a message's `Clone`, a restart factory, the actor's `Drop`):
    // whatever panics, the actor still ends properly, with its context at hand, so its mailbox
    // closes, its parent hears of it and `shutdown` does not wait for it forever.
    Acting::new(cell, async move {
        let lived = AssertUnwindSafe(live(&mut stage)).catch_unwind().await;
        let Stage { actor, ctx } = stage;
        let mut reason = lived.unwrap_or_else(|panic| {
            let details = panic_details(&*panic);
            tracing::error!(actor = %ctx.myself, details, "actor failed outside its handlers");
            ExitReason::Failed(details)
        });
        // The actor goes first, while its context is at hand to end it.
        if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(|| drop(actor))) {
            let details = panic_details(&*panic);
            tracing::error!(actor = %ctx.myself, details, "actor panicked when dropped");
            reason = ExitReason::Failed(details);
        }
        // Messages not handled yet are still in the mailbox: `end` makes dead letters of them.
        finish(ctx, reason);
    })
    .map(|ended| {
        if let Err((panic, myself)) = ended {
            // Only the crate's own code runs outside the guard above.
            let details = panic_details(&*panic);
            tracing::error!(actor = %myself, details, "actor task failed while ending");
            end(&myself, ExitReason::Failed(details));
        }
    })
}

/// An actor and its context, owned by its task's outermost future and lent to `live`.
struct Stage<A: Actor> {
    actor: A,
    ctx: Context<A>,
}

/// Runs the `started` hook; the panic details if it failed.
async fn start<A: Actor>(actor: &mut A, ctx: &mut Context<A>) -> Result<(), ExitReason> {
    // Nobody sent anything: the actor itself is the sender of its own start.
    ctx.sender = Some(ctx.myself.address());
    let started = AssertUnwindSafe(actor.started(ctx)).catch_unwind().await;
    ctx.sender = None;
    match started {
        Ok(()) => Ok(()),
        Err(panic) => {
            let details = panic_details(&*panic);
            tracing::error!(actor = %ctx.myself, details, "actor failed to start");
            Err(ExitReason::StartFailed(details))
        }
    }
}

/// Handles messages until the actor exits, and says why it did.
#[allow(clippy::manual_async_fn)]
fn live<A: Actor>(stage: &mut Stage<A>) -> impl Future<Output = ExitReason> + Send + '_ {
    // A capture, not an `async fn` parameter: the parameters of an `async fn` are stored twice in
    // its future (once as passed, once as the body's bindings); captures are stored once. Only
    // this one pointer is kept: the actor and the context are reached through it, so that no
    // reference to either is held in this future beside it.
    let s = stage;
    async move {
        // In the sequential base, `started` runs in a turn of its own, like a message.
        s.ctx.myself.cell.mailbox.wait_turn().await;
        if let Err(reason) = start(&mut s.actor, &mut s.ctx).await {
            return reason;
        }
        #[cfg(feature = "sequential")]
        let traced = s
            .ctx
            .myself
            .cell
            .system
            .sequential
            .as_ref()
            .is_some_and(|seq| seq.is_traced());
        #[cfg(not(feature = "sequential"))]
        let traced = false;
        'messages: loop {
            // SAFETY: this is the actor's own task, its mailbox's only receiver.
            let next = unsafe { s.ctx.myself.cell.mailbox.recv() };
            let took = match s.ctx.extras.as_ref().and_then(|e| e.exit_when_idle) {
                None => next.await,
                // Boxed: a timer inline would grow every actor's task, and few actors are
                // transient.
                Some(idle) => {
                    match Box::pin(s.ctx.myself.cell.system.clock().timeout(idle, next)).await {
                        Ok(took) => took,
                        Err(_) => {
                            // Transient: idle for too long. Exit through the mailbox, as a request
                            // would.
                            s.ctx.stop();
                            continue;
                        }
                    }
                }
            };
            // No `.await` below sits inside a `match` or `if let` on a value that needs dropping:
            // the future would keep room for that value across the await, in every actor's task.
            let rare = 'user: {
                // The first attempt is the hot path, handled here; the retries, rare, run in a
                // boxed future of their own so that they do not grow every actor's task. The
                // message is bound only within its arm, and what `open` returned ends with this
                // statement, so the task's future keeps neither beside the handler's.
                let (spare, asked, started);
                let handling = match open(&mut s.ctx, took, traced) {
                    Opened::User(msg) => {
                        spare = Spare::of(&msg);
                        asked = s.ctx.reply.is_some();
                        started = metrics::taking(&mut s.ctx);
                        AssertUnwindSafe(s.actor.handle(msg, &mut s.ctx)).catch_unwind()
                    }
                    Opened::Refused => continue 'messages,
                    Opened::Closed => return ExitReason::Requested,
                    Opened::System(msg) => break 'user Rare::System(msg),
                    Opened::Traced(msg, trace) => break 'user Rare::Traced(msg, trace),
                };
                let panic = match handling.await {
                    Ok(()) => {
                        metrics::handled(&s.ctx, started);
                        handled(&mut s.ctx);
                        continue 'messages;
                    }
                    Err(panic) => {
                        metrics::handled(&s.ctx, started);
                        panic
                    }
                };
                let failed = Failed {
                    spare,
                    asked,
                    panic,
                };
                let step = Box::pin(recover(&mut s.actor, &mut s.ctx, failed)).await;
                if let Step::Exit(reason) = step {
                    return reason;
                }
                continue 'messages;
            };
            // System messages and traced handling are rare: boxing their (large) futures keeps
            // every actor's task small.
            let rare: Pin<Box<dyn Future<Output = Step> + Send + '_>> = match rare {
                Rare::System(msg) => Box::pin(handle_system(&mut s.actor, &mut s.ctx, msg)),
                Rare::Traced(msg, trace) => {
                    Box::pin(handle_traced(&mut s.actor, &mut s.ctx, msg, trace))
                }
            };
            let step = rare.await;
            // A hook's sender (see `hook`) ends with it.
            s.ctx.sender = None;
            if let Step::Exit(reason) = step {
                return reason;
            }
        }
    }
}

/// What the receiver found in the mailbox.
enum Opened<M> {
    /// One of the actor's own messages; its sender and reply route are in the context.
    User(M),
    /// One of the actor's own messages, to be handled in a tracing span (see `spans`), with the
    /// trace it came with.
    Traced(M, Option<TraceId>),
    System(SystemMessage),
    /// Refused: the actor is exiting.
    Refused,
    /// The mailbox is closed and empty.
    Closed,
}

/// Opens what the receiver took: an envelope's sender and reply route go into the context. A
/// function of its own, taking the envelope whole, so that it is not kept in the task's future
/// while the message is handled.
#[inline]
fn open<A: Actor>(
    ctx: &mut Context<A>,
    took: Option<Envelope<A::Message>>,
    traced: bool,
) -> Opened<A::Message> {
    let Some(env) = took else {
        return Opened::Closed;
    };
    #[cfg(feature = "sequential")]
    if traced {
        record(ctx, &env);
    }
    #[cfg(not(feature = "sequential"))]
    let _ = traced;
    match env.payload {
        Payload::User(msg) if ctx.exiting().is_some() => {
            refuse_while_exiting(ctx, msg, env.sender, env.reply);
            Opened::Refused
        }
        Payload::User(msg) => {
            ctx.sender = env.sender;
            ctx.reply = env.reply;
            match spans::enabled() {
                false => Opened::User(msg),
                true => Opened::Traced(msg, None),
            }
        }
        // Its own arm, though it repeats the two above: one path through `Payload::into_user`
        // for both cost the untraced tell 7 instructions (callgrind, `hop_profile tell`).
        Payload::Traced(traced) => {
            let (msg, trace) = *traced;
            if ctx.exiting().is_some() {
                refuse_while_exiting(ctx, msg, env.sender, env.reply);
                return Opened::Refused;
            }
            ctx.sender = env.sender;
            ctx.reply = env.reply;
            Opened::Traced(msg, Some(trace))
        }
        Payload::System(msg) => Opened::System(msg),
    }
}

/// What the hot path leaves to a boxed future of its own.
enum Rare<M> {
    System(SystemMessage),
    Traced(M, Option<TraceId>),
}

/// Handles one message in its tracing span (see `spans`), retries and supervision included.
async fn handle_traced<A: Actor>(
    actor: &mut A,
    ctx: &mut Context<A>,
    msg: A::Message,
    trace: Option<TraceId>,
) -> Step {
    // Only called while spans are on: an actor whose messages merely carry a trace (from
    // another node) allocates nothing for it.
    let actor_span = || {
        let extras = ctx.extras.get_or_insert_with(Default::default);
        let span = extras.span.get_or_insert_with(|| {
            let myself: &dyn std::fmt::Display = &ctx.myself;
            spans::actor_span(myself, A::type_name())
        });
        span.clone()
    };
    let span = spans::handling(
        actor_span,
        <A::Message as Mail>::name(&msg),
        ctx.sender.as_ref().map(|s| s as &dyn std::fmt::Display),
        trace,
    );
    spans::Traced::new(span, handle_one(actor, ctx, msg)).await
}

/// Handles one message: the first attempt, then the retries and supervision if it failed.
async fn handle_one<A: Actor>(actor: &mut A, ctx: &mut Context<A>, msg: A::Message) -> Step {
    let spare = Spare::of(&msg);
    let asked = ctx.reply.is_some();
    let started = metrics::taking(ctx);
    let outcome = AssertUnwindSafe(actor.handle(msg, ctx))
        .catch_unwind()
        .await;
    metrics::handled(ctx, started);
    match outcome {
        Ok(()) => {
            handled(ctx);
            Step::Continue
        }
        Err(panic) => {
            let failed = Failed {
                spare,
                asked,
                panic,
            };
            Box::pin(recover(actor, ctx, failed)).await
        }
    }
}

/// Adds a message about to be handled to a traced sequential system's record.
#[cfg(feature = "sequential")]
#[cold]
fn record<A: Actor>(ctx: &Context<A>, env: &Envelope<A::Message>) {
    let Some(seq) = &ctx.myself.cell.system.sequential else {
        return;
    };
    seq.record(|| TraceEntry {
        sender: env
            .sender
            .as_ref()
            .map_or_else(|| "outside".to_owned(), |s| s.cell.trace_name()),
        receiver: ctx.myself.cell.trace_name(),
        message: match &env.payload {
            Payload::User(m) => <A::Message as Mail>::name(m),
            Payload::Traced(traced) => <A::Message as Mail>::name(&traced.0),
            Payload::System(m) => m.name(),
        },
    });
}

/// Ends an actor whose context is at hand (its timers end with it, see `Extras`).
pub(crate) fn finish<A: Actor>(ctx: Context<A>, reason: ExitReason) {
    let Context {
        myself, mut extras, ..
    } = ctx;
    // The actors it watches no longer need to tell it anything.
    if let Some(extras) = &mut extras {
        for (_, watched) in extras.watching.drain() {
            crate::context::release_watch(&myself.cell.system, myself.id(), &watched);
        }
    }
    drop(extras);
    end(&myself, reason);
}

/// Closes the mailbox (what is left becomes dead letters), then tells the parent.
fn end<A: Actor>(myself: &crate::Addr<A>, reason: ExitReason) {
    let cell = &myself.cell;
    let parent = cell.take_parent();
    let me = myself.address();
    // SAFETY: `end` runs in the actor's own task (or its troupe leader's), the receiver.
    let rest = unsafe { cell.mailbox.close() };
    // Dropping messages runs their `Drop`: a panic there must not keep the actor from ending.
    let drained = std::panic::catch_unwind(AssertUnwindSafe(|| {
        cell.system.dead_letter_envelopes::<A>(&me, rest);
    }));
    if let Err(panic) = drained {
        tracing::error!(actor = %me, details = panic_details(&*panic), "a message panicked when dropped");
    }
    cell.system.clear_dead_letter_handler(me.id());
    tracing::trace!(actor = %me, %reason, "actor exited");
    // An actor whose parent is on another node is top-level here (see `new_actor`).
    let remote_parent = parent
        .as_ref()
        .and_then(|p| p.cell.remote_target().map(|t| t.node));
    if let Some(node) = remote_parent {
        cell.system.watches.forget_adopted(node, me.id());
    }
    // Uncounted and its name freed before anyone hears of the exit: a parent that hears it
    // (on any node) finds the actor gone from `live_actors` and may reuse its name.
    cell.system
        .actor_ended(myself.id(), parent.is_none() || remote_parent.is_some());
    // Its mailbox is closed: a watch made from now on is told at once instead.
    for watcher in cell.system.watches.ended(me.id()) {
        let notice = WatchedActorExited {
            actor: me.clone(),
            reason: reason.clone(),
        };
        let _ = watcher
            .cell
            .push_system(SystemMessage::Watched(Box::new(notice)));
    }
    if let Some(parent) = &parent {
        let notice = ChildActorExited { child: me, reason };
        if let Err(SystemMessage::ChildExited(notice)) = parent
            .cell
            .push_system(SystemMessage::ChildExited(Box::new(notice)))
        {
            tracing::debug!(child = %notice.child, parent = %parent, "parent gone before its child");
        }
    }
}

/// A message that arrived while the actor waits for its children to exit: nobody will handle it.
/// Cold and out of line: small enough to be inlined, it cost every handled message 4
/// instructions in the actor's loop (callgrind `hop_profile tell`).
#[cold]
#[inline(never)]
fn refuse_while_exiting<A: Actor>(
    ctx: &Context<A>,
    msg: A::Message,
    sender: Option<ActorAddress>,
    reply: Option<crate::reply::ReplyTo>,
) {
    if let Some(reply) = reply {
        reply.fail(AskError::DeadActor);
    }
    let me = ctx.myself.address();
    ctx.myself.cell.system.dead_letter_mail(me, sender, msg);
}

/// What a failed first attempt needs: a copy of the message for the retry (when one can be
/// made), else the message's name for the poison notice.
enum Spare<M> {
    Copy(M),
    Name(&'static str),
}

impl<M: Mail> Spare<M> {
    #[inline]
    fn of(msg: &M) -> Self {
        // Made before the handler takes the message: for a retry, and for the poison notice.
        match M::copy(msg) {
            Some(copy) => Spare::Copy(copy),
            None => Spare::Name(M::name(msg)),
        }
    }
}

/// What a message whose first attempt panicked leaves to its failure path.
struct Failed<M> {
    spare: Spare<M>,
    asked: bool,
    panic: Box<dyn std::any::Any + Send>,
}

/// Clears what handling one message put in the context, and tells a troupe's leader that this
/// worker is free again.
#[inline]
fn handled<A: Actor>(ctx: &mut Context<A>) {
    ctx.sender = None;
    ctx.reply = None;
    if let Some(leader) = ctx.extras.as_ref().and_then(|e| e.leader.as_ref()) {
        worker_idle(leader, ctx.myself.id());
    }
}

/// Tells a troupe's leader (`troupe.rs`) that `worker` is free for its next job.
fn worker_idle(leader: &ActorAddress, worker: ActorId) {
    let _ = leader.cell.push_system(SystemMessage::WorkerIdle(worker));
}

/// A first attempt panicked: the retries, the poison notice, then the supervision policy.
async fn recover<A: Actor>(
    actor: &mut A,
    ctx: &mut Context<A>,
    failed: Failed<A::Message>,
) -> Step {
    let Failed {
        spare,
        asked,
        panic,
    } = failed;
    let failure = retry(actor, ctx, spare, asked, panic).await;
    handled(ctx);
    let (Some(details), Some(mut supervisor)) = (failure, ctx.take_supervisor()) else {
        return Step::Continue;
    };
    let step = supervise(actor, ctx, &mut supervisor, details).await;
    ctx.keep_supervisor(supervisor);
    step
}

/// After a failed first attempt: the retries, then the poison notice.
async fn retry<A: Actor>(
    actor: &mut A,
    ctx: &mut Context<A>,
    spare: Spare<A::Message>,
    asked: bool,
    panic: Box<dyn std::any::Any + Send>,
) -> Option<String> {
    // `next`: the copy for the next attempt; `kept`: the copy for the poison notice, made before
    // the last attempt.
    let (name, mut next, mut kept) = match spare {
        Spare::Copy(copy) if <A::Message as Mail>::retried(&copy) => {
            (<A::Message as Mail>::name(&copy), Some(copy), None)
        }
        Spare::Copy(copy) => (<A::Message as Mail>::name(&copy), None, Some(copy)),
        Spare::Name(name) => (name, None, None),
    };
    let mut attempt = 1;
    let mut panic = panic;
    loop {
        let details = panic_details(&*panic);
        tracing::error!(actor = %ctx.myself, message_type = name, attempt, details, "handler panicked");
        if asked && ctx.reply.is_none() {
            // The handler had taken the ask's reply handle, which was dropped as it unwound and
            // failed the ask with `Poisoned` (see `ReplyTo`'s drop): nothing can answer it again,
            // so the message is not retried.
            metrics::poisoned(A::type_name());
            return Some(details);
        }
        let Some(msg) = next.take() else {
            poison(ctx, name, details.clone(), kept);
            return Some(details);
        };
        attempt += 1;
        if attempt <= RETRIES {
            next = <A::Message as Mail>::copy(&msg);
        } else {
            kept = <A::Message as Mail>::copy(&msg);
        }
        match AssertUnwindSafe(actor.handle(msg, ctx))
            .catch_unwind()
            .await
        {
            Ok(()) => return None,
            Err(again) => panic = again,
        }
    }
}

/// Applies the supervision policy after a failure.
async fn supervise<A: Actor>(
    actor: &mut A,
    ctx: &mut Context<A>,
    supervisor: &mut Supervisor<A>,
    details: String,
) -> Step {
    match supervisor.on_failure(ctx.myself.cell.system.clock().now()) {
        Verdict::Resume => Step::Continue,
        Verdict::Restart(fresh) => {
            tracing::warn!(actor = %ctx.myself, details, "restarting after a failure");
            ctx.myself.cell.system.count_restart(A::type_name());
            *actor = fresh;
            match start(actor, ctx).await {
                Ok(()) => Step::Continue,
                Err(reason) => fail(actor, ctx, reason_details(reason)).await,
            }
        }
        Verdict::Stop => {
            tracing::warn!(actor = %ctx.myself, details, "stopping after a failure");
            fail(actor, ctx, details).await
        }
    }
}

fn reason_details(reason: ExitReason) -> String {
    match reason {
        ExitReason::StartFailed(d) | ExitReason::Failed(d) => d,
        other => other.to_string(),
    }
}

/// Exits because of a failure: like an exit request, but the parent hears `Failed(details)`.
async fn fail<A: Actor>(actor: &mut A, ctx: &mut Context<A>, details: String) -> Step {
    ctx.extras().failure = Some(details);
    handle_system(actor, ctx, SystemMessage::Exit(ExitCause::Requested)).await
}

/// Tells the sender of a message that failed every attempt.
fn poison<A: Actor>(
    ctx: &mut Context<A>,
    message_type: &'static str,
    details: String,
    message: Option<A::Message>,
) {
    metrics::poisoned(A::type_name());
    if let Some(reply) = ctx.reply.take() {
        reply.fail(AskError::Poisoned(Poison::Panicked(details)));
        return;
    }
    let notice = PoisonMessage {
        target: ctx.myself.address(),
        message: message.map(<A::Message as Mail>::into_any),
        message_type,
        details,
    };
    let to = ctx.sender();
    let _ = to.cell.push_system(SystemMessage::Poison(Box::new(notice)));
}

/// Handles a system message.
async fn handle_system<A: Actor>(actor: &mut A, ctx: &mut Context<A>, msg: SystemMessage) -> Step {
    match msg {
        SystemMessage::Exit(cause) => {
            if ctx.exiting().is_some() {
                return Step::Continue;
            }
            ctx.myself.cell.set_exiting(cause);
            // As for `started`, the actor is the sender of its own `stopping`.
            ctx.sender = Some(ctx.myself.address());
            if let Err(panic) = AssertUnwindSafe(actor.stopping(ctx)).catch_unwind().await {
                tracing::error!(actor = %ctx.myself, details = panic_details(&*panic),
                    "stopping hook panicked; the actor exits all the same");
            }
            // Children leave because their parent does, whatever made it leave.
            let theirs = match cause {
                ExitCause::Capabilities => ExitCause::Requested,
                other => other,
            };
            for child in ctx.children() {
                let asked = child.cell.push_system(SystemMessage::Exit(theirs)).is_ok();
                if !asked && child.cell.remote_target().is_some() {
                    // Its node cannot be reached: it counts as ended.
                    let notice = ChildActorExited {
                        child: child.clone(),
                        reason: ExitReason::NodeLost,
                    };
                    let _ = ctx
                        .myself
                        .cell
                        .push_system(SystemMessage::ChildExited(Box::new(notice)));
                }
            }
            exit_if_done(ctx)
        }
        SystemMessage::ChildExited(notice) => {
            let known = heard_of(ctx, &notice.child, Interest::Child);
            // A second notice of a remote child (its node was lost first) is dropped: told once.
            if known || notice.child.cell.remote_target().is_none() {
                let child = Some(notice.child.clone());
                hook(ctx, child, |actor_ctx| {
                    actor.child_exited(*notice, actor_ctx)
                })
                .await;
            }
            exit_if_done(ctx)
        }
        SystemMessage::Watched(notice) => {
            // Not watched any more (unwatched, or told already): nothing to tell.
            if heard_of(ctx, &notice.actor, Interest::Watch) {
                let watched = Some(notice.actor.clone());
                hook(ctx, watched, |actor_ctx| {
                    actor.watched_exited(*notice, actor_ctx)
                })
                .await;
            }
            Step::Continue
        }
        SystemMessage::Capabilities(capabilities) => {
            for child in ctx.children() {
                if child.cell.remote_target().is_none() {
                    let news = SystemMessage::Capabilities(capabilities.clone());
                    let _ = child.cell.push_system(news);
                }
            }
            let empty = crate::Capabilities::new();
            let requirements = ctx
                .extras
                .as_ref()
                .and_then(|e| e.requirements.as_deref())
                .unwrap_or(&empty);
            if A::capability_check(&capabilities, requirements) {
                return Step::Continue;
            }
            tracing::info!(actor = %ctx.myself, "the system's capabilities no longer suit the actor: exiting");
            Box::pin(handle_system(
                actor,
                ctx,
                SystemMessage::Exit(ExitCause::Capabilities),
            ))
            .await
        }
        SystemMessage::DeadLetter(envelope) => {
            let sender = envelope.sender.clone();
            hook(ctx, sender, |actor_ctx| {
                actor.dead_letter(*envelope, actor_ctx)
            })
            .await;
            Step::Continue
        }
        SystemMessage::Poison(poison) => {
            let failed = Some(poison.target.clone());
            hook(ctx, failed, |actor_ctx| actor.poisoned(*poison, actor_ctx)).await;
            Step::Continue
        }
        SystemMessage::Wakeup(wakeup) => {
            if let Some(extras) = &mut ctx.extras {
                extras.tasks.remove(&wakeup.id);
            }
            let me = Some(ctx.myself.address());
            hook(ctx, me, |actor_ctx| actor.wakeup(*wakeup, actor_ctx)).await;
            Step::Continue
        }
        // Only a troupe's leader acts on these.
        SystemMessage::WorkerIdle(_) | SystemMessage::TroupeLimits { .. } => Step::Continue,
        // The place of a message whose conversion panicked as it was sent.
        SystemMessage::Void => Step::Continue,
        SystemMessage::Status(reply) => {
            let status = ActorStatus {
                address: ctx.myself.address(),
                parent: ctx.parent(),
                children: ctx.children().cloned().collect(),
                queued: ctx.myself.cell.mailbox.len(),
                pending_timers: ctx
                    .extras
                    .as_ref()
                    .map_or(0, |e| e.tasks.values().filter(|t| !t.is_finished()).count()),
                exiting: ctx.exiting().is_some(),
            };
            let _ = reply.send(status);
            Step::Continue
        }
    }
}

/// The end of `actor`, a child or a watched actor, is told: forgets it, and whether it was
/// still known as such.
pub(crate) fn heard_of<A: Actor>(
    ctx: &mut Context<A>,
    actor: &ActorAddress,
    interest: Interest,
) -> bool {
    let known = ctx.extras.as_mut().is_some_and(|e| {
        let table = match interest {
            Interest::Child => &mut e.children,
            Interest::Watch => &mut e.watching,
        };
        table.remove(&actor.id()).is_some()
    });
    let me = ctx.myself.id();
    ctx.myself.cell.system.watches.told(actor, me, interest);
    known
}

/// Runs a hook with `sender` as what `ctx.sender()` reports (see `Actor`'s hooks); a panic in it
/// is logged and otherwise ignored.
async fn hook<'a, A: Actor, F>(
    ctx: &'a mut Context<A>,
    sender: Option<ActorAddress>,
    call: impl FnOnce(&'a mut Context<A>) -> F,
) where
    F: std::future::Future<Output = ()> + 'a,
{
    let me: ActorAddress = ctx.myself.address();
    ctx.sender = sender;
    // The context is lent to the hook: the sender is reset by the loop, after this returns.
    if let Err(panic) = AssertUnwindSafe(call(ctx)).catch_unwind().await {
        tracing::error!(actor = %me, details = panic_details(&*panic), "hook panicked");
    }
}

fn exit_if_done<A: Actor>(ctx: &mut Context<A>) -> Step {
    match ctx.exiting() {
        Some(cause) if ctx.children().next().is_none() => {
            let failure = ctx.extras.as_mut().and_then(|e| e.failure.take());
            Step::Exit(failure.map_or_else(|| cause.into(), ExitReason::Failed))
        }
        _ => Step::Continue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tiny;

    impl Actor for Tiny {
        type Message = u64;
        async fn handle(&mut self, _message: u64, _ctx: &mut Context<Self>) {}
    }

    /// An idle actor's cell stays small (BENCHMARKS.md: at 184 bytes an idle actor took 555 B,
    /// at 88 bytes 489 B): the mailbox's core waits for the first message.
    #[test]
    fn an_actor_cell_stays_within_88_bytes() {
        use crate::cell::ActorCell;
        assert_eq!(std::mem::size_of::<crate::mailbox::Mailbox<u64>>(), 32);
        assert!(std::mem::size_of::<ActorCell<Tiny>>() <= 88);
    }

    /// A context for an actor of type `A` that is not started.
    fn context<A: Actor>(system: &crate::ActorSystem) -> Context<A> {
        let cell = crate::cell::ActorCell::<A>::unstarted(system);
        Context::new(crate::Addr::from_cell(cell))
    }

    /// An idle actor's memory is mostly its task's future: keep it from creeping up unnoticed.
    #[test]
    fn an_idle_actor_task_stays_small() {
        let system = crate::ActorSystem::new();
        assert!(std::mem::size_of::<Context<Tiny>>() <= 64);
        assert!(std::mem::size_of::<Envelope<u64>>() <= 48);
        let task = run(Tiny, context::<Tiny>(&system), None);
        let size = std::mem::size_of_val(&task);
        assert!(
            size <= 144,
            "the task future of a trivial actor is {size} bytes"
        );
    }

    /// Lingering, counted by the queue's sleeps (not under loom, whose queue does not count).
    #[cfg(not(thespian_loom))]
    mod lingering {
        use super::*;

        /// Two actors passing a ball back and forth.
        struct Bouncer {
            peer: Option<crate::Addr<Bouncer>>,
            done: std::sync::Arc<tokio::sync::Notify>,
        }

        enum Bounce {
            Peer(crate::Addr<Bouncer>),
            Ball(u32),
        }

        impl crate::Message for Bounce {
            type Reply = ();
        }

        impl crate::Mail for Bounce {}

        impl Actor for Bouncer {
            type Message = Bounce;
            async fn handle(&mut self, message: Bounce, _ctx: &mut Context<Self>) {
                match message {
                    Bounce::Peer(peer) => self.peer = Some(peer),
                    Bounce::Ball(0) => self.done.notify_one(),
                    Bounce::Ball(n) => {
                        let peer = self.peer.as_ref().expect("a peer");
                        peer.tell(Bounce::Ball(n - 1)).await.expect("alive");
                    }
                }
            }
        }

        /// On a current-thread runtime an actor lingers after every message: in a ping-pong the
        /// reply is there when it looks again, so neither actor sleeps (and neither is woken) per
        /// message. With the streak of a multi-thread runtime, each would sleep once per message.
        #[test]
        fn on_a_current_thread_runtime_a_ping_pong_does_not_sleep_per_message() {
            use crate::mailbox::SLEEPS;
            use std::sync::Arc;
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a runtime");
            rt.block_on(async {
                let system = crate::ActorSystem::new();
                let done = Arc::new(tokio::sync::Notify::new());
                let new = || Bouncer {
                    peer: None,
                    done: done.clone(),
                };
                let a = system.create_actor(new()).await.unwrap();
                let b = system.create_actor(new()).await.unwrap();
                a.tell(Bounce::Peer(b.clone())).await.unwrap();
                b.tell(Bounce::Peer(a.clone())).await.unwrap();
                tokio::task::yield_now().await;
                let before = SLEEPS.with(std::cell::Cell::get);
                a.tell(Bounce::Ball(2_000)).await.unwrap();
                done.notified().await;
                let slept = SLEEPS.with(std::cell::Cell::get) - before;
                assert!(slept < 100, "2,000 hops, {slept} sleeps");
                system.shutdown().await;
            });
        }
    }

    /// An actor with a kibibyte of state.
    struct Big {
        _state: [u64; 128],
    }

    impl Actor for Big {
        type Message = u64;
        async fn handle(&mut self, _message: u64, _ctx: &mut Context<Self>) {}
    }

    /// The actor's state is held once in its task, not once per layer of the loop.
    #[test]
    fn an_actor_task_holds_the_actor_once() {
        let system = crate::ActorSystem::new();
        let big = Big { _state: [0; 128] };
        let task = run(big, context::<Big>(&system), None);
        let size = std::mem::size_of_val(&task);
        let actor = std::mem::size_of::<Big>();
        assert!(
            size <= actor + 144,
            "the task future of a {actor}-byte actor is {size} bytes"
        );
    }
}
