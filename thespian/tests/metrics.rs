//! The `metrics` feature: handler latency and mailbox depth per message, restarts, poisoned
//! messages, dead letters and live actors reach the installed recorder
//! (`cargo test -p thespian-actors --features metrics --test metrics`).
#![cfg(feature = "metrics")]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use thespian::prelude::*;
use thespian::Supervision;

/// One counter, gauge or histogram, as the test reads it back.
#[derive(Default)]
struct Cell {
    count: AtomicU64,
    gauge: Mutex<f64>,
    samples: Mutex<Vec<f64>>,
}

impl CounterFn for Cell {
    fn increment(&self, value: u64) {
        self.count.fetch_add(value, Ordering::SeqCst);
    }

    fn absolute(&self, value: u64) {
        self.count.store(value, Ordering::SeqCst);
    }
}

impl GaugeFn for Cell {
    fn increment(&self, value: f64) {
        *self.gauge.lock().unwrap() += value;
    }

    fn decrement(&self, value: f64) {
        *self.gauge.lock().unwrap() -= value;
    }

    fn set(&self, value: f64) {
        *self.gauge.lock().unwrap() = value;
    }
}

impl HistogramFn for Cell {
    fn record(&self, value: f64) {
        self.samples.lock().unwrap().push(value);
    }
}

/// Keeps every metric by its name and labels (`name{label=value}`).
#[derive(Default)]
struct Recording(Mutex<HashMap<String, Arc<Cell>>>);

impl Recording {
    fn cell(&self, key: &Key) -> Arc<Cell> {
        let labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        let name = format!("{}{{{}}}", key.name(), labels.join(","));
        self.0.lock().unwrap().entry(name).or_default().clone()
    }

    /// The cell whose name and labels contain every one of `parts`.
    fn find(&self, parts: &[&str]) -> Arc<Cell> {
        let cells = self.0.lock().unwrap();
        let found: Vec<_> = cells
            .iter()
            .filter(|(name, _)| parts.iter().all(|p| name.contains(p)))
            .collect();
        let names: Vec<_> = cells.keys().collect();
        assert_eq!(found.len(), 1, "{parts:?} in {names:?}");
        found[0].1.clone()
    }
}

/// The test's recorder: the process's global one (this file holds one test).
struct Shared(Arc<Recording>);

impl Recorder for Shared {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.0.cell(key))
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.0.cell(key))
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.0.cell(key))
    }
}

#[derive(Default)]
struct Worker;

#[actor(no_serde)]
impl Worker {
    async fn work(&mut self) -> u32 {
        7
    }

    async fn crash(&mut self) {
        panic!("the worker crashed");
    }
}

#[tokio::test]
async fn handling_failing_and_dead_letters_reach_the_recorder() {
    let recording = Arc::new(Recording::default());
    metrics::set_global_recorder(Shared(recording.clone())).unwrap();

    let system = ActorSystem::new();
    let options = ActorOptions::new()
        .supervision(Supervision::restart(Worker::default).at_most(5, Duration::from_secs(60)));
    let worker = system.create_actor_with(Worker, options).await.unwrap();
    assert_eq!(
        *recording.find(&["thespian_actors"]).gauge.lock().unwrap(),
        1.0
    );
    for _ in 0..3 {
        assert_eq!(worker.work().ask().await, Ok(7));
    }
    assert!(worker.crash().ask().await.is_err());
    // Three queued before the actor runs (this test's runtime has one thread): it takes them
    // with 3, 2, 1 and 0 left.
    for _ in 0..3 {
        worker.work().tell().await.unwrap();
    }
    assert_eq!(worker.work().ask().await, Ok(7));

    // Eight messages handled, one of them the crash: each timed, each with its mailbox's depth.
    let handler = recording.find(&["thespian_handler_seconds", "Worker"]);
    assert_eq!(handler.samples.lock().unwrap().len(), 8);
    assert!(handler.samples.lock().unwrap().iter().all(|s| *s >= 0.0));
    let depth = recording.find(&["thespian_mailbox_depth", "Worker"]);
    let depths = depth.samples.lock().unwrap().clone();
    assert_eq!(depths, [0.0, 0.0, 0.0, 0.0, 3.0, 2.0, 1.0, 0.0]);
    let poisoned = recording.find(&["thespian_poisoned_total", "Worker"]);
    assert_eq!(poisoned.count.load(Ordering::SeqCst), 1);
    let restarts = recording.find(&["thespian_restarts_total", "Worker"]);
    assert_eq!(restarts.count.load(Ordering::SeqCst), 1);

    worker.request_exit();
    worker.wait_for_exit().await;
    assert_eq!(
        *recording.find(&["thespian_actors"]).gauge.lock().unwrap(),
        0.0
    );
    // Told to an actor that has exited: a dead letter.
    let _ = system.tell(&worker, WorkerWork {}).await;
    let dead = recording.find(&["thespian_dead_letters_total", "WorkerWork"]);
    assert_eq!(dead.count.load(Ordering::SeqCst), 1);
    system.shutdown().await;
}
