//! Helpers shared by the integration tests: the two system bases, and reading what the library
//! logs.
#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thespian::{Actor, ActorSystem, ActorSystemBuilder, Addr};

use tracing::subscriber::DefaultGuard;
use tracing_subscriber::fmt::MakeWriter;

/// The name [`both_bases`] gives its sequential system.
pub const SEQUENTIAL: &str = "sequential";

/// One system on each base, named after it (`system.name()` is `"tokio"` or `"sequential"`, for
/// assert messages): the default tokio base, then the sequential base (without the feature
/// `sequential`, the tokio base alone).
pub fn both_bases() -> Vec<ActorSystem> {
    both_bases_with(|builder| builder)
}

/// As [`both_bases`], each builder first given the same options by `configure`.
pub fn both_bases_with(
    configure: impl Fn(ActorSystemBuilder) -> ActorSystemBuilder,
) -> Vec<ActorSystem> {
    let tokio = configure(ActorSystem::builder().name("tokio")).build();
    #[cfg(feature = "sequential")]
    return vec![
        tokio,
        configure(ActorSystem::builder().name(SEQUENTIAL))
            .sequential()
            .build(),
    ];
    #[cfg(not(feature = "sequential"))]
    vec![tokio]
}

/// Lets `time` pass in `system`'s time: tokio's clock on the default base (paused or not), the
/// virtual clock on the sequential base (which a tokio sleep would not move: its timers fire as
/// the clock jumps). It listens meanwhile: what reaches the outside is dropped.
pub async fn let_pass(system: &ActorSystem, time: Duration) {
    let end = system.now() + time;
    loop {
        let left = end.saturating_duration_since(system.now());
        if left.is_zero() || system.listen(left).await.is_err() {
            break;
        }
    }
    assert!(system.now() >= end, "{}: time did not pass", system.name());
}

/// Waits until `actor` has ended, driving a sequential system meanwhile (awaiting an exit drives
/// it), for at most 5 s.
pub async fn wait_until_dead<A: Actor>(system: &ActorSystem, actor: &Addr<A>) {
    let ended = tokio::time::timeout(Duration::from_secs(5), actor.wait_for_exit()).await;
    assert!(ended.is_ok(), "{}: {actor} still alive", system.name());
    assert!(!actor.is_alive(), "{}: {actor} still alive", system.name());
}

/// Lets the other ready tasks of the thread run, on either base: it wakes the task's own waker,
/// where `tokio::task::yield_now` would wait on tokio, outside a sequential system.
pub async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return std::task::Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
    .await;
}

/// What a test's subscriber has written, line by line.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<u8>>>);

impl Log {
    /// Makes a subscriber writing here (no colours, no time) the default of this thread, with an
    /// `EnvFilter` of `filter`. A test on a current-thread runtime runs every actor on this
    /// thread, so their events reach it. The subscriber is the default until the guard drops.
    pub fn capture(filter: &str) -> (Log, DefaultGuard) {
        let log = Log::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(log.clone())
            .with_ansi(false)
            .without_time()
            .with_env_filter(filter)
            .finish();
        (log, tracing::subscriber::set_default(subscriber))
    }

    pub fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap();
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The one line that ends with `text`.
    pub fn line(&self, text: &str) -> String {
        let lines = self.lines();
        let found: Vec<_> = lines.iter().filter(|l| l.ends_with(text)).collect();
        assert_eq!(found.len(), 1, "{text:?} in {lines:#?}");
        found[0].clone()
    }
}

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Log {
    type Writer = Log;

    fn make_writer(&'a self) -> Log {
        self.clone()
    }
}
