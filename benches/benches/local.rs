//! Local suites: thespian next to the raw-tokio baseline doing the same work, in the same group.
//!
//! `cargo bench -p benches --bench local` (or one suite: `-- '^ping_pong'`).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use benches::*;
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use thespian::prelude::*;
use tokio::runtime::Runtime;

const TELLS: u64 = 1_000_000;
const SENDERS: u64 = 8;
const ROUNDS: u64 = 100_000;
const ASKS: u64 = 10_000;
const SPAWNS: u64 = 100_000;
const FAN_ACTORS: u64 = 1_000;
const FAN_MESSAGES: u64 = 1_000;
const SEQ_TELLS: u64 = 100_000;
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

/// Who drives the rounds of a benchmark.
#[derive(Clone, Copy)]
enum Driver {
    /// The bench thread, blocking on the runtime: code outside the actor system.
    Outside,
    /// A task of the runtime: an async service, or another actor.
    Inside,
}

/// Both drivers, for the suites measured each way.
const DRIVERS: [Driver; 2] = [Driver::Outside, Driver::Inside];

impl Driver {
    /// The benchmark id of `subject` driven this way.
    fn id(self, subject: &str) -> String {
        match self {
            Driver::Outside => format!("{subject}/outside"),
            Driver::Inside => format!("{subject}/inside"),
        }
    }
}

/// Benches `work(state)` as one round, driven by `driver` on `rt`.
fn bench<S, F, Fut>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: impl Into<String>,
    rt: &Runtime,
    driver: Driver,
    state: S,
    work: F,
) where
    S: Clone + Send + 'static,
    F: Fn(S) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    group.bench_function(id.into(), |b| {
        b.iter_custom(|iters| {
            let (state, work) = (state.clone(), work.clone());
            let rounds = async move {
                let start = Instant::now();
                for _ in 0..iters {
                    work(state.clone()).await;
                }
                start.elapsed()
            };
            match driver {
                Driver::Outside => rt.block_on(rounds),
                Driver::Inside => rt
                    .block_on(async { tokio::spawn(rounds).await })
                    .expect("bench task"),
            }
        });
    });
}

fn configure<'a>(c: &'a mut Criterion, name: &str, elements: u64) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(elements));
    group
}

fn create<A: Actor>(rt: &Runtime, system: &ActorSystem, actor: A) -> Addr<A> {
    rt.block_on(system.create_actor(actor)).expect("created")
}

/// 1,000,000 `u64` adds to one counter, then one ask that checks the total; driven from
/// outside the runtime and from a task inside it.
fn tell(c: &mut Criterion) {
    const SUM: u64 = TELLS * (TELLS - 1) / 2;
    let rt = multi_thread();
    let mut group = configure(c, "tell", TELLS);
    let raw = rt.block_on(async { spawn_raw_counter() });
    let system = ActorSystem::builder().runtime(rt.handle().clone()).build();
    let counter = create(&rt, &system, Counter::default());
    let by_hand = create(&rt, &system, HandCounter::default());
    for driver in DRIVERS {
        bench(
            &mut group,
            driver.id("raw_tokio"),
            &rt,
            driver,
            raw.clone(),
            |tx| async move {
                let before = raw_total(&tx).await;
                for n in 0..TELLS {
                    tx.send(RawMessage::Add(n)).expect("alive");
                }
                assert_eq!(raw_total(&tx).await - before, SUM);
            },
        );
        bench(
            &mut group,
            driver.id("thespian"),
            &rt,
            driver,
            counter.clone(),
            |counter| async move {
                let before = counter.total().timeout(LONG).ask().await.expect("total");
                for n in 0..TELLS {
                    counter.add(n).tell().await.expect("alive");
                }
                let after = counter.total().timeout(LONG).ask().await.expect("total");
                assert_eq!(after - before, SUM);
            },
        );
        bench(
            &mut group,
            driver.id("thespian_system_tell"),
            &rt,
            driver,
            (system.clone(), counter.clone()),
            |(system, counter)| async move {
                // Thespian's style: the system sends, the message named by its struct.
                let before = counter.total().timeout(LONG).ask().await.expect("total");
                for n in 0..TELLS {
                    system.tell(&counter, CounterAdd { n }).await;
                }
                let after = counter.total().timeout(LONG).ask().await.expect("total");
                assert_eq!(after - before, SUM);
            },
        );
        bench(
            &mut group,
            driver.id("thespian_by_hand"),
            &rt,
            driver,
            by_hand.clone(),
            |counter| async move {
                let before = counter.ask(HandMessage::Total, LONG).await.expect("total");
                for n in 0..TELLS {
                    counter.tell(HandMessage::Add(n)).await.expect("alive");
                }
                let after = counter.ask(HandMessage::Total, LONG).await.expect("total");
                assert_eq!(after - before, SUM);
            },
        );
    }
    rt.block_on(system.shutdown());
    group.finish();
}

/// 8 tasks telling one actor concurrently, 1,000,000 messages in all (started from outside and
/// from inside the runtime).
fn tell_many_senders(c: &mut Criterion) {
    const PER_SENDER: u64 = TELLS / SENDERS;
    let rt = multi_thread();
    let mut group = configure(c, "tell_8_senders", PER_SENDER * SENDERS);
    let raw = rt.block_on(async { spawn_raw_counter() });
    let system = ActorSystem::builder().runtime(rt.handle().clone()).build();
    let counter = create(&rt, &system, Counter::default());
    for driver in DRIVERS {
        bench(
            &mut group,
            driver.id("raw_tokio"),
            &rt,
            driver,
            raw.clone(),
            |tx| async move {
                let before = raw_total(&tx).await;
                let senders: Vec<_> = (0..SENDERS)
                    .map(|_| {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            for _ in 0..PER_SENDER {
                                tx.send(RawMessage::Add(1)).expect("alive");
                            }
                        })
                    })
                    .collect();
                for s in senders {
                    s.await.expect("sender");
                }
                assert_eq!(raw_total(&tx).await - before, PER_SENDER * SENDERS);
            },
        );
        bench(
            &mut group,
            driver.id("thespian"),
            &rt,
            driver,
            counter.clone(),
            |counter| async move {
                let before = counter.total().timeout(LONG).ask().await.expect("total");
                let senders: Vec<_> = (0..SENDERS)
                    .map(|_| {
                        let counter = counter.clone();
                        tokio::spawn(async move {
                            for _ in 0..PER_SENDER {
                                counter.add(1).tell().await.expect("alive");
                            }
                        })
                    })
                    .collect();
                for s in senders {
                    s.await.expect("sender");
                }
                let after = counter.total().timeout(LONG).ask().await.expect("total");
                assert_eq!(after - before, PER_SENDER * SENDERS);
            },
        );
    }
    rt.block_on(system.shutdown());
    group.finish();
}

/// Sequential request/reply to one actor, from a runtime task.
fn ask(c: &mut Criterion) {
    let rt = multi_thread();
    let mut group = configure(c, "ask", ASKS);
    let raw_asks = |tx: tokio::sync::mpsc::UnboundedSender<RawMessage>| async move {
        for _ in 0..ASKS {
            raw_total(&tx).await;
        }
    };
    let raw = rt.block_on(async { spawn_raw_counter() });
    bench(&mut group, "raw_tokio", &rt, Driver::Inside, raw, raw_asks);
    // The same baseline with one timer armed elsewhere in the runtime, as an ask's deadline keeps
    // one armed (the deadline is part of every ask; mpsc + oneshot has none).
    let (timer, raw) = rt.block_on(async { (arm_a_timer(LONG), spawn_raw_counter()) });
    bench(
        &mut group,
        "raw_tokio_timer_armed",
        &rt,
        Driver::Inside,
        raw,
        raw_asks,
    );
    drop(timer);
    let system = ActorSystem::builder().runtime(rt.handle().clone()).build();
    let counter = create(&rt, &system, Counter::default());
    // Also without a timeout, like the raw baseline: no deadline kept, no timer armed. First,
    // before the timed asks start the system's deadline reaper.
    for (id, timeout) in [("thespian_no_timeout", Duration::MAX), ("thespian", LONG)] {
        bench(
            &mut group,
            id,
            &rt,
            Driver::Inside,
            counter.clone(),
            move |counter| async move {
                for _ in 0..ASKS {
                    counter.total().timeout(timeout).ask().await.expect("total");
                }
            },
        );
    }
    rt.block_on(system.shutdown());
    group.finish();
}

/// Two actors bouncing a count, on a multi-thread and a current-thread runtime.
fn ping_pong(c: &mut Criterion) {
    let mut group = configure(c, "ping_pong", ROUNDS);
    for (flavor, rt) in [
        ("multi_thread", multi_thread()),
        ("current_thread", current_thread()),
    ] {
        let raw = format!("raw_tokio/{flavor}");
        bench(&mut group, raw, &rt, Driver::Inside, (), |()| {
            raw_ping_pong(ROUNDS)
        });
        let system = ActorSystem::builder().runtime(rt.handle().clone()).build();
        let a = create(&rt, &system, Player::default());
        let b = create(&rt, &system, Player::default());
        rt.block_on(async {
            a.set_peer(b.clone()).tell().await.expect("peer");
            b.set_peer(a.clone()).tell().await.expect("peer");
        });
        let id = format!("thespian/{flavor}");
        bench(&mut group, id, &rt, Driver::Inside, a, |a| async move {
            a.serve(ROUNDS).timeout(LONG).ask().await.expect("game");
        });
        rt.block_on(system.shutdown());
    }
    group.finish();
}

/// Create 100,000 actors, one message each, await every reply, stop them all (driven from
/// outside and from inside the runtime).
fn spawn(c: &mut Criterion) {
    let rt = multi_thread();
    let mut group = configure(c, "spawn", SPAWNS);
    for driver in DRIVERS {
        bench(
            &mut group,
            driver.id("raw_tokio"),
            &rt,
            driver,
            (),
            |()| async {
                let replies: Vec<_> = (0..SPAWNS).map(spawn_raw_counter_and_ask).collect();
                for (n, rx) in replies.into_iter().enumerate() {
                    assert_eq!(rx.await.expect("reply"), n as u64);
                }
            },
        );
        bench(
            &mut group,
            driver.id("thespian"),
            &rt,
            driver,
            rt.handle().clone(),
            |handle| async move {
                let system = ActorSystem::builder().runtime(handle).build();
                let mut replies = Vec::with_capacity(SPAWNS as usize);
                for n in 0..SPAWNS {
                    let worker = system
                        .create_actor(Worker::default())
                        .await
                        .expect("created");
                    worker.work(n).tell().await.expect("alive");
                    // The ask leaves now, as the raw baseline's request does.
                    replies.push(worker.seen().timeout(LONG).ask());
                }
                for (n, reply) in replies.into_iter().enumerate() {
                    assert_eq!(reply.await.expect("reply"), n as u64);
                }
                system.shutdown().await;
            },
        );
    }
    // The same on the sequential base, whose stopping of many actors was once quadratic.
    bench(
        &mut group,
        "thespian_sequential",
        &rt,
        Driver::Outside,
        (),
        |()| async move {
            let system = ActorSystem::builder().sequential().build();
            let mut workers = Vec::with_capacity(SPAWNS as usize);
            for n in 0..SPAWNS {
                let worker = system
                    .create_actor(Worker::default())
                    .await
                    .expect("created");
                worker.work(n).tell().await.expect("alive");
                workers.push(worker);
            }
            for (n, worker) in workers.iter().enumerate() {
                assert_eq!(worker.seen().timeout(LONG).ask().await, Ok(n as u64));
            }
            system.shutdown().await;
        },
    );
    group.finish();
}

/// 1,000 actors × 1,000 messages from one driver (outside, then inside the runtime), then one
/// ask to each.
fn fan_out(c: &mut Criterion) {
    let rt = multi_thread();
    let mut group = configure(c, "fan_out", FAN_ACTORS * FAN_MESSAGES);
    let raw: Arc<Vec<_>> =
        Arc::new(rt.block_on(async { (0..FAN_ACTORS).map(|_| spawn_raw_counter()).collect() }));
    let system = ActorSystem::builder().runtime(rt.handle().clone()).build();
    let workers: Arc<Vec<_>> = Arc::new(
        (0..FAN_ACTORS)
            .map(|_| create(&rt, &system, Worker::default()))
            .collect(),
    );
    for driver in DRIVERS {
        bench(
            &mut group,
            driver.id("raw_tokio"),
            &rt,
            driver,
            raw.clone(),
            |txs| async move {
                for _ in 0..FAN_MESSAGES {
                    for tx in txs.iter() {
                        tx.send(RawMessage::Add(1)).expect("alive");
                    }
                }
                for tx in txs.iter() {
                    raw_total(tx).await;
                }
            },
        );
        bench(
            &mut group,
            driver.id("thespian"),
            &rt,
            driver,
            workers.clone(),
            |workers| async move {
                for _ in 0..FAN_MESSAGES {
                    for w in workers.iter() {
                        w.work(1).tell().await.expect("alive");
                    }
                }
                for w in workers.iter() {
                    w.seen().timeout(LONG).ask().await.expect("seen");
                }
            },
        );
    }
    rt.block_on(system.shutdown());
    group.finish();
}

/// The sequential base next to the default base on one thread: 100,000 tells then an ask, and
/// sequential asks.
fn sequential(c: &mut Criterion) {
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
        let counter = create(&rt, &system, Counter::default());
        bench(
            &mut group,
            base,
            &rt,
            Driver::Inside,
            counter,
            |counter| async move {
                for n in 0..SEQ_TELLS {
                    counter.add(n).tell().await.expect("alive");
                }
                counter.total().timeout(LONG).ask().await.expect("total");
            },
        );
        rt.block_on(system.shutdown());
    }
    group.finish();
    let mut group = configure(c, "sequential_ask", ASKS);
    for (base, system) in bases() {
        let counter = create(&rt, &system, Counter::default());
        bench(
            &mut group,
            base,
            &rt,
            Driver::Inside,
            counter,
            |counter| async move {
                for _ in 0..ASKS {
                    counter.total().timeout(LONG).ask().await.expect("total");
                }
            },
        );
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
