//! An actor in a process of its own: a local stand-in whose task forwards the actor's messages
//! to the process, and starts a fresh process when the process dies and supervision says so.
//!
//! The stand-in is an ordinary actor cell of the actor's type, so the address handed out is a
//! local one and stays the same across restarts: only the stand-in's target changes. Messages
//! that arrive while a process starts wait in its mailbox; what was forwarded to a process that
//! then dies becomes a dead letter (or a failed ask) through the link, as for any remote actor.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;

use crate::actor::Actor;
use crate::address::{ActorAddress, Addr};
use crate::cell::{AnyCell, Deliver, Refused};
use crate::context::Context;
use crate::envelope::{Envelope, SystemMessage};
use crate::error::{AskError, CreateError};
use crate::messages::{panic_details, ExitReason};
use crate::options::{ActorOptions, Encode};
use crate::remote::transport::{BoxFuture, ProcessOrder, Processes};
use crate::status::ActorStatus;
use crate::supervision::{Supervision, Supervisor, Verdict};
use crate::system::shared::SystemShared;
use crate::watch::Interest;

/// How long the stand-in waits, once one half of an end is known (the process ended, or its
/// actor's end was told), for the other half.
const GRACE: Duration = Duration::from_secs(1);

/// What the stand-in needs to start (and restart) the actor's process.
struct Relay<A: Actor> {
    processes: Arc<dyn Processes>,
    encode: Encode<A>,
    /// The value the next process makes its actor from.
    value: Vec<u8>,
    supervisor: Supervisor<A>,
    stop_on_failure: bool,
}

/// Creates the stand-in of an actor that runs in a process of its own, and starts its task.
pub(crate) fn start<A: Actor>(
    system: &Arc<SystemShared>,
    actor: A,
    parent: Option<ActorAddress>,
    mut options: ActorOptions<A>,
) -> Result<Addr<A>, CreateError> {
    let refused = |why: String| CreateError::NoProcess {
        actor: A::type_name(),
        why,
    };
    let processes = system
        .processes
        .get()
        .cloned()
        .ok_or_else(|| refused("the actor system has no process base".into()))?;
    let encode = options
        .process
        .take()
        .ok_or_else(|| refused("not asked to run in its own process".into()))?;
    let mut value = Vec::new();
    encode(&actor, &mut value).map_err(|e| refused(e.to_string()))?;
    // The value lives on in the process; this copy is not needed any more.
    drop(actor);
    let (runtime, ctx) = system.new_actor::<A>(parent, options.mailbox_capacity)?;
    let addr = ctx.myself.clone();
    for message in options.initial_messages {
        let _ = addr.cell.mailbox.push(Envelope::user(message, None, None));
    }
    let stop_on_failure = !matches!(options.supervision, Supervision::Resume);
    let relay = Relay {
        processes,
        encode,
        value,
        supervisor: Supervisor::new(options.supervision),
        stop_on_failure,
    };
    runtime.start(stand_in(ctx, relay));
    Ok(addr)
}

/// The stand-in's task.
async fn stand_in<A: Actor>(mut ctx: Context<A>, mut relay: Relay<A>) {
    // A restart factory is user code: whatever panics, the stand-in still ends properly.
    let lived = AssertUnwindSafe(relay_until_exit(&mut ctx, &mut relay))
        .catch_unwind()
        .await;
    let reason = lived.unwrap_or_else(|panic| {
        let details = panic_details(&*panic);
        tracing::error!(actor = %ctx.myself, details, "the stand-in of an actor in its own process failed");
        ExitReason::Failed(details)
    });
    crate::message_loop::finish(ctx, reason);
}

/// Starts processes for the actor until it exits for good; the reason.
async fn relay_until_exit<A: Actor>(ctx: &mut Context<A>, relay: &mut Relay<A>) -> ExitReason {
    let mut held = VecDeque::new();
    let reason = processes(ctx, relay, &mut held).await;
    // Held for a process that will not come: dead letters, as the rest of the mailbox.
    let me = ctx.myself.address();
    let system = ctx.myself.cell.system.clone();
    system.dead_letter_envelopes::<A>(&me, held.drain(..));
    reason
}

/// Starts one process after another while the actor's supervision restarts it.
async fn processes<A: Actor>(
    ctx: &mut Context<A>,
    relay: &mut Relay<A>,
    held: &mut VecDeque<Envelope<A::Message>>,
) -> ExitReason {
    loop {
        if let Some(cause) = ctx.exiting() {
            return cause.into();
        }
        let order = ProcessOrder {
            type_name: A::type_name(),
            value: relay.value.clone(),
            stop_on_failure: relay.stop_on_failure,
        };
        // Messages wait in the mailbox meanwhile.
        let process = match relay.processes.start(order).await {
            Ok(process) => process,
            Err(why) => return ExitReason::StartFailed(why),
        };
        let Some(target) = process.actor.downcast::<A>() else {
            return ExitReason::StartFailed(format!("the process runs no {}", A::type_name()));
        };
        tracing::debug!(actor = %ctx.myself, pid = process.pid, "actor started in its own process");
        let reason = life(ctx, &target, process.ended, held).await;
        let failed = matches!(
            reason,
            ExitReason::Failed(_) | ExitReason::ProcessEnded(_) | ExitReason::NodeLost
        );
        if !failed || ctx.exiting().is_some() {
            return reason;
        }
        let system = &ctx.myself.cell.system;
        match relay.supervisor.on_failure(system.clock().now()) {
            Verdict::Restart(fresh) => {
                let mut value = Vec::new();
                if let Err(e) = (relay.encode)(&fresh, &mut value) {
                    return ExitReason::Failed(format!("cannot encode a fresh actor: {e}"));
                }
                tracing::warn!(actor = %ctx.myself, %reason, "restarting in a fresh process");
                system.count_restart(A::type_name());
                relay.value = value;
            }
            Verdict::Resume | Verdict::Stop => return reason,
        }
    }
}

/// Forwards the actor's messages to the process until the actor or its process ends; why.
/// Messages that arrive once the process has ended are kept in `held`, for the next process.
async fn life<A: Actor>(
    ctx: &mut Context<A>,
    target: &Addr<A>,
    ended: BoxFuture<String>,
    held: &mut VecDeque<Envelope<A::Message>>,
) -> ExitReason {
    let cell = ctx.myself.cell.clone();
    ctx.watch(&target.address());
    // Held while an earlier process restarted: they go first.
    while let Some(env) = held.pop_front() {
        open(ctx, Some(target), env, held);
    }
    let mut ended = ended;
    // How the process ended, and the actor's end as its node told it.
    let mut how: Option<String> = None;
    let mut told: Option<ExitReason> = None;
    while how.is_none() || told.is_none() {
        // SAFETY: the stand-in's task is its mailbox's only receiver.
        let next = unsafe { cell.mailbox.recv() };
        let half_known = how.is_some() || told.is_some();
        // Once the process has ended, nothing more is forwarded to it.
        let live = how.is_none().then_some(target);
        tokio::select! {
            biased;
            h = &mut ended, if how.is_none() => how = Some(h),
            took = next => match took {
                Some(env) => {
                    if let Some(reason) = open(ctx, live, env, held) {
                        told = Some(reason);
                    }
                }
                None => return ExitReason::Requested,
            },
            () = cell.system.clock().sleep(GRACE), if half_known => break,
        }
    }
    // Dropping `ended` kills a process that is still there (lost, but not ended).
    drop(ended);
    match (told, how) {
        (Some(ExitReason::NodeLost) | None, how) => ExitReason::ProcessEnded(
            how.unwrap_or_else(|| "stopped answering, and was killed".to_owned()),
        ),
        (Some(reason), _) => reason,
    }
}

/// Handles one envelope of the stand-in's mailbox; the actor's end when this is its notice.
/// `target` is `None` once the process has ended: a message is then held for the next one.
fn open<A: Actor>(
    ctx: &mut Context<A>,
    target: Option<&Addr<A>>,
    env: Envelope<A::Message>,
    held: &mut VecDeque<Envelope<A::Message>>,
) -> Option<ExitReason> {
    match env.payload.into_user() {
        Ok((msg, trace)) => {
            let refused = match (ctx.exiting(), target) {
                (Some(_), _) => Err(Refused::exited(msg, env.sender, env.reply)),
                (None, None) => {
                    held.push_back(Envelope::with_trace(msg, env.sender, env.reply, trace));
                    return None;
                }
                // Passed on with the trace it came with, not the stand-in's.
                (None, Some(target)) => crate::spans::within(trace, || {
                    <_ as Deliver<A::Message>>::push_msg(&*target.cell, msg, env.sender, env.reply)
                }),
            };
            if let Err(Refused {
                msg: Some(msg),
                sender,
                reply,
                ..
            }) = refused
            {
                if let Some(reply) = reply {
                    reply.fail(AskError::DeadActor);
                }
                let me = ctx.myself.address();
                ctx.myself.cell.system.dead_letter_mail(me, sender, msg);
            }
            None
        }
        Err(SystemMessage::Exit(cause)) => {
            if ctx.exiting().is_none() {
                ctx.myself.cell.set_exiting(cause);
                if let Some(target) = target {
                    let _ = target.cell.request_exit();
                }
            }
            None
        }
        Err(SystemMessage::Watched(notice)) => {
            let watched = crate::message_loop::heard_of(ctx, &notice.actor, Interest::Watch);
            let ours = target.is_none_or(|t| notice.actor == *t);
            (watched && ours).then_some(notice.reason)
        }
        Err(SystemMessage::Status(reply)) => {
            let status = ActorStatus {
                address: ctx.myself.address(),
                parent: ctx.parent(),
                children: Vec::new(),
                queued: ctx.myself.cell.mailbox.len(),
                pending_timers: 0,
                exiting: ctx.exiting().is_some(),
            };
            let _ = reply.send(status);
            None
        }
        // Its capabilities are those of its process's system; the rest is not for a stand-in.
        Err(_) => None,
    }
}
