//! Metrics through the [`metrics`](https://docs.rs/metrics) facade (feature `metrics`).
//!
//! Install a recorder (a Prometheus exporter, say) before creating actors: an actor takes its
//! handles from the recorder installed when it handles its first message. Without the feature
//! every function here is empty and costs nothing. With it, an actor's extras are allocated on
//! its first message (they hold its handles), every message reads the clock twice, and each
//! counted event (restart, poison, dead letter) looks its counter up in the recorder.
//!
//! The names, kinds and labels are listed in the crate's docs (*Observing a running system*).

/// When an actor took a message (nothing without the feature).
pub(crate) struct Started(#[cfg(feature = "metrics")] std::time::Instant);

/// One actor's handles, made when it handles its first message.
#[cfg(feature = "metrics")]
pub(crate) struct ActorMetrics {
    handler: ::metrics::Histogram,
    depth: ::metrics::Histogram,
}

/// What the metrics read of an actor as it handles a message (its context implements it), so
/// this module needs nothing of the actor's types.
pub(crate) trait Measured {
    /// The actor's type name, the label of its histograms.
    #[cfg(feature = "metrics")]
    fn actor_type(&self) -> &'static str;
    /// The messages waiting in its mailbox.
    #[cfg(feature = "metrics")]
    fn depth(&self) -> usize;
    /// Where its handles are kept, made on first use.
    #[cfg(feature = "metrics")]
    fn handles(&mut self) -> &mut Option<ActorMetrics>;
    /// Its handles, if made.
    #[cfg(feature = "metrics")]
    fn handles_made(&self) -> Option<&ActorMetrics>;
}

/// An actor is about to handle a message: records its mailbox's depth.
#[inline(always)]
pub(crate) fn taking(actor: &mut impl Measured) -> Started {
    #[cfg(feature = "metrics")]
    {
        let depth = actor.depth();
        let name = actor.actor_type();
        let handles = actor.handles().get_or_insert_with(|| ActorMetrics {
            handler: ::metrics::histogram!("thespian_handler_seconds", "actor" => name),
            depth: ::metrics::histogram!("thespian_mailbox_depth", "actor" => name),
        });
        handles.depth.record(depth as f64);
        Started(std::time::Instant::now())
    }
    #[cfg(not(feature = "metrics"))]
    {
        let _ = actor;
        Started()
    }
}

/// The handler of a message taken at `started` has returned (or panicked).
#[inline(always)]
pub(crate) fn handled(actor: &impl Measured, started: Started) {
    #[cfg(feature = "metrics")]
    if let Some(handles) = actor.handles_made() {
        handles.handler.record(started.0.elapsed().as_secs_f64());
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (actor, started);
}

/// An actor came to life (`true`) or ended (`false`).
#[inline(always)]
pub(crate) fn alive(started: bool) {
    #[cfg(feature = "metrics")]
    {
        let gauge = ::metrics::gauge!("thespian_actors");
        match started {
            true => gauge.increment(1.0),
            false => gauge.decrement(1.0),
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = started;
}

/// An actor of type `actor` was restarted by its supervision.
#[inline(always)]
pub(crate) fn restarted(actor: &'static str) {
    count("thespian_restarts_total", "actor", actor);
}

/// A message to an actor of type `actor` failed every attempt.
#[inline(always)]
pub(crate) fn poisoned(actor: &'static str) {
    count("thespian_poisoned_total", "actor", actor);
}

/// A message of type `message_type` became a dead letter.
#[inline(always)]
pub(crate) fn dead_letter(message_type: &'static str) {
    count("thespian_dead_letters_total", "message_type", message_type);
}

/// Adds one to counter `name` with `label` set to `value`.
#[inline(always)]
fn count(name: &'static str, label: &'static str, value: &'static str) {
    #[cfg(feature = "metrics")]
    ::metrics::counter!(name, label => value).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (name, label, value);
}
