//! Tracing spans across nodes: a handler's events are recorded in its `handle` span (inside its
//! actor's `actor` span, which names the actor), and a message that crosses to another node
//! carries its sending handler's trace.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use thespian::prelude::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The fields of one `handle` span, with its actor's (or of one `actor` span).
#[derive(Debug, Clone, Default, PartialEq)]
struct Handle {
    actor: String,
    message: String,
    sender: String,
    trace: u64,
}

impl Visit for Handle {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "trace" {
            self.trace = value;
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}").trim_matches('"').to_owned();
        match field.name() {
            "actor" => self.actor = text,
            "message_type" => self.message = text,
            "sender" => self.sender = text,
            _ => {}
        }
    }
}

/// An event's `message` field.
struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// An event's text, and the `handle` span it was logged in.
type Seen = (String, Option<Handle>);

/// Records each event of this test with the `handle` span it was logged in.
#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Recorder {
    /// The span an event with this text was logged in.
    fn span_of(&self, text: &str) -> Handle {
        let seen = self.seen.lock().unwrap();
        let found = seen.iter().find(|(t, _)| t == text);
        let (_, span) = found.unwrap_or_else(|| panic!("no event {text:?} in {seen:?}"));
        span.clone()
            .unwrap_or_else(|| panic!("event {text:?} outside any span"))
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        // A `handle` span's own fields, and its actor's from the `actor` span above it.
        let name = attrs.metadata().name();
        if name != "handle" && name != "actor" {
            return;
        }
        let mut handle = Handle::default();
        attrs.record(&mut handle);
        let Some(span) = ctx.span(id) else { return };
        if name == "handle" {
            let parent = span
                .parent()
                .and_then(|p| p.extensions().get::<Handle>().cloned());
            handle.actor = parent.map(|p| p.actor).unwrap_or_default();
        }
        span.extensions_mut().insert(handle);
    }

    fn on_event(&self, event: &Event<'_>, ctx: LayerContext<'_, S>) {
        if event.metadata().target() != "tracing_spans" {
            return;
        }
        let mut text = Text(String::new());
        event.record(&mut text);
        let span = ctx
            .event_span(event)
            .and_then(|s| s.extensions().get::<Handle>().cloned());
        self.seen.lock().unwrap().push((text.0, span));
    }
}

pub struct Back;

#[actor]
impl Back {
    pub async fn note(&mut self, n: u32) -> u32 {
        tracing::info!(target: "tracing_spans", "back {n}");
        n + 1
    }
}

pub struct Front {
    back: Addr<Back>,
}

#[actor]
impl Front {
    pub async fn relay(&mut self, n: u32) -> u32 {
        tracing::info!(target: "tracing_spans", "front {n}");
        self.back.note(n).ask().await.unwrap_or(0)
    }
}

#[tokio::test]
async fn a_request_keeps_its_trace_across_nodes_and_each_handler_logs_in_its_span() {
    let recorder = Recorder::default();
    let subscriber = tracing_subscriber::registry().with(recorder.clone());
    // This thread's subscriber: the test runs every task on it (a current-thread runtime).
    let _default = tracing::subscriber::set_default(subscriber);

    let (one, net_one) = node().await;
    let (two, net_two) = node().await;
    let back = placed(Back, "back", (&two, &net_two), &net_one).await;
    let front = one.create_actor(Front { back }).await.unwrap();
    assert_eq!(front.relay(7).ask().await, Ok(8));
    assert_eq!(front.relay(9).ask().await, Ok(10));

    let front_7 = recorder.span_of("front 7");
    let back_7 = recorder.span_of("back 7");
    assert!(front_7.actor.contains("Front"), "{front_7:?}");
    assert!(front_7.message.contains("Relay"), "{front_7:?}");
    assert_eq!(front_7.sender, "outside");
    assert!(back_7.actor.contains("Back"), "{back_7:?}");
    assert!(back_7.message.contains("Note"), "{back_7:?}");
    // The request crossed to the other node with the trace of the handler that sent it, and
    // the span there names that handler's actor as the sender.
    assert_ne!(front_7.trace, 0);
    assert_eq!(back_7.trace, front_7.trace);
    assert!(back_7.sender.contains("Front"), "{back_7:?}");
    // Another request from outside starts another trace.
    let front_9 = recorder.span_of("front 9");
    assert_ne!(front_9.trace, front_7.trace);
    assert_eq!(recorder.span_of("back 9").trace, front_9.trace);

    net_one.shutdown().await;
    net_two.shutdown().await;
}
