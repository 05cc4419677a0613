//! The task that runs one actor: start, handle messages in order, exit.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;

use crate::actor::Actor;
use crate::address::ActorAddress;
use crate::context::Context;
use crate::envelope::{Envelope, ExitCause, Payload, SystemMessage};
use crate::error::AskError;
use crate::mailbox::{Take, SHRINK_ABOVE};
use crate::messages::{panic_details, ChildActorExited, ExitReason, PoisonMessage};

/// How many times a failed message is handed to its actor again, in every system base.
pub const RETRIES: u32 = 1;

/// What handling one envelope decided.
enum Step {
    Continue,
    Exit(ExitReason),
}

/// Runs `actor` until it exits.
pub(crate) async fn run<A: Actor>(mut actor: A, mut ctx: Context<A>) {
    let cell = ctx.myself.cell.clone();
    let reason = 'life: {
        if let Err(panic) = AssertUnwindSafe(actor.started(&mut ctx))
            .catch_unwind()
            .await
        {
            let details = panic_details(&*panic);
            tracing::error!(actor = %ctx.myself, details, "actor failed to start");
            break 'life ExitReason::StartFailed(details);
        }
        let mut batch = VecDeque::new();
        loop {
            if let Take::Closed = cell.mailbox.take(&mut batch).await {
                break 'life ExitReason::Requested;
            }
            while let Some(env) = batch.pop_front() {
                if let Step::Exit(reason) = handle_envelope(&mut actor, &mut ctx, env).await {
                    let me = ctx.myself.address();
                    cell.system.dead_letter_envelopes::<A>(&me, batch.drain(..));
                    break 'life reason;
                }
            }
            if batch.capacity() > SHRINK_ABOVE {
                batch = VecDeque::new();
            }
        }
    };
    drop(actor);
    finish(ctx, reason);
}

/// Closes the mailbox (what is left becomes dead letters), then tells the parent.
fn finish<A: Actor>(ctx: Context<A>, reason: ExitReason) {
    let cell = &ctx.myself.cell;
    let me = ctx.myself.address();
    let rest = cell.mailbox.close();
    cell.system.dead_letter_envelopes::<A>(&me, rest);
    cell.system.clear_dead_letter_handler(me.id());
    tracing::trace!(actor = %me, %reason, "actor exited");
    let top_level = ctx.parent.is_none();
    if let Some(parent) = &ctx.parent {
        let notice = ChildActorExited { child: me, reason };
        if let Err(SystemMessage::ChildExited(notice)) = parent
            .cell
            .push_system(SystemMessage::ChildExited(Box::new(notice)))
        {
            tracing::debug!(child = %notice.child, parent = %parent, "parent gone before its child");
        }
    }
    cell.system.actor_ended(ctx.myself.id(), top_level);
}

async fn handle_envelope<A: Actor>(
    actor: &mut A,
    ctx: &mut Context<A>,
    env: Envelope<A::Message>,
) -> Step {
    match env.payload {
        Payload::User(msg) => {
            if ctx.exiting.is_some() {
                // Arrived while waiting for the children to exit: nobody will handle it.
                if let Some(reply) = env.reply {
                    reply.fail(AskError::DeadActor);
                }
                let name = A::message_name(&msg);
                let me = ctx.myself.address();
                ctx.myself
                    .cell
                    .system
                    .dead_letter(me, env.sender, A::message_into_any(msg), name);
                return Step::Continue;
            }
            ctx.sender = env.sender;
            ctx.reply = env.reply;
            let name = A::message_name(&msg);
            let mut next = Some(msg);
            let mut attempt = 0;
            let failure = loop {
                let Some(msg) = next.take() else { break None };
                if attempt < RETRIES {
                    next = A::message_copy(&msg);
                }
                attempt += 1;
                match AssertUnwindSafe(actor.handle(msg, ctx))
                    .catch_unwind()
                    .await
                {
                    Ok(()) => break None,
                    Err(panic) => {
                        let details = panic_details(&*panic);
                        tracing::error!(actor = %ctx.myself, message = name, attempt, details, "handler panicked");
                        if next.is_none() {
                            break Some(details);
                        }
                    }
                }
            };
            if let Some(details) = failure {
                poison(ctx, name, details);
            }
            ctx.sender = None;
            ctx.reply = None;
            Step::Continue
        }
        Payload::System(msg) => handle_system(actor, ctx, msg).await,
    }
}

/// Tells the sender of a message that failed every attempt.
fn poison<A: Actor>(ctx: &mut Context<A>, message_type: &'static str, details: String) {
    if let Some(reply) = ctx.reply.take() {
        reply.fail(AskError::Poisoned(details));
        return;
    }
    let notice = PoisonMessage {
        target: ctx.myself.address(),
        message: None,
        message_type,
        details,
    };
    let to = ctx.sender();
    let _ = to.cell.push_system(SystemMessage::Poison(Box::new(notice)));
}

async fn handle_system<A: Actor>(actor: &mut A, ctx: &mut Context<A>, msg: SystemMessage) -> Step {
    match msg {
        SystemMessage::Exit(cause) => {
            if ctx.exiting.is_some() {
                return Step::Continue;
            }
            ctx.exiting = Some(cause);
            if let Err(panic) = AssertUnwindSafe(actor.stopping(ctx)).catch_unwind().await {
                tracing::error!(actor = %ctx.myself, details = panic_details(&*panic),
                    "stopping hook panicked; the actor exits all the same");
            }
            for child in ctx.children.values() {
                let _ = child.cell.push_system(SystemMessage::Exit(cause));
            }
            exit_if_done(ctx)
        }
        SystemMessage::ChildExited(notice) => {
            ctx.children.remove(&notice.child.id());
            hook(ctx, |actor_ctx| actor.child_exited(*notice, actor_ctx)).await;
            exit_if_done(ctx)
        }
        SystemMessage::DeadLetter(envelope) => {
            hook(ctx, |actor_ctx| actor.dead_letter(*envelope, actor_ctx)).await;
            Step::Continue
        }
        SystemMessage::Poison(poison) => {
            hook(ctx, |actor_ctx| actor.poisoned(*poison, actor_ctx)).await;
            Step::Continue
        }
    }
}

/// Runs a hook; a panic in it is logged and otherwise ignored.
async fn hook<'a, A: Actor, F>(ctx: &'a mut Context<A>, call: impl FnOnce(&'a mut Context<A>) -> F)
where
    F: std::future::Future<Output = ()> + 'a,
{
    let me: ActorAddress = ctx.myself.address();
    if let Err(panic) = AssertUnwindSafe(call(ctx)).catch_unwind().await {
        tracing::error!(actor = %me, details = panic_details(&*panic), "hook panicked");
    }
}

fn exit_if_done<A: Actor>(ctx: &Context<A>) -> Step {
    match ctx.exiting {
        Some(cause) if ctx.children.is_empty() => Step::Exit(match cause {
            ExitCause::Requested => ExitReason::Requested,
            ExitCause::Shutdown => ExitReason::SystemShutdown,
        }),
        _ => Step::Continue,
    }
}
