//! Local suites: thespian next to the raw-tokio baseline doing the same work, in the same group.
//!
//! `cargo bench -p benches --bench local` (or add a filter: `-- tell`).

use std::future::Future;
use std::time::{Duration, Instant};

use benches::*;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use thespian::prelude::*;
use tokio::runtime::Runtime;

const TELLS: u64 = 1_000_000;
const SENDERS: u64 = 8;
const ROUNDS: u64 = 100_000;
const ASKS: u64 = 10_000;
const SPAWNS: u64 = 100_000;
const FAN_ACTORS: u64 = 1_000;
const FAN_MESSAGES: u64 = 1_000;
const LONG: Duration = Duration::from_secs(60);

fn multi_thread() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn current_thread() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs `iters` rounds of `work` from *outside* the runtime (the bench thread blocks on it, as
/// code outside the actor system does) and returns the time they took.
fn outside<F, Fut>(rt: &Runtime, iters: u64, work: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    rt.block_on(async move {
        let start = Instant::now();
        for _ in 0..iters {
            work().await;
        }
        start.elapsed()
    })
}

/// Runs `iters` rounds of `work` *inside* a task of `rt` (as an async service or another actor
/// does) and returns the time they took.
fn timed<F, Fut>(rt: &Runtime, iters: u64, work: F) -> Duration
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    rt.block_on(async move {
        tokio::spawn(async move {
            let start = Instant::now();
            for _ in 0..iters {
                work().await;
            }
            start.elapsed()
        })
        .await
        .expect("bench task")
    })
}

fn configure<'a>(
    c: &'a mut Criterion,
    name: &str,
    elements: u64,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(elements));
    group
}

/// 1,000,000 `u64` adds to one counter from outside, then one ask that checks the total.
fn tell(c: &mut Criterion) {
    let rt = multi_thread();
    let mut group = configure(c, "tell", TELLS);
    group.bench_function("raw_tokio", |b| {
        let tx = rt.block_on(async { spawn_raw_counter() });
        b.iter_custom(|iters| {
            let tx = tx.clone();
            outside(&rt, iters, move || {
                let tx = tx.clone();
                async move {
                    let before = raw_total(&tx).await;
                    for n in 0..TELLS {
                        tx.send(RawMessage::Add(n)).expect("alive");
                    }
                    assert_eq!(raw_total(&tx).await - before, TELLS * (TELLS - 1) / 2);
                }
            })
        });
    });
    let system = ActorSystem::builder().runtime(rt.handle().clone()).build();
    group.bench_function("thespian", |b| {
        let counter = rt
            .block_on(system.create_actor(Counter::default()))
            .expect("created");
        b.iter_custom(|iters| {
            let counter = counter.clone();
            outside(&rt, iters, move || {
                let counter = counter.clone();
                async move {
                    let before = counter.timeout(LONG).total().await.expect("total");
                    for n in 0..TELLS {
                        counter.add(n).await.expect("alive");
                    }
                    let after = counter.timeout(LONG).total().await.expect("total");
                    assert_eq!(after - before, TELLS * (TELLS - 1) / 2);
                }
            })
        });
    });
    group.bench_function("thespian_by_hand", |b| {
        let counter = rt
            .block_on(system.create_actor(HandCounter::default()))
            .expect("created");
        b.iter_custom(|iters| {
            let counter = counter.clone();
            outside(&rt, iters, move || {
                let counter = counter.clone();
                async move {
                    let before = counter.ask(HandMessage::Total, LONG).await.expect("total");
                    for n in 0..TELLS {
                        counter.tell(HandMessage::Add(n)).await.expect("alive");
                    }
                    let after = counter.ask(HandMessage::Total, LONG).await.expect("total");
                    assert_eq!(after - before, TELLS * (TELLS - 1) / 2);
                }
            })
        });
    });
    rt.block_on(system.shutdown());
    group.finish();
}

/// 8 tasks telling one actor concurrently, 1,000,000 messages in all (started from outside).
fn tell_many_senders(c: &mut Criterion) {
    let rt = multi_thread();
    let per_sender = TELLS / SENDERS;
    let mut group = configure(c, "tell_8_senders", per_sender * SENDERS);
    group.bench_function("raw_tokio", |b| {
        let tx = rt.block_on(async { spawn_raw_counter() });
        b.iter_custom(|iters| {
            let tx = tx.clone();
            outside(&rt, iters, move || {
                let tx = tx.clone();
                async move {
                    let before = raw_total(&tx).await;
                    let senders: Vec<_> = (0..SENDERS)
                        .map(|_| {
                            let tx = tx.clone();
                            tokio::spawn(async move {
                                for _ in 0..per_sender {
                                    tx.send(RawMessage::Add(1)).expect("alive");
                                }
                            })
                        })
                        .collect();
                    for s in senders {
                        s.await.expect("sender");
                    }
                    assert_eq!(raw_total(&tx).await - before, per_sender * SENDERS);
                }
            })
        });
    });
    group.bench_function("thespian", |b| {
        let system = ActorSystem::builder().runtime(rt.handle().clone()).build();
        let counter = rt
            .block_on(system.create_actor(Counter::default()))
            .expect("created");
        b.iter_custom(|iters| {
            let counter = counter.clone();
            outside(&rt, iters, move || {
                let counter = counter.clone();
                async move {
                    let before = counter.timeout(LONG).total().await.expect("total");
                    let senders: Vec<_> = (0..SENDERS)
                        .map(|_| {
                            let counter = counter.clone();
                            tokio::spawn(async move {
                                for _ in 0..per_sender {
                                    counter.add(1).await.expect("alive");
                                }
                            })
                        })
                        .collect();
                    for s in senders {
                        s.await.expect("sender");
                    }
                    let after = counter.timeout(LONG).total().await.expect("total");
                    assert_eq!(after - before, per_sender * SENDERS);
                }
            })
        });
        rt.block_on(system.shutdown());
    });
    group.finish();
}

/// Sequential request/reply to one actor, from a runtime task.
fn ask(c: &mut Criterion) {
    let rt = multi_thread();
    let mut group = configure(c, "ask", ASKS);
    group.bench_function("raw_tokio", |b| {
        let tx = rt.block_on(async { spawn_raw_counter() });
        b.iter_custom(|iters| {
            let tx = tx.clone();
            timed(&rt, iters, move || {
                let tx = tx.clone();
                async move {
                    for _ in 0..ASKS {
                        raw_total(&tx).await;
                    }
                }
            })
        });
    });
    group.bench_function("thespian", |b| {
        let system = ActorSystem::builder().runtime(rt.handle().clone()).build();
        let counter = rt
            .block_on(system.create_actor(Counter::default()))
            .expect("created");
        b.iter_custom(|iters| {
            let counter = counter.clone();
            timed(&rt, iters, move || {
                let counter = counter.clone();
                async move {
                    for _ in 0..ASKS {
                        counter.timeout(LONG).total().await.expect("total");
                    }
                }
            })
        });
        rt.block_on(system.shutdown());
    });
    group.finish();
}

/// Two actors bouncing a count, on a multi-thread and a current-thread runtime.
fn ping_pong(c: &mut Criterion) {
    let mut group = configure(c, "ping_pong", ROUNDS);
    for (flavor, rt) in [
        ("multi_thread", multi_thread()),
        ("current_thread", current_thread()),
    ] {
        group.bench_function(BenchmarkId::new("raw_tokio", flavor), |b| {
            b.iter_custom(|iters| timed(&rt, iters, || raw_ping_pong(ROUNDS)));
        });
        group.bench_function(BenchmarkId::new("thespian", flavor), |b| {
            let system = ActorSystem::builder().runtime(rt.handle().clone()).build();
            let (a, bb) = rt.block_on(async {
                let a = system.create_actor(Player::default()).await.expect("a");
                let bb = system.create_actor(Player::default()).await.expect("b");
                a.set_peer(bb.clone()).await.expect("peer");
                bb.set_peer(a.clone()).await.expect("peer");
                (a, bb)
            });
            b.iter_custom(|iters| {
                let a = a.clone();
                timed(&rt, iters, move || {
                    let a = a.clone();
                    async move {
                        a.timeout(LONG).serve(ROUNDS).await.expect("game");
                    }
                })
            });
            drop(bb);
            rt.block_on(system.shutdown());
        });
    }
    group.finish();
}

/// Create 100,000 actors from outside, one message each, await every reply, stop them all.
fn spawn(c: &mut Criterion) {
    let rt = multi_thread();
    let mut group = configure(c, "spawn", SPAWNS);
    group.bench_function("raw_tokio", |b| {
        b.iter_custom(|iters| {
            outside(&rt, iters, || async {
                let mut replies = Vec::with_capacity(SPAWNS as usize);
                for n in 0..SPAWNS {
                    let tx = spawn_raw_counter();
                    tx.send(RawMessage::Add(n)).expect("alive");
                    let (reply, rx) = tokio::sync::oneshot::channel();
                    tx.send(RawMessage::Total(reply)).expect("alive");
                    replies.push(rx);
                    // Dropping the sender stops the task once it has drained.
                }
                for (n, rx) in replies.into_iter().enumerate() {
                    assert_eq!(rx.await.expect("reply"), n as u64);
                }
            })
        });
    });
    let handle = rt.handle().clone();
    group.bench_function("thespian", |b| {
        b.iter_custom(|iters| {
            let handle = handle.clone();
            outside(&rt, iters, move || {
                let handle = handle.clone();
                async move {
                    let system = ActorSystem::builder().runtime(handle).build();
                    let mut replies = Vec::with_capacity(SPAWNS as usize);
                    for n in 0..SPAWNS {
                        let worker = system
                            .create_actor(Worker::default())
                            .await
                            .expect("created");
                        worker.work(n).await.expect("alive");
                        // The ask leaves now, as the raw baseline's request does.
                        replies.push(worker.timeout(LONG).seen());
                    }
                    for (n, reply) in replies.into_iter().enumerate() {
                        assert_eq!(reply.await.expect("reply"), n as u64);
                    }
                    system.shutdown().await;
                }
            })
        });
    });
    group.finish();
}

/// 1,000 actors × 1,000 messages from one outside driver, then one ask to each.
fn fan_out(c: &mut Criterion) {
    let rt = multi_thread();
    let mut group = configure(c, "fan_out", FAN_ACTORS * FAN_MESSAGES);
    group.bench_function("raw_tokio", |b| {
        let txs: Vec<_> =
            rt.block_on(async { (0..FAN_ACTORS).map(|_| spawn_raw_counter()).collect() });
        let txs = std::sync::Arc::new(txs);
        b.iter_custom(|iters| {
            let txs = txs.clone();
            outside(&rt, iters, move || {
                let txs = txs.clone();
                async move {
                    for _ in 0..FAN_MESSAGES {
                        for tx in txs.iter() {
                            tx.send(RawMessage::Add(1)).expect("alive");
                        }
                    }
                    for tx in txs.iter() {
                        raw_total(tx).await;
                    }
                }
            })
        });
    });
    group.bench_function("thespian", |b| {
        let system = ActorSystem::builder().runtime(rt.handle().clone()).build();
        let workers: Vec<_> = rt.block_on(async {
            let mut v = Vec::new();
            for _ in 0..FAN_ACTORS {
                v.push(
                    system
                        .create_actor(Worker::default())
                        .await
                        .expect("created"),
                );
            }
            v
        });
        let workers = std::sync::Arc::new(workers);
        b.iter_custom(|iters| {
            let workers = workers.clone();
            outside(&rt, iters, move || {
                let workers = workers.clone();
                async move {
                    for _ in 0..FAN_MESSAGES {
                        for w in workers.iter() {
                            w.work(1).await.expect("alive");
                        }
                    }
                    for w in workers.iter() {
                        w.timeout(LONG).seen().await.expect("seen");
                    }
                }
            })
        });
        rt.block_on(system.shutdown());
    });
    group.finish();
}

/// The sequential base next to the default base on one thread: 100,000 tells then an ask, and
/// sequential asks.
fn sequential(c: &mut Criterion) {
    const SEQ_TELLS: u64 = 100_000;
    let rt = current_thread();
    let bases = || {
        [
            (
                "default_base",
                ActorSystem::builder().runtime(rt.handle().clone()).build(),
            ),
            (
                "sequential_base",
                ActorSystem::builder().sequential().build(),
            ),
        ]
    };
    let mut group = configure(c, "sequential_tell", SEQ_TELLS);
    for (base, system) in bases() {
        group.bench_function(base, |b| {
            let counter = rt
                .block_on(system.create_actor(Counter::default()))
                .expect("created");
            b.iter_custom(|iters| {
                let counter = counter.clone();
                timed(&rt, iters, move || {
                    let counter = counter.clone();
                    async move {
                        for n in 0..SEQ_TELLS {
                            counter.add(n).await.expect("alive");
                        }
                        counter.timeout(LONG).total().await.expect("total");
                    }
                })
            });
        });
        rt.block_on(system.shutdown());
    }
    group.finish();
    let mut group = configure(c, "sequential_ask", ASKS);
    for (base, system) in bases() {
        group.bench_function(base, |b| {
            let counter = rt
                .block_on(system.create_actor(Counter::default()))
                .expect("created");
            b.iter_custom(|iters| {
                let counter = counter.clone();
                timed(&rt, iters, move || {
                    let counter = counter.clone();
                    async move {
                        for _ in 0..ASKS {
                            counter.timeout(LONG).total().await.expect("total");
                        }
                    }
                })
            });
        });
        rt.block_on(system.shutdown());
    }
    group.finish();
}

criterion_group!(
    local,
    tell,
    tell_many_senders,
    ask,
    ping_pong,
    spawn,
    fan_out,
    sequential
);
criterion_main!(local);
